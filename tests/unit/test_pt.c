/*
 * The shared walker, on the host format: map/unmap/protect/translate/split,
 * leaf sizes, bad input, and every translation checked by the independent
 * software walk of tests/unit/sim.c.
 */
#include "mm/hostmm.h"
#include "mm/pte.h"
#include "sim.h"
#include "test.h"

static const struct mm_range ram[] = { { 0x100000, 0x7ff00000 } }; /* 2 GiB */

static void setup(struct pt *pt)
{
	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	EXPECT_EQ(pt_init(pt, &host_format, 3, FRAME_HV), 0);
}

/* Both walkers agree on va: same result, same pa, same level. */
static bool agree(const struct pt *pt, u64 va)
{
	u64 pa1 = 0, pa2 = 0;
	int l1 = 0, l2 = 0;
	int r1 = pt_translate(pt, va, &pa1, NULL, &l1);
	int r2 = sw_walk_host(pt->root_pa, va, &pa2, &l2, NULL);

	if ((r1 == 0) != (r2 == 0))
		return false;
	return r1 != 0 || (pa1 == pa2 && l1 == l2);
}

TEST(pt_map_4k_translates)
{
	struct pt pt;
	u64 pa, e;
	int level;
	unsigned int prot;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0x400000, 0x123000, PAGE_SIZE, PT_R | PT_W), 0);
	EXPECT_EQ(pt_translate(&pt, 0x400abc, &pa, &prot, &level), 0);
	EXPECT_EQ(pa, 0x123abc);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(prot, PT_R | PT_W);
	EXPECT_EQ(sw_walk_host(pt.root_pa, 0x400abc, &pa, &level, &e), 0);
	EXPECT_EQ(pa, 0x123abc);
	EXPECT(e & PTE_W);
	EXPECT(e & PTE_NX);
	EXPECT(!(e & PTE_U));
	EXPECT_EQ(pt_translate(&pt, 0x401000, &pa, NULL, NULL), -ENOENT);
	EXPECT_EQ(pt.tables, 4);
}

TEST(pt_map_uses_largest_leaves)
{
	struct pt pt;
	int level;
	u64 pa, e;

	setup(&pt);
	/* [1G - 8K, 2G + 2M + 4K): 4K leaves up to 1G, one 1G leaf, one 2M leaf, one 4K leaf */
	u64 va = SZ_1G - 2 * PAGE_SIZE, size = SZ_1G + SZ_2M + 3 * PAGE_SIZE;
	EXPECT_EQ(pt_map(&pt, va, va, size, PT_R | PT_X | PT_G), 0);
	EXPECT_EQ(pt_translate(&pt, SZ_1G - PAGE_SIZE, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(pt_translate(&pt, SZ_1G + 12345, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 3);
	EXPECT_EQ(pa, SZ_1G + 12345);
	EXPECT_EQ(pt_translate(&pt, 2 * SZ_1G + 5, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 2);
	EXPECT_EQ(pt_translate(&pt, 2 * SZ_1G + SZ_2M, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(sw_walk_host(pt.root_pa, SZ_1G, &pa, &level, &e), 0);
	EXPECT(e & PTE_PS);
	EXPECT(e & PTE_G);
	EXPECT(!(e & PTE_NX));
	EXPECT(!(e & PTE_W));
	for (u64 a = va; a < va + size; a += 0x3f000)
		EXPECT(agree(&pt, a));
	EXPECT(agree(&pt, va - PAGE_SIZE));
	EXPECT(agree(&pt, va + size));
}

TEST(pt_map_respects_max_leaf_level)
{
	struct pt pt;
	int level;
	u64 pa;

	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	EXPECT_EQ(pt_init(&pt, &host_format, 2, FRAME_HV), 0);
	EXPECT_EQ(pt_map(&pt, SZ_1G, SZ_1G, SZ_1G, PT_R), 0);
	EXPECT_EQ(pt_translate(&pt, SZ_1G, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 2);
	EXPECT_EQ(pt_init(&pt, &host_format, 0, FRAME_HV), -EINVAL);
	EXPECT_EQ(pt_init(&pt, &host_format, 4, FRAME_HV), -EINVAL);
}

TEST(pt_map_bad_input_changes_nothing)
{
	struct pt pt;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0x10000, 0x20000, PAGE_SIZE, PT_R), 0);
	u32 tables = pt.tables;
	EXPECT_EQ(pt_map(&pt, 0x1001, 0x2000, PAGE_SIZE, PT_R), -EINVAL);       /* unaligned va */
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2001, PAGE_SIZE, PT_R), -EINVAL);       /* unaligned pa */
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2000, 100, PT_R), -EINVAL);             /* unaligned size */
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x2000, 0, PT_R), -EINVAL);               /* empty */
	EXPECT_EQ(pt_map(&pt, ~0ULL - 0xfff, 0x2000, 0x2000, PT_R), -EINVAL);   /* wraps */
	EXPECT_EQ(pt_map(&pt, 0x800000000000ULL, 0x2000, PAGE_SIZE, PT_R), -EINVAL); /* non-canonical */
	EXPECT_EQ(pt_map(&pt, 0x7ffffffff000ULL, 0x2000, 0x2000, PT_R), -EINVAL); /* runs into the hole */
	EXPECT_EQ(pt_map(&pt, 0x1000, 1ULL << 52, PAGE_SIZE, PT_R), -EINVAL);   /* pa beyond 52 bits */
	EXPECT_EQ(pt_map(&pt, 0xf000, 0x50000, 0x3000, PT_R), -EEXIST);         /* overlaps 0x10000 */
	EXPECT_EQ(pt.tables, tables);
	EXPECT_EQ(pt_translate(&pt, 0xf000, NULL, NULL, NULL), -ENOENT);
	EXPECT_EQ(pt_translate(&pt, 0x11000, NULL, NULL, NULL), -ENOENT);
	u64 pa;
	EXPECT_EQ(pt_translate(&pt, 0x10000, &pa, NULL, NULL), 0);
	EXPECT_EQ(pa, 0x20000);
}

TEST(pt_map_upper_half)
{
	struct pt pt;
	u64 pa;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0xffffffff80200000ULL, 0x200000, SZ_2M, PT_R | PT_X), 0);
	EXPECT_EQ(pt_translate(&pt, 0xffffffff80200010ULL, &pa, NULL, NULL), 0);
	EXPECT_EQ(pa, 0x200010);
	EXPECT(agree(&pt, 0xffffffff80200010ULL));
	EXPECT_EQ(pt_map(&pt, 0xfffffffffffff000ULL, 0x1000, PAGE_SIZE, PT_R), -EINVAL); /* end wraps to 0 */
}

TEST(pt_unmap_splits_1g_down_to_4k)
{
	struct pt pt;
	int level;
	u64 pa;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, SZ_1G, 0, SZ_1G, PT_R | PT_W), 0);
	u64 hole = SZ_1G + 3 * SZ_2M + 5 * PAGE_SIZE;
	u64 flushes = sim.flush_va;
	EXPECT_EQ(pt_unmap(&pt, hole, PAGE_SIZE), 0);
	EXPECT(sim.flush_va > flushes);
	EXPECT_EQ(pt_translate(&pt, hole, &pa, NULL, NULL), -ENOENT);
	EXPECT_EQ(pt_translate(&pt, hole + PAGE_SIZE, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(pt_translate(&pt, SZ_1G, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 2);
	EXPECT_EQ(pa, 0);
	/* every other page of the GiB still translates, as the software walk agrees */
	int bad = 0;
	for (u64 a = SZ_1G; a < 2 * SZ_1G; a += PAGE_SIZE) {
		if (a == hole)
			continue;
		if (sw_walk_host(pt.root_pa, a, &pa, &level, NULL) || pa != a - SZ_1G)
			bad++;
	}
	EXPECT_EQ(bad, 0);
}

TEST(pt_unmap_bad_input_changes_nothing)
{
	struct pt pt;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0x200000, 0x200000, 0x4000, PT_R), 0);
	EXPECT_EQ(pt_unmap(&pt, 0x200000, 0x5000), -ENOENT); /* last page was never mapped */
	EXPECT_EQ(pt_unmap(&pt, 0x1fe000, 0x3000), -ENOENT);
	EXPECT_EQ(pt_unmap(&pt, 0x200800, 0x1000), -EINVAL);
	EXPECT_EQ(pt_unmap(&pt, 0x200000, 0), -EINVAL);
	for (u64 a = 0x200000; a < 0x204000; a += PAGE_SIZE)
		EXPECT_EQ(pt_translate(&pt, a, NULL, NULL, NULL), 0);
	EXPECT_EQ(pt_unmap(&pt, 0x200000, 0x4000), 0);
	EXPECT_EQ(pt_unmap(&pt, 0x200000, 0x4000), -ENOENT); /* twice */
}

TEST(pt_protect_changes_permissions_only)
{
	struct pt pt;
	unsigned int prot;
	u64 pa, e;
	int level;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0, 0, 2 * SZ_2M, PT_R | PT_W | PT_X), 0);
	EXPECT_EQ(pt_protect(&pt, SZ_2M + PAGE_SIZE, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(pt_translate(&pt, SZ_2M + PAGE_SIZE, &pa, &prot, &level), 0);
	EXPECT_EQ(prot, PT_R);
	EXPECT_EQ(pa, SZ_2M + PAGE_SIZE);
	EXPECT_EQ(sw_walk_host(pt.root_pa, SZ_2M + PAGE_SIZE, &pa, &level, &e), 0);
	EXPECT(!(e & PTE_W) && (e & PTE_NX));
	EXPECT_EQ(pt_translate(&pt, SZ_2M, NULL, &prot, NULL), 0);
	EXPECT_EQ(prot, PT_R | PT_W | PT_X);
	EXPECT_EQ(pt_translate(&pt, 0, NULL, &prot, &level), 0);
	EXPECT_EQ(level, 2); /* the untouched 2 MiB stays one leaf */
	EXPECT_EQ(pt_protect(&pt, 4 * SZ_2M, PAGE_SIZE, PT_R), -ENOENT);
	EXPECT_EQ(pt_protect(&pt, 0, PAGE_SIZE, ~0u), -EINVAL);
}

TEST(pt_split_explicit)
{
	struct pt pt;
	int level;
	u64 pa;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, SZ_1G, SZ_1G, SZ_1G, PT_R | PT_W), 0);
	EXPECT_EQ(pt_split(&pt, SZ_1G + 5 * SZ_2M, 2), -EINVAL); /* no 2 MiB leaf there yet */
	EXPECT_EQ(pt_split(&pt, SZ_1G + 5 * SZ_2M, 3), 0);
	EXPECT_EQ(pt_translate(&pt, SZ_1G + 5 * SZ_2M, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 2);
	EXPECT_EQ(pt_split(&pt, SZ_1G + 5 * SZ_2M + 77, 2), 0);
	EXPECT_EQ(pt_translate(&pt, SZ_1G + 5 * SZ_2M + PAGE_SIZE + 7, &pa, NULL, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(pa, SZ_1G + 5 * SZ_2M + PAGE_SIZE + 7);
	EXPECT_EQ(pt_split(&pt, SZ_1G + 5 * SZ_2M, 1), -EINVAL);
	EXPECT_EQ(pt_split(&pt, 0, 3), -EINVAL); /* nothing mapped */
	for (u64 a = SZ_1G; a < 2 * SZ_1G; a += 0x1ff000)
		EXPECT(agree(&pt, a));
}

struct leaves {
	int n;
	u64 va[8];
	int level[8];
};

static int collect(void *arg, u64 va, u64 pa, int level, unsigned int prot)
{
	struct leaves *l = arg;

	(void)pa;
	(void)prot;
	if (l->n < 8) {
		l->va[l->n] = va;
		l->level[l->n] = level;
	}
	l->n++;
	return 0;
}

TEST(pt_for_each_leaf_in_order)
{
	struct pt pt;
	struct leaves l = { 0 };

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0xffffffff80000000ULL, 0x200000, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(pt_map(&pt, 0x40000000, 0x40000000, SZ_1G, PT_R), 0);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x1000, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(pt_for_each_leaf(&pt, collect, &l), 0);
	EXPECT_EQ(l.n, 3);
	EXPECT_EQ(l.va[0], 0x1000);
	EXPECT_EQ(l.level[0], 1);
	EXPECT_EQ(l.va[1], 0x40000000);
	EXPECT_EQ(l.level[1], 3);
	EXPECT_EQ(l.va[2], 0xffffffff80000000ULL);
}

TEST(pt_destroy_frees_every_table)
{
	struct pt pt;

	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	u64 before = frames_free_count();
	EXPECT_EQ(pt_init(&pt, &host_format, 3, FRAME_HV), 0);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x1000, 0x5000, PT_R), 0);
	EXPECT_EQ(pt_map(&pt, 0xffffffff80000000ULL, 0x1000, SZ_2M, PT_R), 0);
	EXPECT(frames_free_count() < before);
	pt_destroy(&pt);
	EXPECT_EQ(frames_free_count(), before);
	EXPECT_EQ(pt.tables, 0);
}

TEST(pt_map_out_of_memory_rolls_back)
{
	struct pt pt;
	mfn_t rest;

	setup(&pt);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x1000, PAGE_SIZE, PT_R), 0);
	/* leave exactly one free frame: the range below needs three new tables */
	EXPECT_EQ(frames_alloc(frames_free_count() - 1, FRAME_HV, &rest), 0);
	EXPECT_EQ(pt_map(&pt, 0x1000, 0x1000, PAGE_SIZE, PT_R), -EEXIST);
	EXPECT_EQ(pt_map(&pt, 0x3ff000, 0x3ff000, 0x2000, PT_R), -ENOMEM);
	EXPECT_EQ(pt_translate(&pt, 0x3ff000, NULL, NULL, NULL), -ENOENT);
	EXPECT_EQ(pt_translate(&pt, 0x400000, NULL, NULL, NULL), -ENOENT);
	EXPECT_EQ(pt_translate(&pt, 0x1000, NULL, NULL, NULL), 0);
}
