/*
 * The guest's exception handling: an IDT whose 32 exception gates all lead
 * to kh_trap(), which names the exception on the console and ends the guest.
 *
 * A test guest has nothing to recover from; what it needs is that a fault
 * shows up as a readable line and a distinct exit status instead of a triple
 * fault that keyhole can only report as "the guest died".  The exception is
 * an instruction the guest expects to fault (a #GP from an MSR keyhole does
 * not offer): listed in the exception table (fault.h), it resumes at its
 * fixup instead (kh_trap_fixup()).  Vectors above 31
 * lie beyond the IDT limit, so a stray interrupt arrives here as a #GP whose
 * error code names it.
 *
 * The report bypasses stdio: the fault may have hit inside it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "fault.h"
#include "rt.h"
#include "traps.h"
#include "vcpu.h"

#define IDT_GATE_INTERRUPT_64 0xe
#define IDT_GATE_PRESENT (1u << 7)
#define X86_PF_VECTOR 14

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[KH_TRAP_VECTORS] __attribute__((aligned(16)));

extern const char kh_trap_stubs[];

static const char *const exception_names[KH_TRAP_VECTORS] = {
	[0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP", [4] = "#OF",
	[5] = "#BR", [6] = "#UD", [7] = "#NM", [8] = "#DF", [10] = "#TS",
	[11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
	[17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
	[28] = "#HV", [29] = "#VC", [30] = "#SX",
};

void kh_traps_init(void)
{
	uint16_t cs;

	/* keyhole chose the code segment; the gates must name the same one. */
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned int v = 0; v < KH_TRAP_VECTORS; v++) {
		uint64_t handler = (uintptr_t)kh_trap_stubs + (uint64_t)v * KH_TRAP_STUB_SIZE;

		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)handler,
			.selector = cs,
			.type_attr = IDT_GATE_PRESENT | IDT_GATE_INTERRUPT_64,
			.offset_mid = (uint16_t)(handler >> 16),
			.offset_high = (uint32_t)(handler >> 32),
		};
	}
	kh_traps_load();
}

/* IDTR is per CPU: every vCPU loads the one IDT. */
void kh_traps_load(void)
{
	struct idt_ptr ptr = { .limit = sizeof(idt) - 1, .base = (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}

static void put_str(const char *s)
{
	const char *end = s;

	while (*end)
		end++;
	kh_console_write(s, (size_t)(end - s));
}

static void put_hex(uint64_t v)
{
	char buf[2 + 16];
	int n = sizeof(buf);

	do {
		buf[--n] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	buf[--n] = 'x';
	buf[--n] = '0';
	kh_console_write(buf + n, sizeof(buf) - (size_t)n);
}

extern const struct kh_extable_entry __kh_extable_start[], __kh_extable_end[];

/*
 * On the way back to the interrupted code nothing restores the SSE
 * registers: this function must leave them alone, whatever the compiler
 * would like to vectorize.
 */
__attribute__((target("general-regs-only"))) int kh_trap_fixup(struct kh_trap_frame *f)
{
	for (const struct kh_extable_entry *e = __kh_extable_start; e < __kh_extable_end; e++) {
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			f->rax = f->vector;
			return 1;
		}
	}
	return 0;
}

void kh_trap(const struct kh_trap_frame *f)
{
	struct kh_vcpu_local *self = kh_vcpu_self();
	const char *name = f->vector < KH_TRAP_VECTORS ? exception_names[f->vector] : 0;

	/* A fault while reporting a fault: stop rather than recurse. */
	if (self->in_trap)
		for (;;)
			__asm__ volatile("cli; hlt");
	self->in_trap = 1;

	/* One line, even if another vCPU prints too; the lock is ours again if the fault hit while we held it. */
	kh_console_lock();
	put_str("\nguest: unexpected exception ");
	put_str(name ? name : "(reserved)");
	put_str(" vector ");
	put_hex(f->vector);
	put_str(" error ");
	put_hex(f->error_code);
	put_str(" at rip ");
	put_hex(f->rip);
	put_str(" rsp ");
	put_hex(f->rsp);
	if (f->vector == X86_PF_VECTOR) {
		uint64_t cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		put_str(" cr2 ");
		put_hex(cr2);
	}
	put_str("\n");
	kh_console_drop(); /* also if the fault hit while this vCPU was printing: the others must not wait for it */
	_exit(KH_EXIT_EXCEPTION(f->vector));
}
