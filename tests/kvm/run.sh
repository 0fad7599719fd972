#!/bin/bash
# make test-kvm: the USB image under nested QEMU/KVM (-accel kvm -cpu host,
# OVMF), the way a user with an Intel host runs keyhole: the one command that
# checks their machine.  Where this CPU has no VT-x or /dev/kvm is not usable
# (as on the project's own machines, AMD with a paravirtual KVM), it says why
# and counts itself skipped.
#
#   tests/kvm/run.sh IMAGE OUTDIR
#
# Closing line: "N passed, N failed[, N skipped]".
set -u
img=${1:?usage: run.sh IMAGE OUTDIR} out=${2:?usage: run.sh IMAGE OUTDIR}
mkdir -p "$out"

why=
grep -qw vmx /proc/cpuinfo || why="this CPU shows no vmx in /proc/cpuinfo (no VT-x, or it is not passed through)"
[ -z "$why" ] && { [ -r /dev/kvm ] && [ -w /dev/kvm ] || why="/dev/kvm is missing or not usable (modprobe kvm_intel nested=1; add yourself to group kvm)"; }
if [ -n "$why" ]; then
	echo "test-kvm: skipped: $why"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

. "$(dirname "$0")/../lib/check.sh"
serial=$out/serial.log
cp "${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}" "$out/vars.fd"
timeout 120 qemu-system-x86_64 -machine q35 -accel kvm -cpu host -m 512M -nodefaults \
	-drive if=pflash,format=raw,unit=0,readonly=on,file="${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" \
	-drive if=pflash,format=raw,unit=1,file="$out/vars.fd" \
	-drive format=raw,file="$img",snapshot=on \
	-serial file:"$serial" -display none -no-reboot -net none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
status=$?
text() { tr -d '\r' < "$serial"; }
in_log() { text | grep -aEq -- "$1"; }
gpass=$(text | grep -acE '^\[guest0\] PASS: ')
check "keyhole booted via UEFI" in_log '\[keyhole\] keyhole [0-9.]+ starting \(booted via uefi\)'
check "VT-x on under KVM" in_log '^\[keyhole\] vmx: on \(VMCS revision'
check "the test guest's $gpass checks passed" in_log "^\\[guest0\\] $gpass passed, 0 failed"
check "no panic, no exception in keyhole" eval '! in_log "^\[keyhole\] (PANIC|error: exception)"'
check "QEMU exit status 1 (keyhole's SHUTDOWN_OK through isa-debug-exit)" test "$status" -eq 1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
