/*
 * VT-x bring-up and the VMCS of a vCPU (see vmx.h).
 *
 * Every control word is derived from the capability MSRs: keyhole asks for
 * what it needs, takes what the CPU forces on, and fails with the name of
 * whatever the CPU cannot do (hv/vmx_caps.c).
 */
#include <keyhole/boot_info.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/vm.h>
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/desc.h"
#include "hv/exit.h"
#include "hv/msr.h"
#include "hv/vmcs.h"
#include "hv/vmx.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/frame.h"

STATIC_ASSERT(HOST_RSP == 0x6c14 && HOST_RIP == 0x6c16, "hv/vmx_entry.S field encodings");

#define CPUID_1_ECX_VMX BIT(5)
#define CR0_ET BIT(4) /* hardwired to 1 on every CPU keyhole runs on */
#define RFLAGS_FIXED BIT(1)
#define DR7_FIXED 0x400
#define COM1_BASE 0x3f8
#define COM1_PORTS 8

static struct vmx_caps caps;
static mfn_t vmxon_region;
extern const u8 vmx_exit[];

/* ---- VMX instructions ---- */

static u32 insn_error(void)
{
	u64 e = 0;
	u8 fail;

	__asm__ volatile("vmread %2, %1; setna %0" : "=qm"(fail), "=rm"(e) : "r"((u64)VM_INSTRUCTION_ERROR) : "cc");
	return fail ? 0 : (u32)e;
}

void vmwrite_failed(u32 field, u64 value)
{
	u32 e = insn_error();

	panic("VMWRITE %s (%#x) = %#lx failed: %s (%u)", vmcs_field_name(field) ?: "?", field, value,
	      vmx_insn_error_name(e), e);
}

void vmread_failed(u32 field)
{
	u32 e = insn_error();

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

int vmx_enable(const char **why)
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
	vmx_caps_read(&caps, rdmsr_fn);
	r = vmx_caps_check(&caps, why);
	if (r)
		return r;

	write_cr0(vmx_fix_cr0(&caps, read_cr0()));
	write_cr4(vmx_fix_cr4(&caps, read_cr4() | X86_CR4_VMXE));
	r = frames_alloc(1, FRAME_HV, &vmxon_region);
	if (r) {
		*why = "no memory for the VMXON region";
		return r;
	}
	*(u32 *)phys_to_virt(mfn_to_pa(vmxon_region)) = caps.vmcs_revision_id;
	if (vmxon(mfn_to_pa(vmxon_region))) {
		*why = "VMXON failed (is another hypervisor running?)";
		return -EIO;
	}
	arch_vmx_on();
	log_info("vmx: on (VMCS revision %#x; EPT%s%s, VPID %s, unrestricted guest %s)", caps.vmcs_revision_id,
		 cpu_has_vmx_ept_2m(&caps) ? " 2M" : "", cpu_has_vmx_ept_1g(&caps) ? " 1G" : "",
		 cpu_has_vmx_vpid(&caps) ? "yes" : "no", cpu_has_vmx_unrestricted_guest(&caps) ? "yes" : "no");
	return 0;
}

const struct vmx_caps *vmx_get_caps(void)
{
	return &caps;
}

/* ---- the VMCS of a vCPU ---- */

static u32 controls(const char *what, u64 cap, u32 required, u32 optional)
{
	u32 out;

	if (vmx_adjust_controls(cap, required, &out))
		panic("vmx: the CPU cannot provide the %s controls %#x keyhole needs", what, required);
	return out | vmx_ctls_optional(cap, optional);
}

/*
 * The controls of the two platforms (hv/guest_load.h).  An isolated guest
 * exits on every interrupt, port, MSR and HLT.  A PC guest owns the legacy
 * interrupt path instead: external interrupts go straight through its IDT
 * without an exit (keyhole takes none of its own: it runs with interrupts
 * off, and one arriving in root mode waits for the next VM entry), and HLT
 * still exits so that keyhole can tell a guest idling from a guest that has
 * stopped for good (hv/exit.c).
 */
static void setup_controls(struct vcpu *v)
{
	bool pc = v->platform == GUEST_PLATFORM_PC;
	u32 pin = controls("pin-based", caps.pin_based_ctls,
			   (pc ? 0 : PIN_BASED_EXT_INTR_EXITING) | PIN_BASED_NMI_EXITING, 0);
	u32 proc = controls("processor-based", caps.proc_based_ctls,
			    CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
				    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			    0);
	u32 proc2 = controls("secondary", caps.proc_based_ctls2, SECONDARY_EXEC_ENABLE_EPT,
			     SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
				     SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_XSAVES);
	u32 exit = controls("VM-exit", caps.exit_ctls,
			    VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER, 0);
	u32 entry = controls("VM-entry", caps.entry_ctls, VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER, 0);

	/* Without the HLT activity state a PC guest's HLT cannot be waited out in the guest: let it run natively. */
	if (pc && !cpu_has_vmx_activity_hlt(&caps))
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
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(EPT_POINTER, ept_pointer(&v->vm->ept));
	if (proc2 & SECONDARY_EXEC_ENABLE_VPID)
		vmwrite(VIRTUAL_PROCESSOR_ID, 1 + v->vm->id);
	if (proc2 & SECONDARY_EXEC_XSAVES)
		vmwrite(XSS_EXIT_BITMAP, 0);
	vmwrite(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);

	/* The bitmaps: see init_io_bitmap() and init_msr_bitmap(). */
	vmwrite(IO_BITMAP_A, mfn_to_pa(v->io_bitmap));
	vmwrite(IO_BITMAP_B, mfn_to_pa(v->io_bitmap) + PAGE_SIZE);
	vmwrite(MSR_BITMAP, mfn_to_pa(v->msr_bitmap));

	/* The guest sees CR0/CR4 as it set them; VMX's fixed bits stay ours. */
	vmwrite(CR0_GUEST_HOST_MASK, caps.cr0_fixed0 | ~caps.cr0_fixed1);
	vmwrite(CR4_GUEST_HOST_MASK, caps.cr4_fixed0 | ~caps.cr4_fixed1);
	vmwrite(CR0_READ_SHADOW, v->cr0_shadow);
	vmwrite(CR4_READ_SHADOW, v->cr4_shadow);
}

static void setup_host_state(void)
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
	vmwrite(HOST_GS_BASE, 0);
	vmwrite(HOST_TR_BASE, desc_tss_base());
	vmwrite(HOST_GDTR_BASE, desc_gdt_base());
	vmwrite(HOST_IDTR_BASE, desc_idt_base());
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmwrite(HOST_RIP, (u64)(uintptr_t)vmx_exit);
}

#define AR_CODE64 (0xb | VMX_AR_S | VMX_AR_P | VMX_AR_L | VMX_AR_G)  /* execute/read, accessed */
#define AR_DATA (0x3 | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G)   /* read/write, accessed */
#define AR_TSS64_BUSY (0xb | VMX_AR_P)

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

	vmwrite(GUEST_CR0, vmx_fix_cr0(&caps, v->cr0_shadow));
	vmwrite(GUEST_CR3, e->cr3);
	vmwrite(GUEST_CR4, vmx_fix_cr4(&caps, v->cr4_shadow));
	vmwrite(GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	vmwrite(GUEST_DR7, DR7_FIXED);
	vmwrite(GUEST_RSP, e->rsp);
	vmwrite(GUEST_RIP, e->rip);
	vmwrite(GUEST_RFLAGS, RFLAGS_FIXED);
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

/* MSRs the guest may touch without an exit: their guest values live in the VMCS. */
static void allow_msr(u8 *bitmap, u32 msr)
{
	/* read-low, read-high, write-low, write-high: 1 KiB each (SDM 25.6.9) */
	u32 base = msr >= 0xc0000000 ? 1024 : 0;
	u32 bit = msr & 0x1fff;

	bitmap[base + bit / 8] &= (u8)~(1u << (bit % 8));
	bitmap[2048 + base + bit / 8] &= (u8)~(1u << (bit % 8));
}

/*
 * The ports a PC guest drives itself: devices that can neither reach memory
 * (no DMA) nor reset or reconfigure the machine under keyhole.  Everything
 * else exits: PCI configuration space (0xcf8/0xcfc: a guest could move a BAR
 * over keyhole or start a bus master), the 8237 DMA controllers (a DMA into
 * any memory), the keyboard controller and port 0x92 (both reset the CPU),
 * ACPI's PM ports and the rest, which answer all-ones as absent.
 */
static const struct {
	u16 first, count;
} pc_passthrough_ports[] = {
	{ 0x20, 2 },   /* master 8259 PIC */
	{ 0xa0, 2 },   /* slave 8259 PIC */
	{ 0x4d0, 2 },  /* the PICs' edge/level control registers (ELCR) */
	{ 0x40, 4 },   /* 8254 PIT: the guest's timer interrupt (IRQ 0) */
	{ 0x61, 1 },   /* port B: PIT channel 2 gate, which Linux calibrates the TSC with */
	{ 0x70, 2 },   /* CMOS RTC index and data: the wall clock (see README on NVRAM) */
	{ 0x80, 1 },   /* POST code port, the classic I/O delay */
	{ COM1_BASE, COM1_PORTS }, /* 16550 UART: the serial console with its IRQ 4 */
};

/* Every port exits (COM1 emulated, the rest all-ones, hv/exit.c) except a PC guest's devices. */
static void init_io_bitmap(struct vcpu *v)
{
	u8 *bm = phys_to_virt(mfn_to_pa(v->io_bitmap)); /* A (0x0000-0x7fff) then B: one bit per port */

	memset(bm, 0xff, 2 * PAGE_SIZE);
	if (v->platform != GUEST_PLATFORM_PC)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(pc_passthrough_ports); i++)
		for (u32 p = pc_passthrough_ports[i].first;
		     p < (u32)pc_passthrough_ports[i].first + pc_passthrough_ports[i].count; p++)
			bm[p / 8] &= (u8)~(1u << (p % 8));
}

/*
 * MSRs a PC guest reads and writes without an exit.  Each either lives in
 * the VMCS's guest state (SYSENTER) or is one keyhole itself never uses, so
 * that whatever the guest leaves in it cannot affect keyhole: the SYSCALL
 * targets, the SWAPGS base and RDTSCP's TSC_AUX.  keyhole runs no user mode,
 * no SYSCALL and no SWAPGS.
 */
static const u32 pc_passthrough_msrs[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

static void init_msr_bitmap(struct vcpu *v)
{
	u8 *msr = phys_to_virt(mfn_to_pa(v->msr_bitmap));

	memset(msr, 0xff, PAGE_SIZE);
	allow_msr(msr, MSR_FS_BASE);
	allow_msr(msr, MSR_GS_BASE);
	if (v->platform == GUEST_PLATFORM_PC)
		for (size_t i = 0; i < ARRAY_SIZE(pc_passthrough_msrs); i++)
			allow_msr(msr, pc_passthrough_msrs[i]);
}

int vcpu_init(struct vcpu *v, struct vm *vm, const struct guest_entry *entry, bool break_state)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->platform = entry->platform;
	v->state = VCPU_RUNNING;
	snprintf(v->tag, sizeof(v->tag), "guest%u", vm->id);
	v->cr0_shadow = X86_CR0_PE | X86_CR0_MP | CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	v->cr4_shadow = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	r = frames_alloc(1, FRAME_HV, &v->vmcs);
	if (!r)
		r = frames_alloc(1, FRAME_HV, &v->msr_bitmap);
	if (!r)
		r = frames_alloc(2, FRAME_HV, &v->io_bitmap);
	if (r)
		return r;
	init_io_bitmap(v);
	init_msr_bitmap(v);

	*(u32 *)phys_to_virt(mfn_to_pa(v->vmcs)) = caps.vmcs_revision_id;
	if (vmclear(mfn_to_pa(v->vmcs)) || vmptrld(mfn_to_pa(v->vmcs)))
		panic("vmx: VMCLEAR/VMPTRLD of a fresh VMCS failed");
	setup_controls(v);
	setup_host_state();
	setup_guest_state(v, entry);
	if (break_state)
		vmwrite(GUEST_RFLAGS, 0); /* a test VM set up wrongly on purpose: reserved bit 1 clear */
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	vmclear(mfn_to_pa(v->vmcs));
	frames_free(v->vmcs, 1);
	frames_free(v->msr_bitmap, 1);
	frames_free(v->io_bitmap, 2);
}

void vcpu_stop(struct vcpu *v, const char *reason)
{
	v->state = VCPU_STOPPED;
	v->stop_reason = reason;
}

void vcpu_dump(struct vcpu *v)
{
	struct vcpu_regs *g = &v->regs;

	log_err("guest%u: rip %016lx rsp %016lx rflags %016lx", v->vm->id, vmread(GUEST_RIP), vmread(GUEST_RSP),
		vmread(GUEST_RFLAGS));
	log_err("guest%u: rax %016lx rbx %016lx rcx %016lx rdx %016lx", v->vm->id, g->rax, g->rbx, g->rcx, g->rdx);
	log_err("guest%u: rsi %016lx rdi %016lx rbp %016lx r8  %016lx", v->vm->id, g->rsi, g->rdi, g->rbp, g->r8);
	log_err("guest%u: cr0 %016lx cr3 %016lx cr4 %016lx efer %016lx", v->vm->id, vmread(GUEST_CR0),
		vmread(GUEST_CR3), vmread(GUEST_CR4), vmread(GUEST_IA32_EFER));
	log_err("guest%u: exit reason %#lx (%s), qualification %#lx", v->vm->id, vmread(VM_EXIT_REASON),
		vmx_exit_reason_name((u32)vmread(VM_EXIT_REASON) & VMX_EXIT_REASON_BASIC_MASK),
		vmread(EXIT_QUALIFICATION));
}

#define RFLAGS_RESERVED_ZERO (BIT(3) | BIT(5) | BIT(15) | ~0x3fffffULL)

static bool canonical(u64 va)
{
	return ((s64)(va << 16) >> 16) == (s64)va;
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
	if (!(rflags & RFLAGS_FIXED) || (rflags & RFLAGS_RESERVED_ZERO))
		return *why = "reserved bit 1 must be 1 and bits 3, 5, 15, 22-63 must be 0", "GUEST_RFLAGS";
	if (!(cs_ar & VMX_AR_P) || (ia32e && (cs_ar & VMX_AR_L) && (cs_ar & VMX_AR_DB)))
		return *why = "CS must be present, and not both L and D/B", "GUEST_CS_AR_BYTES";
	if ((tr_ar & VMX_AR_UNUSABLE) || (tr_ar & VMX_AR_TYPE_MASK) != 0xb || !(tr_ar & VMX_AR_P))
		return *why = "TR must be a present, busy 64-bit TSS", "GUEST_TR_AR_BYTES";
	if (!canonical(vmread(GUEST_RIP)))
		return *why = "RIP must be canonical", "GUEST_RIP";
	if (vmread(GUEST_ACTIVITY_STATE) > GUEST_ACTIVITY_WAIT_SIPI)
		return *why = "no such activity state", "GUEST_ACTIVITY_STATE";
	if (vmread(VMCS_LINK_POINTER) != VMCS_LINK_POINTER_NONE)
		return *why = "must be all ones without VMCS shadowing", "VMCS_LINK_POINTER";
	*why = NULL;
	return NULL;
}

/* Invariant 2 and, in test builds, invariant 1, before every entry. */
static void check_invariants(void)
{
	if (fixmap_busy(arch_cpu_id()))
		panic("vmx: %u fixmap slots busy at VM entry (an unbalanced gmap_map?)", fixmap_busy(arch_cpu_id()));
	exit_check_audit();
}

/* From keyhole's first instruction to its first VM entry, once per boot (make bench). */
static void report_boot_to_guest(void)
{
	static bool reported;

	if (!reported && boot_tsc) {
		reported = true;
		/* Printed at every log level: make bench may run with a quiet console. */
		console_printf_always(LOG_TAG_HV, "bench boot_to_guest %lu instr (TSC from keyhole's entry to the first VM entry)",
				      rdtsc() - boot_tsc);
	}
}

void vcpu_run(struct vcpu *v)
{
	while (v->state == VCPU_RUNNING) {
		check_invariants();
		if (!v->launched)
			report_boot_to_guest();
		if (vmx_enter(&v->regs, v->launched)) {
			u32 e = insn_error();
			log_err("guest%u: VM entry failed: %s (VM-instruction error %u)", v->vm->id,
				vmx_insn_error_name(e), e);
			vcpu_dump(v);
			vcpu_stop(v, "VM entry failed");
			break;
		}
		v->launched = true;
		v->exits++;
		exit_dispatch(v);
	}
}
