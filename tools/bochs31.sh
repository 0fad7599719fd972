#!/usr/bin/env bash
# Bochs 3.1 from Debian unstable, unpacked under build/ (../shared/PLATFORM.md):
# its fw_cfg device lets OVMF boot, so keyhole's USB image runs through UEFI
# into VT-x.  Nothing is built and the machine's apt configuration is not
# touched: a private sources file names unstable, apt-get downloads the
# binary packages into build/bochs31/apt, and dpkg -x unpacks them.  Bochs
# 3.1 needs unstable's glibc, so it runs through unstable's loader; every
# other library comes from Debian 12 (the bochs package of `make deps`).
#
#   tools/bochs31.sh setup ROOT     download and unpack once; prints the version
#   tools/bochs31.sh run ROOT ARGS  run bochs-bin with ARGS
#   tools/bochs31.sh check ROOT     exit 0 if it is there and runs
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

case $cmd in
check) works ;;
run) exec_bochs "$@" ;;
setup)
	if works; then
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
	;;
*) echo "usage: bochs31.sh setup|run|check ROOT [ARGS]" >&2; exit 2 ;;
esac
