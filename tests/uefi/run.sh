#!/bin/bash
# Boots keyhole's USB image in QEMU with OVMF (TCG: no VT-x) and checks the
# serial log, five times:
#
#   boot        the image as built: the loader reads options.txt and the
#               guest, exits boot services and hands over; keyhole runs its
#               boot self-tests on the real MMU, finds no VT-x, says so and
#               ends QEMU with status 7 (isa-debug-exit: (3 << 1) | 1)
#   bad-guest   the same image with a text file as guest.elf: the loader
#               names the problem and returns to the firmware, which moves
#               on to the UEFI shell; the shell's startup.nsh starts the
#               loader again with load options "guest=none selftest", which
#               keyhole takes (the shell's program name dropped) and runs
#               to the same end
#   bad-options an options.txt with a byte that is not ASCII: the loader
#               names file, line and byte and returns to the firmware
#   modules     guests named by module lines in options.txt and in load
#               options, and four ways to name them wrong, each refused by
#               name (details below)
#   big-ram     the image as built on 6 GiB: RAM above 4 GiB, so the early
#               page tables and keyhole's direct map reach past what the
#               multiboot2 path's fixed tables cover
#
#   tests/uefi/run.sh USB_IMAGE [OUTDIR]        (make test-uefi)
#
# Builds nothing: make provides the image.  Outputs in OUTDIR (default
# build/uefi): <run>.serial.log (COM1), <run>.img and <run>.vars.fd (the
# disk and a fresh copy of OVMF's variable store for each run).
#
# Prints "PASS: name" or "FAIL: name" per check, each boot self-test
# counting as one, and ends with exactly "N passed, N failed"; exits 0 only
# if nothing failed.
#
# Environment: UEFI_TIMEOUT (seconds per run, default 40), OVMF_CODE and
# OVMF_VARS (default Debian's 4 MiB OVMF build).

set -u

img=${1:?usage: run.sh USB_IMAGE [OUTDIR]}
out=${2:-build/uefi}
timeout_s=${UEFI_TIMEOUT:-40}
ovmf_code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
ovmf_vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

# keyhole's shutdown statuses (hv/runtime/shutdown.h) as QEMU's exit status.
EXIT_NO_VMX=$(((3 << 1) | 1))
ESP_OFFSET=1M # tools/mkusb.sh puts the partition at sector 2048

[ -f "$img" ] || { echo "run.sh: no image at $img (make usb)" >&2; exit 2; }
for f in "$ovmf_code" "$ovmf_vars"; do
	[ -f "$f" ] || { echo "run.sh: no OVMF firmware at $f (make deps)" >&2; exit 2; }
done
mkdir -p "$out"

. "$(dirname "$0")/../lib/check.sh"

# Runs QEMU with $3 of RAM on disk image $2 as run $1; sets status (QEMU's
# exit status, or "stopped" when this script ended it) and elapsed_ms.  With
# a pattern in $4, the run is ended as soon as a serial line matches it.
boot() {
	local name=$1 disk=$2 mem=$3 until=${4-} log=$out/$1.serial.log start pid note=
	rm -f "$log"
	cp "$ovmf_vars" "$out/$name.vars.fd"
	start=$(date +%s%N)
	timeout -k 2 "$timeout_s" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m "$mem" -nodefaults \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$ovmf_code" \
		-drive if=pflash,format=raw,unit=1,file="$out/$name.vars.fd" \
		-drive format=raw,file="$disk" \
		-serial file:"$log" -display none -no-reboot -net none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 > "$out/$name.qemu.out" 2>&1 &
	pid=$!
	if [ -n "$until" ]; then
		while kill -0 $pid 2>/dev/null && ! tr -d '\r' < "$log" 2>/dev/null | grep -Eq -- "$until"; do
			sleep 0.2
		done
		# timeout(1) passes the signal on to QEMU.
		kill $pid 2>/dev/null && note=" (stopped here: the log showed what was awaited)"
	fi
	wait $pid
	status=$?
	[ -n "$note" ] && status=stopped
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		note=" (killed by the timeout)"
	fi
	printf '%s: QEMU ran %d.%03d s, exit status %s%s\n' "$name" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) \
		"$status" "$note"
}

# The serial log from the loader's banner on, CR LF as LF.  Until
# ExitBootServices OVMF mirrors its console there too, inside escape codes,
# so the loader's screen lines appear twice; only whole lines are matched.
log_of() { tr -d '\r' < "$out/$1.serial.log" 2>/dev/null | sed -n '/^\[efi\] keyhole UEFI loader/,$p'; }
in_log() { log_of "$1" | grep -Eq -- "$2"; }
not_in_log() { ! log_of "$1" | grep -Eq -- "$2"; }
# The first capture group of the first line matching $2.
field() { log_of "$1" | sed -nE "s/$2/\1/p" | head -n 1; }
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
exited_with() { [ "$status" = "$1" ]; }

total_start=$(date +%s%N)

# --- boot: the image as built --------------------------------------------------

cp --sparse=always "$img" "$out/boot.img"
boot boot "$out/boot.img" 256M
run=boot
check "boot: loader banner on COM1" in_log $run '^\[efi\] keyhole UEFI loader [^ ]+ \(BOOTX64.EFI\)'
check "boot: options read from options.txt" in_log $run '^\[efi\] options \(\\EFI\\keyhole\\options\.txt\): ".*selftest.*"'
check "boot: the firmware's watchdog disabled before the guest is read" in_log $run '^\[efi\] firmware watchdog disabled$'
check "boot: guest read from the ESP" in_log $run '^\[efi\] guest: \\EFI\\keyhole\\guest\.elf, [0-9]+ bytes at 0x'
check "boot: ExitBootServices done" in_log $run '^\[efi\] ExitBootServices done \(attempt [0-9]+\)'
check "boot: keyhole's banner: booted via uefi" in_log $run '^\[keyhole\] keyhole [^ ]+ starting \(booted via uefi\)'
loader_pa=$(field $run '^\[efi\] keyhole: [0-9]+ KiB image at (0x[0-9a-f]+),.*')
keyhole_pa=$(field $run '^\[keyhole\] image: \[(0x[0-9a-f]+), .*')
check "boot: keyhole runs where the loader placed it ($loader_pa)" same "$loader_pa" "$keyhole_pa"
check "boot: memory map with a usable range" in_log $run '^\[keyhole\]   0x[0-9a-f]{16} 0x[0-9a-f]{16} usable '
check "boot: the guest file is keyhole's module" in_log $run '^\[keyhole\]   module 0: \[0x[0-9a-f]+, 0x[0-9a-f]+\) .* "guest"'
check "boot: the ACPI RSDP reaches keyhole" same "$(field $run '^\[efi\] .*ACPI RSDP at (0x[0-9a-f]+)$')" \
	"$(field $run '^\[keyhole\] acpi: RSDP at (0x[0-9a-f]+)$')"
check "boot: running on keyhole's own page tables" in_log $run "^\[keyhole\] mm: .*running on keyhole's own page tables"

self_pass=$(log_of $run | grep -cE '^\[selftest\] PASS: ')
self_fail=$(log_of $run | grep -cE '^\[selftest\] FAIL: ')
echo "boot self-tests: $self_pass passed, $self_fail failed"
log_of $run | grep -E '^\[selftest\] (PASS|FAIL): ' | sed 's/^/  /'
check "boot: self-tests ran and closed with their count, none failed" in_log $run "^\[selftest\] $self_pass passed, 0 failed"
check "boot: invariant 5: the fault handler names the protected frame" in_log $run \
	'^\[keyhole\] access to protected frame 0x[0-9a-f]+ via direct map at 0x[0-9a-f]+ \(read of 0x[0-9a-f]+\)'
check "boot: VT-x not available, with the reason and what to do" in_log $run \
	'^\[keyhole\] error: VT-x not available: .+\. [A-Z].+'
check "boot: keyhole recognises QEMU by CPUID's hypervisor bit and ends through its exit port" in_log $run \
	'^\[keyhole\] shutdown: hypervisor present \(CPUID\.1:ECX\.hypervisor\)'
check "boot: QEMU exit status $EXIT_NO_VMX (keyhole's SHUTDOWN_NO_VMX)" exited_with $EXIT_NO_VMX
check "boot: no loader error" not_in_log $run '^\[efi\] error: '
check "boot: no panic" not_in_log $run 'PANIC: '
passed=$((passed + self_pass))
failed=$((failed + self_fail))

# --- bad-guest: a text file as the guest, then the shell -------------------------

run=bad-guest
cp --sparse=always "$img" "$out/$run.img"
echo "This is a text file, not a guest image: keyhole's loader must refuse it and say why." \
	> "$out/$run.guest.txt"
# The shell runs startup.nsh from the first file system it finds: this one.
printf 'fs0:\\EFI\\BOOT\\BOOTX64.EFI guest=none selftest\r\n' > "$out/$run.startup.nsh"
mcopy -o -i "$out/$run.img@@$ESP_OFFSET" "$out/$run.guest.txt" ::/EFI/keyhole/guest.elf &&
	mcopy -o -i "$out/$run.img@@$ESP_OFFSET" "$out/$run.startup.nsh" ::/startup.nsh ||
	echo "run.sh: could not prepare $out/$run.img" >&2
boot $run "$out/$run.img" 256M
check "bad-guest: the loader names the problem" in_log $run \
	'^\[efi\] error: guest \\EFI\\keyhole\\guest\.elf: not an ELF file \(bad magic\)'
check "bad-guest: the loader returns to the firmware with Load Error" in_log $run \
	'^\[efi\] returning to the firmware: Load Error'
check "bad-guest: the firmware goes on to its next boot option" in_log $run \
	'BdsDxe: failed to start .*: Load Error'
check "bad-guest: from the shell, the loader takes its load options" in_log $run \
	'^\[efi\] options \(load options\): "guest=none selftest"'
check "bad-guest: guest=none: the built-in test guest" in_log $run '^\[efi\] guest: guest=none'
check "bad-guest: keyhole runs to its end (VT-x not available)" in_log $run '^\[keyhole\] error: VT-x not available'
check "bad-guest: QEMU exit status $EXIT_NO_VMX" exited_with $EXIT_NO_VMX
check "bad-guest: no panic" not_in_log $run 'PANIC: '

# --- bad-options: options that are not ASCII --------------------------------------

run=bad-options
cp --sparse=always "$img" "$out/$run.img"
printf '# keyhole options with a Latin-1 e-acute on line 2\nloglevel=info caf\xe9 selftest\n' \
	> "$out/$run.options.txt"
mcopy -o -i "$out/$run.img@@$ESP_OFFSET" "$out/$run.options.txt" ::/EFI/keyhole/options.txt ||
	echo "run.sh: could not prepare $out/$run.img" >&2
boot $run "$out/$run.img" 256M 'BdsDxe: failed to start .*: Invalid Parameter'
check "bad-options: the loader names the file, line and byte" in_log $run \
	"^\[efi\] error: \\\\EFI\\\\keyhole\\\\options\.txt, line 2: byte 0xe9; keyhole's options are ASCII"
check "bad-options: the loader returns to the firmware with Invalid Parameter" in_log $run \
	'^\[efi\] returning to the firmware: Invalid Parameter'
check "bad-options: the firmware goes on to its next boot option" in_log $run \
	'BdsDxe: failed to start .*: Invalid Parameter'
check "bad-options: keyhole is not started" not_in_log $run '^\[keyhole\] '

# --- modules: guests named by module lines, and the ways to name them wrong ------

# options.txt names two guests and a Linux kernel that is a text file: the
# loader refuses the kernel by name.  The shell's startup.nsh then starts the
# loader four times with load options, whose lines ';' separates: an initrd
# with no kernel, guest= beside a module line, a missing file (each refused by
# name, back to the shell), and last two guests with their own words, which
# keyhole takes as modules 0 and 1 in order.
run=modules
cp --sparse=always "$img" "$out/$run.img"
# Long enough to hold a setup header, so the check reads where "HdrS" would be.
for i in $(seq 40); do echo "This is a text file, not a kernel: line $i."; done > "$out/$run.kernel.txt"
printf '%s\n' "# two guests and a kernel that is not one" "loglevel=info" \
	'module \EFI\keyhole\guest.elf guest first' 'module /EFI/keyhole/guest.elf guest second' \
	'module \EFI\keyhole\kernel.txt linux console=ttyS0' > "$out/$run.options.txt"
{
	printf 'fs0:\\EFI\\BOOT\\BOOTX64.EFI loglevel=info ; module \\EFI\\keyhole\\guest.elf initrd\r\n'
	printf 'fs0:\\EFI\\BOOT\\BOOTX64.EFI guest=\\EFI\\keyhole\\guest.elf ; module \\EFI\\keyhole\\guest.elf\r\n'
	printf 'fs0:\\EFI\\BOOT\\BOOTX64.EFI module \\EFI\\keyhole\\missing.elf\r\n'
	printf 'fs0:\\EFI\\BOOT\\BOOTX64.EFI loglevel=info ; module \\EFI\\keyhole\\guest.elf guest one=1 ; '
	printf 'module \\EFI\\keyhole\\guest.elf guest two=2\r\n'
} > "$out/$run.startup.nsh"
mcopy -o -i "$out/$run.img@@$ESP_OFFSET" "$out/$run.options.txt" ::/EFI/keyhole/options.txt &&
	mcopy -o -i "$out/$run.img@@$ESP_OFFSET" "$out/$run.kernel.txt" ::/EFI/keyhole/kernel.txt &&
	mcopy -o -i "$out/$run.img@@$ESP_OFFSET" "$out/$run.startup.nsh" ::/startup.nsh ||
	echo "run.sh: could not prepare $out/$run.img" >&2
boot $run "$out/$run.img" 256M
check "modules: options.txt's module lines read in order, '/' taken as '\\'" in_log $run \
	'^\[efi\] guest: \\EFI\\keyhole\\guest\.elf, [0-9]+ bytes at 0x[0-9a-f]+: "guest first"'
check "modules: a text file as a linux module: refused as not a bzImage" in_log $run \
	'^\[efi\] error: guest \\EFI\\keyhole\\kernel\.txt: not a bzImage: no "HdrS" setup header'
check "modules: an initrd first: refused" in_log $run \
	'^\[efi\] error: module 0 \(\\EFI\\keyhole\\guest\.elf, line 2\): an initrd with no linux module right before it'
check "modules: guest= beside a module line: refused" in_log $run \
	'^\[efi\] error: guest=\\EFI\\keyhole\\guest\.elf and 1 module line both name guests'
check "modules: a missing file: named" in_log $run \
	'^\[efi\] error: module 0: \\EFI\\keyhole\\missing\.elf: no such file on the boot volume'
# uniq: until ExitBootServices each screen line appears twice (log_of).
returns() { [ "$(log_of $run | uniq | grep -cE '^\[efi\] returning to the firmware: ')" -eq 4 ]; }
check "modules: each of the four refusals returned to the firmware" returns
check "modules: the load options' guests reach keyhole as modules 0 and 1, with their words" eval \
	"in_log $run '^\[keyhole\]   module 0: .*\"guest one=1\"' && in_log $run '^\[keyhole\]   module 1: .*\"guest two=2\"'"
check "modules: keyhole runs to its end (VT-x not available)" in_log $run '^\[keyhole\] error: VT-x not available'
check "modules: no panic" not_in_log $run 'PANIC: '

# --- big-ram: memory above 4 GiB ------------------------------------------------

run=big-ram
boot $run "$out/boot.img" 6G
check "big-ram: the early page tables cover 8 GiB" in_log $run '^\[efi\] early page tables: \[0, 8 GiB\)'
check "big-ram: the early tables map what holds no RAM uncached, split 2 MiB ranges into 4 KiB pages" in_log $run \
	'^\[efi\] early page tables: .*; [1-9][0-9]* MiB without RAM uncached, [1-9][0-9]* 2 MiB ranges in 4 KiB pages$'
check "big-ram: keyhole's frames reach 8 GiB" in_log $run '^\[keyhole\] mm: RAM in [0-9]+ ranges up to 8192 MiB'
# Sizes of 1 GiB and more in MiB: whole GiB floored a 2047 MiB range to "1 GiB".
check "big-ram: the memory map gives a range of 1 GiB or more in MiB" in_log $run \
	'^\[keyhole\]   0x[0-9a-f]{16} 0x[0-9a-f]{16} usable +[0-9]{4,} MiB$'
check "big-ram: the self-tests pass" in_log $run '^\[selftest\] [0-9]+ passed, 0 failed'
check "big-ram: QEMU exit status $EXIT_NO_VMX" exited_with $EXIT_NO_VMX
check "big-ram: no panic" not_in_log $run 'PANIC: '

# Wall time is reported, never asserted: it measures the machine's load, not keyhole.
total_ms=$((($(date +%s%N) - total_start) / 1000000))
echo "the five runs took $((total_ms / 1000)).$(printf '%03d' $((total_ms % 1000))) s"

echo "serial logs: $out/{boot,bad-guest,bad-options,modules,big-ram}.serial.log"
if [ "$failed" -ne 0 ]; then
	for r in boot bad-guest bad-options modules big-ram; do
		echo "--- last lines of $out/$r.serial.log:"
		tr -d '\r' < "$out/$r.serial.log" 2>/dev/null | tail -n 25 | sed '$a\'
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
