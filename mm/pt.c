/*
 * The page-table walker shared by the host tables and EPT (see pt.h).
 *
 * Every operation has the same two-phase shape: check the whole range
 * (alignment, bounds, mapped or not) without touching anything, then do the
 * work.  Leaves straddling the ends of a range are split before the work
 * starts, so the work phase never allocates and never fails half-way.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include "mm/pt.h"
#include "mm/frame.h"
#include "mm/dmap.h"

u64 *pt_table(u64 table_pa)
{
	return phys_to_virt(table_pa);
}

static bool is_leaf(const struct pt *pt, u64 e, int level)
{
	return pt->fmt->present(e) && (level == 1 || pt_entry_large(e));
}

/* The end of the level-`level` entry holding va, clipped to end (0 == 2^64). */
static u64 entry_end(u64 va, int level, u64 end)
{
	u64 next = ALIGN_DOWN(va, pt_level_size(level)) + pt_level_size(level);

	if (next == 0 || (end != 0 && next > end))
		return end;
	return next;
}

static int check_range(const struct pt *pt, u64 va, u64 size)
{
	const struct pt_format *f = pt->fmt;
	u64 end = va + size;

	if (size == 0 || !ALIGNED(va | size, PAGE_SIZE) || end < va)
		return -EINVAL;
	if (end <= f->va_limit)
		return 0;
	/* The upper canonical half: from -va_limit to the top, end exclusive and not wrapping. */
	if (f->canonical_upper && va >= (u64)0 - f->va_limit && end != 0)
		return 0;
	return -EINVAL;
}

static int alloc_table(struct pt *pt, u64 *pa)
{
	mfn_t mfn;
	int r = frames_alloc(1, pt->owner, &mfn);

	if (r)
		return r;
	pt->tables++;
	*pa = mfn_to_pa(mfn);
	return 0;
}

int pt_init(struct pt *pt, const struct pt_format *fmt, int max_leaf_level, u16 owner)
{
	if (max_leaf_level < 1 || max_leaf_level > 3)
		return -EINVAL;
	pt->fmt = fmt;
	pt->max_leaf_level = max_leaf_level;
	pt->owner = owner;
	pt->tables = 0;
	pt->ctx = 0;
	pt->gen = pt->root_gen = 1; /* and audited 0: this root was never audited */
	pt->dirty_lo = 0;
	pt->dirty_hi = ~0ULL;
	pt->audited[0] = pt->audited[1] = 0;
	return alloc_table(pt, &pt->root_pa);
}

static void destroy_rec(struct pt *pt, u64 table_pa, int level)
{
	u64 *t = pt_table(table_pa);

	for (int i = 0; level > 1 && i < PT_ENTRIES; i++)
		if (pt->fmt->present(t[i]) && !is_leaf(pt, t[i], level))
			destroy_rec(pt, pt_entry_pa(t[i]), level - 1);
	frames_free(pa_to_mfn(table_pa), 1);
	pt->tables--;
}

void pt_destroy(struct pt *pt)
{
	if (!pt->root_pa)
		return;
	destroy_rec(pt, pt->root_pa, PT_LEVELS);
	pt->root_pa = 0;
	pt_note_change(pt);
}

/*
 * Is any page of [va, end) mapped (want_all == false), or is every page
 * mapped (want_all == true)?
 */
static bool range_scan(const struct pt *pt, u64 table_pa, int level, u64 va, u64 end, bool want_all)
{
	const u64 *t = pt_table(table_pa);

	while (va != end) {
		u64 next = entry_end(va, level, end);
		u64 e = t[pt_index(va, level)];

		if (!pt->fmt->present(e)) {
			if (want_all)
				return false;
		} else if (!is_leaf(pt, e, level)) {
			if (range_scan(pt, pt_entry_pa(e), level - 1, va, next, want_all) != want_all)
				return !want_all;
		} else if (!want_all) {
			return true;
		}
		va = next;
	}
	return want_all;
}

/* pt_split() without the final flush_done: for callers that flush once at their end. */
static int split_leaf(struct pt *pt, u64 va, int level)
{
	u64 *t = pt_table(pt->root_pa);
	int l = PT_LEVELS;

	if (level < 2 || level > 3)
		return -EINVAL;
	for (; l > level; l--) {
		u64 e = t[pt_index(va, l)];
		if (!pt->fmt->present(e) || is_leaf(pt, e, l))
			return -EINVAL;
		t = pt_table(pt_entry_pa(e));
	}
	u64 *slot = &t[pt_index(va, level)];
	if (!is_leaf(pt, *slot, level))
		return -EINVAL;

	u64 table_pa;
	int r = alloc_table(pt, &table_pa);
	if (r)
		return r;

	u64 *child = pt_table(table_pa);
	u64 base = pt_entry_pa(*slot) & ~(pt_level_size(level) - 1);
	unsigned int prot = pt->fmt->prot(*slot);
	for (int i = 0; i < PT_ENTRIES; i++)
		child[i] = pt->fmt->make_leaf(base + (u64)i * pt_level_size(level - 1), prot, level - 1);
	/* Same translation either way; the flush drops the large TLB entry. */
	*slot = pt->fmt->make_table(table_pa);
	u64 start = ALIGN_DOWN(va, pt_level_size(level));
	pt_note_write(pt, start, start + pt_level_size(level) - 1, level);
	pt->fmt->flush(pt, start, level);
	return 0;
}

int pt_split(struct pt *pt, u64 va, int level)
{
	int r = split_leaf(pt, va, level);

	if (!r && pt->fmt->flush_done)
		pt->fmt->flush_done(pt);
	return r;
}

/* Splits large leaves until a leaf boundary falls at va (va may be 0 == 2^64: nothing to do). */
static int split_at(struct pt *pt, u64 va)
{
	for (;;) {
		u64 *t = pt_table(pt->root_pa);
		int l = PT_LEVELS;
		u64 e = t[pt_index(va, l)];

		while (l > 1 && pt->fmt->present(e) && !is_leaf(pt, e, l)) {
			t = pt_table(pt_entry_pa(e));
			l--;
			e = t[pt_index(va, l)];
		}
		if (!pt->fmt->present(e) || ALIGNED(va, pt_level_size(l)))
			return 0;
		int r = split_leaf(pt, va, l);
		if (r)
			return r;
	}
}

static int map_rec(struct pt *pt, u64 table_pa, int level, u64 va, u64 end, u64 pa, unsigned int prot)
{
	u64 *t = pt_table(table_pa);

	while (va != end) {
		u64 sz = pt_level_size(level);
		u64 next = entry_end(va, level, end);
		u64 *e = &t[pt_index(va, level)];

		if (level <= pt->max_leaf_level && next - va == sz && ALIGNED(pa, sz) && !pt->fmt->present(*e)) {
			*e = pt->fmt->make_leaf(pa, prot, level);
			pt_note_write(pt, va, next - 1, level);
		} else {
			if (level == 1 || is_leaf(pt, *e, level))
				return -EEXIST; /* excluded by the caller's check */
			if (!pt->fmt->present(*e)) {
				u64 new_pa;
				int r = alloc_table(pt, &new_pa);
				if (r)
					return r;
				*e = pt->fmt->make_table(new_pa);
				pt_note_write(pt, va, next - 1, level);
			}
			int r = map_rec(pt, pt_entry_pa(*e), level - 1, va, next, pa, prot);
			if (r)
				return r;
		}
		pa += next - va;
		va = next;
	}
	return 0;
}

int pt_map(struct pt *pt, u64 va, u64 pa, u64 size, unsigned int prot)
{
	int r = check_range(pt, va, size);

	if (r)
		return r;
	if (!ALIGNED(pa, PAGE_SIZE) || pa + size < pa || pa + size > (1ULL << 52))
		return -EINVAL;
	if (range_scan(pt, pt->root_pa, PT_LEVELS, va, va + size, false))
		return -EEXIST;
	r = map_rec(pt, pt->root_pa, PT_LEVELS, va, va + size, pa, prot);
	if (r) {
		/* Out of table frames half-way: take back what was mapped. */
		u64 done;
		for (done = 0; done < size; done += PAGE_SIZE)
			if (pt_translate(pt, va + done, NULL, NULL, NULL))
				break;
		if (done)
			pt_unmap(pt, va, done);
	}
	return r;
}

/* Clears (prot == ~0u) or re-permissions every leaf in [va, end), which split_at() aligned. */
static void update_rec(struct pt *pt, u64 table_pa, int level, u64 va, u64 end, unsigned int prot)
{
	u64 *t = pt_table(table_pa);

	while (va != end) {
		u64 next = entry_end(va, level, end);
		u64 *e = &t[pt_index(va, level)];

		if (!is_leaf(pt, *e, level)) {
			update_rec(pt, pt_entry_pa(*e), level - 1, va, next, prot);
		} else {
			*e = prot == ~0u ? 0 : pt->fmt->make_leaf(pt_entry_pa(*e), prot, level);
			pt_note_write(pt, va, next - 1, level);
			pt->fmt->flush(pt, va, level);
		}
		va = next;
	}
}

static int update(struct pt *pt, u64 va, u64 size, unsigned int prot)
{
	int r = check_range(pt, va, size);

	if (r)
		return r;
	if (!range_scan(pt, pt->root_pa, PT_LEVELS, va, va + size, true))
		return -ENOENT;
	r = split_at(pt, va);
	if (!r)
		r = split_at(pt, va + size);
	if (r)
		return r;
	update_rec(pt, pt->root_pa, PT_LEVELS, va, va + size, prot);
	if (pt->fmt->flush_done)
		pt->fmt->flush_done(pt);
	return 0;
}

int pt_unmap(struct pt *pt, u64 va, u64 size)
{
	return update(pt, va, size, ~0u);
}

int pt_protect(struct pt *pt, u64 va, u64 size, unsigned int prot)
{
	if (prot == ~0u)
		return -EINVAL;
	return update(pt, va, size, prot);
}

int pt_translate(const struct pt *pt, u64 va, u64 *pa, unsigned int *prot, int *level)
{
	const u64 *t = pt_table(pt->root_pa);

	for (int l = PT_LEVELS; l >= 1; l--) {
		u64 e = t[pt_index(va, l)];

		if (!pt->fmt->present(e))
			return -ENOENT;
		if (is_leaf(pt, e, l)) {
			u64 mask = pt_level_size(l) - 1;
			if (pa)
				*pa = (pt_entry_pa(e) & ~mask) | (va & mask);
			if (prot)
				*prot = pt->fmt->prot(e);
			if (level)
				*level = l;
			return 0;
		}
		t = pt_table(pt_entry_pa(e));
	}
	return -ENOENT; /* not reached: level 1 entries are always leaves */
}

static int leaves_rec(const struct pt *pt, u64 table_pa, int level, u64 base, pt_leaf_fn fn, void *arg)
{
	const u64 *t = pt_table(table_pa);

	for (int i = 0; i < PT_ENTRIES; i++) {
		u64 e = t[i];
		u64 va = base + (u64)i * pt_level_size(level);
		int r;

		if (!pt->fmt->present(e))
			continue;
		if (is_leaf(pt, e, level))
			r = fn(arg, va_sign_extend(va), pt_entry_pa(e) & ~(pt_level_size(level) - 1), level, pt->fmt->prot(e));
		else
			r = leaves_rec(pt, pt_entry_pa(e), level - 1, va, fn, arg);
		if (r)
			return r;
	}
	return 0;
}

int pt_for_each_leaf(const struct pt *pt, pt_leaf_fn fn, void *arg)
{
	return leaves_rec(pt, pt->root_pa, PT_LEVELS, 0, fn, arg);
}
