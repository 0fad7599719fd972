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
 * No check-then-use race: protection is checked and the frame mapped under
 * the VM's lock, and a VM's protection cannot change while any mapping of it
 * is live (share/unshare answer -EBUSY then).
 */
#ifndef KEYHOLE_MM_GMAP_H
#define KEYHOLE_MM_GMAP_H

#include <keyhole/spinlock.h>
#include <keyhole/types.h>

struct vm;

#define GUEST_MEM_SLOTS 8

struct mem_slot {
	gfn_t gfn;
	u64 npages;
	mfn_t mfn;       /* host frames: mfn .. mfn + npages - 1 */
	u64 *dirty;      /* one bit per page */
	mfn_t dirty_mfn;
	u64 dirty_frames;
};

struct guest_mem {
	struct mem_slot slot[GUEST_MEM_SLOTS];
	unsigned int nslots;
	u16 owner;            /* frame owner id */
	bool protected_mode;  /* ENABLE_MEM_PROTECTED was called */
	u64 generation;
	u32 mappers;          /* live gmap mappings */
	spinlock_t lock;
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
};

/* Creates an empty VM memory for guest `id` (and its EPT, max_ept_level as for ept_init). */
int guest_mem_init(struct vm *vm, unsigned int id, int max_ept_level);
/* Adds npages of zeroed memory at gfn, mapped RWX in the EPT.  -EINVAL: empty, wraps, overlaps, no slot left. */
int guest_mem_add(struct vm *vm, gfn_t gfn, u64 npages);
/* Scrubs every frame (protected ones through the fixmap), frees memory and EPT. */
void guest_mem_destroy(struct vm *vm);

/* ENABLE_MEM_PROTECTED: every frame of the VM leaves the direct map. */
int guest_mem_protect_all(struct vm *vm);
/*
 * MEM_SHARE / MEM_UNSHARE: a range goes back to / out of the direct map.
 * Frames already in the wanted state are left alone.  -EINVAL: npages == 0,
 * wrapping, or a page outside guest memory; -EPERM: protection not enabled;
 * -EBUSY: a mapping is live.  On an error nothing changed.
 */
int guest_mem_share(struct vm *vm, gfn_t gfn, u64 npages);
int guest_mem_unshare(struct vm *vm, gfn_t gfn, u64 npages);

/* The host frame behind gfn.  -EINVAL outside guest memory. */
int guest_mem_lookup(const struct vm *vm, gfn_t gfn, mfn_t *mfn);
/* Guest memory size in pages (sum of the slots). */
u64 guest_mem_pages(const struct vm *vm);

int gmap_map(struct vm *vm, gfn_t gfn, struct gmap *map, struct gfn_cache *cache, bool atomic);
void gmap_unmap(struct vm *vm, struct gmap *map, struct gfn_cache *cache, bool dirty, bool atomic);

/* Page by page through gmap.  -EINVAL: wraps or leaves guest memory (then nothing is copied). */
int copy_from_guest(struct vm *vm, void *dst, u64 gpa, u64 len);
int copy_to_guest(struct vm *vm, u64 gpa, const void *src, u64 len);

/* Was gfn written through gmap since the last call?  Clears the bit. */
bool gmap_dirty_test_and_clear(struct vm *vm, gfn_t gfn);

#endif
