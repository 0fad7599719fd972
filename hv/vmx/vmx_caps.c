/*
 * Reading and judging the VMX capability MSRs (SDM vol. 3, appendix A "VMX
 * Capability Reporting Facility").  The hypervisor calls vmx_caps_read() once
 * with its real RDMSR and keeps the result; everything after that asks the
 * struct, never the MSRs.
 *
 * Pure C over keyhole/types.h: the unit tests run it against recorded MSR
 * values.
 */
#include <x86/msr.h>
#include "hv/vmx/vmx_caps.h"
#include "lib/printf.h"

void vmx_caps_read(struct vmx_caps *caps, vmx_rdmsr_fn rdmsr)
{
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
	bool true_ctls = basic & VMX_BASIC_TRUE_CTLS;

	*caps = (struct vmx_caps){
		.basic = basic,
		.vmcs_revision_id = (u32)(basic & VMX_BASIC_REVISION_ID_MASK),
		.vmcs_region_size = (u32)((basic >> VMX_BASIC_REGION_SIZE_SHIFT) &
					  VMX_BASIC_REGION_SIZE_MASK),
		.vmcs_memory_type = (u8)((basic >> VMX_BASIC_MEMORY_TYPE_SHIFT) &
					 VMX_BASIC_MEMORY_TYPE_MASK),
		.true_ctls = true_ctls,
		/*
		 * The TRUE_* MSRs report the same allowed-1 settings but may
		 * allow "default1" controls (CR3-load exiting, for one) to be
		 * 0; where they exist they are the ones to obey (SDM appendix A,
		 * "Reserved Controls and Default Settings").
		 */
		.pin_based_ctls = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
						  : MSR_IA32_VMX_PINBASED_CTLS),
		.proc_based_ctls = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
						   : MSR_IA32_VMX_PROCBASED_CTLS),
		.exit_ctls = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS),
		.entry_ctls = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
					      : MSR_IA32_VMX_ENTRY_CTLS),
		.misc = rdmsr(MSR_IA32_VMX_MISC),
		.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0),
		.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1),
		.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0),
		.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1),
	};

	/* These two MSRs exist only where what they describe can be enabled. */
	if (cpu_has_vmx_secondary_controls(caps))
		caps->proc_based_ctls2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (vmx_ctls_allowed(caps->proc_based_ctls2) &
	    (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
		caps->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

/* The first required control the CPU does not allow, as a sentence; NULL if none. */
static const char *missing_control(const struct vmx_caps *caps)
{
	static char msg[96];
	const struct {
		const char *name;
		u64 cap;
		u32 required;
	} words[] = {
		{ "pin-based", caps->pin_based_ctls, VMX_PIN_REQUIRED },
		{ "processor-based", caps->proc_based_ctls, VMX_PROC_REQUIRED },
		{ "secondary", caps->proc_based_ctls2, VMX_PROC2_REQUIRED },
		{ "VM-exit", caps->exit_ctls, VMX_EXIT_REQUIRED },
		{ "VM-entry", caps->entry_ctls, VMX_ENTRY_REQUIRED },
	};
	u32 bad;

	for (unsigned int i = 0; i < ARRAY_SIZE(words); i++)
		if (vmx_adjust_controls(words[i].cap, words[i].required, &bad)) {
			snprintf(msg, sizeof(msg), "the %s VM-execution controls lack required bits %#x", words[i].name,
				 bad);
			return msg;
		}
	return NULL;
}

int vmx_caps_check(const struct vmx_caps *caps, const char **why)
{
	const char *missing = NULL;

	if (caps->vmcs_region_size == 0 || caps->vmcs_region_size > PAGE_SIZE)
		missing = "VMCS region size is not within one page";
	else if (caps->vmcs_memory_type != VMX_MEMORY_TYPE_WB)
		missing = "VMCS memory type is not write-back";
	else if (caps->basic & VMX_BASIC_32BIT_PHYS_ADDR_ONLY)
		missing = "VMX structures limited to 32-bit physical addresses";
	else if (!cpu_has_vmx_ept(caps))
		missing = "no EPT";
	else if (!cpu_has_vmx_ept_4level(caps))
		missing = "no 4-level EPT page walk";
	else if (!cpu_has_vmx_ept_wb(caps))
		missing = "EPT paging structures cannot be write-back";
	else if (!cpu_has_vmx_invept(caps))
		missing = "no INVEPT (single- or all-context)";
	else
		missing = missing_control(caps);

	*why = missing ? missing : "VMX capabilities sufficient";
	return missing ? -EINVAL : 0;
}

int vmx_adjust_controls(u64 cap_msr_value, u32 wanted, u32 *out)
{
	u32 word = wanted | vmx_ctls_required(cap_msr_value);
	/* A required bit that is not allowed would be a broken MSR: report it
	 * the same way rather than hand out a word VM entry must reject. */
	u32 impossible = word & ~vmx_ctls_allowed(cap_msr_value);

	if (impossible) {
		*out = impossible;
		return -EINVAL;
	}
	*out = word;
	return 0;
}

int vmx_check_feature_control(u64 ia32_feature_control, bool *need_lock, const char **why)
{
	bool locked = ia32_feature_control & FEATURE_CONTROL_LOCKED;
	bool enabled = ia32_feature_control & FEATURE_CONTROL_VMXON_OUTSIDE_SMX;

	if (!locked) {
		*need_lock = true;
		*why = "IA32_FEATURE_CONTROL is unlocked: enabling VMX outside SMX and locking it";
		return 0;
	}
	*need_lock = false;
	if (!enabled) {
		*why = "VT-x is disabled and locked by the firmware "
		       "(IA32_FEATURE_CONTROL): enable Intel Virtualization Technology "
		       "(VT-x) in the firmware setup";
		return -EPERM;
	}
	*why = "VMX outside SMX enabled and locked by the firmware";
	return 0;
}

u64 vmx_feature_control_enable(u64 ia32_feature_control)
{
	return ia32_feature_control | FEATURE_CONTROL_VMXON_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
}
