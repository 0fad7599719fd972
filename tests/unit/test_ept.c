/* EPT: leaves, permissions, memory type, EPTP, INVEPT, splits, bad input. */
#include "ept/ept.h"
#include "ept/ept_hw.h"
#include "sim.h"
#include "test.h"

static const struct mm_range ram[] = { { 0x100000, 0x7ff00000 } };

static void setup(struct ept *ept, int max_level)
{
	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	EXPECT_EQ(ept_init(ept, max_level, false), 0);
}

TEST(ept_pointer_layout)
{
	struct ept ept, ad;

	setup(&ept, 2);
	EXPECT_EQ(ept_pointer(&ept) & 7, EPTP_MT_WB);
	EXPECT_EQ((ept_pointer(&ept) >> 3) & 7, 3); /* 4-level walk */
	EXPECT_EQ(ept_pointer(&ept) & ~0xfffULL, ept.pt.root_pa);
	EXPECT(!(ept_pointer(&ept) & EPTP_AD));
	EXPECT_EQ(ept_init(&ad, 2, true), 0);
	EXPECT(ept_pointer(&ad) & EPTP_AD);
}

TEST(ept_map_2m_leaves_wb_rwx)
{
	struct ept ept;
	u64 hpa, e;
	int level;
	unsigned int prot;

	setup(&ept, 2);
	EXPECT_EQ(ept_map(&ept, 0, _mfn(0x10000), 8 * SZ_2M, PT_R | PT_W | PT_X), 0);
	EXPECT_EQ(sw_walk_ept(ept_pointer(&ept), 3 * SZ_2M + 0x123, &hpa, &level, &e), 0);
	EXPECT_EQ(hpa, 0x10000000ULL + 3 * SZ_2M + 0x123);
	EXPECT_EQ(level, 2);
	EXPECT_EQ((e >> EPT_MT_SHIFT) & 7, EPT_MT_WB);
	EXPECT(e & EPT_IPAT);
	EXPECT_EQ(e & EPT_RWX, EPT_RWX);
	EXPECT_EQ(ept_translate(&ept, 3 * SZ_2M + 0x123, &hpa, &prot, &level), 0);
	EXPECT_EQ(prot, PT_R | PT_W | PT_X);
	/* 16 MiB of guest in 2 MiB leaves: root, PDPT, one PD */
	EXPECT_EQ(ept.pt.tables, 3);
	EXPECT_EQ(ept_translate(&ept, 8 * SZ_2M, &hpa, NULL, NULL), -ENOENT);
}

TEST(ept_max_level_limits_leaves)
{
	struct ept ept;
	int level;
	u64 hpa;

	setup(&ept, 1);
	EXPECT_EQ(ept_map(&ept, 0, _mfn(0x10000), SZ_2M, PT_R | PT_W), 0);
	EXPECT_EQ(ept_translate(&ept, 0x1000, &hpa, NULL, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(ept.pt.tables, 4);
	struct ept big;
	EXPECT_EQ(ept_init(&big, 3, false), 0);
	EXPECT_EQ(ept_map(&big, SZ_1G, _mfn(0), SZ_1G, PT_R), 0);
	EXPECT_EQ(ept_translate(&big, SZ_1G, &hpa, NULL, &level), 0);
	EXPECT_EQ(level, 3);
}

TEST(ept_unmap_and_protect_invept)
{
	struct ept ept;
	unsigned int prot;

	setup(&ept, 2);
	EXPECT_EQ(ept_map(&ept, 0, _mfn(0x10000), SZ_2M, PT_R | PT_W | PT_X), 0);
	u64 n = sim.invept;
	EXPECT_EQ(ept_protect(&ept, 0x5000, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(sim.invept, n + 1);
	EXPECT_EQ(sim.last_invept, ept_pointer(&ept));
	EXPECT_EQ(ept_translate(&ept, 0x5000, NULL, &prot, NULL), 0);
	EXPECT_EQ(prot, PT_R);
	EXPECT_EQ(ept_translate(&ept, 0x6000, NULL, &prot, NULL), 0);
	EXPECT_EQ(prot, PT_R | PT_W | PT_X);
	n = sim.invept;
	EXPECT_EQ(ept_unmap(&ept, 0x6000, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(sim.invept, n + 1); /* once per operation, not per leaf */
	EXPECT_EQ(ept_translate(&ept, 0x7000, NULL, NULL, NULL), -ENOENT);
	EXPECT_EQ(ept_translate(&ept, 0x8000, NULL, NULL, NULL), 0);
}

TEST(ept_bad_input_changes_nothing)
{
	struct ept ept;

	setup(&ept, 2);
	EXPECT_EQ(ept_map(&ept, 0, _mfn(0x10000), SZ_2M, PT_R | PT_W), 0);
	u64 n = sim.invept;
	EXPECT_EQ(ept_map(&ept, SZ_2M, _mfn(0x10000), PAGE_SIZE, 0), -EINVAL);          /* no permission */
	EXPECT_EQ(ept_map(&ept, SZ_2M, _mfn(0x10000), PAGE_SIZE, PT_W), -EINVAL);       /* write-only */
	EXPECT_EQ(ept_map(&ept, SZ_2M, _mfn(0x10000), PAGE_SIZE, PT_R | PT_G), -EINVAL); /* host-only bit */
	EXPECT_EQ(ept_map(&ept, EPT_GPA_LIMIT, _mfn(0x10000), PAGE_SIZE, PT_R), -EINVAL);
	EXPECT_EQ(ept_map(&ept, EPT_GPA_LIMIT - PAGE_SIZE, _mfn(0x10000), 2 * PAGE_SIZE, PT_R), -EINVAL);
	EXPECT_EQ(ept_map(&ept, 0x1000, _mfn(0x20000), PAGE_SIZE, PT_R), -EEXIST);
	EXPECT_EQ(ept_protect(&ept, 0, PAGE_SIZE, PT_W | PT_X), -EINVAL);
	EXPECT_EQ(ept_protect(&ept, SZ_2M, PAGE_SIZE, PT_R), -ENOENT);
	EXPECT_EQ(ept_unmap(&ept, SZ_2M - PAGE_SIZE, 2 * PAGE_SIZE), -ENOENT);
	EXPECT_EQ(ept_unmap(&ept, 0x800, PAGE_SIZE), -EINVAL);
	EXPECT_EQ(sim.invept, n);
	int level;
	EXPECT_EQ(ept_translate(&ept, 0, NULL, NULL, &level), 0);
	EXPECT_EQ(level, 2);
}

TEST(ept_split_1g_2m_4k_keeps_translations)
{
	struct ept ept;
	int level, bad = 0;
	u64 hpa;

	setup(&ept, 3);
	EXPECT_EQ(ept_map(&ept, 0, _mfn(0x40000), SZ_1G, PT_R | PT_X), 0);
	EXPECT_EQ(ept_split(&ept, 7 * SZ_2M, 3), 0);
	EXPECT_EQ(ept_split(&ept, 7 * SZ_2M, 2), 0);
	EXPECT_EQ(ept_translate(&ept, 7 * SZ_2M + PAGE_SIZE, &hpa, NULL, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(ept_translate(&ept, 9 * SZ_2M, &hpa, NULL, &level), 0);
	EXPECT_EQ(level, 2);
	for (u64 g = 0; g < SZ_1G; g += PAGE_SIZE)
		if (sw_walk_ept(ept_pointer(&ept), g, &hpa, &level, NULL) || hpa != SZ_1G + g)
			bad++;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(ept_split(&ept, 7 * SZ_2M, 2), -EINVAL);
}

TEST(ept_destroy_frees_tables)
{
	struct ept ept;

	EXPECT_EQ(frames_init(ram, 1, NULL, 0), 0);
	u64 before = frames_free_count();
	EXPECT_EQ(ept_init(&ept, 2, false), 0);
	EXPECT_EQ(ept_map(&ept, 0, _mfn(0x10000), 3 * SZ_2M + PAGE_SIZE, PT_R), 0);
	ept_destroy(&ept);
	EXPECT_EQ(frames_free_count(), before);
}
