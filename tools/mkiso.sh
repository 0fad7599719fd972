#!/usr/bin/env bash
# Builds a GRUB (BIOS) ISO that boots keyhole over COM1 with a list of guest
# modules:
#
#   tools/mkiso.sh OUT.iso KEYHOLE.elf "KEYHOLE CMDLINE" [GUEST.elf "MODULE CMDLINE"]...
#
# Each guest file is copied once (an ELF file stripped of debug info, which
# GRUB would otherwise read from the CD for nothing; anything else, such as a
# bzImage or an initrd, as it is) and may appear in many modules.
set -eu
out=$1 hv=$2 cmdline=$3
shift 3
dir=$out.d
rm -rf "$dir"
mkdir -p "$dir/boot/grub"
objcopy --strip-debug "$hv" "$dir/boot/keyhole.elf"
{
	echo 'serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1'
	echo 'terminal_input serial'
	echo 'terminal_output serial'
	echo 'set timeout=0'
	echo 'menuentry "keyhole" {'
	echo "	multiboot2 /boot/keyhole.elf $cmdline"
	while [ $# -ge 2 ]; do
		name=$(basename "$1")
		if [ ! -f "$dir/boot/$name" ]; then
			if cmp -s -n 4 "$1" <(printf '\177ELF'); then
				objcopy --strip-debug "$1" "$dir/boot/$name"
			else
				cp "$1" "$dir/boot/$name"
			fi
		fi
		echo "	module2 /boot/$name $2"
		shift 2
	done
	echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue --fonts= --locales= --themes= -o "$out" "$dir" > "$out.log" 2>&1 ||
	{ cat "$out.log" >&2; exit 1; }
rm -rf "$dir" "$out.log"
