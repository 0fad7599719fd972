/*
 * A seeded random sequence of protect / share / unshare / map / unmap /
 * write-through-map / copy operations on a simulated VM, checked after every
 * step against a shadow model:
 *
 *   - invariant 1: the audit of every CPU's tables is clean;
 *   - a frame is reachable through the direct map exactly when the model
 *     says it is unprotected, and touching a protected one really faults;
 *   - every byte of guest memory (read over the bus) equals the shadow copy;
 *   - each call answers what the model predicts (errors included);
 *   - invariant 2: with no mapping open, every fixmap slot is free.
 *
 * KEYHOLE_SEED=N reproduces a run; the seed is printed on failure.
 */
#include <stdlib.h>
#include <string.h>
#include <keyhole/vm.h>
#include "mm/audit.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "sim.h"
#include "test.h"

#define STEPS 12000
#define SLOT0 40 /* pages at gfn 0 */
#define SLOT1 24 /* pages at gfn 0x800 */
#define NPAGES (SLOT0 + SLOT1)

static u64 rng;

static u64 next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static u64 below(u64 n)
{
	return next() % n;
}

struct model {
	u8 mem[NPAGES][PAGE_SIZE];
	bool prot[NPAGES];
	bool enabled;
	struct gmap open[FIX_GMAP_SLOTS + 1];
	int nopen;
};

static u64 gfn_of(int page)
{
	return page < SLOT0 ? (u64)page : 0x800 + (u64)(page - SLOT0);
}

/* The page index of a gfn, or -1 outside guest memory. */
static int page_of(u64 gfn)
{
	if (gfn < SLOT0)
		return (int)gfn;
	if (gfn >= 0x800 && gfn < 0x800 + SLOT1)
		return (int)(gfn - 0x800 + SLOT0);
	return -1;
}

/* A gfn that is mostly valid, sometimes just outside, rarely absurd. */
static u64 random_gfn(void)
{
	switch (below(10)) {
	case 0: return SLOT0 + below(4);               /* just past slot 0 */
	case 1: return 0x800 + SLOT1 - 2 + below(4);   /* around the end of slot 1 */
	case 2: return next();
	default: return gfn_of((int)below(NPAGES));
	}
}

static bool range_in_memory(u64 gfn, u64 n)
{
	if (n == 0 || gfn + n < gfn)
		return false;
	for (u64 i = 0; i < n; i++)
		if (page_of(gfn + i) < 0)
			return false;
	return true;
}

static int check_everything(struct vm *vm, struct model *m, int step)
{
	struct audit_report rep;
	int bad = 0;

	if (audit_host(&rep)) {
		audit_log("random", &rep);
		fprintf(stderr, "    step %d: audit found %u leaks\n", step, rep.findings);
		bad++;
	}
	for (int p = 0; p < NPAGES; p++) {
		mfn_t mfn;
		guest_mem_lookup(vm, _gfn(gfn_of(p)), &mfn);
		if (direct_map_reaches(mfn) == m->prot[p] || frame_is_protected(mfn) != m->prot[p]) {
			fprintf(stderr, "    step %d: page %d protection differs from the model\n", step, p);
			bad++;
		}
		if (memcmp(sim_phys(mfn_to_pa(mfn)), m->mem[p], PAGE_SIZE)) {
			fprintf(stderr, "    step %d: page %d contents differ from the model\n", step, p);
			bad++;
		}
	}
	if (m->nopen == 0 && fixmap_busy(0)) {
		fprintf(stderr, "    step %d: fixmap slots busy with nothing mapped\n", step);
		bad++;
	}
	if (vm->mem.mappers != (u32)m->nopen)
		bad++;
	return bad;
}

static int step_once(struct vm *vm, struct model *m, int step)
{
	int bad = 0;
	u64 op = below(100);

	if (op < 3) { /* ENABLE_MEM_PROTECTED */
		int r = guest_mem_protect_all(vm);
		bad += r != (m->nopen ? -EBUSY : 0);
		if (!r) {
			m->enabled = true;
			for (int p = 0; p < NPAGES; p++)
				m->prot[p] = true;
		}
	} else if (op < 23) { /* share / unshare */
		bool share = below(2);
		u64 g = random_gfn(), n = below(8) == 0 ? next() : 1 + below(6);
		int want = !range_in_memory(g, n) ? -EINVAL : !m->enabled ? -EPERM : m->nopen ? -EBUSY : 0;
		int r = share ? guest_mem_share(vm, _gfn(g), n) : guest_mem_unshare(vm, _gfn(g), n);
		if (r != want) {
			fprintf(stderr, "    step %d: %s(%#llx, %llu) = %d, model says %d\n", step,
				share ? "share" : "unshare", (unsigned long long)g, (unsigned long long)n, r, want);
			bad++;
		}
		for (u64 i = 0; !r && i < n; i++)
			m->prot[page_of(g + i)] = !share;
	} else if (op < 45) { /* map, then write through the mapping */
		u64 g = random_gfn();
		struct gmap *map = &m->open[m->nopen];
		int p = page_of(g);
		bool slot_needed = p >= 0 && m->prot[p];
		int busy_slots = 0;
		for (int i = 0; i < m->nopen; i++)
			busy_slots += m->open[i].protected;
		int want = p < 0 ? -EINVAL : (slot_needed && busy_slots == FIX_GMAP_SLOTS) ? -EBUSY : 0;
		if (m->nopen == FIX_GMAP_SLOTS) /* the model keeps at most this many open */
			return 0;
		int r = gmap_map(vm, _gfn(g), map, NULL, below(2));
		bad += r != want;
		if (!r) {
			bad += map->protected != m->prot[p];
			u64 off = below(PAGE_SIZE - 16);
			u8 v = (u8)next();
			memset((u8 *)map->hva + off, v, 16);
			memset(&m->mem[p][off], v, 16);
			m->nopen++;
		}
	} else if (op < 60) { /* unmap the newest mapping */
		if (m->nopen) {
			struct gmap *map = &m->open[--m->nopen];
			bool dirty = below(2);
			u64 g = gfn_x(map->gfn);
			gmap_dirty_test_and_clear(vm, _gfn(g));
			gmap_unmap(vm, map, NULL, dirty, false);
			bad += map->hva != NULL;
			bad += gmap_dirty_test_and_clear(vm, _gfn(g)) != dirty;
		}
	} else if (op < 80) { /* copy_to_guest */
		u8 buf[3 * PAGE_SIZE];
		u64 g = random_gfn();
		u64 gpa = (g << PAGE_SHIFT) + below(PAGE_SIZE), len = 1 + below(sizeof(buf));
		for (u64 i = 0; i < len; i++)
			buf[i] = (u8)next();
		bool ok = (g << PAGE_SHIFT) >> PAGE_SHIFT == g && gpa + len > gpa &&
			  range_in_memory(gpa >> PAGE_SHIFT, ((gpa + len - 1) >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1);
		int want = !ok ? -EINVAL : 0;
		/* a copy maps one page at a time: with every slot taken it cannot reach protected pages */
		if (ok && m->nopen)
			return 0;
		int r = copy_to_guest(vm, gpa, buf, len);
		bad += r != want;
		for (u64 i = 0; !r && i < len; i++)
			m->mem[page_of((gpa + i) >> PAGE_SHIFT)][(gpa + i) & (PAGE_SIZE - 1)] = buf[i];
	} else if (op < 95) { /* copy_from_guest */
		u8 buf[3 * PAGE_SIZE];
		u64 g = gfn_of((int)below(NPAGES));
		u64 gpa = (g << PAGE_SHIFT) + below(PAGE_SIZE), len = 1 + below(PAGE_SIZE);
		if (!range_in_memory(gpa >> PAGE_SHIFT, ((gpa + len - 1) >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1) ||
		    m->nopen)
			return 0;
		int r = copy_from_guest(vm, buf, gpa, len);
		bad += r != 0;
		for (u64 i = 0; !r && i < len; i++)
			bad += buf[i] != m->mem[page_of((gpa + i) >> PAGE_SHIFT)][(gpa + i) & (PAGE_SIZE - 1)];
	} else { /* the hypervisor's stray pointer: protected frames fault through the direct map */
		int p = (int)below(NPAGES);
		mfn_t mfn;
		guest_mem_lookup(vm, _gfn(gfn_of(p)), &mfn);
		bad += sim_faults(phys_to_virt(mfn_to_pa(mfn))) != m->prot[p];
	}
	return bad;
}

TEST(random_sequence_keeps_invariants_and_contents)
{
	static struct vm vm;
	static struct model m;
	const char *env = getenv("KEYHOLE_SEED");
	u64 seed = env ? strtoull(env, NULL, 0) : 0x6b6579686f6c65ULL; /* "keyhole" */
	int bad = 0, step;

	rng = seed ? seed : 1;
	memset(&m, 0, sizeof(m));
	sim_boot_standard();
	EXPECT_EQ(guest_mem_init(&vm, 3, 2), 0);
	EXPECT_EQ(guest_mem_add(&vm, _gfn(0), SLOT0), 0);
	EXPECT_EQ(guest_mem_add(&vm, _gfn(0x800), SLOT1), 0);
	for (step = 0; step < STEPS && !bad; step++) {
		bad += step_once(&vm, &m, step);
		bad += check_everything(&vm, &m, step);
	}
	while (m.nopen)
		gmap_unmap(&vm, &m.open[--m.nopen], NULL, false, false);
	if (bad)
		fprintf(stderr, "    random sequence failed at step %d; reproduce with KEYHOLE_SEED=%#llx\n",
			step - 1, (unsigned long long)seed);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(step, STEPS);
	EXPECT(m.enabled); /* the sequence really exercised protection */
	guest_mem_destroy(&vm);
	EXPECT_EQ(audit_host(NULL), 0);
}
