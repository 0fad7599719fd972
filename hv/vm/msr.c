/*
 * MSRs (see handlers.h): EFER and PAT emulated for every guest, KVM's clock
 * and steal time (hv/vm/kvm_clock.c) offered to every guest, a few more
 * for a PC guest, the SYSCALL/SYSENTER family passed through to it, and
 * #GP for the rest.
 */
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/exception.h>
#include "hv/vm/handlers.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"
#include "lib/string.h"

/*
 * MSRs a PC guest reads and writes without an exit.  Each either lives in
 * the VMCS's guest state (SYSENTER) or is one keyhole itself never uses, so
 * that whatever the guest leaves in it cannot affect keyhole: the SYSCALL
 * targets, the SWAPGS base and RDTSCP's TSC_AUX.  keyhole runs no user mode,
 * no SYSCALL and no SWAPGS.
 */
static const u32 pc_passthrough_msrs[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

void msr_bitmap_init(const struct vcpu *v, u8 *bitmap)
{
	memset(bitmap, 0xff, PAGE_SIZE);
	vmx_msr_bitmap_allow(bitmap, MSR_FS_BASE);
	vmx_msr_bitmap_allow(bitmap, MSR_GS_BASE);
	if (v->platform == GUEST_PLATFORM_PC)
		for (size_t i = 0; i < ARRAY_SIZE(pc_passthrough_msrs); i++)
			vmx_msr_bitmap_allow(bitmap, pc_passthrough_msrs[i]);
}

#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

#define PC_MISC_ENABLE (MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)
/* Refused MSR accesses logged per guest; a kernel probing MSRs refuses many more. */
#define MSR_LOG_LIMIT 16

/*
 * The PC guest's extra MSRs; false if msr is not one of them.  Writes the
 * guest could use to change the machine under keyhole are dropped: the
 * guest sees its own value nowhere, as on a CPU that ignores them.
 *   MISC_ENABLE    fast strings on, BTS and PEBS unavailable (Linux reads it
 *                  unguarded in its Intel set-up)
 *   IA32_TSC       the TSC; writes dropped (keyhole does not offset time)
 *   TSC_ADJUST     0; writes dropped
 *   UCODE_REV      0: no microcode revision to report
 *   FEATURE_CONTROL locked, VMX off: this guest gets no VT-x
 *   XSS            0: no supervisor state components (XSAVES may be exposed)
 */
static bool pc_msr(u32 msr, bool write, u64 *val)
{
	switch (msr) {
	case MSR_IA32_MISC_ENABLE:
		*val = PC_MISC_ENABLE;
		return true;
	case MSR_IA32_TSC:
		*val = write ? *val : rdtsc();
		return true;
	case MSR_IA32_TSC_ADJUST:
	case MSR_IA32_UCODE_REV:
		*val = write ? *val : 0;
		return true;
	case MSR_IA32_FEATURE_CONTROL:
		if (write)
			return false;
		*val = FEATURE_CONTROL_LOCKED;
		return true;
	case MSR_IA32_XSS:
		if (write && *val)
			return false;
		*val = 0;
		return true;
	}
	return false;
}

static void handle_msr(struct vcpu *v, bool write)
{
	u32 msr = (u32)v->regs.rcx;
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;

	switch (msr) {
	case MSR_IA32_EFER:
		if (!write) {
			val = vmread(GUEST_IA32_EFER);
		} else if ((val & ~EFER_GUEST_BITS) || !(val & EFER_LME)) {
			goto gp; /* leaving long mode is not supported */
		} else {
			vmwrite(GUEST_IA32_EFER, val | EFER_LMA);
		}
		break;
	case MSR_IA32_PAT:
		if (write)
			v->pat = val;
		else
			val = v->pat;
		break;
	default:
		if (kvm_msr_offered(msr)) { /* KVM's clock and steal time: the list is kvm_clock.c's */
			if (!write) {
				val = kvm_msr_read(&v->pv, msr);
				break;
			}
			u64 now = rdtsc();
			int r = kvm_msr_write(v->vm, &v->pv, msr, val, now);
			v->steal_time = v->pv.steal_on; /* the entry path's copy (hv/vm/vcpu.h) */
			if (r)
				goto gp;
			v->exit_tsc = now; /* steal time, if this turned it on, counts from here */
			break;
		}
		if (v->platform == GUEST_PLATFORM_PC && pc_msr(msr, write, &val))
			break;
		goto gp;
	}
	if (!write) {
		v->regs.rax = (u32)val;
		v->regs.rdx = val >> 32;
	}
	vcpu_skip_instruction();
	return;
gp:
	if (v->platform != GUEST_PLATFORM_PC || v->msr_refusals < MSR_LOG_LIMIT)
		log_info("guest%u: %s of MSR %#x: #GP", v->vm->id, write ? "WRMSR" : "RDMSR", msr);
	v->msr_refusals++;
	vcpu_inject_exception(EXC_GP, true);
}

void handle_rdmsr(struct vcpu *v)
{
	handle_msr(v, false);
}

void handle_wrmsr(struct vcpu *v)
{
	handle_msr(v, true);
}
