/*
 * VM-exit dispatch, through a table indexed by the basic exit reason, and
 * the exits whose answer is short (VMCALL, HLT, EPT faults, VMX instructions
 * and the like); the guest-visible platform's exits are in the files
 * handlers.h lists.  An exit nobody handles dumps the guest state and stops
 * the guest with the reason by name; keyhole stays up.  Never a silent loop.
 */
#include <keyhole/log.h>
#include <x86/cr.h>
#include <x86/exception.h>
#include "hv/cpu/desc.h"
#include "hv/vm/exit.h"
#include "hv/vm/handlers.h"
#include "hv/vm/hypercall.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"

/* ---- VMCALL, HLT ---- */

/*
 * The guest's CPL is the DPL of its SS (SDM Vol. 3C, 25.4.1 and 27.3.1.5:
 * "SS.DPL is always equal to CPL" in the guest-state area).
 */
static unsigned int guest_cpl(void)
{
	return (vmread(GUEST_SS_AR_BYTES) >> VMX_AR_DPL_SHIFT) & 3;
}

static void handle_vmcall(struct vcpu *v)
{
	u64 status;

	if (hypercall(v->vm, &v->regs, guest_cpl(), &v->hc, &status) == HC_EXIT) {
		v->state = VCPU_EXITED;
		v->exit_status = status;
		return;
	}
	vcpu_skip_instruction();
}

/*
 * An isolated guest gets no interrupts, so its HLT would never end: stopped.
 * A PC guest's HLT with interrupts enabled is idling: keyhole completes the
 * instruction and re-enters the guest in the HLT activity state, where the
 * next interrupt wakes it and goes through its IDT, with no further exit.
 * With interrupts disabled nothing can wake it (NMIs aside): the guest has
 * stopped for good, which is how Linux ends `poweroff` on a machine without
 * ACPI ("reboot: System halted"), so keyhole ends its run with status 0.
 */
static void handle_hlt(struct vcpu *v)
{
	if (v->platform != GUEST_PLATFORM_PC) {
		vcpu_fail(v, "HLT: keyhole delivers no interrupts, so the guest would never wake");
		return;
	}
	if (!(vmread(GUEST_RFLAGS) & X86_RFLAGS_IF)) {
		log_info("guest%u: halted with interrupts disabled (a power-off without ACPI): its run is over",
			 v->vm->id);
		v->state = VCPU_EXITED;
		v->exit_status = 0;
		return;
	}
	vcpu_skip_instruction();
	/* An STI or MOV SS shadow ended with the HLT itself, and the HLT state requires none (SDM 26.3.1.5). */
	vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		vmread(GUEST_INTERRUPTIBILITY_INFO) & ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
}

/* ---- EPT violations: contained, reported, the guest stopped ---- */

static void handle_ept_violation(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION), gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	const char *access = (q & EPT_QUAL_FETCH) ? "instruction fetch" : (q & EPT_QUAL_WRITE) ? "write" : "read";
	mfn_t m;
	bool inside = guest_mem_lookup(&v->vm->mem, gpa_to_gfn(gpa), &m) == 0;

	log_err("guest%u: EPT violation: %s at gpa %#lx%s%lx, rip %#lx: %s", v->vm->id, access, gpa,
		(q & EPT_QUAL_LINEAR_VALID) ? " (linear " : " (no linear address",
		(q & EPT_QUAL_LINEAR_VALID) ? vmread(GUEST_LINEAR_ADDRESS) : 0, vmread(GUEST_RIP),
		inside ? "inside guest memory, not permitted" : "outside guest memory");
	vcpu_fail(v, "EPT violation");
}

static void handle_ept_misconfig(struct vcpu *v)
{
	log_err("guest%u: EPT misconfiguration at gpa %#lx (a keyhole bug)", v->vm->id,
		vmread(GUEST_PHYSICAL_ADDRESS));
	vcpu_fail(v, "EPT misconfiguration");
}

/* The watchdog's timer (hv/vm/run.c arms it): the guest's time is up, or only one slice of a longer budget. */
static void handle_preemption_timer(struct vcpu *v)
{
	if (v->watchdog_left >> vmx_preemption_timer_shift(vmx_get_caps()))
		return; /* the next entry arms the rest */
	log_err("guest%u: watchdog: %lu million TSC ticks in the guest without its end", v->vm->id,
		v->watchdog_budget / 1000000);
	vcpu_stop(v, "watchdog (VMX-preemption timer)");
}

static void handle_triple_fault(struct vcpu *v)
{
	vcpu_fail(v, "triple fault");
}

/* ---- the rest ---- */

static void handle_vmx_instruction(struct vcpu *v)
{
	(void)v;
	vcpu_inject_exception(EXC_UD, false); /* VMX is hidden from the guest */
}

static void handle_invd(struct vcpu *v)
{
	(void)v;
	vcpu_skip_instruction(); /* caches are coherent: nothing to drop */
}

/* Acknowledged on exit (hv/vm/vcpu_setup.c): the vector is in the exit information, and keyhole ends it. */
static void handle_external_interrupt(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);

	v->interrupts++;
	if (info & INTR_INFO_VALID)
		trap_interrupt(info & INTR_INFO_VECTOR_MASK);
}

/*
 * An NMI while the guest ran (NMI exiting): not the guest's fault and not
 * keyhole's.  A PC guest owns the machine's NMI sources (port 0x61's
 * SERR/IOCHK, LINT1), so it is handed on at the next entry (hv/vm/run.c);
 * keyhole's own guests take no NMIs, so for them it is counted only.
 * keyhole's exception bitmap is 0: no other exception exits.
 */
static void handle_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);

	if ((info & INTR_INFO_VALID) && ((info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		vcpu_note_nmi(v);
		return;
	}
	log_warn("guest%u: exception exit keyhole did not ask for, interruption info %#x", v->vm->id, info);
}

typedef void (*exit_handler)(struct vcpu *v);

static const exit_handler handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_invd,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMXOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMXON] = handle_vmx_instruction,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_rdmsr,
	[EXIT_REASON_MSR_WRITE] = handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
};

/* Every reason with a handler has its count (exit_dispatch() counts after the handler check). */
STATIC_ASSERT(ARRAY_SIZE(handlers) <= EXIT_STATS_REASONS, "struct exit_stats has no count for some handled exit reason");

/*
 * An exit in the middle of delivering an event (an EPT violation on the
 * guest's IDT or stack, say) leaves the event in the IDT-vectoring
 * information field and the guest never saw it: it goes back into the
 * VM-entry fields, to be delivered at the next entry (SDM Vol. 3C, 28.2.4
 * "Information for VM Exits During Event Delivery"; KVM's
 * __vmx_complete_interrupts).  A handler that injects an event of its own
 * overwrites it.  An NMI's delivery had set blocking by NMI, which an
 * injected NMI must not find (27.3.1.5): cleared.
 */
static __attribute__((noinline)) void requeue_vectoring_event(u32 info)
{
	u32 type = (info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK;

	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info & (INTR_INFO_VALID | INTR_INFO_DELIVER_CODE |
						  (INTR_INFO_TYPE_MASK << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VECTOR_MASK));
	if (info & INTR_INFO_DELIVER_CODE)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
	/* Software interrupts and exceptions need the length of the instruction that raised them (27.6.1.1). */
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION)
		vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
	if (type == INTR_TYPE_NMI)
		vmwrite(GUEST_INTERRUPTIBILITY_INFO, vmread(GUEST_INTERRUPTIBILITY_INFO) & ~(u64)GUEST_INTR_STATE_NMI);
}

/* A failed entry or an exit no handler takes: out of line and cold, so that dispatch keeps a small frame. */
static __attribute__((noinline, cold)) void exit_unexpected(struct vcpu *v, u32 reason)
{
	u32 basic = reason & VMX_EXIT_REASON_BASIC_MASK;

	if (reason & VMX_EXIT_REASON_FAILED_VMENTRY) {
		const char *why = NULL, *field = vmx_diagnose_guest_state(&why);
		log_err("guest%u: VM entry failed: %s, qualification %#lx; offending field: %s%s%s", v->vm->id,
			vmx_exit_reason_name(basic), vmread(EXIT_QUALIFICATION),
			field ? field : "none found by keyhole's checks", why ? " - " : "", why ? why : "");
		vcpu_fail(v, "VM entry failed (invalid guest state)");
		return;
	}
	log_err("guest%u: unhandled VM exit %u (%s)", v->vm->id, basic, vmx_exit_reason_name(basic));
	vcpu_fail(v, vmx_exit_reason_name(basic));
}

void exit_dispatch(struct vcpu *v)
{
	u32 reason = (u32)vmread(VM_EXIT_REASON);
	u32 basic = reason & VMX_EXIT_REASON_BASIC_MASK;

	if (unlikely((reason & VMX_EXIT_REASON_FAILED_VMENTRY) || basic >= ARRAY_SIZE(handlers) || !handlers[basic])) {
		exit_unexpected(v, reason);
		return;
	}
	v->stats.by_reason[basic]++;
	/* Read at every exit (SDM 28.2.4); its rare valid case out of line. */
	u32 vectoring = (u32)vmread(IDT_VECTORING_INFO_FIELD);
	if (unlikely(vectoring & INTR_INFO_VALID))
		requeue_vectoring_event(vectoring);
	handlers[basic](v);
}
