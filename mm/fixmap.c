/*
 * Per-CPU fixmap slots (see fixmap.h).
 *
 * This is the hot path of every access to a protected frame, so each CPU
 * keeps a pointer to its own page of slot PTEs and the window's base: a map
 * is a bounds check and one PTE store, an unmap one PTE store and one INVLPG.
 * The PTE itself says whether a slot is busy.
 *
 * Why no TLB flush on map: a slot is flushed when it is cleared, so a free
 * slot has no TLB entry, and the new PTE is what the next access walks to.
 *
 * Only its own CPU changes a slot, but the audit on another CPU reads it
 * (audit_host() walks every root).  So the two words a slot is made of are
 * written in an order a reader can rely on: mfn[] before the PTE when a
 * slot is set, the PTE before mfn[] when it is cleared.  A present PTE then
 * always has its mfn[] written first; the stores are release stores (plain
 * MOVs: x86 stores become visible in program order, SDM Vol. 3A 10.2.2
 * "Memory Ordering in P6 and More Recent Processor Families"), which also
 * keep the compiler from reordering them.  fixmap_slot_accounts_for() is
 * the reader's side.
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include "mm/fixmap.h"
#include "mm/pte.h"

struct fixmap_cpu fixmap_cpus[MAX_CPUS];

void fixmap_init_cpu(unsigned int cpu, u64 *ptes)
{
	struct fixmap_cpu *fc = &fixmap_cpus[cpu];

	fc->pte = ptes;
	fc->base = arch_fixmap_base();
	fc->busy = 0; /* depth and named */
	for (int s = 0; s < FIX_NR; s++)
		fc->mfn[s] = INVALID_MFN;
}

static int set_slot(struct fixmap_cpu *fc, unsigned int slot, mfn_t mfn, void **va, u64 attr)
{
	if (unlikely(fc->pte[slot])) {
		log_err("fixmap: slot %u on cpu %u is busy (frame %#lx); refusing to map frame %#lx over it", slot,
			arch_cpu_id(), mfn_x(fc->mfn[slot]), mfn_x(mfn));
		return -EBUSY;
	}
	*va = fixmap_fill_slot(fc, slot, mfn, attr);
	fc->named++;
	return 0;
}

int fixmap_set(enum fixmap_slot slot, mfn_t mfn, void **va)
{
	if ((unsigned int)slot >= FIX_NR)
		return -EINVAL;
	return set_slot(&fixmap_cpus[arch_cpu_id()], slot, mfn, va, 0);
}

int fixmap_set_mmio(enum fixmap_slot slot, mfn_t mfn, void **va)
{
	if ((unsigned int)slot >= FIX_NR)
		return -EINVAL;
	/* PCD and PWT select PAT entry 3, UC in the power-on PAT (SDM Vol. 3A, 13.12.3 / Table 13-11). */
	return set_slot(&fixmap_cpus[arch_cpu_id()], slot, mfn, va, PTE_PCD | PTE_PWT);
}

int fixmap_clear(enum fixmap_slot slot)
{
	struct fixmap_cpu *fc = &fixmap_cpus[arch_cpu_id()];

	if ((unsigned int)slot >= FIX_NR || !fc->pte[slot])
		return -EINVAL;
	fixmap_empty_slot(fc, slot);
	fc->named--;
	return 0;
}

int fixmap_push_refused(unsigned int cpu, mfn_t mfn)
{
	const struct fixmap_cpu *fc = &fixmap_cpus[cpu];
	unsigned int slot = FIX_GMAP_FIRST + fc->depth;

	if (fc->depth == FIX_GMAP_SLOTS)
		log_err("fixmap: all %d gmap slots of cpu %u are in use (unbalanced map/unmap?)", FIX_GMAP_SLOTS, cpu);
	else
		log_err("fixmap: slot %u on cpu %u is busy (frame %#lx); refusing to map frame %#lx over it", slot, cpu,
			mfn_x(fc->mfn[slot]), mfn_x(mfn));
	return -EBUSY;
}

int fixmap_pop_refused(unsigned int cpu, void *va)
{
	const struct fixmap_cpu *fc = &fixmap_cpus[cpu];
	u64 off = (u64)(uintptr_t)va - (fc->base + ((u64)FIX_GMAP_FIRST << PAGE_SHIFT));

	if (off >= (u64)FIX_GMAP_SLOTS << PAGE_SHIFT || !ALIGNED(off, PAGE_SIZE))
		log_err("fixmap: %p is not a gmap slot", va);
	else
		log_err("fixmap: LIFO violation on cpu %u: unmapping slot %u while the top is %d", cpu,
			(unsigned int)(off >> PAGE_SHIFT), (int)fc->depth - 1);
	return -EINVAL;
}

int fixmap_push(mfn_t mfn, void **va)
{
	return fixmap_push_on(arch_cpu_id(), mfn, va);
}

int fixmap_pop(void *va)
{
	return fixmap_pop_on(arch_cpu_id(), va);
}

unsigned int fixmap_busy(unsigned int cpu)
{
	return fixmap_cpus[cpu].depth + fixmap_cpus[cpu].named;
}

bool fixmap_slot_maps(unsigned int cpu, u64 va, mfn_t mfn)
{
	const struct fixmap_cpu *fc = &fixmap_cpus[cpu];

	if (va < fc->base || va >= fc->base + ((u64)FIX_NR << PAGE_SHIFT))
		return false;
	unsigned int slot = (unsigned int)((va - fc->base) >> PAGE_SHIFT);
	return __atomic_load_n(&fc->pte[slot], __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&fc->mfn[slot].v, __ATOMIC_ACQUIRE) == mfn_x(mfn);
}

/*
 * A slot of another CPU changes under the reader: its owner may clear and
 * set it between any two loads here.  So the PTE is read before and after
 * mfn[]: if the two differ, the slot is in flux on its owner and only that
 * CPU can judge it (it does, at its next VM entry: invariant 2).  A PTE that
 * no longer maps mfn means the walker's look is out of date, which is the
 * same.  Only a PTE that stayed put, maps mfn, and has another mfn[] is a
 * frame reachable outside an active slot.  An owner that cleared and set
 * the slot again in between (PTE the same, mfn[] caught invalid) is the one
 * way to see that falsely, so a mismatch is looked at FOREIGN_TRIES times:
 * a real leak is stable, the ABA would have to recur each time.  On this
 * CPU nothing changes under the audit and the first look is the answer.
 */
#define FOREIGN_TRIES 4

bool fixmap_slot_accounts_for(unsigned int cpu, u64 va, mfn_t mfn)
{
	const struct fixmap_cpu *fc = &fixmap_cpus[cpu];

	if (va < fc->base || va >= fc->base + ((u64)FIX_NR << PAGE_SHIFT))
		return false;
	unsigned int slot = (unsigned int)((va - fc->base) >> PAGE_SHIFT);
	u64 want = mfn_to_pa(mfn) | PTE_P;
	for (int i = 0; i < FOREIGN_TRIES; i++) {
		u64 before = __atomic_load_n(&fc->pte[slot], __ATOMIC_ACQUIRE);
		u64 m = __atomic_load_n(&fc->mfn[slot].v, __ATOMIC_ACQUIRE);
		u64 after = __atomic_load_n(&fc->pte[slot], __ATOMIC_ACQUIRE);
		if (before != after || (after & (PTE_ADDR_MASK | PTE_P)) != want)
			return true; /* in flux, or no longer what the walker saw */
		if (m == mfn_x(mfn))
			return true;
		if (cpu == arch_cpu_id())
			break;
	}
	return false;
}
