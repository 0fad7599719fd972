#!/bin/bash
# One of the Bochs harnesses (adversarial.sh, fuzz-guest.sh, linux.sh), run
# on a USB image through UEFI instead of an ISO through GRUB: Bochs 3.1 with
# OVMF (bochsrc-uefi.in), once per CPU model.  The harness's checks are the
# same: they read keyhole's lines, which do not depend on how it booted.
#
#   tests/bochs/uefi-suite.sh BOCHS31_ROOT HARNESS IMAGE OUTDIR MODEL...
#
# Prints each model's closing line, a table, and the sum as "N passed, N
# failed"; without Bochs 3.1 (make deps said why) each model counts as one
# skipped.
set -u
root=${1:?usage: uefi-suite.sh BOCHS31_ROOT HARNESS IMAGE OUTDIR MODEL...}
harness=${2:?} img=${3:?} out=${4:?}
shift 4
[ $# -gt 0 ] || set -- corei7_skylake_x
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$harness" .sh)

"$here/../../tools/bochs31.sh" suite "$root" "$name through UEFI" $# || exit 0

total_p=0 total_f=0 rows=()
for model in "$@"; do
	mkdir -p "$out/$model"
	echo "--- $name through UEFI (OVMF, Bochs 3.1), CPU model $model"
	BOCHS_CMD="$here/../../tools/bochs31.sh run $root" BOCHS_RC_IN=$here/bochsrc-uefi.in BOCHS_MODEL=$model \
		bash "$harness" "$img" "$out/$model" 2>&1 | tee "$out/$model.txt"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/$model.txt" | tail -n 1)
	p=$(sed -nE 's/^([0-9]+) passed.*/\1/p' <<<"$line")
	f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")
	[ -n "$p" ] || { p=0; f=1; }
	total_p=$((total_p + p)) total_f=$((total_f + f))
	took=$(sed -nE 's/^bochs ran ([0-9.]+ s).*/\1/p' "$out/$model.txt" | head -n 1)
	rows+=("$(printf '%-24s %-10s %-22s %s' "$model" "${took:--}" "$p passed, $f failed" \
		"$([ "$f" -eq 0 ] && echo ok || echo FAILED)")")
done
echo
printf '%-24s %-10s %-22s %s\n' "CPU model ($name)" "Bochs ran" "checks" "verdict"
printf '%s\n' "${rows[@]}"
echo
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
