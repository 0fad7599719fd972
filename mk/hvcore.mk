# Hypervisor code that is plain C over the memory core, so the unit tests
# run it on the simulated machine too.
HVCORE_SRCS := hv/guest_load.c hv/hypercall.c
UNIT_EXTRA_SRCS += $(HVCORE_SRCS)
