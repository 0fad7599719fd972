/*
 * One 4-level page-table walker for both of keyhole's table formats: its own
 * x86-64 page tables and the EPT tables of its guests.  The two agree on the
 * shape (512 entries a level, bits 12..51 for the address, bit 7 for a large
 * leaf); they differ in how permissions and "present" are encoded, which a
 * struct pt_format describes (mm/hostpt.c, ept/ept.c).
 *
 * Levels count from the leaf: 1 maps 4 KiB, 2 maps 2 MiB, 3 maps 1 GiB,
 * 4 is the root.  Every operation checks its whole range first and fails with
 * a negative errno before it changes anything; splitting a large leaf, which
 * preserves every translation, is the only change made before a failure can
 * still occur (when a table frame cannot be allocated).
 */
#ifndef KEYHOLE_MM_PT_H
#define KEYHOLE_MM_PT_H

#include <keyhole/types.h>

#define PT_LEVELS 4
#define PT_ENTRIES 512

/* Format-independent permissions. */
#define PT_R BIT(0)
#define PT_W BIT(1)
#define PT_X BIT(2)
#define PT_G BIT(3) /* host tables only: global */

static inline u64 pt_level_size(int level) { return 1ULL << (PAGE_SHIFT + 9 * (level - 1)); }
static inline unsigned int pt_index(u64 va, int level) { return (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511; }

struct pt;

struct pt_format {
	const char *name;
	bool (*present)(u64 e);
	u64 (*make_table)(u64 table_pa);
	u64 (*make_leaf)(u64 pa, unsigned int prot, int level);
	unsigned int (*prot)(u64 e);
	/* The TLB: called after leaves were removed or lost permissions. */
	void (*flush)(struct pt *pt, u64 va, int level);
	void (*flush_done)(struct pt *pt);
	u64 va_limit; /* highest mappable address + 1 of the lower half */
	bool canonical_upper; /* the upper half (sign-extended) is mappable too */
};

struct pt {
	const struct pt_format *fmt;
	u64 root_pa;
	int max_leaf_level; /* 1..3: the largest leaf this table may hold */
	u16 owner;          /* frame owner of the table frames */
	u32 tables;         /* table frames in use, the root included */
	u64 ctx;            /* format-specific (EPTP for EPT) */
	/*
	 * What the incremental audit goes by (mm/audit.h): gen counts every write
	 * of an entry of these tables, root_gen those of the root's own entries,
	 * and [dirty_lo, dirty_hi] (inclusive; empty when lo > hi) holds the
	 * addresses written since the audit last took the range.  This file
	 * keeps them; whoever writes an entry directly calls pt_note_change()
	 * (mm/hostmm.c).  gen is atomic: the audit reads it without the
	 * writers' lock; the rest is read under it (the direct-map lock).
	 */
	u64 gen, root_gen;
	u64 dirty_lo, dirty_hi;
	u64 audited[2]; /* the audit's marks (mm/audit.c); 0: never audited */
};

/* A write of entries for [va, last] of a level-`level` table of pt. */
static inline void pt_note_write(struct pt *pt, u64 va, u64 last, int level)
{
	if (va < pt->dirty_lo)
		pt->dirty_lo = va;
	if (last > pt->dirty_hi)
		pt->dirty_hi = last;
	if (level == PT_LEVELS)
		pt->root_gen++;
	__atomic_add_fetch(&pt->gen, 1, __ATOMIC_RELEASE);
}
/* Every write of an entry of pt's tables outside this walker is followed by one (it may have been anywhere). */
static inline void pt_note_change(struct pt *pt) { pt_note_write(pt, 0, ~0ULL, PT_LEVELS); }
static inline u64 pt_gen(const struct pt *pt) { return __atomic_load_n(&pt->gen, __ATOMIC_ACQUIRE); }

/* Allocates the root.  -ENOMEM. */
int pt_init(struct pt *pt, const struct pt_format *fmt, int max_leaf_level, u16 owner);
/* Frees every table frame (never the frames the leaves map). */
void pt_destroy(struct pt *pt);

/*
 * Maps [va, va+size) to [pa, pa+size) with the largest leaves that alignment
 * allows.  -EINVAL: unaligned, empty, wrapping or outside the format's range;
 * -EEXIST: part of the range is mapped already; -ENOMEM.
 */
int pt_map(struct pt *pt, u64 va, u64 pa, u64 size, unsigned int prot);
/* Unmaps [va, va+size), splitting leaves that straddle its ends.  -ENOENT: part is not mapped. */
int pt_unmap(struct pt *pt, u64 va, u64 size);
/* Changes the permissions of every page of a mapped range.  -ENOENT as for unmap. */
int pt_protect(struct pt *pt, u64 va, u64 size, unsigned int prot);
/* The translation of va: physical address, permissions and leaf level.  -ENOENT. */
int pt_translate(const struct pt *pt, u64 va, u64 *pa, unsigned int *prot, int *level);
/* Replaces the level-`level` leaf holding va by 512 leaves one level down.  -EINVAL: no such leaf. */
int pt_split(struct pt *pt, u64 va, int level);

/* Calls fn for every leaf, in address order (va sign-extended).  A non-zero return stops the walk. */
typedef int (*pt_leaf_fn)(void *arg, u64 va, u64 pa, int level, unsigned int prot);
int pt_for_each_leaf(const struct pt *pt, pt_leaf_fn fn, void *arg);

/* The entry slot in a table frame; for the per-CPU roots that share tables. */
u64 *pt_table(u64 table_pa);
static inline u64 pt_entry_pa(u64 e) { return e & 0x000ffffffffff000ULL; }
static inline bool pt_entry_large(u64 e) { return e & BIT(7); }

#endif
