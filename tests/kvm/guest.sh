#!/bin/bash
# The test guest from the USB image under nested QEMU/KVM with OVMF (part of
# make test-kvm, tests/kvm/run.sh): booted via UEFI, VT-x on, every check of
# the guest passed, keyhole's own exit.
#
#   tests/kvm/guest.sh IMAGE OUTDIR
#
# Closing line: "N passed, N failed".
set -u
img=${1:?usage: guest.sh IMAGE OUTDIR} out=${2:?usage: guest.sh IMAGE OUTDIR}
mkdir -p "$out"
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
text() { tr -d '\r\000' < "$serial"; }
in_log() { text | grep -aEq -- "$1"; }
gpass=$(text | grep -acE '^\[guest0\] PASS: ')
check "keyhole booted via UEFI" in_log '\[keyhole\] keyhole [0-9.]+ starting \(booted via uefi\)'
check "VT-x on under KVM" in_log '^\[keyhole\] vmx: on \(VMCS revision'
check "the test guest's $gpass checks passed" in_log "^\\[guest0\\] $gpass passed, 0 failed"
enough() { [ "$gpass" -ge 70 ]; }
check "at least 70 in-guest checks ran" enough
check "no panic, no exception in keyhole" eval '! in_log "^\[keyhole\] (PANIC|error: exception)"'
check "QEMU exit status 1 (keyhole's SHUTDOWN_OK through isa-debug-exit)" test "$status" -eq 1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
