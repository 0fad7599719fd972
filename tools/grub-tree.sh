#!/usr/bin/env bash
# Lays out the files GRUB boots keyhole from, the same on every GRUB image
# (tools/mkiso.sh, the CD; tools/mkdisk.sh, the hard disk):
#
#   tools/grub-tree.sh DIR KEYHOLE.elf "KEYHOLE CMDLINE" [GUEST "MODULE CMDLINE"]...
#
# writes DIR/boot/keyhole.elf, DIR/boot/<each guest's file name> and
# DIR/boot/grub/grub.cfg: GRUB on COM1, no menu wait, one entry with the
# multiboot2 line and a module2 line per guest.  Each guest file is copied
# once (an ELF file stripped of debug info, which GRUB would otherwise read
# for nothing; anything else, such as a bzImage or an initrd, as it is) and
# may appear in many modules.
set -eu
dir=$1 hv=$2 cmdline=$3
shift 3
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
