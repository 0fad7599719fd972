#!/usr/bin/env bash
# Installs the Debian packages keyhole uses, only those that are missing.
# As root it runs apt-get itself (apt-get update first, only when something
# is missing); otherwise it prints the exact command to run and fails.
set -eu

PACKAGES=(
	gcc make binutils                                 # the hypervisor, the unit tests
	libc6-dev                                         # the static hcprobe and kvmclock of make test-linux
	gnu-efi                                           # BOOTX64.EFI
	qemu-system-x86 ovmf                              # the UEFI path
	bochs bochsbios vgabios bochs-term                # VT-x with EPT, emulated
	grub-pc-bin grub-common xorriso mtools dosfstools # the ISO, USB and disk images
	fdisk                                             # sfdisk: the USB image's GPT, the disk image's MBR
	newlib-source                                     # the test guest's C library
	clang                                             # libFuzzer
	cpio                                              # the Linux guest's initramfs (make test-linux)
	python3                                           # tools/check-tree.py (make test-tree)
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

# Bochs 3.1 (UEFI with VT-x) from Debian unstable, unpacked under build/ (tools/bochs31.sh):
# a failure says why in one line and the suites that need it report themselves skipped.
bochs31() {
	[ -x /usr/bin/dpkg ] && "$(dirname "$0")/bochs31.sh" setup "$(dirname "$0")/../build/bochs31" || true
}

if [ ${#missing[@]} -eq 0 ]; then
	bochs31
	exit 0
fi

echo "keyhole: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "keyhole: not root, so not installing them. Run:"
	echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "keyhole: installed ${missing[*]}"
bochs31
