/*
 * Per-CPU fixmap slots (see fixmap.h).
 *
 * Why no TLB flush on map: a slot is flushed when it is cleared, so a free
 * slot has no TLB entry, and the new PTE is what the next access walks to.
 */
#include <keyhole/log.h>
#include "mm/fixmap.h"
#include "mm/hostmm.h"

struct fixmap_cpu {
	mfn_t mfn[FIX_NR];
	bool busy[FIX_NR];
	unsigned int depth; /* gmap slots in use: FIX_GMAP_FIRST .. FIX_GMAP_FIRST + depth - 1 */
};

static struct fixmap_cpu fixmap[MAX_CPUS];

int fixmap_set(enum fixmap_slot slot, mfn_t mfn, void **va)
{
	unsigned int cpu = arch_cpu_id();
	struct fixmap_cpu *fc = &fixmap[cpu];
	u64 *pte;

	if ((unsigned int)slot >= FIX_NR)
		return -EINVAL;
	pte = &hostmm_fixmap_ptes(cpu)[slot];
	if (fc->busy[slot] || *pte) {
		log_err("fixmap: slot %d on cpu %u is busy (frame %#lx); refusing to map frame %#lx over it",
			slot, cpu, mfn_x(fc->mfn[slot]), mfn_x(mfn));
		return -EBUSY;
	}
	*pte = hostmm_fixmap_pte(mfn);
	fc->mfn[slot] = mfn;
	fc->busy[slot] = true;
	*va = (void *)(uintptr_t)fix_to_virt(slot);
	return 0;
}

int fixmap_clear(enum fixmap_slot slot)
{
	unsigned int cpu = arch_cpu_id();
	struct fixmap_cpu *fc = &fixmap[cpu];

	if ((unsigned int)slot >= FIX_NR || !fc->busy[slot])
		return -EINVAL;
	hostmm_fixmap_ptes(cpu)[slot] = 0;
	arch_flush_va(fix_to_virt(slot));
	fc->busy[slot] = false;
	fc->mfn[slot] = INVALID_MFN;
	return 0;
}

int fixmap_push(mfn_t mfn, void **va)
{
	struct fixmap_cpu *fc = &fixmap[arch_cpu_id()];

	if (fc->depth == FIX_GMAP_SLOTS) {
		log_err("fixmap: all %d gmap slots of cpu %u are in use (unbalanced map/unmap?)",
			FIX_GMAP_SLOTS, arch_cpu_id());
		return -EBUSY;
	}
	int r = fixmap_set((enum fixmap_slot)(FIX_GMAP_FIRST + fc->depth), mfn, va);
	if (!r)
		fc->depth++;
	return r;
}

int fixmap_pop(void *va)
{
	struct fixmap_cpu *fc = &fixmap[arch_cpu_id()];
	u64 v = (u64)(uintptr_t)va;
	u64 first = fix_to_virt(FIX_GMAP_FIRST);

	if (v < first || v > fix_to_virt(FIX_GMAP_LAST) || !ALIGNED(v, PAGE_SIZE)) {
		log_err("fixmap: %#lx is not a gmap slot", v);
		return -EINVAL;
	}
	unsigned int slot = (unsigned int)((v - first) >> PAGE_SHIFT);
	if (fc->depth == 0 || slot != fc->depth - 1) {
		log_err("fixmap: LIFO violation on cpu %u: unmapping slot %u while the top is %d",
			arch_cpu_id(), slot, (int)fc->depth - 1);
		return -EINVAL;
	}
	fixmap_clear((enum fixmap_slot)(FIX_GMAP_FIRST + slot));
	fc->depth--;
	return 0;
}

unsigned int fixmap_busy(unsigned int cpu)
{
	unsigned int n = 0;

	for (int s = 0; s < FIX_NR; s++)
		n += fixmap[cpu].busy[s];
	return n;
}

bool fixmap_slot_maps(unsigned int cpu, u64 va, mfn_t mfn)
{
	u64 base = fix_to_virt(0);

	if (va < base || va >= base + FIX_NR * PAGE_SIZE)
		return false;
	unsigned int slot = (unsigned int)((va - base) >> PAGE_SHIFT);
	return fixmap[cpu].busy[slot] && mfn_x(fixmap[cpu].mfn[slot]) == mfn_x(mfn);
}

void fixmap_reset(void)
{
	for (int c = 0; c < MAX_CPUS; c++) {
		for (int s = 0; s < FIX_NR; s++) {
			fixmap[c].busy[s] = false;
			fixmap[c].mfn[s] = INVALID_MFN;
		}
		fixmap[c].depth = 0;
	}
}
