/*
 * Guest memory and the guest-map contract: the one way keyhole reaches a
 * guest's memory.
 *
 * Guest memory is a few slots, each a run of guest frames backed by a run of
 * host frames.  When the guest enables protection, its frames leave the
 * direct map; MEM_SHARE / MEM_UNSHARE move ranges back and forth.
 *
 * gmap_map() / gmap_unmap() are the contract of the seed series'
 * __kvm_map_gfn() / __kvm_unmap_gfn(), without its ioremap hack:
 *
 *   - gfn outside every slot, or map == NULL: -EINVAL, nothing mapped.
 *   - unprotected frame: hva is its direct-map address.
 *   - protected frame: hva is a fixmap slot of this CPU, protected = true.
 *     Mapping never sleeps, so `atomic` callers are served alike (the seed
 *     answered -EAGAIN there); the flag stays so the contract keeps its shape.
 *   - all slots busy (only through a bug): -EBUSY and a log line.
 *   - gmap_unmap: hva == NULL is a no-op; a protected mapping is cleared and
 *     flushed; `dirty` records the gfn in the dirty log; hva becomes NULL, so
 *     unmapping twice is harmless.
 *   - a gfn_cache remembers one translation and whether its frame was
 *     protected; every change to the memory or its protection bumps the
 *     generation, which invalidates every cache.
 *
 * No check-then-use race: a mapping is counted before protection is
 * checked and the frame mapped, and a VM's protection never changes while
 * any mapping of it is counted (gmap.c, above count_mapping(): no lock).
 *
 * Protection changes and live mappings (several vCPUs of one guest map on
 * several CPUs at once):
 *
 *   - a change (ENABLE_MEM_PROTECTED, MEM_SHARE, MEM_UNSHARE) waits until
 *     the VM's live mappings have drained, then changes with none live;
 *   - while it waits, no new mapping of that VM starts (writer preference:
 *     a stream of mappings from other vCPUs cannot starve it), except on a
 *     CPU that already holds one: mappings nest (DIAG_COPY maps the
 *     destination while it holds the source), and holding the inner one off
 *     for a change that waits for the outer would deadlock; each CPU's depth
 *     of this VM's mappings is counted for that (depth[], by arch_cpu_id());
 *   - changes serialize with each other;
 *   - a change asked for on a CPU that holds a mapping of the VM would wait
 *     for itself: panic (a caller's bug; a hypercall holds none);
 *   - every wait spins through arch_spin_wait(), serving shootdowns.
 *
 * guest_mem_add() runs before the VM's vCPUs do; guest_mem_destroy() and
 * guest_mem_remove_last() after they stopped, and panic on a live mapping.
 */
#ifndef KEYHOLE_MM_GMAP_H
#define KEYHOLE_MM_GMAP_H

#include <keyhole/layout.h>
#include <keyhole/spinlock.h>
#include <keyhole/types.h>
#include "mm/fixmap.h"

#define GUEST_MEM_SLOTS 8

struct mem_slot {
	gfn_t gfn;
	u64 npages;
	mfn_t mfn;       /* host frames: mfn .. mfn + npages - 1 */
	u64 *dirty;      /* one bit per page; NULL until the guest first asks (gmap_dirty_test_and_clear) */
	mfn_t dirty_mfn;
	u64 dirty_frames;
	u64 written;     /* bit 0: a page was written with no log to take its bit (before, or through a stale cache) */
};

struct guest_mem {
	unsigned int id;      /* the guest's number, for messages */
	struct mem_slot slot[GUEST_MEM_SLOTS];
	unsigned int nslots;
	u16 owner;            /* frame owner id */
	bool protected_mode;  /* ENABLE_MEM_PROTECTED was called */
	bool dirty_log_warned; /* the dirty log's allocation failed and was said (once per VM) */
	u64 generation;
	u32 mappers;          /* live gmap mappings, all CPUs */
	u32 changing;         /* a protection change is waiting for the drain or running */
	u32 depth[MAX_CPUS];  /* live gmap mappings per CPU, by arch_cpu_id() */
	spinlock_t lock;      /* VM lock: the first in the lock order (keyhole/spinlock.h) */
};

struct gmap {
	void *hva;
	mfn_t pfn;
	gfn_t gfn;
	bool protected;
};

struct gfn_cache {
	gfn_t gfn;
	mfn_t pfn;
	u64 generation;
	bool valid;
	bool protected;
	void *hva;       /* an unprotected frame's direct-map address (gmap_map_cached) */
	u64 *dirty_word; /* and where its dirty bit lives */
	u64 dirty_bit;
};

/* An empty guest memory for guest `id`.  -EINVAL: id beyond the frame table's owners. */
int guest_mem_init(struct guest_mem *m, unsigned int id);
/*
 * Adds npages of zeroed memory at gfn (protected at once if protection is
 * on); *slot, if given, says which host frames back it.  -EINVAL: empty,
 * wraps, overlaps, no slot left; -ENOMEM.  The EPT is the caller's: hv/vm/vm.h.
 */
int guest_mem_add(struct guest_mem *m, gfn_t gfn, u64 npages, const struct mem_slot **slot);
/* Takes back the slot added last: scrubbed and freed like guest_mem_destroy() does. */
void guest_mem_remove_last(struct guest_mem *m);
/* Scrubs every frame (protected ones through the fixmap) and frees them. */
void guest_mem_destroy(struct guest_mem *m);

/* ENABLE_MEM_PROTECTED: every frame of the VM leaves the direct map (waiting for live mappings to drain). */
int guest_mem_protect_all(struct guest_mem *m);
/*
 * MEM_SHARE / MEM_UNSHARE: a range goes back to / out of the direct map.
 * Frames already in the wanted state are left alone.  -EINVAL: npages == 0,
 * wrapping, or a page outside guest memory; -EPERM: protection not enabled.
 * On an error nothing changed.  With mappings live the call waits for them
 * to drain (see above), it does not fail.
 */
int guest_mem_share(struct guest_mem *m, gfn_t gfn, u64 npages);
int guest_mem_unshare(struct guest_mem *m, gfn_t gfn, u64 npages);

/* The host frame behind gfn.  -EINVAL outside guest memory. */
int guest_mem_lookup(const struct guest_mem *m, gfn_t gfn, mfn_t *mfn);
/* Guest memory size in pages (sum of the slots). */
u64 guest_mem_pages(const struct guest_mem *m);
/* Is [gpa, gpa + len) non-empty, not wrapping, and guest memory throughout? */
bool guest_mem_range_ok(const struct guest_mem *m, u64 gpa, u64 len);

int gmap_map(struct guest_mem *m, gfn_t gfn, struct gmap *map, struct gfn_cache *cache, bool atomic);
/* A fixmap slot released out of order: a caller's bug, panics. */
__attribute__((noreturn)) void gmap_unmap_out_of_order(gfn_t gfn);
void gmap_unmap(struct guest_mem *m, struct gmap *map, struct gfn_cache *cache, bool dirty, bool atomic);

/*
 * The contract's fast path for a caller that maps the same record before
 * every VM entry (hv/vm/kvm_clock.c's steal time), inline: with a warm
 * cache, gmap_map_fast() counts the mapping as gmap_map() does (the drain
 * rule holds) and hands out in *hva the frame's direct-map address, or for
 * a protected frame a fixmap slot, without the VM lock; the caller writes
 * and gives it back with gmap_unmap_fast(), which logs the page dirty.
 * false: nothing mapped, take gmap_map() (a cold or stale cache, a change
 * under way).  Nothing else may be mapped on this CPU in between.  cpu is
 * arch_cpu_id(), which the caller knows cheaper.
 */
static inline bool gmap_map_fast(struct guest_mem *m, gfn_t gfn, const struct gfn_cache *c, unsigned int cpu,
				 void **hva)
{
	if (!c->valid || gfn_x(c->gfn) != gfn_x(gfn))
		return false;
	/* Counted first, then changing and the generation read: why that is safe, gmap.c above count_mapping(). */
	__atomic_add_fetch(&m->mappers, 1, __ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&m->changing, __ATOMIC_SEQ_CST) ||
		     c->generation != __atomic_load_n(&m->generation, __ATOMIC_RELAXED)))
		goto back_off;
	if (c->protected) {
		if (unlikely(fixmap_push_on(cpu, c->pfn, hva)))
			goto back_off; /* gmap_map() says why */
	} else {
		*hva = c->hva;
	}
	m->depth[cpu]++;
	return true;
back_off:
	__atomic_sub_fetch(&m->mappers, 1, __ATOMIC_RELEASE);
	return false;
}

/* The cache cannot change while the mapping is live: it says what hva is, and where the dirty bit lives. */
static inline void gmap_unmap_fast(struct guest_mem *m, const struct gfn_cache *c, unsigned int cpu, void *hva)
{
	if (c->protected && unlikely(fixmap_pop_on(cpu, hva)))
		gmap_unmap_out_of_order(c->gfn);
	__atomic_fetch_or(c->dirty_word, c->dirty_bit, __ATOMIC_RELAXED);
	m->depth[cpu]--;
	__atomic_sub_fetch(&m->mappers, 1, __ATOMIC_RELEASE);
}

/*
 * Calls fn on each piece of [gpa, gpa + len), each page mapped through gmap
 * for the call and unmapped after (dirty: the pages are logged as written).
 * len == 0 does nothing; -EINVAL: the range wraps or leaves guest memory,
 * and then fn is never called.
 */
typedef void (*gmap_piece_fn)(void *arg, u8 *p, u64 n);
/* Inline, so that each caller's fn is inlined into its loop: the copies and DIAG calls pay no indirect call. */
static inline int gmap_for_each_piece(struct guest_mem *m, u64 gpa, u64 len, bool dirty, gmap_piece_fn fn,
				      void *arg)
{
	if (len == 0)
		return 0;
	/* Within one page, gmap_map() checking its gfn is the whole range check (-EINVAL before fn is called). */
	if (len > PAGE_SIZE - (gpa & (PAGE_SIZE - 1)) && !guest_mem_range_ok(m, gpa, len))
		return -EINVAL;
	while (len) {
		struct gmap map;
		u64 off = gpa & (PAGE_SIZE - 1), n = MIN(len, PAGE_SIZE - off);
		int r = gmap_map(m, gpa_to_gfn(gpa), &map, NULL, false);
		if (r)
			return r;
		fn(arg, (u8 *)map.hva + off, n);
		gmap_unmap(m, &map, NULL, dirty, false);
		gpa += n;
		len -= n;
	}
	return 0;
}

/* Page by page through gmap.  -EINVAL: wraps or leaves guest memory (then nothing is copied). */
int copy_from_guest(struct guest_mem *m, void *dst, u64 gpa, u64 len);
int copy_to_guest(struct guest_mem *m, u64 gpa, const void *src, u64 len);

/*
 * Was gfn written through gmap since the last call?  Clears the bit: 1 or 0,
 * 0 outside guest memory, -ENOMEM when the log cannot be had.  The log (a
 * bit per page) is allocated at the guest's first ask, for all its slots: a
 * guest that never asks pays nothing for it.  Until then a write only notes
 * that some page of its slot was written, so each page of such a slot reads
 * dirty at its first ask after the log started (which pages was not
 * recorded), and the pages of an unwritten slot read clean; from then on the
 * log is exact.  A guest that wants an exact log asks once first.
 */
int gmap_dirty_test_and_clear(struct guest_mem *m, gfn_t gfn);
/* Bytes of dirty log the guest's slots hold (0 for a guest that never asked). */
u64 guest_mem_dirty_log_bytes(const struct guest_mem *m);

#endif
