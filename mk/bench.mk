# make bench: deterministic path lengths in Bochs (not part of make test).
# See docs/benchmarks.md for the method.
BENCH_ISO := $(BUILD)/bench.iso
# A quiet console: at info level the boot log alone costs about 20 million
# instructions of waiting for the emulated 115200-baud UART (docs/benchmarks.md).
BENCH_CMDLINE ?= loglevel=warn diag bench

$(BENCH_ISO): $(BUILD)/keyhole.elf $(BUILD)/guests/bench.elf tools/mkiso.sh mk/bench.mk
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(BUILD)/keyhole.elf "$(BENCH_CMDLINE)" $(BUILD)/guests/bench.elf "guest"

.PHONY: bench
bench: deps $(BENCH_ISO)
	@tools/bench.sh $(BENCH_ISO) $(BUILD)/keyhole.elf $(BUILD)/bench
