/*
 * CPUID: the leaves and bits keyhole reads, hides or owns (Intel SDM Vol. 2A,
 * CPUID), and the instruction.
 */
#ifndef KEYHOLE_X86_CPUID_H
#define KEYHOLE_X86_CPUID_H

#include <keyhole/types.h>

#define CPUID_LEAF_FEATURES 0x1
#define CPUID_LEAF_MWAIT 0x5
#define CPUID_LEAF_THERMAL 0x6
#define CPUID_LEAF_PMU 0xa
#define CPUID_LEAF_STRUCT_EXT 0x7 /* structured extended feature flags */
#define CPUID_LEAF_XSAVE 0xd
#define CPUID_LEAF_EXT_BASE 0x80000000u
#define CPUID_LEAF_EXT_INFO 0x80000001u
#define CPUID_LEAF_EXT_POWER 0x80000007u
#define CPUID_LEAF_EXT_ADDR 0x80000008u

/* Leaf 1, ECX */
#define CPUID_1_ECX_MONITOR BIT(3)
#define CPUID_1_ECX_DS_CPL BIT(4)
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_SMX BIT(6)
#define CPUID_1_ECX_EST BIT(7)
#define CPUID_1_ECX_TM2 BIT(8)
#define CPUID_1_ECX_PDCM BIT(15)
#define CPUID_1_ECX_X2APIC BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE BIT(24)
#define CPUID_1_ECX_XSAVE BIT(26)
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_1_ECX_HYPERVISOR BIT(31)

/* Leaf 7 subleaf 0 */
#define CPUID_7_EBX_AVX512F BIT(16)
#define CPUID_7_ECX_PKU BIT(3)
#define CPUID_7_ECX_OSPKE BIT(4)
#define CPUID_7_ECX_WAITPKG BIT(5)
#define CPUID_7_ECX_LA57 BIT(16)
#define CPUID_7_ECX_RDPID BIT(22) /* RDPID reads IA32_TSC_AUX */
#define CPUID_7_EDX_SPEC_CTRL BIT(26) /* IBRS and IBPB: IA32_SPEC_CTRL, IA32_PRED_CMD */
#define CPUID_7_EDX_STIBP BIT(27)
#define CPUID_7_EDX_ARCH_CAPABILITIES BIT(29)
#define CPUID_7_EDX_SSBD BIT(31)

/* Leaf 0xd subleaf 1, EAX */
#define CPUID_D1_EAX_XSAVEOPT BIT(0)
#define CPUID_D1_EAX_XSAVEC BIT(1)
#define CPUID_D1_EAX_XGETBV1 BIT(2)
#define CPUID_D1_EAX_XSAVES BIT(3)

/* Leaf 0x80000001, EDX */
#define CPUID_81_EDX_RDTSCP BIT(27) /* and IA32_TSC_AUX */
/* Leaf 0x80000007, EDX */
#define CPUID_87_EDX_INVARIANT_TSC BIT(8)

/* Leaf 1, EDX */
#define CPUID_1_EDX_MCE BIT(7)
#define CPUID_1_EDX_SEP BIT(11) /* SYSENTER/SYSEXIT and their MSRs */
#define CPUID_1_EDX_APIC BIT(9)
#define CPUID_1_EDX_MTRR BIT(12)
#define CPUID_1_EDX_MCA BIT(14)
#define CPUID_1_EDX_DS BIT(21)
#define CPUID_1_EDX_ACPI BIT(22)
#define CPUID_1_EDX_TM BIT(29)
#define CPUID_1_EDX_PBE BIT(31)

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

#endif
