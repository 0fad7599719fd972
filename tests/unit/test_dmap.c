/*
 * The host address space: the direct map with its holes, the image, the
 * per-CPU roots, and the MMU view (a hole really faults).
 */
#include <string.h>
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/hostmm.h"
#include "mm/pte.h"
#include "sim.h"
#include "test.h"

static u64 dva(u64 pa)
{
	return (u64)(uintptr_t)phys_to_virt(pa);
}

TEST(dmap_covers_ram_with_large_leaves)
{
	u64 pa, e;
	int level;

	sim_boot_standard();
	EXPECT_EQ(virt_to_phys(phys_to_virt(0x1234567)), 0x1234567);
	/* RAM at 4G..6G is 1 GiB-aligned: 1 GiB leaves; 2M..1G in 2 MiB leaves */
	EXPECT_EQ(sw_walk_host(sim.root, dva(0x100000000ULL + 5), &pa, &level, &e), 0);
	EXPECT_EQ(pa, 0x100000000ULL + 5);
	EXPECT_EQ(level, 3);
	EXPECT((e & PTE_NX) && (e & PTE_W) && (e & PTE_G));
	EXPECT_EQ(sw_walk_host(sim.root, dva(0x40000000), &pa, &level, NULL), 0);
	EXPECT_EQ(level, 3);
	EXPECT_EQ(sw_walk_host(sim.root, dva(0x600000), &pa, &level, NULL), 0);
	EXPECT_EQ(level, 2);
	EXPECT_EQ(sw_walk_host(sim.root, dva(0x9e000), &pa, &level, NULL), 0);
	EXPECT_EQ(level, 1);
	/* not RAM: not mapped */
	EXPECT(sw_walk_host(sim.root, dva(0), &pa, &level, NULL) != 0);
	EXPECT(sw_walk_host(sim.root, dva(0xa0000), &pa, &level, NULL) != 0);
	EXPECT(sw_walk_host(sim.root, dva(0x90000000), &pa, &level, NULL) != 0);
	EXPECT(sim_faults(phys_to_virt(0x90000000)));
	/* and the MMU view really reaches RAM through it */
	*(u32 *)phys_to_virt(0x100000000ULL + 64) = 0xfeedbeef;
	EXPECT_EQ(*(u32 *)sim_phys(0x100000000ULL + 64), 0xfeedbeef);
}

TEST(dmap_image_sections_have_their_permissions)
{
	u64 pa, e;
	int level;

	sim_boot_standard();
	EXPECT_EQ(sw_walk_host(sim.root, SIM_IMAGE_VA + 0x10, &pa, &level, &e), 0);
	EXPECT_EQ(pa, SIM_IMAGE_PA + 0x10);
	EXPECT(!(e & PTE_W) && !(e & PTE_NX) && (e & PTE_G));
	EXPECT_EQ(sw_walk_host(sim.root, SIM_IMAGE_VA + 0x100000, &pa, &level, &e), 0);
	EXPECT((e & PTE_W) && (e & PTE_NX));
}

TEST(dmap_remove_makes_a_hole_that_faults)
{
	sim_boot_standard();
	mfn_t f = _mfn(0x100000 + 3 * 512 + 7); /* inside the 1 GiB leaf at 4G */
	u8 *p = phys_to_virt(mfn_to_pa(f));
	p[0] = 0x42;

	EXPECT(direct_map_reaches(f));
	EXPECT_EQ(direct_map_remove(f, 1), 0);
	EXPECT(!direct_map_reaches(f));
	EXPECT_EQ(sim.last_flush_va, (u64)(uintptr_t)p);
	EXPECT(sim_faults(p));
	EXPECT(!sim_faults(p + PAGE_SIZE));
	EXPECT(!sim_faults(p - 1));
	EXPECT(direct_map_reaches(_mfn(mfn_x(f) + 1)));
	EXPECT_EQ(*(u8 *)sim_phys(mfn_to_pa(f)), 0x42); /* the frame itself is untouched */

	EXPECT_EQ(direct_map_restore(f, 1), 0);
	EXPECT(direct_map_reaches(f));
	EXPECT(!sim_faults(p));
	EXPECT_EQ(p[0], 0x42);
}

TEST(dmap_remove_range_across_large_leaves)
{
	sim_boot_standard();
	/* 3 MiB straddling a 2 MiB boundary in the first GiB */
	mfn_t f = pa_to_mfn(0x1ff000);
	EXPECT_EQ(direct_map_remove(_mfn(mfn_x(f) + 0x300), 0x300), 0);
	for (u64 i = 0x300; i < 0x600; i += 0x40)
		EXPECT(!direct_map_reaches(_mfn(mfn_x(f) + i)));
	EXPECT(direct_map_reaches(_mfn(mfn_x(f) + 0x2ff)));
	EXPECT(direct_map_reaches(_mfn(mfn_x(f) + 0x600)));
	EXPECT_EQ(direct_map_restore(_mfn(mfn_x(f) + 0x300), 0x300), 0);
	for (u64 i = 0x300; i < 0x600; i += 0x40)
		EXPECT(direct_map_reaches(_mfn(mfn_x(f) + i)));
}

TEST(dmap_bad_input_changes_nothing)
{
	sim_boot_standard();
	mfn_t f = _mfn(0x100200);

	EXPECT_EQ(direct_map_remove(f, 0), -EINVAL);
	EXPECT_EQ(direct_map_remove(_mfn(~0ULL - 1), 4), -EINVAL);         /* wraps */
	EXPECT_EQ(direct_map_remove(_mfn(0x90000), 1), -EINVAL);           /* the 2G..4G hole: not RAM */
	EXPECT_EQ(direct_map_remove(_mfn(0x7ffff), 2), -EINVAL);           /* runs into the hole */
	EXPECT_EQ(direct_map_remove(_mfn(frames_limit()), 1), -EINVAL);    /* beyond RAM */
	EXPECT_EQ(direct_map_restore(f, 1), -EEXIST);                      /* never removed */
	EXPECT_EQ(direct_map_remove(f, 1), 0);
	EXPECT_EQ(direct_map_remove(f, 1), -ENOENT);                       /* already removed */
	EXPECT_EQ(direct_map_remove(_mfn(mfn_x(f) - 1), 3), -ENOENT);      /* partly removed */
	EXPECT(direct_map_reaches(_mfn(mfn_x(f) - 1)));                    /* ... and nothing changed */
	EXPECT(direct_map_reaches(_mfn(mfn_x(f) + 1)));
	EXPECT_EQ(direct_map_restore(_mfn(mfn_x(f) - 1), 3), -EEXIST);     /* partly mapped */
	EXPECT(!direct_map_reaches(f));
}

TEST(dmap_per_cpu_roots_share_the_direct_map)
{
	u64 pa;
	int level;

	sim_boot_standard();
	const struct pt *c0 = hostmm_cpu_pt(0), *c1 = hostmm_cpu_pt(1);
	EXPECT(c0->root_pa != c1->root_pa);
	EXPECT_EQ(sim.root, c0->root_pa);
	mfn_t f = _mfn(0x123456);
	EXPECT_EQ(sw_walk_host(c1->root_pa, dva(mfn_to_pa(f)), &pa, &level, NULL), 0);
	EXPECT_EQ(direct_map_remove(f, 1), 0);
	/* the hole is seen through both roots */
	EXPECT(sw_walk_host(c0->root_pa, dva(mfn_to_pa(f)), &pa, &level, NULL) != 0);
	EXPECT(sw_walk_host(c1->root_pa, dva(mfn_to_pa(f)), &pa, &level, NULL) != 0);
	hostmm_activate(1);
	EXPECT_EQ(sim.root, c1->root_pa);
	EXPECT(sim_faults(phys_to_virt(mfn_to_pa(f))));
}

TEST(dmap_hostmm_init_bad_input)
{
	static const struct mm_range ram[] = { { 0x100000, 0x1000000 } };
	struct hostmm_section bad = { 0xffffffff80000000ULL, 0x200001, PAGE_SIZE, PT_R };

	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	EXPECT_EQ(hostmm_init(0, NULL, 0), -EINVAL);
	EXPECT_EQ(hostmm_init(MAX_CPUS + 1, NULL, 0), -EINVAL);
	EXPECT_EQ(hostmm_init(1, &bad, 1), -EINVAL);
	EXPECT(sim_log_contains("building the host page tables failed"));
}

/*
 * The shootdown's bookkeeping: a removal from the shared direct map asks the
 * other CPUs to flush exactly the removed range, once per call and only after
 * the entries are gone; a restore, a refused call and a fixmap slot (per-CPU)
 * ask nothing of them.
 */
TEST(dmap_remove_shoots_down_exactly_its_range)
{
	sim_boot_standard();
	mfn_t f = pa_to_mfn(0x1ff000);
	u64 va = (u64)(uintptr_t)phys_to_virt(mfn_to_pa(_mfn(mfn_x(f) + 0x300)));
	void *slot_va;

	EXPECT_EQ(direct_map_remove(_mfn(mfn_x(f) + 0x300), 0x300), 0);
	EXPECT_EQ(sim.shootdown, 1);
	EXPECT_EQ(sim.last_shootdown_va, va);
	EXPECT_EQ(sim.last_shootdown_len, 0x300ULL << PAGE_SHIFT);

	EXPECT_EQ(direct_map_restore(_mfn(mfn_x(f) + 0x300), 0x300), 0);
	EXPECT_EQ(sim.shootdown, 1);

	EXPECT(direct_map_remove(_mfn(~0ULL >> PAGE_SHIFT), 1) != 0);
	EXPECT_EQ(sim.shootdown, 1);

	EXPECT_EQ(fixmap_set(FIX_GMAP_FIRST, f, &slot_va), 0);
	EXPECT_EQ(fixmap_clear(FIX_GMAP_FIRST), 0);
	EXPECT_EQ(sim.shootdown, 1);
}
