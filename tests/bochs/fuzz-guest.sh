#!/bin/bash
# The hypercall fuzzer from inside (make test-fuzz-guest): keyhole in Bochs
# runs guest/fuzz, which makes at least 100,000 random hypercalls from a
# printed seed and checks memory and the audit after every batch.
#
#   tests/bochs/fuzz-guest.sh ISO [OUTDIR]
set -u

iso=${1:?usage: fuzz-guest.sh ISO [OUTDIR]}
out=${2:-build/fuzz-guest}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"
grep -E 'fuzz:' "$serial" | tr -d '\r' | sed 's/^/  /'

calls=$(serial_text | sed -nE 's/^\[guest0\] fuzz: done: ([0-9]+) hypercalls.*/\1/p' | tail -n 1)
hv_calls=$(serial_text | sed -nE 's/^\[keyhole\] guest0: exited with status 0 after [0-9]+ exits, ([0-9]+) hypercalls.*/\1/p')
guest_pass=$(serial_text | grep -cE '^\[guest0\] PASS: ')
guest_fail=$(serial_text | grep -cE '^\[guest0\] FAIL: ')
serial_text | grep -E '^\[guest0\] (PASS|FAIL): ' | sed 's/^/  /'
enough() { [ -n "$calls" ] && [ "$calls" -ge 100000 ] && [ -n "$hv_calls" ] && [ "$hv_calls" -ge "$calls" ]; }

check "the fuzzer printed its seed" in_serial '^\[guest0\] fuzz: [0-9]+ hypercalls from seed 0x[0-9a-f]+'
check "at least 100,000 hypercalls made and counted by keyhole (${calls:-0} / ${hv_calls:-0})" enough
check "the guest's summary agrees with its PASS/FAIL lines, none failed" in_serial "^\[guest0\] $guest_pass passed, 0 failed"
check "the fuzzer exited with status 0" in_serial '^\[keyhole\] guest0: exited with status 0 after'
check "keyhole never faulted (no exception, no panic)" not_in_serial '^\[keyhole\] (error: exception|PANIC)'
check "ended through the shutdown port" ended_by_shutdown
echo "fuzzed hypercalls: ${calls:-0}; keyhole faults: $(serial_text | grep -cE '^\[keyhole\] (error: exception|PANIC)')"
passed=$((passed + guest_pass))
failed=$((failed + guest_fail))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
