/*
 * CPUID (see handlers.h): keyhole's own leaves at 0x40000000, the hypervisor
 * bit set, VMX hidden, OSXSAVE mirroring the guest's CR4, and for a PC guest
 * the features keyhole does not give it.
 */
#include <keyhole/hypercall.h>
#include <x86/cpuid.h>
#include <x86/cr.h>
#include "hv/vm/handlers.h"
#include "hv/vm/hypercall.h"
#include "hv/vm/vcpu.h"

/*
 * What a PC guest (GUEST_PLATFORM_PC) is not shown, because keyhole gives it
 * no such thing or keeps it for itself: the local APIC and x2APIC (not in the
 * guest's memory: no guest can send an INIT or SIPI, invariant 6; Linux then
 * runs on the 8259 PICs and the PIT), the MTRRs, machine checks, thermal and
 * power management and their MSRs, MONITOR/MWAIT (so the guest idles with
 * HLT, which keyhole sees), the TSC deadline timer (an APIC feature), the
 * debug store and the performance-monitoring capability MSR.
 */
#define CPUID_1_ECX_PC_HIDDEN (CPUID_1_ECX_MONITOR | CPUID_1_ECX_DS_CPL | CPUID_1_ECX_SMX | CPUID_1_ECX_EST | \
			       CPUID_1_ECX_TM2 | CPUID_1_ECX_PDCM | CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE)
#define CPUID_1_EDX_PC_HIDDEN (CPUID_1_EDX_MCE | CPUID_1_EDX_APIC | CPUID_1_EDX_MTRR | CPUID_1_EDX_MCA | \
			       CPUID_1_EDX_DS | CPUID_1_EDX_ACPI | CPUID_1_EDX_TM | CPUID_1_EDX_PBE)


void handle_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	struct cpuid_regs c = { 0, 0, 0, 0 };

	if (leaf == KH_CPUID_SIGNATURE) {
		c = (struct cpuid_regs){ KH_CPUID_FEATURES, KH_SIGNATURE_EBX, KH_SIGNATURE_ECX, KH_SIGNATURE_EDX };
	} else if (leaf == KH_CPUID_FEATURES) {
		c.eax = KH_FEAT_MEM_PROTECTED | (hypercall_diag_offered() ? KH_FEAT_DIAG : 0);
		c.ebx = KH_ABI_VERSION;
	} else if ((leaf & 0xffffff00u) != KH_CPUID_SIGNATURE) {
		c = cpuid_count(leaf, sub);
		if (leaf == CPUID_LEAF_FEATURES) {
			c.ecx |= CPUID_1_ECX_HYPERVISOR;
			c.ecx &= ~CPUID_1_ECX_VMX;
			/* OSXSAVE mirrors the guest's CR4, not keyhole's */
			c.ecx &= ~CPUID_1_ECX_OSXSAVE;
			if (v->cr4_shadow & X86_CR4_OSXSAVE)
				c.ecx |= CPUID_1_ECX_OSXSAVE;
		}
		if (v->platform == GUEST_PLATFORM_PC) {
			if (leaf == CPUID_LEAF_FEATURES) {
				c.ecx &= ~CPUID_1_ECX_PC_HIDDEN;
				c.edx &= ~CPUID_1_EDX_PC_HIDDEN;
			} else if (leaf == CPUID_LEAF_MWAIT || leaf == CPUID_LEAF_THERMAL || leaf == CPUID_LEAF_PMU) {
				c = (struct cpuid_regs){ 0, 0, 0, 0 };
			}
		}
	}
	v->regs.rax = c.eax;
	v->regs.rbx = c.ebx;
	v->regs.rcx = c.ecx;
	v->regs.rdx = c.edx;
	vcpu_skip_instruction();
}
