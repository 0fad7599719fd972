/*
 * KVM's clock and steal time through the guest-map contract
 * (hv/vm/kvm_clock.h): the MSRs' validation, the records' contents, and
 * every steal-time update through the per-vCPU cache, in shared and in
 * protected frames, across the events that must invalidate the cache.
 */
#include <string.h>
#include <keyhole/kvm_para.h>
#include "hv/vm/kvm_clock.h"
#include "hv/vm/vm.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "sim.h"
#include "test.h"

#define HZ 200000000ull /* 5 ns per tick */

/* A VM of 4 MiB at gfn 0 whose kvm-clock started at TSC 1000, wall clock 2026-12-01 00:00:00 at TSC 0. */
static void make_vm(struct vm *vm, struct kvm_pv_vcpu *pv)
{
	struct host_clock h = { 0 };

	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(vm, 1, 2), 0);
	EXPECT_EQ(vm_mem_add(vm, _gfn(0), 1024), 0);
	host_clock_set(&h, HZ, true);
	h.wall_tsc = 0;
	h.wall_sec = 1796083200;
	kvm_clock_vm_init(&vm->clock, &h, 1000);
	memset(pv, 0, sizeof(*pv));
}

static mfn_t backing(struct vm *vm, u64 gfn)
{
	mfn_t m = INVALID_MFN;
	EXPECT_EQ(guest_mem_lookup(&vm->mem, _gfn(gfn), &m), 0);
	return m;
}

/* The bus view of guest-physical gpa: what the guest reads there, whatever keyhole's maps say. */
static void *guest_phys(struct vm *vm, u64 gpa)
{
	return (u8 *)sim_phys(mfn_to_pa(backing(vm, gpa >> PAGE_SHIFT))) + (gpa & (PAGE_SIZE - 1));
}

TEST(kvm_msrs_offered_and_read_back)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	EXPECT(kvm_msr_offered(MSR_KVM_WALL_CLOCK_NEW));
	EXPECT(kvm_msr_offered(MSR_KVM_SYSTEM_TIME_NEW));
	EXPECT(kvm_msr_offered(MSR_KVM_STEAL_TIME));
	EXPECT(!kvm_msr_offered(MSR_KVM_WALL_CLOCK));  /* KVM_FEATURE_CLOCKSOURCE is not offered */
	EXPECT(!kvm_msr_offered(MSR_KVM_SYSTEM_TIME));
	EXPECT(!kvm_msr_offered(0x4b564d02));            /* async PF: not offered */
	EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_SYSTEM_TIME_NEW), 0);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, 0x5001, 2000), 0);
	EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_SYSTEM_TIME_NEW), 0x5001);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_WALL_CLOCK_NEW, 0x6000, 2000), 0);
	EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_WALL_CLOCK_NEW), 0x6000);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x7041, 2000), 0);
	EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_STEAL_TIME), 0x7041);
}

TEST(kvm_steal_msr_reserved_bits_refused)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x7001, 0), 0);
	for (unsigned int bit = 1; bit <= 5; bit++) {
		EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x8000 | (1ull << bit) | 1, 0), -EINVAL);
		EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_STEAL_TIME), 0x7001); /* unchanged */
		EXPECT(pv.steal_on);
		EXPECT_EQ(pv.steal_gpa, 0x7000);
	}
	/* bit 6 and above are the address */
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x8041, 0), 0);
	EXPECT_EQ(pv.steal_gpa, 0x8040);
}

TEST(kvm_system_time_record)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	struct pvclock_vcpu_time_info *t = guest_phys(&vm, 0x5000);
	t->version = 6;
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, 0x5001, 1000 + 2 * HZ), 0);
	EXPECT_EQ(t->version, 8);                      /* odd while written, even after */
	EXPECT_EQ(t->tsc_timestamp, 1000 + 2 * HZ);
	EXPECT_EQ(t->system_time, 2 * NSEC_PER_SEC); /* two seconds since the VM's zero */
	EXPECT_EQ(t->tsc_shift, 3);
	EXPECT_EQ(t->flags, PVCLOCK_TSC_STABLE_BIT);
	/* the guest's reading one second later */
	struct pvclock_scale s = { t->tsc_to_system_mul, t->tsc_shift };
	EXPECT_EQ(t->system_time + pvclock_scale_delta(HZ, s), 3 * NSEC_PER_SEC);
	/* Without an invariant TSC: no stable bit. */
	vm.clock.host.stable = false;
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, 0x5001, 1000 + 2 * HZ), 0);
	EXPECT_EQ(t->flags, 0);
	EXPECT_EQ(t->version, 10);
}

TEST(kvm_system_time_refusals_write_nothing)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;
	static const u64 bad[] = {
		0x5002 | 1,                 /* not 4-byte aligned */
		0x5ff0 | 1,                 /* 32 bytes across a page */
		(4ull << 20) | 1,           /* just past guest memory */
		(1ull << 40) | 1,           /* far outside */
	};

	make_vm(&vm, &pv);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		u8 *p = guest_phys(&vm, 0x5000);
		memset(p, 0xa5, PAGE_SIZE);
		memset(guest_phys(&vm, 0x6000), 0xa5, 64);
		sim_log_clear();
		EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, bad[i], 5000), 0); /* no #GP, as KVM */
		EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_SYSTEM_TIME_NEW), bad[i]);
		EXPECT(sim_log_contains("kvm-clock at gpa"));
		EXPECT(sim_log_contains("refused"));
		for (unsigned int k = 0; k < PAGE_SIZE; k++)
			if (p[k] != 0xa5) {
				EXPECT(false);
				break;
			}
		EXPECT_EQ(*(u8 *)guest_phys(&vm, 0x6000), 0xa5);
	}
	/* Disabled: nothing written either. */
	memset(guest_phys(&vm, 0x5000), 0xa5, 32);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, 0x5000, 5000), 0);
	EXPECT_EQ(*(u8 *)guest_phys(&vm, 0x5000), 0xa5);
}

TEST(kvm_wall_clock_record)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	/* The VM started at TSC 1000: 5 us after the RTC's second. */
	struct pvclock_wall_clock *w = guest_phys(&vm, 0x6004);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_WALL_CLOCK_NEW, 0x6004, 99999), 0);
	EXPECT_EQ(w->version, 2);
	EXPECT_EQ(w->sec, 1796083200);
	EXPECT_EQ(w->nsec, 5000);
	/* Across a page, as KVM writes it: each part where it belongs. */
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_WALL_CLOCK_NEW, 0x6ffc, 99999), 0);
	EXPECT_EQ(*(u32 *)guest_phys(&vm, 0x6ffc), 2);
	EXPECT_EQ(*(u32 *)guest_phys(&vm, 0x7000), 1796083200);
	EXPECT_EQ(*(u32 *)guest_phys(&vm, 0x7004), 5000);
	/* Refused: unaligned, outside memory. */
	memset(guest_phys(&vm, 0x8000), 0xa5, 16);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_WALL_CLOCK_NEW, 0x8002, 99999), 0);
	EXPECT_EQ(*(u32 *)guest_phys(&vm, 0x8000), 0xa5a5a5a5);
	EXPECT_EQ(*(u32 *)guest_phys(&vm, 0x8004), 0xa5a5a5a5);
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_WALL_CLOCK_NEW, (4ull << 20) - 8, 99999), 0); /* 12 bytes past the end */
	EXPECT_EQ(kvm_msr_read(&pv, MSR_KVM_WALL_CLOCK_NEW), (4ull << 20) - 8);
	EXPECT_EQ(*(u32 *)guest_phys(&vm, (4ull << 20) - 8), 0);
}

/* The steal-time record at gpa, as the guest reads it. */
static struct kvm_steal_time *steal_rec(struct vm *vm, u64 gpa)
{
	return guest_phys(vm, gpa);
}

/* A VM with protection on and steal time enabled in a zeroed record at gpa 0x9000, in a protected frame. */
static struct kvm_steal_time *protected_steal_record(struct vm *vm, struct kvm_pv_vcpu *pv)
{
	make_vm(vm, pv);
	struct kvm_steal_time *st = steal_rec(vm, 0x9000);
	memset(st, 0, sizeof(*st));
	EXPECT_EQ(guest_mem_protect_all(&vm->mem), 0);
	EXPECT_EQ(kvm_msr_write(vm, pv, MSR_KVM_STEAL_TIME, 0x9001, 0), 0);
	return st;
}

TEST(kvm_steal_time_through_the_cache)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	struct kvm_steal_time *st = steal_rec(&vm, 0x7040);
	memset(st, 0, sizeof(*st));
	st->version = 3; /* junk left odd: made even first, as KVM does */
	st->preempted = 1;
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x7041, 0), 0);
	kvm_steal_account(&vm, &pv, 200, 0); /* 1 us */
	EXPECT_EQ(st->steal, 1000);
	EXPECT_EQ(st->version, 6);
	EXPECT_EQ(st->preempted, 0);
	EXPECT(pv.steal_cache.valid && !pv.steal_cache.protected);
	/* Ticks that make no whole ns are carried, not lost: 3 ticks of 5 ns each one at a time. */
	for (int i = 0; i < 3; i++)
		kvm_steal_account(&vm, &pv, 1, 0);
	EXPECT_EQ(st->steal, 1015);
	EXPECT_EQ(st->version, 12);
	EXPECT_EQ(pv.steal_updates, 4);
	EXPECT_EQ(fixmap_busy(0), 0);
	EXPECT_EQ(vm.mem.mappers, 0);
	/* Disabled: no more updates, no more mappings. */
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x7040, 0), 0);
	kvm_steal_account(&vm, &pv, 1000, 0);
	EXPECT_EQ(st->steal, 1015);
	EXPECT_EQ(st->version, 12);
	/* Outside memory: accepted, off, nothing written anywhere. */
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, (1ull << 40) | 1, 0), 0);
	EXPECT(!pv.steal_on);
	kvm_steal_account(&vm, &pv, 1000, 0);
	EXPECT_EQ(st->version, 12);
}

TEST(kvm_steal_time_in_a_protected_frame)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	struct kvm_steal_time *st = protected_steal_record(&vm, &pv);
	EXPECT(!direct_map_reaches(backing(&vm, 9)));
	kvm_steal_account(&vm, &pv, 400, 0);
	EXPECT_EQ(st->steal, 2000);      /* written through a fixmap slot */
	EXPECT(pv.steal_cache.valid && pv.steal_cache.protected);
	EXPECT_EQ(fixmap_busy(0), 0);    /* and the slot given back */
	EXPECT(sim_faults((void *)(uintptr_t)fix_to_virt(FIX_GMAP_FIRST)));
	EXPECT(!direct_map_reaches(backing(&vm, 9)));
	kvm_steal_account(&vm, &pv, 400, 0); /* through the warm cache */
	EXPECT_EQ(st->steal, 4000);
	EXPECT_EQ(st->version, 4);
}

TEST(kvm_steal_time_frame_changes_protection_between_updates)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	struct kvm_steal_time *st = protected_steal_record(&vm, &pv);
	kvm_steal_account(&vm, &pv, 200, 0);
	EXPECT(pv.steal_cache.protected);
	/* Shared: the cache's "protected" is stale; the update must go through the direct map. */
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(9), 1), 0);
	kvm_steal_account(&vm, &pv, 200, 0);
	EXPECT(!pv.steal_cache.protected);
	EXPECT_EQ(st->steal, 2000);
	/* Unshared again: the direct map must not be used (it no longer reaches the frame). */
	EXPECT_EQ(guest_mem_unshare(&vm.mem, _gfn(9), 1), 0);
	kvm_steal_account(&vm, &pv, 200, 0);
	EXPECT(pv.steal_cache.protected);
	EXPECT_EQ(st->steal, 3000);
	EXPECT_EQ(st->version, 6);
	EXPECT(!direct_map_reaches(backing(&vm, 9)));
	EXPECT_EQ(fixmap_busy(0), 0);
}

TEST(kvm_steal_time_moved_record)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	struct kvm_steal_time *a = steal_rec(&vm, 0x7000), *b = steal_rec(&vm, 0xa000);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x7001, 0), 0);
	kvm_steal_account(&vm, &pv, 200, 0);
	EXPECT_EQ(a->steal, 1000);
	/* Moved: a new translation, the old record left as it was. */
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0xa001, 0), 0);
	kvm_steal_account(&vm, &pv, 200, 0);
	EXPECT_EQ(a->steal, 1000);
	EXPECT_EQ(a->version, 2);
	EXPECT_EQ(b->steal, 1000); /* only what keyhole took since the move */
	EXPECT_EQ(b->version, 2);
	EXPECT_EQ(gfn_x(pv.steal_cache.gfn), 0xa);
}

TEST(kvm_steal_time_stale_translation_never_written)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	struct kvm_steal_time *st = steal_rec(&vm, 0x7000);
	memset(st, 0, sizeof(*st));
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_STEAL_TIME, 0x7001, 0), 0);
	kvm_steal_account(&vm, &pv, 200, 0);
	/*
	 * Plant a stale translation: the cache says gfn 7 is some other frame
	 * (gfn 0x20's), from an older generation, as after a change the cache
	 * never saw.  The update must look gfn 7 up again, not write there.
	 */
	u8 *other = guest_phys(&vm, 0x20000);
	memset(other, 0x5a, 64);
	pv.steal_cache.pfn = backing(&vm, 0x20);
	pv.steal_cache.generation = vm.mem.generation - 1;
	kvm_steal_account(&vm, &pv, 200, 0);
	for (int i = 0; i < 64; i++)
		EXPECT_EQ(other[i], 0x5a);
	EXPECT_EQ(st->steal, 2000);
	EXPECT_EQ(mfn_x(pv.steal_cache.pfn), mfn_x(backing(&vm, 7)));
	/* Teardown bumps the generation too: a cache kept past it is never trusted again. */
	u64 gen = vm.mem.generation;
	vm_mem_destroy(&vm);
	EXPECT(vm.mem.generation != gen);
}

TEST(kvm_msr_lines_are_rate_limited)
{
	struct vm vm;
	struct kvm_pv_vcpu pv;

	make_vm(&vm, &pv);
	for (int i = 0; i < 100; i++)
		EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, (1ull << 40) | 1, 0), 0);
	EXPECT_EQ(pv.logged, 16);
	sim_log_clear();
	EXPECT_EQ(kvm_msr_write(&vm, &pv, MSR_KVM_SYSTEM_TIME_NEW, 0x5002 | 1, 0), 0);
	EXPECT(!sim_log_contains("refused"));
}
