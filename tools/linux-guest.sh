#!/usr/bin/env bash
# Fetches Debian's kernel and builds the initramfs that make test-linux boots
# under keyhole:
#
#   tools/linux-guest.sh kernel OUTDIR      OUTDIR/bzImage: the kernel of Debian's
#                                           linux-image-amd64 (apt-get download)
#   tools/linux-guest.sh initrd OUTDIR INIT [TOOL]...
#                                           OUTDIR/initrd.cpio.gz: busybox-static, INIT as /init,
#                                           and from INIT's folder hcprobe.c and kvmclock.c
#                                           as /bin/hcprobe and /bin/kvmclock, and each
#                                           TOOL.c there as /bin/TOOL (make bench-linux's bench)
#
# Nothing is installed: the packages are downloaded into OUTDIR and unpacked
# there with dpkg-deb.  LINUX_PACKAGE names another kernel package.
set -eu -o pipefail

what=$1 out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)

# apt-get download writes into the current directory; as root, apt warns that
# its sandbox user cannot write there, which is harmless.
download() {
	local pkg=$1
	rm -f "$out/$pkg"_*.deb
	if ! (cd "$out" && apt-get download -q "$pkg" 2>&1 | grep -v 'unsandboxed' >&2); then
		:
	fi
	ls "$out/$pkg"_*.deb > /dev/null 2>&1 || {
		echo "linux-guest.sh: apt-get download $pkg failed (run apt-get update, or check the network)" >&2
		exit 1
	}
}

case $what in
kernel)
	pkg=${LINUX_PACKAGE:-$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)}
	[ -n "$pkg" ] || { echo "linux-guest.sh: no linux-image-amd64 in apt's lists (apt-get update)" >&2; exit 1; }
	download "$pkg"
	rm -rf "$out/kernel-pkg"
	mkdir -p "$out/kernel-pkg"
	dpkg-deb --fsys-tarfile "$out/$pkg"_*.deb | tar -x -C "$out/kernel-pkg" --wildcards './boot/vmlinuz-*'
	cp "$out"/kernel-pkg/boot/vmlinuz-* "$out/bzImage"
	rm -rf "$out/kernel-pkg"
	echo "  KERNEL  $out/bzImage ($pkg)"
	;;
initrd)
	init=$3
	shift 3
	download busybox-static
	root=$out/initramfs
	rm -rf "$root" "$out/busybox-pkg"
	dpkg-deb -x "$out"/busybox-static_*.deb "$out/busybox-pkg"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
	cp "$out/busybox-pkg/bin/busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$init" "$root/init"
	chmod 755 "$root/init"
	# The unprivileged hypercall probe (tests/linux/hcprobe.c) and the clock and steal-time
	# probe (tests/linux/kvmclock.c), static, with the host's gcc.
	for tool in hcprobe kvmclock "$@"; do
		${CC:-gcc} -static -O2 -Wall -Wextra -Werror -Iinclude -o "$root/bin/$tool" "$(dirname "$init")/$tool.c"
	done
	# The console the kernel opens for /init; without root, /init mounts devtmpfs instead.
	[ "$(id -u)" -ne 0 ] || mknod -m 600 "$root/dev/console" c 5 1
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initrd.cpio.gz"
	rm -rf "$root" "$out/busybox-pkg"
	echo "  INITRD  $out/initrd.cpio.gz"
	;;
*)
	echo "usage: linux-guest.sh kernel OUTDIR | initrd OUTDIR INIT [TOOL]..." >&2
	exit 2
	;;
esac
