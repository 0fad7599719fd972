/* Control registers (see handlers.h): MOV to CR0 and CR4 through their shadows, and XSETBV. */
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/exception.h>
#include "hv/vm/handlers.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vm/xcr0.h"
#include "hv/vmx/vmx.h"

void handle_xsetbv(struct vcpu *v)
{
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	/* What CPUID leaf 0xD tells the guest it may enable (hv/vm/cpuid_policy.c), not all the CPU has. */
	u64 supported = cpuid_guest_xcr0_allowed();

	/* Every #GP(0) condition of XSETBV (SDM Vol. 1, 13.3), checked before keyhole runs it in root mode. */
	if (!xcr0_valid((u32)v->regs.rcx, val, supported)) {
		log_info("guest%u: XSETBV of XCR%u = %#lx refused (supported %#lx): #GP", v->vm->id, (u32)v->regs.rcx,
			 val, supported);
		vcpu_inject_exception(EXC_GP, true);
		return;
	}
	/*
	 * XSETBV runs here, in root mode, and raises #UD unless keyhole's own
	 * CR4.OSXSAVE is set: set it the first time a guest needs it, for the
	 * VMCS's host state too (VM exits load CR4 from there).  keyhole itself
	 * never saves or restores extended state, so nothing else changes.
	 */
	if (!(read_cr4() & X86_CR4_OSXSAVE)) {
		write_cr4(read_cr4() | X86_CR4_OSXSAVE);
		vmwrite(HOST_CR4, read_cr4());
	}
	xsetbv(X86_XCR_XFEATURE_ENABLED, val);
	vcpu_skip_instruction();
}

/*
 * MOV to CR0/CR4 (the bits VMX owns exit).  The guest sees what it wrote; a
 * value a 64-bit CPU would refuse gets #GP, as on hardware, rather than an
 * invalid guest state at the next entry.
 */

static bool cr_value_ok(const struct vmx_caps *c, unsigned int cr, u64 val)
{
	if (cr == 0)
		return !(val >> 32) && (val & X86_CR0_PG) && (val & X86_CR0_PE) && (!(val & X86_CR0_NW) || (val & X86_CR0_CD));
	return (val & X86_CR4_PAE) && !(val & X86_CR4_VMXE) && !(val & ~c->cr4_fixed1);
}

void handle_cr_access(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned int cr = q & CR_QUAL_CR_MASK, type = (q >> CR_QUAL_TYPE_SHIFT) & CR_QUAL_TYPE_MASK;
	unsigned int reg = (q >> CR_QUAL_GPR_SHIFT) & CR_QUAL_GPR_MASK;
	const struct vmx_caps *c = vmx_get_caps();

	if (type != 0 || (cr != 0 && cr != 4)) {
		vcpu_fail(v, "a control-register access keyhole does not emulate");
		return;
	}
	u64 val = vcpu_gpr(v, reg);
	if (!cr_value_ok(c, cr, val)) {
		log_info("guest%u: MOV to CR%u of %#lx refused: #GP", v->vm->id, cr, val);
		vcpu_inject_exception(EXC_GP, true);
		return;
	}
	if (cr == 0) {
		v->cr0_shadow = val;
		vmwrite(CR0_READ_SHADOW, val);
		vmwrite(GUEST_CR0, vmx_fix_cr0(c, val));
	} else {
		v->cr4_shadow = val;
		vmwrite(CR4_READ_SHADOW, val);
		vmwrite(GUEST_CR4, vmx_fix_cr4(c, val));
	}
	vcpu_skip_instruction();
}
