#!/usr/bin/env bash
# make run: boots keyhole with its built-in test guest on the best platform
# here, with the serial console on this terminal.
#
#   - nested QEMU/KVM when this CPU has VT-x (vmx in /proc/cpuinfo) and
#     /dev/kvm is usable: the real thing, at hardware speed;
#   - otherwise Bochs, which emulates VT-x with EPT in software.
#
# Usage: tools/run.sh ISO.  KEYHOLE_PLATFORM=bochs|kvm forces one.
set -u
iso=${1:?usage: run.sh ISO}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/build/run
mkdir -p "$out"

platform=${KEYHOLE_PLATFORM:-}
if [ -z "$platform" ]; then
	if grep -qw vmx /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		platform=kvm
	else
		platform=bochs
	fi
fi

case $platform in
kvm)
	echo "keyhole: this CPU has VT-x and /dev/kvm works: nested QEMU/KVM (-cpu host); Ctrl-A X quits"
	exec qemu-system-x86_64 -machine q35 -accel kvm -cpu host -m 512M -nodefaults \
		-cdrom "$iso" -serial stdio -display none -no-reboot -net none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
	;;
bochs)
	echo "keyhole: no usable VT-x here (no vmx in /proc/cpuinfo, or no /dev/kvm): Bochs emulates it"
	echo "keyhole: serial console (COM1) follows; Bochs quits when keyhole shuts down"
	serial=$out/serial.log
	: > "$serial"
	sed -e "s|@ISO@|$iso|" -e "s|@SERIAL@|$serial|" -e "s|@LOG@|$out/bochs.log|" \
		-e "s|@BXSHARE@|${BXSHARE:-/usr/share/bochs}|" "$here/tests/bochs/bochsrc.in" > "$out/bochsrc"
	echo c > "$out/bochs.rc"
	TERM=dumb bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc" < /dev/null > "$out/bochs.out" 2>&1 &
	bochs_pid=$!
	trap 'kill -9 $bochs_pid 2>/dev/null' INT TERM
	tail -n +1 --pid=$bochs_pid -f "$serial" | tr -d '\r'
	wait $bochs_pid 2>/dev/null
	grep -q 'Shutdown port: shutdown requested' "$out/bochs.log" ||
		echo "keyhole: Bochs ended without keyhole's shutdown; see $out/bochs.log"
	;;
*)
	echo "KEYHOLE_PLATFORM must be kvm or bochs" >&2
	exit 2
	;;
esac
