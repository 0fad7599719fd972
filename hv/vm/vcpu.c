/* What every exit handler uses (see vcpu.h): the guest's registers by number, stopping it, dumping its state. */
#include <keyhole/log.h>
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"

u64 vcpu_gpr(struct vcpu *v, unsigned int n)
{
	const u64 *regs[16] = { &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL, &v->regs.rbp,
				&v->regs.rsi, &v->regs.rdi, &v->regs.r8, &v->regs.r9, &v->regs.r10, &v->regs.r11,
				&v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15 };
	return n == 4 ? vmread(GUEST_RSP) : *regs[n & 15];
}

void vcpu_note_nmi(struct vcpu *v)
{
	v->nmis++;
	if (v->platform == GUEST_PLATFORM_PC)
		v->nmi_pending = true;
	else if (v->nmis == 1)
		log_info("guest%u: an NMI arrived while it ran: counted (keyhole's own guests take no NMIs)", v->vm->id);
}

void vcpu_stop(struct vcpu *v, const char *reason)
{
	v->state = VCPU_STOPPED;
	v->stop_reason = reason;
}

void vcpu_fail(struct vcpu *v, const char *reason)
{
	log_err("guest%u: stopped: %s", v->vm->id, reason);
	vcpu_dump(v);
	vcpu_stop(v, reason);
}

void vcpu_dump(struct vcpu *v)
{
	struct vcpu_regs *g = &v->regs;

	log_err("guest%u: rip %016lx rsp %016lx rflags %016lx", v->vm->id, vmread(GUEST_RIP), vmread(GUEST_RSP),
		vmread(GUEST_RFLAGS));
	log_err("guest%u: rax %016lx rbx %016lx rcx %016lx rdx %016lx", v->vm->id, g->rax, g->rbx, g->rcx, g->rdx);
	log_err("guest%u: rsi %016lx rdi %016lx rbp %016lx r8  %016lx", v->vm->id, g->rsi, g->rdi, g->rbp, g->r8);
	log_err("guest%u: cr0 %016lx cr3 %016lx cr4 %016lx efer %016lx", v->vm->id, vmread(GUEST_CR0),
		vmread(GUEST_CR3), vmread(GUEST_CR4), vmread(GUEST_IA32_EFER));
	log_err("guest%u: exit reason %#lx (%s), qualification %#lx", v->vm->id, vmread(VM_EXIT_REASON),
		vmx_exit_reason_name((u32)vmread(VM_EXIT_REASON) & VMX_EXIT_REASON_BASIC_MASK),
		vmread(EXIT_QUALIFICATION));
}
