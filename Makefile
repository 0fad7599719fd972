# keyhole: every entry point.  Outputs go under build/ (git-ignored).
#
#   make deps     install the Debian packages keyhole uses (only what is missing)
#   make unit     host unit tests of the memory core, plain and under ASan/UBSan
#   make test     everything that exists; ends with "N passed, N failed"
#
# Area-specific rules live in mk/*.mk and are included below.

BUILD := build
CC := gcc
HOSTCC := gcc

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# The hypervisor: freestanding, no SSE/x87 (guest FPU state is never touched),
# no red zone (interrupts run on the same stack).
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc \
	-mgeneral-regs-only -mno-red-zone -fno-stack-protector -fno-pic -fno-pie \
	-mcmodel=kernel -fno-asynchronous-unwind-tables -fno-common \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude -I.

# Host unit tests: the same core sources, hosted, against tests/unit/arch.
UNIT_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -Iinclude -I. -Itests/unit -DKEYHOLE_HOSTED
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

TEST_SUITES :=

# Sources of the portable core, built for both the hypervisor and the tests.
CORE_SRCS := mm/frame.c mm/pt.c mm/hostmm.c mm/fixmap.c mm/gmap.c mm/audit.c ept/ept.c lib/string.c
UNIT_SRCS := $(wildcard tests/unit/*.c)
# mk/*.mk may append hosted-testable sources here.
UNIT_EXTRA_SRCS :=

.PHONY: all deps unit unit-plain unit-san test clean
all: unit

-include $(sort $(wildcard mk/*.mk))

deps:
	@tools/deps.sh

$(BUILD)/unit/keyhole-unit: $(CORE_SRCS) $(UNIT_EXTRA_SRCS) $(UNIT_SRCS) $(wildcard include/keyhole/*.h mm/*.h ept/*.h lib/*.h tests/unit/*.h hv/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ $(CORE_SRCS) $(UNIT_EXTRA_SRCS) $(UNIT_SRCS)

$(BUILD)/unit/keyhole-unit-san: $(CORE_SRCS) $(UNIT_EXTRA_SRCS) $(UNIT_SRCS) $(wildcard include/keyhole/*.h mm/*.h ept/*.h lib/*.h tests/unit/*.h hv/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) $(SAN_FLAGS) -o $@ $(CORE_SRCS) $(UNIT_EXTRA_SRCS) $(UNIT_SRCS)

unit-plain: $(BUILD)/unit/keyhole-unit
	@$(BUILD)/unit/keyhole-unit

unit-san: $(BUILD)/unit/keyhole-unit-san
	@ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/unit/keyhole-unit-san

unit: $(BUILD)/unit/keyhole-unit $(BUILD)/unit/keyhole-unit-san
	@tools/run-suites.sh unit unit-plain "$(MAKE) -s --no-print-directory unit-plain" \
		unit-san "$(MAKE) -s --no-print-directory unit-san"

# Every suite: each is a make target that ends with "N passed, N failed".
# mk/*.mk append theirs.
TEST_SUITES := unit-plain unit-san $(TEST_SUITES)

test: deps
	@tools/run-suites.sh "make test" $(foreach t,$(TEST_SUITES),$(t) "$(MAKE) -s --no-print-directory $(t)")

clean:
	rm -rf $(BUILD)
