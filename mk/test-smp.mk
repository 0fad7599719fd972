# SMP bring-up on both ways in (tests/bochs/smp.sh), on a Bochs machine of
# four CPUs:
#
#   make test-smp   GRUB ISO in Bochs 2.7, then the USB image through OVMF
#                   in Bochs 3.1; each once with every CPU (four report VMX
#                   on) and once with cpus=2 (two do, two stay parked); the
#                   test guest's checks on the boot CPU every time; the SMP
#                   self-tests (shootdown, fixmap isolation), with testhooks
#                   in the every-CPU runs (the shootdown skipped once, to
#                   show the check sees it).
#
# The runs with every CPU leave audit=entry out: with four roots to walk at
# each of the guest's ~3,500 entries it doubles a run that Bochs's four CPUs
# already make slow (about 60 s instead of 10).  The cpus=2 runs keep it, so
# an AP's root is audited at every entry all the same.  The Bochs 3.1 half
# counts as skipped where Bochs 3.1 could not be had (tools/bochs31.sh).

SMP_BOCHS_CPUS := 4
SMP_CMDLINE_ALL := loglevel=info diag selftest testhooks
SMP_CMDLINE_TWO := loglevel=info audit=entry diag selftest cpus=2
SMP_ISO_ALL := $(BUILD)/smp/all.iso
SMP_ISO_TWO := $(BUILD)/smp/two.iso
SMP_USB_ALL := $(BUILD)/smp/all-usb.img
SMP_USB_TWO := $(BUILD)/smp/two-usb.img

$(SMP_ISO_ALL) $(SMP_ISO_TWO): $(BUILD)/smp/%.iso: $(HV_ELF) $(HV_GUEST_MODULE) tools/mkiso.sh mk/test-smp.mk
	@mkdir -p $(@D)
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(HV_ELF) "$(if $(filter all,$*),$(SMP_CMDLINE_ALL),$(SMP_CMDLINE_TWO))" \
		$(HV_GUEST_MODULE) guest

$(SMP_USB_ALL) $(SMP_USB_TWO): $(BUILD)/smp/%-usb.img: $(EFI_APP) $(BUILD)/guest-embed.elf tools/mkusb.sh mk/test-smp.mk
	@mkdir -p $(@D)
	@echo "  USB     $@"
	@tools/mkusb.sh -g $(BUILD)/guest-embed.elf $@ $(EFI_APP) \
		"$(if $(filter all,$*),$(SMP_CMDLINE_ALL),$(SMP_CMDLINE_TWO))"

SMP_RUN := BOCHS_CPUS=$(SMP_BOCHS_CPUS) bash tests/bochs/smp.sh
SMP_UEFI = BOCHS_CPUS=$(SMP_BOCHS_CPUS) SMP_BOOT=uefi tests/bochs/uefi-suite.sh $(BOCHS31_ROOT) tests/bochs/smp.sh

.PHONY: test-smp
TEST_IMAGES += $(SMP_ISO_ALL) $(SMP_ISO_TWO) $(SMP_USB_ALL) $(SMP_USB_TWO)
test-smp: $(SMP_ISO_ALL) $(SMP_ISO_TWO) $(SMP_USB_ALL) $(SMP_USB_TWO)
	@tools/run-suites.sh "make test-smp" \
		"GRUB, every CPU" "SMP_SELFTESTS=9 $(SMP_RUN) $(SMP_ISO_ALL) $(BUILD)/smp/grub-all" \
		"GRUB, cpus=2" "SMP_EXPECT=2 $(SMP_RUN) $(SMP_ISO_TWO) $(BUILD)/smp/grub-two" \
		"UEFI, every CPU" "SMP_SELFTESTS=9 $(SMP_UEFI) $(SMP_USB_ALL) $(BUILD)/smp/uefi-all" \
		"UEFI, cpus=2" "SMP_EXPECT=2 $(SMP_UEFI) $(SMP_USB_TWO) $(BUILD)/smp/uefi-two"

TEST_SUITES += test-smp
