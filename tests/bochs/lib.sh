#!/bin/bash
# Shared by the Bochs harnesses (run.sh, adversarial.sh): boots an ISO in
# Bochs headless under a timeout and provides the check helpers.
#
# The caller sets iso, out and (optionally) BOCHS_TIMEOUT, then sources this
# file.  Afterwards: $serial (COM1 log), $log (Bochs's log), $ending (why
# Bochs quit), $timed_out, and check NAME COMMAND... which prints PASS/FAIL
# and counts into $passed / $failed.

set -u

timeout_s=${BOCHS_TIMEOUT:-60}
bxshare=${BXSHARE:-/usr/share/bochs}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Another Bochs (tools/bochs31.sh run ROOT), another machine (bochsrc-uefi.in), another CPU.
bochs_cmd=${BOCHS_CMD:-bochs}
rc_in=${BOCHS_RC_IN:-$here/bochsrc.in}
model=${BOCHS_MODEL:-corei7_skylake_x}
cpus=${BOCHS_CPUS:-1}

# Bochs's panic message when the machine ends the run on port 0x8900.
shutdown_marker='Shutdown port: shutdown requested'

[ -f "$iso" ] || { echo "$(basename "$0"): no image at $iso" >&2; exit 2; }
mkdir -p "$out"
iso=$(cd "$(dirname "$iso")" && pwd)/$(basename "$iso")
out=$(cd "$out" && pwd)
serial=$out/serial.log
log=$out/bochs.log
rm -f "$serial" "$log" "$out/bochs.out"

if [ "${EMULATOR:-bochs}" = qemu-kvm ]; then
	# The same run under nested QEMU/KVM with OVMF (tests/kvm/run.sh, on a
	# host with VT-x): the image as a disk, COM1 into the same file.  keyhole
	# sees the hypervisor bit and ends through isa-debug-exit, whose exit
	# status is (code << 1) | 1: an odd status is keyhole's own shutdown.
	# QEMU_ACCEL="tcg -cpu max" tries this plumbing where there is no VT-x.
	cp "${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}" "$out/vars.fd"
	start=$(date +%s%N)
	timeout -k 2 "$timeout_s" qemu-system-x86_64 -machine q35 -accel ${QEMU_ACCEL:-kvm -cpu host} -m 512M -nodefaults \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" \
		-drive if=pflash,format=raw,unit=1,file="$out/vars.fd" \
		-drive format=raw,file="$iso",snapshot=on \
		-serial file:"$serial" -display none -no-reboot -net none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null > "$out/bochs.out" 2>&1
	status=$?
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	timed_out=false
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		timed_out=true
		ending="killed after the ${timeout_s} s timeout"
	elif [ $((status % 2)) -eq 1 ]; then
		ending=$shutdown_marker
	else
		ending="QEMU exit status $status: not keyhole's exit port"
	fi
else
	sed -e "s|@ISO@|$iso|" -e "s|@SERIAL@|$serial|" -e "s|@LOG@|$log|" \
		-e "s|@BXSHARE@|$bxshare|" -e "s|@MODEL@|$model|" -e "s|@CPUS@|$cpus|" "$rc_in" > "$out/bochsrc"
	# Bochs locks a disk image with IMAGE.lock and leaves the lock behind when
	# the timeout kills it; the next run would refuse the image ("image locked").
	# Runs of one image never overlap here, so a lock left now is a dead one.
	rm -f "$iso.lock"
	# Without a command file, the debugger build of Bochs stops at its prompt.
	echo c > "$out/bochs.rc"

	# Bochs ignores SIGTERM: timeout(1) follows up with SIGKILL.  --foreground
	# signals Bochs alone (the bochs wrapper execs it), not timeout itself.
	start=$(date +%s%N)
	TERM=dumb timeout --foreground -k 2 "$timeout_s" $bochs_cmd -q -f "$out/bochsrc" -rc "$out/bochs.rc" \
		< /dev/null > "$out/bochs.out" 2>&1
	status=$?
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	rm -f "$iso.lock"

	# How the run ended: timeout(1) exits 124 (137 after SIGKILL) when it stopped
	# Bochs; otherwise Bochs's last panic line says why it quit.
	timed_out=false
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		timed_out=true
		ending="killed after the ${timeout_s} s timeout"
	else
		ending=$(grep -F '>>PANIC<<' "$log" 2>/dev/null | tail -n 1 | sed 's/.*>>PANIC<< *//')
		ending=${ending:-"exit status $status, no reason in the Bochs log"}
	fi
fi
printf '%s ran %d.%03d s, ended by: %s\n' "${EMULATOR:-bochs}" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$ending"

. "$here/../lib/check.sh"

# The serial log has CR LF line ends, and GRUB leaves a CR before our first line.
# OVMF's console output holds NUL bytes, which would make grep call the log binary.
serial_text() { tr -d '\r\000' < "$serial" 2>/dev/null; }
in_serial() { serial_text | grep -Eq -- "$1"; }
not_in_serial() { ! serial_text | grep -Eq -- "$1"; }
ended_by_shutdown() { ! $timed_out && [ "$ending" = "$shutdown_marker" ]; }

# The guests' own PASS/FAIL lines: counted into guest_pass / guest_fail
# (each counts in the closing line), the failed ones shown.
count_guest_lines() {
	guest_pass=$(serial_text | grep -cE '^\[guest[0-9]+\] PASS: ')
	guest_fail=$(serial_text | grep -cE '^\[guest[0-9]+\] FAIL: ')
	echo "in-guest checks: $guest_pass passed, $guest_fail failed"
	serial_text | grep -E '^\[guest[0-9]+\] FAIL: ' | sed 's/^/  /'
}

# The harness's end: the serial log's last lines when a check failed, then
# the closing line; the exit status says whether all passed.
finish() {
	echo "serial log: $serial"
	if [ "$failed" -ne 0 ]; then
		echo "--- last lines of $serial:"
		serial_text | tail -n "${1:-30}" | sed '$a\'
		echo "--- (the emulator's own log: $log)"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
