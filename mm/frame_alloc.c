/*
 * The allocator of contiguous frame runs over the frame table (see frame.h;
 * the table itself is mm/frame.c, what both share mm/frame_table.h).
 *
 * Allocation is next-fit over the table: keyhole allocates rarely (page
 * tables, guest memory at creation), so a scan is simpler than free lists and
 * makes contiguous runs for guest memory and 2 MiB EPT leaves easy.  The scan
 * reads each entry at most once per pass (a uniform chunk's record counts as
 * one read for all its frames), so a request that cannot be met fails after
 * two passes over the table, whatever its size (find_run()).
 *
 * Every call holds ft.lock: the owners of free frames, nfree and the cursor
 * are the allocator's state.
 */
#include <keyhole/panic.h>
#include "lib/string.h"
#include "mm/dmap.h"
#include "mm/frame_table.h"

/* Makes pfn, a free frame, a pool page: its 8 arrays first, then its entry (which may take one of them). */
static void grow_pool_at(u64 pfn)
{
	ft_pool_add_page(pfn);
	ft_set_run(pfn, 1, FRAME_HV, false);
	ft.nfree--;
}

#define NO_RUN (~0ULL)
static u64 find_run(u64 from, u64 end, u64 n, u64 align);

/* The lowest free frame outside every run being changed (none is free), or NO_RUN. */
static u64 any_free_frame(void)
{
	return ft.nfree ? find_run(0, ft.nframes, 1, 1) : NO_RUN;
}
/*
 * The first run of n free frames that starts at a multiple of align, at or
 * after frame from and ending at or before frame end; NO_RUN if there is none.  First fit with a skip: when
 * frame f + i of the candidate at f is in use, no candidate that starts at or
 * before f + i can hold n free frames, so the next one is the first aligned
 * frame after f + i, and after the s frames in use from there that ft_seg()
 * sees at once (the rest of a uniform chunk).  A uniform free chunk is read
 * once for all its frames.
 * Candidates only move forward past every frame read, so a call reads each
 * entry at most once: a failing request costs one pass over the table, not
 * (frames x n) as re-scanning from every start did.  Every read is a probe
 * (frames_probes).
 */
static u64 find_run(u64 from, u64 end, u64 n, u64 align)
{
	for (u64 f = ALIGN_UP(from, align), i, s; n <= end && f <= end - n; f = ALIGN_UP(f + i + s, align)) {
		u8 e;
		for (i = 0; i < n; i += MIN(n - i, s)) {
			s = ft_seg(f + i, &e);
			if ((e & E_CODE) != FRAME_FREE)
				break;
		}
		if (i >= n)
			return f;
		if (ALIGN_UP(f + i + s, align) <= f)
			break; /* ALIGN_UP wrapped: nothing further */
	}
	return NO_RUN;
}

int frames_alloc(u64 n, u16 owner, mfn_t *out)
{
	return frames_alloc_aligned(n, 1, owner, out);
}

static bool alloc_args_ok(u64 n, u64 align, u16 owner)
{
	return n != 0 && align != 0 && !(align & (align - 1)) && owner != FRAME_FREE && owner != FRAME_RESERVED &&
	       owner < FRAME_GUEST0 + FRAME_MAX_GUESTS;
}

/* Zeroes the frames of [f, f + n) not known to be zero: whole uniform chunks at once. */
static void zero_unclean(u64 f, u64 n)
{
	for (u64 end = f + n, s; f < end; f += s) {
		u8 e;
		s = MIN(ft_seg(f, &e), end - f);
		if (!(e & E_CLEAN))
			memset(phys_to_virt(f << PAGE_SHIFT), 0, s << PAGE_SHIFT);
	}
}

/*
 * Hands out the free run at f: zeroed, owned.  A uniform free chunk it
 * splits has free frames outside the run: one of them becomes a pool page
 * if the pool is short, so nothing here can fail.
 */
static void take_run(u64 f, u64 n, u16 owner)
{
	if (ft_arrays_needed(f, n, (u8)owner) > ft.spare) {
		const struct chunk *c = &ft.chunks[f >> CHUNK_SHIFT];
		/* Before the run in its first chunk, or just after it, in the chunk it ends inside. */
		grow_pool_at(c->code == FRAME_FREE && !ALIGNED(f, FRAMES_PER_2M) ? ALIGN_DOWN(f, FRAMES_PER_2M) : f + n);
	}
	zero_unclean(f, n);
	ft_set_run(f, n, (u8)owner, false);
	ft.nfree -= n;
}

static int alloc_aligned_locked(u64 n, u64 align, u16 owner, mfn_t *out)
{
	/* More than the machine has is a request that does not fit, like any other. */
	if (n > ft.nfree)
		return -ENOMEM;

	/* Next-fit: from the cursor to the end, then from 0. */
	u64 f = find_run(ft.cursor, ft.nframes, n, align);
	if (f == NO_RUN)
		f = find_run(0, ft.nframes, n, align);
	if (f == NO_RUN)
		return -ENOMEM;
	take_run(f, n, owner);
	ft.cursor = f + n;
	*out = _mfn(f);
	return 0;
}

int frames_alloc_aligned(u64 n, u64 align, u16 owner, mfn_t *out)
{
	if (!alloc_args_ok(n, align, owner))
		return -EINVAL;
	spin_lock(&ft.lock);
	int r = alloc_aligned_locked(n, align, owner, out);
	spin_unlock(&ft.lock);
	return r;
}

int frames_alloc_below(u64 n, u64 limit_pa, u16 owner, mfn_t *out)
{
	if (!alloc_args_ok(n, 1, owner))
		return -EINVAL;
	spin_lock(&ft.lock);
	u64 f = n <= ft.nfree ? find_run(0, MIN(ft.nframes, limit_pa >> PAGE_SHIFT), n, 1) : NO_RUN;
	if (f != NO_RUN)
		take_run(f, n, owner); /* the cursor stays: next-fit goes on where it was */
	spin_unlock(&ft.lock);
	if (f == NO_RUN)
		return -ENOMEM;
	*out = _mfn(f);
	return 0;
}

__attribute__((cold)) u64 frames_largest_free_run(void)
{
	u64 best = 0, run = 0;

	spin_lock(&ft.lock);
	for (u64 f = 0, s; f < ft.nframes; f += s) {
		u8 e;
		s = MIN(ft_seg(f, &e), ft.nframes - f);
		run = (e & E_CODE) == FRAME_FREE ? run + s : 0;
		best = MAX(best, run);
	}
	spin_unlock(&ft.lock);
	return best;
}

/* Any frame of [f, f + n) not owned by owner, or protected? */
static bool run_differs(u64 f, u64 n, u8 owner)
{
	for (u64 g = f, s; g < f + n; g += s) {
		u8 e;
		s = ft_seg(g, &e);
		if ((e & E_CODE) != owner)
			return true;
	}
	return frames_any_protected(_mfn(f), n);
}

static int free_locked(u64 f, u64 n)
{
	u8 owner = ft_code_of(f);

	if (owner == FRAME_FREE || owner == FRAME_RESERVED || owner == CODE_NONRAM || run_differs(f, n, owner))
		return -EINVAL;
	bool guest = frame_owner_is_guest(owner);

	/* Invariant 4: a guest's frames are zeroed now, before anybody can have them. */
	if (guest)
		zero_unclean(f, n);
	if (ft_arrays_needed(f, n, guest ? FRAME_FREE | E_CLEAN : FRAME_FREE) > ft.spare) {
		u64 at = any_free_frame();
		if (at != NO_RUN) {
			grow_pool_at(at);
		} else {
			/* Nothing free on the whole machine: the run's first frame (zeroed) becomes the pool page. */
			ft_pool_add_page(f);
			ft_set_run(f, 1, FRAME_HV, false);
			ft_note_free(); /* after the change: a pass that began before it must not count as having seen it */
			if (--n == 0)
				return 0;
			f++;
		}
	}
	ft_set_run(f, n, FRAME_FREE, guest);
	ft_note_free(); /* after the change, as above */
	ft.nfree += n;
	/* Next-fit restarts at the lowest freed frame: memory is reused before new memory is touched. */
	ft.cursor = MIN(ft.cursor, f);
	return 0;
}

int frames_free(mfn_t first, u64 n)
{
	u64 f = mfn_x(first);

	if (n == 0 || f >= ft.nframes || n > ft.nframes - f)
		return -EINVAL;
	spin_lock(&ft.lock);
	int r = free_locked(f, n);
	spin_unlock(&ft.lock);
	return r;
}
