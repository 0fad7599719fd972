#!/usr/bin/env bash
# Builds keyhole's bootable USB image without root: a GPT disk with one EFI
# system partition holding
#
#   EFI/BOOT/BOOTX64.EFI      the loader, with keyhole inside (the removable-
#                             media path every UEFI firmware boots)
#   EFI/keyhole/options.txt   keyhole's command line and its module lines
#   EFI/keyhole/guest.elf     the default guest (-g), run when no module
#                             line names another
#   EFI/keyhole/NAME          each module's file, under its own name
#
#   tools/mkusb.sh [-g GUEST.ELF] OUT BOOTX64.EFI "OPTIONS" [FILE "WORDS"]...
#
# Each FILE "WORDS" pair becomes the options.txt line `module
# \EFI\keyhole\NAME WORDS`, in order, exactly as mkiso.sh's pairs become
# grub.cfg's module2 lines: WORDS is "guest ...", "linux CMDLINE" or
# "initrd".  A file named twice is copied once.
#
# The partition is FAT16, which UEFI requires firmware to read on removable
# media (FAT32 is only required of fixed disks and needs 32 MiB more); it
# is 32 MiB, or as much more as the files need.  mtools builds the file
# system in a file of its own; sfdisk writes the partition table into the
# image file; dd puts the one into the other.
set -eu

default_guest=
if [ "${1-}" = -g ]; then
	default_guest=${2:?usage: mkusb.sh [-g GUEST.ELF] OUT BOOTX64.EFI OPTIONS [FILE WORDS]...}
	shift 2
fi
usage='usage: mkusb.sh [-g GUEST.ELF] OUT BOOTX64.EFI OPTIONS [FILE WORDS]...'
out=${1:?$usage}
efi_app=${2:?$usage}
options=${3-}
shift 3 || shift $#
[ $(($# % 2)) -eq 0 ] || { echo "mkusb.sh: FILE without its WORDS: $usage" >&2; exit 2; }

SECTOR=512
ESP_START=2048    # 1 MiB: the customary alignment for the first partition
ESP_MIN_MIB=32
GPT_BACKUP=2048   # the backup GPT needs 33 sectors at the end; keep 1 MiB
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B

esp=$out.esp
tmp=$out.tmp
rm -f "$esp" "$tmp"
trap 'rm -f "$esp" "$tmp" "$esp.options"' EXIT

# Room for every file, an eighth more for the FAT and the clusters' slack, and 4 MiB.
bytes=$(stat -c %s "$efi_app" ${default_guest:+"$default_guest"})
args=("$@")
for ((i = 0; i < ${#args[@]}; i += 2)); do
	bytes="$bytes $(stat -c %s "${args[i]}")"
done
total=0
for b in $bytes; do total=$((total + b)); done
esp_mib=$(((total + total / 8) / 1048576 + 4))
[ "$esp_mib" -ge $ESP_MIN_MIB ] || esp_mib=$ESP_MIN_MIB
ESP_SECTORS=$((esp_mib * 2048))

# The geometry spelt out so it never changes with mtools' guesses.
mformat -i "$esp" -C -T $ESP_SECTORS -h 64 -s 32 -v KEYHOLE ::
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/keyhole
mcopy -i "$esp" "$efi_app" ::/EFI/BOOT/BOOTX64.EFI
[ -z "$default_guest" ] || mcopy -i "$esp" "$default_guest" ::/EFI/keyhole/guest.elf
{
	echo "# keyhole's command line (README, \"Command line\"); these lines are joined with spaces."
	echo "$options"
	[ $# -eq 0 ] || echo "# The guests, run in this order (README, \"On a real machine, from a USB stick\")."
} > "$esp.options"
declare -A copied=()
while [ $# -gt 0 ]; do
	file=$1 words=$2
	shift 2
	name=$(basename "$file")
	if [ -z "${copied[$name]-}" ]; then
		mcopy -i "$esp" "$file" "::/EFI/keyhole/$name"
		copied[$name]=$(realpath "$file")
	elif [ "${copied[$name]}" != "$(realpath "$file")" ]; then
		echo "mkusb.sh: two files named $name: $file and ${copied[$name]}" >&2
		exit 2
	fi
	echo "module \\EFI\\keyhole\\$name $words" >> "$esp.options"
done
mcopy -i "$esp" "$esp.options" ::/EFI/keyhole/options.txt

truncate -s $(((ESP_START + ESP_SECTORS + GPT_BACKUP) * SECTOR)) "$tmp"
sfdisk --quiet "$tmp" <<EOF
label: gpt
start=$ESP_START, size=$ESP_SECTORS, type=$ESP_TYPE, name="keyhole EFI system partition"
EOF
dd if="$esp" of="$tmp" bs=$SECTOR seek=$ESP_START conv=notrunc status=none
mv "$tmp" "$out"
