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
 * Any CPU allocates and frees (a vCPU's VMCS on the AP it runs on, its
 * teardown there), so ft.lock covers the table: the chunks, the arrays,
 * the pool, nfree and the cursor.  Readers of one frame's owner read a
 * uniform chunk's owner without the lock (an owner changes only when its
 * frame is allocated or freed, and a chunk's owner byte is written once per
 * change) and take the lock for a mixed chunk, whose array may be collapsed
 * and reused under them.  The protected bits and counts are shared by frames
 * of several owners and change atomically, without the lock.  The lock
 * order is in include/keyhole/spinlock.h.
 *
 * Owners change in one place, ft_set_run(); protection in one,
 * frame_set_protected().  The allocator is mm/frame_alloc.c; what both
 * share, mm/frame_table.h.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/spinlock.h>
#include "lib/string.h"
#include "mm/frame_table.h"
#include "mm/dmap.h"

typedef u64 __attribute__((may_alias)) u64_alias;

struct frame_table ft;

u64 frames_frees_gen = 1, frames_protects_gen = 1;
/* After the change, as ft_note_free() (mm/frame_table.h). */
static inline void ft_note_protect(void) { __atomic_add_fetch(&frames_protects_gen, 1, __ATOMIC_RELEASE); }

#ifdef KEYHOLE_HOSTED
u64 frames_probes;
#endif

static u64 ft_chunk_end(u64 f)
{
	return (f | (FRAMES_PER_2M - 1)) + 1;
}

static u8 *array_of(u32 idx)
{
	return phys_to_virt((ft.pool_dir[idx / ARRAYS_PER_PAGE] << PAGE_SHIFT) + (idx % ARRAYS_PER_PAGE) * ARRAY_BYTES);
}

static u32 array_get(void)
{
	u32 idx = ft.spare_head;

	if (idx == NO_ARRAY)
		panic("frames: no per-frame array");
	memcpy(&ft.spare_head, array_of(idx), sizeof(ft.spare_head));
	ft.spare--;
	return idx;
}

static void array_put(u32 idx)
{
	memcpy(array_of(idx), &ft.spare_head, sizeof(ft.spare_head));
	ft.spare_head = idx;
	ft.spare++;
}

/* Adds the 8 arrays of the frame at pfn to the pool; the frame's own entry is the caller's. */
void ft_pool_add_page(u64 pfn)
{
	if (ft.pool_pages == ft.pool_dir_max)
		panic("frames: pool directory full");
	ft.pool_dir[ft.pool_pages] = pfn;
	for (u32 i = 0; i < ARRAYS_PER_PAGE; i++)
		array_put((u32)(ft.pool_pages * ARRAYS_PER_PAGE + i));
	ft.pool_pages++;
}

/* Frame f's code and clean bit (as an array entry); under the lock or at init. */
u8 ft_entry(u64 f)
{
	const struct chunk *c = &ft.chunks[f >> CHUNK_SHIFT];

	if (c->code != CODE_MIXED)
		return (u8)(c->code | (c->clean ? E_CLEAN : 0));
	return array_of(c->mix)[f & (FRAMES_PER_2M - 1)];
}

u8 ft_code_of(u64 f)
{
	return ft_entry(f) & E_CODE;
}

/*
 * How many frames from f on, to the end of f's chunk, have f's entry (put
 * in *e): the rest of a uniform chunk, or a stretch of a mixed one.  Every
 * scan walks the table through this; each entry it reads is a probe.  Under
 * the lock or at init.
 */
u64 ft_seg(u64 f, u8 *e)
{
	const struct chunk *c = &ft.chunks[f >> CHUNK_SHIFT];
	u64 g = f, end = ft_chunk_end(f);

	if (c->code != CODE_MIXED) {
		PROBE();
		*e = ft_entry(f);
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
	ft.mixed--;
}

/* Frames [s, e) of one chunk get entry v; a uniform chunk cut in parts takes an array (reserved). */
static __attribute__((noinline)) void chunk_write(u64 s, u64 e, u8 v)
{
	struct chunk *c = &ft.chunks[s >> CHUNK_SHIFT];
	u8 code = v & E_CODE;

	if (e - s == FRAMES_PER_2M) {
		u32 old = c->code == CODE_MIXED ? c->mix : NO_ARRAY;
		c->clean = !!(v & E_CLEAN);
		__atomic_store_n(&c->code, code, __ATOMIC_RELEASE);
		if (old != NO_ARRAY) {
			array_put(old);
			ft.mixed--;
		}
		return;
	}
	if (c->code != CODE_MIXED) {
		u8 was = ft_entry(s);
		if (was == v)
			return;
		u32 idx = array_get();
		memset(array_of(idx), was, ARRAY_BYTES);
		c->mix = idx;
		__atomic_store_n(&c->code, CODE_MIXED, __ATOMIC_RELEASE);
		ft.mixed++;
	}
	memset(array_of(c->mix) + (s & (FRAMES_PER_2M - 1)), v, e - s);
	collapse(c);
}

/*
 * The one place where frames change owner (allocation, free, pool pages,
 * init): [f, f + n) gets owner code, clean or not.  The arrays it needs
 * were reserved (ft_arrays_needed()).
 */
__attribute__((noinline)) void ft_set_run(u64 f, u64 n, u8 code, bool clean)
{
	for (u64 end = f + n, e; f < end; f = e) {
		e = MIN(end, ft_chunk_end(f));
		chunk_write(f, e, (u8)(code | (clean ? E_CLEAN : 0)));
	}
}

/* Does writing entry v over [f, end) split g's chunk, a uniform one whose entry changes? */
static bool splits(u64 g, u64 f, u64 end, u8 v)
{
	u64 s = MAX(f, ALIGN_DOWN(g, FRAMES_PER_2M)), e = MIN(end, ft_chunk_end(g));

	return e - s < FRAMES_PER_2M && ft.chunks[g >> CHUNK_SHIFT].code != CODE_MIXED && ft_entry(g) != v;
}

/* New arrays that writing entry v over [f, f + n) needs: only its two end chunks can be split. */
u64 ft_arrays_needed(u64 f, u64 n, u8 v)
{
	u64 last = f + n - 1;

	return splits(f, f, f + n, v) + ((last >> CHUNK_SHIFT) != (f >> CHUNK_SHIFT) && splits(last, f, f + n, v));
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
	*end = MIN(*end, ft.nframes);
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

	ft.chunks = phys_to_virt(where);
	ft.prot_bits = (u64 *)(ft.chunks + nc);
	ft.pool_dir = ft.prot_bits + nc * (FRAMES_PER_2M / 64);
	memset(ft.chunks, 0, head);
	ft.nframes = n;
	ft.nchunks = nc;
	ft.pool_pages = 0;
	ft.pool_dir_max = dir_max;
	ft.spare_head = NO_ARRAY;
	ft.spare = 0;
	ft.mixed = 0;
	for (u64 i = 0; i < init_pages; i++)
		ft_pool_add_page((where + head) / PAGE_SIZE + i);
	for (u64 c = 0; c < nc; c++)
		ft.chunks[c] = (struct chunk){ CODE_NONRAM, 0, 0, 0 };
	/* The frames past the end of RAM in the last chunk are not RAM either (ft_set_run() works on whole chunks). */

	u64 first, end;
	for (unsigned int i = 0; i < nram; i++) {
		frames_of(ram[i].base, ram[i].len, false, &first, &end);
		ft_set_run(first, end - first, FRAME_FREE, false);
	}
	ft_set_run(where >> PAGE_SHIFT, bytes >> PAGE_SHIFT, FRAME_HV, false);
	/*
	 * Reserved ranges, where they are RAM (reserved RAM stays RAM: it is
	 * direct-mapped), and frame 0, never handed out: a zero pfn is always a
	 * bug.
	 */
	for (unsigned int i = 0; i <= nres; i++) {
		frames_of(i < nres ? res[i].base : 0, i < nres ? res[i].len : 1, true, &first, &end);
		for (u64 f = first, s; f < end; f += s) {
			u8 e;
			s = MIN(ft_seg(f, &e), end - f);
			if ((e & E_CODE) != CODE_NONRAM)
				ft_set_run(f, s, FRAME_RESERVED, false);
		}
	}

	ft.nfree = 0;
	for (u64 f = 0, s; f < n; f += s) {
		u8 e;
		s = MIN(ft_seg(f, &e), n - f);
		ft.nfree += (e & E_CODE) == FRAME_FREE ? s : 0;
	}
	ft.cursor = 0;
	ft_note_free(); /* a new table: any owner may have changed */
	return 0;
}
/* From f on, to its chunk's end or `end`: how many frames have f's code (in *code); a mixed chunk under the lock. */
static __attribute__((noinline)) u64 seg_locked(u64 f, u64 end, u8 *code)
{
	u8 e;

	spin_lock(&ft.lock);
	u64 s = MIN(ft_seg(f, &e), end - f);
	spin_unlock(&ft.lock);
	*code = e & E_CODE;
	return s;
}

/* Frame f's code, read without the lock where its chunk is uniform. */
static inline u8 code_unlocked(u64 f)
{
	u8 code = __atomic_load_n(&ft.chunks[f >> CHUNK_SHIFT].code, __ATOMIC_ACQUIRE);

	if (likely(code != CODE_MIXED))
		return code;
	seg_locked(f, f + 1, &code);
	return code;
}

bool frames_owned_by(mfn_t first, u64 n, u16 owner)
{
	u64 f = mfn_x(first), end = f + n;

	if (end > ft.nframes || end < f)
		return false;
	for (u64 s; f < end; f += s) {
		u8 code = __atomic_load_n(&ft.chunks[f >> CHUNK_SHIFT].code, __ATOMIC_ACQUIRE);
		s = MIN(ft_chunk_end(f), end) - f;
		if (code == CODE_MIXED)
			s = seg_locked(f, end, &code);
		if ((code == CODE_NONRAM ? FRAME_RESERVED : code) != owner)
			return false;
	}
	return true;
}

bool frame_is_ram(mfn_t mfn)
{
	return mfn_x(mfn) < ft.nframes && code_unlocked(mfn_x(mfn)) != CODE_NONRAM;
}

u16 frame_owner(mfn_t mfn)
{
	if (mfn_x(mfn) >= ft.nframes)
		return FRAME_RESERVED;
	u8 code = code_unlocked(mfn_x(mfn));
	return code == CODE_NONRAM ? FRAME_RESERVED : code;
}

bool frame_is_protected(mfn_t mfn)
{
	u64 f = mfn_x(mfn);

	return f < ft.nframes && (__atomic_load_n(&ft.prot_bits[f / 64], __ATOMIC_RELAXED) & (1ULL << (f % 64)));
}

/*
 * The one place where a frame's protection changes.  Two VMs' frames may
 * share a word of bits and a chunk's count and change under their own
 * locks: both are atomic, and the bit's old value decides the count.
 */
void frame_set_protected(mfn_t mfn, bool protected)
{
	u64 f = mfn_x(mfn), bit = 1ULL << (f % 64);

	if (f >= ft.nframes || !frame_owner_is_guest(frame_owner(mfn)))
		panic("frames: protecting frame %#lx, which no guest owns", f);
	if (protected) {
		if (!(__atomic_fetch_or(&ft.prot_bits[f / 64], bit, __ATOMIC_RELAXED) & bit))
			__atomic_add_fetch(&ft.chunks[f >> CHUNK_SHIFT].prot, 1, __ATOMIC_RELAXED);
		ft_note_protect();
	} else {
		if (__atomic_fetch_and(&ft.prot_bits[f / 64], ~bit, __ATOMIC_RELAXED) & bit)
			__atomic_sub_fetch(&ft.chunks[f >> CHUNK_SHIFT].prot, 1, __ATOMIC_RELAXED);
	}
}

bool frames_any_protected(mfn_t first, u64 n)
{
	u64 f = mfn_x(first), end = f + n;

	if (end > ft.nframes || end < f)
		end = ft.nframes;
	while (f < end) {
		u64 e = MIN(end, ft_chunk_end(f));
		if (__atomic_load_n(&ft.chunks[f >> CHUNK_SHIFT].prot, __ATOMIC_RELAXED)) {
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

	if (f >= ft.nframes)
		return;
	spin_lock(&ft.lock);
	u8 v = ft_entry(f) | E_CLEAN;
	/* A hint: where marking would need an array and the pool has no spare, the frame is zeroed again at free. */
	if (ft_arrays_needed(f, 1, v) <= ft.spare)
		chunk_write(f, f + 1, v);
	spin_unlock(&ft.lock);
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

	return chunks * (sizeof(struct chunk) + FRAMES_PER_2M / 8) + chunks / ARRAYS_PER_PAGE * sizeof(*ft.pool_dir);
}

u64 frames_limit(void)
{
	return ft.nframes;
}

u64 frames_free_count(void)
{
	return ft.nfree;
}

u64 frames_mixed_chunks(void)
{
	return ft.mixed;
}

u64 frames_pool_arrays(void)
{
	return ft.pool_pages * ARRAYS_PER_PAGE;
}

/*
 * No lock while fn runs (it may allocate: the direct map's tables, which
 * changes the table under the walk; whether a frame is RAM never changes).
 */
int frames_for_each_ram_run(int (*fn)(void *arg, mfn_t first, u64 n), void *arg)
{
	u64 first = 0;
	bool in = false;

	for (u64 f = 0, s = 1; f <= ft.nframes; f += s) {
		u8 code = CODE_NONRAM;
		if (f < ft.nframes)
			s = seg_locked(f, ft.nframes, &code);
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
