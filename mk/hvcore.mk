# Hypervisor code that is plain C over the memory core, so the unit tests
# run it on the simulated machine too.
HVCORE_SRCS := hv/guest_load.c hv/linux_load.c hv/hypercall.c hv/cmdline.c
UNIT_EXTRA_SRCS += $(HVCORE_SRCS)

# The hypervisor: boot, console and the core come from mk/hv.mk; these are
# the CPU set-up, VMX and the guests.  The built-in test guest is linked in
# (mk/guest.mk) as the default when the loader hands over no guest module.
HV_SRCS += hv/desc.c hv/selftest.c hv/trap_entry.S hv/mm_setup.c hv/vmx.c hv/vmx_entry.S hv/exit.c hv/vm.c \
	hv/guest_load.c hv/linux_load.c hv/hypercall.c $(VMX_PURE_SRCS)
HV_EXTRA_OBJS += $(BUILD)/guest_blob.o

TEST_SUITES += test-bochs

.PHONY: run
run: deps $(BUILD)/keyhole.iso
	@tools/run.sh $(BUILD)/keyhole.iso
