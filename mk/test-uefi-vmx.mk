# The user's path in CI: the USB image through UEFI into VT-x, in Bochs 3.1
# with OVMF (tools/bochs31.sh: Debian unstable's Bochs, unpacked under build/
# by make deps), on a matrix of CPU models (tests/bochs/uefi-matrix.sh).
#
#   make test-uefi         all of the UEFI path, one closing line:
#     test-uefi-qemu       the loader in QEMU/OVMF (mk/efi.mk)
#     test-uefi-vmx        the test guest on every model; a model without EPT
#                          must end with the capability named
#     test-uefi-hostile    the hostile suite and the hypercall fuzzer, with
#                          the checks of their GRUB runs (one model)
#     test-uefi-linux      Debian's kernel to userspace under protect=all
#                          audit=entry, on UEFI_LINUX_MODELS
#   The Bochs 3.1 suites count as skipped where Bochs 3.1 could not be had.
#
# The image is the USB image with `diag` (the test guest's DIAG checks); the
# one `make usb` builds for users has no diag.

BOCHS31_ROOT := $(BUILD)/bochs31
USB_TEST_IMG := $(BUILD)/keyhole-usb-test.img
USB_TEST_OPTIONS := loglevel=info diag selftest

$(USB_TEST_IMG): $(EFI_APP) $(BUILD)/guest-embed.elf tools/mkusb.sh mk/test-uefi-vmx.mk
	@echo "  USB     $@ (options: $(USB_TEST_OPTIONS))"
	@tools/mkusb.sh -g $(BUILD)/guest-embed.elf $@ $(EFI_APP) "$(USB_TEST_OPTIONS)"

.PHONY: test-uefi-vmx bochs31
bochs31:
	@tools/bochs31.sh setup $(BOCHS31_ROOT) || true

TEST_IMAGES += $(USB_TEST_IMG) $(ADV_USB) $(FUZZ_GUEST_USB) $(LINUX_USB_TEST)
test-uefi-vmx: $(USB_TEST_IMG)
	@tests/bochs/uefi-matrix.sh $(USB_TEST_IMG) $(BUILD)/uefi-vmx $(BOCHS31_ROOT)

# The hostile suite and the fuzzer: the GRUB runs' guests and command lines (mk/test-adversarial.mk) on a stick.
ADV_USB := $(BUILD)/adversarial-usb.img
FUZZ_GUEST_USB := $(BUILD)/fuzz-guest-usb.img
$(ADV_USB): $(EFI_APP) $(HOSTILE) tools/mkusb.sh mk/test-adversarial.mk
	@echo "  USB     $@"
	@tools/mkusb.sh $@ $(EFI_APP) "$(ADV_CMDLINE)" $(ADV_MODULES)
$(FUZZ_GUEST_USB): $(EFI_APP) $(BUILD)/guests/fuzz.elf $(FUZZ_GUEST_STAMP) tools/mkusb.sh mk/test-adversarial.mk
	@echo "  USB     $@"
	@tools/mkusb.sh $@ $(EFI_APP) "$(FUZZ_GUEST_CMDLINE)" $(FUZZ_GUEST_MODULES)

# Linux through UEFI: the kernel and its initrd, then the test guest; the
# loader refuses bad modules itself (test-uefi-qemu), so none go in front.
UEFI_LINUX_MODELS ?= corei7_skylake_x sapphire_rapids arrow_lake
LINUX_USB_TEST := $(BUILD)/linux-usb-test.img
$(LINUX_USB_TEST): $(EFI_APP) $(LINUX_DIR)/bzImage $(LINUX_DIR)/initrd.cpio.gz $(LINUX_STAMP) $(HV_GUEST_MODULE) \
		tools/mkusb.sh mk/test-uefi-vmx.mk
	@echo "  USB     $@"
	@tools/mkusb.sh $@ $(EFI_APP) "$(LINUX_KEYHOLE_CMDLINE)" \
		$(LINUX_DIR)/bzImage "linux $(LINUX_CMDLINE) keyhole.mem=$(LINUX_GUEST_MEM)" \
		$(LINUX_DIR)/initrd.cpio.gz "initrd" \
		$(HV_GUEST_MODULE) "guest"

.PHONY: test-uefi test-uefi-hostile test-uefi-linux
test-uefi-hostile: $(ADV_USB) $(FUZZ_GUEST_USB)
	@tools/run-suites.sh "make test-uefi-hostile" \
		"hostile suite" "tests/bochs/uefi-suite.sh $(BOCHS31_ROOT) tests/bochs/adversarial.sh $(ADV_USB) $(BUILD)/uefi-adversarial" \
		"hypercall fuzzer" "tests/bochs/uefi-suite.sh $(BOCHS31_ROOT) tests/bochs/fuzz-guest.sh $(FUZZ_GUEST_USB) $(BUILD)/uefi-fuzz-guest"

test-uefi-linux: $(LINUX_USB_TEST)
	@LINUX_REFUSALS=0 tests/bochs/uefi-suite.sh $(BOCHS31_ROOT) tests/bochs/linux.sh $(LINUX_USB_TEST) \
		$(BUILD)/uefi-linux $(UEFI_LINUX_MODELS)

UEFI_SUITES := test-uefi-qemu test-uefi-vmx test-uefi-hostile test-uefi-linux
test-uefi:
	@SUITE_JOBS=1 tools/run-suites.sh "make test-uefi" \
		$(foreach t,$(UEFI_SUITES),$(t) "$(MAKE) -s --no-print-directory $(t)")

# make test runs them one by one, beside the others (TEST_JOBS).
TEST_SUITES += $(UEFI_SUITES)


# Nested QEMU/KVM where the CPU has VT-x (tests/kvm/run.sh): the test guest, the hostile suite and Linux,
# from the same images as the Bochs UEFI runs; skipped, and counted so, elsewhere.
.PHONY: test-kvm
test-kvm: $(USB_TEST_IMG) $(ADV_USB) $(LINUX_USB_TEST)
	@tests/kvm/run.sh $(BUILD)/kvm $(USB_TEST_IMG) $(ADV_USB) $(LINUX_USB_TEST)

TEST_SUITES += test-kvm
