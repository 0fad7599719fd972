#!/bin/bash
# The adversarial run (make test-adversarial): keyhole boots in Bochs with a
# list of hostile guests, the hypercall fuzzer, a scrub check and, last, a
# guest that plants a leak through the testhooks hook.  Each guest must end
# the way its attack dictates, reported by name, while keyhole goes on; the
# last must make the audit panic at the next VM entry.
#
#   tests/bochs/adversarial.sh ISO [OUTDIR]
#
# Closing line: "N passed, N failed" (the checks here plus every PASS/FAIL
# line the guests print).
set -u

iso=${1:?usage: adversarial.sh ISO [OUTDIR]}
out=${2:-build/adversarial}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"

echo "--- serial log (keyhole's reports on the guests):"
serial_text | grep -E '^\[keyhole\] (guest[0-9]+: (stopped|exited|EPT|VM entry|not started|image)|error: guest|PANIC|watchdog|audit)' | sed 's/^/  /'

# expect ID NAME REGEX: the serial log has a keyhole line for guest ID matching REGEX.
expect() {
	local id=$1 name=$2 re=$3
	check "guest$id ($name): $4" in_serial "^\[keyhole\] (error: )?guest$id: $re"
}
# expect_guest ID NAME REGEX: the guest itself printed a line matching REGEX.
expect_guest() {
	check "guest$1 ($2): $4" in_serial "^\[guest$1\] $3"
}

expect 0 read-far 'EPT violation: read at gpa 0x7fc0000000 .*outside guest memory' "a read far beyond memory is an EPT violation, reported"
expect 0 read-far 'stopped by keyhole: EPT violation' "and the guest is stopped"
expect 1 write-outside 'EPT violation: write at gpa 0x100000000 .*outside guest memory' "a write outside memory is an EPT violation"
expect 2 exec-outside 'EPT violation: instruction fetch at gpa 0x40001000 .*outside guest memory' "an instruction fetch outside memory is an EPT violation"
expect_guest 3 last-page 'PASS: the last 8 bytes of guest memory are usable' "the last page of memory works"
expect 3 last-page 'EPT violation: read at gpa 0x1000000 .*outside guest memory' "one byte past the end is an EPT violation at exactly mem_size"
expect 4 triple-fault 'stopped by keyhole: triple fault' "a triple fault stops only the guest"
expect 5 string-io 'stopped by keyhole: string port I/O \(INS/OUTS\) is not emulated' "string I/O is refused by name"
expect_guest 6 ud 'guest: unexpected exception #UD' "#UD goes to the guest's own handler"
expect 6 ud 'exited with status 262 ' "which exits with 0x100 + 6"
expect 7 vmxon 'exited with status 262 ' "VMXON in the guest gets #UD: VMX is hidden"
expect 8 wrmsr 'exited with status 269 ' "WRMSR to IA32_LSTAR gets #GP"
expect 8 wrmsr 'WRMSR of MSR 0xc0000082: #GP' "and keyhole says which MSR"
expect 9 cr4-vmxe 'MOV to CR4 of 0x[0-9a-f]+ refused: #GP' "setting CR4.VMXE (keyhole's bit) gets #GP, not a broken VMCS"
expect 9 cr4-vmxe 'exited with status 269 ' "and the guest's handler sees #GP"
expect 10 page-fault 'exited with status 270 ' "a guest page fault stays the guest's"
expect 11 hlt 'stopped by keyhole: HLT' "HLT with nothing to wake it stops the guest"
expect 12 hypercall-ranges 'exited with status 0 ' "bad hypercall ranges are all refused and the guest goes on"
check "guest12 (hypercall-ranges): ABI version 1's MEM_SHARE number is KVM's, refused by name" in_serial \
	'^\[keyhole\] warning: guest12: KVM hypercall 3 \(0x3\): not implemented \(-KVM_ENOSYS\)'
expect 13 shutdown-ports 'exited with status 0 ' "the emulator's shutdown ports do not end keyhole"
expect 14 scrub-write 'exited with status 0 ' "a guest fills its memory"
expect_guest 15 scrub-check 'PASS: memory this guest did not write reads as zeros' "the next guest finds only zeros"
check "guest16 (cpl3-hypercalls): a hypercall from CPL 3 is refused and logged by name" in_serial \
	'^\[keyhole\] warning: guest16: hypercall EXIT \(0x4b480001\) from CPL 3 refused: only the guest.s kernel may call keyhole'
expect 16 cpl3-hypercalls 'exited with status 0 ' "and every call from CPL 3 was refused with nothing changed"
expect 17 xsetbv 'exited with status 0 ' "every invalid XCR0 gets #GP in the guest, and keyhole stays up"
expect 18 state-plant 'exited with status 0 ' "a guest fills its registers with patterns"
expect 18 state-plant 'register state reset and read back' "keyhole resets them at teardown and reads them back"
expect 19 state-check 'exited with status 0 ' "the next guest finds only reset values"
expect 20 spin 'watchdog: 200 million TSC ticks in the guest without its end' "a guest spinning with IF=0 is caught by the watchdog"
expect 20 spin 'stopped by keyhole: watchdog' "and stopped by name"
expect 21 invalid-state 'VM entry failed: INVALID_GUEST_STATE.*offending field: GUEST_RFLAGS' "invalid guest state is reported with the offending field"
expect 21 invalid-state 'stopped by keyhole: VM entry failed' "and only that guest is stopped"
check "every guest was created: keyhole went on after each" in_serial '^\[keyhole\] guest22: 16 MiB, entry'
check "guest22 (plant-leak): the audit catches the planted leak at the next VM entry" in_serial \
	'^\[keyhole\] PANIC: audit: protected frame 0x[0-9a-f]+ reachable at 0xffffffffc0000000 at VM entry \(invariant 1\)'
check "the leaking guest never ran again" not_in_serial '^\[guest22\] FAIL: the leak went unnoticed'
check "no fault in keyhole itself" not_in_serial '^\[keyhole\] error: exception'
only_audit_panic() { ! serial_text | grep -E '^\[keyhole\] PANIC: ' | grep -vq 'PANIC: audit: '; }
check "no other panic" only_audit_panic
check "ended through the shutdown port" ended_by_shutdown

count_guest_lines
passed=$((passed + guest_pass))
failed=$((failed + guest_fail))
finish
