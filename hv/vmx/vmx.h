/*
 * VMX operation, the mechanism: turning VT-x on, loading a VMCS, reading and
 * writing its fields, the host state every VMCS gets, entering the guest.
 * What a guest is allowed (its controls, bitmaps and exits) is policy and
 * lives in hv/vm/.
 *
 * Two tiers of VMCS access: vmwrite()/vmread() panic naming the field and
 * the VM-instruction error (a failure there is a keyhole bug); vmwrite_safe()
 * returns the error for callers that can handle it.
 */
#ifndef KEYHOLE_HV_VMX_VMX_H
#define KEYHOLE_HV_VMX_VMX_H

#include <keyhole/types.h>
#include "hv/vmx/vcpu_regs.h"
#include "hv/vmx/vmcs.h"
#include "hv/vmx/vmx_caps.h"

/*
 * Checks that this CPU can do VT-x with EPT and turns it on (VMXON).
 * -ENODEV: no VT-x at all; -EPERM: disabled and locked by the firmware;
 * -EINVAL: a capability keyhole needs is missing.  *why says which, and
 * what the user can do.
 */
int vmx_enable(const char **why);
/*
 * VMX on another CPU, after vmx_enable() on the boot CPU: this CPU's own
 * CPUID and IA32_FEATURE_CONTROL checked, the same VMCS revision asked,
 * CR0/CR4 fixed, VMXON on region (a zeroed frame of keyhole's).  0, or an
 * errno with *why in words.
 */
int vmx_enable_cpu(mfn_t region, const char **why);
const struct vmx_caps *vmx_get_caps(void);

/*
 * A control word for one of the capability MSRs: `required` or a panic
 * naming `what` (vmx_enable() checked them already), plus whichever of
 * `optional` the CPU offers.
 */
u32 vmx_controls(const char *what, u64 cap, u32 required, u32 optional);

/* Makes the fresh VMCS frame current (revision id, VMCLEAR, VMPTRLD); panics if the CPU refuses. */
void vmx_vmcs_load(mfn_t vmcs);
/* VMCLEAR: the VMCS is written back and no longer current. */
void vmx_vmcs_clear(mfn_t vmcs);
/* The host-state fields: keyhole's own CR0/3/4, segments, descriptor tables, EFER and the exit stub. */
void vmx_setup_host_state(void);
/* The VM-instruction error of the last failed VMX instruction (0 if VMREAD itself fails). */
u32 vmx_insn_error(void);

/* Lets the guest read and write msr without an exit, in a 4 KiB MSR bitmap. */
void vmx_msr_bitmap_allow(u8 *bitmap, u32 msr);

/*
 * After a failed entry: checks the guest-state fields keyhole sets against
 * the SDM's rules (26.3.1) and returns the name of the first that breaks one,
 * with the rule in *why; NULL if none does.
 */
const char *vmx_diagnose_guest_state(const char **why);

/* The failure reports, out of line: the exit path inlines only the instruction and one test. */
void vmread_failed(u32 field) __attribute__((noreturn, cold));
void vmwrite_failed(u32 field, u64 value) __attribute__((noreturn, cold));

/*
 * VMREAD and VMWRITE set CF or ZF on VMfail (SDM Vol. 3C, 31.2 "Conventions"):
 * one JBE straight to the out-of-line report (asm goto), so a field access
 * on the exit path is the instruction, the field number and that branch.
 */
static inline u64 vmread(u32 field)
{
	u64 v;

	__asm__ goto("vmread %1, %0; jbe %l2" : "=rm"(v) : "r"((u64)field) : "cc" : fail);
	return v;
fail:
	vmread_failed(field);
}

static inline int vmwrite_safe(u32 field, u64 value)
{
	u8 fail;

	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"((u64)field), "rm"(value) : "cc");
	return fail ? -EIO : 0;
}

static inline void vmwrite(u32 field, u64 value)
{
	__asm__ goto("vmwrite %1, %0; jbe %l2" : : "r"((u64)field), "rm"(value) : "cc" : fail);
	return;
fail:
	vmwrite_failed(field, value);
}

/* INVEPT is legal from now on (hv/cpu/arch_mm.c). */
void arch_vmx_on(u64 invept_type);

/*
 * The entry/exit stub (hv/vmx/vmx_entry.S): 0 after a VM exit, 1 if the
 * entry failed.  how: VMX_ENTER_RESUME for every entry but a run's first,
 * which also sets HOST_RSP and loads the guest's CR2: VMX_ENTER_LAUNCH for
 * a VMCS never launched, VMX_ENTER_FIRST_RESUME for one that was.
 */
#define VMX_ENTER_RESUME 0
#define VMX_ENTER_FIRST_RESUME 1
#define VMX_ENTER_LAUNCH 2
int vmx_enter(struct vcpu_regs *regs, int how);

#endif
