/*
 * What mm/frame.c (the table) and mm/frame_alloc.c (the allocator) share:
 * the table's layout and state, and the table's primitives.  Private to
 * those two files; everybody else asks mm/frame.h.
 */
#ifndef KEYHOLE_MM_FRAME_TABLE_H
#define KEYHOLE_MM_FRAME_TABLE_H

#include <keyhole/spinlock.h>
#include "mm/frame.h"

#define FRAMES_PER_2M (SZ_2M / PAGE_SIZE)
#define CHUNK_SHIFT 9
/* Far beyond any machine keyhole runs on; bounds the table for a bogus map. */
#define MAX_PHYS_BITS 46

/* A frame's code: its owner (enum frame_owner, < 0x7f), or NONRAM; in an array, with the clean bit. */
#define CODE_NONRAM 0x7f  /* not RAM: frame_owner() says FRAME_RESERVED, frame_is_ram() false */
#define CODE_MIXED 0xff   /* chunk.code only: look in the chunk's array */
#define E_CLEAN 0x80      /* array entry: the frame holds only zeros */
#define E_CODE 0x7f

struct chunk {
	u8 code;   /* every frame's code, or CODE_MIXED */
	u8 clean;  /* uniform: every frame holds only zeros */
	u16 prot;  /* protected frames in the chunk (atomic) */
	u32 mix;   /* CODE_MIXED: the index of its array */
};

#define ARRAY_BYTES FRAMES_PER_2M                 /* one byte per frame */
#define ARRAYS_PER_PAGE (PAGE_SIZE / ARRAY_BYTES) /* 8 */
#define NO_ARRAY (~0U)

_Static_assert(CODE_NONRAM > FRAME_GUEST0 + FRAME_MAX_GUESTS, "owners and NONRAM share a frame's 7-bit code");
_Static_assert(sizeof(struct chunk) == 8, "a chunk's record is 8 bytes (frames_table_bytes_per_gib())");


/* The table's state; ft.lock covers all of it but the protected bits and counts (mm/frame.c says how). */
struct frame_table {
	struct chunk *chunks; /* one per 2 MiB, through the direct map */
	u64 *prot_bits;       /* one bit per frame */
	u64 *pool_dir;        /* the pfn of each pool page */
	u64 pool_pages, pool_dir_max;
	u32 spare_head;       /* free arrays, linked through their first word */
	u64 spare;
	u64 nframes;          /* table size: one past the last RAM frame */
	u64 nchunks;
	u64 nfree;
	u64 cursor;           /* the allocator's next-fit start */
	u64 mixed;            /* chunks that are mixed now */
	spinlock_t lock;
};
extern struct frame_table ft;

/* Bumped after the change: an audit pass that read the counter before it must not count as having seen it. */
static inline void ft_note_free(void) { __atomic_add_fetch(&frames_frees_gen, 1, __ATOMIC_RELEASE); }

#ifdef KEYHOLE_HOSTED
#define PROBE() (frames_probes++)
#else
#define PROBE() ((void)0)
#endif

/* Frame f's code and clean bit (as an array entry); under the lock or at init. */
u8 ft_entry(u64 f);
u8 ft_code_of(u64 f);
/* From f to its chunk's end: how many frames have f's entry (in *e); under the lock or at init. */
u64 ft_seg(u64 f, u8 *e);
/* Frames [f, f + n) get one owner code and clean bit; the arrays it needs are reserved (ft_arrays_needed()). */
void ft_set_run(u64 f, u64 n, u8 code, bool clean);
/* New arrays that writing entry v over [f, f + n) needs (0, 1 or 2). */
u64 ft_arrays_needed(u64 f, u64 n, u8 v);
/* Adds the 8 arrays of the frame at pfn to the pool; the frame's own entry is the caller's. */
void ft_pool_add_page(u64 pfn);

#endif
