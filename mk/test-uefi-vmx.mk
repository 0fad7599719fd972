# The user's path in CI: the USB image through UEFI into VT-x, in Bochs 3.1
# with OVMF (tools/bochs31.sh: Debian unstable's Bochs, unpacked under build/
# by make deps), on a matrix of CPU models (tests/bochs/uefi-matrix.sh).
#
#   make test-uefi-vmx   the test guest on every model; a model without EPT
#                        must end with the capability named.  Skipped, and
#                        counted so, where Bochs 3.1 could not be had.
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

test-uefi-vmx: $(USB_TEST_IMG)
	@tests/bochs/uefi-matrix.sh $(USB_TEST_IMG) $(BUILD)/uefi-vmx $(BOCHS31_ROOT)

TEST_SUITES += test-uefi-vmx

# Nested QEMU/KVM where the CPU has VT-x (tests/kvm/run.sh); skipped, and counted so, elsewhere.
.PHONY: test-kvm
test-kvm: $(USB_TEST_IMG)
	@tests/kvm/run.sh $(USB_TEST_IMG) $(BUILD)/kvm

TEST_SUITES += test-kvm
