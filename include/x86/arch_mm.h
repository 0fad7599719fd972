/*
 * The hypervisor's side of mm/arch.h's cheapest calls, inline: the memory
 * core's hot paths (gmap, the fixmap) ask for the CPU's number, the direct
 * map's and the fixmap's base and one INVLPG on every access to guest
 * memory, and a call each was most of what they cost.  mm/arch.h includes
 * this only outside the host unit tests (KEYHOLE_HOSTED), whose recorder
 * implements the same calls out of line (tests/unit/sim.c); the assembly
 * lives here, not in mm/, which stays free of it.
 */
#ifndef KEYHOLE_X86_ARCH_MM_H
#define KEYHOLE_X86_ARCH_MM_H

#include <keyhole/layout.h>
#include <keyhole/types.h>
#include <x86/cpu.h>

/* Drop this CPU's TLB entry for one virtual address (INVLPG). */
static inline void arch_flush_va(u64 va)
{
	invlpg(va);
}

/* The CPU's number: the first word of what GS points at (hv/cpu/desc.h, struct cpu_local). */
static inline unsigned int arch_cpu_id(void)
{
	unsigned int cpu;

	__asm__ volatile("movl %%gs:0, %0" : "=r"(cpu));
	return cpu;
}

static inline u64 arch_dmap_base(void)
{
	return DMAP_BASE;
}

static inline u64 arch_fixmap_base(void)
{
	return FIXMAP_BASE;
}

#endif
