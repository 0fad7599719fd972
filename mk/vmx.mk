# VMX hardware definitions and capability logic (hv/vmcs.h, hv/msr.h,
# hv/vmx_caps.[ch], hv/vmx_names.c): pure C, built into the hypervisor and,
# hosted, into the unit tests (tests/unit/test_vmx_caps.c).
#
# VMX_PURE_SRCS is what the hypervisor's object list should take too.

VMX_PURE_SRCS := hv/vmx_caps.c hv/vmx_names.c
UNIT_EXTRA_SRCS += $(VMX_PURE_SRCS)
