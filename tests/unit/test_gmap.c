/*
 * Guest memory and the guest-map contract, clause by clause (mm/gmap.h).
 */
#include <stdlib.h>
#include <string.h>
#include "hv/vm/vm.h"
#include "mm/audit.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "sim.h"
#include "test.h"

/* A VM with 4 MiB at gfn 0 and 16 pages at gfn 0x10000. */
static void make_vm(struct vm *vm)
{
	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(vm, 1, 2), 0);
	EXPECT_EQ(vm_mem_add(vm, _gfn(0), 1024), 0);
	EXPECT_EQ(vm_mem_add(vm, _gfn(0x10000), 16), 0);
}

static mfn_t backing(struct vm *vm, u64 gfn)
{
	mfn_t m = INVALID_MFN;
	EXPECT_EQ(guest_mem_lookup(&vm->mem, _gfn(gfn), &m), 0);
	return m;
}

TEST(gmap_guest_memory_layout)
{
	struct vm vm;
	u64 hpa;
	int level;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_pages(&vm.mem), 1040);
	EXPECT_EQ(frame_owner(backing(&vm, 5)), frame_owner_guest(1));
	EXPECT_EQ(mfn_x(backing(&vm, 0)) % 512, 0); /* 2 MiB-aligned for 2 MiB EPT leaves */
	EXPECT_EQ(ept_translate(&vm.ept, 0x3000, &hpa, NULL, &level), 0);
	EXPECT_EQ(hpa, mfn_to_pa(backing(&vm, 3)));
	EXPECT_EQ(level, 2);
	EXPECT_EQ(ept_translate(&vm.ept, 0x10000000 + 0x5000, &hpa, NULL, &level), 0);
	EXPECT_EQ(hpa, mfn_to_pa(backing(&vm, 0x10005)));
	mfn_t m;
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(1024), &m), -EINVAL);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(0x10010), &m), -EINVAL);
}

TEST(gmap_guest_mem_add_bad_input)
{
	struct vm vm;

	make_vm(&vm);
	u64 free_before = frames_free_count();
	EXPECT_EQ(vm_mem_add(&vm, _gfn(2000), 0), -EINVAL);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(1000), 100), -EINVAL);        /* overlaps slot 0 */
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0xffff), 2), -EINVAL);        /* overlaps slot 1 */
	EXPECT_EQ(vm_mem_add(&vm, _gfn(~0ULL - 1), 4), -EINVAL);     /* wraps */
	EXPECT_EQ(vm_mem_add(&vm, _gfn(1ULL << 60), 1), -EINVAL);    /* gpa overflows */
	EXPECT_EQ(vm_mem_add(&vm, _gfn(1ULL << 40), 1), -EINVAL);    /* beyond EPT's 48 bits */
	EXPECT_EQ(frames_free_count(), free_before);
	EXPECT_EQ(vm.mem.nslots, 2);
	for (unsigned int i = 2; i < GUEST_MEM_SLOTS; i++)
		EXPECT_EQ(vm_mem_add(&vm, _gfn(0x20000 + i * 16), 1), 0);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0x30000), 1), -EINVAL);       /* no slot left */
	struct vm bad;
	EXPECT_EQ(vm_mem_init(&bad, FRAME_MAX_GUESTS, 2), -EINVAL);
}

TEST(gmap_unprotected_frame_maps_to_direct_map)
{
	struct vm vm;
	struct gmap map;

	make_vm(&vm);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(7), &map, NULL, false), 0);
	EXPECT(!map.protected);
	EXPECT_EQ((u64)(uintptr_t)map.hva, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(backing(&vm, 7))));
	EXPECT_EQ(mfn_x(map.pfn), mfn_x(backing(&vm, 7)));
	EXPECT_EQ(gfn_x(map.gfn), 7);
	EXPECT_EQ(fixmap_busy(0), 0);
	gmap_unmap(&vm.mem, &map, NULL, false, false);
	EXPECT(map.hva == NULL);
}

TEST(gmap_protected_frame_maps_to_fixmap_slot)
{
	struct vm vm;
	struct gmap map;

	make_vm(&vm);
	memcpy(sim_phys(mfn_to_pa(backing(&vm, 9))), "secret", 7);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT(!direct_map_reaches(backing(&vm, 9)));
	EXPECT(sim_faults(phys_to_virt(mfn_to_pa(backing(&vm, 9)))));
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(9), &map, NULL, true), 0); /* atomic: served, no -EAGAIN */
	EXPECT(map.protected);
	EXPECT_EQ((u64)(uintptr_t)map.hva, fix_to_virt(FIX_GMAP_FIRST));
	EXPECT(strcmp(map.hva, "secret") == 0);
	memcpy(map.hva, "changed", 8);
	EXPECT_EQ(fixmap_busy(0), 1);
	EXPECT_EQ(audit_host(NULL), 0); /* an active slot is the one allowed way */
	gmap_unmap(&vm.mem, &map, NULL, true, true);
	EXPECT(map.hva == NULL);
	EXPECT_EQ(fixmap_busy(0), 0);
	EXPECT(strcmp(sim_phys(mfn_to_pa(backing(&vm, 9))), "changed") == 0);
	EXPECT(sim_faults((void *)(uintptr_t)fix_to_virt(FIX_GMAP_FIRST)));
}

TEST(gmap_map_outside_memory_maps_nothing)
{
	struct vm vm;
	struct gmap map = { (void *)1, { 0 }, { 0 }, false };

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(1024), &map, NULL, false), -EINVAL);
	EXPECT(map.hva == NULL);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(~0ULL), &map, NULL, false), -EINVAL);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(3), NULL, NULL, false), -EINVAL);
	EXPECT_EQ(fixmap_busy(0), 0);
	EXPECT_EQ(vm.mem.mappers, 0);
}

TEST(gmap_unmap_twice_is_harmless)
{
	struct vm vm;
	struct gmap map;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(1), &map, NULL, false), 0);
	gmap_unmap(&vm.mem, &map, NULL, false, false);
	u64 flushes = sim.flush_va;
	gmap_unmap(&vm.mem, &map, NULL, false, false);
	gmap_unmap(&vm.mem, NULL, NULL, false, false);
	EXPECT_EQ(sim.flush_va, flushes);
	EXPECT_EQ(vm.mem.mappers, 0);
	EXPECT_EQ(fixmap_busy(0), 0);
}

TEST(gmap_dirty_log_only_when_asked)
{
	struct vm vm;
	struct gmap map;

	make_vm(&vm);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(3), &map, NULL, false), 0);
	gmap_unmap(&vm.mem, &map, NULL, false, false);
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(3)));
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(0x1000f - 0x10000 + 0x10000), &map, NULL, false), 0);
	gmap_unmap(&vm.mem, &map, NULL, true, false);
	EXPECT(gmap_dirty_test_and_clear(&vm.mem, _gfn(0x1000f)));
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(0x1000f))); /* cleared by the ask */
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(0x1000e)));
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(5000)));    /* outside: just false */
}

static u64 hv_frames(void)
{
	u64 n = 0;

	for (u64 f = 0; f < frames_limit(); f++)
		n += frame_owner(_mfn(f)) == FRAME_HV;
	return n;
}

/* Issue #15: the dirty log is taken at the guest's first ask, for all its slots; before, nothing is. */
TEST(gmap_dirty_log_is_allocated_at_the_first_ask)
{
	struct vm vm;
	struct gmap map;

	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(&vm, 1, 2), 0);
	u64 before = hv_frames();
	EXPECT_EQ(guest_mem_add(&vm.mem, _gfn(0), 1024, NULL), 0);
	EXPECT_EQ(guest_mem_add(&vm.mem, _gfn(0x10000), 16, NULL), 0);
	EXPECT_EQ(hv_frames(), before);                     /* no dirty log with the memory */
	EXPECT_EQ(guest_mem_dirty_log_bytes(&vm.mem), 0);
	EXPECT_EQ(copy_to_guest(&vm.mem, 5 * PAGE_SIZE, "x", 1), 0); /* a write before any ask */
	EXPECT_EQ(hv_frames(), before);

	/* the first ask, about the second slot: both slots get their log */
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(0x10003)), 0); /* that slot was never written */
	EXPECT_EQ(guest_mem_dirty_log_bytes(&vm.mem), 2 * PAGE_SIZE);
	EXPECT_EQ(hv_frames(), before + 2);
	/* the first slot was written before the log: which page is unknown, so each reads dirty once */
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(5)), 1);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(700)), 1);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(700)), 0);
	/* from then on exact */
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(0x1000f), &map, NULL, false), 0);
	gmap_unmap(&vm.mem, &map, NULL, true, false);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(0x1000f)), 1);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(0x1000e)), 0);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(0x1000f)), 0);
	EXPECT_EQ(guest_mem_dirty_log_bytes(&vm.mem), 2 * PAGE_SIZE); /* asking again allocates nothing */
	guest_mem_destroy(&vm.mem);
	EXPECT_EQ(hv_frames(), before);                     /* and teardown gives it back */
}

/* A cache filled before the log existed points at the slot's `written` note: a write through it is still reported. */
TEST(gmap_dirty_write_through_a_cache_from_before_the_log)
{
	struct vm vm;
	struct gfn_cache c = { 0 };
	struct gmap map;
	void *hva = NULL;

	make_vm(&vm);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(40), &map, &c, false), 0); /* fills the cache, no log yet */
	gmap_unmap(&vm.mem, &map, &c, false, false);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(41)), 0); /* the log starts: nothing written yet */
	/* a mapping that started on the old generation, as a vCPU racing the first ask would hold it */
	EXPECT(c.valid);
	c.generation = vm.mem.generation;
	EXPECT(gmap_map_fast(&vm.mem, _gfn(40), &c, 0, &hva));
	gmap_unmap_fast(&vm.mem, &c, 0, hva);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(40)), 1);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(40)), 0);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(41)), 1); /* which page it was is unknown: all read dirty */
	/* a cache filled now logs into the log itself */
	c.valid = false;
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(40), &map, &c, false), 0);
	gmap_unmap(&vm.mem, &map, &c, false, false);
	EXPECT(gmap_map_fast(&vm.mem, _gfn(40), &c, 0, &hva));
	gmap_unmap_fast(&vm.mem, &c, 0, hva);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(41)), 0);
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(40)), 1);
}

TEST(gmap_cache_is_refilled_after_generation_bump)
{
	struct vm vm;
	struct gmap map;
	struct gfn_cache cache = { 0 };

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(4), &map, &cache, false), 0);
	EXPECT(cache.valid && cache.protected);
	EXPECT_EQ(cache.generation, vm.mem.generation);
	gmap_unmap(&vm.mem, &map, &cache, false, false);

	u64 gen = vm.mem.generation;
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(4), 1), 0);
	EXPECT(vm.mem.generation > gen);
	/* a stale cache would say "protected" and use a slot */
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(4), &map, &cache, false), 0);
	EXPECT(!map.protected);
	EXPECT(!cache.protected);
	EXPECT_EQ(cache.generation, vm.mem.generation);
	EXPECT_EQ((u64)(uintptr_t)map.hva, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(backing(&vm, 4))));
	gmap_unmap(&vm.mem, &map, &cache, false, false);

	EXPECT_EQ(guest_mem_unshare(&vm.mem, _gfn(4), 1), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(4), &map, &cache, false), 0);
	EXPECT(map.protected);
	gmap_unmap(&vm.mem, &map, &cache, false, false);
	/* a cache for another gfn is not used for this one */
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(5), &map, &cache, false), 0);
	EXPECT_EQ(gfn_x(cache.gfn), 5);
	EXPECT_EQ(mfn_x(map.pfn), mfn_x(backing(&vm, 5)));
	gmap_unmap(&vm.mem, &map, &cache, false, false);
}

TEST(gmap_slot_exhaustion_is_ebusy)
{
	struct vm vm;
	struct gmap map[FIX_GMAP_SLOTS + 1];

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	for (int i = 0; i < FIX_GMAP_SLOTS; i++)
		EXPECT_EQ(gmap_map(&vm.mem, _gfn(i), &map[i], NULL, false), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(100), &map[FIX_GMAP_SLOTS], NULL, false), -EBUSY);
	EXPECT(map[FIX_GMAP_SLOTS].hva == NULL);
	EXPECT(sim_log_contains("in use"));
	for (int i = FIX_GMAP_SLOTS - 1; i >= 0; i--)
		gmap_unmap(&vm.mem, &map[i], NULL, false, false);
	EXPECT_EQ(vm.mem.mappers, 0);
}

static struct vm *panic_vm;
static struct gmap panic_maps[2];

static void unmap_out_of_order(void *arg)
{
	(void)arg;
	gmap_unmap(&panic_vm->mem, &panic_maps[0], NULL, false, false);
}

TEST(gmap_out_of_order_unmap_panics)
{
	static struct vm vm;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(1), &panic_maps[0], NULL, false), 0);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(2), &panic_maps[1], NULL, false), 0);
	panic_vm = &vm;
	EXPECT(test_expect_panic(unmap_out_of_order, NULL));
	EXPECT(strstr(sim_panic_msg, "out of order") != NULL);
}

TEST(gmap_share_unshare_move_frames)
{
	struct vm vm;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(0), 1), -EPERM); /* before ENABLE_MEM_PROTECTED */
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	for (u64 g = 0; g < 1024; g += 97)
		EXPECT(!direct_map_reaches(backing(&vm, g)));
	EXPECT(frame_is_protected(backing(&vm, 0x10003)));
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(10), 20), 0);
	EXPECT(direct_map_reaches(backing(&vm, 10)));
	EXPECT(direct_map_reaches(backing(&vm, 29)));
	EXPECT(!direct_map_reaches(backing(&vm, 30)));
	EXPECT(!frame_is_protected(backing(&vm, 15)));
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(5), 10), 0); /* partly shared already: fine */
	EXPECT(direct_map_reaches(backing(&vm, 5)));
	EXPECT_EQ(guest_mem_unshare(&vm.mem, _gfn(12), 2), 0);
	EXPECT(!direct_map_reaches(backing(&vm, 12)));
	EXPECT(!direct_map_reaches(backing(&vm, 13)));
	EXPECT(direct_map_reaches(backing(&vm, 14)));
	EXPECT_EQ(audit_host(NULL), 0);
}

TEST(gmap_share_bad_input_changes_nothing)
{
	struct vm vm;
	struct gmap map;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	u64 gen = vm.mem.generation;
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(0), 0), -EINVAL);              /* zero pages */
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(1), ~0ULL), -EINVAL);          /* overflow */
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(1020), 8), -EINVAL);           /* straddles the end */
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(5000), 1), -EINVAL);           /* outside memory */
	EXPECT_EQ(guest_mem_unshare(&vm.mem, _gfn(~0ULL), 2), -EINVAL);
	EXPECT_EQ(gmap_map(&vm.mem, _gfn(1), &map, NULL, false), 0);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(1020), 8), -EINVAL);  /* bad input is refused with a mapping live */
	gmap_unmap(&vm.mem, &map, NULL, false, false);
	EXPECT_EQ(vm.mem.generation, gen);
	EXPECT(!direct_map_reaches(backing(&vm, 1020)));
	EXPECT(!direct_map_reaches(backing(&vm, 1)));
	EXPECT(sim_log_contains("refused"));
}

TEST(gmap_copy_across_pages_and_protection)
{
	struct vm vm;
	u8 buf[3 * PAGE_SIZE], back[3 * PAGE_SIZE];

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(21), 1), 0); /* protected, shared, protected */
	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 7 + 3);
	u64 gpa = 20 * PAGE_SIZE + 100;
	EXPECT_EQ(gmap_dirty_test_and_clear(&vm.mem, _gfn(20)), 0); /* the first ask starts the dirty log */
	EXPECT_EQ(copy_to_guest(&vm.mem, gpa, buf, sizeof(buf) - 200), 0);
	/* independent check through the bus, page by page */
	int bad = 0;
	for (u64 i = 0; i < sizeof(buf) - 200; i++) {
		u64 g = (gpa + i) >> PAGE_SHIFT;
		u8 *p = sim_phys(mfn_to_pa(backing(&vm, g)) + ((gpa + i) & (PAGE_SIZE - 1)));
		bad += *p != buf[i];
	}
	EXPECT_EQ(bad, 0);
	EXPECT(gmap_dirty_test_and_clear(&vm.mem, _gfn(20)));
	EXPECT(gmap_dirty_test_and_clear(&vm.mem, _gfn(21)));
	EXPECT(gmap_dirty_test_and_clear(&vm.mem, _gfn(22)));
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(23)));
	memset(back, 0, sizeof(back));
	EXPECT_EQ(copy_from_guest(&vm.mem, back, gpa, sizeof(buf) - 200), 0);
	EXPECT(memcmp(back, buf, sizeof(buf) - 200) == 0);
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(20))); /* reading dirties nothing */
	EXPECT_EQ(fixmap_busy(0), 0);
	EXPECT_EQ(copy_from_guest(&vm.mem, back, gpa, 0), 0);
}

TEST(gmap_copy_out_of_range_copies_nothing)
{
	struct vm vm;
	u8 buf[2 * PAGE_SIZE];

	make_vm(&vm);
	memset(buf, 0xee, sizeof(buf));
	u64 last = 1023 * PAGE_SIZE;
	EXPECT_EQ(copy_to_guest(&vm.mem, last + 10, buf, PAGE_SIZE), -EINVAL); /* straddles the end */
	EXPECT_EQ(*(u8 *)sim_phys(mfn_to_pa(backing(&vm, 1023)) + 10), 0);
	EXPECT_EQ(copy_to_guest(&vm.mem, ~0ULL - 5, buf, 10), -EINVAL);        /* wraps */
	EXPECT_EQ(copy_from_guest(&vm.mem, buf, 1024 * PAGE_SIZE, 1), -EINVAL);
	EXPECT_EQ(copy_from_guest(&vm.mem, buf, 0x10010ULL * PAGE_SIZE - 1, 2), -EINVAL);
	EXPECT(!gmap_dirty_test_and_clear(&vm.mem, _gfn(1023)));
}

/* A length so large that offset + length wraps: still refused whole, nothing copied (the in-page shortcut). */
TEST(gmap_copy_of_a_wrapping_length_copies_nothing)
{
	struct vm vm;
	const size_t size = 5u << 20; /* more than the 4 MiB slot: a copy that ran would stop inside it */
	u8 *dst = malloc(size);

	make_vm(&vm);
	memset(dst, 0xee, size);
	EXPECT_EQ(copy_from_guest(&vm.mem, dst, 0x10, ~0ULL - 5), -EINVAL);
	size_t touched = 0;
	for (size_t i = 0; i < size; i++)
		touched += dst[i] != 0xee;
	EXPECT_EQ(touched, 0);
	EXPECT_EQ(copy_to_guest(&vm.mem, 0x10, dst, ~0ULL - 5), -EINVAL);
	EXPECT_EQ(fixmap_busy(0), 0);
	free(dst);
}

TEST(gmap_memory_added_after_enable_is_protected)
{
	struct vm vm;

	make_vm(&vm);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0x20000), 4), 0);
	EXPECT(frame_is_protected(backing(&vm, 0x20002)));
	EXPECT(!direct_map_reaches(backing(&vm, 0x20002)));
	EXPECT_EQ(audit_host(NULL), 0);
}

TEST(gmap_destroy_scrubs_and_restores)
{
	struct vm vm, next;

	make_vm(&vm);
	u64 free_before_destroy = frames_free_count();
	mfn_t m0 = backing(&vm, 0), m1 = backing(&vm, 0x10000);
	memset(sim_phys(mfn_to_pa(m0)), 0x11, 1024 * PAGE_SIZE);
	memset(sim_phys(mfn_to_pa(m1)), 0x22, 16 * PAGE_SIZE);
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(3), 1), 0);
	u64 used = 1024 + 16 + 1 + 1;
	vm_mem_destroy(&vm);
	EXPECT(frames_free_count() >= free_before_destroy + used);
	int dirty = 0;
	for (u64 i = 0; i < 1024 * PAGE_SIZE; i += 64)
		dirty += *(u8 *)sim_phys(mfn_to_pa(m0) + i) != 0;
	for (u64 i = 0; i < 16 * PAGE_SIZE; i += 64)
		dirty += *(u8 *)sim_phys(mfn_to_pa(m1) + i) != 0;
	EXPECT_EQ(dirty, 0);
	EXPECT(direct_map_reaches(m0));
	EXPECT(direct_map_reaches(m1));
	EXPECT(!frame_is_protected(m0));
	EXPECT_EQ(frame_owner(m0), FRAME_FREE);
	EXPECT_EQ(audit_host(NULL), 0);
	/* the next guest gets zeros */
	EXPECT_EQ(vm_mem_init(&next, 2, 2), 0);
	EXPECT_EQ(vm_mem_add(&next, _gfn(0), 1024), 0);
	u8 b[64];
	EXPECT_EQ(copy_from_guest(&next.mem, b, 5 * PAGE_SIZE, sizeof(b)), 0);
	for (unsigned int i = 0; i < sizeof(b); i++)
		dirty += b[i];
	EXPECT_EQ(dirty, 0);
}
