/*
 * VT-x bring-up and the mechanism of a VMCS (see vmx.h).
 *
 * Every control word is derived from the capability MSRs: keyhole asks for
 * what it needs, takes what the CPU forces on, and fails with the name of
 * whatever the CPU cannot do (hv/vmx/vmx_caps.c).
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <x86/cpu.h>
#include "hv/cpu/desc.h"
#include "hv/vmx/vmx.h"
#include "lib/string.h"
#include "mm/dmap.h"
#include "mm/frame.h"

static struct vmx_caps caps;
extern const u8 vmx_exit[];

/* ---- VMX instructions ---- */

u32 vmx_insn_error(void)
{
	u64 e = 0;
	u8 fail;

	__asm__ volatile("vmread %2, %1; setna %0" : "=qm"(fail), "=rm"(e) : "r"((u64)VM_INSTRUCTION_ERROR) : "cc");
	return fail ? 0 : (u32)e;
}

void vmwrite_failed(u32 field, u64 value)
{
	u32 e = vmx_insn_error();

	panic("VMWRITE %s (%#x) = %#lx failed: %s (%u)", vmcs_field_name(field) ?: "?", field, value,
	      vmx_insn_error_name(e), e);
}

void vmread_failed(u32 field)
{
	u32 e = vmx_insn_error();

	panic("VMREAD %s (%#x) failed: %s (%u)", vmcs_field_name(field) ?: "?", field, vmx_insn_error_name(e), e);
}

/* VMXON, VMCLEAR, VMPTRLD: each takes the physical address of a region; -EIO on VMfail. */
#define DEFINE_REGION_OP(name)                                                                      \
	static int name(u64 pa)                                                                     \
	{                                                                                           \
		u8 fail;                                                                            \
		__asm__ volatile(#name " %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory"); \
		return fail ? -EIO : 0;                                                             \
	}
DEFINE_REGION_OP(vmxon)
DEFINE_REGION_OP(vmclear)
DEFINE_REGION_OP(vmptrld)

static u64 rdmsr_fn(u32 msr)
{
	return rdmsr(msr);
}

/* ---- bring-up ---- */

/* What this CPU itself must offer: VT-x in CPUID, and IA32_FEATURE_CONTROL letting VMXON run (locked here if open). */
static int vmx_cpu_allows(const char **why)
{
	bool need_lock;
	int r;

	if (!(cpuid(1).ecx & CPUID_1_ECX_VMX)) {
		*why = "this CPU has no VT-x (CPUID.1:ECX.VMX is 0). Run keyhole on an Intel CPU with VT-x, "
		       "nested under KVM (modprobe kvm_intel nested=1; qemu -accel kvm -cpu host), or in Bochs (make run)";
		return -ENODEV;
	}
	r = vmx_check_feature_control(rdmsr(MSR_IA32_FEATURE_CONTROL), &need_lock, why);
	if (r)
		return r;
	if (need_lock)
		wrmsr(MSR_IA32_FEATURE_CONTROL, vmx_feature_control_enable(rdmsr(MSR_IA32_FEATURE_CONTROL)));
	return 0;
}

/* CR0 and CR4 as VMX operation fixes them (SDM Vol. 3D A.7, A.8), then VMXON on region. */
static int vmx_cpu_on(mfn_t region, const char **why)
{
	write_cr0(vmx_fix_cr0(&caps, read_cr0()));
	write_cr4(vmx_fix_cr4(&caps, read_cr4() | X86_CR4_VMXE));
	*(u32 *)phys_to_virt(mfn_to_pa(region)) = caps.vmcs_revision_id;
	if (vmxon(mfn_to_pa(region))) {
		*why = "VMXON failed (is another hypervisor running?)";
		return -EIO;
	}
	return 0;
}

int vmx_enable(const char **why)
{
	mfn_t region;
	int r = vmx_cpu_allows(why);

	if (r)
		return r;
	vmx_caps_read(&caps, rdmsr_fn);
	r = vmx_caps_check(&caps, why);
	if (r)
		return r;
	r = frames_alloc(1, FRAME_HV, &region);
	if (r) {
		*why = "no memory for the VMXON region";
		return r;
	}
	r = vmx_cpu_on(region, why);
	if (r)
		return r;
	arch_vmx_on(vmx_invept_type(&caps));
	log_info("vmx: on (VMCS revision %#x; EPT%s%s, VPID %s, unrestricted guest %s)", caps.vmcs_revision_id,
		 cpu_has_vmx_ept_2m(&caps) ? " 2M" : "", cpu_has_vmx_ept_1g(&caps) ? " 1G" : "",
		 cpu_has_vmx_vpid(&caps) ? "yes" : "no", cpu_has_vmx_unrestricted_guest(&caps) ? "yes" : "no");
	return 0;
}

int vmx_enable_cpu(mfn_t region, const char **why)
{
	int r = vmx_cpu_allows(why);

	if (r)
		return r;
	/* One VMCS format for all: the boot CPU's capabilities are every CPU's, or this one is not used. */
	if ((u32)(rdmsr(MSR_IA32_VMX_BASIC) & 0x7fffffff) != caps.vmcs_revision_id) {
		*why = "its VMCS revision differs from the boot CPU's";
		return -ENODEV;
	}
	return vmx_cpu_on(region, why);
}

const struct vmx_caps *vmx_get_caps(void)
{
	return &caps;
}

/* ---- the VMCS ---- */

void vmx_vmcs_load(mfn_t vmcs)
{
	*(u32 *)phys_to_virt(mfn_to_pa(vmcs)) = caps.vmcs_revision_id;
	if (vmclear(mfn_to_pa(vmcs)) || vmptrld(mfn_to_pa(vmcs)))
		panic("vmx: VMCLEAR/VMPTRLD of a fresh VMCS failed");
}

void vmx_vmcs_clear(mfn_t vmcs)
{
	vmclear(mfn_to_pa(vmcs));
}

void vmx_msr_bitmap_allow(u8 *bitmap, u32 msr)
{
	u32 base = msr >= MSR_BITMAP_HIGH_BASE ? MSR_BITMAP_HALF : 0;
	u32 bit = msr & (MSR_BITMAP_RANGE - 1);

	bitmap[base + bit / 8] &= (u8)~(1u << (bit % 8));
	bitmap[MSR_BITMAP_WRITE + base + bit / 8] &= (u8)~(1u << (bit % 8));
}

u32 vmx_controls(const char *what, u64 cap, u32 required, u32 optional)
{
	u32 out;

	if (vmx_adjust_controls(cap, required, &out))
		panic("vmx: the CPU cannot provide the %s controls %#x keyhole needs", what, required);
	return out | vmx_ctls_optional(cap, optional);
}

void vmx_setup_host_state(void)
{
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, SEL_CODE64);
	vmwrite(HOST_SS_SELECTOR, SEL_DATA);
	vmwrite(HOST_DS_SELECTOR, SEL_DATA);
	vmwrite(HOST_ES_SELECTOR, SEL_DATA);
	vmwrite(HOST_FS_SELECTOR, SEL_DATA);
	vmwrite(HOST_GS_SELECTOR, SEL_DATA);
	vmwrite(HOST_TR_SELECTOR, SEL_TSS);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, desc_gs_base()); /* this CPU's number (hv/cpu/desc.h) */
	vmwrite(HOST_TR_BASE, desc_tss_base());
	vmwrite(HOST_GDTR_BASE, desc_gdt_base());
	vmwrite(HOST_IDTR_BASE, desc_idt_base());
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmwrite(HOST_RIP, (u64)(uintptr_t)vmx_exit);
}

const char *vmx_diagnose_guest_state(const char **why)
{
	u64 cr0 = vmread(GUEST_CR0), cr4 = vmread(GUEST_CR4), efer = vmread(GUEST_IA32_EFER);
	bool ia32e = vmread(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE;
	u64 rflags = vmread(GUEST_RFLAGS), cs_ar = vmread(GUEST_CS_AR_BYTES), tr_ar = vmread(GUEST_TR_AR_BYTES);

	if (vmx_fix_cr0(&caps, cr0) != cr0)
		return *why = "a bit fixed by IA32_VMX_CR0_FIXED0/1 differs", "GUEST_CR0";
	if (vmx_fix_cr4(&caps, cr4) != cr4)
		return *why = "a bit fixed by IA32_VMX_CR4_FIXED0/1 differs", "GUEST_CR4";
	if (ia32e && !(cr4 & X86_CR4_PAE))
		return *why = "a 64-bit guest needs CR4.PAE", "GUEST_CR4";
	if (!!(efer & EFER_LMA) != ia32e || (ia32e && !(efer & EFER_LME)))
		return *why = "EFER.LMA/LME must match the IA-32e mode entry control", "GUEST_IA32_EFER";
	if (!(rflags & X86_RFLAGS_FIXED) || (rflags & X86_RFLAGS_RESERVED_ZERO))
		return *why = "reserved bit 1 must be 1 and bits 3, 5, 15, 22-63 must be 0", "GUEST_RFLAGS";
	if (!(cs_ar & VMX_AR_P) || (ia32e && (cs_ar & VMX_AR_L) && (cs_ar & VMX_AR_DB)))
		return *why = "CS must be present, and not both L and D/B", "GUEST_CS_AR_BYTES";
	if ((tr_ar & VMX_AR_UNUSABLE) || (tr_ar & VMX_AR_TYPE_MASK) != 0xb || !(tr_ar & VMX_AR_P))
		return *why = "TR must be a present, busy 64-bit TSS", "GUEST_TR_AR_BYTES";
	if (!va_canonical(vmread(GUEST_RIP)))
		return *why = "RIP must be canonical", "GUEST_RIP";
	if (vmread(GUEST_ACTIVITY_STATE) > GUEST_ACTIVITY_WAIT_SIPI)
		return *why = "no such activity state", "GUEST_ACTIVITY_STATE";
	if (vmread(VMCS_LINK_POINTER) != VMCS_LINK_POINTER_NONE)
		return *why = "must be all ones without VMCS shadowing", "VMCS_LINK_POINTER";
	*why = NULL;
	return NULL;
}

