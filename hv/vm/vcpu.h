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
 *   hv/vm/vcpu_reset.c  the CPU state a guest leaves outside the VMCS, reset at vcpu_destroy
 *   hv/vm/vcpu.c        what every handler uses: stop, fail, dump (skip and inject inline here)
 */
#ifndef KEYHOLE_HV_VM_VCPU_H
#define KEYHOLE_HV_VM_VCPU_H

#include <keyhole/types.h>
#include <x86/cr.h>
#include "hv/loader/guest_load.h"
#include "hv/vm/cpuid_policy.h"
#include "hv/vm/exit_stats.h"
#include "hv/vm/handlers.h"
#include "hv/vm/hypercall.h"
#include "hv/vm/kvm_clock.h"
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
	/*
	 * What a VM entry has to do beyond entering, one flag each, read as one
	 * word by the entry path's test (hv/vm/run.c): the NMI a PC guest is
	 * owed, the watchdog (watchdog=), steal time (a copy of pv.steal_on,
	 * kept by hv/vm/msr.c, the one caller that changes it), the audit
	 * (audit=entry) and the first entry of a run.
	 */
	union {
		struct {
			bool nmi_pending; /* a PC guest's NMI not delivered yet */
			bool watchdog;
			bool steal_time;
			bool audit;
			bool first_entry;
		};
		u64 entry_work;
	};
	/* The flags an exit looks at, in entry_work. */
#define VCPU_EXIT_WORK_WATCHDOG 0xff00ull
#define VCPU_EXIT_WORK_STEAL 0xff0000ull
	/* entry_work with steal time on and nothing else. */
#define VCPU_ENTRY_WORK_STEAL_ONLY 0x10000ull
	struct exit_stats stats; /* exits by basic reason, since the last bench marker (hv/vm/exit_stats.h) */
	/* The watchdog: TSC ticks of guest time allowed and left, and the timer value last armed. */
	u64 watchdog_budget, watchdog_left;
	u32 watchdog_armed;
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
	u8 ports_logged[65536 / 8]; /* unknown ports already reported */
	struct kvm_pv_vcpu pv;      /* KVM's clock and steal-time MSRs (hv/vm/kvm_clock.h) */
	struct cpuid_table cpuid;   /* the CPUID answers fixed for its life (hv/vm/cpuid_policy.h) */
	u64 exit_tsc;               /* the TSC at the last VM exit, while steal time is on */
};

STATIC_ASSERT(__builtin_offsetof(struct vcpu, watchdog) == __builtin_offsetof(struct vcpu, entry_work) + 1 &&
		      __builtin_offsetof(struct vcpu, steal_time) == __builtin_offsetof(struct vcpu, entry_work) + 2,
	      "VCPU_EXIT_WORK_* name the watchdog's and steal time's bytes of entry_work (little-endian)");

/* break_state: a test VM whose guest state is invalid on purpose (the kh-invalid-state module word). */
int vcpu_init(struct vcpu *v, struct vm *vm, const struct guest_entry *entry, bool break_state);
/* Also resets the CPU state the guest could leave to the next one (vcpu_reset_cpu_state). */
void vcpu_destroy(struct vcpu *v);

/*
 * The registers a guest writes that no VMCS field switches, back to their
 * reset values (hv/vm/vcpu_reset.c): x87/SSE/AVX/AVX-512/PKRU state, XCR0,
 * DR0-DR3, DR6, DR7, CR8 and the MSRs a guest may reach without an exit.
 */
void vcpu_reset_cpu_state(void);
/* Reads them back (testhooks): true if every one holds its reset value; each that does not is logged. */
bool vcpu_reset_check(void);

/* Runs the guest until it exits or keyhole stops it (hv/vm/run.c). */
void vcpu_run(struct vcpu *v);
/* audit=entry on the command line: run the audit before every VM entry (test builds). */
void vcpu_run_audit_every_entry(bool on);
/*
 * watchdog=N on the command line: each guest may run N million TSC ticks in
 * VMX non-root operation, then it is stopped by name (0: no watchdog).
 */
void vcpu_run_watchdog(u64 million_ticks);
bool vcpu_watchdog_wanted(void);
/* The TSC at keyhole's entry: the first VM entry reports the path length from there (make bench). */
void vcpu_run_report_boot(u64 entry_tsc);

/* Fills v->cpuid on the CPU the vCPU runs on, its VMCS's controls set (hv/vm/cpuid.c). */
void cpuid_vcpu_init(struct vcpu *v);

/* An NMI arrived while this guest ran: a PC guest gets it at the next entry, another guest only counts it. */
void vcpu_note_nmi(struct vcpu *v);

/* Stops the guest with a reason (the hypervisor stays up). */
void vcpu_stop(struct vcpu *v, const char *reason);
/* Logs why, dumps the guest state and stops the guest. */
void vcpu_fail(struct vcpu *v, const char *reason);
/* Logs the guest's registers and the VMCS state that explains an exit. */
void vcpu_dump(struct vcpu *v);

/*
 * The instruction that exited is done: RIP moves past it, as if it had run
 * (KVM's kvm_skip_emulated_instruction).  Its completion ends an STI or
 * MOV SS shadow, and with RFLAGS.TF set it owes the guest a single-step
 * #DB: made pending (BS) for the CPU to deliver after the entry (SDM
 * Vol. 3C, 27.7.3 "Delivery of Pending Debug Exceptions after VM Entry";
 * 27.3.1.5: BS must be set with TF in an STI or MOV SS shadow anyway).
 * Inline: it is on every exit's path.
 */
static inline void vcpu_skip_instruction(void)
{
	u64 shadow = vmread(GUEST_INTERRUPTIBILITY_INFO);

	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
	if (shadow & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmwrite(GUEST_INTERRUPTIBILITY_INFO, shadow & ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	if (vmread(GUEST_RFLAGS) & X86_RFLAGS_TF)
		vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, vmread(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
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
