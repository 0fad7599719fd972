#!/usr/bin/env bash
# Runs test binaries/scripts, each of which ends with "N passed, N failed",
# and prints their sum as the closing line.  Usage:
#   run-suites.sh TITLE NAME1 CMD1 [NAME2 CMD2 ...]
# Exit status: 0 only when every suite ran, exited 0 and reported 0 failed.
#
# SUITE_JOBS=N runs up to N suites at once (each emulator is one thread, so
# make test runs one per core); a suite's output is then printed whole, in
# the order given, with a line when each starts and ends.  The caller must
# have built what the suites share first (make test does: TEST_IMAGES).
set -u
title=$1; shift
jobs=${SUITE_JOBS:-1}
unset SUITE_JOBS # a suite that runs suites of its own runs them one by one
total_p=0 total_f=0 total_s=0 bad=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=() cmds=()
while [ $# -ge 2 ]; do
	names+=("$1") cmds+=("$2"); shift 2
done

# One suite: its output into $tmp/i.out, its exit status into $tmp/i.rc.
run_one() {
	local i=$1
	bash -c "${cmds[i]}" > "$tmp/$i.out" 2>&1
	echo $? > "$tmp/$i.rc"
}

# Adds suite i's closing line to the totals.
account() {
	local i=$1 name=${names[$1]} out=$tmp/$1.out rc line p f s
	rc=$(cat "$tmp/$i.rc")
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!! $name printed no 'N passed, N failed' line (exit status $rc)"
		total_f=$((total_f + 1)); bad=1; return
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
}

if [ "$jobs" -le 1 ]; then
	for i in "${!names[@]}"; do
		echo "== ${names[i]}"
		bash -c "${cmds[i]}" 2>&1 | tee "$tmp/$i.out"
		echo "${PIPESTATUS[0]}" > "$tmp/$i.rc"
		account "$i"
	done
else
	declare -A running=()
	start=$(date +%s)
	for i in "${!names[@]}"; do
		while [ "${#running[@]}" -ge "$jobs" ]; do
			wait -n
			for j in "${!running[@]}"; do
				if [ -f "$tmp/$j.rc" ]; then
					echo "-- done: ${names[j]} (after $(($(date +%s) - start)) s)"
					unset "running[$j]"
				fi
			done
		done
		echo "-- started: ${names[i]}"
		run_one "$i" &
		running[$i]=$!
	done
	wait
	echo "-- all $((${#names[@]})) done after $(($(date +%s) - start)) s"
	for i in "${!names[@]}"; do
		echo "== ${names[i]}"
		cat "$tmp/$i.out"
		account "$i"
	done
fi

echo "== $title total"
if [ "$total_s" -gt 0 ]; then
	echo "$total_p passed, $total_f failed, $total_s skipped"
else
	echo "$total_p passed, $total_f failed"
fi
[ "$bad" -eq 0 ] && [ "$total_f" -eq 0 ]
