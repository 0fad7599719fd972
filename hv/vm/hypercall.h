/*
 * The hypercall handler: decodes a VMCALL (include/keyhole/hypercall.h for
 * the ABI), validates every argument and acts through the memory core.  Pure
 * C over struct vm, so the unit tests drive it with any register values.
 */
#ifndef KEYHOLE_HV_HYPERCALL_H
#define KEYHOLE_HV_HYPERCALL_H

#include <keyhole/types.h>
#include "hv/vmx/vcpu_regs.h"

struct vm;

enum hc_result {
	HC_RESUME, /* result in regs->rax (and rbx); the guest goes on */
	HC_EXIT,   /* the guest asked to stop: *status holds its exit status */
};

/* Bad calls logged per VM before keyhole only counts them (a fuzzing guest makes many). */
#define HC_LOG_LIMIT 16

struct hc_stats {
	u64 calls;
	u64 errors;     /* every refused call, those below included */
	u64 not_kernel; /* refused because the caller ran at CPL > 0 */
	u64 kvm;        /* KVM's numbers (outside KH_HC_BASE..KH_HC_LAST): -KVM_ENOSYS */
};

/*
 * Serves the VMCALL in regs from a guest running at privilege level cpl
 * (its SS.DPL).  Only CPL 0 is served (invariant 7): from CPL 1-3 every
 * call, EXIT included, gets -EPERM in RAX and changes nothing else.  At
 * CPL 0 a number outside KH_HC_BASE..KH_HC_LAST (all 64 bits of RAX) is
 * KVM's: -KVM_ENOSYS in RAX, nothing else changed.
 */
enum hc_result hypercall(struct vm *vm, struct vcpu_regs *regs, unsigned int cpl, struct hc_stats *stats,
			 u64 *status);
/*
 * The command-line words: `diag` offers the diagnostic calls
 * (KH_HC_DIAG_FIRST..KH_HC_DIAG_LAST) and their CPUID feature bit;
 * `testhooks` allows KH_HC_TEST_PLANT_LEAK.
 */
void hypercall_configure(bool diag, bool test_hooks);
/* Are the diagnostic calls offered (KH_FEAT_DIAG)? */
bool hypercall_diag_offered(void);
/* Is `testhooks` on (the test-only hooks and self-checks)? */
bool hypercall_test_hooks_on(void);
/* Where a planted leak maps its frame: far from anything keyhole maps. */
#define TEST_LEAK_VA 0xffffffffc0000000ULL
/* The call's name for the log: "unknown" inside keyhole's range, "KVM" outside it. */
const char *hypercall_name(u64 nr);

#endif
