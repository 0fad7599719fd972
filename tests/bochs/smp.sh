#!/bin/bash
# SMP bring-up (issue #13, first step): boots keyhole on a Bochs machine of
# BOCHS_CPUS CPUs (make test-smp: 4) and checks the serial log: every CPU
# keyhole was to use reports VMX on by its APIC ID, the others stay parked,
# the test guest (on the boot CPU) still passes everything, and the run ends
# through the shutdown port.
#
#   tests/bochs/smp.sh IMAGE OUTDIR
#
# Environment: SMP_EXPECT, how many CPUs must be under keyhole (default:
# BOCHS_CPUS); SMP_BOOT, the way in the banner must name (multiboot2 or
# uefi; default multiboot2).  BOCHS_CMD and BOCHS_RC_IN pick Bochs 3.1 with
# OVMF for the USB image (tests/bochs/uefi-suite.sh sets them); the rest as
# tests/bochs/lib.sh.  Ends with "N passed, N failed".
set -u
iso=${1:?usage: smp.sh IMAGE OUTDIR}
out=${2:?usage: smp.sh IMAGE OUTDIR}
BOCHS_CPUS=${BOCHS_CPUS:-4}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
expect=${SMP_EXPECT:-$BOCHS_CPUS}
boot=${SMP_BOOT:-multiboot2}
. "$(dirname "$0")/lib.sh"

ap_line='^\[keyhole\] smp: cpu[0-9]+ \(APIC id [0-9]+\): VMX on \(VMCS revision 0x[0-9a-f]+\)$'
ap_lines() { serial_text | grep -aE "$ap_line"; }
ap_count() { ap_lines | wc -l; }
aps_as_expected() { [ "$(ap_count)" -eq $((expect - 1)) ]; }
# Each AP line names another CPU number and another APIC ID, none the boot CPU's.
aps_distinct() {
	local n ids cpus bsp
	n=$(ap_count)
	cpus=$(ap_lines | sed -E 's/.* smp: (cpu[0-9]+) .*/\1/' | sort -u | wc -l)
	ids=$(ap_lines | sed -E 's/.*APIC id ([0-9]+).*/\1/' | sort -u | wc -l)
	bsp=$(serial_text | sed -nE 's/^\[keyhole\] smp: .* CPUs under keyhole.*APIC id ([0-9]+)\).*/\1/p')
	[ "$cpus" -eq "$n" ] && [ "$ids" -eq "$n" ] && [ -n "$bsp" ] &&
		! ap_lines | grep -qE "APIC id $bsp\)"
}
guest_summary_ok() {
	local line p f
	p=$(serial_text | grep -acE '^\[guest0\] PASS: ')
	f=$(serial_text | grep -acE '^\[guest0\] FAIL: ')
	line=$(serial_text | grep -aE '^\[guest0\] [0-9]+ passed, [0-9]+ failed' | tail -n 1)
	[ "${line%%, * skipped}" = "[guest0] $p passed, 0 failed" ] && [ "$f" -eq 0 ] && [ "$p" -ge 40 ]
}

c=$BOCHS_CPUS
check "$c CPUs, $expect used: keyhole booted via $boot" in_serial "\\[keyhole\\] keyhole [^ ]+ starting \\(booted via $boot\\)"
check "$c CPUs, $expect used: the MADT lists all $c" in_serial "^\\[keyhole\\] acpi: MADT: $c CPU\\(s\\)"
check "$c CPUs, $expect used: VMX on on the boot CPU" in_serial '^\[keyhole\] vmx: on \(VMCS revision 0x[0-9a-f]+; EPT'
check "$c CPUs, $expect used: exactly $((expect - 1)) other CPUs report VMX on" aps_as_expected
check "$c CPUs, $expect used: each by its own number and APIC ID" aps_distinct
check "$c CPUs, $expect used: the summary counts $expect under keyhole, all answering, $((c - expect)) parked" in_serial \
	"^\\[keyhole\\] smp: $expect CPUs under keyhole, VMX on each \\(boot CPU cpu0, APIC id [0-9]+\\); $((expect - 1)) in the idle loop, $((expect - 1)) answered the mailbox; 0 did not start; $((c - expect)) not used"
check "$c CPUs, $expect used: no CPU failed to answer or lacked VMX" not_in_serial '^\[keyhole\] warning: smp: '
check "$c CPUs, $expect used: the test guest passed every check" guest_summary_ok
check "$c CPUs, $expect used: guest0 exited with status 0" in_serial '^\[keyhole\] guest0: exited with status 0 after'
# The SMP self-tests (hv/runtime/selftest_smp.c): the shootdown and the fixmap's isolation across CPUs;
# SMP_SELFTESTS is how many must pass (more with testhooks: the run with the shootdown skipped).
st_pass=$(serial_text | grep -acE '^\[selftest-smp\] PASS: ')
st_fail=$(serial_text | grep -acE '^\[selftest-smp\] FAIL: ')
serial_text | grep -aE '^\[selftest-smp\] (PASS|FAIL): ' | sed 's/^/  /'
st_enough() { [ "$st_pass" -ge "${SMP_SELFTESTS:-6}" ]; }
check "$c CPUs, $expect used: the SMP self-tests closed with their count, none failed" in_serial \
	"^\[selftest-smp\] $st_pass passed, 0 failed"
check "$c CPUs, $expect used: at least ${SMP_SELFTESTS:-6} SMP self-tests ran ($st_pass)" st_enough
passed=$((passed + st_pass))
failed=$((failed + st_fail))
check "$c CPUs, $expect used: no hypervisor errors" not_in_serial '^\[keyhole\] error: '
check "$c CPUs, $expect used: no panic" not_in_serial 'PANIC: '
check "$c CPUs, $expect used: ended through the shutdown port" ended_by_shutdown

echo "serial log: $serial"
if [ "$failed" -ne 0 ]; then
	echo "--- smp lines of $serial:"
	serial_text | grep -aE '\] (smp|acpi|vmx|error|warning): ' | sed 's/^/  /'
	echo "--- last lines:"
	serial_text | tail -n 15 | sed '$a\'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
