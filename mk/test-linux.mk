# An unmodified Linux kernel as a protected guest.
#
#   make test-linux   Debian's kernel (apt-get download, into build/linux/)
#                     and a busybox initramfs, booted under keyhole in Bochs
#                     with protect=all; tests/bochs/linux.sh checks the serial
#                     log: userspace reached, the in-guest checks, power-off
#
# Knobs:
#   LINUX_PACKAGE     another kernel package (default: what linux-image-amd64 names)
#   LINUX_GUEST_MEM   guest memory in MiB (default 256, keyhole's Linux default)
#   LINUX_CMDLINE     the kernel's command line, without keyhole.mem= (added)

LINUX_DIR := $(BUILD)/linux
LINUX_ISO := $(BUILD)/linux.iso
LINUX_GUEST_MEM ?= 256
# quiet and the rest: the flags docs/PLATFORM measured fastest in Bochs.
LINUX_CMDLINE ?= console=ttyS0,115200 quiet nokaslr mitigations=off cryptomgr.notests rodata=off \
	tsc=reliable no_timer_check
LINUX_KEYHOLE_CMDLINE := loglevel=info protect=all audit=entry diag guest_mem=$(LINUX_GUEST_MEM)M

$(LINUX_DIR)/bzImage: tools/linux-guest.sh
	@tools/linux-guest.sh kernel $(LINUX_DIR)

$(LINUX_DIR)/initrd.cpio.gz: tools/linux-guest.sh tests/linux/init tests/linux/hcprobe.c include/keyhole/hypercall.h \
		tests/linux/kvmclock.c tests/linux/stamp.h include/keyhole/kvm_para.h
	@tools/linux-guest.sh initrd $(LINUX_DIR) tests/linux/init

# Rebuilt when the command lines change.
LINUX_STAMP := $(LINUX_DIR)/cmdline
$(LINUX_STAMP): hv-force
	$(call write-if-changed,$(LINUX_KEYHOLE_CMDLINE) | $(LINUX_CMDLINE))

# Two bad modules first, each refused with its reason while keyhole stays
# up: an initrd without a kernel before it, and an ELF file handed over as a
# kernel.  Then the kernel and its initrd: guest2.  Last the test guest
# (guest3), which must run after Linux has had the PICs (tests/bochs/linux.sh
# says which of its checks protect=all makes fail, on purpose).
$(LINUX_ISO): $(HV_ELF) $(HV_GUEST_MODULE) $(LINUX_DIR)/bzImage $(LINUX_DIR)/initrd.cpio.gz $(LINUX_STAMP) \
		tools/mkiso.sh mk/test-linux.mk
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(HV_ELF) "$(LINUX_KEYHOLE_CMDLINE)" \
		$(LINUX_DIR)/initrd.cpio.gz "initrd" \
		$(HV_GUEST_MODULE) "linux console=ttyS0" \
		$(LINUX_DIR)/bzImage "linux $(LINUX_CMDLINE) keyhole.mem=$(LINUX_GUEST_MEM)" \
		$(LINUX_DIR)/initrd.cpio.gz "initrd" \
		$(HV_GUEST_MODULE) "guest"

# make usb-linux: a USB stick that boots Debian's kernel with the test
# initramfs under protect=all through UEFI, then the test guest (README,
# "Linux guests"); make test-uefi runs the same with audit=entry and diag.
LINUX_USB := $(BUILD)/keyhole-usb-linux.img
LINUX_USB_OPTIONS := loglevel=info protect=all guest_mem=$(LINUX_GUEST_MEM)M
$(LINUX_USB): $(EFI_APP) $(LINUX_DIR)/bzImage $(LINUX_DIR)/initrd.cpio.gz $(LINUX_STAMP) $(HV_GUEST_MODULE) \
		tools/mkusb.sh mk/test-linux.mk
	@echo "  USB     $@ (options: $(LINUX_USB_OPTIONS))"
	@tools/mkusb.sh $@ $(EFI_APP) "$(LINUX_USB_OPTIONS)" \
		$(LINUX_DIR)/bzImage "linux $(LINUX_CMDLINE) keyhole.mem=$(LINUX_GUEST_MEM)" \
		$(LINUX_DIR)/initrd.cpio.gz "initrd" \
		$(HV_GUEST_MODULE) "guest"

.PHONY: test-linux usb-linux
usb-linux: $(LINUX_USB)

TEST_IMAGES += $(LINUX_ISO)
test-linux: $(LINUX_ISO)
	@tests/bochs/linux.sh $(LINUX_ISO) $(BUILD)/linux-run

# About a minute in Bochs here (Linux reaches userspace in ~50 s), so it runs with every make test.
TEST_SUITES += test-linux
