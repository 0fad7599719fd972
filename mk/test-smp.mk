# SMP on both ways in (tests/bochs/smp.sh), on a Bochs machine of four CPUs:
#
#   make test-smp   GRUB ISO in Bochs 2.7, then the USB image through OVMF
#                   in Bochs 3.1:
#                   - once with every CPU (four report VMX on): the SMP
#                     self-tests (shootdown, fixmap isolation) with
#                     testhooks (the shootdown skipped once, to show the
#                     check sees it); four test guests at once, each on a
#                     CPU of its own; the SMP guest with vcpus=4; a
#                     register and memory plant with vcpus=4 and its check
#                     on the same four CPUs (teardown on every one); the
#                     race, MEM_SHARE / MEM_UNSHARE on vCPU 0 against
#                     DIAG_FILL / DIAG_CHECKSUM on the others, 10,000
#                     rounds each, with 2 vCPUs and with 4
#                   - once with cpus=2 (two do, two stay parked) under
#                     audit=entry: the self-tests, the test guest, and a
#                     short race with 2 vCPUs, audited at every entry
#
# audit=entry is left out where four CPUs run: Bochs makes the audit of
# every root at every entry so slow with four CPUs that the race's 10,000
# rounds would take hours (100 rounds with 4 vCPUs: over five minutes).
# The race asks for the audit itself once it is over (DIAG_AUDIT), and the
# cpus=2 runs audit an AP's root at every entry, a short race's included.
# The Bochs 3.1 half counts as skipped where Bochs 3.1 could not be had
# (tools/bochs31.sh).
#
# A guest list (SMP_MODULES_*) names each image's guests in module order,
# as tests/bochs/smp.sh reads them: `test` is the test guest, MODE:N[:ROUNDS]
# the SMP guest (guest/smp) in MODE with vcpus=N (and iters=ROUNDS).

SMP_BOCHS_CPUS := 4
SMP_GUEST := $(BUILD)/guests/smp.elf
# 16 MiB each: four at once must fit beside keyhole in the machine's 512 MiB,
# plant/check fill and read it all, and the audit walks less.
SMP_CMDLINE_ALL := loglevel=info diag selftest testhooks guest_mem=16M
SMP_CMDLINE_TWO := loglevel=info audit=entry diag selftest cpus=2 guest_mem=16M
# Rounds of each vCPU of the race: the full one, and the one audited at every entry.
SMP_RACE_ITERS ?= 10000
SMP_AUDITED_RACE_ITERS ?= 20
SMP_MODULES_ALL := test test test test plant:4 check:4 race:2:$(SMP_RACE_ITERS) race:4:$(SMP_RACE_ITERS) checks:4
SMP_MODULES_TWO := test race:2:$(SMP_AUDITED_RACE_ITERS)
SMP_ISO_ALL := $(BUILD)/smp/all.iso
SMP_ISO_TWO := $(BUILD)/smp/two.iso
SMP_USB_ALL := $(BUILD)/smp/all-usb.img
SMP_USB_TWO := $(BUILD)/smp/two-usb.img

# FILE "WORDS" pairs for tools/mkiso.sh and tools/mkusb.sh from a guest list; $(2): the test guest's file.
smp-field = $(word $(2),$(subst :, ,$(1)))
smp-words = guest vcpus=$(call smp-field,$(1),2) $(call smp-field,$(1),1)$(if $(call smp-field,$(1),3), iters=$(call smp-field,$(1),3))
smp-modules = $(foreach m,$(1),$(if $(filter test,$(m)),$(2) "guest",$(SMP_GUEST) "$(call smp-words,$(m))"))
smp-cmdline = $(if $(filter all,$(1)),$(SMP_CMDLINE_ALL),$(SMP_CMDLINE_TWO))
smp-list = $(if $(filter all,$(1)),$(SMP_MODULES_ALL),$(SMP_MODULES_TWO))

# Rebuilt when a list or a command line changes.
SMP_STAMP := $(BUILD)/smp/images.args
$(SMP_STAMP): hv-force
	$(call write-if-changed,$(SMP_CMDLINE_ALL) $(SMP_CMDLINE_TWO) $(SMP_MODULES_ALL) $(SMP_MODULES_TWO))

$(SMP_ISO_ALL) $(SMP_ISO_TWO): $(BUILD)/smp/%.iso: $(HV_ELF) $(HV_GUEST_MODULE) $(SMP_GUEST) \
		$(SMP_STAMP) tools/mkiso.sh mk/test-smp.mk
	@mkdir -p $(@D)
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(HV_ELF) "$(call smp-cmdline,$*)" $(call smp-modules,$(call smp-list,$*),$(HV_GUEST_MODULE))

$(SMP_USB_ALL) $(SMP_USB_TWO): $(BUILD)/smp/%-usb.img: $(EFI_APP) $(BUILD)/guest-embed.elf $(SMP_GUEST) \
		$(SMP_STAMP) tools/mkusb.sh mk/test-smp.mk
	@mkdir -p $(@D)
	@echo "  USB     $@"
	@tools/mkusb.sh -g $(BUILD)/guest-embed.elf $@ $(EFI_APP) "$(call smp-cmdline,$*)" \
		$(call smp-modules,$(call smp-list,$*),$(BUILD)/guest-embed.elf)

SMP_RUN := BOCHS_CPUS=$(SMP_BOCHS_CPUS) bash tests/bochs/smp.sh
SMP_UEFI = BOCHS_CPUS=$(SMP_BOCHS_CPUS) SMP_BOOT=uefi tests/bochs/uefi-suite.sh $(BOCHS31_ROOT) tests/bochs/smp.sh

# The every-CPU run is the long one (nine guests); 600 s is about twice what it takes.
SMP_ALL_ENV = BOCHS_TIMEOUT=600 SMP_SELFTESTS=9 SMP_MODULES="$(SMP_MODULES_ALL)"
SMP_TWO_ENV = SMP_EXPECT=2 SMP_MODULES="$(SMP_MODULES_TWO)"
SMP_IMAGES := $(SMP_ISO_ALL) $(SMP_ISO_TWO) $(SMP_USB_ALL) $(SMP_USB_TWO)

# make test runs the two halves as suites of their own, one per core: each
# is one emulator at a time and the longest suites there are.
.PHONY: test-smp test-smp-grub test-smp-uefi
TEST_IMAGES += $(SMP_IMAGES)
test-smp-grub: $(SMP_ISO_ALL) $(SMP_ISO_TWO)
	@tools/run-suites.sh "make test-smp-grub" \
		"GRUB, every CPU" '$(SMP_ALL_ENV) $(SMP_RUN) $(SMP_ISO_ALL) $(BUILD)/smp/grub-all' \
		"GRUB, cpus=2" '$(SMP_TWO_ENV) $(SMP_RUN) $(SMP_ISO_TWO) $(BUILD)/smp/grub-two'

test-smp-uefi: $(SMP_USB_ALL) $(SMP_USB_TWO)
	@tools/run-suites.sh "make test-smp-uefi" \
		"UEFI, every CPU" '$(SMP_ALL_ENV) $(SMP_UEFI) $(SMP_USB_ALL) $(BUILD)/smp/uefi-all' \
		"UEFI, cpus=2" '$(SMP_TWO_ENV) $(SMP_UEFI) $(SMP_USB_TWO) $(BUILD)/smp/uefi-two'

test-smp: $(SMP_IMAGES)
	@tools/run-suites.sh "make test-smp" \
		test-smp-grub "$(MAKE) -s --no-print-directory test-smp-grub" \
		test-smp-uefi "$(MAKE) -s --no-print-directory test-smp-uefi"

TEST_SUITES += test-smp-grub test-smp-uefi
