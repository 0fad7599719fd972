/*
 * VMX operation: turning VT-x on, one VMCS per vCPU, entering the guest and
 * coming back.  The exit handlers are in hv/exit.c.
 *
 * Two tiers of VMCS access: vmwrite()/vmread() panic naming the field and
 * the VM-instruction error (a failure there is a keyhole bug); vmwrite_safe()
 * returns the error for callers that can handle it.
 */
#ifndef KEYHOLE_HV_VMX_H
#define KEYHOLE_HV_VMX_H

#include <keyhole/types.h>
#include "hv/guest_load.h"
#include "hv/hypercall.h"
#include "hv/vcpu_regs.h"
#include "hv/vmx_caps.h"

struct vm;

enum vcpu_state {
	VCPU_RUNNING,
	VCPU_EXITED,  /* the guest called EXIT: exit_status holds its status */
	VCPU_STOPPED, /* keyhole stopped it: stop_reason says why */
};

#define GUEST_LINE_MAX 160

struct vcpu {
	struct vm *vm;
	enum guest_platform platform; /* what the guest sees of the machine (hv/guest_load.h) */
	struct vcpu_regs regs;
	mfn_t vmcs, msr_bitmap, io_bitmap; /* io_bitmap: two frames, A then B */
	bool launched;
	enum vcpu_state state;
	u64 exit_status;
	const char *stop_reason;
	u64 exits;
	struct hc_stats hc;
	/* the guest's view of CR0 and CR4 (the bits VMX fixes are hidden) */
	u64 cr0_shadow, cr4_shadow;
	/* the guest's COM1: one line collected, then logged behind its tag */
	char tag[12]; /* "guestN": the console tag of its output */
	char line[GUEST_LINE_MAX];
	unsigned int line_len;
	u8 com1_lcr, com1_ier, com1_scratch;
	u64 pat;
	u64 msr_refusals;           /* MSR accesses answered with #GP (the first few are logged) */
	u8 ports_logged[65536 / 8]; /* unknown ports already reported */
};

/*
 * Checks that this CPU can do VT-x with EPT and turns it on (VMXON).
 * -ENODEV: no VT-x at all; -EPERM: disabled and locked by the firmware;
 * -EINVAL: a capability keyhole needs is missing.  *why says which, and
 * what the user can do.
 */
int vmx_enable(const char **why);
const struct vmx_caps *vmx_get_caps(void);

/* break_state: a test VM whose guest state is invalid on purpose (the kh-invalid-state module word). */
int vcpu_init(struct vcpu *v, struct vm *vm, const struct guest_entry *entry, bool break_state);
/* Runs the guest until it exits or keyhole stops it. */
void vcpu_run(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
/* Stops the guest with a reason (the hypervisor stays up). */
void vcpu_stop(struct vcpu *v, const char *reason);
/* Logs the guest's registers and the VMCS state that explains an exit. */
void vcpu_dump(struct vcpu *v);

/*
 * After a failed entry: checks the guest-state fields keyhole sets against
 * the SDM's rules (26.3.1) and returns the name of the first that breaks one,
 * with the rule in *why; NULL if none does.
 */
const char *vmx_diagnose_guest_state(const char **why);

/* The failure reports, out of line: the exit path inlines only the instruction and one test. */
void vmread_failed(u32 field) __attribute__((noreturn, cold));
void vmwrite_failed(u32 field, u64 value) __attribute__((noreturn, cold));

static inline u64 vmread(u32 field)
{
	u64 v;
	u8 fail;

	__asm__ volatile("vmread %2, %1; setna %0" : "=qm"(fail), "=rm"(v) : "r"((u64)field) : "cc");
	if (unlikely(fail))
		vmread_failed(field);
	return v;
}

static inline int vmwrite_safe(u32 field, u64 value)
{
	u8 fail;

	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"((u64)field), "rm"(value) : "cc");
	return fail ? -EIO : 0;
}

static inline void vmwrite(u32 field, u64 value)
{
	if (unlikely(vmwrite_safe(field, value)))
		vmwrite_failed(field, value);
}

/* INVEPT is legal from now on (hv/arch_mm.c). */
void arch_vmx_on(void);

/* The entry/exit stub (hv/vmx_entry.S): 0 after a VM exit, 1 if the entry failed. */
int vmx_enter(struct vcpu_regs *regs, int launched);

#endif
