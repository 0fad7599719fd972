#!/usr/bin/env bash
# Builds a GRUB (BIOS) ISO that boots a Linux kernel straight, with no
# hypervisor under it: make bench-linux's bare-machine run.
#
#   tools/mkiso-linux.sh OUT.iso BZIMAGE "KERNEL CMDLINE" INITRD
#
# The same GRUB setup as tools/grub-tree.sh's (COM1, no menu wait); one
# entry with GRUB's linux and initrd commands.
set -eu
out=$1 kernel=$2 cmdline=$3 initrd=$4
dir=$out.d
rm -rf "$dir"
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/bzImage"
cp "$initrd" "$dir/boot/initrd.cpio.gz"
{
	echo 'serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1'
	echo 'terminal_input serial'
	echo 'terminal_output serial'
	echo 'set timeout=0'
	echo 'menuentry "linux" {'
	echo "	linux /boot/bzImage $cmdline"
	echo '	initrd /boot/initrd.cpio.gz'
	echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue --fonts= --locales= --themes= -o "$out" "$dir" > "$out.log" 2>&1 ||
	{ cat "$out.log" >&2; exit 1; }
rm -rf "$dir" "$out.log"
