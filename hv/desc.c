/*
 * The GDT, TSS and IDT (see desc.h), and the exception handler: it names the
 * fault, dumps the registers and stops the machine.  A page fault on a
 * direct-map address of a protected frame is named as such (invariant 5).
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/desc.h"
#include "mm/dmap.h"
#include "mm/frame.h"

#define GDT_CODE64 0x00af9b000000ffffULL /* P, DPL0, code exec/read, L */
#define GDT_DATA 0x00cf93000000ffffULL   /* P, DPL0, data read/write, 4 GiB */
#define TSS_TYPE_AVAILABLE 0x9ULL
#define DESC_PRESENT BIT(47)

#define IDT_GATE_INTERRUPT 0xeULL
#define IST_DOUBLE_FAULT 1
#define EXC_DF 8
#define EXC_PF 14
#define PF_ERR_WRITE BIT(1)

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));
STATIC_ASSERT(sizeof(struct tss) == 104, "64-bit TSS");

static u64 gdt[5] __attribute__((aligned(16)));
static u64 idt[32 * 2] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static u8 df_stack[4096] __attribute__((aligned(16)));
extern const u64 trap_stubs[32];
extern const u8 probe_read8_insn[], probe_read8_fixup[];

static void set_tss_desc(u64 *d, u64 base, u32 limit)
{
	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (TSS_TYPE_AVAILABLE << 40) | DESC_PRESENT |
	       ((u64)(limit >> 16) << 48) | (((base >> 24) & 0xff) << 56);
	d[1] = base >> 32;
}

static void set_gate(int v, u64 handler, int ist)
{
	idt[2 * v] = (handler & 0xffff) | ((u64)SEL_CODE64 << 16) | ((u64)ist << 32) | (IDT_GATE_INTERRUPT << 40) |
		     DESC_PRESENT | ((handler >> 16) << 48);
	idt[2 * v + 1] = handler >> 32;
}

void desc_init(void)
{
	struct desc_ptr gp = { sizeof(gdt) - 1, (u64)(uintptr_t)gdt };
	struct desc_ptr ip = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	gdt[SEL_CODE64 / 8] = GDT_CODE64;
	gdt[SEL_DATA / 8] = GDT_DATA;
	tss.ist[IST_DOUBLE_FAULT - 1] = (u64)(uintptr_t)(df_stack + sizeof(df_stack));
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	set_tss_desc(&gdt[SEL_TSS / 8], (u64)(uintptr_t)&tss, sizeof(tss) - 1);
	for (int v = 0; v < 32; v++)
		set_gate(v, trap_stubs[v], v == EXC_DF ? IST_DOUBLE_FAULT : 0);

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
			 "ltr %w3\n\t"
			 "lidt %4"
			 :
			 : "m"(gp), "i"(SEL_CODE64), "r"(SEL_DATA), "r"(SEL_TSS), "m"(ip)
			 : "rax", "memory");
}

u64 desc_gdt_base(void) { return (u64)(uintptr_t)gdt; }
u64 desc_idt_base(void) { return (u64)(uintptr_t)idt; }
u64 desc_tss_base(void) { return (u64)(uintptr_t)&tss; }

const char *trap_name(u64 vector)
{
	static const char *const names[32] = {
		"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
		"#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
		"coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
		"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
		"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
		"#VE virtualization exception", "#CP control protection",
	};

	return vector < 32 && names[vector] ? names[vector] : "reserved";
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

void trap_handler(struct trap_frame *tf)
{
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
