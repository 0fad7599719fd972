/*
 * CPUID (see handlers.h): keyhole's own leaves at 0x40000000 and KVM's at
 * 0x40000100 here, every other leaf through the allow-list of
 * hv/vm/cpuid_policy.c: from the vCPU's table where the answer is fixed,
 * by asking the policy at the exit where it is not.
 */
#include <keyhole/hypercall.h>
#include <keyhole/kvm_para.h>
#include <x86/cpu.h>
#include <x86/cpuid.h>
#include <x86/cr.h>
#include "hv/runtime/console.h"
#include "hv/vm/cpuid_policy.h"
#include "hv/vm/handlers.h"
#include "hv/vm/hypercall.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"

static bool bench_markers;

void cpuid_bench_markers(bool on)
{
	bench_markers = on;
}

/* KH_CPUID_BENCH_MARK with `bench`: the phase's exits by reason (hv/vm/exit_stats.h), at every log level. */
static void bench_marker(struct vcpu *v, u32 subleaf)
{
	char line[512];

	if (exit_stats_marker(&v->stats, subleaf, rdtsc(), v->pv.steal_tsc, line, sizeof(line)))
		console_printf_always(LOG_TAG_HV, "guest%u: %s", v->vm->id, line);
}

static struct cpuid_regs cpu_cpuid(u32 leaf, u32 subleaf)
{
	return cpuid_count(leaf, subleaf);
}

u64 cpuid_guest_xcr0_allowed(void)
{
	return cpuid_policy_xcr0_allowed(cpu_cpuid);
}

/* The guest's XCR0: loaded on this CPU while it runs, since keyhole never touches it (hv/vm/cr.c). */
static u64 current_xcr0(void)
{
	if (!(read_cr4() & X86_CR4_OSXSAVE))
		return X86_XCR0_X87 | X86_XCR0_SSE;
	return xgetbv(X86_XCR_XFEATURE_ENABLED);
}

static bool guest_rdtscp(void)
{
	return vmread(SECONDARY_VM_EXEC_CONTROL) & SECONDARY_EXEC_ENABLE_RDTSCP;
}

void cpuid_vcpu_init(struct vcpu *v)
{
	const struct cpuid_guest g = { .pc = v->platform == GUEST_PLATFORM_PC, .rdtscp = guest_rdtscp() };

	cpuid_table_init(&v->cpuid, &g, cpu_cpuid);
}

void handle_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	struct cpuid_regs c = { 0, 0, 0, 0 };

	if (likely(cpuid_table_lookup(&v->cpuid, leaf, v->cr4_shadow & X86_CR4_OSXSAVE, &c))) {
		/* fixed for the vCPU's life: looked up */
	} else if (leaf == KH_CPUID_SIGNATURE) {
		c = (struct cpuid_regs){ KH_CPUID_FEATURES, KH_SIGNATURE_EBX, KH_SIGNATURE_ECX, KH_SIGNATURE_EDX };
	} else if (leaf == KH_CPUID_FEATURES) {
		c.eax = KH_FEAT_MEM_PROTECTED | (hypercall_diag_offered() ? KH_FEAT_DIAG : 0);
		c.ebx = KH_ABI_VERSION;
		c.ecx = KH_HC_BASE; /* where keyhole's hypercalls start */
	} else if (leaf == KVM_CPUID_SIGNATURE) {
		/* KVM's leaves one step of 0x100 up, where Linux's scan finds them (keyhole/kvm_para.h). */
		c = (struct cpuid_regs){ KVM_CPUID_FEATURES, KVM_SIGNATURE_EBX, KVM_SIGNATURE_ECX, KVM_SIGNATURE_EDX };
	} else if (leaf == KVM_CPUID_FEATURES) {
		c.eax = KEYHOLE_KVM_FEATURES;
	} else if ((leaf & 0xffffff00u) != KH_CPUID_SIGNATURE && (leaf & 0xffffff00u) != KVM_CPUID_SIGNATURE) {
		/* OSXSAVE and OSPKE mirror the guest's CR4, not keyhole's. */
		struct cpuid_guest g = {
			.pc = v->platform == GUEST_PLATFORM_PC,
			.osxsave = v->cr4_shadow & X86_CR4_OSXSAVE,
			.ospke = v->cr4_shadow & X86_CR4_PKE,
			.rdtscp = guest_rdtscp(),
			/* Without CR4.OSXSAVE the guest has no XCR0 of its own yet: its XSAVE size is the legacy one. */
			.xcr0 = leaf != CPUID_LEAF_XSAVE                ? 0
				: (v->cr4_shadow & X86_CR4_OSXSAVE) ? current_xcr0()
								    : X86_XCR0_X87 | X86_XCR0_SSE,
		};
		c = cpuid_policy(leaf, sub, &g, cpu_cpuid);
	} else if (leaf == KH_CPUID_BENCH_MARK && bench_markers) {
		/* Last in the chain: the leaves above pay nothing for it.  The answer stays all zeros. */
		bench_marker(v, sub);
	}
	v->regs.rax = c.eax;
	v->regs.rbx = c.ebx;
	v->regs.rcx = c.ecx;
	v->regs.rdx = c.edx;
	vcpu_skip_instruction();
}
