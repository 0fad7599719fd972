/*
 * The frame table and the allocator of contiguous frame runs (see frame.h).
 *
 * The table is kept per 2 MiB chunk (512 frames).  Almost all of memory comes
 * in whole chunks of one owner: guest memory is allocated in 2 MiB-aligned
 * runs, free memory lies in long runs.  A chunk whose frames all have one
 * owner ("uniform") is described by its struct chunk alone: the owner and
 * whether all its frames are known to hold zeros.  A chunk whose frames
 * differ ("mixed": keyhole's own 4 KiB allocations, firmware holes, the
 * edges of RAM ranges and of runs) points to a per-frame array, one byte per
 * frame (owner and clean bit), taken from a pool.  Beside the chunks, one
 * protected bit per frame and a count of protected frames per chunk (the
 * audit skips 2 MiB mappings whose chunk counts none).
 *
 * The pool of per-frame arrays.  At init it gets what the memory map's edges
 * can need (a bound, frames_init()) and a page of spares.  A chunk becomes
 * mixed only by an operation on part of it (an allocation, a free, a clean
 * mark), which needs at most two new arrays (its two edge chunks); before
 * changing anything such an operation makes sure the pool holds them,
 * taking one more frame as a pool page (8 arrays) when it does not:
 *
 *   - an allocation that splits a uniform free chunk takes the page from
 *     that chunk's own free frames outside the run (there is one: the
 *     chunk is split), so it cannot fail for want of an array;
 *   - a free takes the lowest free frame anywhere, and on a machine with
 *     none left the first frame of the run being freed (scrubbed first if a
 *     guest had it): that frame stays keyhole's, as table memory, and the
 *     rest is freed;
 *   - frame_mark_clean() is a hint: with no spare array it drops the
 *     hint (the frame is zeroed again at free, as if unmarked).
 *
 * A pool page is itself recorded in the table (owner FRAME_HV) with the
 * arrays it brings.  Pool pages are never given back: the pool is as big as
 * the most chunks ever mixed at once, and a mixed chunk whose frames come
 * back to one owner returns its array to the pool (collapse()).  The pool's
 * directory is sized at init for its largest possible size (every chunk
 * mixed), one byte per chunk.
 *
 * Allocation is next-fit over the table: keyhole allocates rarely (page
 * tables, guest memory at creation), so a scan is simpler than free lists and
 * makes contiguous runs for guest memory and 2 MiB EPT leaves easy.  The scan
 * reads each entry at most once per pass (a uniform chunk's record counts as
 * one read for all its frames), so a request that cannot be met fails after
 * two passes over the table, whatever its size (find_run()).
 *
 * Any CPU allocates and frees (a vCPU's VMCS on the AP it runs on, its
 * teardown there), so frame_lock covers the table: the chunks, the arrays,
 * the pool, nfree and the cursor.  Readers of one frame's owner read a
 * uniform chunk's owner without the lock (an owner changes only when its
 * frame is allocated or freed, and a chunk's owner byte is written once per
 * change) and take the lock for a mixed chunk, whose array may be collapsed
 * and reused under them.  The protected bits and counts are shared by frames
 * of several owners and change atomically, without the lock.  The lock
 * order is in include/keyhole/spinlock.h.
 *
 * Owners change in one place, set_run(); protection in one,
 * frame_set_protected().
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/spinlock.h>
#include "lib/string.h"
#include "mm/audit.h"
#include "mm/frame.h"
#include "mm/dmap.h"

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

typedef u64 __attribute__((may_alias)) u64_alias;

static struct chunk *ct;       /* one per 2 MiB, through the direct map */
static u64 *prot_bits;         /* one bit per frame */
static u64 *pool_dir;          /* the pfn of each pool page */
static u64 pool_pages, pool_dir_max;
static u32 spare_head;         /* free arrays, linked through their first word */
static u64 spare;
static u64 nframes;            /* table size: one past the last RAM frame */
static u64 nchunks;
static u64 nfree;
static u64 cursor;             /* next-fit start */
static u64 mixed;              /* chunks that are mixed now */
static spinlock_t frame_lock;

#ifdef KEYHOLE_HOSTED
u64 frames_probes;
#define PROBE() (frames_probes++)
#else
#define PROBE() ((void)0)
#endif

static u64 chunk_end(u64 f)
{
	return (f | (FRAMES_PER_2M - 1)) + 1;
}

static u8 *array_of(u32 idx)
{
	return phys_to_virt((pool_dir[idx / ARRAYS_PER_PAGE] << PAGE_SHIFT) + (idx % ARRAYS_PER_PAGE) * ARRAY_BYTES);
}

static u32 array_get(void)
{
	u32 idx = spare_head;

	if (idx == NO_ARRAY)
		panic("frames: no per-frame array");
	memcpy(&spare_head, array_of(idx), sizeof(spare_head));
	spare--;
	return idx;
}

static void array_put(u32 idx)
{
	memcpy(array_of(idx), &spare_head, sizeof(spare_head));
	spare_head = idx;
	spare++;
}

/* Adds the 8 arrays of the frame at pfn to the pool; the frame's own entry is the caller's. */
static void pool_add_page(u64 pfn)
{
	if (pool_pages == pool_dir_max)
		panic("frames: pool directory full");
	pool_dir[pool_pages] = pfn;
	for (u32 i = 0; i < ARRAYS_PER_PAGE; i++)
		array_put((u32)(pool_pages * ARRAYS_PER_PAGE + i));
	pool_pages++;
}

/* Frame f's code and clean bit (as an array entry); under the lock or at init. */
static u8 entry(u64 f)
{
	const struct chunk *c = &ct[f >> CHUNK_SHIFT];

	if (c->code != CODE_MIXED)
		return (u8)(c->code | (c->clean ? E_CLEAN : 0));
	return array_of(c->mix)[f & (FRAMES_PER_2M - 1)];
}

static u8 code_of(u64 f)
{
	return entry(f) & E_CODE;
}

/*
 * How many frames from f on, to the end of f's chunk, have f's entry (put
 * in *e): the rest of a uniform chunk, or a stretch of a mixed one.  Every
 * scan walks the table through this; each entry it reads is a probe.  Under
 * the lock or at init.
 */
static u64 seg(u64 f, u8 *e)
{
	const struct chunk *c = &ct[f >> CHUNK_SHIFT];
	u64 g = f, end = chunk_end(f);

	if (c->code != CODE_MIXED) {
		PROBE();
		*e = entry(f);
		return end - f;
	}
	const u8 *a = array_of(c->mix);
	*e = a[f & (FRAMES_PER_2M - 1)];
	do
		PROBE();
	while (++g < end && a[g & (FRAMES_PER_2M - 1)] == *e);
	return g - f;
}

/*
 * A mixed chunk whose frames all have one code again becomes uniform and
 * gives its array back.  Clean bits that differ are kept (they save zeroing)
 * unless the frames are free: a free chunk collapses anyway and forgets
 * them (its frames are zeroed again when allocated).
 */
static void collapse(struct chunk *c)
{
	const u64_alias *w = (const u64_alias *)array_of(c->mix);
	const u64 ones = 0x0101010101010101ULL, cleans = ones * E_CLEAN;
	u64 code = w[0] & E_CODE, all = ~0ULL, any = 0;

	for (unsigned int i = 0; i < ARRAY_BYTES / 8; i++) {
		if ((w[i] & ~cleans) != code * ones)
			return;
		all &= w[i];
		any |= w[i];
	}
	bool clean = (all & cleans) == cleans;
	if (!clean && (any & cleans) && code != FRAME_FREE)
		return;
	u32 idx = c->mix;
	c->clean = clean;
	__atomic_store_n(&c->code, (u8)code, __ATOMIC_RELEASE);
	array_put(idx);
	mixed--;
}

/* Frames [s, e) of one chunk get entry v; a uniform chunk cut in parts takes an array (reserved). */
static __attribute__((noinline)) void chunk_write(u64 s, u64 e, u8 v)
{
	struct chunk *c = &ct[s >> CHUNK_SHIFT];
	u8 code = v & E_CODE;

	if (e - s == FRAMES_PER_2M) {
		u32 old = c->code == CODE_MIXED ? c->mix : NO_ARRAY;
		c->clean = !!(v & E_CLEAN);
		__atomic_store_n(&c->code, code, __ATOMIC_RELEASE);
		if (old != NO_ARRAY) {
			array_put(old);
			mixed--;
		}
		return;
	}
	if (c->code != CODE_MIXED) {
		u8 was = entry(s);
		if (was == v)
			return;
		u32 idx = array_get();
		memset(array_of(idx), was, ARRAY_BYTES);
		c->mix = idx;
		__atomic_store_n(&c->code, CODE_MIXED, __ATOMIC_RELEASE);
		mixed++;
	}
	memset(array_of(c->mix) + (s & (FRAMES_PER_2M - 1)), v, e - s);
	collapse(c);
}

/*
 * The one place where frames change owner (allocation, free, pool pages,
 * init): [f, f + n) gets owner code, clean or not.  The arrays it needs
 * were reserved (arrays_needed()).
 */
static __attribute__((noinline)) void set_run(u64 f, u64 n, u8 code, bool clean)
{
	for (u64 end = f + n, e; f < end; f = e) {
		e = MIN(end, chunk_end(f));
		chunk_write(f, e, (u8)(code | (clean ? E_CLEAN : 0)));
	}
}

/* Does writing entry v over [f, end) split g's chunk, a uniform one whose entry changes? */
static bool splits(u64 g, u64 f, u64 end, u8 v)
{
	u64 s = MAX(f, ALIGN_DOWN(g, FRAMES_PER_2M)), e = MIN(end, chunk_end(g));

	return e - s < FRAMES_PER_2M && ct[g >> CHUNK_SHIFT].code != CODE_MIXED && entry(g) != v;
}

/* New arrays that writing entry v over [f, f + n) needs: only its two end chunks can be split. */
static u64 arrays_needed(u64 f, u64 n, u8 v)
{
	u64 last = f + n - 1;

	return splits(f, f, f + n, v) + ((last >> CHUNK_SHIFT) != (f >> CHUNK_SHIFT) && splits(last, f, f + n, v));
}

/* Makes pfn, a free frame, a pool page: its 8 arrays first, then its entry (which may take one of them). */
static void grow_pool_at(u64 pfn)
{
	pool_add_page(pfn);
	set_run(pfn, 1, FRAME_HV, false);
	nfree--;
}

#define NO_RUN (~0ULL)
static u64 find_run(u64 from, u64 end, u64 n, u64 align);

/* The lowest free frame outside every run being changed (none is free), or NO_RUN. */
static u64 any_free_frame(void)
{
	return nfree ? find_run(0, nframes, 1, 1) : NO_RUN;
}

static bool range_ok(const struct mm_range *r)
{
	return r->len && r->base + r->len > r->base && r->base + r->len <= (1ULL << MAX_PHYS_BITS);
}

/* Frames of [base, base + len): inner (whole frames inside) or outer (every frame it touches), clipped to the table. */
static void frames_of(u64 base, u64 len, bool outer, u64 *first, u64 *end)
{
	*first = (outer ? ALIGN_DOWN(base, PAGE_SIZE) : ALIGN_UP(base, PAGE_SIZE)) >> PAGE_SHIFT;
	*end = (outer ? ALIGN_UP(base + len, PAGE_SIZE) : ALIGN_DOWN(base + len, PAGE_SIZE)) >> PAGE_SHIFT;
	*end = MIN(*end, nframes);
	if (*first > *end)
		*first = *end;
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

/*
 * The table: the chunk records, the protected bits (64 bytes a chunk), the
 * pool directory (sized for every chunk mixed at once, plus the init pages:
 * the pool grows only when it holds fewer than the two arrays an operation
 * may need, so it never holds more than nchunks + 2 + 8 arrays beyond
 * them), then the init pool pages.  At init a chunk is mixed only where a
 * range boundary falls inside it: two per RAM range, two per reserved range,
 * two for the table, frame 0's end and the end of RAM; a page of spares on
 * top.
 */
__attribute__((cold)) int frames_init(const struct mm_range *ram, unsigned int nram, const struct mm_range *res,
				      unsigned int nres)
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
	u64 nc = ALIGN_UP(n, FRAMES_PER_2M) >> CHUNK_SHIFT;
	u64 init_arrays = 2 * ((u64)nram + nres) + 4 + ARRAYS_PER_PAGE;
	u64 init_pages = ALIGN_UP(init_arrays, ARRAYS_PER_PAGE) / ARRAYS_PER_PAGE;
	u64 dir_max = init_pages + ALIGN_UP(nc + 2 + ARRAYS_PER_PAGE, ARRAYS_PER_PAGE) / ARRAYS_PER_PAGE;
	u64 head = ALIGN_UP(nc * (sizeof(struct chunk) + FRAMES_PER_2M / 8) + dir_max * sizeof(u64), PAGE_SIZE);
	u64 bytes = head + init_pages * PAGE_SIZE;

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

	ct = phys_to_virt(where);
	prot_bits = (u64 *)(ct + nc);
	pool_dir = prot_bits + nc * (FRAMES_PER_2M / 64);
	memset(ct, 0, head);
	nframes = n;
	nchunks = nc;
	pool_pages = 0;
	pool_dir_max = dir_max;
	spare_head = NO_ARRAY;
	spare = 0;
	mixed = 0;
	for (u64 i = 0; i < init_pages; i++)
		pool_add_page((where + head) / PAGE_SIZE + i);
	for (u64 c = 0; c < nc; c++)
		ct[c] = (struct chunk){ CODE_NONRAM, 0, 0, 0 };
	/* The frames past the end of RAM in the last chunk are not RAM either (set_run() works on whole chunks). */

	u64 first, end;
	for (unsigned int i = 0; i < nram; i++) {
		frames_of(ram[i].base, ram[i].len, false, &first, &end);
		set_run(first, end - first, FRAME_FREE, false);
	}
	set_run(where >> PAGE_SHIFT, bytes >> PAGE_SHIFT, FRAME_HV, false);
	/*
	 * Reserved ranges, where they are RAM (reserved RAM stays RAM: it is
	 * direct-mapped), and frame 0, never handed out: a zero pfn is always a
	 * bug.
	 */
	for (unsigned int i = 0; i <= nres; i++) {
		frames_of(i < nres ? res[i].base : 0, i < nres ? res[i].len : 1, true, &first, &end);
		for (u64 f = first, s; f < end; f += s) {
			u8 e;
			s = MIN(seg(f, &e), end - f);
			if ((e & E_CODE) != CODE_NONRAM)
				set_run(f, s, FRAME_RESERVED, false);
		}
	}

	nfree = 0;
	for (u64 f = 0, s; f < n; f += s) {
		u8 e;
		s = MIN(seg(f, &e), n - f);
		nfree += (e & E_CODE) == FRAME_FREE ? s : 0;
	}
	cursor = 0;
	audit_note_free(); /* a new table: any owner may have changed */
	return 0;
}

/*
 * The first run of n free frames that starts at a multiple of align, at or
 * after frame from and ending at or before frame end; NO_RUN if there is none.  First fit with a skip: when
 * frame f + i of the candidate at f is in use, no candidate that starts at or
 * before f + i can hold n free frames, so the next one is the first aligned
 * frame after f + i, and after the s frames in use from there that seg()
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
			s = seg(f + i, &e);
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
		s = MIN(seg(f, &e), end - f);
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
	if (arrays_needed(f, n, (u8)owner) > spare) {
		const struct chunk *c = &ct[f >> CHUNK_SHIFT];
		/* Before the run in its first chunk, or just after it, in the chunk it ends inside. */
		grow_pool_at(c->code == FRAME_FREE && !ALIGNED(f, FRAMES_PER_2M) ? ALIGN_DOWN(f, FRAMES_PER_2M) : f + n);
	}
	zero_unclean(f, n);
	set_run(f, n, (u8)owner, false);
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
	u64 f = n <= nfree ? find_run(0, MIN(nframes, limit_pa >> PAGE_SHIFT), n, 1) : NO_RUN;
	if (f != NO_RUN)
		take_run(f, n, owner); /* the cursor stays: next-fit goes on where it was */
	spin_unlock(&frame_lock);
	if (f == NO_RUN)
		return -ENOMEM;
	*out = _mfn(f);
	return 0;
}

__attribute__((cold)) u64 frames_largest_free_run(void)
{
	u64 best = 0, run = 0;

	spin_lock(&frame_lock);
	for (u64 f = 0, s; f < nframes; f += s) {
		u8 e;
		s = MIN(seg(f, &e), nframes - f);
		run = (e & E_CODE) == FRAME_FREE ? run + s : 0;
		best = MAX(best, run);
	}
	spin_unlock(&frame_lock);
	return best;
}

/* Any frame of [f, f + n) not owned by owner, or protected? */
static bool run_differs(u64 f, u64 n, u8 owner)
{
	for (u64 g = f, s; g < f + n; g += s) {
		u8 e;
		s = seg(g, &e);
		if ((e & E_CODE) != owner)
			return true;
	}
	return frames_any_protected(_mfn(f), n);
}

static int free_locked(u64 f, u64 n)
{
	u8 owner = code_of(f);

	if (owner == FRAME_FREE || owner == FRAME_RESERVED || owner == CODE_NONRAM || run_differs(f, n, owner))
		return -EINVAL;
	bool guest = frame_owner_is_guest(owner);

	/* Invariant 4: a guest's frames are zeroed now, before anybody can have them. */
	if (guest)
		zero_unclean(f, n);
	if (arrays_needed(f, n, guest ? FRAME_FREE | E_CLEAN : FRAME_FREE) > spare) {
		u64 at = any_free_frame();
		if (at != NO_RUN) {
			grow_pool_at(at);
		} else {
			/* Nothing free on the whole machine: the run's first frame (zeroed) becomes the pool page. */
			pool_add_page(f);
			set_run(f, 1, FRAME_HV, false);
			audit_note_free(); /* after the change: a pass that began before it must not count as having seen it */
			if (--n == 0)
				return 0;
			f++;
		}
	}
	set_run(f, n, FRAME_FREE, guest);
	audit_note_free(); /* after the change, as above */
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

/* From f on, to its chunk's end or `end`: how many frames have f's code (in *code); a mixed chunk under the lock. */
static __attribute__((noinline)) u64 seg_locked(u64 f, u64 end, u8 *code)
{
	u8 e;

	spin_lock(&frame_lock);
	u64 s = MIN(seg(f, &e), end - f);
	spin_unlock(&frame_lock);
	*code = e & E_CODE;
	return s;
}

/* Frame f's code, read without the lock where its chunk is uniform. */
static inline u8 code_unlocked(u64 f)
{
	u8 code = __atomic_load_n(&ct[f >> CHUNK_SHIFT].code, __ATOMIC_ACQUIRE);

	if (likely(code != CODE_MIXED))
		return code;
	seg_locked(f, f + 1, &code);
	return code;
}

bool frames_owned_by(mfn_t first, u64 n, u16 owner)
{
	u64 f = mfn_x(first), end = f + n;

	if (end > nframes || end < f)
		return false;
	for (u64 s; f < end; f += s) {
		u8 code = __atomic_load_n(&ct[f >> CHUNK_SHIFT].code, __ATOMIC_ACQUIRE);
		s = MIN(chunk_end(f), end) - f;
		if (code == CODE_MIXED)
			s = seg_locked(f, end, &code);
		if ((code == CODE_NONRAM ? FRAME_RESERVED : code) != owner)
			return false;
	}
	return true;
}

bool frame_is_ram(mfn_t mfn)
{
	return mfn_x(mfn) < nframes && code_unlocked(mfn_x(mfn)) != CODE_NONRAM;
}

u16 frame_owner(mfn_t mfn)
{
	if (mfn_x(mfn) >= nframes)
		return FRAME_RESERVED;
	u8 code = code_unlocked(mfn_x(mfn));
	return code == CODE_NONRAM ? FRAME_RESERVED : code;
}

bool frame_is_protected(mfn_t mfn)
{
	u64 f = mfn_x(mfn);

	return f < nframes && (__atomic_load_n(&prot_bits[f / 64], __ATOMIC_RELAXED) & (1ULL << (f % 64)));
}

/*
 * The one place where a frame's protection changes.  Two VMs' frames may
 * share a word of bits and a chunk's count and change under their own
 * locks: both are atomic, and the bit's old value decides the count.
 */
void frame_set_protected(mfn_t mfn, bool protected)
{
	u64 f = mfn_x(mfn), bit = 1ULL << (f % 64);

	if (f >= nframes || !frame_owner_is_guest(frame_owner(mfn)))
		panic("frames: protecting frame %#lx, which no guest owns", f);
	if (protected) {
		if (!(__atomic_fetch_or(&prot_bits[f / 64], bit, __ATOMIC_RELAXED) & bit))
			__atomic_add_fetch(&ct[f >> CHUNK_SHIFT].prot, 1, __ATOMIC_RELAXED);
		audit_note_protect();
	} else {
		if (__atomic_fetch_and(&prot_bits[f / 64], ~bit, __ATOMIC_RELAXED) & bit)
			__atomic_sub_fetch(&ct[f >> CHUNK_SHIFT].prot, 1, __ATOMIC_RELAXED);
	}
}

bool frames_any_protected(mfn_t first, u64 n)
{
	u64 f = mfn_x(first), end = f + n;

	if (end > nframes || end < f)
		end = nframes;
	while (f < end) {
		u64 e = MIN(end, chunk_end(f));
		if (__atomic_load_n(&ct[f >> CHUNK_SHIFT].prot, __ATOMIC_RELAXED)) {
			if (e - f == FRAMES_PER_2M)
				return true;
			for (u64 g = f; g < e; g++)
				if (frame_is_protected(_mfn(g)))
					return true;
		}
		f = e;
	}
	return false;
}

void frame_mark_clean(mfn_t mfn)
{
	u64 f = mfn_x(mfn);

	if (f >= nframes)
		return;
	spin_lock(&frame_lock);
	u8 v = entry(f) | E_CLEAN;
	/* A hint: where marking would need an array and the pool has no spare, the frame is zeroed again at free. */
	if (arrays_needed(f, 1, v) <= spare)
		chunk_write(f, f + 1, v);
	spin_unlock(&frame_lock);
}

/*
 * Per GiB of a guest's memory, which comes in whole 2 MiB chunks: their
 * records, their protected bits and their share of the pool directory (one
 * entry per 8 chunks).  A run that is not 2 MiB-aligned adds at most two
 * per-frame arrays at its ends (2 x 512 bytes), whatever its size.
 */
u64 frames_table_bytes_per_gib(void)
{
	u64 chunks = SZ_1G / SZ_2M;

	return chunks * (sizeof(struct chunk) + FRAMES_PER_2M / 8) + chunks / ARRAYS_PER_PAGE * sizeof(*pool_dir);
}

u64 frames_limit(void)
{
	return nframes;
}

u64 frames_free_count(void)
{
	return nfree;
}

u64 frames_mixed_chunks(void)
{
	return mixed;
}

u64 frames_pool_arrays(void)
{
	return pool_pages * ARRAYS_PER_PAGE;
}

/*
 * No lock while fn runs (it may allocate: the direct map's tables, which
 * changes the table under the walk; whether a frame is RAM never changes).
 */
int frames_for_each_ram_run(int (*fn)(void *arg, mfn_t first, u64 n), void *arg)
{
	u64 first = 0;
	bool in = false;

	for (u64 f = 0, s = 1; f <= nframes; f += s) {
		u8 code = CODE_NONRAM;
		if (f < nframes)
			s = seg_locked(f, nframes, &code);
		bool ram = code != CODE_NONRAM;
		if (ram && !in)
			first = f;
		if (!ram && in) {
			int r = fn(arg, _mfn(first), f - first);
			if (r)
				return r;
		}
		in = ram;
	}
	return 0;
}
