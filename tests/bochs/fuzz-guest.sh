#!/bin/bash
# The hypercall fuzzer from inside (make test-fuzz-guest): keyhole in Bochs
# runs guest/fuzz twice, each making at least 100,000 random hypercalls from
# a printed seed and checking memory and the audit after every batch: guest0
# from CPL 0, guest1 from CPL 3, where every call must be refused.
#
#   tests/bochs/fuzz-guest.sh ISO [OUTDIR]
set -u

iso=${1:?usage: fuzz-guest.sh ISO [OUTDIR]}
out=${2:-build/fuzz-guest}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"
serial_text | grep -E 'fuzz:' | sed 's/^/  /'

guest_pass=$(serial_text | grep -cE '^\[guest[01]\] PASS: ')
guest_fail=$(serial_text | grep -cE '^\[guest[01]\] FAIL: ')
serial_text | grep -E '^\[guest[01]\] (PASS|FAIL): ' | sed 's/^/  /'

# fuzz_run ID CPL: the checks of one fuzzer run.
fuzz_run() {
	local id=$1 cpl=$2 calls hv_calls pass
	calls=$(serial_text | sed -nE "s/^\[guest$id\] fuzz: done: ([0-9]+) hypercalls.*/\1/p" | tail -n 1)
	hv_calls=$(serial_text | sed -nE "s/^\[keyhole\] guest$id: exited with status 0 after [0-9]+ exits, ([0-9]+) hypercalls.*/\1/p")
	pass=$(serial_text | grep -cE "^\[guest$id\] PASS: ")
	enough() { [ -n "$calls" ] && [ "$calls" -ge 100000 ] && [ -n "$hv_calls" ] && [ "$hv_calls" -ge "$calls" ]; }
	check "guest$id: the fuzzer printed its seed, at CPL $cpl" in_serial "^\[guest$id\] fuzz: [0-9]+ hypercalls from seed 0x[0-9a-f]+ at CPL $cpl"
	check "guest$id: at least 100,000 hypercalls made and counted by keyhole (${calls:-0} / ${hv_calls:-0})" enough
	check "guest$id: the guest's summary agrees with its PASS/FAIL lines, none failed" in_serial "^\[guest$id\] $pass passed, 0 failed"
	check "guest$id: the fuzzer exited with status 0" in_serial "^\[keyhole\] guest$id: exited with status 0 after"
	echo "guest$id (CPL $cpl) fuzzed hypercalls: ${calls:-0}"
}
fuzz_run 0 0
fuzz_run 1 3
check "guest1: keyhole logged the refusals from CPL 3" in_serial '^\[keyhole\] warning: guest1: hypercall .* from CPL 3 refused'
check "guest0: the LAPIC timer fired while it ran, and keyhole acknowledged and ended it through an external-interrupt exit" \
	in_serial '^\[keyhole\] guest0: LAPIC timer test: [1-9][0-9]* timer interrupt\(s\) taken through [1-9][0-9]* external-interrupt exit'
check "keyhole never faulted (no exception, no panic)" not_in_serial '^\[keyhole\] (error: exception|PANIC)'
check "ended through the shutdown port" ended_by_shutdown
echo "keyhole faults: $(serial_text | grep -cE '^\[keyhole\] (error: exception|PANIC)')"
passed=$((passed + guest_pass))
failed=$((failed + guest_fail))
finish
