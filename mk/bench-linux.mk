# make bench-linux: the Linux guest against the bare (emulated) machine
# (issue #15; docs/benchmarks.md, "make bench-linux").  Not part of make test.
#
# The same kernel (make test-linux's, build/linux/bzImage) and one bench
# initramfs (tests/linux/bench-init, tests/linux/bench.c) booted in the same
# Bochs twice: GRUB -> Linux, then GRUB -> keyhole -> Linux with
# protect=all, no audit, and keyhole's `bench` word (the phase markers'
# exits by reason).  tools/bench-linux.sh runs both and prints the table.
#
# Knobs:
#   BENCH_LINUX_WORKLOAD     the phases' sizes, on the kernel command line
#                            (tests/linux/bench-init reads them)
#   BENCH_LINUX_GUEST_EXTRA  more for the kernel under keyhole (default: fast
#                            strings off, as on Bochs's bare machine; below)

# This file is read before mk/hv.mk and mk/test-linux.mk (in name order): the
# command lines that use their variables are recursive (=), and the rules
# name those files by path.
BENCH_LINUX_KERNEL := $(BUILD)/linux/bzImage
BENCH_LINUX_DIR := $(BUILD)/linux-bench
BENCH_LINUX_INITRD := $(BENCH_LINUX_DIR)/initrd.cpio.gz
BENCH_LINUX_NATIVE_ISO := $(BUILD)/bench-linux-native.iso
BENCH_LINUX_KEYHOLE_ISO := $(BUILD)/bench-linux-keyhole.iso
BENCH_LINUX_WORKLOAD ?= bench.compute=20000000 bench.forks=200 bench.dd_kib=16384
# No audit and no diag: the configuration a deployment runs.  A quiet console (make bench's reason).
BENCH_LINUX_KEYHOLE_CMDLINE = loglevel=warn protect=all bench guest_mem=$(LINUX_GUEST_MEM)M
# On the bare machine the kernel gets the guest's memory by mem= (Bochs has
# 512 MiB), and the TSC's true rate by tsc_early_khz=: Bochs's TSC counts
# instructions, ips= of them per emulated second (tests/bochs/bochsrc.in),
# while its CPUID 0x16 says the model's 3.5 GHz, which Linux on bare metal
# believes (so every udelay() would spin 17.5 times too long).  Under keyhole
# Linux gets the rate keyhole measured against the PIT through kvm-clock.
BENCH_LINUX_TSC_KHZ := $(shell sed -nE 's/^cpu:.*ips=([0-9]+)000,.*/\1/p' tests/bochs/bochsrc.in)
BENCH_LINUX_NATIVE_KERNEL = $(LINUX_CMDLINE) $(BENCH_LINUX_WORKLOAD) mem=$(LINUX_GUEST_MEM)M \
	tsc_early_khz=$(BENCH_LINUX_TSC_KHZ)
# Fast strings off under keyhole too: Bochs 2.7 has no IA32_MISC_ENABLE, so on
# its bare machine Linux finds fast strings disabled and drops ERMS and
# REP_GOOD ("Disabled fast string operations"), while keyhole answers the MSR
# with fast strings on (hv/vm/msr.c) and Linux then clears and copies pages
# with REP STOSB/MOVSB, which Bochs counts as one instruction per byte (a
# third more instructions in fork/exec, half more in dd; docs/benchmarks.md).
# Empty: the kernels' own choices.
BENCH_LINUX_GUEST_EXTRA ?= clearcpuid=erms,rep_good
BENCH_LINUX_GUEST_KERNEL = $(LINUX_CMDLINE) $(BENCH_LINUX_WORKLOAD) $(BENCH_LINUX_GUEST_EXTRA)

$(BENCH_LINUX_INITRD): tools/linux-guest.sh tests/linux/bench-init tests/linux/bench.c tests/linux/hcprobe.c \
		tests/linux/kvmclock.c tests/linux/stamp.h include/keyhole/hypercall.h include/keyhole/kvm_para.h
	@tools/linux-guest.sh initrd $(BENCH_LINUX_DIR) tests/linux/bench-init bench

BENCH_LINUX_STAMP := $(BENCH_LINUX_DIR)/cmdline
$(BENCH_LINUX_STAMP): hv-force
	$(call write-if-changed,$(BENCH_LINUX_KEYHOLE_CMDLINE) | $(BENCH_LINUX_NATIVE_KERNEL) | $(BENCH_LINUX_GUEST_KERNEL))

$(BENCH_LINUX_NATIVE_ISO): $(BENCH_LINUX_KERNEL) $(BENCH_LINUX_INITRD) $(BENCH_LINUX_STAMP) tools/mkiso-linux.sh \
		mk/bench-linux.mk
	@echo "  GRUB    $@ (Linux alone)"
	@tools/mkiso-linux.sh $@ $(BENCH_LINUX_KERNEL) "$(BENCH_LINUX_NATIVE_KERNEL)" $(BENCH_LINUX_INITRD)

$(BENCH_LINUX_KEYHOLE_ISO): $(BUILD)/keyhole.elf $(BENCH_LINUX_KERNEL) $(BENCH_LINUX_INITRD) $(BENCH_LINUX_STAMP) \
		tools/mkiso.sh mk/bench-linux.mk
	@echo "  GRUB    $@ (keyhole, then Linux)"
	@tools/mkiso.sh $@ $(BUILD)/keyhole.elf "$(BENCH_LINUX_KEYHOLE_CMDLINE)" \
		$(BENCH_LINUX_KERNEL) "linux $(BENCH_LINUX_GUEST_KERNEL)" \
		$(BENCH_LINUX_INITRD) "initrd"

.PHONY: bench-linux
bench-linux: deps $(BENCH_LINUX_NATIVE_ISO) $(BENCH_LINUX_KEYHOLE_ISO)
	@tools/bench-linux.sh $(BENCH_LINUX_NATIVE_ISO) $(BENCH_LINUX_KEYHOLE_ISO) $(BUILD)/bench-linux
