# The adversarial run: hostile guests, the hypercall fuzzer, the scrub check
# and the planted leak, one after another in one boot of keyhole in Bochs.
#
#   make test-adversarial   build/adversarial.iso in Bochs, checked by
#                           tests/bochs/adversarial.sh
#
# Every guest here shares the test guest's runtime and newlib.

# The guests are built by mk/guest.mk (EXTRA_GUESTS).

ADV_ISO := $(BUILD)/adversarial.iso
# audit=entry: invariant 1 at every VM entry; diag: the DIAG calls the guests check with;
# testhooks: the leak planter for the last guest, and the read-back of each vCPU's register reset;
# watchdog=: far above what any other case runs (the most is ~NN million), it ends `spin`.
ADV_CMDLINE := loglevel=info audit=entry diag testhooks guest_mem=16M watchdog=200
# The hostile cases in the order they run; the harness knows what each must end in.
ADV_CASES := read-far write-outside exec-outside last-page triple-fault string-io ud vmxon wrmsr \
	cr4-vmxe page-fault hlt hypercall-ranges shutdown-ports scrub-write scrub-check cpl3-hypercalls \
	xsetbv state-plant state-check spin
HOSTILE := $(BUILD)/guests/hostile.elf
# FILE "WORDS" pairs for tools/mkiso.sh and tools/mkusb.sh (the UEFI run, mk/test-uefi-vmx.mk).
ADV_MODULES = $(foreach c,$(ADV_CASES),$(HOSTILE) "guest case=$(c)") \
	$(HOSTILE) "guest case=invalid-state kh-invalid-state" \
	$(HOSTILE) "guest case=plant-leak"

$(ADV_ISO): $(HV_ELF) $(HOSTILE) tools/mkiso.sh mk/test-adversarial.mk
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(HV_ELF) "$(ADV_CMDLINE)" $(ADV_MODULES)

# The fuzzer in a boot of its own: it asks for the audit after every batch
# (DIAG_AUDIT) instead of paying for one at each of its 100,000 entries.
# Twice: from CPL 0, then the same calls (and EXIT) from CPL 3, all refused.
# testhooks for kh-lapic-timer: the LAPIC timer fires while the first runs.
FUZZ_GUEST_ISO := $(BUILD)/fuzz-guest.iso
FUZZ_GUEST_SEED ?= 0x5eed
FUZZ_GUEST_CALLS ?= 100000
FUZZ_GUEST_CMDLINE := loglevel=info diag testhooks guest_mem=16M
FUZZ_GUEST_MODULES = $(BUILD)/guests/fuzz.elf "guest seed=$(FUZZ_GUEST_SEED) calls=$(FUZZ_GUEST_CALLS) kh-lapic-timer" \
	$(BUILD)/guests/fuzz.elf "guest seed=$(FUZZ_GUEST_SEED) calls=$(FUZZ_GUEST_CALLS) cpl=3"

# Rebuilt when the seed or the count changes.
FUZZ_GUEST_STAMP := $(BUILD)/fuzz-guest.args
$(FUZZ_GUEST_STAMP): hv-force
	$(call write-if-changed,$(FUZZ_GUEST_SEED) $(FUZZ_GUEST_CALLS))

$(FUZZ_GUEST_ISO): $(HV_ELF) $(BUILD)/guests/fuzz.elf $(FUZZ_GUEST_STAMP) tools/mkiso.sh mk/test-adversarial.mk
	@echo "  GRUB    $@"
	@tools/mkiso.sh $@ $(HV_ELF) "$(FUZZ_GUEST_CMDLINE)" $(FUZZ_GUEST_MODULES)

.PHONY: test-adversarial test-fuzz-guest
TEST_IMAGES += $(ADV_ISO) $(FUZZ_GUEST_ISO)
test-adversarial: $(ADV_ISO)
	@tests/bochs/adversarial.sh $(ADV_ISO) $(BUILD)/adversarial

test-fuzz-guest: $(FUZZ_GUEST_ISO)
	@tests/bochs/fuzz-guest.sh $(FUZZ_GUEST_ISO) $(BUILD)/fuzz-guest
TEST_SUITES += test-adversarial test-fuzz-guest
