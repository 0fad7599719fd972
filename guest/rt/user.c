/*
 * Running guest code at CPL 3 (see user.h), so that a test guest can check
 * what keyhole does with calls from a guest's user space.
 *
 * The first call prepares the machine once: the user bit on every entry of
 * the identity map keyhole built (the guest owns those tables), a GDT with
 * DPL-3 code and data segments beside keyhole's selectors and the guest's
 * TSS, the TSS's RSP0 for the way back, and INT3 (#BP) as a DPL-3 gate whose
 * handler is the way back (user_entry.S).  Any other exception at CPL 3 still goes
 * to the runtime's handler (traps.c), which reports it and ends the guest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rt.h"
#include "traps.h"
#include "user.h"

#define PTE_P 0x1ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull

#define GDT_ENTRIES 8
#define GDT_TSS_INDEX 3 /* keyhole's guest GDT: null, code 0x08, data 0x10, TSS 0x18 (16 bytes) */
/* Flat 64-bit code and data at DPL 3 (Intel SDM Vol. 3A, 3.4.5): keyhole's descriptors with DPL = 3. */
#define DESC_USER_DATA 0x00cff3000000ffffull
#define DESC_USER_CODE64 0x00affb000000ffffull
#define TSS_RSP0_OFFSET 4

#define IDT_GATE_DPL3 (3u << 5)

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static uint8_t return_stack[4096] __attribute__((aligned(16)));

extern const char kh_user_return_gate[];

/* Sets the user bit on every present entry of the tables below `table` at `level` (4: the PML4). */
static void allow_user(uint64_t *table, int level)
{
	for (unsigned int i = 0; i < 512; i++) {
		if (!(table[i] & PTE_P))
			continue;
		table[i] |= PTE_U;
		if (level > 1 && !(level < 4 && (table[i] & PTE_PS)))
			allow_user((uint64_t *)(uintptr_t)(table[i] & PTE_ADDR), level - 1);
	}
}

void kh_user_prepare(void)
{
	static bool done;
	struct desc_ptr old_gdt, idt;
	uint64_t cr3;

	if (done)
		return;
	done = true;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	allow_user((uint64_t *)(uintptr_t)(cr3 & PTE_ADDR), 4);
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");

	/* keyhole's entries stay where they are (CS, SS and TR keep their selectors); the user segments go after them. */
	__asm__ volatile("sgdt %0" : "=m"(old_gdt));
	memcpy(gdt, (const void *)(uintptr_t)old_gdt.base, (size_t)old_gdt.limit + 1);
	gdt[KH_USER_DATA_SEL / 8] = DESC_USER_DATA;
	gdt[KH_USER_CODE_SEL / 8] = DESC_USER_CODE64;
	struct desc_ptr p = { sizeof(gdt) - 1, (uintptr_t)gdt };
	__asm__ volatile("lgdt %0" : : "m"(p));

	/* The TSS (the base in its descriptor) gives the CPU the stack for an interrupt from CPL 3. */
	uint64_t tss = ((gdt[GDT_TSS_INDEX] >> 16) & 0xffffff) | (((gdt[GDT_TSS_INDEX] >> 56) & 0xff) << 24) |
		       (gdt[GDT_TSS_INDEX + 1] << 32);
	uint64_t rsp0 = (uintptr_t)(return_stack + sizeof(return_stack));
	memcpy((void *)(uintptr_t)(tss + TSS_RSP0_OFFSET), &rsp0, sizeof(rsp0));

	/* #BP becomes the way back: a DPL-3 interrupt gate to kh_user_return_gate. */
	__asm__ volatile("sidt %0" : "=m"(idt));
	uint16_t *gate = (uint16_t *)(uintptr_t)(idt.base + 16 * KH_USER_RETURN_VECTOR);
	uint64_t h = (uintptr_t)kh_user_return_gate;
	gate[0] = (uint16_t)h;
	gate[2] = (uint16_t)((gate[2] & 0x00ff) | ((uint16_t)IDT_GATE_DPL3 << 8) | (gate[2] & 0x8f00));
	gate[3] = (uint16_t)(h >> 16);
	memcpy(&gate[4], &(uint32_t){ (uint32_t)(h >> 32) }, 4);
}

void kh_run_user(void (*fn)(void *), void *arg, void *stack_top)
{
	kh_user_prepare();
	kh_user_enter(fn, arg, (void *)((uintptr_t)stack_top & ~(uintptr_t)15));
	/* Back at CPL 0: the data segments were nulled on the way up (SDM Vol. 3A, 6.14.2: IRET to CPL 3). */
	__asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"((uint32_t)0x10));
}

unsigned int kh_cpl(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
