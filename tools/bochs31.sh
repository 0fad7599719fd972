#!/usr/bin/env bash
# Bochs 3.1 from Debian unstable, unpacked under build/ (../shared/PLATFORM.md):
# its fw_cfg device lets OVMF boot, so keyhole's USB image runs through UEFI
# into VT-x.  Nothing is built and the machine's apt configuration is not
# touched: a private sources file names unstable, apt-get downloads the
# binary packages into build/bochs31/apt, and dpkg -x unpacks them.  Bochs
# 3.1 needs unstable's glibc, so it runs through unstable's loader; every
# other library comes from Debian 12 (the bochs package of `make deps`).
#
#   tools/bochs31.sh setup ROOT     download and unpack once, fix its IDIV r64 (below); prints the version
#   tools/bochs31.sh run ROOT ARGS  run bochs-bin with ARGS
#   tools/bochs31.sh check ROOT     exit 0 if it is there and runs
#   tools/bochs31.sh suite ROOT WHAT N
#                                   for a suite of N runs: print the version
#                                   and exit 0, or print that WHAT is skipped
#                                   with the closing line "0 passed, 0 failed,
#                                   N skipped" and exit 1
#
# A failure says why in one line; the Bochs 3.1 suites then report themselves skipped.
set -u
cmd=${1:?usage: bochs31.sh setup|run|check ROOT [ARGS]}
root=${2:?usage: bochs31.sh setup|run|check ROOT [ARGS]}
shift 2
root=$(realpath -m "$root")
lib=$root/usr/lib/x86_64-linux-gnu
bin=$root/usr/bin/bochs-bin

run_bochs() {
	LTDL_LIBRARY_PATH=$lib/bochs/plugins BXSHARE=$root/usr/share/bochs \
		"$lib/ld-linux-x86-64.so.2" --library-path "$lib:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu" \
		"$bin" "$@"
}

# For run: this shell becomes Bochs, so the harness's timeout(1) signals Bochs itself (a child would
# outlive it: Bochs ignores SIGTERM, and the SIGKILL after it would reach only this script).
exec_bochs() {
	LTDL_LIBRARY_PATH=$lib/bochs/plugins BXSHARE=$root/usr/share/bochs \
		exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu" \
		"$bin" "$@"
}

works() { [ -x "$bin" ] && run_bochs --help 2>&1 | grep -q 'Bochs x86 Emulator'; }

# Debian's bochs-bin 3.1+dfsg-1 gets IDIV r/m64 wrong: its long_idiv() (bochs/cpu/wide_int.cc)
# never stores the dividend's low half into the temp it hands long_div(), so every 64-bit IDIV
# returns a stale stack word divided by the divisor, and Linux dies at its first clocksource
# (docs/linux-bochs31.md).  setup writes tools/bochs31-long_idiv.S over it, once: only over
# those exact 144 bytes, into a copy that then replaces bochs-bin (a running Bochs keeps the old).
idiv_broken=331a8c49868719b1f8711de62099e73fbfe9b946b838db59d758ca24274753be
idiv_fixed=23591621bb33a3032cb052e9994ce897fdf621531a94423e1533d09e09e282db
fix_idiv() {
	local syms addr div sum tmp
	syms=$(nm -D --defined-only "$bin" 2>/dev/null)
	sym() { sed -n "s/^\([0-9a-f]*\) T $1\$/\1/p" <<<"$syms"; }
	addr=$(sym _Z9long_idivP7Bit128sPlPKS_l) div=$(sym _Z8long_divP7Bit128uPmPKS_m)
	if [ -z "$addr" ] || [ -z "$div" ]; then
		echo "bochs31: warning: no long_idiv/long_div symbols in bochs-bin: IDIV r64 left as it is"
		return 0
	fi
	# In this PIE the text's file offset is its address; the checksum proves it.
	sum=$(tail -c +$((0x$addr + 1)) "$bin" | head -c 144 | sha256sum | cut -d' ' -f1)
	case $sum in
	"$idiv_fixed") return 0 ;;
	"$idiv_broken") ;;
	*)
		echo "bochs31: warning: bochs-bin's long_idiv is not the known broken one (sha256 $sum): left as it is (docs/linux-bochs31.md)"
		return 0 ;;
	esac
	tmp=$(mktemp -d)
	if as -o "$tmp/f.o" "$(dirname "$0")/bochs31-long_idiv.S" &&
		ld -o "$tmp/f.elf" -Ttext="0x$addr" --defsym=long_div="0x$div" -e long_idiv "$tmp/f.o" &&
		objcopy -O binary -j .text "$tmp/f.elf" "$tmp/f.bin" && [ "$(stat -c %s "$tmp/f.bin")" -le 144 ]; then
		while [ "$(stat -c %s "$tmp/f.bin")" -lt 144 ]; do printf '\x90' >> "$tmp/f.bin"; done
		cp -p "$bin" "$bin.fix" &&
			dd if="$tmp/f.bin" of="$bin.fix" bs=1 seek=$((0x$addr)) conv=notrunc status=none &&
			sum=$(tail -c +$((0x$addr + 1)) "$bin.fix" | head -c 144 | sha256sum | cut -d' ' -f1)
	fi
	rm -rf "$tmp"
	if [ "$sum" = "$idiv_fixed" ] && mv -f "$bin.fix" "$bin"; then
		echo "bochs31: IDIV r64 fixed in bochs-bin (long_idiv at 0x$addr; docs/linux-bochs31.md)"
	else
		rm -f "$bin.fix"
		echo "bochs31: warning: could not fix IDIV r64 in bochs-bin: Linux guests will not boot (docs/linux-bochs31.md)"
	fi
}

case $cmd in
check) works ;;
suite)
	what=${1:?usage: bochs31.sh suite ROOT WHAT N} n=${2:?usage: bochs31.sh suite ROOT WHAT N}
	if ! works; then
		echo "Bochs 3.1 is not available under $root (make deps says why): $what is skipped"
		echo "0 passed, 0 failed, $n skipped"
		exit 1
	fi
	# Which Bochs this is: make deps takes whatever Debian unstable has.
	echo "Bochs: $(run_bochs --help 2>&1 | grep -m 1 -o 'Bochs x86 Emulator [^ ]*')" \
		"($(ls "$root/apt/debs" 2>/dev/null | grep -m 1 '^bochs_' || echo 'package unknown'))"
	;;
run) exec_bochs "$@" ;;
setup)
	if works; then
		fix_idiv
		exit 0
	fi
	apt=$root/apt
	rm -rf "$root"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
	uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)
	key=$(sed -n 's/^Signed-By: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	if [ -z "$uri" ]; then
		echo "bochs31: no Debian mirror in /etc/apt/sources.list.d/debian.sources: Bochs 3.1 suites will be skipped"
		exit 1
	fi
	printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: %s\n' "$uri" "$key" > "$apt/sid.sources"
	opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts" -o Dir::State::Lists="$apt/lists"
		-o Dir::Cache="$apt/cache" -o Debug::NoLocking=1)
	mkdir -p "$apt/parts" && cp "$apt/sid.sources" "$apt/parts/"
	if ! apt-get "${opts[@]}" -qq update > "$apt/update.log" 2>&1; then
		echo "bochs31: apt-get update of unstable failed ($(tail -n 1 "$apt/update.log")): Bochs 3.1 suites will be skipped"
		exit 1
	fi
	if ! (cd "$apt/debs" && apt-get "${opts[@]}" -qq download bochs/sid bochsbios/sid bochs-term/sid libc6/sid \
		libstdc++6/sid libgcc-s1/sid > "$apt/download.log" 2>&1); then
		echo "bochs31: downloading Bochs from unstable failed ($(grep -m 1 -E 'E:|W:' "$apt/download.log")): Bochs 3.1 suites will be skipped"
		exit 1
	fi
	for d in "$apt"/debs/*.deb; do dpkg -x "$d" "$root"; done
	rm -rf "$apt/lists" "$apt/cache"
	if ! works; then
		echo "bochs31: the unpacked bochs-bin does not run (see: tools/bochs31.sh run $root --help): Bochs 3.1 suites will be skipped"
		exit 1
	fi
	echo "bochs31: $(run_bochs --help 2>&1 | grep -m 1 'Bochs x86 Emulator') ($(ls "$apt"/debs | grep -m 1 '^bochs_'))"
	fix_idiv
	;;
*) echo "usage: bochs31.sh setup|run|check ROOT [ARGS]" >&2; exit 2 ;;
esac
