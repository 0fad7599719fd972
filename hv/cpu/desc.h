/*
 * keyhole's own descriptor tables: a GDT with a 64-bit code segment, a flat
 * data segment and a TSS (VM entry requires a non-null host TR; the TSS also
 * gives the double-fault and NMI handlers stacks of their own), and an IDT
 * for all 256 vectors.
 *
 * The selectors are keyhole's own GDT layout (the boot GDT, boot/boot_gdt.h,
 * has the same first two).
 */
#ifndef KEYHOLE_HV_CPU_DESC_H
#define KEYHOLE_HV_CPU_DESC_H

#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

#ifndef __ASSEMBLER__
#include <keyhole/types.h>
#include <x86/segment.h>

/* The trap frame the exception stubs build (hv/cpu/trap_entry.S, through hv/asm-offsets.c), lowest address first. */
struct trap_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/*
 * What GS points at on every CPU once desc_init_cpu() ran: the CPU's number
 * in keyhole (0 for the boot CPU, then in bring-up order), one load away,
 * for the per-CPU fixmap and roots (arch_cpu_id()).  VM exits restore it
 * (HOST_GS_BASE, hv/vmx/vmx.c); keyhole never executes SWAPGS.
 */
struct cpu_local {
	unsigned int cpu;
	/* NMIs taken in root mode not yet handed to a guest: the handler adds, trap_nmi_take_pending() takes. */
	u64 nmis_pending;
};

static inline unsigned int this_cpu(void)
{
	unsigned int cpu;

	__asm__ volatile("movl %%gs:0, %0" : "=r"(cpu));
	return cpu;
}

/* The boot CPU: fills the shared IDT, then desc_init_cpu(0). */
void desc_init(void);
/* This CPU's own GDT, TSS (its IST stacks) and GS; every segment register and TR reloaded; the shared IDT loaded. */
void desc_init_cpu(unsigned int cpu);
/* This CPU's tables (what the VMCS host state names). */
u64 desc_gdt_base(void);
u64 desc_idt_base(void);
u64 desc_tss_base(void);
u64 desc_gs_base(void);

/* NMIs taken in root mode so far. */
u64 trap_nmi_count(void);
/* An NMI arrived in root mode that no guest has been given yet: take it (hv/vm/run.c re-injects it). */
bool trap_nmi_take_pending(void);
/* Is there one to take?  One load, for the VM-entry path's test (a peek: trap_nmi_take_pending() takes). */
static inline u64 trap_nmis_pending(void)
{
	u64 n;

	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(n) : "i"(__builtin_offsetof(struct cpu_local, nmis_pending)));
	return n;
}
/* An interrupt at vector (>= 32) is keyhole's to end: counted, and EOIed unless spurious. */
void trap_interrupt(unsigned int vector);
/* Interrupts taken at vector (>= 32) so far. */
u64 trap_interrupt_count(unsigned int vector);

/* The exception handler proper, called by the stubs. */
void trap_handler(struct trap_frame *tf);
const char *trap_name(u64 vector);

/*
 * Reads one byte at va; a page fault there is reported by the handler like
 * any other (so invariant 5's message is printed) and then turned into
 * -EFAULT instead of a panic.  For the boot self-tests.
 */
int probe_read8(const volatile void *va, u8 *out);
#endif

#endif
