/*
 * What a guest sees of CPUID, as a pure function of what the CPU says
 * (hv/vm/cpuid_policy.c; hv/vm/cpuid.c feeds it the real instruction, the
 * unit tests the leaves of imagined CPUs).
 *
 * Every leaf keyhole does not own passes through an allow-list, as KVM's
 * kvm_set_cpu_caps() does: a feature bit reaches the guest only when keyhole
 * knows the feature works under it (its instructions do not need a VMX
 * control keyhole leaves off, its MSRs are answered, its state is in the
 * XCR0 keyhole allows).  Leaves keyhole knows nothing of read as zeros, and
 * leaf 0 and 0x80000000 name the last leaf it answers.  Leaf 0xD is owned:
 * its components are the XCR0 keyhole allows and its sizes are computed
 * from the components' own subleaves, so they agree with each other.
 */
#ifndef KEYHOLE_HV_VM_CPUID_POLICY_H
#define KEYHOLE_HV_VM_CPUID_POLICY_H

#include <keyhole/types.h>
#include <x86/cpuid.h>

/* The last basic and extended leaves a guest is answered. */
#define CPUID_POLICY_MAX_BASIC 0x1f
#define CPUID_POLICY_MAX_EXT 0x80000008u

typedef struct cpuid_regs (*cpuid_source)(u32 leaf, u32 subleaf);

struct cpuid_guest {
	bool pc;      /* GUEST_PLATFORM_PC: the devices it is not given are hidden too */
	bool osxsave; /* the guest's CR4.OSXSAVE */
	bool ospke;   /* the guest's CR4.PKE */
	bool rdtscp;  /* RDTSCP (and so RDPID) is enabled in its VMCS */
	u64 xcr0;     /* its XCR0 now */
};

/* The guest's view of leaf/subleaf (not keyhole's own 0x400000xx leaves). */
struct cpuid_regs cpuid_policy(u32 leaf, u32 subleaf, const struct cpuid_guest *g, cpuid_source cpu);
/* The XCR0 bits a guest may set: what the CPU supports and keyhole lets guests use (x87, SSE, AVX, AVX-512, PKRU). */
u64 cpuid_policy_xcr0_allowed(cpuid_source cpu);
/* The XSAVE area size for the components in mask (standard format), from the CPU's leaf 0xD subleaves. */
u32 cpuid_policy_xsave_size(u64 mask, cpuid_source cpu);

#endif
