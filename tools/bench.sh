#!/usr/bin/env bash
# make bench: boots keyhole with the benchmark guest in Bochs (RDTSC counts
# instructions there), collects the figures keyhole and the guest print, adds
# the image size, and prints a table plus one "bench <name> <value> <unit>"
# line per metric.
#
#   tools/bench.sh ISO KEYHOLE.elf OUTDIR
set -u
iso=${1:?usage: bench.sh ISO KEYHOLE.elf OUTDIR} elf=${2:?} out=${3:?}
here=$(cd "$(dirname "$0")/.." && pwd)
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
. "$here/tests/bochs/lib.sh"

lines=$(serial_text | sed -nE 's/^\[(guest0|keyhole)\] (bench .*)/\2/p')
# The image is what a loader places: the PT_LOAD segments' file bytes (text,
# rodata, data).  Memory it occupies once running adds the zeroed bss.
image_bytes=0
for size in $(readelf -lW "$elf" | awk '$1 == "LOAD" { print $5 }'); do
	image_bytes=$((image_bytes + size))
done
img_start=$(nm "$elf" | awk '$3 == "__image_start" { print $1 }')
img_end=$(nm "$elf" | awk '$3 == "__image_end" { print $1 }')
image_memory_bytes=$(( 0x$img_end - 0x$img_start ))
blob_start=$(nm "$elf" | awk '$3 == "keyhole_guest_elf_start" { print $1 }')
blob_end=$(nm "$elf" | awk '$3 == "keyhole_guest_elf_end" { print $1 }')
blob=$(( 0x${blob_end:-0} - 0x${blob_start:-0} ))
cost_line=$(serial_text | sed -nE 's/^\[keyhole\] guest0: memory cost per GiB: //p')
ept_per_gib=$(sed -nE 's/.*total ([0-9]+)/\1/p' <<<"$cost_line")

declare -A target=( [vmcall_roundtrip]=150 [protected_read8_overhead]=40 [boot_to_guest]=20000000
	[image_bytes]=262144 [ept_bytes_per_gib]=65536 )
table=()
add() { # name value unit detail
	local t=${target[$1]:-} mark=""
	[ -n "$t" ] && { [ "$2" -le "$t" ] && mark="meets <= $t" || mark="MISSES <= $t"; }
	table+=("$(printf '%-26s %12s %-6s %-22s %s' "$1" "$2" "$3" "$4" "$mark")")
	machine+=("bench $1 $2 $3")
}
machine=()
while read -r _ name value unit rest; do
	[ -n "${name:-}" ] || continue
	add "$name" "$value" "$unit" "$(sed -E 's/iterations=[0-9]+//' <<<"$rest")"
	eval "v_$name=$value"
done <<<"$(grep -E '^bench [a-z0-9_]+ [0-9]+ (instr|bytes)' <<<"$lines")"
if [ -n "${v_read8_protected:-}" ] && [ -n "${v_read8_shared:-}" ]; then
	add protected_read8_overhead $((v_read8_protected - v_read8_shared)) instr "(protected - shared)"
fi
add image_bytes "$image_bytes" bytes "(test guest inside: $blob)"
add image_memory_bytes "$image_memory_bytes" bytes "(image + bss, running)"
[ -n "$ept_per_gib" ] && add ept_bytes_per_gib "$ept_per_gib" bytes "($cost_line)"

echo
printf '%-26s %12s %-6s %-22s %s\n' metric min unit detail target
printf '%s\n' "${table[@]}"
echo
printf '%s\n' "${machine[@]}"
ended_by_shutdown || { echo "bench: keyhole did not shut down cleanly; see $serial"; exit 1; }
