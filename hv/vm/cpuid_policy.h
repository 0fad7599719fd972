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

/*
 * A vCPU's answers that depend on nothing the guest changes, filled once at
 * its set-up from cpuid_policy() (on the CPU it runs on, whose APIC ID leaf 1
 * names), so that a CPUID exit for one of them is a lookup: every basic leaf
 * that has no subleaves and is not leaf 0xD (0, 2, 5, 6, 0xA, 0x15, 0x16 and
 * the leaves that read zero), leaf 1 with OSXSAVE added from the guest's
 * CR4 at the lookup, and every extended leaf keyhole answers.  The leaves
 * with subleaves (4, 7, 0xB, 0xD, 0x18, 0x1F) and leaf 7's OSPKE and 0xD's
 * XCR0-sized area go through cpuid_policy() at each exit as before.
 */
#define CPUID_TABLE_BASIC (CPUID_POLICY_MAX_BASIC + 1)
#define CPUID_TABLE_EXT (CPUID_POLICY_MAX_EXT - CPUID_LEAF_EXT_BASE + 1)

struct cpuid_table {
	u32 cached;  /* bit n: basic leaf n is in basic[n] */
	struct cpuid_regs basic[CPUID_TABLE_BASIC];
	struct cpuid_regs ext[CPUID_TABLE_EXT];
};

/* g: the vCPU's fixed part (pc, rdtscp); its CR4 bits and XCR0 are not used. */
void cpuid_table_init(struct cpuid_table *t, const struct cpuid_guest *g, cpuid_source cpu);

/* leaf's answer from the table (osxsave: the guest's CR4.OSXSAVE now), or false: ask cpuid_policy(). */
static inline bool cpuid_table_lookup(const struct cpuid_table *t, u32 leaf, bool osxsave, struct cpuid_regs *c)
{
	if (leaf < CPUID_TABLE_BASIC) {
		if (!(t->cached & (1u << leaf)))
			return false;
		*c = t->basic[leaf];
		if (leaf == CPUID_LEAF_FEATURES && osxsave)
			c->ecx |= CPUID_1_ECX_OSXSAVE;
		return true;
	}
	if (leaf - CPUID_LEAF_EXT_BASE < CPUID_TABLE_EXT) {
		*c = t->ext[leaf - CPUID_LEAF_EXT_BASE];
		return true;
	}
	return false;
}

/* The guest's view of leaf/subleaf (not keyhole's own 0x400000xx leaves). */
struct cpuid_regs cpuid_policy(u32 leaf, u32 subleaf, const struct cpuid_guest *g, cpuid_source cpu);
/* The XCR0 bits a guest may set: what the CPU supports and keyhole lets guests use (x87, SSE, AVX, AVX-512, PKRU). */
u64 cpuid_policy_xcr0_allowed(cpuid_source cpu);
/* The XSAVE area size for the components in mask (standard format), from the CPU's leaf 0xD subleaves. */
u32 cpuid_policy_xsave_size(u64 mask, cpuid_source cpu);

#endif
