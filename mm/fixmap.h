/*
 * The fixmap window: a few per-CPU virtual pages, each of which maps one
 * frame at a time.  This is how keyhole touches a protected frame, which the
 * direct map does not reach: map it into a slot, access it, unmap it.  A map
 * is one PTE store; an unmap is one PTE store and one INVLPG on this CPU.
 *
 * The gmap slots are used as a stack (like Linux's kmap_local): fixmap_push()
 * takes the next free slot, fixmap_pop() must release the top one.  A slot is
 * never overwritten: mapping a busy slot is refused and logged (-EBUSY).
 */
#ifndef KEYHOLE_MM_FIXMAP_H
#define KEYHOLE_MM_FIXMAP_H

#include <keyhole/layout.h>
#include <keyhole/types.h>
#include "mm/arch.h"
#include "mm/pte.h"

#define FIX_GMAP_SLOTS 8

enum fixmap_slot {
	FIX_GMAP_FIRST,
	FIX_GMAP_LAST = FIX_GMAP_FIRST + FIX_GMAP_SLOTS - 1,
	FIX_SCRUB, /* zeroing a protected frame on its way out of a guest */
	FIX_MMIO,  /* one device register access at a time (the xAPIC page), uncached */
	FIX_NR,
};

static inline u64 fix_to_virt(enum fixmap_slot slot)
{
	return arch_fixmap_base() + (u64)slot * PAGE_SIZE;
}

/* Maps mfn at a named slot of this CPU.  -EBUSY (logged) if the slot is in use. */
int fixmap_set(enum fixmap_slot slot, mfn_t mfn, void **va);
/* The same, uncached: a device's registers (memory-mapped I/O must not be cached, SDM Vol. 3A, 13.3). */
int fixmap_set_mmio(enum fixmap_slot slot, mfn_t mfn, void **va);
/* Unmaps a named slot.  -EINVAL (harmless) if it was not mapped. */
int fixmap_clear(enum fixmap_slot slot);

/* Maps mfn at the next free gmap slot.  -EBUSY (logged) when all are in use. */
int fixmap_push(mfn_t mfn, void **va);
/* Unmaps the top gmap slot, which va must be.  -EINVAL (logged): not the top, not a slot. */
int fixmap_pop(void *va);

/* One CPU's window (fixmap.c; here so that the gmap slots' push and pop can be inline). */
struct fixmap_cpu {
	u64 *pte;           /* entry i maps slot i (hostmm_fixmap_ptes) */
	u64 base;           /* the window's address */
	mfn_t mfn[FIX_NR];  /* what each busy slot maps, for the audit */
	union {
		struct {
			unsigned int depth; /* gmap slots in use: FIX_GMAP_FIRST .. FIX_GMAP_FIRST + depth - 1 */
			unsigned int named; /* slots in use through fixmap_set(), fixmap_set_mmio() */
		};
		u64 busy; /* both counts at once: zero when no slot is in use (the VM-entry test reads it) */
	};
};
extern struct fixmap_cpu fixmap_cpus[MAX_CPUS];

/* WB, writable, not executable, not global: a slot is private and short-lived. */
#define FIXMAP_PTE (PTE_P | PTE_W | PTE_NX)

/* The refusals, out of line: they log and return -EBUSY / -EINVAL. */
int fixmap_push_refused(unsigned int cpu, mfn_t mfn);
int fixmap_pop_refused(unsigned int cpu, void *va);

/*
 * Filling and emptying an empty / a busy slot, for every slot kind.  The
 * frame is recorded before the PTE is written and forgotten after it is
 * cleared, so another CPU's audit never sees a PTE its record does not
 * explain (fixmap_slot_accounts_for()).
 */
static inline void *fixmap_fill_slot(struct fixmap_cpu *fc, unsigned int slot, mfn_t mfn, u64 attr)
{
	__atomic_store_n(&fc->mfn[slot].v, mfn_x(mfn), __ATOMIC_RELAXED);
	__atomic_store_n(&fc->pte[slot], mfn_to_pa(mfn) | FIXMAP_PTE | attr, __ATOMIC_RELEASE);
	return (void *)(uintptr_t)(fc->base + ((u64)slot << PAGE_SHIFT));
}

static inline void fixmap_empty_slot(struct fixmap_cpu *fc, unsigned int slot)
{
	__atomic_store_n(&fc->pte[slot], 0, __ATOMIC_RELAXED);
	arch_flush_va(fc->base + ((u64)slot << PAGE_SHIFT));
	__atomic_store_n(&fc->mfn[slot].v, mfn_x(INVALID_MFN), __ATOMIC_RELEASE);
}

/* fixmap_push()/fixmap_pop() for a caller that knows its CPU (gmap): the same checks, inline. */
static inline int fixmap_push_on(unsigned int cpu, mfn_t mfn, void **va)
{
	struct fixmap_cpu *fc = &fixmap_cpus[cpu];
	unsigned int slot = FIX_GMAP_FIRST + fc->depth;

	if (unlikely(fc->depth == FIX_GMAP_SLOTS || fc->pte[slot]))
		return fixmap_push_refused(cpu, mfn);
	*va = fixmap_fill_slot(fc, slot, mfn, 0);
	fc->depth++;
	return 0;
}

static inline int fixmap_pop_on(unsigned int cpu, void *va)
{
	struct fixmap_cpu *fc = &fixmap_cpus[cpu];
	unsigned int top = FIX_GMAP_FIRST + fc->depth - 1;

	if (unlikely(fc->depth == 0 || (u64)(uintptr_t)va != fc->base + ((u64)top << PAGE_SHIFT)))
		return fixmap_pop_refused(cpu, va);
	fixmap_empty_slot(fc, top);
	fc->depth--;
	return 0;
}

/* Slots of this CPU in use (invariant 2: zero at every VM entry). */
unsigned int fixmap_busy(unsigned int cpu);
/* Is the slot at va on cpu mapped to mfn right now? */
bool fixmap_slot_maps(unsigned int cpu, u64 va, mfn_t mfn);
/*
 * The audit's question, safe against the slot's owner changing it meanwhile:
 * may a PTE of mfn seen at va in cpu's root be taken as an active slot?
 * Yes when the slot maps mfn, and also when the slot is in flux on its
 * owner (only that CPU can judge it then).  No when a PTE that stays put
 * maps mfn with no mapping behind it, or va is not a slot.
 */
bool fixmap_slot_accounts_for(unsigned int cpu, u64 va, mfn_t mfn);
/* hostmm_init(): this CPU's page of slot PTEs, all empty. */
void fixmap_init_cpu(unsigned int cpu, u64 *ptes);

#endif
