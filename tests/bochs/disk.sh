#!/bin/bash
# Boots keyhole's hard-disk image (tools/mkdisk.sh) in Bochs and checks that
# GRUB, from the disk alone, brought keyhole and its guest up.
#
#   tests/bochs/disk.sh IMAGE [OUTDIR]        (make test-disk)
#
# The machine is bochsrc.in's with a hard disk instead of the CD-ROM
# (bochsrc-disk.in): the BIOS runs the MBR's boot.img, which loads core.img
# from the gap before the partition, which reads grub.cfg, keyhole and the
# guest from the FAT partition.  What the boot itself must show is
# tests/bochs/run.sh's business (the ISO); this checks that this way in
# arrives at the same place.  Outputs in OUTDIR (default build/disk), as
# run.sh's.
#
# Prints "PASS: name" or "FAIL: name" per check and ends with exactly
# "N passed, N failed"; exits 0 only if nothing failed.

set -u

iso=${1:?usage: disk.sh IMAGE [OUTDIR]}
out=${2:-build/disk}
BOCHS_RC_IN=$(cd "$(dirname "$0")" && pwd)/bochsrc-disk.in
# The same test guest as run.sh's, with its timeout.
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-120}
# (lib.sh clears a dead run's IMAGE.lock.)
. "$(dirname "$0")/lib.sh"

in_log() { grep -aEq -- "$1" "$log"; }
# GRUB's own messages are the lines not behind a [tag] (keyhole's, the guest's).
grub_quiet() { ! serial_text | grep -v '^\[' | grep -q 'error: '; }

# grub.cfg as it is on the image: the first partition's start (LBA, at byte
# 454 of the MBR) is where mtools finds the file system.
part_start=$(od -An -t u4 -j 454 -N 4 "$iso" | tr -d ' ')
part_offset=$((${part_start:-0} * 512))
grub_cfg=$(mtype -i "$iso@@$part_offset" ::/boot/grub/grub.cfg 2>/dev/null | tr -d '\r')
cmdline_from_disk() {
	local want
	want=$(sed -n 's|^[[:space:]]*multiboot2 /boot/keyhole.elf \{0,1\}||p' <<<"$grub_cfg")
	[ -n "$grub_cfg" ] && serial_text | grep -qxF "[keyhole] command line: \"$want\""
}

guest_summary_ok() {
	local line
	line=$(serial_text | grep -E '^\[guest0\] [0-9]+ passed, [0-9]+ failed' | tail -n 1)
	[ -n "$line" ] && [ "${line%, * skipped}" = "[guest0] $guest_pass passed, 0 failed" ] &&
		[ "$guest_fail" -eq 0 ] && [ "$guest_pass" -ge 25 ]
}

# The machine had nothing to boot but the disk, and booted its MBR.
check "Bochs's one drive is the image, a flat hard disk" in_log "HD on ata0-0: '$iso', 'flat' mode"
check "the BIOS boots from the hard disk" in_log 'Using boot sequence disk, none, none'
check "the BIOS ran the MBR at 0000:7c00" in_log 'Booting from 0000:7c00'

# GRUB found its modules and grub.cfg on the partition (core.img talks on
# COM1 from the start, so what it says otherwise is in the log): no error,
# no prompt, the menu entry booted, keyhole's command line and module as grub.cfg has them.
check "GRUB printed no error" grub_quiet
check "GRUB did not stop at its prompt (no grub.cfg, or no normal mode)" not_in_serial 'grub( rescue)?> '
check "GRUB booted grub.cfg's entry" in_serial "Booting \`keyhole'"
check "keyhole says GRUB loaded it via multiboot2" in_serial '^\[keyhole\] keyhole [^ ]+ starting \(booted via multiboot2\)'
check "the multiboot2 loader name is GRUB's" in_serial '^\[keyhole\] loader: GRUB '
check "keyhole's command line is grub.cfg's multiboot2 line" cmdline_from_disk
check "the guest module from the partition, named guest" in_serial '^\[keyhole\]   module 0: \[0x[0-9a-f]+, 0x[0-9a-f]+\) [0-9]+ KiB "guest"$'

# The test guest ran to the end, and keyhole ended the machine.
count_guest_lines
check "the test guest's summary: N passed, 0 failed, at least 25" guest_summary_ok
check "guest0 exited with status 0" in_serial '^\[keyhole\] guest0: exited with status 0 after'
check "no hypervisor errors" not_in_serial '^\[keyhole\] error: '
check "no panic" not_in_serial 'PANIC: '
check "ended through the shutdown port" ended_by_shutdown
passed=$((passed + guest_pass))
failed=$((failed + guest_fail))

finish
