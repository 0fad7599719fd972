#!/bin/bash
# SMP (issue #13): boots keyhole on a Bochs machine of BOCHS_CPUS CPUs (make
# test-smp: 4) and checks the serial log: every CPU keyhole was to use
# reports VMX on by its APIC ID, the others stay parked, the guests of the
# image all pass, and the run ends through the shutdown port.
#
#   tests/bochs/smp.sh IMAGE OUTDIR
#
# Environment: SMP_EXPECT, how many CPUs must be under keyhole (default:
# BOCHS_CPUS); SMP_BOOT, the way in the banner must name (multiboot2 or
# uefi; default multiboot2); SMP_SELFTESTS, how many SMP self-tests must
# pass (0: the image runs none); SMP_MODULES, the image's guests in module
# order (mk/test-smp.mk builds the image from the same list):
#
#   test        the test guest, one vCPU: every check passes
#   MODE:N[:R]  the SMP guest (guest/smp) with vcpus=N in MODE: checks,
#               race, plant (followed by check): every vCPU's checks pass,
#               each on a CPU of its own; race: R rounds (iters=R; default
#               SMP_RACE_ITERS, 10,000) on each vCPU, racing the other side;
#               plant then check: the same CPUs, each vCPU's registers
#               reset and read back at teardown, found reset by the next
#
# Test guests next to each other at the start of the list must run at once,
# on CPUs of their own.  BOCHS_CMD and BOCHS_RC_IN pick Bochs 3.1 with OVMF
# for the USB image (tests/bochs/uefi-suite.sh sets them); the rest as
# tests/bochs/lib.sh.  Ends with "N passed, N failed".
set -u
iso=${1:?usage: smp.sh IMAGE OUTDIR}
out=${2:?usage: smp.sh IMAGE OUTDIR}
BOCHS_CPUS=${BOCHS_CPUS:-4}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
expect=${SMP_EXPECT:-$BOCHS_CPUS}
boot=${SMP_BOOT:-multiboot2}
read -ra modules <<<"${SMP_MODULES:-test}"
race_iters=${SMP_RACE_ITERS:-10000}
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

# Guest N's vCPU K: the tag keyhole gives its lines, as a regex.
tag() { if [ "$2" -eq 0 ]; then echo "guest$1"; else echo "guest$1\\.$2"; fi; }
# vcpu_ok N K MIN: vCPU K of guest N closed with as many passes as it printed PASS lines, at least MIN, and no FAIL.
vcpu_ok() {
	local t p f line
	t=$(tag "$1" "$2")
	p=$(serial_text | grep -acE "^\[$t\] PASS: ")
	f=$(serial_text | grep -acE "^\[$t\] FAIL: ")
	line=$(serial_text | grep -aE "^\[$t\] [0-9]+ passed, [0-9]+ failed" | tail -n 1)
	[ "${line%, * skipped}" = "[${t/\\/}] $p passed, 0 failed" ] && [ "$f" -eq 0 ] && [ "$p" -ge "$3" ]
}
exited_ok() { in_serial "^\[keyhole\] guest$1: exited with status 0 after"; }
# The CPUs guest N's vCPUs started on, one a line in vCPU order.
cpus_of() {
	serial_text | sed -nE "s/^\[keyhole\] guest$1: vCPU ([0-9]+) on cpu([0-9]+)( \\(APIC id [0-9]+\\))?\$/\1 \2/p" | sort -n | cut -d' ' -f2
}
# N vCPUs of guest N started, each once, each on a CPU of its own.
own_cpus() {
	local all distinct
	all=$(cpus_of "$1" | wc -l)
	distinct=$(cpus_of "$1" | sort -u | wc -l)
	[ "$all" -eq "$2" ] && [ "$distinct" -eq "$2" ] &&
		[ "$(serial_text | grep -acE "^\[keyhole\] guest$1: vCPU [0-9]+ on cpu")" -eq "$2" ]
}
# The number in the PASS line of guest N's vCPU K that matches REGEX (its first group).
pass_number() {
	serial_text | sed -nE "s/^\[$(tag "$1" "$2")\] PASS: $3.*/\1/p" | head -n 1
}
at_least() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
# Guests FIRST..LAST ran at once: each started before any of them exited, on CPUs of their own.
at_once() {
	local first=$1 last=$2 starts=() ends=() g n
	for ((g = first; g <= last; g++)); do
		n=$(serial_text | grep -anE "^\[keyhole\] guest$g: vCPU 0 on cpu" | head -n 1 | cut -d: -f1)
		starts+=("${n:-999999}")
		n=$(serial_text | grep -anE "^\[keyhole\] guest$g: (exited|stopped)" | head -n 1 | cut -d: -f1)
		ends+=("${n:-0}")
	done
	local last_start first_end
	last_start=$(printf '%s\n' "${starts[@]}" | sort -n | tail -n 1)
	first_end=$(printf '%s\n' "${ends[@]}" | sort -n | head -n 1)
	[ "$last_start" -lt "$first_end" ] &&
		[ "$(for ((g = first; g <= last; g++)); do cpus_of "$g"; done | sort -u | wc -l)" -eq $((last - first + 1)) ]
}
same_cpus() { [ "$(cpus_of "$1" | sort | tr '\n' ' ')" = "$(cpus_of "$2" | sort | tr '\n' ' ')" ]; }
reset_read_back() {
	local k
	for ((k = 0; k < $2; k++)); do
		in_serial "^\[keyhole\] $(tag "$1" "$k"): register state reset and read back \(testhooks\)$" || return 1
	done
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

# The guests, in module order.
tests_at_start=0
for ((g = 0; g < ${#modules[@]}; g++)); do
	m=${modules[g]}
	mode=${m%%:*} n=${m#*:} iters=$race_iters
	[ "${n#*:}" = "$n" ] || { iters=${n#*:}; n=${n%%:*}; }
	case $mode in
	test)
		[ "$tests_at_start" -eq "$g" ] && tests_at_start=$((g + 1))
		check "$c CPUs, $expect used: guest$g, the test guest, passed every check" vcpu_ok "$g" 0 70
		check "$c CPUs, $expect used: guest$g exited with status 0" exited_ok "$g"
		continue
		;;
	checks) least=15 ;; # vCPU 0 one more: its ENABLE_MEM_PROTECTED
	race) least=2 ;;
	plant) least=2 ;;
	check) least=8 ;;
	*) echo "smp.sh: unknown module $m in SMP_MODULES" >&2; exit 2 ;;
	esac
	what="guest$g ($mode, $n vCPUs)"
	check "$c CPUs, $expect used: $what: each vCPU on a CPU of its own ($(cpus_of "$g" | tr '\n' ' '))" own_cpus "$g" "$n"
	for ((k = 0; k < n; k++)); do
		l=$least
		[ "$mode" = checks ] && [ "$k" -eq 0 ] && l=$((least + 1))
		check "$c CPUs, $expect used: $what: vCPU $k passed every check (at least $l)" vcpu_ok "$g" "$k" "$l"
	done
	check "$c CPUs, $expect used: $what exited with status 0" exited_ok "$g"
	case $mode in
	race)
		pairs=$(pass_number "$g" 0 'race: ([0-9]+) MEM_SHARE \+ MEM_UNSHARE pairs')
		check "$c CPUs, $expect used: $what: vCPU 0 shared and unshared ${pairs:-no} times (at least $iters)" \
			at_least "$pairs" "$iters"
		for ((k = 1; k < n; k++)); do
			rounds=$(pass_number "$g" "$k" 'race: ([0-9]+) rounds of DIAG_FILL')
			raced=$(pass_number "$g" "$k" 'race: ([0-9]+) of the rounds overlapped')
			check "$c CPUs, $expect used: $what: vCPU $k filled and checksummed ${rounds:-no} times (at least $iters), ${raced:-none} of them racing a share or unshare" \
				at_least "$rounds" "$iters"
		done
		;;
	plant)
		check "$c CPUs, $expect used: $what: keyhole reset and read back the registers of each vCPU" reset_read_back "$g" "$n"
		next=${modules[g + 1]:-}
		if [ "${next%%:*}" = check ]; then
			check "$c CPUs, $expect used: guest$((g + 1)) (check) ran on the CPUs guest$g (plant) left" same_cpus "$g" $((g + 1))
		fi
		;;
	esac
done
if [ "$tests_at_start" -gt 1 ]; then
	check "$c CPUs, $expect used: the $tests_at_start test guests ran at once, each on a CPU of its own" \
		at_once 0 $((tests_at_start - 1))
fi
nr=${#modules[@]}
check "$c CPUs, $expect used: keyhole's summary: $nr guests run, all exited with status 0" in_serial \
	"^\[keyhole\] keyhole: $nr guests? run, $nr exited with status 0, 0 did not"
# The SMP self-tests (hv/runtime/selftest_smp.c): the shootdown and the fixmap's isolation across CPUs;
# SMP_SELFTESTS is how many must pass (more with testhooks: the run with the shootdown skipped).
if [ "${SMP_SELFTESTS:-6}" -gt 0 ]; then
	st_pass=$(serial_text | grep -acE '^\[selftest-smp\] PASS: ')
	st_fail=$(serial_text | grep -acE '^\[selftest-smp\] FAIL: ')
	serial_text | grep -aE '^\[selftest-smp\] (PASS|FAIL): ' | sed 's/^/  /'
	st_enough() { [ "$st_pass" -ge "${SMP_SELFTESTS:-6}" ]; }
	check "$c CPUs, $expect used: the SMP self-tests closed with their count, none failed" in_serial \
		"^\[selftest-smp\] $st_pass passed, 0 failed"
	check "$c CPUs, $expect used: at least ${SMP_SELFTESTS:-6} SMP self-tests ran ($st_pass)" st_enough
	passed=$((passed + st_pass))
	failed=$((failed + st_fail))
fi
check "$c CPUs, $expect used: no hypervisor errors" not_in_serial '^\[keyhole\] error: '
check "$c CPUs, $expect used: no panic" not_in_serial 'PANIC: '
check "$c CPUs, $expect used: ended through the shutdown port" ended_by_shutdown

echo "serial log: $serial"
if [ "$failed" -ne 0 ]; then
	echo "--- smp lines of $serial:"
	serial_text | grep -aE '\] (smp|acpi|vmx|error|warning): ' | sed 's/^/  /'
	echo "--- the guests' FAIL lines and keyhole's lines on them:"
	serial_text | grep -aE '^\[guest[0-9.]+\] FAIL: |^\[keyhole\] guest[0-9.]+: (vCPU|exited|stopped)' | sed 's/^/  /'
	echo "--- last lines:"
	serial_text | tail -n 15 | sed '$a\'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
