/*
 * What this CPU's VMX can do, read once from the capability MSRs into a
 * struct vmx_caps and asked only through the predicates below.
 *
 * Every VMX control word is negotiated, not chosen: each control MSR holds
 * in its low 32 bits the controls that must be 1 ("allowed-0 settings": a 1
 * there means the bit may not be 0) and in its high 32 bits those that may
 * be 1 ("allowed-1 settings").  vmx_adjust_controls() turns what keyhole
 * wants into a word the CPU accepts, or says which wanted bits it lacks, so
 * no control word is ever hard-coded.
 *
 * Nothing here executes RDMSR: vmx_caps_read() takes the reader as a
 * callback, so the unit tests feed it the MSR values of real and imagined
 * CPUs (tests/unit/test_vmx_caps.c).
 */
#ifndef KEYHOLE_HV_VMX_CAPS_H
#define KEYHOLE_HV_VMX_CAPS_H

#include <keyhole/types.h>

#include "ept/ept_hw.h"
#include "hv/vmx/vmcs.h"

/* IA32_VMX_BASIC (SDM appendix A "VMX Capability Reporting Facility") */
#define VMX_BASIC_REVISION_ID_MASK 0x7fffffffULL
#define VMX_BASIC_REGION_SIZE_SHIFT 32
#define VMX_BASIC_REGION_SIZE_MASK 0x1fffULL
#define VMX_BASIC_32BIT_PHYS_ADDR_ONLY BIT(48) /* VMCS, bitmaps etc. below 4 GiB */
#define VMX_BASIC_DUAL_MONITOR BIT(49)
#define VMX_BASIC_MEMORY_TYPE_SHIFT 50
#define VMX_BASIC_MEMORY_TYPE_MASK 0xfULL
#define VMX_BASIC_INS_OUTS_INFO BIT(54) /* exit info for INS/OUTS */
#define VMX_BASIC_TRUE_CTLS BIT(55)     /* the IA32_VMX_TRUE_*_CTLS MSRs exist */
#define VMX_BASIC_NO_HW_ERROR_CODE_CHECK BIT(56)

/* Memory types, as IA32_VMX_BASIC and the EPT pointer encode them. */
#define VMX_MEMORY_TYPE_UC 0
#define VMX_MEMORY_TYPE_WB 6

/* IA32_VMX_MISC */
#define VMX_MISC_PREEMPTION_TIMER_RATE_MASK 0x1fULL
#define VMX_MISC_STORE_EFER_LMA BIT(5)
#define VMX_MISC_ACTIVITY_HLT BIT(6)
#define VMX_MISC_ACTIVITY_SHUTDOWN BIT(7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI BIT(8)
#define VMX_MISC_CR3_TARGETS_SHIFT 16
#define VMX_MISC_CR3_TARGETS_MASK 0x1ffULL
#define VMX_MISC_MSR_LIST_SHIFT 25
#define VMX_MISC_MSR_LIST_MASK 0x7ULL
#define VMX_MISC_MSR_LIST_UNIT 512 /* entries per step of the field above */
#define VMX_MISC_VMWRITE_ANY_FIELD BIT(29)

/* IA32_VMX_EPT_VPID_CAP */
#define VMX_EPT_EXECUTE_ONLY BIT(0)
#define VMX_EPT_PAGE_WALK_4 BIT(6)
#define VMX_EPT_PAGE_WALK_5 BIT(7)
#define VMX_EPT_MEMORY_TYPE_UC BIT(8)  /* EPT paging structures may be UC */
#define VMX_EPT_MEMORY_TYPE_WB BIT(14) /* ... or WB */
#define VMX_EPT_2MB_PAGES BIT(16)
#define VMX_EPT_1GB_PAGES BIT(17)
#define VMX_EPT_INVEPT BIT(20)
#define VMX_EPT_ACCESSED_DIRTY BIT(21)
#define VMX_EPT_ADVANCED_EXIT_INFO BIT(22)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT BIT(25)
#define VMX_EPT_INVEPT_ALL_CONTEXT BIT(26)
#define VMX_VPID_INVVPID BIT(32)
#define VMX_VPID_INVVPID_INDIVIDUAL_ADDR BIT(40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT BIT(41)
#define VMX_VPID_INVVPID_ALL_CONTEXT BIT(42)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS BIT(43)

/*
 * CR0.PE and CR0.PG: IA32_VMX_CR0_FIXED0 reports them as fixed to 1, yet an
 * unrestricted guest may clear them (SDM "Checks on Guest Control
 * Registers, Debug Registers, and MSRs").
 */
#define VMX_CR0_UNRESTRICTED_FREE (BIT(0) | BIT(31))

struct vmx_caps {
	u64 basic;                /* IA32_VMX_BASIC as read */
	u32 vmcs_revision_id;     /* first dword of every VMXON and VMCS region */
	u32 vmcs_region_size;     /* bytes to allocate for either region */
	u8 vmcs_memory_type;      /* VMX_MEMORY_TYPE_* the CPU uses for them */
	bool true_ctls;           /* the four controls below came from TRUE_* */

	/* Control MSRs: allowed-0 settings low, allowed-1 settings high. */
	u64 pin_based_ctls;
	u64 proc_based_ctls;
	u64 proc_based_ctls2;     /* 0: secondary controls cannot be activated */
	u64 exit_ctls;
	u64 entry_ctls;

	u64 misc;
	u64 cr0_fixed0, cr0_fixed1; /* a 1 in fixed0: must be 1; a 0 in fixed1: must be 0 */
	u64 cr4_fixed0, cr4_fixed1;
	u64 ept_vpid_cap;         /* 0: neither EPT nor VPID can be enabled */
};

/*
 * The controls keyhole cannot run a guest without, one word per control
 * MSR (hv/vm/vcpu_setup.c asks for these and adds optional ones);
 * vmx_caps_check() refuses a CPU that lacks any of them before VMXON.
 * The debug controls carry the guest's DR7 and IA32_DEBUGCTL across exits:
 * without them an exit clears both (SDM Vol. 3C, 28.3.1 and 28.5.1).
 */
#define VMX_PIN_REQUIRED (PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING)
#define VMX_PROC_REQUIRED                                                                    \
	(CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS | \
	 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
#define VMX_PROC2_REQUIRED SECONDARY_EXEC_ENABLE_EPT
#define VMX_EXIT_REQUIRED                                                                  \
	(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER | \
	 VM_EXIT_SAVE_DEBUG_CONTROLS | VM_EXIT_ACK_INTR_ON_EXIT)
#define VMX_ENTRY_REQUIRED (VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_DEBUG_CONTROLS)

typedef u64 (*vmx_rdmsr_fn)(u32 msr);

/*
 * Fills *caps from the capability MSRs through rdmsr.  Reads only MSRs that
 * exist on this CPU (a missing one would #GP): the TRUE_* controls when
 * IA32_VMX_BASIC bit 55 says so, PROCBASED_CTLS2 only if secondary controls
 * may be activated, EPT_VPID_CAP only if EPT or VPID may be enabled.
 * The caller has checked CPUID.1:ECX.VMX first.
 */
void vmx_caps_read(struct vmx_caps *caps, vmx_rdmsr_fn rdmsr);

/*
 * Whether keyhole can run on these capabilities at all; 0, or -EINVAL with
 * *why naming the first thing missing.  keyhole needs: a VMCS region that
 * fits a page, write-back VMCS memory, regions anywhere in physical memory
 * (no 32-bit limit), and EPT with 4-level walks, write-back paging
 * structures and INVEPT (single- or all-context), and every control of
 * the VMX_*_REQUIRED words above (*why names the control MSR and the bits).
 */
int vmx_caps_check(const struct vmx_caps *caps, const char **why);

/* --- control words -------------------------------------------------------- */

/* Controls the CPU requires to be 1. */
static inline u32 vmx_ctls_required(u64 cap_msr_value)
{
	return (u32)cap_msr_value;
}

/* Controls the CPU allows to be 1. */
static inline u32 vmx_ctls_allowed(u64 cap_msr_value)
{
	return (u32)(cap_msr_value >> 32);
}

/*
 * The control word for `wanted` under a control MSR's settings: wanted plus
 * every bit the CPU requires.  0 and the word in *out; or -EINVAL, when a
 * wanted (or required) bit may not be 1, with exactly those bits in *out so
 * the caller can name them.  Bits the CPU merely allows are never added: with
 * the TRUE_* MSRs that clears the "default1" controls nobody asked for.
 */
int vmx_adjust_controls(u64 cap_msr_value, u32 wanted, u32 *out);

/* The subset of optional controls that this CPU allows. */
static inline u32 vmx_ctls_optional(u64 cap_msr_value, u32 optional)
{
	return optional & vmx_ctls_allowed(cap_msr_value);
}

/* --- predicates ----------------------------------------------------------- */

static inline bool cpu_has_vmx_secondary_controls(const struct vmx_caps *c)
{
	return vmx_ctls_allowed(c->proc_based_ctls) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
}

static inline bool cpu_has_vmx_secondary(const struct vmx_caps *c, u32 secondary_ctl)
{
	return cpu_has_vmx_secondary_controls(c) &&
	       (vmx_ctls_allowed(c->proc_based_ctls2) & secondary_ctl) == secondary_ctl;
}

static inline bool cpu_has_vmx_msr_bitmaps(const struct vmx_caps *c)
{
	return vmx_ctls_allowed(c->proc_based_ctls) & CPU_BASED_USE_MSR_BITMAPS;
}

static inline bool cpu_has_vmx_io_bitmaps(const struct vmx_caps *c)
{
	return vmx_ctls_allowed(c->proc_based_ctls) & CPU_BASED_USE_IO_BITMAPS;
}

static inline bool cpu_has_vmx_ept(const struct vmx_caps *c)
{
	return cpu_has_vmx_secondary(c, SECONDARY_EXEC_ENABLE_EPT);
}

static inline bool cpu_has_vmx_vpid(const struct vmx_caps *c)
{
	return cpu_has_vmx_secondary(c, SECONDARY_EXEC_ENABLE_VPID);
}

/* Real mode and unpaged protected mode run natively (needs EPT too). */
static inline bool cpu_has_vmx_unrestricted_guest(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept(c) && cpu_has_vmx_secondary(c, SECONDARY_EXEC_UNRESTRICTED_GUEST);
}

static inline bool cpu_has_vmx_rdtscp(const struct vmx_caps *c)
{
	return cpu_has_vmx_secondary(c, SECONDARY_EXEC_ENABLE_RDTSCP);
}

static inline bool cpu_has_vmx_invpcid(const struct vmx_caps *c)
{
	return cpu_has_vmx_secondary(c, SECONDARY_EXEC_ENABLE_INVPCID);
}

static inline bool cpu_has_vmx_xsaves(const struct vmx_caps *c)
{
	return cpu_has_vmx_secondary(c, SECONDARY_EXEC_XSAVES);
}

static inline bool cpu_has_vmx_ept_cap(const struct vmx_caps *c, u64 cap)
{
	return cpu_has_vmx_ept(c) && (c->ept_vpid_cap & cap) == cap;
}

static inline bool cpu_has_vmx_ept_4level(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_PAGE_WALK_4);
}

static inline bool cpu_has_vmx_ept_wb(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_MEMORY_TYPE_WB);
}

static inline bool cpu_has_vmx_ept_2m(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_2MB_PAGES);
}

static inline bool cpu_has_vmx_ept_1g(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_1GB_PAGES);
}

static inline bool cpu_has_vmx_ept_ad(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_ACCESSED_DIRTY);
}

static inline bool cpu_has_vmx_ept_execute_only(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_EXECUTE_ONLY);
}

/* INVEPT exists and can do at least one kind of invalidation. */
static inline bool cpu_has_vmx_invept(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_INVEPT) &&
	       (c->ept_vpid_cap & (VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT));
}

static inline bool cpu_has_vmx_invept_single_context(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_INVEPT | VMX_EPT_INVEPT_SINGLE_CONTEXT);
}

static inline bool cpu_has_vmx_invept_all_context(const struct vmx_caps *c)
{
	return cpu_has_vmx_ept_cap(c, VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT);
}

/*
 * The INVEPT type keyhole uses: single-context where the CPU has it (only
 * the one EPT's translations go), else all-context (SDM Vol. 3C, 30.3.3.1;
 * a type the CPU does not report is VMfail, "invalid operand").
 */
static inline u64 vmx_invept_type(const struct vmx_caps *c)
{
	return cpu_has_vmx_invept_single_context(c) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXTS;
}

static inline bool cpu_has_vmx_invvpid(const struct vmx_caps *c)
{
	return cpu_has_vmx_vpid(c) && (c->ept_vpid_cap & VMX_VPID_INVVPID);
}

/* The VMX-preemption timer, with the exit control that saves its count (SDM Vol. 3C, 26.5.1, 25.7.1). */
static inline bool cpu_has_vmx_preemption_timer(const struct vmx_caps *c)
{
	return (vmx_ctls_allowed(c->pin_based_ctls) & PIN_BASED_VMX_PREEMPTION_TIMER) &&
	       (vmx_ctls_allowed(c->exit_ctls) & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
}

/* The preemption timer counts at the TSC's rate divided by 2 to this power (IA32_VMX_MISC[4:0]). */
static inline unsigned int vmx_preemption_timer_shift(const struct vmx_caps *c)
{
	return c->misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK;
}

static inline bool cpu_has_vmx_activity_hlt(const struct vmx_caps *c)
{
	return c->misc & VMX_MISC_ACTIVITY_HLT;
}

/* Most entries the VM-entry/exit MSR load and store lists may hold. */
static inline u32 vmx_max_msr_list_entries(const struct vmx_caps *c)
{
	return VMX_MISC_MSR_LIST_UNIT *
	       (u32)(((c->misc >> VMX_MISC_MSR_LIST_SHIFT) & VMX_MISC_MSR_LIST_MASK) + 1);
}

/* --- CR0/CR4 in VMX operation --------------------------------------------- */

/* CR0 and CR4 must obey the FIXED MSRs both for VMXON (the host) and for
 * the guest at VM entry: these force the fixed bits on and off. */
static inline u64 vmx_fix_cr0(const struct vmx_caps *c, u64 cr0)
{
	return (cr0 | c->cr0_fixed0) & c->cr0_fixed1;
}

static inline u64 vmx_fix_cr4(const struct vmx_caps *c, u64 cr4)
{
	return (cr4 | c->cr4_fixed0) & c->cr4_fixed1;
}

/* A guest CR0 for VM entry; an unrestricted guest keeps its own PE and PG. */
static inline u64 vmx_fix_guest_cr0(const struct vmx_caps *c, u64 cr0, bool unrestricted)
{
	u64 fixed0 = c->cr0_fixed0 & (unrestricted ? ~VMX_CR0_UNRESTRICTED_FREE : ~0ULL);

	return (cr0 | fixed0) & c->cr0_fixed1;
}

/* --- IA32_FEATURE_CONTROL -------------------------------------------------- */

/*
 * Classifies IA32_FEATURE_CONTROL for VMXON outside SMX (keyhole does not
 * run under TXT):
 *
 *   locked, VMX enabled    0; *need_lock false
 *   locked, VMX disabled   -EPERM: only the firmware setup can change it
 *   unlocked               0; *need_lock true: write
 *                          vmx_feature_control_enable(value) before VMXON
 *
 * *why always gets a sentence for the log.
 */
int vmx_check_feature_control(u64 ia32_feature_control, bool *need_lock, const char **why);

/* The value that enables VMXON outside SMX and locks the register. */
u64 vmx_feature_control_enable(u64 ia32_feature_control);

#endif
