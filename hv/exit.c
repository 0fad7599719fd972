/*
 * VM-exit handlers, dispatched through a table indexed by the basic exit
 * reason.  An exit nobody handles dumps the guest state and stops the guest
 * with the reason by name; keyhole stays up.  Never a silent loop.
 */
#include <keyhole/hypercall.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/vm.h>
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/exit.h"
#include "hv/msr.h"
#include "hv/vmcs.h"
#include "hv/vmx.h"
#include "mm/audit.h"

#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CR4_OSXSAVE BIT(18)

/*
 * What a PC guest (GUEST_PLATFORM_PC) is not shown, because keyhole gives it
 * no such thing or keeps it for itself: the local APIC and x2APIC (not in the
 * guest's memory: no guest can send an INIT or SIPI, invariant 6; Linux then
 * runs on the 8259 PICs and the PIT), the MTRRs, machine checks, thermal and
 * power management and their MSRs, MONITOR/MWAIT (so the guest idles with
 * HLT, which keyhole sees), the TSC deadline timer (an APIC feature), the
 * debug store and the performance-monitoring capability MSR.
 */
#define CPUID_1_ECX_PC_HIDDEN (BIT(3) /* MONITOR */ | BIT(4) /* DS-CPL */ | BIT(6) /* SMX */ | \
			       BIT(7) /* EST */ | BIT(8) /* TM2 */ | BIT(15) /* PDCM */ |          \
			       BIT(21) /* x2APIC */ | BIT(24) /* TSC deadline */)
#define CPUID_1_EDX_PC_HIDDEN (BIT(7) /* MCE */ | BIT(9) /* APIC */ | BIT(12) /* MTRR */ |          \
			       BIT(14) /* MCA */ | BIT(21) /* DS */ | BIT(22) /* ACPI thermal */ | \
			       BIT(29) /* TM */ | BIT(31) /* PBE */)
/* Leaves that describe only hidden features: MONITOR/MWAIT, thermal and power, performance monitoring. */
#define CPUID_LEAF_MWAIT 0x5
#define CPUID_LEAF_THERMAL 0x6
#define CPUID_LEAF_PMU 0xa

#define RFLAGS_IF BIT(9)

#define EXC_UD 6
#define EXC_GP 13
#define INTR_TYPE_HW_EXCEPTION 3

#define EPT_QUAL_READ BIT(0)
#define EPT_QUAL_WRITE BIT(1)
#define EPT_QUAL_FETCH BIT(2)
#define EPT_QUAL_LINEAR_VALID BIT(7)

#define COM1_BASE 0x3f8
#define UART_THR 0 /* write, DLAB 0 */
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_LCR_DLAB 0x80
#define UART_LSR_IDLE 0x60     /* transmitter empty, holding register empty */
#define UART_IIR_NONE 0x01
#define UART_MSR_READY 0xb0    /* DCD, DSR, CTS */

static bool audit_every_entry;

void exit_set_audit(bool on)
{
	audit_every_entry = on;
}

void exit_check_audit(void)
{
	struct audit_report rep;

	if (audit_every_entry && audit_host(&rep)) {
		audit_log("VM entry", &rep);
		panic("audit: protected frame %#lx reachable at %#lx at VM entry (invariant 1)",
		      mfn_x(rep.first[0].mfn), rep.first[0].va);
	}
}

static void skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
}

static void inject(u8 vector, bool error_code)
{
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, vector | (INTR_TYPE_HW_EXCEPTION << INTR_INFO_TYPE_SHIFT) |
						  (error_code ? INTR_INFO_DELIVER_CODE : 0) | INTR_INFO_VALID);
	if (error_code)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
}

static void stop(struct vcpu *v, const char *reason)
{
	log_err("guest%u: stopped: %s", v->vm->id, reason);
	vcpu_dump(v);
	vcpu_stop(v, reason);
}

/* ---- CPUID: keyhole's leaves, the hypervisor bit, VMX hidden ---- */

static void handle_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	struct cpuid_regs c = { 0, 0, 0, 0 };

	if (leaf == KH_CPUID_SIGNATURE) {
		c = (struct cpuid_regs){ KH_CPUID_FEATURES, KH_SIGNATURE_EBX, KH_SIGNATURE_ECX, KH_SIGNATURE_EDX };
	} else if (leaf == KH_CPUID_FEATURES) {
		c.eax = KH_FEAT_MEM_PROTECTED | KH_FEAT_DIAG;
		c.ebx = KH_ABI_VERSION;
	} else if ((leaf & 0xffffff00u) != KH_CPUID_SIGNATURE) {
		c = cpuid_count(leaf, sub);
		if (leaf == 1) {
			c.ecx |= CPUID_1_ECX_HYPERVISOR;
			c.ecx &= ~CPUID_1_ECX_VMX;
			/* OSXSAVE mirrors the guest's CR4, not keyhole's */
			c.ecx &= ~CPUID_1_ECX_OSXSAVE;
			if (v->cr4_shadow & CR4_OSXSAVE)
				c.ecx |= CPUID_1_ECX_OSXSAVE;
		}
		if (v->platform == GUEST_PLATFORM_PC) {
			if (leaf == 1) {
				c.ecx &= ~CPUID_1_ECX_PC_HIDDEN;
				c.edx &= ~CPUID_1_EDX_PC_HIDDEN;
			} else if (leaf == CPUID_LEAF_MWAIT || leaf == CPUID_LEAF_THERMAL || leaf == CPUID_LEAF_PMU) {
				c = (struct cpuid_regs){ 0, 0, 0, 0 };
			}
		}
	}
	v->regs.rax = c.eax;
	v->regs.rbx = c.ebx;
	v->regs.rcx = c.ecx;
	v->regs.rdx = c.edx;
	skip_instruction();
}

/* ---- port I/O: COM1 emulated, everything else absent ---- */

static void guest_putc(struct vcpu *v, char c)
{
	if (c == '\n' || v->line_len == GUEST_LINE_MAX - 1) {
		v->line[v->line_len] = 0;
		console_printf_always(v->tag, "%s", v->line);
		v->line_len = 0;
		if (c == '\n')
			return;
	}
	if (c != '\r')
		v->line[v->line_len++] = c;
}

static u32 com1_in(struct vcpu *v, unsigned int reg)
{
	switch (reg) {
	case UART_IER: return (v->com1_lcr & UART_LCR_DLAB) ? 0 : v->com1_ier;
	case UART_IIR: return UART_IIR_NONE;
	case UART_LCR: return v->com1_lcr;
	case UART_LSR: return UART_LSR_IDLE;
	case UART_MSR: return UART_MSR_READY;
	case UART_SCR: return v->com1_scratch;
	}
	return 0; /* no input ever arrives; MCR reads back 0 */
}

static void com1_out(struct vcpu *v, unsigned int reg, u8 val)
{
	bool dlab = v->com1_lcr & UART_LCR_DLAB;

	if (reg == UART_THR && !dlab)
		guest_putc(v, (char)val);
	else if (reg == UART_IER && !dlab)
		v->com1_ier = val;
	else if (reg == UART_LCR)
		v->com1_lcr = val;
	else if (reg == UART_SCR)
		v->com1_scratch = val;
	/* divisor latch, FCR, MCR: accepted and forgotten */
}

static void handle_io(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned int size = (q & IO_QUAL_SIZE_MASK) + 1;
	u16 port = (q >> IO_QUAL_PORT_SHIFT) & IO_QUAL_PORT_MASK;
	bool in = q & IO_QUAL_IN;
	u32 mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

	if (q & IO_QUAL_STRING) {
		stop(v, "string port I/O (INS/OUTS) is not emulated");
		return;
	}
	if (port >= COM1_BASE && port < COM1_BASE + 8 && size == 1) {
		if (in)
			v->regs.rax = (v->regs.rax & ~0xffULL) | com1_in(v, port - COM1_BASE);
		else
			com1_out(v, port - COM1_BASE, (u8)v->regs.rax);
	} else {
		if (!(v->ports_logged[port / 8] & (1u << (port % 8)))) {
			v->ports_logged[port / 8] |= (u8)(1u << (port % 8));
			log_info("guest%u: port %#x (%s, %u bytes) is not emulated: reads return all-ones, writes are dropped",
				 v->vm->id, port, in ? "in" : "out", size);
		}
		if (in) {
			if (size == 4)
				v->regs.rax = mask; /* a 32-bit write zero-extends */
			else
				v->regs.rax |= mask;
		}
	}
	skip_instruction();
}

/* ---- VMCALL, HLT ---- */

static void handle_vmcall(struct vcpu *v)
{
	u64 status;

	if (hypercall(v->vm, &v->regs, &v->hc, &status) == HC_EXIT) {
		v->state = VCPU_EXITED;
		v->exit_status = status;
		return;
	}
	skip_instruction();
}

/*
 * An isolated guest gets no interrupts, so its HLT would never end: stopped.
 * A PC guest's HLT with interrupts enabled is idling: keyhole completes the
 * instruction and re-enters the guest in the HLT activity state, where the
 * next interrupt wakes it and goes through its IDT, with no further exit.
 * With interrupts disabled nothing can wake it (NMIs aside): the guest has
 * stopped for good, which is how Linux ends `poweroff` on a machine without
 * ACPI ("reboot: System halted"), so keyhole ends its run with status 0.
 */
static void handle_hlt(struct vcpu *v)
{
	if (v->platform != GUEST_PLATFORM_PC) {
		stop(v, "HLT: keyhole delivers no interrupts, so the guest would never wake");
		return;
	}
	if (!(vmread(GUEST_RFLAGS) & RFLAGS_IF)) {
		log_info("guest%u: halted with interrupts disabled (a power-off without ACPI): its run is over",
			 v->vm->id);
		v->state = VCPU_EXITED;
		v->exit_status = 0;
		return;
	}
	skip_instruction();
	/* An STI or MOV SS shadow ended with the HLT itself, and the HLT state requires none (SDM 26.3.1.5). */
	vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		vmread(GUEST_INTERRUPTIBILITY_INFO) & ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
}

/* ---- EPT violations: contained, reported, the guest stopped ---- */

static void handle_ept_violation(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION), gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	const char *access = (q & EPT_QUAL_FETCH) ? "instruction fetch" : (q & EPT_QUAL_WRITE) ? "write" : "read";
	mfn_t m;
	bool inside = guest_mem_lookup(v->vm, gpa_to_gfn(gpa), &m) == 0;

	log_err("guest%u: EPT violation: %s at gpa %#lx%s%lx, rip %#lx: %s", v->vm->id, access, gpa,
		(q & EPT_QUAL_LINEAR_VALID) ? " (linear " : " (no linear address", 
		(q & EPT_QUAL_LINEAR_VALID) ? vmread(GUEST_LINEAR_ADDRESS) : 0, vmread(GUEST_RIP),
		inside ? "inside guest memory, not permitted" : "outside guest memory");
	stop(v, "EPT violation");
}

static void handle_ept_misconfig(struct vcpu *v)
{
	log_err("guest%u: EPT misconfiguration at gpa %#lx (a keyhole bug)", v->vm->id,
		vmread(GUEST_PHYSICAL_ADDRESS));
	stop(v, "EPT misconfiguration");
}

static void handle_triple_fault(struct vcpu *v)
{
	stop(v, "triple fault");
}

/* ---- MSRs: EFER and PAT emulated (and for a PC guest a few more), the rest #GP ---- */

#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* MSRs a PC guest's kernel reads at boot without a fault handler, answered with harmless values. */
#define MSR_IA32_TSC_ADJUST 0x0000003b
#define MSR_IA32_UCODE_REV 0x0000008b
#define MISC_ENABLE_FAST_STRING BIT(0)
#define MISC_ENABLE_BTS_UNAVAIL BIT(11)
#define MISC_ENABLE_PEBS_UNAVAIL BIT(12)
#define PC_MISC_ENABLE (MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)
/* Refused MSR accesses logged per guest; a kernel probing MSRs refuses many more. */
#define MSR_LOG_LIMIT 16

/*
 * The PC guest's extra MSRs; false if msr is not one of them.  Writes the
 * guest could use to change the machine under keyhole are dropped: the
 * guest sees its own value nowhere, as on a CPU that ignores them.
 *   MISC_ENABLE    fast strings on, BTS and PEBS unavailable (Linux reads it
 *                  unguarded in its Intel set-up)
 *   IA32_TSC       the TSC; writes dropped (keyhole does not offset time)
 *   TSC_ADJUST     0; writes dropped
 *   UCODE_REV      0: no microcode revision to report
 *   FEATURE_CONTROL locked, VMX off: this guest gets no VT-x
 *   XSS            0: no supervisor state components (XSAVES may be exposed)
 */
static bool pc_msr(u32 msr, bool write, u64 *val)
{
	switch (msr) {
	case MSR_IA32_MISC_ENABLE:
		*val = PC_MISC_ENABLE;
		return true;
	case MSR_IA32_TSC:
		*val = write ? *val : rdtsc();
		return true;
	case MSR_IA32_TSC_ADJUST:
	case MSR_IA32_UCODE_REV:
		*val = write ? *val : 0;
		return true;
	case MSR_IA32_FEATURE_CONTROL:
		if (write)
			return false;
		*val = FEATURE_CONTROL_LOCKED;
		return true;
	case MSR_IA32_XSS:
		if (write && *val)
			return false;
		*val = 0;
		return true;
	}
	return false;
}

static void handle_msr(struct vcpu *v, bool write)
{
	u32 msr = (u32)v->regs.rcx;
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;

	switch (msr) {
	case MSR_IA32_EFER:
		if (!write) {
			val = vmread(GUEST_IA32_EFER);
		} else if ((val & ~EFER_GUEST_BITS) || !(val & EFER_LME)) {
			goto gp; /* leaving long mode is not supported */
		} else {
			vmwrite(GUEST_IA32_EFER, val | EFER_LMA);
		}
		break;
	case MSR_IA32_PAT:
		if (write)
			v->pat = val;
		else
			val = v->pat;
		break;
	default:
		if (v->platform == GUEST_PLATFORM_PC && pc_msr(msr, write, &val))
			break;
		goto gp;
	}
	if (!write) {
		v->regs.rax = (u32)val;
		v->regs.rdx = val >> 32;
	}
	skip_instruction();
	return;
gp:
	if (v->platform != GUEST_PLATFORM_PC || v->msr_refusals < MSR_LOG_LIMIT)
		log_info("guest%u: %s of MSR %#x: #GP", v->vm->id, write ? "WRMSR" : "RDMSR", msr);
	v->msr_refusals++;
	inject(EXC_GP, true);
}

static void handle_rdmsr(struct vcpu *v)
{
	handle_msr(v, false);
}

static void handle_wrmsr(struct vcpu *v)
{
	handle_msr(v, true);
}

/* ---- XSETBV, CR access ---- */

static void handle_xsetbv(struct vcpu *v)
{
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	struct cpuid_regs c = cpuid_count(0xd, 0);
	u64 supported = ((u64)c.edx << 32) | c.eax;

	/* XCR0: x87 always, AVX only with SSE, nothing the CPU lacks */
	if ((u32)v->regs.rcx != 0 || !(val & 1) || (val & ~supported) || ((val & 4) && !(val & 2))) {
		inject(EXC_GP, true);
		return;
	}
	/*
	 * XSETBV runs here, in root mode, and raises #UD unless keyhole's own
	 * CR4.OSXSAVE is set: set it the first time a guest needs it, for the
	 * VMCS's host state too (VM exits load CR4 from there).  keyhole itself
	 * never saves or restores extended state, so nothing else changes.
	 */
	if (!(read_cr4() & CR4_OSXSAVE)) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		vmwrite(HOST_CR4, read_cr4());
	}
	__asm__ volatile("xsetbv" : : "a"((u32)val), "d"((u32)(val >> 32)), "c"(0));
	skip_instruction();
}

static u64 *gpr(struct vcpu *v, unsigned int n)
{
	u64 *regs[16] = { &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL, &v->regs.rbp,
			  &v->regs.rsi, &v->regs.rdi, &v->regs.r8, &v->regs.r9, &v->regs.r10, &v->regs.r11,
			  &v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15 };
	return regs[n];
}

/*
 * MOV to CR0/CR4 (the bits VMX owns exit).  The guest sees what it wrote; a
 * value a 64-bit CPU would refuse gets #GP, as on hardware, rather than an
 * invalid guest state at the next entry.
 */
#define CR0_PE BIT(0)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_VMXE BIT(13)

static bool cr_value_ok(const struct vmx_caps *c, unsigned int cr, u64 val)
{
	if (cr == 0)
		return !(val >> 32) && (val & CR0_PG) && (val & CR0_PE) && (!(val & CR0_NW) || (val & CR0_CD));
	return (val & CR4_PAE) && !(val & CR4_VMXE) && !(val & ~c->cr4_fixed1);
}

static void handle_cr_access(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned int cr = q & CR_QUAL_CR_MASK, type = (q >> CR_QUAL_TYPE_SHIFT) & CR_QUAL_TYPE_MASK;
	unsigned int reg = (q >> CR_QUAL_GPR_SHIFT) & CR_QUAL_GPR_MASK;
	const struct vmx_caps *c = vmx_get_caps();

	if (type != 0 || (cr != 0 && cr != 4)) {
		stop(v, "a control-register access keyhole does not emulate");
		return;
	}
	u64 val = reg == 4 ? vmread(GUEST_RSP) : *gpr(v, reg);
	if (!cr_value_ok(c, cr, val)) {
		log_info("guest%u: MOV to CR%u of %#lx refused: #GP", v->vm->id, cr, val);
		inject(EXC_GP, true);
		return;
	}
	if (cr == 0) {
		v->cr0_shadow = val;
		vmwrite(CR0_READ_SHADOW, val);
		vmwrite(GUEST_CR0, vmx_fix_cr0(c, val));
	} else {
		v->cr4_shadow = val;
		vmwrite(CR4_READ_SHADOW, val);
		vmwrite(GUEST_CR4, vmx_fix_cr4(c, val));
	}
	skip_instruction();
}

/* ---- the rest ---- */

static void handle_vmx_instruction(struct vcpu *v)
{
	(void)v;
	inject(EXC_UD, false); /* VMX is hidden from the guest */
}

static void handle_invd(struct vcpu *v)
{
	(void)v;
	skip_instruction(); /* caches are coherent: nothing to drop */
}

static void handle_external_interrupt(struct vcpu *v)
{
	(void)v; /* the PICs are masked; a stray one is dropped */
}

static void handle_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);

	log_warn("guest%u: exception/NMI exit, interruption info %#x", v->vm->id, info);
}

typedef void (*exit_handler)(struct vcpu *v);

static const exit_handler handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_invd,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMXOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMXON] = handle_vmx_instruction,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_rdmsr,
	[EXIT_REASON_MSR_WRITE] = handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
};

void exit_dispatch(struct vcpu *v)
{
	u32 reason = (u32)vmread(VM_EXIT_REASON);
	u32 basic = reason & VMX_EXIT_REASON_BASIC_MASK;

	if (reason & VMX_EXIT_REASON_FAILED_VMENTRY) {
		const char *why = NULL, *field = vmx_diagnose_guest_state(&why);
		log_err("guest%u: VM entry failed: %s, qualification %#lx; offending field: %s%s%s", v->vm->id,
			vmx_exit_reason_name(basic), vmread(EXIT_QUALIFICATION),
			field ? field : "none found by keyhole's checks", why ? " - " : "", why ? why : "");
		stop(v, "VM entry failed (invalid guest state)");
		return;
	}
	if (basic >= ARRAY_SIZE(handlers) || !handlers[basic]) {
		log_err("guest%u: unhandled VM exit %u (%s)", v->vm->id, basic, vmx_exit_reason_name(basic));
		stop(v, vmx_exit_reason_name(basic));
		return;
	}
	handlers[basic](v);
}
