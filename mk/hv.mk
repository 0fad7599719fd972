# The hypervisor image and the ways to boot it.
#
#   make hv           build/keyhole.elf: the hypervisor, a Multiboot2 ELF64 image
#   make iso          build/keyhole.iso: GRUB (BIOS) booting keyhole over COM1,
#                     with build/guest.elf as module "guest" when that exists
#   make test-bochs   boot the ISO in Bochs and check its serial log
#                     (tests/bochs/run.sh; output under build/bochs/)
#
# Knobs:
#   KEYHOLE_CMDLINE   keyhole's command line in the ISO (default: loglevel=info audit=entry selftest)
#   HV_SRCS           the image's sources; other mk files append theirs
#                     (HV_SRCS += hv/vmx.c), before or after this file
#   HV_EXTRA_OBJS     prebuilt objects linked in as they are (build/guest_blob.o)
#   HV_CORE_SRCS      the portable core linked in: the files of CORE_SRCS that
#                     exist, together with their CPU glue hv/arch_mm.c (mm/arch.h)
#                     once that exists; `make HV_CORE_SRCS= ...` builds without
#                     them (lib/string.c, which everything needs, stays in)
#
# Objects go to build/hv/<source path>.o.  The link rule's prerequisites use
# secondary expansion, so sources appended by mk files read later still count.

HV_BUILD := $(BUILD)/hv
HV_ELF := $(BUILD)/keyhole.elf
HV_ISO := $(BUILD)/keyhole.iso
HV_ISO_DIR := $(BUILD)/iso
HV_LDSCRIPT := linker.ld
HV_GUEST_MODULE := $(BUILD)/guest.elf

KEYHOLE_CMDLINE ?= loglevel=info audit=entry selftest

HV_SRCS += \
	boot/mb2_header.S \
	boot/mb2_entry.S \
	boot/mb2.c \
	hv/main.c \
	hv/console.c \
	hv/cmdline.c \
	hv/panic.c \
	lib/printf.c \
	lib/string.c
HV_EXTRA_OBJS +=
HV_CORE_SRCS ?= $(if $(wildcard hv/arch_mm.c),hv/arch_mm.c $(wildcard $(CORE_SRCS)))

# The string routines must not be turned back into calls to themselves.
HV_LOCAL_CFLAGS := -fno-tree-loop-distribute-patterns -MMD -MP

HV_ALL_SRCS = $(sort $(HV_SRCS) $(HV_CORE_SRCS))
HV_OBJS = $(patsubst %,$(HV_BUILD)/%.o,$(basename $(HV_ALL_SRCS)))

$(HV_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(HV_LOCAL_CFLAGS) -c -o $@ $<

$(HV_BUILD)/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(HV_LOCAL_CFLAGS) -c -o $@ $<

-include $(wildcard $(HV_BUILD)/*/*.d)

.SECONDEXPANSION:
$(HV_ELF): $$(HV_OBJS) $$(HV_EXTRA_OBJS) $(HV_LDSCRIPT)
	ld -nostdlib -static --fatal-warnings -z max-page-size=0x1000 -z noexecstack \
		-T $(HV_LDSCRIPT) -Map=$(HV_BUILD)/keyhole.map -o $@ $(HV_OBJS) $(HV_EXTRA_OBJS)

# --- the ISO -------------------------------------------------------------------

# The ISO depends on the command line through this file, which is rewritten
# only when the line changes.
HV_CMDLINE_STAMP := $(HV_BUILD)/cmdline
$(HV_CMDLINE_STAMP): hv-force
	@mkdir -p $(@D)
	@echo '$(KEYHOLE_CMDLINE)' | cmp -s - $@ || echo '$(KEYHOLE_CMDLINE)' > $@

# GRUB talks on COM1 and boots at once.  The image goes in without debug
# info, which GRUB would otherwise read from the CD and load for nothing.
$(HV_ISO): $(HV_ELF) $(HV_CMDLINE_STAMP) $(HV_GUEST_MODULE)
	@rm -rf $(HV_ISO_DIR)
	@mkdir -p $(HV_ISO_DIR)/boot/grub
	objcopy --strip-debug $(HV_ELF) $(HV_ISO_DIR)/boot/keyhole.elf
	@{ \
		echo 'serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1'; \
		echo 'terminal_input serial'; \
		echo 'terminal_output serial'; \
		echo 'set timeout=0'; \
		echo 'menuentry "keyhole" {'; \
		echo '	multiboot2 /boot/keyhole.elf $(KEYHOLE_CMDLINE)'; \
		if [ -f $(HV_GUEST_MODULE) ]; then \
			cp $(HV_GUEST_MODULE) $(HV_ISO_DIR)/boot/guest.elf; \
			echo '	module2 /boot/guest.elf guest'; \
		fi; \
		echo '}'; \
	} > $(HV_ISO_DIR)/boot/grub/grub.cfg
	@echo "  GRUB    $@ (log: $(HV_BUILD)/grub-mkrescue.log)"
	@grub-mkrescue --fonts= --locales= --themes= -o $@ $(HV_ISO_DIR) \
		> $(HV_BUILD)/grub-mkrescue.log 2>&1 || { cat $(HV_BUILD)/grub-mkrescue.log >&2; exit 1; }

# --- targets -----------------------------------------------------------------

.PHONY: hv iso test-bochs hv-force
hv: $(HV_ELF)
iso: $(HV_ISO)

test-bochs: $(HV_ISO)
	@tests/bochs/run.sh $(HV_ISO) $(BUILD)/bochs
