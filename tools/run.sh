#!/usr/bin/env bash
# make run: boots keyhole with its built-in test guest on the best platform
# here, with the serial console on this terminal.
#
#   - nested QEMU/KVM when this CPU has VT-x (vmx in /proc/cpuinfo) and
#     /dev/kvm is usable: OVMF boots the USB image, as firmware would boot
#     the stick, and keyhole runs at hardware speed;
#   - otherwise Bochs 3.1 (build/bochs31, from make deps), which emulates
#     VT-x with EPT in software and boots the USB image through OVMF;
#     KEYHOLE_PLATFORM=bochs-grub (or no Bochs 3.1) is Bochs 2.7 with GRUB
#     booting the ISO through multiboot2.  KEYHOLE_CPU names the Bochs CPU
#     model (default corei7_skylake_x).
#
# Usage: tools/run.sh ISO [USB_IMAGE] (default: keyhole-usb.img beside the
# ISO).  KEYHOLE_PLATFORM=kvm|bochs|bochs-grub forces one; OVMF_CODE and OVMF_VARS name
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
bochs | bochs-grub)
	# Bochs 3.1 boots the USB image through OVMF, as a PC's firmware boots the
	# stick; bochs-grub (or no Bochs 3.1) is Debian 12's Bochs 2.7 with GRUB and the ISO.
	serial=$out/serial.log
	: > "$serial"
	b31=$here/build/bochs31
	if [ "$platform" = bochs ] && "$here/tools/bochs31.sh" check "$b31"; then
		echo "keyhole: no usable VT-x here (no vmx in /proc/cpuinfo, or no /dev/kvm): Bochs 3.1 emulates it; OVMF boots $usb"
		rc_in=$here/tests/bochs/bochsrc-uefi.in image=$usb
		bochs_cmd=("$here/tools/bochs31.sh" run "$b31")
	else
		[ "$platform" = bochs ] && echo "keyhole: Bochs 3.1 is not under $b31 (make deps says why): GRUB and the ISO in Bochs 2.7"
		echo "keyhole: no usable VT-x here: Bochs 2.7 emulates it; GRUB boots $iso"
		rc_in=$here/tests/bochs/bochsrc.in image=$iso
		bochs_cmd=(bochs)
	fi
	echo "keyhole: serial console (COM1) follows; Ctrl-C ends it, and Bochs quits when keyhole shuts down"
	sed -e "s|@ISO@|$image|" -e "s|@SERIAL@|$serial|" -e "s|@LOG@|$out/bochs.log|" \
		-e "s|@BXSHARE@|${BXSHARE:-/usr/share/bochs}|" -e "s|@MODEL@|${KEYHOLE_CPU:-corei7_skylake_x}|" \
		-e "s|@CPUS@|1|" "$rc_in" > "$out/bochsrc"
	echo c > "$out/bochs.rc"
	TERM=dumb "${bochs_cmd[@]}" -q -f "$out/bochsrc" -rc "$out/bochs.rc" < /dev/null > "$out/bochs.out" 2>&1 &
	bochs_pid=$!
	trap 'kill -9 $bochs_pid 2>/dev/null' INT TERM
	tail -n +1 --pid=$bochs_pid -f "$serial" | tr -d '\r'
	wait $bochs_pid 2>/dev/null
	grep -q 'Shutdown port: shutdown requested' "$out/bochs.log" ||
		echo "keyhole: Bochs ended without keyhole's shutdown; see $out/bochs.log"
	;;
*)
	echo "KEYHOLE_PLATFORM must be kvm, bochs (Bochs 3.1, UEFI) or bochs-grub (Bochs 2.7, GRUB)" >&2
	exit 2
	;;
esac
