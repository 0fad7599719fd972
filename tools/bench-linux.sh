#!/usr/bin/env bash
# make bench-linux: the same Linux kernel and bench initramfs booted in the
# same Bochs twice, on the bare (emulated) machine and under keyhole
# (protect=all, no audit, `bench`), one after the other; each reaches the
# same userspace marker and runs the same phases (tests/linux/bench-init).
# Prints per phase the guest's TSC delta (Bochs's TSC counts instructions),
# its CLOCK_MONOTONIC and the host's wall time, the ratio keyhole/native
# against issue #15's targets, and keyhole's exits by reason per phase
# (its bench-marker lines, hv/vm/exit_stats.h); then one "bench-linux
# <name> <value> <unit>" line per figure.
#
#   tools/bench-linux.sh NATIVE.iso KEYHOLE.iso OUTDIR
#
# It reports and fails nothing for a missed target; it exits non-zero only
# when a run did not reach its end (the serial logs are under OUTDIR).
# BENCH_LINUX_REPORT_ONLY=1: no runs, the report of the last ones in OUTDIR;
# BENCH_LINUX_ONLY=native|keyhole: that run only, with the other's last log.
set -u
native_iso=${1:?usage: bench-linux.sh NATIVE.iso KEYHOLE.iso OUTDIR} keyhole_iso=${2:?} outdir=${3:?}
root=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=${BOCHS_TIMEOUT:-600}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# The host's wall time at which each BENCH-LINUX line first shows in the
# serial log, in ms from the start (polled every 0.2 s: Bochs writes COM1's
# file as the guest sends).
watch_serial() { # SERIAL OUT
	local start now key
	start=$(date +%s%N)
	: > "$2"
	while :; do
		now=$(( ($(date +%s%N) - start) / 1000000 ))
		[ -f "$1" ] && tr -d '\r' < "$1" | sed -nE 's/^BENCH-LINUX: (boot|phase [a-z]+|done).*/\1/p' |
			while read -r key; do
				key=${key#phase }
				grep -q "^$key " "$2" || echo "$key $now" >> "$2"
			done
		sleep 0.2
	done
}

# One boot of ISO in Bochs, as tests/bochs/lib.sh runs it (its bochsrc):
# OUTDIR/NAME/serial.log, OUTDIR/NAME/wall.
run_one() { # NAME ISO
	local name=$1 dir=$outdir/$1 w
	mkdir -p "$dir"
	rm -f "$dir/serial.log"
	watch_serial "$dir/serial.log" "$dir/wall" &
	w=$!
	(iso=$2 out=$dir BOCHS_TIMEOUT=$timeout_s; . "$root/tests/bochs/lib.sh"
		ended_by_shutdown && echo clean > "$dir/ending" || echo "$ending" > "$dir/ending")
	sleep 0.3
	kill "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	tr -d '\r\000' < "$dir/serial.log" > "$dir/serial.txt" 2>/dev/null
}

only=${BENCH_LINUX_ONLY:-}
if [ -z "${BENCH_LINUX_REPORT_ONLY:-}" ]; then
	if [ "$only" != keyhole ]; then
		echo "bench-linux: 1/2, Linux on the bare (emulated) machine"
		run_one native "$native_iso"
	fi
	if [ "$only" != native ]; then
		echo "bench-linux: 2/2, Linux under keyhole (protect=all, no audit)"
		run_one keyhole "$keyhole_iso"
	fi
fi

fail=0
for run in native keyhole; do
	if ! grep -q '^BENCH-LINUX: done' "$outdir/$run/serial.txt"; then
		echo "bench-linux: the $run run did not reach the end of its workload (ended by: $(cat "$outdir/$run/ending"));" \
			"see $outdir/$run/serial.log" >&2
		grep -q '^BENCH-LINUX: boot ' "$outdir/$run/serial.txt" ||
			echo "bench-linux: it never reached the userspace marker" >&2
		fail=1
	elif [ "$(cat "$outdir/$run/ending")" != clean ]; then
		echo "bench-linux: note: the $run run ended by: $(cat "$outdir/$run/ending")" >&2
	fi
done
kh=$outdir/keyhole/serial.txt
if [ "$fail" -eq 0 ] && ! grep -q '^\[keyhole\] guest0: bench-linux marker 4:' "$kh"; then
	echo "bench-linux: keyhole logged no exits for the last phase (its bench-marker lines, CPUID 0x40000002);" \
		"see $outdir/keyhole/serial.log" >&2
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1

# ---- the figures ----
field() { sed -nE "s/.*[ ]$2=([0-9]+).*/\1/p" <<<"$1"; }
phase_line() { grep -E "^BENCH-LINUX: phase $2 " "$outdir/$1/serial.txt" | head -n 1; }
wall_ms() { # RUN KEY: ms from the previous line's key to this one's (boot: from Bochs's start)
	awk -v k="$2" '$1 == k { print $2 - prev; exit } { prev = $2 } BEGIN { prev = 0 }' "$outdir/$1/wall"
}
ratio() { [ "${2:-0}" -gt 0 ] && echo $(($1 * 1000 / $2)) || echo 0; } # thousandths
dec3() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

phases=(boot compute forkexec dd)
declare -A tsc mono wall markers
for run in native keyhole; do
	b=$(grep -E '^BENCH-LINUX: boot ' "$outdir/$run/serial.txt" | head -n 1)
	tsc[$run.boot]=$(field "$b" tsc)
	mono[$run.boot]=$(field "$b" mono_ns)
	wall[$run.boot]=$(wall_ms $run boot)
	for p in compute forkexec dd; do
		l=$(phase_line $run $p)
		tsc[$run.$p]=$(field "$l" tsc_delta)
		mono[$run.$p]=$(field "$l" mono_ns)
		wall[$run.$p]=$(wall_ms $run $p)
	done
	tsc[$run.workload]=$((tsc[$run.compute] + tsc[$run.forkexec] + tsc[$run.dd]))
	mono[$run.workload]=$((mono[$run.compute] + mono[$run.forkexec] + mono[$run.dd]))
	wall[$run.workload]=$((${wall[$run.compute]:-0} + ${wall[$run.forkexec]:-0} + ${wall[$run.dd]:-0}))
done
# keyhole's own lines: its boot, each phase's exits (marker 1 boot, 2 compute, 3 fork/exec, 4 dd), its end.
boot_to_guest=$(sed -nE 's/^\[keyhole\] bench boot_to_guest ([0-9]+) instr.*/\1/p' "$kh" | head -n 1)
i=1
for p in "${phases[@]}"; do
	markers[$p]=$(sed -nE "s/^\[keyhole\] guest0: bench-linux marker $i: (.*)/\1/p" "$kh" | head -n 1)
	i=$((i + 1))
done
exits_of() { sed -nE 's/^([0-9]+) exits.*/\1/p' <<<"${markers[$1]}"; }
ticks_in_keyhole() { sed -nE 's/.*, ([0-9]+) of them in keyhole.*/\1/p' <<<"${markers[$1]}"; }
first_entry_ticks() { sed -nE 's/^[0-9]+ exits in ([0-9]+) TSC ticks.*/\1/p' <<<"${markers[$1]}"; }
end_lines=$(grep -E '^\[keyhole\] guest0: ([0-9]+ exits in [0-9]+ ms of its clock|memory cost per GiB)' "$kh")

declare -A target=( [boot]=1100 [compute]=1050 [forkexec]=1050 [dd]=1050 [workload]=1050 )
met=0 missed=0
machine=()
fig() { machine+=("bench-linux $1 $2 $3"); }
echo
printf '%-10s %15s %15s %7s %11s %11s %9s %9s  %s\n' phase "native instr" "keyhole instr" ratio \
	"native ms" "keyhole ms" "wall n s" "wall k s" "target"
for p in boot compute forkexec dd workload; do
	r=$(ratio "${tsc[keyhole.$p]}" "${tsc[native.$p]}")
	t=${target[$p]}
	if [ "$r" -le "$t" ]; then mark="meets <= $(dec3 "$t")"; met=$((met + 1));
	else mark="MISSES <= $(dec3 "$t")"; missed=$((missed + 1)); fi
	wn=${wall[native.$p]:-0} wk=${wall[keyhole.$p]:-0}
	printf '%-10s %15s %15s %7s %11s %11s %9s %9s  %s\n' "$p" "${tsc[native.$p]}" "${tsc[keyhole.$p]}" "$(dec3 "$r")" \
		$((mono[native.$p] / 1000000)) $((mono[keyhole.$p] / 1000000)) "$(dec3 "$wn")" "$(dec3 "$wk")" "$mark"
	fig "${p}_native" "${tsc[native.$p]}" instr
	fig "${p}_keyhole" "${tsc[keyhole.$p]}" instr
	fig "${p}_ratio" "$(dec3 "$r")" ratio
	fig "${p}_wall_native" "$(dec3 "$wn")" s
	fig "${p}_wall_keyhole" "$(dec3 "$wk")" s
done
echo "  instr: the guest's TSC delta (Bochs: one tick per instruction).  boot: the TSC at the userspace marker,"
echo "  counted from the machine's reset in both runs (BIOS and GRUB in both; under keyhole also keyhole's own boot)."
echo "  ms: the guest's CLOCK_MONOTONIC across the phase (for boot: from the kernel's clocksource start)."
echo "  wall: the host's seconds between the serial lines (polled every 0.2 s; the host is shared, so noisy)."
echo "  workload: compute + forkexec + dd."

# What keyhole adds to the boot, apart: its own path to the first VM entry, and the kernel from there on.
if [ -n "$boot_to_guest" ]; then
	kernel_ticks=$(first_entry_ticks boot)
	rest=$((tsc[keyhole.boot] - boot_to_guest))
	echo
	echo "boot under keyhole, in parts:"
	printf '  %-58s %13s instr\n' "keyhole's entry to its first VM entry (boot_to_guest)" "$boot_to_guest"
	printf '  %-58s %13s instr\n' "Linux's first instruction to the userspace marker" "${kernel_ticks:-?}"
	printf '  %-58s %13s instr  (ratio %s to native reset->marker)\n' "reset->marker less keyhole's boot_to_guest" \
		"$rest" "$(dec3 "$(ratio "$rest" "${tsc[native.boot]}")")"
	fig boot_to_guest "$boot_to_guest" instr
	fig boot_kernel_to_marker_keyhole "${kernel_ticks:-0}" instr
	fig boot_less_keyhole_ratio "$(dec3 "$(ratio "$rest" "${tsc[native.boot]}")")" ratio
fi

echo
echo "keyhole's exits per phase (by basic exit reason; marker CPUIDs included), and its own time in them:"
for p in "${phases[@]}"; do
	e=$(exits_of "$p") k=$(ticks_in_keyhole "$p")
	share=""
	if [ -n "$k" ] && [ "$p" != boot ] && [ "${tsc[native.$p]:-0}" -gt 0 ]; then
		share=$(printf ' (%s%% of the native phase)' "$(dec3 $((k * 100000 / tsc[native.$p])))")
	fi
	printf '  %-9s %s%s\n' "$p" "${markers[$p]:-(no marker line)}" "$share"
	fig "exits_$p" "${e:-0}" exits
	fig "keyhole_ticks_$p" "${k:-0}" instr
done
echo "  (\"in keyhole\": the steal time keyhole accounts, from exit to entry, once Linux has turned steal time on)"
# The machine each kernel saw: what differs besides keyhole's exits.
flags_of() { sed -nE 's/^BENCH-LINUX: flags ?: (.*)/\1/p' "$outdir/$1/serial.txt" | head -n 1 | tr ' ' '\n' | sort -u; }
only_native=$(comm -23 <(flags_of native) <(flags_of keyhole) | tr '\n' ' ')
only_keyhole=$(comm -13 <(flags_of native) <(flags_of keyhole) | tr '\n' ' ')
echo
echo "what else differs (Linux's view of the machine):"
for run in native keyhole; do
	printf '  %-8s clocksource %s\n' "$run" "$(sed -nE 's/^BENCH-LINUX: clocksource (.*)/\1/p' "$outdir/$run/serial.txt")"
done
echo "  CPU flags only natively: ${only_native:-none}"
echo "  CPU flags only under keyhole: ${only_keyhole:-none}"
echo
echo "keyhole at the guest's end:"
sed 's/^/  /' <<<"${end_lines:-(none)}"
echo
echo "targets: $met met, $missed missed (benchmarks report; they fail nothing)"
echo
printf '%s\n' "${machine[@]}"
