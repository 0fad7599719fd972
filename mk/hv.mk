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
#
# The sources are the Makefile's HV_SRCS.  Objects go to build/hv/<source
# path>.o.  Two generated files come first:
#   build/include/generated/asm-offsets.h  structure offsets and VMCS field
#       encodings for the assembly (hv/asm-offsets.c, compiled to assembly and
#       read back, the Linux/Jailhouse way: no offset is typed twice);
#   build/hv/linker.ld  linker.ld through the C preprocessor, so that it takes
#       its constants from include/keyhole/layout.h.
# The built-in test guest is linked in (mk/guest.mk) as the default when the
# loader hands over no guest module.

HV_BUILD := $(BUILD)/hv
HV_ELF := $(BUILD)/keyhole.elf
HV_ISO := $(BUILD)/keyhole.iso
HV_ISO_DIR := $(BUILD)/iso
HV_LDSCRIPT := $(HV_BUILD)/linker.ld
HV_GUEST_MODULE := $(BUILD)/guest.elf
HV_EXTRA_OBJS := $(BUILD)/guest_blob.o
ASM_OFFSETS := $(BUILD)/include/generated/asm-offsets.h

KEYHOLE_CMDLINE ?= loglevel=info audit=entry diag selftest

# The string routines must not be turned back into calls to themselves.
HV_LOCAL_CFLAGS := -fno-tree-loop-distribute-patterns -MMD -MP

HV_OBJS := $(patsubst %,$(HV_BUILD)/%.o,$(basename $(sort $(HV_SRCS))))

# Code that runs once (the boot, the set-up of the machine and of each vCPU,
# the loaders, the self-tests) or only to say something (printf) is built
# for size: none of it is on a VM exit's path, and it is a third of the
# image (make bench's image_bytes, target 256 KiB).  What a VM exit, a gmap
# access or a TLB shootdown runs stays at -O2.
HV_COLD_SRCS := lib/printf.c hv/runtime/main.c hv/runtime/mm_setup.c hv/runtime/selftest.c \
	hv/runtime/selftest_smp.c hv/runtime/shutdown_plan.c hv/vm/vcpu_setup.c hv/loader/guest_load.c \
	hv/loader/linux_load.c hv/platform/tsc.c hv/platform/madt.c hv/platform/platform.c \
	hv/vmx/vmx_caps.c hv/vmx/vmx_names.c hv/vm/vm_run.c boot/boot.c boot/mb2.c
$(patsubst %.c,$(HV_BUILD)/%.o,$(HV_COLD_SRCS)): HV_LOCAL_CFLAGS += -Os

$(HV_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(HV_LOCAL_CFLAGS) -c -o $@ $<

$(HV_BUILD)/%.o: %.S $(ASM_OFFSETS)
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(HV_LOCAL_CFLAGS) -c -o $@ $<

# Each "->NAME value" marker the compiler leaves in the assembly becomes a #define.
$(ASM_OFFSETS): hv/asm-offsets.c $(ALL_HDRS)
	@mkdir -p $(@D) $(HV_BUILD)
	$(CC) $(HV_CFLAGS) -S -o $(HV_BUILD)/asm-offsets.s $<
	@{ echo '/* Generated from hv/asm-offsets.c by mk/hv.mk: do not edit. */'; \
	   echo '#ifndef KEYHOLE_GENERATED_ASM_OFFSETS_H'; echo '#define KEYHOLE_GENERATED_ASM_OFFSETS_H'; \
	   sed -n 's/^[[:space:]]*\.ascii[[:space:]]*"->\([A-Z0-9_]*\) \$$\{0,1\}\(-\{0,1\}[0-9]*\)".*/#define \1 \2/p' \
		$(HV_BUILD)/asm-offsets.s; \
	   echo '#endif'; } > $@.tmp
	@grep -q '#define' $@.tmp || { echo "asm-offsets: no constants found in $(HV_BUILD)/asm-offsets.s" >&2; exit 1; }
	@mv $@.tmp $@

$(HV_LDSCRIPT): linker.ld include/keyhole/layout.h
	@mkdir -p $(@D)
	$(CC) -E -P -x c -undef -D__ASSEMBLER__ -Iinclude -o $@ $<

-include $(wildcard $(HV_BUILD)/*.d $(HV_BUILD)/*/*.d $(HV_BUILD)/*/*/*.d)

$(HV_ELF): $(HV_OBJS) $(HV_EXTRA_OBJS) $(HV_LDSCRIPT)
	ld -nostdlib -static --fatal-warnings -z max-page-size=0x1000 -z noexecstack \
		-T $(HV_LDSCRIPT) -Map=$(HV_BUILD)/keyhole.map -o $@ $(HV_OBJS) $(HV_EXTRA_OBJS)

# --- the ISO -------------------------------------------------------------------

# The ISO depends on the command line through this file, which is rewritten
# only when the line changes.
HV_CMDLINE_STAMP := $(HV_BUILD)/cmdline
$(HV_CMDLINE_STAMP): hv-force
	$(call write-if-changed,$(KEYHOLE_CMDLINE))

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

TEST_IMAGES += $(HV_ISO)
test-bochs: $(HV_ISO)
	@tests/bochs/run.sh $(HV_ISO) $(BUILD)/bochs

TEST_SUITES += test-bochs

.PHONY: run
run: deps $(BUILD)/keyhole.iso
	@tools/run.sh $(BUILD)/keyhole.iso

# The tree's shape (README, "Layout"): one-way layers, no call cycles, file sizes.
.PHONY: test-tree
test-tree: $(HV_ELF)
	@tools/check-tree.py $(HV_BUILD)

TEST_SUITES += test-tree
