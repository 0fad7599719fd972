# keyhole: every entry point.  Outputs go under build/ (git-ignored).
#
#   make deps     install the Debian packages keyhole uses (only what is missing)
#   make unit     host unit tests of the memory core, plain and under ASan/UBSan
#   make test     everything that exists; ends with "N passed, N failed"
#
# The sources are listed once, here, one list per directory; the images and
# the test suites that use them live in mk/*.mk, included below.

BUILD := build
CC := gcc
HOSTCC := gcc

# ---- sources: one list per directory ----------------------------------------
#
# Dependencies point one way (README, "Layout"):
#   boot/ -> hv/ -> ept/ -> mm/ -> lib/, with include/ below them all.
# tools/check-tree.sh (make test-tree) holds the tree to that.

LIB_SRCS := $(wildcard lib/*.c)
MM_SRCS := $(wildcard mm/*.c)
EPT_SRCS := $(wildcard ept/*.c)
HV_CPU_SRCS := $(wildcard hv/cpu/*.c hv/cpu/*.S)
HV_VMX_SRCS := $(wildcard hv/vmx/*.c hv/vmx/*.S)
HV_VM_SRCS := $(wildcard hv/vm/*.c)
HV_LOADER_SRCS := $(wildcard hv/loader/*.c)
HV_PLATFORM_SRCS := $(wildcard hv/platform/*.c)
HV_RUNTIME_SRCS := $(wildcard hv/runtime/*.c)
# The image's own entries: multiboot2 and the UEFI hand-off (boot/efi/ is the loader, mk/efi.mk).
BOOT_SRCS := $(wildcard boot/*.c boot/*.S)

# The hypervisor image.
HV_SRCS := $(BOOT_SRCS) $(HV_RUNTIME_SRCS) $(HV_CPU_SRCS) $(HV_VMX_SRCS) $(HV_VM_SRCS) $(HV_LOADER_SRCS) $(HV_PLATFORM_SRCS) \
	$(EPT_SRCS) $(MM_SRCS) $(LIB_SRCS)
# What the host unit tests and fuzzers build: the portable core, and the hv/
# files that are plain C over it (no instruction of their own).
HOSTED_SRCS := $(LIB_SRCS) $(MM_SRCS) $(EPT_SRCS) $(HV_LOADER_SRCS) \
	hv/vm/hypercall.c hv/vm/kvm_clock.c hv/vm/vm_mem.c hv/vm/cpuid_policy.c hv/vm/cmos.c hv/vm/xcr0.c hv/vm/exit_stats.c hv/vmx/vmx_caps.c \
	hv/vmx/vmx_names.c hv/runtime/shutdown_plan.c boot/efi/memclass.c boot/efi/optparse.c hv/platform/madt.c

# ---- flags --------------------------------------------------------------------

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# The hypervisor: freestanding, no SSE/x87 (guest FPU state is never touched),
# no red zone (interrupts run on the same stack).
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc \
	-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fno-pic -fno-pie \
	-mcmodel=kernel -fno-asynchronous-unwind-tables -fno-common \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude -I. -I$(BUILD)/include

# Host unit tests: the same core sources, hosted, against tests/unit/arch.
UNIT_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -Iinclude -I. -Itests/unit -DKEYHOLE_HOSTED -pthread
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# Every suite: each is a make target that ends with "N passed, N failed"; mk/*.mk append theirs.
TEST_SUITES := unit-plain unit-san

UNIT_SRCS := $(wildcard tests/unit/*.c)
ALL_HDRS := $(wildcard include/*/*.h lib/*.h mm/*.h ept/*.h hv/*/*.h tests/unit/*.h)

# A stamp file that holds $(1) and is rewritten only when $(1) changes, so
# that what depends on a command line or a setting rebuilds when it does.
write-if-changed = @mkdir -p $(@D); echo '$(1)' | cmp -s - $@ || echo '$(1)' > $@

.PHONY: all deps unit unit-plain unit-san test clean
all: unit

-include $(sort $(wildcard mk/*.mk))

deps:
	@tools/deps.sh

$(BUILD)/unit/keyhole-unit: $(HOSTED_SRCS) $(UNIT_SRCS) $(ALL_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ $(HOSTED_SRCS) $(UNIT_SRCS)

$(BUILD)/unit/keyhole-unit-san: $(HOSTED_SRCS) $(UNIT_SRCS) $(ALL_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) $(SAN_FLAGS) -o $@ $(HOSTED_SRCS) $(UNIT_SRCS)

TEST_IMAGES += $(BUILD)/unit/keyhole-unit $(BUILD)/unit/keyhole-unit-san
unit-plain: $(BUILD)/unit/keyhole-unit
	@$(BUILD)/unit/keyhole-unit

unit-san: $(BUILD)/unit/keyhole-unit-san
	@ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/unit/keyhole-unit-san

unit: $(BUILD)/unit/keyhole-unit $(BUILD)/unit/keyhole-unit-san
	@tools/run-suites.sh unit unit-plain "$(MAKE) -s --no-print-directory unit-plain" \
		unit-san "$(MAKE) -s --no-print-directory unit-san"

# make test builds everything the suites use first, then runs TEST_JOBS
# suites at once (one per core: each emulator is a single thread), the
# longest first so that the rest fill the other cores around them.
TEST_JOBS ?= $(shell nproc)
TEST_LONGEST := test-smp-uefi test-smp-grub test-uefi-linux test-uefi-vmx test-linux test-uefi-hostile
TEST_ORDER = $(filter $(TEST_SUITES),$(TEST_LONGEST)) $(filter-out $(TEST_LONGEST),$(TEST_SUITES))
test: deps
	@$(MAKE) -s --no-print-directory $(TEST_IMAGES)
	@SUITE_JOBS=$(TEST_JOBS) tools/run-suites.sh "make test" \
		$(foreach t,$(TEST_ORDER),$(t) "$(MAKE) -s --no-print-directory $(t)")

clean:
	rm -rf $(BUILD)
