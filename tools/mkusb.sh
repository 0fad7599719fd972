#!/usr/bin/env bash
# Builds keyhole's bootable USB image without root: a GPT disk with one EFI
# system partition holding
#
#   EFI/BOOT/BOOTX64.EFI      the loader, with keyhole inside (the removable-
#                             media path every UEFI firmware boots)
#   EFI/keyhole/guest.elf     the guest keyhole runs
#   EFI/keyhole/options.txt   keyhole's command line
#
#   tools/mkusb.sh OUT BOOTX64.EFI GUEST.ELF "OPTIONS"     (make usb)
#
# The partition is FAT16, which UEFI requires firmware to read on removable
# media (FAT32 is only required of fixed disks and needs 32 MiB more).
# mtools builds the file system in a file of its own; sfdisk writes the
# partition table into the image file; dd puts the one into the other.
set -eu

out=${1:?usage: mkusb.sh OUT BOOTX64.EFI GUEST.ELF OPTIONS}
efi_app=${2:?}
guest=${3:?}
options=${4-}

SECTOR=512
ESP_START=2048    # 1 MiB: the customary alignment for the first partition
ESP_SECTORS=65536 # 32 MiB
GPT_BACKUP=2048   # the backup GPT needs 33 sectors at the end; keep 1 MiB
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B

esp=$out.esp
tmp=$out.tmp
rm -f "$esp" "$tmp"
trap 'rm -f "$esp" "$tmp" "$esp.options"' EXIT

# The same geometry mformat would pick for 32 MiB, spelt out so it never changes.
mformat -i "$esp" -C -T $ESP_SECTORS -h 64 -s 32 -v KEYHOLE ::
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/keyhole
mcopy -i "$esp" "$efi_app" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$guest" ::/EFI/keyhole/guest.elf
{
	echo "# keyhole's command line (README, \"Command line\"); lines are joined with spaces."
	echo "$options"
} > "$esp.options"
mcopy -i "$esp" "$esp.options" ::/EFI/keyhole/options.txt

truncate -s $(((ESP_START + ESP_SECTORS + GPT_BACKUP) * SECTOR)) "$tmp"
sfdisk --quiet "$tmp" <<EOF
label: gpt
start=$ESP_START, size=$ESP_SECTORS, type=$ESP_TYPE, name="keyhole EFI system partition"
EOF
dd if="$esp" of="$tmp" bs=$SECTOR seek=$ESP_START conv=notrunc status=none
mv "$tmp" "$out"
