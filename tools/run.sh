#!/usr/bin/env bash
# make run: boots keyhole with its built-in test guest on the best platform
# here, with the serial console on this terminal.
#
#   - nested QEMU/KVM when this CPU has VT-x (vmx in /proc/cpuinfo) and
#     /dev/kvm is usable: OVMF boots the USB image, as firmware would boot
#     the stick, and keyhole runs at hardware speed;
#   - otherwise Bochs, which emulates VT-x with EPT in software but has no
#     UEFI: GRUB boots the ISO through multiboot2.
#
# Usage: tools/run.sh ISO [USB_IMAGE] (default: keyhole-usb.img beside the
# ISO).  KEYHOLE_PLATFORM=bochs|kvm forces one; OVMF_CODE and OVMF_VARS name
# other firmware files.
set -u
iso=${1:?usage: run.sh ISO [USB_IMAGE]}
usb=${2:-$(dirname "$iso")/keyhole-usb.img}
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
	echo "keyhole: this CPU has VT-x and /dev/kvm works: nested QEMU/KVM (-cpu host), OVMF booting $usb; Ctrl-A X quits"
	# A fresh variable store each run; snapshot=on leaves the image as built.
	cp "${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}" "$out/vars.fd"
	exec qemu-system-x86_64 -machine q35 -accel kvm -cpu host -m 512M -nodefaults \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" \
		-drive if=pflash,format=raw,unit=1,file="$out/vars.fd" \
		-drive format=raw,file="$usb",snapshot=on \
		-serial stdio -display none -no-reboot -net none \
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
