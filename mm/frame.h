/*
 * Physical frames: who owns each one, whether it is protected, and an
 * allocator of contiguous runs over the usable RAM of the boot memory map.
 *
 * The frame table has one 8-byte record per 2 MiB chunk from 0 to the end of
 * RAM: the owner of all its frames, or, for the few chunks whose frames
 * differ, a per-frame array (one byte a frame) from a pool that grows on
 * demand; one protected bit per 4 KiB frame; and a count of protected frames
 * per chunk, which lets the audit skip large mappings that cannot reach a
 * protected frame.  It lives in RAM itself (the first usable run big enough,
 * taken at init); mm/frame.c says how the pool cannot run dry.
 *
 * Invariant 4: a frame that leaves a guest is zeroed before it can be handed
 * out again.  frames_free() scrubs guest frames; frames_alloc() returns
 * zeroed frames to everybody.
 */
#ifndef KEYHOLE_MM_FRAME_H
#define KEYHOLE_MM_FRAME_H

#include <keyhole/types.h>

enum frame_owner {
	FRAME_FREE = 0,
	FRAME_RESERVED = 1, /* firmware, boot modules, MMIO holes inside RAM */
	FRAME_HV = 2,       /* keyhole itself: image, tables, heap */
	FRAME_GUEST0 = 3,   /* guest N owns FRAME_GUEST0 + N */
};

#define FRAME_MAX_GUESTS 64
static inline u16 frame_owner_guest(unsigned int id) { return (u16)(FRAME_GUEST0 + id); }
static inline bool frame_owner_is_guest(u16 owner) { return owner >= FRAME_GUEST0; }

/* A physical range, as the memory map gives it. */
struct mm_range {
	u64 base;
	u64 len;
};

/*
 * Builds the frame table.  ram: the usable RAM ranges (in any order, may touch);
 * reserved: ranges inside RAM that must never be handed out (the hypervisor
 * image, boot modules, the boot page tables).  -EINVAL for an empty or absurd
 * map, -ENOMEM when no run of RAM can hold the table.
 */
int frames_init(const struct mm_range *ram, unsigned int nram, const struct mm_range *reserved, unsigned int nres);

/* n contiguous zeroed frames for owner.  -EINVAL (n == 0, bad owner), -ENOMEM. */
int frames_alloc(u64 n, u16 owner, mfn_t *out);
/*
 * The same, starting at a frame number that is a multiple of align (a power
 * of two).  Success or failure, it reads each frame-table entry at most twice.
 */
int frames_alloc_aligned(u64 n, u64 align, u16 owner, mfn_t *out);
/*
 * n contiguous zeroed frames that end at or below physical address limit_pa,
 * the lowest such run: what real-mode code needs (an AP's start-up page lies
 * below 1 MiB, SDM Vol. 3A 9.4.4).  -EINVAL, -ENOMEM.
 */
int frames_alloc_below(u64 n, u64 limit_pa, u16 owner, mfn_t *out);
/* The longest run of free frames, at any alignment: what a failed request could have had. */
u64 frames_largest_free_run(void);
/*
 * Returns n frames from one owner to the free pool, zeroing them first if a
 * guest owned them.  -EINVAL: out of RAM, free already, owners differ, or a
 * frame is still protected (unprotect first); nothing is freed then.
 */
int frames_free(mfn_t first, u64 n);

bool frame_is_ram(mfn_t mfn);
u16 frame_owner(mfn_t mfn);
bool frame_is_protected(mfn_t mfn);
/* Does owner own every frame of [first, first + n)?  Fast for 2 MiB runs (one record a chunk). */
bool frames_owned_by(mfn_t first, u64 n, u16 owner);
/* Only mm/gmap.c changes protection, after the direct map has changed. */
void frame_set_protected(mfn_t mfn, bool protected);
/* Any protected frame in [first, first + n)?  Fast for 2 MiB-aligned runs. */
bool frames_any_protected(mfn_t first, u64 n);
/* The frame has been zeroed since its owner last had it: free() need not zero it again. */
void frame_mark_clean(mfn_t mfn);

/*
 * Bytes of frame table per GiB of a guest's memory (its 2 MiB chunks'
 * records, protected bits and pool-directory share): what tracking it costs.
 */
u64 frames_table_bytes_per_gib(void);
/* Chunks whose frames differ now, and the per-frame arrays the pool holds (in use or spare). */
u64 frames_mixed_chunks(void);
u64 frames_pool_arrays(void);

/* One past the last RAM frame. */
u64 frames_limit(void);
u64 frames_free_count(void);
/* Calls fn for each maximal run of RAM frames (for the direct map). */
int frames_for_each_ram_run(int (*fn)(void *arg, mfn_t first, u64 n), void *arg);

/*
 * The table's change counters, for the incremental audit (mm/audit.c reads
 * them, mm/frame.c alone bumps them): after every free (an owner change that
 * can leave a mapping of the frame stale) and every protect.  Allocations
 * and unprotects are not counted: neither can make a clean audit unclean.
 */
extern u64 frames_frees_gen, frames_protects_gen;

#ifdef KEYHOLE_HOSTED
/*
 * Frame-table entries the allocator's scans have read (tests bound a scan's
 * work with it): a uniform chunk's record is one read for all its frames.
 */
extern u64 frames_probes;
#endif

#endif
