/*
 * A vCPU: its VMCS, its registers and the state of the guest-visible
 * platform keyhole emulates for it (the COM1 and CMOS models, the CR
 * shadows, PAT).
 *
 * Who does what:
 *   hv/vm/vcpu_setup.c  vcpu_init/vcpu_destroy: the VMCS with the platform's controls
 *   hv/vm/run.c         vcpu_run: the entry loop and the checks before each entry
 *   hv/vm/exit.c        the exit dispatch, and the exits with a small answer;
 *                       cpuid.c, msr.c, io.c (with com1.c), cr.c the rest
 *   hv/vm/vcpu.c        what every handler uses: stop, fail, dump (skip and inject inline here)
 */
#ifndef KEYHOLE_HV_VM_VCPU_H
#define KEYHOLE_HV_VM_VCPU_H

#include <keyhole/types.h>
#include "hv/loader/guest_load.h"
#include "hv/vm/handlers.h"
#include "hv/vm/hypercall.h"
#include "hv/vmx/vcpu_regs.h"
#include "hv/vmx/vmx.h"

struct vm;

enum vcpu_state {
	VCPU_RUNNING,
	VCPU_EXITED,  /* the guest called EXIT: exit_status holds its status */
	VCPU_STOPPED, /* keyhole stopped it: stop_reason says why */
};

#define GUEST_LINE_MAX 160

struct vcpu {
	struct vm *vm;
	enum guest_platform platform; /* what the guest sees of the machine (hv/loader/guest_load.h) */
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
	struct cmos cmos; /* a PC guest's CMOS: its index and its own NVRAM (hv/vm/cmos.c) */
	u64 pat;
	u64 msr_refusals;           /* MSR accesses answered with #GP (the first few are logged) */
	u64 interrupts;             /* external-interrupt exits, each acknowledged and ended by keyhole */
	u64 nmis;                   /* NMIs that arrived for this guest (in it, or in keyhole while it ran) */
	bool nmi_pending;           /* a PC guest's NMI not delivered yet */
	u8 ports_logged[65536 / 8]; /* unknown ports already reported */
};

/* break_state: a test VM whose guest state is invalid on purpose (the kh-invalid-state module word). */
int vcpu_init(struct vcpu *v, struct vm *vm, const struct guest_entry *entry, bool break_state);
void vcpu_destroy(struct vcpu *v);

/* Runs the guest until it exits or keyhole stops it (hv/vm/run.c). */
void vcpu_run(struct vcpu *v);
/* audit=entry on the command line: run the audit before every VM entry (test builds). */
void vcpu_run_audit_every_entry(bool on);
/* The TSC at keyhole's entry: the first VM entry reports the path length from there (make bench). */
void vcpu_run_report_boot(u64 entry_tsc);

/* An NMI arrived while this guest ran: a PC guest gets it at the next entry, another guest only counts it. */
void vcpu_note_nmi(struct vcpu *v);

/* Stops the guest with a reason (the hypervisor stays up). */
void vcpu_stop(struct vcpu *v, const char *reason);
/* Logs why, dumps the guest state and stops the guest. */
void vcpu_fail(struct vcpu *v, const char *reason);
/* Logs the guest's registers and the VMCS state that explains an exit. */
void vcpu_dump(struct vcpu *v);

/* The instruction that exited is done: RIP moves past it.  Inline: it is on every exit's path. */
static inline void vcpu_skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
}

/* Delivers a hardware exception at the next entry (an error code of 0 when the vector has one). */
static inline void vcpu_inject_exception(u8 vector, bool error_code)
{
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, vector | (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT) |
						  (error_code ? INTR_INFO_DELIVER_CODE : 0) | INTR_INFO_VALID);
	if (error_code)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
}
/* A general-purpose register by its number in an exit qualification (0 RAX ... 15 R15); RSP lives in the VMCS. */
u64 vcpu_gpr(struct vcpu *v, unsigned int n);

#endif
