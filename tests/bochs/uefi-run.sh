#!/bin/bash
# One run of keyhole's USB image in Bochs 3.1 with OVMF (tests/bochs/
# bochsrc-uefi.in): OVMF boots BOOTX64.EFI from the disk, the loader hands
# over to keyhole, keyhole turns VT-x on and runs the test guest.
#
#   tests/bochs/uefi-run.sh IMAGE OUTDIR BOCHS31_ROOT MODEL EXPECT
#
# EXPECT: guest    the guest's checks all pass and keyhole ends cleanly;
#         novmx    the model's VMX lacks what keyhole needs: keyhole says
#                  which capability, before any guest, and ends cleanly.
# Closing line: "N passed, N failed".
set -u
iso=${1:?usage: uefi-run.sh IMAGE OUTDIR BOCHS31_ROOT MODEL EXPECT}
out=${2:?} root=${3:?} model=${4:?} expect=${5:?}
here=$(cd "$(dirname "$0")" && pwd)
BOCHS_CMD="$here/../../tools/bochs31.sh run $root"
BOCHS_RC_IN=$here/bochsrc-uefi.in
BOCHS_MODEL=$model
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-180}
. "$here/lib.sh"

check "$model: OVMF started the loader and keyhole booted via UEFI" in_serial '\[keyhole\] keyhole [0-9.]+ starting \(booted via uefi\)'
check "$model: no panic, no exception in keyhole" not_in_serial '^\[keyhole\] (PANIC|error: exception)'
check "$model: ended through the shutdown port" ended_by_shutdown
case $expect in
guest)
	gpass=$(serial_text | grep -acE '^\[guest0\] PASS: ')
	check "$model: VT-x on" in_serial '^\[keyhole\] vmx: on \(VMCS revision'
	check "$model: the test guest's $gpass checks passed" in_serial "^\\[guest0\\] $gpass passed, 0 failed"
	enough() { [ "$gpass" -ge 70 ]; }
	check "$model: at least 70 in-guest checks ran" enough
	check "$model: the guest exited with status 0" in_serial '^\[keyhole\] guest0: exited with status 0 after'
	;;
novmx)
	check "$model: keyhole names what the CPU's VMX lacks" in_serial \
		'^\[keyhole\] error: VT-x not available: .*(EPT|unrestricted guest|secondary|capabilit|control)'
	check "$model: no guest was started" not_in_serial '^\[keyhole\] guest0: [0-9]+ MiB'
	;;
esac
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
