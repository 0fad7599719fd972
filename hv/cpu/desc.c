/*
 * The GDT, TSS and IDT (see desc.h), and the exception handler: it names the
 * fault, dumps the registers and stops the machine.  A page fault on a
 * direct-map address of a protected frame is named as such (invariant 5).
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include "hv/runtime/console.h"
#include <x86/cpu.h>
#include <x86/msr.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/cpu/tlb.h"
#include <x86/exception.h>
#include "mm/dmap.h"
#include "mm/frame.h"

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2 /* an NMI can arrive anywhere, on any stack: it gets one of its own */
#define IDT_VECTORS 256

/*
 * Each CPU's own: a GDT (its TSS descriptor goes busy on LTR, so no two CPUs
 * can share one), a TSS whose IST stacks are its own (an NMI on two CPUs at
 * once must not land on one stack), and the word GS points at (desc.h).  The
 * IDT is shared: its gates name the same stubs and IST indices everywhere.
 */
static struct cpu_desc {
	struct cpu_local local;
	u64 gdt[5] __attribute__((aligned(16)));
	struct tss64 tss __attribute__((aligned(16)));
	u8 df_stack[4096] __attribute__((aligned(16)));
	u8 nmi_stack[4096] __attribute__((aligned(16)));
} cpu_desc[MAX_CPUS];

static u64 idt[IDT_VECTORS * 2] __attribute__((aligned(16)));
extern const u64 trap_stubs[IDT_VECTORS];
extern const u8 probe_read8_insn[], probe_read8_fixup[];

void desc_init(void)
{
	for (int v = 0; v < IDT_VECTORS; v++)
		seg_interrupt_gate(&idt[2 * v], trap_stubs[v], SEL_CODE64,
				   v == EXC_DF ? IST_DOUBLE_FAULT : v == EXC_NMI ? IST_NMI : 0);
	desc_init_cpu(0);
}

void desc_init_cpu(unsigned int cpu)
{
	struct cpu_desc *d = &cpu_desc[cpu];
	struct desc_ptr gp = { sizeof(d->gdt) - 1, (u64)(uintptr_t)d->gdt };
	struct desc_ptr ip = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	d->local.cpu = cpu;
	d->gdt[SEL_CODE64 / 8] = SEG_DESC_CODE64;
	d->gdt[SEL_DATA / 8] = SEG_DESC_DATA;
	d->tss.ist[IST_DOUBLE_FAULT - 1] = (u64)(uintptr_t)(d->df_stack + sizeof(d->df_stack));
	d->tss.ist[IST_NMI - 1] = (u64)(uintptr_t)(d->nmi_stack + sizeof(d->nmi_stack));
	d->tss.iomap_base = sizeof(d->tss); /* no I/O permission bitmap */
	seg_tss_desc(&d->gdt[SEL_TSS / 8], (u64)(uintptr_t)&d->tss, sizeof(d->tss) - 1, SEG_TYPE_TSS64_AVAILABLE);

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "mov %2, %%fs\n\t"
			 "mov %2, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(gp), "i"(SEL_CODE64), "r"(SEL_DATA), "r"(SEL_TSS)
			 : "rax", "memory");
	/*
	 * After the GS load, which zeroed the base: from here on %gs:0 is this
	 * CPU's number.  keyhole's IDT only after it: its NMI handler counts
	 * on %gs:0, and an NMI can arrive at any instruction.
	 */
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)&d->local);
	__asm__ volatile("lidt %0" : : "m"(ip) : "memory");
}

u64 desc_gdt_base(void) { return (u64)(uintptr_t)cpu_desc[this_cpu()].gdt; }
u64 desc_idt_base(void) { return (u64)(uintptr_t)idt; }
u64 desc_tss_base(void) { return (u64)(uintptr_t)&cpu_desc[this_cpu()].tss; }
u64 desc_gs_base(void) { return (u64)(uintptr_t)&cpu_desc[this_cpu()].local; }

const char *trap_name(u64 vector)
{
	static const char *const names[EXC_COUNT] = {
		"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
		"#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
		"coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
		"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
		"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
		"#VE virtualization exception", "#CP control protection",
	};

	return vector < EXC_COUNT && names[vector] ? names[vector] : "reserved";
}

/* Invariant 5: name a fault on a hole of the direct map. */
static void explain_page_fault(enum log_level lvl, const struct trap_frame *tf, u64 cr2)
{
	u64 dmap_end = DMAP_BASE + (frames_limit() << PAGE_SHIFT);

	if (cr2 >= DMAP_BASE && cr2 < dmap_end) {
		mfn_t mfn = pa_to_mfn(virt_to_phys((void *)(uintptr_t)cr2));
		if (frame_is_protected(mfn)) {
			kh_log(lvl, "access to protected frame %#lx via direct map at %#lx (%s of %#lx)", mfn_x(mfn),
				tf->rip, (tf->error & PF_ERR_WRITE) ? "write" : "read", cr2);
			return;
		}
		kh_log(lvl, "page fault in the direct map at %#lx: frame %#lx is not mapped (not RAM?)", cr2,
			mfn_x(mfn));
	} else if (cr2 >= FIXMAP_BASE && cr2 < FIXMAP_BASE + SZ_2M) {
		kh_log(lvl, "page fault in the fixmap window at %#lx: no frame mapped in that slot", cr2);
	}
}

/*
 * What arrived in root mode that was no fault of keyhole's (see desc.h),
 * per CPU: an NMI belongs to the guest of the CPU that took it, and the
 * counters are written only by their own CPU (the pending count, in
 * struct cpu_local so the entry path reads it through GS, also by its NMI
 * handler, which can interrupt its reader: atomics).
 */
static struct {
	u64 nmis, interrupts[IDT_VECTORS];
} seen[MAX_CPUS];

u64 trap_nmi_count(void)
{
	return __atomic_load_n(&seen[this_cpu()].nmis, __ATOMIC_RELAXED);
}

bool trap_nmi_take_pending(void)
{
	u64 *p = &cpu_desc[this_cpu()].local.nmis_pending, n = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (n && !__atomic_compare_exchange_n(p, &n, n - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return n != 0;
}

void trap_interrupt(unsigned int vector)
{
	if (vector >= IDT_VECTORS)
		return;
	seen[this_cpu()].interrupts[vector]++;
	if (vector == LAPIC_VECTOR_TLB)
		tlb_handle_ipi();
	if (vector != LAPIC_VECTOR_SPURIOUS) /* a spurious interrupt takes no EOI (SDM Vol. 3A 11.9) */
		lapic_eoi();
}

u64 trap_interrupt_count(unsigned int vector)
{
	return vector < IDT_VECTORS ? seen[this_cpu()].interrupts[vector] : 0;
}

void trap_handler(struct trap_frame *tf)
{
	/*
	 * An NMI (a watchdog, SERR/IOCHK, LINT1, an IPI) is no fault of
	 * keyhole's: counted and kept for the guest it may belong to
	 * (hv/vm/run.c), and the interrupted code goes on.
	 */
	if (tf->vector == EXC_NMI) {
		__atomic_add_fetch(&seen[this_cpu()].nmis, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&cpu_desc[this_cpu()].local.nmis_pending, 1, __ATOMIC_RELAXED);
		return;
	}
	/* An interrupt: keyhole runs with IF = 0, so a stray one (acknowledged ones come from VM exits). */
	if (tf->vector >= EXC_COUNT) {
		trap_interrupt((unsigned int)tf->vector);
		return;
	}
	u64 cr2 = tf->vector == EXC_PF ? read_cr2() : 0;
	/* A probe expects its fault: reported all the same, but not as an error. */
	bool probe = tf->vector == EXC_PF && tf->rip == (u64)(uintptr_t)probe_read8_insn;
	enum log_level lvl = probe ? LOG_INFO : LOG_ERR;

	kh_log(lvl, "exception %lu (%s), error code %#lx, at rip %#lx", tf->vector, trap_name(tf->vector),
	       tf->error, tf->rip);
	if (tf->vector == EXC_PF)
		explain_page_fault(lvl, tf, cr2);
	if (probe) {
		log_info("(a probe: recovered)");
		tf->rip = (u64)(uintptr_t)probe_read8_fixup;
		return;
	}
	log_err("rax %016lx rbx %016lx rcx %016lx rdx %016lx", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	log_err("rsi %016lx rdi %016lx rbp %016lx rsp %016lx", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	log_err("r8  %016lx r9  %016lx r10 %016lx r11 %016lx", tf->r8, tf->r9, tf->r10, tf->r11);
	log_err("r12 %016lx r13 %016lx r14 %016lx r15 %016lx", tf->r12, tf->r13, tf->r14, tf->r15);
	log_err("rflags %016lx cs %04lx ss %04lx cr2 %016lx cr3 %016lx", tf->rflags, tf->cs, tf->ss, cr2,
		read_cr3());
	panic("unhandled %s in keyhole at %#lx", trap_name(tf->vector), tf->rip);
}
