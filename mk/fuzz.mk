# Host fuzzing with libFuzzer (clang, from Debian), over the same sources as
# the unit tests and their simulated machine.
#
#   make fuzz               each target for FUZZ_SECONDS (default 60)
#   make fuzz-smoke         each target over its regression corpus, then 10 s
#                           (part of make test)
#
# Crashes land in build/fuzz/; a fixed one's input goes into
# tests/fuzz/corpus/TARGET/ as a regression case.

FUZZ_TARGETS := fuzz_mm fuzz_hypercall
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_CC := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -I. -Itests/unit \
	-DKEYHOLE_HOSTED -pthread -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_COMMON_SRCS := $(HOSTED_SRCS) tests/unit/sim.c tests/unit/model.c tests/fuzz/support.c

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_COMMON_SRCS) $(ALL_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_COMMON_SRCS)

.PHONY: fuzz fuzz-smoke
fuzz: deps $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

TEST_IMAGES += $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
fuzz-smoke: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

TEST_SUITES += fuzz-smoke
