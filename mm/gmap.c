/*
 * Guest memory, its protection, and the guest-map contract (see gmap.h).
 *
 * Order of operations keeps invariant 1 true at every instant: a frame is
 * taken out of the direct map before it is flagged protected, and unflagged
 * before it is put back.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/vm.h>
#include "lib/string.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/frame.h"

#define FRAMES_PER_2M (SZ_2M / PAGE_SIZE)

static struct mem_slot *find_slot(const struct guest_mem *m, gfn_t gfn)
{
	for (unsigned int i = 0; i < m->nslots; i++) {
		const struct mem_slot *s = &m->slot[i];
		if (gfn_x(gfn) >= gfn_x(s->gfn) && gfn_x(gfn) - gfn_x(s->gfn) < s->npages)
			return (struct mem_slot *)s;
	}
	return NULL;
}

int guest_mem_lookup(const struct vm *vm, gfn_t gfn, mfn_t *mfn)
{
	const struct mem_slot *s = find_slot(&vm->mem, gfn);

	if (!s)
		return -EINVAL;
	*mfn = _mfn(mfn_x(s->mfn) + gfn_x(gfn) - gfn_x(s->gfn));
	return 0;
}

u64 guest_mem_pages(const struct vm *vm)
{
	u64 n = 0;

	for (unsigned int i = 0; i < vm->mem.nslots; i++)
		n += vm->mem.slot[i].npages;
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

int guest_mem_init(struct vm *vm, unsigned int id, int max_ept_level)
{
	if (id >= FRAME_MAX_GUESTS)
		return -EINVAL;
	memset(&vm->mem, 0, sizeof(vm->mem));
	vm->id = id;
	vm->mem.owner = frame_owner_guest(id);
	return ept_init(&vm->ept, max_ept_level, false);
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

int guest_mem_add(struct vm *vm, gfn_t gfn, u64 npages)
{
	struct guest_mem *m = &vm->mem;
	u64 g = gfn_x(gfn);
	int r;

	if (npages == 0 || g + npages < g || ((g + npages) << PAGE_SHIFT) >> PAGE_SHIFT != g + npages ||
	    m->nslots == GUEST_MEM_SLOTS)
		return -EINVAL;
	for (unsigned int i = 0; i < m->nslots; i++)
		if (g < gfn_x(m->slot[i].gfn) + m->slot[i].npages && gfn_x(m->slot[i].gfn) < g + npages)
			return -EINVAL;

	struct mem_slot *s = &m->slot[m->nslots];
	/* 2 MiB-aligned host frames let the EPT use 2 MiB leaves. */
	bool big = ALIGNED(g, FRAMES_PER_2M) && npages >= FRAMES_PER_2M;
	r = frames_alloc_aligned(npages, big ? FRAMES_PER_2M : 1, m->owner, &s->mfn);
	if (r && big)
		r = frames_alloc(npages, m->owner, &s->mfn);
	if (r)
		return r;
	s->dirty_frames = ALIGN_UP(ALIGN_UP(npages, 64) / 8, PAGE_SIZE) >> PAGE_SHIFT;
	r = frames_alloc(s->dirty_frames, FRAME_HV, &s->dirty_mfn);
	if (r)
		goto free_mem;
	s->dirty = phys_to_virt(mfn_to_pa(s->dirty_mfn));
	r = ept_map(&vm->ept, gfn_to_gpa(gfn), s->mfn, npages << PAGE_SHIFT, PT_R | PT_W | PT_X);
	if (r)
		goto free_dirty;
	s->gfn = gfn;
	s->npages = npages;

	spin_lock(&m->lock);
	m->nslots++;
	if (m->protected_mode)
		set_protection(s, 0, npages, true);
	m->generation++;
	spin_unlock(&m->lock);
	return 0;

free_dirty:
	frames_free(s->dirty_mfn, s->dirty_frames);
free_mem:
	frames_free(s->mfn, npages);
	return r;
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

void guest_mem_destroy(struct vm *vm)
{
	struct guest_mem *m = &vm->mem;

	spin_lock(&m->lock);
	if (m->mappers)
		panic("gmap: destroying VM %u with %u live mappings", vm->id, m->mappers);
	ept_destroy(&vm->ept);
	for (unsigned int i = 0; i < m->nslots; i++) {
		struct mem_slot *s = &m->slot[i];
		for (u64 k = 0; k < s->npages; k++) {
			mfn_t f = _mfn(mfn_x(s->mfn) + k);
			if (frame_is_protected(f))
				scrub_protected(f);
		}
		set_protection(s, 0, s->npages, false);
		if (frames_free(s->mfn, s->npages) || frames_free(s->dirty_mfn, s->dirty_frames))
			panic("gmap: VM %u's frames were not its own", vm->id);
	}
	m->nslots = 0;
	m->protected_mode = false;
	m->generation++;
	spin_unlock(&m->lock);
}

int guest_mem_protect_all(struct vm *vm)
{
	struct guest_mem *m = &vm->mem;

	spin_lock(&m->lock);
	if (m->mappers) {
		spin_unlock(&m->lock);
		log_err("gmap: VM %u: protection change while %u mappings are live", vm->id, m->mappers);
		return -EBUSY;
	}
	for (unsigned int i = 0; i < m->nslots; i++)
		set_protection(&m->slot[i], 0, m->slot[i].npages, true);
	m->protected_mode = true;
	m->generation++;
	spin_unlock(&m->lock);
	return 0;
}

static int change_range(struct vm *vm, gfn_t gfn, u64 npages, bool protect)
{
	struct guest_mem *m = &vm->mem;
	int r = 0;

	spin_lock(&m->lock);
	if (!range_valid(m, gfn, npages))
		r = -EINVAL;
	else if (!m->protected_mode)
		r = -EPERM;
	else if (m->mappers)
		r = -EBUSY;
	if (r) {
		spin_unlock(&m->lock);
		log_debug("gmap: VM %u: %s gfn %#lx + %lu pages refused (%d)", vm->id,
			 protect ? "unshare" : "share", gfn_x(gfn), npages, r);
		return r;
	}
	for (u64 g = gfn_x(gfn), left = npages; left;) {
		struct mem_slot *s = find_slot(m, _gfn(g));
		u64 first = g - gfn_x(s->gfn);
		u64 step = MIN(left, s->npages - first);
		set_protection(s, first, step, protect);
		g += step;
		left -= step;
	}
	m->generation++;
	spin_unlock(&m->lock);
	return 0;
}

int guest_mem_share(struct vm *vm, gfn_t gfn, u64 npages)
{
	return change_range(vm, gfn, npages, false);
}

int guest_mem_unshare(struct vm *vm, gfn_t gfn, u64 npages)
{
	return change_range(vm, gfn, npages, true);
}

int gmap_map(struct vm *vm, gfn_t gfn, struct gmap *map, struct gfn_cache *cache, bool atomic)
{
	struct guest_mem *m = &vm->mem;
	mfn_t mfn;
	bool protected;
	void *hva;

	(void)atomic; /* a fixmap slot never sleeps: atomic callers need nothing different */
	if (!map)
		return -EINVAL;
	map->hva = NULL;

	spin_lock(&m->lock);
	if (cache && cache->valid && gfn_x(cache->gfn) == gfn_x(gfn) && cache->generation == m->generation) {
		mfn = cache->pfn;
		protected = cache->protected;
	} else {
		if (guest_mem_lookup(vm, gfn, &mfn)) {
			spin_unlock(&m->lock);
			return -EINVAL;
		}
		protected = frame_is_protected(mfn);
		if (cache)
			*cache = (struct gfn_cache){ gfn, mfn, m->generation, true, protected };
	}
	if (protected) {
		int r = fixmap_push(mfn, &hva);
		if (r) {
			spin_unlock(&m->lock);
			return r;
		}
	} else {
		hva = phys_to_virt(mfn_to_pa(mfn));
	}
	m->mappers++;
	spin_unlock(&m->lock);

	*map = (struct gmap){ hva, mfn, gfn, protected };
	return 0;
}

static void mark_dirty(struct guest_mem *m, gfn_t gfn)
{
	struct mem_slot *s = find_slot(m, gfn);
	u64 i = gfn_x(gfn) - gfn_x(s->gfn);

	s->dirty[i / 64] |= 1ULL << (i % 64);
}

void gmap_unmap(struct vm *vm, struct gmap *map, struct gfn_cache *cache, bool dirty, bool atomic)
{
	struct guest_mem *m = &vm->mem;

	/* The cache only remembers a translation; it holds nothing to release. */
	(void)cache;
	(void)atomic;
	if (!map || !map->hva)
		return;
	spin_lock(&m->lock);
	if (map->protected && fixmap_pop(map->hva))
		panic("gmap: unmapping gfn %#lx out of order (gmap mappings nest like a stack)", gfn_x(map->gfn));
	if (dirty)
		mark_dirty(m, map->gfn);
	m->mappers--;
	spin_unlock(&m->lock);
	map->hva = NULL;
}

bool gmap_dirty_test_and_clear(struct vm *vm, gfn_t gfn)
{
	struct mem_slot *s = find_slot(&vm->mem, gfn);

	if (!s)
		return false;
	u64 i = gfn_x(gfn) - gfn_x(s->gfn);
	u64 bit = 1ULL << (i % 64);
	bool was = s->dirty[i / 64] & bit;
	s->dirty[i / 64] &= ~bit;
	return was;
}

/* Copies between guest memory and a host buffer, a page at a time. */
static int copy_guest(struct vm *vm, u64 gpa, void *buf, u64 len, bool to_guest)
{
	u8 *p = buf;

	if (len == 0)
		return 0;
	if (gpa + len < gpa ||
	    !range_valid(&vm->mem, gpa_to_gfn(gpa), ((gpa + len - 1) >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1))
		return -EINVAL;
	while (len) {
		struct gmap map;
		u64 off = gpa & (PAGE_SIZE - 1);
		u64 n = MIN(len, PAGE_SIZE - off);
		int r = gmap_map(vm, gpa_to_gfn(gpa), &map, NULL, false);
		if (r)
			return r;
		if (to_guest)
			memcpy((u8 *)map.hva + off, p, n);
		else
			memcpy(p, (u8 *)map.hva + off, n);
		gmap_unmap(vm, &map, NULL, to_guest, false);
		gpa += n;
		p += n;
		len -= n;
	}
	return 0;
}

int copy_from_guest(struct vm *vm, void *dst, u64 gpa, u64 len)
{
	return copy_guest(vm, gpa, dst, len, false);
}

int copy_to_guest(struct vm *vm, u64 gpa, const void *src, u64 len)
{
	return copy_guest(vm, gpa, (void *)src, len, true);
}
