/*
 * A vCPU's VMCS from nothing (see vcpu.h): the controls of its platform, the
 * host state, and the 64-bit flat guest state its boot contract promises.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <x86/cr.h>
#include <x86/msr.h>
#include <x86/segment.h>
#include "ept/ept.h"
#include "hv/vm/handlers.h"
#include "hv/vm/vcpu.h"
#include "mm/arch.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/dmap.h"
#include "mm/frame.h"

/*
 * The controls of the two platforms (hv/loader/guest_load.h).  An isolated
 * guest exits on every interrupt, port, MSR and HLT.  A PC guest owns the
 * legacy interrupt path instead: external interrupts go straight through its
 * IDT without an exit (keyhole takes none of its own: it runs with
 * interrupts off, and one arriving in root mode waits for the next VM
 * entry), and HLT still exits so that keyhole can tell a guest idling from a
 * guest that has stopped for good (hv/vm/exit.c).
 */
static void setup_controls(struct vcpu *v)
{
	const struct vmx_caps *caps = vmx_get_caps();
	bool pc = v->platform == GUEST_PLATFORM_PC;
	u32 pin = vmx_controls("pin-based", caps->pin_based_ctls,
			       VMX_PIN_REQUIRED & ~(pc ? PIN_BASED_EXT_INTR_EXITING : 0), 0);
	u32 proc = vmx_controls("processor-based", caps->proc_based_ctls, VMX_PROC_REQUIRED, 0);
	u32 proc2 = vmx_controls("secondary", caps->proc_based_ctls2, VMX_PROC2_REQUIRED,
				 SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
					 SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_XSAVES);
	/*
	 * Acknowledge on exit: the CPU takes the interrupt from the APIC and
	 * names its vector in the exit information (SDM Vol. 3C 25.7.1), so
	 * keyhole ends it; without it the interrupt stays pending and exits again
	 * before the guest's next instruction, forever.  VMX_EXIT_REQUIRED has it.
	 */
	u32 exit = vmx_controls("VM-exit", caps->exit_ctls, VMX_EXIT_REQUIRED, 0);
	u32 entry = vmx_controls("VM-entry", caps->entry_ctls, VMX_ENTRY_REQUIRED, 0);

	/* The watchdog needs the timer and the control that keeps its count across exits (SDM 26.5.1, 25.7.1). */
	if (vcpu_watchdog_wanted()) {
		if (cpu_has_vmx_preemption_timer(caps)) {
			pin |= PIN_BASED_VMX_PREEMPTION_TIMER;
			exit |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
			v->watchdog = true;
		} else {
			log_warn("guest%u: watchdog= ignored: this CPU has no VMX-preemption timer it can save across exits",
				 v->vm->id);
		}
	}
	/* Without the HLT activity state a PC guest's HLT cannot be waited out in the guest: let it run natively. */
	if (pc && !cpu_has_vmx_activity_hlt(caps))
		proc &= ~CPU_BASED_HLT_EXITING;
	vmwrite(PIN_BASED_VM_EXEC_CONTROL, pin);
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc);
	vmwrite(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmwrite(VM_EXIT_CONTROLS, exit);
	vmwrite(VM_ENTRY_CONTROLS, entry);
	vmwrite(EXCEPTION_BITMAP, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	/*
	 * Every field the CPU reads that keyhole relies on, written rather than
	 * trusted to a zeroed VMCS frame (SDM Vol. 3C, 25.4-25.8 list no
	 * initial values: VMCLEAR initialises only the launch state): no #PF
	 * filter (the exception bitmap has no #PF anyway), no TSC offset
	 * (offsetting is off: the guest reads the real TSC), nothing injected.
	 */
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(TSC_OFFSET, 0);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
	vmwrite(VM_ENTRY_INSTRUCTION_LEN, 0);
	if (pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmwrite(VMX_PREEMPTION_TIMER_VALUE, 0);
	vmwrite(EPT_POINTER, ept_pointer(&v->vm->ept));
	if (proc2 & SECONDARY_EXEC_ENABLE_VPID)
		vmwrite(VIRTUAL_PROCESSOR_ID, 1 + v->vm->id);
	if (proc2 & SECONDARY_EXEC_XSAVES)
		vmwrite(XSS_EXIT_BITMAP, 0);
	vmwrite(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);

	vmwrite(IO_BITMAP_A, mfn_to_pa(v->io_bitmap));
	vmwrite(IO_BITMAP_B, mfn_to_pa(v->io_bitmap) + PAGE_SIZE);
	vmwrite(MSR_BITMAP, mfn_to_pa(v->msr_bitmap));

	/* The guest sees CR0/CR4 as it set them; VMX's fixed bits stay ours. */
	vmwrite(CR0_GUEST_HOST_MASK, caps->cr0_fixed0 | ~caps->cr0_fixed1);
	vmwrite(CR4_GUEST_HOST_MASK, caps->cr4_fixed0 | ~caps->cr4_fixed1);
	vmwrite(CR0_READ_SHADOW, v->cr0_shadow);
	vmwrite(CR4_READ_SHADOW, v->cr4_shadow);
}

/* The access rights of the descriptors the guest loader writes into the guest's GDT. */
#define AR_CODE64 SEG_AR(SEG_DESC_CODE64)
#define AR_DATA SEG_AR(SEG_DESC_DATA)
#define AR_TSS64_BUSY (SEG_TYPE_TSS64_BUSY | VMX_AR_P)

static void guest_segment(u32 sel_field, u16 sel, u32 ar)
{
	/* The selector, limit, AR and base fields of one register are spaced alike. */
	u32 idx = (sel_field - GUEST_ES_SELECTOR) / 2;

	vmwrite(sel_field, sel);
	vmwrite(GUEST_ES_LIMIT + 2 * idx, 0xffffffff);
	vmwrite(GUEST_ES_AR_BYTES + 2 * idx, ar);
	vmwrite(GUEST_ES_BASE + 2 * idx, 0);
}

/*
 * The 64-bit flat state include/keyhole/guest_boot.h promises (and the Linux
 * 64-bit boot protocol asks for), on the GDT the loader wrote.
 */
static void setup_guest_state(struct vcpu *v, const struct guest_entry *e)
{
	const struct vmx_caps *caps = vmx_get_caps();

	guest_segment(GUEST_CS_SELECTOR, e->sel_code, AR_CODE64);
	guest_segment(GUEST_ES_SELECTOR, e->sel_data, AR_DATA);
	guest_segment(GUEST_SS_SELECTOR, e->sel_data, AR_DATA);
	guest_segment(GUEST_DS_SELECTOR, e->sel_data, AR_DATA);
	guest_segment(GUEST_FS_SELECTOR, e->sel_data, AR_DATA);
	guest_segment(GUEST_GS_SELECTOR, e->sel_data, AR_DATA);
	vmwrite(GUEST_LDTR_SELECTOR, 0);
	vmwrite(GUEST_LDTR_AR_BYTES, VMX_AR_UNUSABLE);
	vmwrite(GUEST_LDTR_LIMIT, 0);
	vmwrite(GUEST_LDTR_BASE, 0);
	vmwrite(GUEST_TR_SELECTOR, e->sel_tss);
	vmwrite(GUEST_TR_AR_BYTES, AR_TSS64_BUSY);
	vmwrite(GUEST_TR_LIMIT, GUEST_TSS_LIMIT);
	vmwrite(GUEST_TR_BASE, e->tss_gpa);
	vmwrite(GUEST_GDTR_BASE, e->gdt_gpa);
	vmwrite(GUEST_GDTR_LIMIT, e->gdt_limit);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0);

	vmwrite(GUEST_CR0, vmx_fix_cr0(caps, v->cr0_shadow));
	vmwrite(GUEST_CR3, e->cr3);
	vmwrite(GUEST_CR4, vmx_fix_cr4(caps, v->cr4_shadow));
	vmwrite(GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	vmwrite(GUEST_DR7, X86_DR7_FIXED);
	vmwrite(GUEST_RSP, e->rsp);
	vmwrite(GUEST_RIP, e->rip);
	vmwrite(GUEST_RFLAGS, X86_RFLAGS_FIXED);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	v->regs.rdi = e->rdi;
	v->regs.rsi = e->rsi;
}

int vcpu_init(struct vcpu *v, struct vm *vm, const struct guest_entry *entry, bool break_state)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->platform = entry->platform;
	v->state = VCPU_RUNNING;
	snprintf(v->tag, sizeof(v->tag), "guest%u", vm->id);
	v->cr0_shadow = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	v->cr4_shadow = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	if (v->platform == GUEST_PLATFORM_PC)
		cmos_init(&v->cmos, &cmos_hw_ports, vm->id); /* the NVRAM as the firmware left it */
	r = frames_alloc(1, FRAME_HV, &v->vmcs);
	if (!r)
		r = frames_alloc(1, FRAME_HV, &v->msr_bitmap);
	if (!r)
		r = frames_alloc(2, FRAME_HV, &v->io_bitmap);
	if (r)
		return r;
	io_bitmap_init(v, phys_to_virt(mfn_to_pa(v->io_bitmap)));
	msr_bitmap_init(v, phys_to_virt(mfn_to_pa(v->msr_bitmap)));

	vmx_vmcs_load(v->vmcs);
	setup_controls(v);
	cpuid_vcpu_init(v); /* after the controls: RDTSCP's is one of its inputs */
	vmx_setup_host_state();
	setup_guest_state(v, entry);
	if (break_state)
		vmwrite(GUEST_RFLAGS, 0); /* a test VM set up wrongly on purpose: reserved bit 1 clear */
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	/* Memory is scrubbed (vm_mem_destroy); registers are reset here, before another guest can run. */
	vcpu_reset_cpu_state();
	if (hypercall_test_hooks_on()) {
		if (!vcpu_reset_check())
			panic("vcpu reset: %s's register state survived its teardown", v->tag);
		log_info("%s: register state reset and read back (testhooks)", v->tag);
	}
	vmx_vmcs_clear(v->vmcs);
	/*
	 * This CPU may still cache translations derived from the guest's EPT,
	 * tagged with its EPTP; the tables are freed once every vCPU is done,
	 * and a later guest may get the same root.  SDM Vol. 3C 29.4.3.3: after
	 * EPT paging structures change (here: are freed), INVEPT on each logical
	 * processor that may hold such translations: each vCPU's own CPU, here.
	 */
	arch_invept(v->vm->ept.pt.ctx);
	frames_free(v->vmcs, 1);
	frames_free(v->msr_bitmap, 1);
	frames_free(v->io_bitmap, 2);
}
