/*
 * The frame table and the allocator of contiguous frame runs (see frame.h).
 *
 * Allocation is next-fit over the table: keyhole allocates rarely (page
 * tables, guest memory at creation), so a scan is simpler than free lists and
 * makes contiguous runs for guest memory and 2 MiB EPT leaves easy.  The scan
 * reads each entry at most once per pass, so a request that cannot be met
 * fails after two passes over the table, whatever its size (find_run()).
 *
 * Any CPU allocates and frees (a vCPU's VMCS on the AP it runs on, its
 * teardown there), so frame_lock covers the allocator's state: the owners
 * of free frames, nfree and the cursor.  An allocated frame's flags are its
 * owner's to change (a guest's frames under that VM's lock, mm/gmap.c);
 * the per-2 MiB protected counts are shared by frames of several owners
 * and change atomically.  The lock order is in include/keyhole/spinlock.h.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/spinlock.h>
#include "lib/string.h"
#include "mm/audit.h"
#include "mm/frame.h"
#include "mm/dmap.h"

#define F_RAM BIT(0)
#define F_PROTECTED BIT(1)
#define F_CLEAN BIT(2) /* known to hold only zeros */

struct frame {
	u16 owner;
	u8 flags;
	u8 unused;
};

#define FRAMES_PER_2M (SZ_2M / PAGE_SIZE)
/* Far beyond any machine keyhole runs on; bounds the table for a bogus map. */
#define MAX_PHYS_BITS 46

static struct frame *ft;       /* the frame table, through the direct map */
static u16 *prot_per_2m;       /* protected frames in each 2 MiB of RAM */
static u64 nframes;            /* table size: one past the last RAM frame */
static u64 nfree;
static u64 cursor;             /* next-fit start */
static spinlock_t frame_lock;

static bool range_ok(const struct mm_range *r)
{
	return r->len && r->base + r->len > r->base && r->base + r->len <= (1ULL << MAX_PHYS_BITS);
}

static void mark(u64 base, u64 len, bool outer, u16 owner, bool ram)
{
	u64 first = outer ? ALIGN_DOWN(base, PAGE_SIZE) : ALIGN_UP(base, PAGE_SIZE);
	u64 end = outer ? ALIGN_UP(base + len, PAGE_SIZE) : ALIGN_DOWN(base + len, PAGE_SIZE);

	for (u64 pa = first; pa < end && (pa >> PAGE_SHIFT) < nframes; pa += PAGE_SIZE) {
		struct frame *f = &ft[pa >> PAGE_SHIFT];
		f->owner = owner;
		if (ram)
			f->flags |= F_RAM;
	}
}

/* Is [base, base+len) RAM and clear of every reserved range? */
static bool placeable(u64 base, u64 len, const struct mm_range *ram, unsigned int nram,
		      const struct mm_range *res, unsigned int nres)
{
	bool in_ram = false;

	for (unsigned int i = 0; i < nram; i++)
		if (base >= ram[i].base && base + len <= ram[i].base + ram[i].len)
			in_ram = true;
	for (unsigned int i = 0; in_ram && i < nres; i++)
		if (base < res[i].base + res[i].len && res[i].base < base + len)
			return false;
	return in_ram;
}

int frames_init(const struct mm_range *ram, unsigned int nram, const struct mm_range *res, unsigned int nres)
{
	u64 limit = 0;

	if (nram == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < nram; i++) {
		if (!range_ok(&ram[i]))
			return -EINVAL;
		limit = MAX(limit, ALIGN_DOWN(ram[i].base + ram[i].len, PAGE_SIZE));
	}
	for (unsigned int i = 0; i < nres; i++)
		if (!range_ok(&res[i]))
			return -EINVAL;

	u64 n = limit >> PAGE_SHIFT;
	u64 bytes = ALIGN_UP(n * sizeof(struct frame) + (n / FRAMES_PER_2M + 1) * sizeof(u16), PAGE_SIZE);

	/* The table goes into the lowest RAM above 1 MiB (low memory stays for real-mode needs). */
	u64 where = ~0ULL;
	for (unsigned int i = 0; i < nram; i++) {
		for (u64 pa = ALIGN_UP(MAX(ram[i].base, 0x100000), PAGE_SIZE);
		     pa + bytes <= ram[i].base + ram[i].len; pa += PAGE_SIZE) {
			if (placeable(pa, bytes, ram, nram, res, nres)) {
				where = MIN(where, pa);
				break;
			}
		}
	}
	if (where == ~0ULL) {
		log_err("frames: no RAM run of %lu KiB for the frame table", bytes >> 10);
		return -ENOMEM;
	}

	ft = phys_to_virt(where);
	prot_per_2m = (u16 *)(ft + n);
	nframes = n;
	memset(ft, 0, bytes);
	for (u64 i = 0; i < n; i++)
		ft[i].owner = FRAME_RESERVED;
	for (unsigned int i = 0; i < nram; i++)
		mark(ram[i].base, ram[i].len, false, FRAME_FREE, true);
	for (unsigned int i = 0; i < nres; i++)
		mark(res[i].base, res[i].len, true, FRAME_RESERVED, false);
	mark(where, bytes, true, FRAME_HV, false);
	ft[0].owner = FRAME_RESERVED; /* frame 0 is never handed out: a zero pfn is always a bug */

	nfree = 0;
	for (u64 i = 0; i < n; i++)
		if (ft[i].owner == FRAME_FREE)
			nfree++;
	cursor = 0;
	audit_note_free(); /* a new table: any owner may have changed */
	return 0;
}

#ifdef KEYHOLE_HOSTED
u64 frames_probes;
#endif

/* Is frame f free?  Every table read of an allocation scan is one of these (frames_probes). */
static bool probe_free(u64 f)
{
#ifdef KEYHOLE_HOSTED
	frames_probes++;
#endif
	return ft[f].owner == FRAME_FREE;
}

#define NO_RUN (~0ULL)

/*
 * The first run of n free frames that starts at a multiple of align, at or
 * after frame from and ending at or before frame end; NO_RUN if there is none.  First fit with a skip: when
 * frame f + i of the candidate at f is in use, no candidate that starts at or
 * before f + i can hold n free frames, so the next one is the first aligned
 * frame after f + i.  Candidates only move forward past every frame read, so
 * a call reads each table entry at most once: a failing request costs one
 * pass over the table, not (frames x n) as re-scanning from every start did.
 */
static u64 find_run(u64 from, u64 end, u64 n, u64 align)
{
	for (u64 f = ALIGN_UP(from, align); f + n <= end;) {
		u64 i = 0;

		while (i < n && probe_free(f + i))
			i++;
		if (i == n)
			return f;
		f = ALIGN_UP(f + i + 1, align);
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

/* Hands out the run at f: zeroed, owned. */
static void take_run(u64 f, u64 n, u16 owner)
{
	for (u64 i = f; i < f + n; i++) {
		if (!(ft[i].flags & F_CLEAN))
			memset(phys_to_virt(i << PAGE_SHIFT), 0, PAGE_SIZE);
		ft[i].owner = owner;
		ft[i].flags &= ~F_CLEAN;
	}
	nfree -= n;
}

static int alloc_aligned_locked(u64 n, u64 align, u16 owner, mfn_t *out)
{
	/* More than the machine has is a request that does not fit, like any other. */
	if (n > nfree)
		return -ENOMEM;

	/* Next-fit: from the cursor to the end, then from 0. */
	u64 f = find_run(cursor, nframes, n, align);
	if (f == NO_RUN)
		f = find_run(0, nframes, n, align);
	if (f == NO_RUN)
		return -ENOMEM;
	take_run(f, n, owner);
	cursor = f + n;
	*out = _mfn(f);
	return 0;
}

int frames_alloc_aligned(u64 n, u64 align, u16 owner, mfn_t *out)
{
	if (!alloc_args_ok(n, align, owner))
		return -EINVAL;
	spin_lock(&frame_lock);
	int r = alloc_aligned_locked(n, align, owner, out);
	spin_unlock(&frame_lock);
	return r;
}

int frames_alloc_below(u64 n, u64 limit_pa, u16 owner, mfn_t *out)
{
	if (!alloc_args_ok(n, 1, owner))
		return -EINVAL;
	spin_lock(&frame_lock);
	u64 f = find_run(0, MIN(nframes, limit_pa >> PAGE_SHIFT), n, 1);
	if (f != NO_RUN)
		take_run(f, n, owner); /* the cursor stays: next-fit goes on where it was */
	spin_unlock(&frame_lock);
	if (f == NO_RUN)
		return -ENOMEM;
	*out = _mfn(f);
	return 0;
}

u64 frames_largest_free_run(void)
{
	u64 best = 0, run = 0;

	spin_lock(&frame_lock);
	for (u64 f = 0; f < nframes; f++) {
		run = probe_free(f) ? run + 1 : 0;
		best = MAX(best, run);
	}
	spin_unlock(&frame_lock);
	return best;
}

static int free_locked(u64 f, u64 n)
{
	u16 owner = ft[f].owner;
	if (owner == FRAME_FREE || owner == FRAME_RESERVED)
		return -EINVAL;
	for (u64 i = f; i < f + n; i++)
		if (ft[i].owner != owner || (ft[i].flags & F_PROTECTED))
			return -EINVAL;

	for (u64 i = f; i < f + n; i++) {
		if (frame_owner_is_guest(owner) && !(ft[i].flags & F_CLEAN)) {
			memset(phys_to_virt(i << PAGE_SHIFT), 0, PAGE_SIZE);
			ft[i].flags |= F_CLEAN;
		}
		ft[i].owner = FRAME_FREE;
	}
	audit_note_free();
	nfree += n;
	/* Next-fit restarts at the lowest freed frame: memory is reused before new memory is touched. */
	cursor = MIN(cursor, f);
	return 0;
}

int frames_free(mfn_t first, u64 n)
{
	u64 f = mfn_x(first);

	if (n == 0 || f >= nframes || n > nframes - f)
		return -EINVAL;
	spin_lock(&frame_lock);
	int r = free_locked(f, n);
	spin_unlock(&frame_lock);
	return r;
}

bool frame_is_ram(mfn_t mfn)
{
	return mfn_x(mfn) < nframes && (ft[mfn_x(mfn)].flags & F_RAM);
}

u16 frame_owner(mfn_t mfn)
{
	return mfn_x(mfn) < nframes ? ft[mfn_x(mfn)].owner : FRAME_RESERVED;
}

bool frame_is_protected(mfn_t mfn)
{
	return mfn_x(mfn) < nframes && (ft[mfn_x(mfn)].flags & F_PROTECTED);
}

void frame_set_protected(mfn_t mfn, bool protected)
{
	u64 f = mfn_x(mfn);

	if (f >= nframes || !frame_owner_is_guest(ft[f].owner))
		panic("frames: protecting frame %#lx, which no guest owns", f);
	if (!!(ft[f].flags & F_PROTECTED) == protected)
		return;
	/* Two VMs' frames may share a 2 MiB and change under their own locks: the count is atomic. */
	if (protected) {
		ft[f].flags |= F_PROTECTED;
		__atomic_add_fetch(&prot_per_2m[f / FRAMES_PER_2M], 1, __ATOMIC_RELAXED);
		audit_note_protect();
	} else {
		ft[f].flags &= ~F_PROTECTED;
		__atomic_sub_fetch(&prot_per_2m[f / FRAMES_PER_2M], 1, __ATOMIC_RELAXED);
	}
}

bool frames_any_protected(mfn_t first, u64 n)
{
	u64 f = mfn_x(first), end = f + n;

	if (end > nframes)
		end = nframes;
	while (f < end) {
		if (ALIGNED(f, FRAMES_PER_2M) && end - f >= FRAMES_PER_2M) {
			if (prot_per_2m[f / FRAMES_PER_2M])
				return true;
			f += FRAMES_PER_2M;
		} else {
			if (ft[f].flags & F_PROTECTED)
				return true;
			f++;
		}
	}
	return false;
}

void frame_mark_clean(mfn_t mfn)
{
	if (mfn_x(mfn) < nframes)
		ft[mfn_x(mfn)].flags |= F_CLEAN;
}

u64 frames_table_bytes_per_frame(void)
{
	return sizeof(struct frame);
}

u64 frames_limit(void)
{
	return nframes;
}

u64 frames_free_count(void)
{
	return nfree;
}

int frames_for_each_ram_run(int (*fn)(void *arg, mfn_t first, u64 n), void *arg)
{
	for (u64 f = 0; f < nframes;) {
		if (!(ft[f].flags & F_RAM)) {
			f++;
			continue;
		}
		u64 s = f;
		while (f < nframes && (ft[f].flags & F_RAM))
			f++;
		int r = fn(arg, _mfn(s), f - s);
		if (r)
			return r;
	}
	return 0;
}
