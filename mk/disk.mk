# GRUB from a hard disk (issue #12): what users have more often than a CD.
#
#   make disk        build/keyhole-disk.img: a 64 MiB MBR disk image, BIOS-
#                    bootable, GRUB's boot.img in the MBR and core.img in the
#                    gap before the one FAT partition, which holds keyhole, the
#                    test guest and the ISO's grub.cfg (tools/mkdisk.sh; no root)
#   make test-disk   boot it in Bochs from the disk and check the serial log
#                    (tests/bochs/disk.sh; output under build/disk/)
#
# The command line is the ISO's, KEYHOLE_CMDLINE (mk/hv.mk), and the guest
# the ISO's module, so that the two images boot the same thing.
#
# This file is read before mk/hv.mk (they go in name order), so a rule's
# prerequisites here cannot name hv.mk's variables (they would still be
# empty): the files are named as they are, and the command line has a stamp
# of its own (KEYHOLE_CMDLINE itself is only read in recipes, which make
# expands after reading every file).

DISK_IMG := $(BUILD)/keyhole-disk.img
DISK_CMDLINE_STAMP := $(BUILD)/keyhole-disk.cmdline

$(DISK_CMDLINE_STAMP): disk-force
	$(call write-if-changed,$(KEYHOLE_CMDLINE))

$(DISK_IMG): $(BUILD)/keyhole.elf $(BUILD)/guest.elf $(DISK_CMDLINE_STAMP) tools/mkdisk.sh tools/grub-tree.sh
	@echo "  DISK    $@"
	@tools/mkdisk.sh $@ $(BUILD)/keyhole.elf "$(KEYHOLE_CMDLINE)" $(BUILD)/guest.elf "guest"

.PHONY: disk test-disk disk-force
disk: $(DISK_IMG)

TEST_IMAGES += $(DISK_IMG)
test-disk: $(DISK_IMG)
	@tests/bochs/disk.sh $(DISK_IMG) $(BUILD)/disk

TEST_SUITES += test-disk
