#!/bin/bash
# make test-uefi-vmx: keyhole's USB image through UEFI into VT-x in Bochs 3.1
# (OVMF) on a matrix of CPU models, each with its own capability MSRs and
# CPUID, and two models whose VMX lacks what keyhole needs.  Prints a table
# and the closing line "N passed, N failed[, N skipped]".
#
#   tests/bochs/uefi-matrix.sh IMAGE OUTDIR BOCHS31_ROOT
#
# Without Bochs 3.1 (tools/bochs31.sh setup failed: it said why) every run
# counts as skipped.
set -u
img=${1:?usage: uefi-matrix.sh IMAGE OUTDIR BOCHS31_ROOT} out=${2:?} root=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
# model:expectation.  All but the last have VT-x with EPT (Lynnfield without
# unrestricted guest, which keyhole does not need); Penryn has no EPT.
runs=${UEFI_MATRIX:-"corei7_haswell_4770:guest broadwell_ult:guest corei7_skylake_x:guest corei7_icelake_u:guest
	tigerlake:guest sapphire_rapids:guest arrow_lake:guest corei7_sandy_bridge_2600k:guest corei5_lynnfield_750:guest
	core2_penryn_t9600:novmx"}

"$here/../../tools/bochs31.sh" suite "$root" "the UEFI matrix" "$(wc -w <<<"$runs")" || exit 0

total_p=0 total_f=0 rows=()
for r in $runs; do
	model=${r%%:*} expect=${r#*:}
	log=$out/$model.txt
	mkdir -p "$out"
	bash "$here/uefi-run.sh" "$img" "$out/$model" "$root" "$model" "$expect" > "$log" 2>&1
	line=$(tail -n 1 "$log")
	p=$(sed -nE 's/^([0-9]+) passed.*/\1/p' <<<"$line")
	f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")
	[ -n "$p" ] || { p=0; f=1; }
	total_p=$((total_p + p)) total_f=$((total_f + f))
	grep -E '^(PASS|FAIL): ' "$log" | sed "s/^/  /"
	vmcs=$(tr -d '\r' < "$out/$model/serial.log" 2>/dev/null | sed -nE 's/.*vmx: on \(VMCS revision (0x[0-9a-f]+).*/\1/p' | head -n 1)
	guest=$(tr -d '\r' < "$out/$model/serial.log" 2>/dev/null | grep -a -m 1 -E '^\[guest0\] [0-9]+ passed' | sed 's/^\[guest0\] //')
	why=$(tr -d '\r' < "$out/$model/serial.log" 2>/dev/null | sed -nE 's/.*VT-x not available: (.{0,60}).*/\1/p' | head -n 1)
	rows+=("$(printf '%-26s %-6s %-8s %-24s %s' "$model" "$expect" "${vmcs:--}" "${guest:-${why:--}}" \
		"$([ "$f" -eq 0 ] && echo ok || echo FAILED)")")
done
echo
printf '%-26s %-6s %-8s %-24s %s\n' "CPU model" "expect" "VMCS rev" "result" "verdict"
printf '%s\n' "${rows[@]}"
echo
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
