#!/bin/bash
# An unmodified Linux kernel under keyhole (make test-linux): boots the ISO
# in Bochs and checks the serial log.  keyhole runs with protect=all, so the
# guest is protected from its first instruction; the initramfs's /init
# (tests/linux/init) prints its own checks and powers off, which keyhole sees
# as a halt with interrupts disabled and ends the run.  Two bad modules come
# first (mk/test-linux.mk): an initrd with no kernel and an ELF file as a
# kernel; each must be refused by name with keyhole going on, so the kernel
# runs as guest2.  keyhole's own test guest comes last (guest3), on the
# machine Linux leaves behind: under protect=all it skips the one check that
# expects its memory unprotected before it asks, and passes the rest.
# keyhole's KVM clock and steal time (keyhole/kvm_para.h): the guest checks
# what Linux made of them; here keyhole's side of it, and the guest's clock
# against keyhole's TSC calibration.
#
#   tests/bochs/linux.sh ISO [OUTDIR]
#
# LINUX_REFUSALS=0: the image has no bad modules in front (the UEFI run: the
# loader refuses those itself, tests/uefi/run.sh), so Linux is guest0 and
# the test guest guest1.  BOCHS_CMD and the rest as for lib.sh.
#
# Ends with "N passed, N failed": keyhole's checks here plus the guest's own.
set -u

iso=${1:?usage: linux.sh ISO [OUTDIR]}
out=${2:-build/linux-run}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-570}
refusals=${LINUX_REFUSALS:-2}
lx=guest$refusals tg=guest$((refusals + 1))
. "$(dirname "$0")/lib.sh"

# The guest's COM1 is passed through: its lines carry no [guest0] tag.
guest_pass=$(serial_text | grep -cE '^KEYHOLE-LINUX: PASS: ')
guest_fail=$(serial_text | grep -cE '^KEYHOLE-LINUX: FAIL: ')
probe_pass=$(serial_text | grep -cE '^HCPROBE: PASS: ')
probe_fail=$(serial_text | grep -cE '^HCPROBE: FAIL: ')
serial_text | grep -E '^(KEYHOLE-LINUX|HCPROBE): ' | sed 's/^/  /'

if [ "$refusals" -eq 2 ]; then
	check "an initrd with no kernel before it: refused" in_serial \
		'^\[keyhole\] error: guest0: module 0 is an initrd with no linux module right before it'
	check "an ELF file as a kernel: refused as not a bzImage" in_serial \
		'^\[keyhole\] error: guest1: image refused: not a bzImage'
fi
check "keyhole loaded the bzImage and the initrd" in_serial \
	"^\[keyhole\] $lx: Linux boot protocol 2\.[0-9]+: kernel at 0x[0-9a-f]+ .*initrd at 0x[0-9a-f]+"
check "the guest runs protected from its first instruction (protect=all)" in_serial \
	"^\[keyhole\] $lx: [0-9]+ MiB, entry 0x[0-9a-f]+, EPT with .* leaves, every frame protected"
check "userspace reached: /init printed uname -r" in_serial '^KEYHOLE-LINUX: userspace reached, kernel [0-9]'
check "the guest's summary agrees with its PASS/FAIL lines, none failed" \
	in_serial "^KEYHOLE-LINUX: $guest_pass passed, 0 failed"
enough() { [ "$guest_pass" -ge 12 ]; }
check "all twelve in-guest checks ran" enough
probe_enough() { [ "$probe_pass" -ge 17 ] && [ "$probe_fail" -eq 0 ]; }
check "hcprobe: every hypercall from uid 1000 was refused ($probe_pass checks)" probe_enough
# Not anchored: Linux's serial driver may still be draining an earlier line
# of /init's through the passed-through COM1 when hcprobe's calls come, and
# keyhole's line then starts in the middle of it (both share the one UART).
check "keyhole logged the unprivileged calls it refused" in_serial \
	"\[keyhole\] warning: $lx: hypercall DIAG_READ8 \(0x4b480100\) from CPL 3 refused"
check "and KVM's numbers from user space the same way" in_serial \
	"\[keyhole\] warning: $lx: hypercall KVM \(0xc\) from CPL 3 refused"
# The KVM clock and steal time (keyhole/kvm_para.h): keyhole's TSC
# calibration, the guest's MSR writes as keyhole saw them, and the guest's
# CLOCK line (TSC ticks and CLOCK_MONOTONIC across a sleep 2) against
# keyhole's rate: tsc_delta / kHz must agree with mono_ns within 5 %.
tsc_khz=$(serial_text | sed -nE 's/^\[keyhole\] tsc: ([0-9]+) kHz.*/\1/p' | head -n 1)
clock_line=$(serial_text | grep -E '^KEYHOLE-LINUX: CLOCK ' | head -n 1)
clock_tsc=$(sed -nE 's/.* tsc_delta=([0-9]+) .*/\1/p' <<<"$clock_line")
clock_ns=$(sed -nE 's/.* mono_ns=([0-9]+)$/\1/p' <<<"$clock_line")
check "keyhole calibrated the TSC (tsc: ${tsc_khz:-?} kHz)" test -n "$tsc_khz"
# Bochs's TSC ticks once per instruction, ips= of them per emulated second:
# keyhole's calibration must find that rate (not the CPU model's nominal one).
bochs_ips=$(sed -nE 's/^cpu:.*ips=([0-9]+).*/\1/p' "$out/bochsrc" 2>/dev/null)
if [ "${EMULATOR:-bochs}" = bochs ] && [ -n "$bochs_ips" ]; then
	khz_is_ips() {
		[ -n "$tsc_khz" ] && awk -v k="$tsc_khz" -v i="$bochs_ips" 'BEGIN { d = k * 1000 - i; exit !(d * d <= (0.05 * i) ^ 2) }'
	}
	check "keyhole's TSC rate is Bochs's ips=$bochs_ips within 5 % (${tsc_khz:-?} kHz)" khz_is_ips
fi
check "$lx enabled kvm-clock (MSR_KVM_SYSTEM_TIME_NEW)" in_serial "^\[keyhole\] $lx: kvm-clock at gpa 0x[0-9a-f]+"
check "$lx enabled steal time (MSR_KVM_STEAL_TIME)" in_serial "^\[keyhole\] $lx: steal time at gpa 0x[0-9a-f]+"
# ns by keyhole's clock: tsc_delta * 10^6 / kHz (fits 64 bits up to ~9*10^12 ticks).
clock_agrees() {
	[ -n "$tsc_khz" ] && [ "$tsc_khz" -gt 0 ] && [ -n "$clock_tsc" ] && [ -n "$clock_ns" ] || return 1
	local by_keyhole=$((clock_tsc * 1000000 / tsc_khz)) diff
	diff=$((by_keyhole - clock_ns))
	echo "  sleep 2: ${clock_ns} ns by the guest's CLOCK_MONOTONIC, ${by_keyhole} ns by keyhole's TSC rate"
	[ $((diff < 0 ? -diff : diff)) -le $((clock_ns / 20)) ]
}
check "the guest's clock agrees with keyhole's TSC rate within 5 % across sleep 2" clock_agrees
check "the kernel's console works to the end (reboot: System halted)" in_serial 'reboot: System halted'
check "the guest powered off: keyhole saw its final halt" in_serial \
	"^\[keyhole\] $lx: halted with interrupts disabled"
check "$lx exited with status 0" in_serial "^\[keyhole\] $lx: exited with status 0 after"
check "keyhole reported $lx's exits per second of its clock" in_serial \
	"^\[keyhole\] $lx: [1-9][0-9]* exits in [1-9][0-9]* ms of its clock: [0-9]+ per second"
# protect=all covers it too: it sees its memory protected before it asks,
# skips the one check that assumes otherwise, and passes the rest.
check "after Linux, keyhole's test guest runs ($tg), protected from the start like Linux" \
	in_serial "^\[$tg\] [0-9]+ passed, 0 failed, 1 skipped"
check "$tg exited with status 0" in_serial "^\[keyhole\] $tg: exited with status 0 after"
check "keyhole went on to its summary" in_serial \
	"^\[keyhole\] keyhole: $((refusals + 2)) guests run, 2 exited with status 0, $refusals did not"
check "no kernel panic or oops" not_in_serial '(Kernel panic|BUG: |Oops: )'
refused_ids=$(seq -s '|' 0 $((refusals - 1)))
unexpected_errors() { serial_text | grep -E '^\[keyhole\] error: ' | grep -vE "guest(${refused_ids:-none}): "; }
check "no hypervisor errors but the $refusals refusals" eval '[ -z "$(unexpected_errors)" ]'
check "no panic in keyhole" not_in_serial 'PANIC: '
check "ended through the shutdown port" ended_by_shutdown
passed=$((passed + guest_pass + probe_pass))
failed=$((failed + guest_fail + probe_fail))

finish 40
