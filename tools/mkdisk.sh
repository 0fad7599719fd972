#!/usr/bin/env bash
# Builds a BIOS-bootable hard-disk image with GRUB that boots keyhole over
# COM1 with a list of guest modules, without root (no loop device, no mount):
#
#   tools/mkdisk.sh OUT.img KEYHOLE.elf "KEYHOLE CMDLINE" [GUEST.elf "MODULE CMDLINE"]...
#
# The same arguments as tools/mkiso.sh, and the same files and grub.cfg
# (tools/grub-tree.sh).  The disk is laid out as grub-install
# --target=i386-pc leaves an MBR disk:
#
#   sector 0           GRUB's boot.img, the partition table kept (bytes 440..511)
#   sectors 1..2047    core.img (grub-mkimage), embedded in the gap before the
#                      first partition; its prefix is (hd0,msdos1)/boot/grub,
#                      and it talks on COM1 as well as the screen from the start
#   sector 2048..      partition 1, FAT16, active: /boot/keyhole.elf, the guests,
#                      /boot/grub/grub.cfg and GRUB's modules in /boot/grub/i386-pc
#
# sfdisk writes the partition table into the image file, mtools builds the
# file system at its offset in the image, dd puts boot.img and core.img in
# place; boot.img is patched the way grub-bios-setup patches it.  Two
# differences from grub-install: core.img names its partition instead of
# searching for the file system's UUID, and carries no Reed-Solomon codes
# (they only repair a gap that something else has written over).
set -eu

out=${1:?usage: mkdisk.sh OUT.img KEYHOLE.elf "KEYHOLE CMDLINE" [GUEST.elf "MODULE CMDLINE"]...}
hv=${2:?}
cmdline=${3-}
shift 3

GRUB_DIR=${GRUB_DIR:-/usr/lib/grub/i386-pc}
SECTOR=512
DISK_SECTORS=131072 # 64 MiB
PART_START=2048     # 1 MiB: the customary alignment, and GRUB's embedding gap before it
PART_SECTORS=$((DISK_SECTORS - PART_START))
PART_OFFSET=$((PART_START * SECTOR))
PREFIX='(hd0,msdos1)/boot/grub'
# What core.img needs to find and read grub.cfg and run it: the BIOS disk, the
# partition table, the file system, the normal mode, and what grub.cfg uses.
# The rest of the modules are on the partition, for a grub.cfg that wants more.
CORE_MODULES="biosdisk part_msdos fat normal multiboot2 serial terminal"

# boot.img's fields (GRUB's include/grub/i386/pc/boot.h).
BOOT_BPB_START=3       # .. 0x5a: a file system's BPB, kept from the disk
BOOT_BPB_END=$((0x5a))
BOOT_KERNEL_SECTOR=$((0x5c)) # 8 bytes, LE: the LBA of core.img's first sector
BOOT_DRIVE_CHECK=$((0x66))   # a jmp over the "is DL a hard disk" fix-up
BOOT_TABLE=440               # disk signature and partition table: never written

dir=$out.d
tmp=$out.tmp
trap 'rm -rf "$dir" "$tmp" "$tmp.core" "$tmp.early"' EXIT
rm -f "$tmp"

"$(dirname "$0")/grub-tree.sh" "$dir" "$hv" "$cmdline" "$@"
mkdir -p "$dir/boot/grub/i386-pc"
cp "$GRUB_DIR"/*.mod "$GRUB_DIR"/*.lst "$dir/boot/grub/i386-pc/"

# core.img: diskboot.img (its first sector) reads the rest from the sectors
# after it, starting at sector 2 by default: it must sit at sector 1.  Its
# embedded config adds COM1 to the screen before GRUB looks for grub.cfg, so
# that what GRUB says when it cannot find it reaches the serial log too.
cat > "$tmp.early" <<'EOF'
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input --append serial
terminal_output --append serial
EOF
# shellcheck disable=SC2086
grub-mkimage -O i386-pc -d "$GRUB_DIR" -p "$PREFIX" -c "$tmp.early" -o "$tmp.core" $CORE_MODULES
core_sectors=$((($(stat -c %s "$tmp.core") + SECTOR - 1) / SECTOR))
[ "$core_sectors" -lt "$PART_START" ] ||
	{ echo "mkdisk: core.img is $core_sectors sectors; the gap holds $((PART_START - 1))" >&2; exit 1; }
blocklist_start=$(od -An -t u8 -j $((SECTOR - 12)) -N 8 "$tmp.core" | tr -d ' ')
[ "$blocklist_start" = 2 ] ||
	{ echo "mkdisk: core.img's blocklist starts at sector $blocklist_start, not 2" >&2; exit 1; }

# The partition table: one active FAT16 (LBA) partition, and a fixed disk
# identifier rather than a random one.
truncate -s $((DISK_SECTORS * SECTOR)) "$tmp"
sfdisk --quiet "$tmp" <<EOF
label: dos
label-id: 0x6b68646b
start=$PART_START, size=$PART_SECTORS, type=e, bootable
EOF

# The file system, in place; -H: the sectors before it, as its BPB says on a
# partitioned disk.  A fixed volume serial number, likewise.
mformat -i "$tmp@@$PART_OFFSET" -T $PART_SECTORS -h 64 -s 32 -H $PART_START -N 6b68646b -v KEYHOLE ::
mcopy -s -i "$tmp@@$PART_OFFSET" "$dir/boot" ::/

# The MBR: boot.img around the BPB bytes, up to the partition table.
dd if="$GRUB_DIR/boot.img" of="$tmp" bs=1 count=$BOOT_BPB_START conv=notrunc status=none
dd if="$GRUB_DIR/boot.img" of="$tmp" bs=1 skip=$BOOT_BPB_END seek=$BOOT_BPB_END \
	count=$((BOOT_TABLE - BOOT_BPB_END)) conv=notrunc status=none
# As grub-bios-setup does: where core.img starts, and on a hard disk two NOPs
# over the jmp, so that a BIOS passing a wrong DL still reads drive 0x80.
printf '\001\000\000\000\000\000\000\000' |
	dd of="$tmp" bs=1 seek=$BOOT_KERNEL_SECTOR conv=notrunc status=none
printf '\220\220' | dd of="$tmp" bs=1 seek=$BOOT_DRIVE_CHECK conv=notrunc status=none
dd if="$tmp.core" of="$tmp" bs=$SECTOR seek=1 conv=notrunc status=none

mv "$tmp" "$out"
