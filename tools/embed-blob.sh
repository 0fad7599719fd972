#!/usr/bin/env bash
# Wraps a file as a linkable object: its bytes in a read-only section, between
# the symbols NAME_start and NAME_end.
#
#   tools/embed-blob.sh IN OUT.o SECTION ALIGN NAME
#
# The empty .note.GNU-stack keeps ld from assuming the blob needs an
# executable stack (a warning, fatal under --fatal-warnings).
set -eu
in=$1 out=$2 section=$3 align=$4 name=$5
dir=$(cd "$(dirname "$in")" && pwd)
base=$(basename "$in")
# objcopy names the symbols after the input path: _binary_<path with [^A-Za-z0-9] as _>_start.
sym=_binary_$(tr -c 'A-Za-z0-9\n' '_' <<<"$base")
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
cd "$dir"
objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
	--rename-section .data="$section",alloc,load,readonly,data,contents \
	--set-section-alignment .data="$align" \
	--add-section .note.GNU-stack=/dev/null \
	--set-section-flags .note.GNU-stack=contents,readonly \
	--redefine-sym "${sym}_start=${name}_start" \
	--redefine-sym "${sym}_end=${name}_end" \
	--strip-symbol "${sym}_size" \
	"$base" "$out"
