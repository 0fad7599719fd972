#!/usr/bin/env bash
# Runs test binaries/scripts, each of which ends with "N passed, N failed",
# and prints their sum as the closing line.  Usage:
#   run-suites.sh TITLE NAME1 CMD1 [NAME2 CMD2 ...]
# Exit status: 0 only when every suite ran, exited 0 and reported 0 failed.
set -u
title=$1; shift
total_p=0 total_f=0 total_s=0 bad=0
while [ $# -ge 2 ]; do
	name=$1 cmd=$2; shift 2
	echo "== $name"
	out=$(mktemp)
	bash -c "$cmd" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "!! $name printed no 'N passed, N failed' line (exit status $rc)"
		total_f=$((total_f + 1)); bad=1; continue
	fi
	p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $name exited with status $rc"
		total_f=$((total_f + 1))
	fi
	[ "$rc" -ne 0 ] && bad=1
done
echo "== $title total"
if [ "$total_s" -gt 0 ]; then
	echo "$total_p passed, $total_f failed, $total_s skipped"
else
	echo "$total_p passed, $total_f failed"
fi
[ "$bad" -eq 0 ] && [ "$total_f" -eq 0 ]
