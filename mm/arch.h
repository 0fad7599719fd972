/*
 * The memory core's only window onto the CPU.
 *
 * mm/ and ept/ are plain C: they build page tables in memory and then ask the
 * CPU to notice through these few calls.  The hypervisor implements them with
 * INVLPG, CR3 writes and INVEPT (hv/cpu/arch_mm.c); the host unit tests implement
 * them with a recorder that also keeps a simulated MMU in step
 * (tests/unit/sim.c).  Nothing in mm/ or ept/ has inline assembly.
 */
#ifndef KEYHOLE_MM_ARCH_H
#define KEYHOLE_MM_ARCH_H

#include <keyhole/types.h>

#ifdef KEYHOLE_HOSTED
/* Drop this CPU's TLB entry for one virtual address (INVLPG). */
void arch_flush_va(u64 va);
#endif
/*
 * Make every other CPU drop its translations of [va, va + len) in the
 * shared tables, and return when all have (hv/cpu/tlb.c).  This CPU's own
 * entries are the caller's to flush.
 */
void arch_shootdown(u64 va, u64 len);
/* Drop every non-global TLB entry and every global one (CR4.PGE toggle). */
void arch_flush_all(void);
/* Make the root table at physical address root_pa this CPU's (CR3). */
void arch_load_root(u64 root_pa);
/* Invalidate the EPT-derived translations of one EPTP (single-context INVEPT). */
void arch_invept(u64 eptp);
#ifdef KEYHOLE_HOSTED
/* The CPU we run on: index into the per-CPU tables. */
unsigned int arch_cpu_id(void);
#endif

/*
 * Where the direct map lives.  The hypervisor uses the fixed high addresses of
 * include/keyhole/layout.h; the unit tests put the windows where their
 * simulated MMU can back them with real host mappings.
 */
#ifdef KEYHOLE_HOSTED
u64 arch_dmap_base(void);
u64 arch_fixmap_base(void);
#else
/* The hypervisor's INVLPG, CPU number and the two bases, inline (the same calls, no assembly in mm/). */
#include <x86/arch_mm.h>
#endif

#endif
