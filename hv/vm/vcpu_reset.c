/*
 * What a guest leaves in the CPU that neither the VMCS nor the scrub of its
 * memory takes away, reset before the next guest can run (see vcpu.h).
 *
 * VM exits switch only what the VMCS holds.  Everything else the guest
 * wrote is still in the CPU when its vCPU is destroyed: the x87, SSE, AVX,
 * AVX-512 and PKRU state, XCR0 (keyhole's XSETBV exit loads the guest's
 * value), DR0-DR3 and DR6 (SDM Vol. 3C, 28.5.1: an exit sets only DR7),
 * CR8 (no CR8-load exiting) and the MSRs a PC guest reaches without exits
 * (hv/vm/msr.c's passthrough list: the SYSCALL MSRs, KERNEL_GS_BASE,
 * TSC_AUX; the SYSENTER MSRs are loaded from the VMCS on entry, so the
 * guest-state fields reset them anyway, but they are cleared here too).
 * The next guest would read them as they were.
 *
 * The extended state is reset the way the SDM defines "initial
 * configuration": XRSTOR with every component in the requested-feature
 * bitmap and none in the area's XSTATE_BV (SDM Vol. 1, 13.8.1 "Standard
 * Form of XRSTOR": a component whose XSTATE_BV bit is 0 is initialised),
 * under an XCR0 that enables every component the CPU supports, and then
 * XCR0 back to its power-on value, x87 only.  MXCSR is the one register
 * XRSTOR loads from the area whatever XSTATE_BV says (13.8.1), so the area
 * holds its reset value.  Without XSAVE, FNINIT and FXRSTOR of a clean
 * legacy area do the same for x87 and SSE.
 */
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/cpuid.h>
#include <x86/cr.h>
#include <x86/msr.h>
#include "hv/vm/vcpu.h"

/* The legacy region and the XSAVE header: all XRSTOR reads when XSTATE_BV is 0. */
#define FXSAVE_AREA_BYTES 512
#define XSAVE_HEADER_BYTES 64
#define FXSAVE_FCW_OFFSET 0
#define FXSAVE_MXCSR_OFFSET 24

static u8 init_area[FXSAVE_AREA_BYTES + XSAVE_HEADER_BYTES] __attribute__((aligned(64)));

static const u32 passthrough_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_IA32_FMASK, MSR_KERNEL_GS_BASE,
};
static const u32 sysenter_msrs[] = { MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP };

static bool has_xsave(void)
{
	return cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_XSAVE;
}

static bool has_tsc_aux(void)
{
	return (cpuid(CPUID_LEAF_EXT_INFO).edx & CPUID_81_EDX_RDTSCP) ||
	       (cpuid_count(CPUID_LEAF_STRUCT_EXT, 0).ecx & CPUID_7_ECX_RDPID);
}

static u64 xcr0_supported(void)
{
	struct cpuid_regs c = cpuid_count(CPUID_LEAF_XSAVE, 0);

	return ((u64)c.edx << 32) | c.eax;
}

static void reset_extended_state(void)
{
	/* The area is all zeros but MXCSR (and FCW, for FXRSTOR, which has no XSTATE_BV to say "init"). */
	*(u16 *)&init_area[FXSAVE_FCW_OFFSET] = X86_FCW_RESET;
	*(u32 *)&init_area[FXSAVE_MXCSR_OFFSET] = X86_MXCSR_RESET;
	/* CR0.TS would make both #NM (host CR0 has it clear, but this must not depend on it). */
	if (read_cr0() & X86_CR0_TS)
		clts();
	if (has_xsave()) {
		if (!(read_cr4() & X86_CR4_OSXSAVE))
			write_cr4(read_cr4() | X86_CR4_OSXSAVE);
		xsetbv(X86_XCR_XFEATURE_ENABLED, xcr0_supported());
		xrstor(init_area, ~0ULL);
		xsetbv(X86_XCR_XFEATURE_ENABLED, X86_XCR0_RESET);
	} else {
		__asm__ volatile("fninit");
		fxrstor(init_area);
	}
}

void vcpu_reset_cpu_state(void)
{
	reset_extended_state();
	write_dr0(0);
	write_dr1(0);
	write_dr2(0);
	write_dr3(0);
	write_dr6(X86_DR6_RESET);
	write_dr7(X86_DR7_FIXED);
	write_cr8(0);
	for (unsigned int i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		wrmsr(passthrough_msrs[i], 0);
	if (cpuid(CPUID_LEAF_FEATURES).edx & CPUID_1_EDX_SEP)
		for (unsigned int i = 0; i < ARRAY_SIZE(sysenter_msrs); i++)
			wrmsr(sysenter_msrs[i], 0);
	if (has_tsc_aux())
		wrmsr(MSR_TSC_AUX, 0);
}

/* One register read back after the reset; false, with a log line, if it is not its reset value. */
static bool check(const char *name, u64 val, u64 want)
{
	if (val == want)
		return true;
	log_err("vcpu reset: %s is %#lx after the reset, not %#lx", name, val, want);
	return false;
}

bool vcpu_reset_check(void)
{
	bool ok = true;

	/* Without CR4.OSXSAVE XGETBV is #UD; nothing can have set XCR0 then (hv/vm/cr.c sets it first). */
	if (has_xsave() && (read_cr4() & X86_CR4_OSXSAVE))
		ok &= check("XCR0", xgetbv(X86_XCR_XFEATURE_ENABLED), X86_XCR0_RESET);
	ok &= check("DR0", read_dr0(), 0) & check("DR1", read_dr1(), 0) & check("DR2", read_dr2(), 0) &
	      check("DR3", read_dr3(), 0) & check("DR6", read_dr6(), X86_DR6_RESET) &
	      check("DR7", read_dr7(), X86_DR7_FIXED) & check("CR8", read_cr8(), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		ok &= check("a SYSCALL/SWAPGS MSR", rdmsr(passthrough_msrs[i]), 0);
	if (cpuid(CPUID_LEAF_FEATURES).edx & CPUID_1_EDX_SEP)
		for (unsigned int i = 0; i < ARRAY_SIZE(sysenter_msrs); i++)
			ok &= check("a SYSENTER MSR", rdmsr(sysenter_msrs[i]), 0);
	if (has_tsc_aux())
		ok &= check("TSC_AUX", rdmsr(MSR_TSC_AUX), 0);
	return ok;
}
