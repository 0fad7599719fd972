/*
 * Host page tables: the direct map, the image and the per-CPU roots with
 * their fixmap tables (see hostmm.h for the layout).
 *
 * The shared tables are a `struct pt` whose root is a template: its entries
 * are copied into every CPU's root once, at init.  Afterwards only the tables
 * below the root change (splits and holes in the direct map), which every
 * root sees; the audit checks that the copied root entries never drift.
 *
 * Those changes come from any CPU (a guest's MEM_SHARE on the CPU its vCPU
 * runs on), so one lock, dmap_lock, covers every change of the shared
 * tables and every walk of them: pt_unmap() may split a 2 MiB leaf and
 * allocate a table, and the audit must never read a table half-changed.
 * Its place in the lock order (under a VM's lock, above the frame lock)
 * is in include/keyhole/spinlock.h.  The per-CPU fixmap tables are their
 * CPU's own and are not under it (mm/fixmap.c says how the audit reads
 * another CPU's).
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/spinlock.h>
#include "mm/arch.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/frame.h"
#include "mm/hostmm.h"
#include "mm/pte.h"

static bool host_present(u64 e)
{
	return e & PTE_P;
}

static u64 host_make_table(u64 pa)
{
	/* Tables allow everything; the leaves decide. */
	return pa | PTE_P | PTE_W;
}

static u64 host_make_leaf(u64 pa, unsigned int prot, int level)
{
	u64 e = pa | PTE_P;

	if (prot & PT_W)
		e |= PTE_W;
	if (!(prot & PT_X))
		e |= PTE_NX;
	if (prot & PT_G)
		e |= PTE_G;
	if (level > 1)
		e |= PTE_PS;
	return e;
}

static unsigned int host_prot(u64 e)
{
	return PT_R | ((e & PTE_W) ? PT_W : 0) | ((e & PTE_NX) ? 0 : PT_X) | ((e & PTE_G) ? PT_G : 0);
}

/*
 * One INVLPG per leaf removed or changed: it drops the whole TLB entry, large
 * or small, on this CPU.  The other CPUs' entries for the shared direct map
 * go in direct_map_remove()'s shootdown; the fixmap is per-CPU and needs
 * none (the hot path stays local).
 */
static void host_flush(struct pt *pt, u64 va, int level)
{
	(void)pt;
	(void)level;
	arch_flush_va(va);
}

const struct pt_format host_format = {
	.name = "host",
	.present = host_present,
	.make_table = host_make_table,
	.make_leaf = host_make_leaf,
	.prot = host_prot,
	.flush = host_flush,
	.va_limit = 1ULL << 47,
	.canonical_upper = true,
};

static spinlock_t dmap_lock;
static struct pt shared;
static struct pt cpu_pt[MAX_CPUS];
static u64 fixmap_pt_pa[MAX_CPUS];
static unsigned int ncpus;

#define DMAP_PROT (PT_R | PT_W | PT_G)

static int map_ram_run(void *arg, mfn_t first, u64 n)
{
	(void)arg;
	return pt_map(&shared, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(first)), mfn_to_pa(first),
		      n << PAGE_SHIFT, DMAP_PROT);
}

/* A private chain root -> PDPT -> PD -> PT for this CPU's fixmap window. */
static int build_cpu_root(unsigned int cpu)
{
	struct pt *pt = &cpu_pt[cpu];
	u64 fix = arch_fixmap_base();
	int r = pt_init(pt, &host_format, 3, FRAME_HV);

	if (r)
		return r;
	u64 *root = pt_table(pt->root_pa);
	const u64 *tmpl = pt_table(shared.root_pa);
	for (int i = 0; i < PT_ENTRIES; i++)
		root[i] = tmpl[i];
	pt_note_change(pt);
	if (host_present(root[pt_index(fix, 4)]))
		panic("hostmm: the fixmap window shares a root entry with the direct map or image");

	/* Map one page into the window to make the chain, then empty the slot. */
	mfn_t probe;
	r = frames_alloc(1, FRAME_HV, &probe);
	if (r)
		return r;
	r = pt_map(pt, fix, mfn_to_pa(probe), PAGE_SIZE, PT_R | PT_W);
	if (!r) {
		u64 *t = pt_table(pt->root_pa);
		for (int l = 4; l > 1; l--)
			t = pt_table(pt_entry_pa(t[pt_index(fix, l)]));
		fixmap_pt_pa[cpu] = virt_to_phys(t);
		t[pt_index(fix, 1)] = 0;
		pt_note_change(pt);
		arch_flush_va(fix);
		fixmap_init_cpu(cpu, t);
	}
	frames_free(probe, 1);
	return r;
}

int hostmm_init(unsigned int n, const struct hostmm_section *image, unsigned int nsections)
{
	int r;

	if (n == 0 || n > MAX_CPUS || !ALIGNED(arch_fixmap_base(), SZ_2M))
		return -EINVAL;
	r = pt_init(&shared, &host_format, 3, FRAME_HV);
	if (r)
		return r;
	r = frames_for_each_ram_run(map_ram_run, NULL);
	for (unsigned int i = 0; !r && i < nsections; i++)
		r = pt_map(&shared, image[i].va, image[i].pa, image[i].size, image[i].prot | PT_G);
	for (unsigned int cpu = 0; !r && cpu < n; cpu++)
		r = build_cpu_root(cpu);
	if (r) {
		log_err("hostmm: building the host page tables failed (%d)", r);
		return r;
	}
	ncpus = n;
	return 0;
}

int hostmm_add_cpu(unsigned int cpu)
{
	int r;

	spin_lock(&dmap_lock); /* the copy of the template's entries, and ncpus, as the audit reads them */
	if (cpu != ncpus || cpu >= MAX_CPUS)
		r = -EINVAL;
	else
		r = build_cpu_root(cpu);
	if (!r)
		__atomic_store_n(&ncpus, cpu + 1, __ATOMIC_RELEASE);
	spin_unlock(&dmap_lock);
	return r;
}

void hostmm_lock_tables(void)
{
	spin_lock(&dmap_lock);
}

void hostmm_unlock_tables(void)
{
	spin_unlock(&dmap_lock);
}

void hostmm_activate(unsigned int cpu)
{
	arch_load_root(cpu_pt[cpu].root_pa);
}

unsigned int hostmm_ncpus(void)
{
	return __atomic_load_n(&ncpus, __ATOMIC_ACQUIRE);
}

struct pt *hostmm_cpu_pt(unsigned int cpu)
{
	return &cpu_pt[cpu];
}

struct pt *hostmm_shared_pt(void)
{
	return &shared;
}

u64 *hostmm_fixmap_ptes(unsigned int cpu)
{
	return pt_table(fixmap_pt_pa[cpu]);
}

static int check_frames(mfn_t mfn, u64 n)
{
	if (n == 0 || mfn_x(mfn) + n < mfn_x(mfn) || mfn_x(mfn) + n > frames_limit())
		return -EINVAL;
	for (u64 i = 0; i < n; i++)
		if (!frame_is_ram(_mfn(mfn_x(mfn) + i)))
			return -EINVAL;
	return 0;
}

int direct_map_remove(mfn_t mfn, u64 n)
{
	int r = check_frames(mfn, n);

	if (r)
		return r;
	spin_lock(&dmap_lock);
	r = pt_unmap(&shared, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(mfn)), n << PAGE_SHIFT);
	/*
	 * Every CPU's root shares these tables: the frames have left the direct
	 * map only when no CPU's TLB still reaches them (hv/cpu/tlb.c has the
	 * SDM's rule; a restore needs no shootdown, tlb.c says why).  Under the
	 * lock, so that no other change or walk sees the tables before every
	 * CPU has let go of the old entries; a CPU that waits for the lock
	 * meanwhile serves its part of the shootdown (keyhole/spinlock.h).
	 */
	if (r == 0)
		arch_shootdown((u64)(uintptr_t)phys_to_virt(mfn_to_pa(mfn)), n << PAGE_SHIFT);
	spin_unlock(&dmap_lock);
	return r;
}

int direct_map_restore(mfn_t mfn, u64 n)
{
	int r = check_frames(mfn, n);

	if (r)
		return r;
	spin_lock(&dmap_lock);
	r = pt_map(&shared, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(mfn)), mfn_to_pa(mfn), n << PAGE_SHIFT,
		   DMAP_PROT);
	spin_unlock(&dmap_lock);
	return r;
}

bool direct_map_reaches(mfn_t mfn)
{
	spin_lock(&dmap_lock);
	bool r = pt_translate(&shared, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(mfn)), NULL, NULL, NULL) == 0;
	spin_unlock(&dmap_lock);
	return r;
}
