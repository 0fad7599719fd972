#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (make fuzz, make fuzz-smoke):
#
#   tests/fuzz/run.sh BUILDDIR SECONDS TARGET...
#
# Each target first replays its regression corpus (tests/fuzz/corpus/TARGET,
# committed: seeds and the inputs of every crash that was fixed), then
# fuzzes, growing a working corpus in BUILDDIR/corpus-TARGET.  A crash leaves
# its input as BUILDDIR/TARGET-crash-*; copy it into the regression corpus
# once fixed.  Ends with "N passed, N failed" (one per target).
set -u
dir=${1:?usage: run.sh BUILDDIR SECONDS TARGET...}
seconds=${2:?}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0

# The simulated machine catches its own page faults (tests/unit/sim.c), so
# neither ASan nor libFuzzer may take SIGSEGV from it.
export ASAN_OPTIONS=allow_user_segv_handler=1:handle_segv=0:detect_leaks=0
export UBSAN_OPTIONS=print_stacktrace=1

for t in "$@"; do
	work=$dir/corpus-$t
	mkdir -p "$work"
	log=$dir/$t.log
	"$dir/$t" -handle_segv=0 -max_total_time="$seconds" -max_len=4096 -timeout=20 \
		-artifact_prefix="$dir/$t-" -print_final_stats=1 "$work" "$here/corpus/$t" > "$log" 2>&1
	rc=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "PASS: $t: ${runs:-?} inputs in ${seconds} s, regression corpus replayed ($(ls "$here/corpus/$t" | wc -l) inputs)"
		passed=$((passed + 1))
	else
		echo "FAIL: $t (exit $rc): see $log"
		grep -E 'ERROR|fuzz_|SUMMARY|panic|Test unit written' "$log" | head -n 10 | sed 's/^/  /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
