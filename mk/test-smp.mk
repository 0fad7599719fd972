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
#                     on the same four CPUs (teardown on every one)
#                   - once with cpus=2 (two do, two stay parked) under
#                     audit=entry: the self-tests, the test guest
#                   - once under audit=entry for the race: the SMP guest's
#                     MEM_SHARE / MEM_UNSHARE against DIAG_FILL /
#                     DIAG_CHECKSUM on other vCPUs, with 2 vCPUs, then 4
#
# The runs with every CPU leave audit=entry out: with four roots to walk at
# each of the test guests' ~3,500 entries it would double a run that
# Bochs's four CPUs already make slow.  The cpus=2 runs keep it, so an AP's
# root is audited at every entry all the same, and so does the race, whose
# point it is.  The Bochs 3.1 half counts as skipped where Bochs 3.1 could
# not be had (tools/bochs31.sh).
#
# A guest list (SMP_MODULES_*) names each image's guests in module order,
# as tests/bochs/smp.sh reads them: `test` is the test guest, MODE:N the SMP
# guest (guest/smp) in MODE with vcpus=N.

SMP_BOCHS_CPUS := 4
SMP_GUEST := $(BUILD)/guests/smp.elf
# 16 MiB each: four at once must fit beside keyhole in the machine's 512 MiB, and plant/check fill and read it all.
SMP_CMDLINE_ALL := loglevel=info diag selftest testhooks guest_mem=16M
SMP_CMDLINE_TWO := loglevel=info audit=entry diag selftest cpus=2
SMP_CMDLINE_RACE := loglevel=info audit=entry diag guest_mem=16M
SMP_MODULES_ALL := test test test test checks:4 plant:4 check:4
SMP_MODULES_TWO := test
SMP_MODULES_RACE := race:2 race:4
# Rounds each vCPU of a race guest runs.
SMP_RACE_ITERS ?= 10000
SMP_ISO_ALL := $(BUILD)/smp/all.iso
SMP_ISO_TWO := $(BUILD)/smp/two.iso
SMP_ISO_RACE := $(BUILD)/smp/race.iso
SMP_USB_ALL := $(BUILD)/smp/all-usb.img
SMP_USB_TWO := $(BUILD)/smp/two-usb.img
SMP_USB_RACE := $(BUILD)/smp/race-usb.img

# FILE "WORDS" pairs for tools/mkiso.sh and tools/mkusb.sh from a guest list; $(2): the test guest's file.
smp-mode = $(firstword $(subst :, ,$(1)))
smp-words = guest vcpus=$(lastword $(subst :, ,$(1))) $(call smp-mode,$(1))$(if $(filter race,$(call smp-mode,$(1))), iters=$(SMP_RACE_ITERS))
smp-modules = $(foreach m,$(1),$(if $(filter test,$(m)),$(2) "guest",$(SMP_GUEST) "$(call smp-words,$(m))"))
smp-cmdline = $(SMP_CMDLINE_$(call smp-upper,$(1)))
smp-list = $(SMP_MODULES_$(call smp-upper,$(1)))
smp-upper = $(if $(filter all,$(1)),ALL,$(if $(filter two,$(1)),TWO,RACE))

# Rebuilt when a list, a command line or the race's length changes.
SMP_STAMP := $(BUILD)/smp/images.args
$(SMP_STAMP): hv-force
	$(call write-if-changed,$(SMP_CMDLINE_ALL) $(SMP_CMDLINE_TWO) $(SMP_CMDLINE_RACE) $(SMP_MODULES_ALL) $(SMP_MODULES_TWO) $(SMP_MODULES_RACE) $(SMP_RACE_ITERS))

$(SMP_ISO_ALL) $(SMP_ISO_TWO) $(SMP_ISO_RACE): $(BUILD)/smp/%.iso: $(HV_ELF) $(HV_GUEST_MODULE) $(SMP_GUEST) \
		$(SMP_STAMP) tools/mkiso.sh mk/test-smp.mk
	@mkdir -p $(@D)
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(HV_ELF) "$(call smp-cmdline,$*)" $(call smp-modules,$(call smp-list,$*),$(HV_GUEST_MODULE))

$(SMP_USB_ALL) $(SMP_USB_TWO) $(SMP_USB_RACE): $(BUILD)/smp/%-usb.img: $(EFI_APP) $(BUILD)/guest-embed.elf $(SMP_GUEST) \
		$(SMP_STAMP) tools/mkusb.sh mk/test-smp.mk
	@mkdir -p $(@D)
	@echo "  USB     $@"
	@tools/mkusb.sh -g $(BUILD)/guest-embed.elf $@ $(EFI_APP) "$(call smp-cmdline,$*)" \
		$(call smp-modules,$(call smp-list,$*),$(BUILD)/guest-embed.elf)

SMP_RUN := BOCHS_CPUS=$(SMP_BOCHS_CPUS) bash tests/bochs/smp.sh
SMP_UEFI = BOCHS_CPUS=$(SMP_BOCHS_CPUS) SMP_BOOT=uefi tests/bochs/uefi-suite.sh $(BOCHS31_ROOT) tests/bochs/smp.sh

SMP_ALL_ENV = SMP_SELFTESTS=9 SMP_MODULES="$(SMP_MODULES_ALL)"
SMP_TWO_ENV = SMP_EXPECT=2 SMP_MODULES="$(SMP_MODULES_TWO)"
SMP_RACE_ENV = SMP_SELFTESTS=0 SMP_MODULES="$(SMP_MODULES_RACE)" SMP_RACE_ITERS=$(SMP_RACE_ITERS)
SMP_IMAGES := $(SMP_ISO_ALL) $(SMP_ISO_TWO) $(SMP_ISO_RACE) $(SMP_USB_ALL) $(SMP_USB_TWO) $(SMP_USB_RACE)

.PHONY: test-smp
TEST_IMAGES += $(SMP_IMAGES)
test-smp: $(SMP_IMAGES)
	@tools/run-suites.sh "make test-smp" \
		"GRUB, every CPU" '$(SMP_ALL_ENV) $(SMP_RUN) $(SMP_ISO_ALL) $(BUILD)/smp/grub-all' \
		"GRUB, cpus=2" '$(SMP_TWO_ENV) $(SMP_RUN) $(SMP_ISO_TWO) $(BUILD)/smp/grub-two' \
		"GRUB, race" '$(SMP_RACE_ENV) $(SMP_RUN) $(SMP_ISO_RACE) $(BUILD)/smp/grub-race' \
		"UEFI, every CPU" '$(SMP_ALL_ENV) $(SMP_UEFI) $(SMP_USB_ALL) $(BUILD)/smp/uefi-all' \
		"UEFI, cpus=2" '$(SMP_TWO_ENV) $(SMP_UEFI) $(SMP_USB_TWO) $(BUILD)/smp/uefi-two' \
		"UEFI, race" '$(SMP_RACE_ENV) $(SMP_UEFI) $(SMP_USB_RACE) $(BUILD)/smp/uefi-race'

TEST_SUITES += test-smp
