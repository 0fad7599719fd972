/*
 * Guest memory, its protection, and the guest-map contract (see gmap.h).
 *
 * Order of operations keeps invariant 1 true at every instant: a frame is
 * taken out of the direct map before it is flagged protected, and unflagged
 * before it is put back.
 *
 * Protection changes against live mappings (gmap.h has the rule): a change
 * sets `changing` under the lock and waits, lock dropped, for `mappers` to
 * drain; meanwhile gmap_map() lets no new mapping start unless its CPU
 * already holds one of this VM (depth[cpu]), which nests.  Once mappers is
 * zero no CPU holds a mapping, so none can start, and the change runs under
 * the lock with nothing mapped.  The waits spin through arch_spin_wait(), so
 * a waiting CPU serves the shootdown the change may ask of it
 * (keyhole/spinlock.h).
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include "mm/gmap.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/frame.h"

#define FRAMES_PER_2M (SZ_2M / PAGE_SIZE)

/* The slot of gfn: one compare for the usual guest of one slot, the search otherwise. */
static inline struct mem_slot *find_slot(const struct guest_mem *m, gfn_t gfn)
{
	if (likely(m->nslots == 1)) {
		const struct mem_slot *s = &m->slot[0];
		return gfn_x(gfn) >= gfn_x(s->gfn) && gfn_x(gfn) - gfn_x(s->gfn) < s->npages ? (struct mem_slot *)s : NULL;
	}
	for (unsigned int i = 0; i < m->nslots; i++) {
		const struct mem_slot *s = &m->slot[i];
		if (gfn_x(gfn) >= gfn_x(s->gfn) && gfn_x(gfn) - gfn_x(s->gfn) < s->npages)
			return (struct mem_slot *)s;
	}
	return NULL;
}

/* Where slot page i's dirty bit goes: its bit in the log, or before the slot has one, `written`. */
static u64 *dirty_word(struct mem_slot *s, u64 i, u64 *bit)
{
	u64 *log = __atomic_load_n(&s->dirty, __ATOMIC_ACQUIRE);

	*bit = log ? 1ULL << (i % 64) : 1;
	return log ? &log[i / 64] : &s->written;
}

int guest_mem_lookup(const struct guest_mem *m, gfn_t gfn, mfn_t *mfn)
{
	const struct mem_slot *s = find_slot(m, gfn);

	if (!s)
		return -EINVAL;
	*mfn = _mfn(mfn_x(s->mfn) + gfn_x(gfn) - gfn_x(s->gfn));
	return 0;
}

u64 guest_mem_pages(const struct guest_mem *m)
{
	u64 n = 0;

	for (unsigned int i = 0; i < m->nslots; i++)
		n += m->slot[i].npages;
	return n;
}

/* Is every page of [gfn, gfn + n) guest memory?  n == 0 and wrapping are not. */
static bool range_valid(const struct guest_mem *m, gfn_t gfn, u64 n)
{
	u64 g = gfn_x(gfn);

	if (n == 0 || g + n < g)
		return false;
	while (n) {
		const struct mem_slot *s = find_slot(m, _gfn(g));
		if (!s)
			return false;
		u64 left = gfn_x(s->gfn) + s->npages - g;
		u64 step = MIN(n, left);
		g += step;
		n -= step;
	}
	return true;
}

int guest_mem_init(struct guest_mem *m, unsigned int id)
{
	if (id >= FRAME_MAX_GUESTS)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->owner = frame_owner_guest(id);
	return 0;
}

/* Changes the protection of slot pages [first, first + n) in runs, direct map first. */
static int set_protection(struct mem_slot *s, u64 first, u64 n, bool protect)
{
	u64 i = first, end = first + n;

	while (i < end) {
		if (frame_is_protected(_mfn(mfn_x(s->mfn) + i)) == protect) {
			i++;
			continue;
		}
		u64 run = i;
		while (run < end && frame_is_protected(_mfn(mfn_x(s->mfn) + run)) != protect)
			run++;
		mfn_t m = _mfn(mfn_x(s->mfn) + i);
		int r;
		if (protect) {
			r = direct_map_remove(m, run - i);
			for (u64 k = 0; !r && k < run - i; k++)
				frame_set_protected(_mfn(mfn_x(m) + k), true);
		} else {
			for (u64 k = 0; k < run - i; k++)
				frame_set_protected(_mfn(mfn_x(m) + k), false);
			r = direct_map_restore(m, run - i);
		}
		if (r)
			panic("gmap: direct map out of step with frame %#lx's protection (%d)", mfn_x(m), r);
		i = run;
	}
	return 0;
}

int guest_mem_add(struct guest_mem *m, gfn_t gfn, u64 npages, const struct mem_slot **slot)
{
	u64 g = gfn_x(gfn);
	int r;

	if (npages == 0 || g + npages < g || ((g + npages) << PAGE_SHIFT) >> PAGE_SHIFT != g + npages ||
	    m->nslots == GUEST_MEM_SLOTS)
		return -EINVAL;
	for (unsigned int i = 0; i < m->nslots; i++)
		if (g < gfn_x(m->slot[i].gfn) + m->slot[i].npages && gfn_x(m->slot[i].gfn) < g + npages)
			return -EINVAL;

	struct mem_slot *s = &m->slot[m->nslots];
	/*
	 * 2 MiB-aligned host frames let the EPT use 2 MiB leaves; failing that,
	 * any run will do.  Each attempt reads the frame table at most twice
	 * (frames_alloc_aligned), so a request that fits nowhere fails fast.
	 */
	bool big = ALIGNED(g, FRAMES_PER_2M) && npages >= FRAMES_PER_2M;
	r = frames_alloc_aligned(npages, big ? FRAMES_PER_2M : 1, m->owner, &s->mfn);
	if (r && big)
		r = frames_alloc(npages, m->owner, &s->mfn);
	if (r)
		return r;
	s->dirty = NULL; /* the dirty log comes with the first ask: dirty_log_start() */
	s->dirty_frames = 0;
	s->written = 0;
	s->gfn = gfn;
	s->npages = npages;

	spin_lock(&m->lock);
	m->nslots++;
	if (m->protected_mode)
		set_protection(s, 0, npages, true);
	m->generation++;
	spin_unlock(&m->lock);
	if (slot)
		*slot = s;
	return 0;
}

/* Zeroes a protected frame through the scrub slot, so its contents never reappear in the direct map. */
static void scrub_protected(mfn_t mfn)
{
	void *va;

	if (fixmap_set(FIX_SCRUB, mfn, &va))
		panic("gmap: the scrub slot is busy");
	memset(va, 0, PAGE_SIZE);
	fixmap_clear(FIX_SCRUB);
	frame_mark_clean(mfn);
}

/* Scrubs and frees a slot's frames and its dirty log; called with the lock held and no mapping live. */
static void release_slot(struct guest_mem *m, struct mem_slot *s)
{
	for (u64 k = 0; k < s->npages; k++) {
		mfn_t f = _mfn(mfn_x(s->mfn) + k);
		if (frame_is_protected(f))
			scrub_protected(f);
	}
	set_protection(s, 0, s->npages, false);
	if (frames_free(s->mfn, s->npages) || (s->dirty && frames_free(s->dirty_mfn, s->dirty_frames)))
		panic("gmap: VM %u's frames were not its own", m->id);
}

/*
 * Spins, lock dropped, until the VM's word at p reads zero; returns with the
 * lock held again (the caller looks once more: it may have changed back).
 */
static void wait_for_zero(struct guest_mem *m, const u32 *p)
{
	spin_unlock(&m->lock);
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE))
		arch_spin_wait();
	spin_lock(&m->lock);
}

/*
 * Called with the lock held; returns with it held, this change the only one
 * and no mapping of the VM live.  Changes serialize: a second one waits for
 * the first to finish, then for the drain like any other.  A CPU that holds a
 * mapping of this VM would wait for itself forever: that is a caller's bug.
 */
static void change_begin(struct guest_mem *m)
{
	unsigned int cpu = arch_cpu_id();

	if (m->depth[cpu]) {
		spin_unlock(&m->lock);
		panic("gmap: VM %u: a protection change on cpu %u, which holds %u of its mappings, would wait for "
		      "itself", m->id, cpu, m->depth[cpu]);
	}
	while (m->changing)
		wait_for_zero(m, &m->changing);
	/*
	 * Sequentially consistent (an XCHG): the store must be visible before
	 * mappers is read, since the cached fast path of gmap_map() raises
	 * mappers before it reads changing without the lock (store-then-load
	 * ordering, SDM Vol. 3A 9.2.3.4: only a locked instruction or a fence
	 * keeps a load from passing an earlier store).  One of the two sees the
	 * other.
	 */
	__atomic_store_n(&m->changing, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&m->mappers, __ATOMIC_SEQ_CST))
		wait_for_zero(m, &m->mappers);
}

static void change_end(struct guest_mem *m)
{
	__atomic_store_n(&m->generation, m->generation + 1, __ATOMIC_RELAXED); /* read without the lock by the fast path */
	__atomic_store_n(&m->changing, 0, __ATOMIC_RELEASE);
}

void guest_mem_remove_last(struct guest_mem *m)
{
	spin_lock(&m->lock);
	if (m->mappers)
		panic("gmap: removing memory of VM %u with %u live mappings", m->id, m->mappers);
	if (m->nslots)
		release_slot(m, &m->slot[--m->nslots]);
	m->generation++;
	spin_unlock(&m->lock);
}

void guest_mem_destroy(struct guest_mem *m)
{
	spin_lock(&m->lock);
	if (m->mappers)
		panic("gmap: destroying VM %u with %u live mappings", m->id, m->mappers);
	for (unsigned int i = 0; i < m->nslots; i++)
		release_slot(m, &m->slot[i]);
	m->nslots = 0;
	m->protected_mode = false;
	m->generation++;
	spin_unlock(&m->lock);
}

int guest_mem_protect_all(struct guest_mem *m)
{
	spin_lock(&m->lock);
	change_begin(m);
	for (unsigned int i = 0; i < m->nslots; i++)
		set_protection(&m->slot[i], 0, m->slot[i].npages, true);
	m->protected_mode = true;
	change_end(m);
	spin_unlock(&m->lock);
	return 0;
}

static int change_range(struct guest_mem *m, gfn_t gfn, u64 npages, bool protect)
{
	int r = 0;

	spin_lock(&m->lock);
	if (!range_valid(m, gfn, npages))
		r = -EINVAL;
	else if (!m->protected_mode)
		r = -EPERM;
	if (r) {
		spin_unlock(&m->lock);
		log_debug("gmap: VM %u: %s gfn %#lx + %lu pages refused (%d)", m->id,
			 protect ? "unshare" : "share", gfn_x(gfn), npages, r);
		return r;
	}
	/* Slots and protected_mode change only at creation and teardown: what was checked still holds. */
	change_begin(m);
	for (u64 g = gfn_x(gfn), left = npages; left;) {
		struct mem_slot *s = find_slot(m, _gfn(g));
		u64 first = g - gfn_x(s->gfn);
		u64 step = MIN(left, s->npages - first);
		set_protection(s, first, step, protect);
		g += step;
		left -= step;
	}
	change_end(m);
	spin_unlock(&m->lock);
	return 0;
}

int guest_mem_share(struct guest_mem *m, gfn_t gfn, u64 npages)
{
	return change_range(m, gfn, npages, false);
}

int guest_mem_unshare(struct guest_mem *m, gfn_t gfn, u64 npages)
{
	return change_range(m, gfn, npages, true);
}

/*
 * Mapping needs no lock (gmap_map_fast() in gmap.h is the same protocol for
 * a warm cache).  The mapping is counted first (a locked add, a full
 * barrier), then changing is read: a change that sets changing before it
 * reads mappers (change_begin) either is seen here, and the mapping backs
 * off and waits, or sees this mapping and waits for it.  Once counted with
 * no change under way, nothing gmap_map() reads can change until the
 * mapping is gone: the slots change only while no vCPU runs, a frame's
 * protection and the generation only inside a change (which bumps the
 * generation before it clears changing, so a cache from before a finished
 * change is seen stale).  The writer's preference holds: while a change
 * waits, new mappings back off, except on a CPU that holds one already,
 * which nests (DIAG_COPY maps the destination under the source): the
 * change waits for the outer one, so holding the inner one off would
 * deadlock, and it cannot be running while this CPU holds one.
 */
static inline void count_mapping(struct guest_mem *m, unsigned int cpu)
{
	for (;;) {
		__atomic_add_fetch(&m->mappers, 1, __ATOMIC_SEQ_CST);
		if (likely(!__atomic_load_n(&m->changing, __ATOMIC_SEQ_CST)) || m->depth[cpu])
			return;
		__atomic_sub_fetch(&m->mappers, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&m->changing, __ATOMIC_ACQUIRE))
			arch_spin_wait();
	}
}

int gmap_map(struct guest_mem *m, gfn_t gfn, struct gmap *map, struct gfn_cache *cache, bool atomic)
{
	mfn_t mfn;
	bool protected;
	void *hva = NULL;

	(void)atomic; /* a fixmap slot never sleeps: atomic callers need nothing different */
	if (!map)
		return -EINVAL;
	map->hva = NULL;

	unsigned int cpu = arch_cpu_id();
	count_mapping(m, cpu);
	/*
	 * One reading of the generation for the compare and the fill, before
	 * the slot's dirty log is looked at: dirty_log_start() publishes the log
	 * before it bumps the generation, so a cache filled with this generation
	 * either saw the log or is stale by the next one.
	 */
	u64 gen = __atomic_load_n(&m->generation, __ATOMIC_ACQUIRE);
	if (cache && cache->valid && gfn_x(cache->gfn) == gfn_x(gfn) && cache->generation == gen) {
		mfn = cache->pfn;
		protected = cache->protected;
	} else {
		struct mem_slot *s = find_slot(m, gfn);
		if (!s) {
			__atomic_sub_fetch(&m->mappers, 1, __ATOMIC_RELEASE);
			return -EINVAL;
		}
		u64 i = gfn_x(gfn) - gfn_x(s->gfn);
		mfn = _mfn(mfn_x(s->mfn) + i);
		protected = frame_is_protected(mfn);
		if (cache) {
			u64 bit, *word = dirty_word(s, i, &bit);
			*cache = (struct gfn_cache){ gfn, mfn, gen, true, protected,
						     protected ? NULL : phys_to_virt(mfn_to_pa(mfn)), word, bit };
		}
	}
	if (protected) {
		int r = fixmap_push_on(cpu, mfn, &hva);
		if (r) {
			__atomic_sub_fetch(&m->mappers, 1, __ATOMIC_RELEASE);
			return r;
		}
	} else {
		hva = phys_to_virt(mfn_to_pa(mfn));
	}
	m->depth[cpu]++;
	*map = (struct gmap){ hva, mfn, gfn, protected };
	return 0;
}

/* Atomic: other CPUs set bits of the same word, and gmap_dirty_test_and_clear() clears them. */
static void mark_dirty(struct guest_mem *m, gfn_t gfn)
{
	struct mem_slot *s = find_slot(m, gfn);
	u64 bit, *word = dirty_word(s, gfn_x(gfn) - gfn_x(s->gfn), &bit);

	__atomic_fetch_or(word, bit, __ATOMIC_RELAXED);
}

void gmap_unmap_out_of_order(gfn_t gfn)
{
	panic("gmap: unmapping gfn %#lx out of order (gmap mappings nest like a stack)", gfn_x(gfn));
}

void gmap_unmap(struct guest_mem *m, struct gmap *map, struct gfn_cache *cache, bool dirty, bool atomic)
{
	/* The cache only remembers a translation; it holds nothing to release. */
	(void)cache;
	(void)atomic;
	if (!map || !map->hva)
		return;
	/*
	 * No lock: the slot is this CPU's, the dirty bit is set atomically, and
	 * the slots (find_slot) cannot change while a mapping is live.  The
	 * count drops last, with release: a change that sees it drained sees
	 * everything this mapping wrote.
	 */
	unsigned int cpu = arch_cpu_id();
	if (map->protected && fixmap_pop_on(cpu, map->hva))
		gmap_unmap_out_of_order(map->gfn);
	if (dirty)
		mark_dirty(m, map->gfn);
	m->depth[cpu]--;
	__atomic_sub_fetch(&m->mappers, 1, __ATOMIC_RELEASE);
	map->hva = NULL;
}

/*
 * A slot's dirty log, at the guest's first ask (gmap.h).  Its frames are
 * taken before the lock (a long allocation need not hold the VM's mappers
 * off); a second CPU asking at once installs first and this one gives its
 * frames back.  Installed with what `written` says, cleared in the same
 * step; the generation bump makes every cache refill with the log's word.  A
 * mapping whose cache was filled before may still be live and log into
 * `written` after: the next ask sees that (gmap_dirty_test_and_clear()), so
 * no write goes unreported.
 */
static int dirty_log_start(struct guest_mem *m, struct mem_slot *s)
{
	u64 frames = ALIGN_UP(ALIGN_UP(s->npages, 64) / 8, PAGE_SIZE) >> PAGE_SHIFT;
	mfn_t mfn;
	int r = frames_alloc(frames, FRAME_HV, &mfn);

	if (r) {
		/* Once per VM: a guest asking again and again must not flood the console (its callers get -ENOMEM). */
		if (!__atomic_exchange_n(&m->dirty_log_warned, true, __ATOMIC_RELAXED))
			log_warn("gmap: VM %u: no memory for a dirty log of %lu pages (%d): DIAG_DIRTY answers -ENOMEM",
				 m->id, s->npages, r);
		return r;
	}
	spin_lock(&m->lock);
	bool mine = !s->dirty;
	if (mine) {
		u64 *log = phys_to_virt(mfn_to_pa(mfn));
		if (__atomic_exchange_n(&s->written, 0, __ATOMIC_RELAXED))
			memset(log, 0xff, frames * PAGE_SIZE);
		s->dirty_mfn = mfn;
		s->dirty_frames = frames;
		__atomic_store_n(&s->dirty, log, __ATOMIC_RELEASE); /* mark_dirty() reads it without the lock */
		__atomic_store_n(&m->generation, m->generation + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&m->lock);
	if (!mine)
		frames_free(mfn, frames);
	return 0;
}

int gmap_dirty_test_and_clear(struct guest_mem *m, gfn_t gfn)
{
	struct mem_slot *s = find_slot(m, gfn);

	if (!s)
		return 0;
	/* The first ask starts the log of every slot (slots change only at creation and teardown). */
	if (!__atomic_load_n(&s->dirty, __ATOMIC_ACQUIRE)) {
		for (unsigned int k = 0; k < m->nslots; k++) {
			if (__atomic_load_n(&m->slot[k].dirty, __ATOMIC_ACQUIRE))
				continue;
			int r = dirty_log_start(m, &m->slot[k]);
			if (r)
				return r;
		}
	}
	u64 i = gfn_x(gfn) - gfn_x(s->gfn);
	u64 bit = 1ULL << (i % 64);
	/* A write that found no log word after the log came (a stale cache): which page is unknown, so all are. */
	if (unlikely(__atomic_exchange_n(&s->written, 0, __ATOMIC_RELAXED)))
		for (u64 w = 0; w < ALIGN_UP(s->npages, 64) / 64; w++)
			__atomic_store_n(&s->dirty[w], ~0ULL, __ATOMIC_RELAXED);
	/* Atomic: gmap_unmap() on another CPU sets bits of the same word, without the lock. */
	return (__atomic_fetch_and(&s->dirty[i / 64], ~bit, __ATOMIC_RELAXED) & bit) != 0;
}

u64 guest_mem_dirty_log_bytes(const struct guest_mem *m)
{
	u64 n = 0;

	for (unsigned int i = 0; i < m->nslots; i++)
		n += m->slot[i].dirty_frames * PAGE_SIZE;
	return n;
}

bool guest_mem_range_ok(const struct guest_mem *m, u64 gpa, u64 len)
{
	return len && gpa + len > gpa &&
	       range_valid(m, gpa_to_gfn(gpa), ((gpa + len - 1) >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1);
}

static void copy_out_piece(void *arg, u8 *p, u64 n)
{
	u8 **dst = arg;

	memcpy(*dst, p, n);
	*dst += n;
}

static void copy_in_piece(void *arg, u8 *p, u64 n)
{
	const u8 **src = arg;

	memcpy(p, *src, n);
	*src += n;
}

int copy_from_guest(struct guest_mem *m, void *dst, u64 gpa, u64 len)
{
	u8 *cursor = dst;

	return gmap_for_each_piece(m, gpa, len, false, copy_out_piece, &cursor);
}

int copy_to_guest(struct guest_mem *m, u64 gpa, const void *src, u64 len)
{
	const u8 *cursor = src;

	return gmap_for_each_piece(m, gpa, len, true, copy_in_piece, &cursor);
}
