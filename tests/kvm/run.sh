#!/bin/bash
# make test-kvm: keyhole's USB images under nested QEMU/KVM (-accel kvm -cpu
# host, OVMF), the way a user with an Intel host runs keyhole: the one
# command that checks their machine.  Three runs, with the checks of the
# Bochs UEFI runs: the test guest (tests/kvm/guest.sh), the hostile suite
# (tests/bochs/adversarial.sh) and Linux to userspace under protect=all
# audit=entry (tests/bochs/linux.sh), the last two through lib.sh's
# EMULATOR=qemu-kvm.  Where this CPU has no VT-x or /dev/kvm is not usable
# (as on the project's own machines, AMD with a paravirtual KVM), it says
# why and counts itself skipped.
#
#   tests/kvm/run.sh OUTDIR TEST_IMAGE HOSTILE_IMAGE LINUX_IMAGE
#
# Closing line: "N passed, N failed[, N skipped]".
set -u
usage='usage: run.sh OUTDIR TEST_IMAGE HOSTILE_IMAGE LINUX_IMAGE'
out=${1:?$usage} test_img=${2:?$usage} adv_img=${3:?$usage} linux_img=${4:?$usage}
here=$(cd "$(dirname "$0")" && pwd)

why=
grep -qw vmx /proc/cpuinfo || why="this CPU shows no vmx in /proc/cpuinfo (no VT-x, or it is not passed through)"
[ -z "$why" ] && { [ -r /dev/kvm ] && [ -w /dev/kvm ] || why="/dev/kvm is missing or not usable (modprobe kvm_intel nested=1; add yourself to group kvm)"; }
if [ -n "$why" ]; then
	echo "test-kvm: skipped: $why"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

exec "$here/../../tools/run-suites.sh" "make test-kvm" \
	"test guest under KVM" "bash $here/guest.sh $test_img $out/guest" \
	"hostile suite under KVM" "EMULATOR=qemu-kvm bash $here/../bochs/adversarial.sh $adv_img $out/adversarial" \
	"Linux under KVM" "EMULATOR=qemu-kvm LINUX_REFUSALS=0 bash $here/../bochs/linux.sh $linux_img $out/linux"
