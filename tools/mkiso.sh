#!/usr/bin/env bash
# Builds a GRUB (BIOS) ISO that boots keyhole over COM1 with a list of guest
# modules:
#
#   tools/mkiso.sh OUT.iso KEYHOLE.elf "KEYHOLE CMDLINE" [GUEST.elf "MODULE CMDLINE"]...
#
# The files and grub.cfg are tools/grub-tree.sh's (the same as on the disk
# image of tools/mkdisk.sh); grub-mkrescue makes the CD of them.
set -eu
out=$1
dir=$out.d
"$(dirname "$0")/grub-tree.sh" "$dir" "$2" "$3" "${@:4}"
grub-mkrescue --fonts= --locales= --themes= -o "$out" "$dir" > "$out.log" 2>&1 ||
	{ cat "$out.log" >&2; exit 1; }
rm -rf "$dir" "$out.log"
