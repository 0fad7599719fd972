/* The fixmap window: per-CPU slots, the LIFO stack, refusing busy slots. */
#include <string.h>
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/hostmm.h"
#include "sim.h"
#include "test.h"

static mfn_t frame(unsigned int i)
{
	return _mfn(0x100000 + i);
}

TEST(fixmap_push_maps_the_frame)
{
	void *va;
	u64 pa;
	int level;

	sim_boot_standard();
	EXPECT_EQ(fixmap_push(frame(1), &va), 0);
	EXPECT_EQ((u64)(uintptr_t)va, fix_to_virt(FIX_GMAP_FIRST));
	EXPECT_EQ(sw_walk_host(sim.root, (u64)(uintptr_t)va, &pa, &level, NULL), 0);
	EXPECT_EQ(pa, mfn_to_pa(frame(1)));
	*(u32 *)va = 0xabcd1234;
	EXPECT_EQ(*(u32 *)sim_phys(mfn_to_pa(frame(1))), 0xabcd1234);
	EXPECT_EQ(fixmap_busy(0), 1);
	u64 flushes = sim.flush_va;
	EXPECT_EQ(fixmap_pop(va), 0);
	EXPECT_EQ(sim.flush_va, flushes + 1); /* one INVLPG per unmap */
	EXPECT_EQ(sim.last_flush_va, (u64)(uintptr_t)va);
	EXPECT(sim_faults(va));
	EXPECT_EQ(fixmap_busy(0), 0);
}

TEST(fixmap_map_costs_no_flush)
{
	void *va;

	sim_boot_standard();
	u64 flushes = sim.flush_va;
	EXPECT_EQ(fixmap_push(frame(1), &va), 0);
	EXPECT_EQ(sim.flush_va, flushes);
	EXPECT_EQ(fixmap_pop(va), 0);
}

TEST(fixmap_exhaustion_overwrites_nothing)
{
	void *va[FIX_GMAP_SLOTS + 1];

	sim_boot_standard();
	for (unsigned int i = 0; i < FIX_GMAP_SLOTS; i++) {
		EXPECT_EQ(fixmap_push(frame(i), &va[i]), 0);
		*(u32 *)va[i] = i;
	}
	EXPECT_EQ(fixmap_push(frame(100), &va[FIX_GMAP_SLOTS]), -EBUSY);
	EXPECT(sim_log_contains("gmap slots"));
	for (unsigned int i = 0; i < FIX_GMAP_SLOTS; i++) {
		EXPECT_EQ(*(u32 *)va[i], i);
		EXPECT(fixmap_slot_maps(0, (u64)(uintptr_t)va[i], frame(i)));
	}
	for (int i = FIX_GMAP_SLOTS - 1; i >= 0; i--)
		EXPECT_EQ(fixmap_pop(va[i]), 0);
	EXPECT_EQ(fixmap_busy(0), 0);
}

TEST(fixmap_lifo_misuse_is_caught)
{
	void *a, *b;

	sim_boot_standard();
	EXPECT_EQ(fixmap_push(frame(1), &a), 0);
	EXPECT_EQ(fixmap_push(frame(2), &b), 0);
	EXPECT_EQ(fixmap_pop(a), -EINVAL);
	EXPECT(sim_log_contains("LIFO violation"));
	EXPECT(fixmap_slot_maps(0, (u64)(uintptr_t)a, frame(1))); /* left as it was */
	EXPECT_EQ(fixmap_pop(b), 0);
	EXPECT_EQ(fixmap_pop(a), 0);
	EXPECT_EQ(fixmap_pop(a), -EINVAL); /* twice: refused, harmless */
	EXPECT_EQ(fixmap_pop((void *)(uintptr_t)(fix_to_virt(FIX_SCRUB))), -EINVAL);
	EXPECT_EQ(fixmap_pop((void *)(uintptr_t)(fix_to_virt(0) + 8)), -EINVAL);
	EXPECT_EQ(fixmap_busy(0), 0);
}

TEST(fixmap_named_slot_busy_is_refused)
{
	void *va, *va2;

	sim_boot_standard();
	EXPECT_EQ(fixmap_set(FIX_SCRUB, frame(1), &va), 0);
	EXPECT_EQ(fixmap_set(FIX_SCRUB, frame(2), &va2), -EBUSY);
	EXPECT(sim_log_contains("busy"));
	EXPECT(fixmap_slot_maps(0, (u64)(uintptr_t)va, frame(1)));
	EXPECT_EQ(fixmap_clear(FIX_SCRUB), 0);
	EXPECT_EQ(fixmap_clear(FIX_SCRUB), -EINVAL);
	EXPECT_EQ(fixmap_set(FIX_NR, frame(1), &va), -EINVAL);
}

TEST(fixmap_slots_are_per_cpu)
{
	void *va;
	u64 pa;
	int level;

	sim_boot_standard();
	sim_cpu = 1;
	hostmm_activate(1);
	EXPECT_EQ(fixmap_push(frame(9), &va), 0);
	EXPECT_EQ(sw_walk_host(hostmm_cpu_pt(1)->root_pa, (u64)(uintptr_t)va, &pa, &level, NULL), 0);
	EXPECT(sw_walk_host(hostmm_cpu_pt(0)->root_pa, (u64)(uintptr_t)va, &pa, &level, NULL) != 0);
	EXPECT_EQ(fixmap_busy(1), 1);
	EXPECT_EQ(fixmap_busy(0), 0);
	EXPECT(!fixmap_slot_maps(0, (u64)(uintptr_t)va, frame(9)));
	EXPECT_EQ(fixmap_pop(va), 0);
}

/* A CPU brought up after boot (hv/platform/smp.c) gets a root like the others': its own slots, the shared rest. */
TEST(fixmap_cpu_added_after_boot_has_its_own_slots)
{
	void *va;
	u64 pa;
	int level;
	u64 dva = (u64)(uintptr_t)phys_to_virt(mfn_to_pa(frame(3)));

	sim_boot_standard();
	EXPECT_EQ(hostmm_ncpus(), 2);
	EXPECT_EQ(hostmm_add_cpu(3), -EINVAL); /* only the next one */
	EXPECT_EQ(hostmm_add_cpu(2), 0);
	EXPECT_EQ(hostmm_ncpus(), 3);
	EXPECT_EQ(sw_walk_host(hostmm_cpu_pt(2)->root_pa, dva, &pa, &level, NULL), 0); /* the shared direct map */
	EXPECT_EQ(pa, mfn_to_pa(frame(3)));
	sim_cpu = 2;
	hostmm_activate(2);
	EXPECT_EQ(fixmap_push(frame(9), &va), 0);
	EXPECT_EQ(sw_walk_host(hostmm_cpu_pt(2)->root_pa, (u64)(uintptr_t)va, &pa, &level, NULL), 0);
	EXPECT(sw_walk_host(hostmm_cpu_pt(0)->root_pa, (u64)(uintptr_t)va, &pa, &level, NULL) != 0);
	EXPECT_EQ(fixmap_busy(2), 1);
	EXPECT_EQ(fixmap_pop(va), 0);
	for (unsigned int cpu = 3; cpu < MAX_CPUS; cpu++)
		EXPECT_EQ(hostmm_add_cpu(cpu), 0);
	EXPECT_EQ(hostmm_add_cpu(MAX_CPUS), -EINVAL);
}
