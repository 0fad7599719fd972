# make bench: deterministic path lengths in Bochs (not part of make test).
# See docs/benchmarks.md for the method.
BENCH_ISO := $(BUILD)/bench.iso

$(BENCH_ISO): $(BUILD)/keyhole.elf $(BUILD)/guests/bench.elf tools/mkiso.sh mk/bench.mk
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(BUILD)/keyhole.elf "loglevel=info" $(BUILD)/guests/bench.elf "guest"

.PHONY: bench
bench: deps $(BENCH_ISO)
	@tools/bench.sh $(BENCH_ISO) $(BUILD)/keyhole.elf $(BUILD)/bench
