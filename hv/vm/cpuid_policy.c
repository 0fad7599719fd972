/*
 * The CPUID allow-list (see cpuid_policy.h).  Bit names follow the SDM
 * (Vol. 2A, CPUID, Tables 3-8 to 3-11) and Linux's cpufeatures.h.  What is
 * hidden and why, in groups:
 *
 *   - instructions that need a VMX control keyhole does not set: WAITPKG
 *     (UMWAIT/TPAUSE need "enable user wait and pause"), RDTSCP and RDPID
 *     when the secondary control is off, ENQCMD (PASID), SGX, PCONFIG;
 *   - state keyhole does not let into XCR0 or XSS: MPX, PT, CET, AMX, XFD,
 *     XSAVES, arch LBRs, UINTR;
 *   - MSRs keyhole answers with #GP: IA32_SPEC_CTRL and IA32_PRED_CMD (IBRS,
 *     IBPB, STIBP, SSBD), IA32_ARCH_CAPABILITIES, IA32_CORE_CAPABILITIES,
 *     IA32_FLUSH_CMD, TSX_FORCE_ABORT, RDT's, TME's, BUS_LOCK_DETECT's;
 *   - modes keyhole's CR handling does not offer: LA57 (5-level paging:
 *     an older decompressor clears CR0.PG with it set, which keyhole
 *     refuses), TSX (HLE, RTM, TSXLDTRK: aborts are a side channel);
 *   - what describes the host, not the guest: the hybrid bit, keylocker.
 */
#include <x86/cr.h>
#include "hv/vm/cpuid_policy.h"

/* Leaf 1 */
#define L1_ECX_HIDDEN_ALWAYS (CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_OSXSAVE)
/* A PC guest is not shown what keyhole gives it no such thing of, or keeps for itself (hv/vm/cpuid.c). */
#define L1_ECX_HIDDEN_PC (CPUID_1_ECX_MONITOR | CPUID_1_ECX_DS_CPL | CPUID_1_ECX_EST | CPUID_1_ECX_TM2 | \
			  CPUID_1_ECX_PDCM | CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE)
#define L1_EDX_HIDDEN_PC (CPUID_1_EDX_MCE | CPUID_1_EDX_APIC | CPUID_1_EDX_MTRR | CPUID_1_EDX_MCA | \
			  CPUID_1_EDX_DS | CPUID_1_EDX_ACPI | CPUID_1_EDX_TM | CPUID_1_EDX_PBE)

/*
 * Leaf 7 subleaf 0, the bits allowed.  EBX: FSGSBASE 0, BMI1 3, AVX2 5,
 * FDP_EXCPTN_ONLY 6, SMEP 7, BMI2 8, ERMS 9, INVPCID 10, ZERO_FCS_FDS 13,
 * AVX512F 16, AVX512DQ 17, RDSEED 18, ADX 19, SMAP 20, AVX512IFMA 21,
 * CLFLUSHOPT 23, CLWB 24, AVX512PF 26, AVX512ER 27, AVX512CD 28, SHA 29,
 * AVX512BW 30, AVX512VL 31.
 */
#define L7_EBX_ALLOWED (BIT(0) | BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) | BIT(10) | BIT(13) | \
			BIT(16) | BIT(17) | BIT(18) | BIT(19) | BIT(20) | BIT(21) | BIT(23) | BIT(24) | BIT(26) | \
			BIT(27) | BIT(28) | BIT(29) | BIT(30) | BIT(31))
#define L7_EBX_AVX512 (BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
/*
 * ECX: PREFETCHWT1 0, AVX512VBMI 1, UMIP 2, PKU 3, OSPKE 4 (mirrors the
 * guest's CR4.PKE), AVX512_VBMI2 6, GFNI 8, VAES 9, VPCLMULQDQ 10,
 * AVX512_VNNI 11, AVX512_BITALG 12, AVX512_VPOPCNTDQ 14, RDPID 22 (with
 * RDTSCP), CLDEMOTE 25, MOVDIRI 27, MOVDIR64B 28.
 */
#define L7_ECX_ALLOWED (BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(11) | \
			BIT(12) | BIT(14) | BIT(22) | BIT(25) | BIT(27) | BIT(28))
#define L7_ECX_AVX512 (BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
/*
 * EDX: AVX512_4VNNIW 2, AVX512_4FMAPS 3, FSRM 4, AVX512_VP2INTERSECT 8,
 * MD_CLEAR 10 (VERW clears buffers: an instruction, not an MSR),
 * SERIALIZE 14, AVX512_FP16 23.
 */
#define L7_EDX_ALLOWED (BIT(2) | BIT(3) | BIT(4) | BIT(8) | BIT(10) | BIT(14) | BIT(23))
#define L7_EDX_AVX512 (BIT(2) | BIT(3) | BIT(8) | BIT(23))
/* Leaf 7 subleaf 1, EAX: AVX_VNNI 4, AVX512_BF16 5. */
#define L7_1_EAX_ALLOWED (BIT(4) | BIT(5))
#define L7_1_EAX_AVX512 BIT(5)

/* Leaf 0x80000001: ECX LAHF_LM 0, ABM/LZCNT 5, PREFETCHW 8; EDX SYSCALL 11, NX 20, 1 GiB pages 26, RDTSCP 27, LM 29. */
#define L81_ECX_ALLOWED (BIT(0) | BIT(5) | BIT(8))
#define L81_EDX_ALLOWED (BIT(11) | BIT(20) | BIT(26) | BIT(27) | BIT(29))

/* The XCR0 components keyhole lets a guest enable, if the CPU has them. */
#define XCR0_KEYHOLE (X86_XCR0_X87 | X86_XCR0_SSE | X86_XCR0_AVX | X86_XCR0_AVX512 | X86_XCR0_PKRU)
#define XSAVE_COMPONENTS 63

static const struct cpuid_regs zero;

u64 cpuid_policy_xcr0_allowed(cpuid_source cpu)
{
	struct cpuid_regs d = cpu(CPUID_LEAF_XSAVE, 0), f = cpu(CPUID_LEAF_FEATURES, 0), s7 = cpu(CPUID_LEAF_STRUCT_EXT, 0);
	u64 allowed = (((u64)d.edx << 32) | d.eax) & XCR0_KEYHOLE;

	if (!(f.ecx & CPUID_1_ECX_XSAVE) || cpu(0, 0).eax < CPUID_LEAF_XSAVE)
		return X86_XCR0_X87 | X86_XCR0_SSE;
	/* AVX-512 as a whole or not at all (SDM Vol. 1, 13.3), and only with its instructions. */
	if ((allowed & X86_XCR0_AVX512) != X86_XCR0_AVX512 || !(s7.ebx & CPUID_7_EBX_AVX512F) ||
	    !(allowed & X86_XCR0_AVX))
		allowed &= ~X86_XCR0_AVX512;
	if (!(s7.ecx & CPUID_7_ECX_PKU))
		allowed &= ~X86_XCR0_PKRU;
	return allowed | X86_XCR0_X87;
}

u32 cpuid_policy_xsave_size(u64 mask, cpuid_source cpu)
{
	u32 size = X86_XSAVE_LEGACY_AND_HEADER;

	for (u32 i = 2; i < XSAVE_COMPONENTS; i++) {
		if (!(mask & BIT(i)))
			continue;
		struct cpuid_regs c = cpu(CPUID_LEAF_XSAVE, i); /* EAX: size, EBX: offset in the standard format */
		size = MAX(size, c.ebx + c.eax);
	}
	return size;
}

static struct cpuid_regs leaf_xsave(u32 sub, const struct cpuid_guest *g, cpuid_source cpu)
{
	u64 allowed = cpuid_policy_xcr0_allowed(cpu);
	struct cpuid_regs c;

	if (sub == 0)
		return (struct cpuid_regs){ (u32)allowed, cpuid_policy_xsave_size(g->xcr0 & allowed, cpu),
					    cpuid_policy_xsave_size(allowed, cpu), (u32)(allowed >> 32) };
	if (sub == 1) {
		/* No XSAVES, XFD or supervisor components: ECX:EDX (the IA32_XSS bits) is 0, EBX with it. */
		c = cpu(CPUID_LEAF_XSAVE, 1);
		return (struct cpuid_regs){ c.eax & (CPUID_D1_EAX_XSAVEOPT | CPUID_D1_EAX_XSAVEC | CPUID_D1_EAX_XGETBV1),
					    0, 0, 0 };
	}
	if (sub < XSAVE_COMPONENTS && (allowed & BIT(sub)))
		return cpu(CPUID_LEAF_XSAVE, sub);
	return zero;
}

static struct cpuid_regs leaf_7(u32 sub, const struct cpuid_guest *g, cpuid_source cpu)
{
	struct cpuid_regs c = cpu(CPUID_LEAF_STRUCT_EXT, sub);
	bool avx512 = cpuid_policy_xcr0_allowed(cpu) & X86_XCR0_OPMASK;

	if (sub == 1)
		return (struct cpuid_regs){ c.eax & L7_1_EAX_ALLOWED & (avx512 ? ~0u : ~(u32)L7_1_EAX_AVX512), 0, 0, 0 };
	if (sub != 0)
		return zero;
	c.eax = MIN(c.eax, 1u);
	c.ebx &= L7_EBX_ALLOWED & (avx512 ? ~0u : ~(u32)L7_EBX_AVX512);
	c.ecx &= L7_ECX_ALLOWED & (avx512 ? ~0u : ~(u32)L7_ECX_AVX512);
	c.edx &= L7_EDX_ALLOWED & (avx512 ? ~0u : ~(u32)L7_EDX_AVX512);
	if (!(cpuid_policy_xcr0_allowed(cpu) & X86_XCR0_PKRU))
		c.ecx &= ~(u32)CPUID_7_ECX_PKU;
	if (!g->rdtscp)
		c.ecx &= ~(u32)CPUID_7_ECX_RDPID;
	if ((c.ecx & CPUID_7_ECX_PKU) && g->ospke)
		c.ecx |= CPUID_7_ECX_OSPKE;
	return c;
}

struct cpuid_regs cpuid_policy(u32 leaf, u32 sub, const struct cpuid_guest *g, cpuid_source cpu)
{
	struct cpuid_regs c;

	if (leaf >= CPUID_LEAF_EXT_BASE) {
		if (leaf > MIN(cpu(CPUID_LEAF_EXT_BASE, 0).eax, CPUID_POLICY_MAX_EXT))
			return zero;
		c = cpu(leaf, sub);
		switch (leaf) {
		case CPUID_LEAF_EXT_BASE:
			c.eax = MIN(c.eax, CPUID_POLICY_MAX_EXT);
			return c;
		case CPUID_LEAF_EXT_INFO:
			c.ecx &= L81_ECX_ALLOWED;
			c.edx &= L81_EDX_ALLOWED & (g->rdtscp ? ~0u : ~(u32)CPUID_81_EDX_RDTSCP);
			return c;
		case 0x80000002u: case 0x80000003u: case 0x80000004u: /* the brand string */
		case 0x80000006u:                                      /* L2 cache */
			return c;
		case CPUID_LEAF_EXT_POWER:
			/*
			 * A PC guest's clock is kvm-clock, as under KVM by default (QEMU
			 * shows invtsc only when asked).  With the invariant-TSC bit Linux
			 * 6.1 rates kvm-clock below the raw TSC (kvmclock_init()) and
			 * leaves it; the record's PVCLOCK_TSC_STABLE_BIT says the same
			 * to a guest that reads kvm-clock, whose vDSO reads stay exit-free.
			 */
			return (struct cpuid_regs){ 0, 0, 0, g->pc ? 0 : c.edx & CPUID_87_EDX_INVARIANT_TSC };
		case CPUID_LEAF_EXT_ADDR:
			return (struct cpuid_regs){ c.eax, 0, 0, 0 }; /* address sizes only */
		}
		return zero;
	}
	if (leaf > MIN(cpu(0, 0).eax, CPUID_POLICY_MAX_BASIC))
		return zero;
	c = cpu(leaf, sub);
	switch (leaf) {
	case 0:
		c.eax = MIN(c.eax, CPUID_POLICY_MAX_BASIC);
		return c;
	case CPUID_LEAF_FEATURES:
		c.ecx = (c.ecx & ~(u32)L1_ECX_HIDDEN_ALWAYS) | CPUID_1_ECX_HYPERVISOR | (g->osxsave ? CPUID_1_ECX_OSXSAVE : 0);
		if (g->pc) {
			c.ecx &= ~(u32)L1_ECX_HIDDEN_PC;
			c.edx &= ~(u32)L1_EDX_HIDDEN_PC;
		}
		return c;
	case 0x2: case 0x4: case 0xb: case 0x15: case 0x16: case 0x18: case 0x1f:
		return c; /* caches, topology, TSC and core frequencies, TLBs: descriptions, not features */
	case CPUID_LEAF_MWAIT: case CPUID_LEAF_THERMAL: case CPUID_LEAF_PMU:
		return g->pc ? zero : c; /* MONITOR/MWAIT, power and the PMU are not a PC guest's */
	case CPUID_LEAF_STRUCT_EXT:
		return leaf_7(sub, g, cpu);
	case CPUID_LEAF_XSAVE:
		return leaf_xsave(sub, g, cpu);
	}
	return zero; /* RDT, SGX, PT, keylocker, hybrid, PCONFIG, AMX, ...: keyhole offers none */
}

/* The basic leaves whose answer depends on the subleaf or on the guest's CR4 or XCR0 (cpuid_policy.h). */
static bool leaf_varies(u32 leaf)
{
	switch (leaf) {
	case 0x4: case CPUID_LEAF_STRUCT_EXT: case 0xb: case CPUID_LEAF_XSAVE: case 0x18: case 0x1f:
		return true;
	}
	return false;
}

void cpuid_table_init(struct cpuid_table *t, const struct cpuid_guest *g, cpuid_source cpu)
{
	struct cpuid_guest fixed = { .pc = g->pc, .rdtscp = g->rdtscp }; /* OSXSAVE clear: the lookup adds it */

	t->cached = 0;
	for (u32 leaf = 0; leaf < CPUID_TABLE_BASIC; leaf++) {
		t->basic[leaf] = zero;
		if (leaf_varies(leaf))
			continue;
		t->basic[leaf] = cpuid_policy(leaf, 0, &fixed, cpu);
		t->cached |= 1u << leaf;
	}
	for (u32 i = 0; i < CPUID_TABLE_EXT; i++)
		t->ext[i] = cpuid_policy(CPUID_LEAF_EXT_BASE + i, 0, &fixed, cpu);
}
