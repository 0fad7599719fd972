/*
 * The shadow model of a simulated VM's memory and protection, and one random
 * step of protect / share / unshare / map / unmap / write-through-map / copy
 * operations against it, checked after every step:
 *
 *   - invariant 1: the audit of every CPU's tables is clean;
 *   - a frame is reachable through the direct map exactly when the model
 *     says it is unprotected, and touching a protected one really faults;
 *   - every byte of guest memory (read over the bus) equals the shadow copy;
 *   - each call answers what the model predicts (errors included);
 *   - invariant 2: with no mapping open, every fixmap slot is free.
 *
 * The randomness comes from a caller's source: a seeded generator in the unit
 * test (tests/unit/test_random.c), the fuzzer's input in tests/fuzz/fuzz_mm.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hv/vm/vm.h"
#include "mm/audit.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "sim.h"
#include "model.h"

static model_source next;

static u64 below(u64 n)
{
	return next() % n;
}

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

/* Counts (and says) where the core answered other than the model. */
static int differs(int step, const char *what, long long got, long long want)
{
	if (got == want)
		return 0;
	fprintf(stderr, "    step %d: %s: got %lld, the model says %lld\n", step, what, got, want);
	return 1;
}

int model_check(struct vm *vm, struct model *m, int step)
{
	struct audit_report rep;
	int bad = 0;

	/* The incremental pass first (the full one would mark it clean), then the full pass. */
	if (audit_host_changed(&rep)) {
		audit_log("random, incremental", &rep);
		fprintf(stderr, "    step %d: the incremental audit found %u leaks\n", step, rep.findings);
		bad++;
	}
	if (audit_host(&rep)) {
		audit_log("random", &rep);
		fprintf(stderr, "    step %d: audit found %u leaks\n", step, rep.findings);
		bad++;
	}
	for (int p = 0; p < NPAGES; p++) {
		mfn_t mfn;
		guest_mem_lookup(&vm->mem, _gfn(gfn_of(p)), &mfn);
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

int model_step(struct vm *vm, struct model *m, int step)
{
	int bad = 0;
	u64 op = below(100);

	/*
	 * The model is one CPU: a protection change while it holds mappings would
	 * wait for them to drain, i.e. for itself, which gmap panics on (a
	 * caller's bug; tests/unit/test_gmap.c).  So a change that would get
	 * that far is not asked for with mappings open; one refused earlier is.
	 * The drain itself is tested with threads (test_gmap.c).
	 */
	if (op < 3) { /* ENABLE_MEM_PROTECTED */
		if (m->nopen)
			return 0;
		int r = guest_mem_protect_all(&vm->mem);
		bad += differs(step, "ENABLE_MEM_PROTECTED", r, 0);
		if (!r) {
			m->enabled = true;
			for (int p = 0; p < NPAGES; p++)
				m->prot[p] = true;
		}
	} else if (op < 23) { /* share / unshare */
		bool share = below(2);
		u64 g = random_gfn(), n = below(8) == 0 ? next() : 1 + below(6);
		int want = !range_in_memory(g, n) ? -EINVAL : !m->enabled ? -EPERM : 0;
		if (want == 0 && m->nopen)
			return 0;
		int r = share ? guest_mem_share(&vm->mem, _gfn(g), n) : guest_mem_unshare(&vm->mem, _gfn(g), n);
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
		int r = gmap_map(&vm->mem, _gfn(g), map, NULL, below(2));
		bad += differs(step, "gmap_map", r, want);
		if (!r) {
			bad += differs(step, "gmap_map: protected", map->protected, m->prot[p]);
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
			gmap_dirty_test_and_clear(&vm->mem, _gfn(g));
			gmap_unmap(&vm->mem, map, NULL, dirty, false);
			bad += differs(step, "gmap_unmap: hva cleared", map->hva != NULL, 0);
			bad += differs(step, "dirty log", gmap_dirty_test_and_clear(&vm->mem, _gfn(g)), dirty);
		}
	} else if (op < 80) { /* copy_to_guest */
		u8 buf[3 * PAGE_SIZE];
		u64 g = random_gfn();
		u64 gpa = (g << PAGE_SHIFT) + below(PAGE_SIZE), len = 1 + below(sizeof(buf));
		for (u64 i = 0; i < len; i++)
			buf[i] = (u8)next();
		/* validity depends on gpa alone: a gfn too large to shift wraps like any address */
		bool ok = gpa + len > gpa &&
			  range_in_memory(gpa >> PAGE_SHIFT, ((gpa + len - 1) >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1);
		int want = !ok ? -EINVAL : 0;
		/* a copy maps one page at a time: with every slot taken it cannot reach protected pages */
		if (ok && m->nopen)
			return 0;
		int r = copy_to_guest(&vm->mem, gpa, buf, len);
		bad += differs(step, "copy_to_guest", r, want);
		for (u64 i = 0; !r && i < len; i++)
			m->mem[page_of((gpa + i) >> PAGE_SHIFT)][(gpa + i) & (PAGE_SIZE - 1)] = buf[i];
	} else if (op < 95) { /* copy_from_guest */
		u8 buf[3 * PAGE_SIZE];
		u64 g = gfn_of((int)below(NPAGES));
		u64 gpa = (g << PAGE_SHIFT) + below(PAGE_SIZE), len = 1 + below(PAGE_SIZE);
		if (!range_in_memory(gpa >> PAGE_SHIFT, ((gpa + len - 1) >> PAGE_SHIFT) - (gpa >> PAGE_SHIFT) + 1) ||
		    m->nopen)
			return 0;
		int r = copy_from_guest(&vm->mem, buf, gpa, len);
		bad += differs(step, "copy_from_guest", r, 0);
		for (u64 i = 0; !r && i < len; i++)
			bad += differs(step, "copy_from_guest: byte", buf[i], m->mem[page_of((gpa + i) >> PAGE_SHIFT)][(gpa + i) & (PAGE_SIZE - 1)]);
	} else { /* the hypervisor's stray pointer: protected frames fault through the direct map */
		int p = (int)below(NPAGES);
		mfn_t mfn;
		guest_mem_lookup(&vm->mem, _gfn(gfn_of(p)), &mfn);
		bad += differs(step, "direct-map access faults", sim_faults(phys_to_virt(mfn_to_pa(mfn))), m->prot[p]);
	}
	return bad;
}

void model_init(struct vm *vm, struct model *m, model_source source)
{
	next = source;
	memset(m, 0, sizeof(*m));
	if (vm_mem_init(vm, 3, 2) || vm_mem_add(vm, _gfn(0), SLOT0) || vm_mem_add(vm, _gfn(0x800), SLOT1)) {
		fprintf(stderr, "model: cannot create the VM\n");
		abort();
	}
}

void model_finish(struct vm *vm, struct model *m)
{
	while (m->nopen)
		gmap_unmap(&vm->mem, &m->open[--m->nopen], NULL, false, false);
	vm_mem_destroy(vm);
}
