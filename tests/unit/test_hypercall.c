/* Hypercalls through the handler, with the memory core on the simulated machine. */
#include <string.h>
#include <keyhole/hypercall.h>
#include <keyhole/kh_checksum.h>
#include <keyhole/kvm_para.h>
#include "hv/vm/vm.h"
#include "hv/vm/hypercall.h"
#include "mm/audit.h"
#include "sim.h"
#include "test.h"

#define PAGES 512 /* 2 MiB of guest memory */

static struct vm vm;
static struct hc_stats stats;

static void setup(void)
{
	sim_boot_standard();
	memset(&stats, 0, sizeof(stats));
	hypercall_configure(true, false); /* the test images' diag */
	EXPECT_EQ(vm_mem_init(&vm, 0, 2), 0);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0), PAGES), 0);
}

static s64 hc_at(unsigned int cpl, u64 nr, u64 a0, u64 a1, u64 a2, u64 *rbx)
{
	struct vcpu_regs r = { .rax = nr, .rbx = a0, .rcx = a1, .rdx = a2 };
	u64 status;

	EXPECT_EQ(hypercall(&vm, &r, cpl, &stats, &status), HC_RESUME);
	if (rbx)
		*rbx = r.rbx;
	return (s64)r.rax;
}

static s64 hc(u64 nr, u64 a0, u64 a1, u64 a2)
{
	return hc_at(0, nr, a0, a1, a2, NULL);
}

static u8 *gbyte(u64 gpa)
{
	mfn_t m;
	EXPECT_EQ(guest_mem_lookup(&vm.mem, gpa_to_gfn(gpa), &m), 0);
	return sim_phys(mfn_to_pa(m) + (gpa & (PAGE_SIZE - 1)));
}

TEST(hypercall_nop_and_exit)
{
	struct vcpu_regs r = { .rax = KH_HC_EXIT, .rbx = 3 };
	u64 status = 0;

	setup();
	EXPECT_EQ(hc(KH_HC_NOP, 1, 2, 3), 0);
	EXPECT_EQ(hypercall(&vm, &r, 0, &stats, &status), HC_EXIT);
	EXPECT_EQ(status, 3);
	EXPECT_EQ(stats.calls, 2);
	EXPECT_EQ(stats.errors, 0);
}

TEST(hypercall_protection_lifecycle)
{
	setup();
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 10, 0, 0), 1);
	EXPECT_EQ(hc(KH_HC_MEM_SHARE, 10, 1, 0), -EPERM);
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 10, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_MEM_SHARE, 10, 2, 0), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 10, 0, 0), 1);
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 11, 0, 0), 1);
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 12, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_MEM_UNSHARE, 10, 1, 0), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 10, 0, 0), 0);
	EXPECT_EQ(audit_host(NULL), 0);
}

TEST(hypercall_diag_on_protected_memory)
{
	setup();
	for (int i = 0; i < 3 * 4096; i++)
		*gbyte(0x10000 + i) = (u8)(i * 13);
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	u32 want = kh_checksum(gbyte(0x10000 + 100), 4000);
	EXPECT_EQ(hc(KH_HC_DIAG_CHECKSUM, 0x10000 + 100, 4000, 0), want); /* crosses a page */

	struct vcpu_regs r = { .rax = KH_HC_DIAG_READ8, .rbx = 0x10ffc };
	u64 status;
	EXPECT_EQ(hypercall(&vm, &r, 0, &stats, &status), HC_RESUME);
	EXPECT_EQ(r.rax, 0);
	u64 expect;
	memcpy(&expect, gbyte(0x10ffc), 4);
	memcpy((u8 *)&expect + 4, gbyte(0x11000), 4);
	EXPECT_EQ(r.rbx, expect);

	EXPECT_EQ(hc(KH_HC_DIAG_READ, 0x10000 + 17, PAGE_SIZE, 0), 0); /* across a page boundary */
	EXPECT_EQ(hc(KH_HC_DIAG_DIRTY, 0x10, 0, 0), 0);               /* reading dirties nothing */
	EXPECT_EQ(hc(KH_HC_DIAG_DIRTY, 0x20, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_FILL, 0x20000 + 10, 5000, 0xa5), 0);
	EXPECT_EQ(*gbyte(0x20000 + 9), 0);
	EXPECT_EQ(*gbyte(0x20000 + 10), 0xa5);
	EXPECT_EQ(*gbyte(0x20000 + 5009), 0xa5);
	EXPECT_EQ(*gbyte(0x20000 + 5010), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_DIRTY, 0x20, 0, 0), 1);
	EXPECT_EQ(hc(KH_HC_DIAG_DIRTY, 0x21, 0, 0), 1);
	EXPECT_EQ(hc(KH_HC_DIAG_DIRTY, 0x20, 0, 0), 0);

	EXPECT_EQ(hc(KH_HC_DIAG_COPY, 0x30000, 0x10000, 3 * 4096), 0);
	EXPECT(memcmp(gbyte(0x30000), gbyte(0x10000), 4096) == 0);
	EXPECT(memcmp(gbyte(0x32000), gbyte(0x12000), 4096) == 0);
	/* overlapping, like memmove */
	u8 before[6000];
	for (int i = 0; i < 6000; i++)
		before[i] = *gbyte(0x10000 + i);
	EXPECT_EQ(hc(KH_HC_DIAG_COPY, 0x10000 + 1000, 0x10000, 6000), 0);
	int bad = 0;
	for (int i = 0; i < 6000; i++)
		bad += *gbyte(0x10000 + 1000 + i) != before[i];
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(audit_host(NULL), 0);
}

TEST(hypercall_bad_arguments_get_documented_errors)
{
	setup();
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	u64 end = (u64)PAGES * PAGE_SIZE;
	EXPECT_EQ(hc(KH_HC_MEM_SHARE, PAGES, 1, 0), -EINVAL);          /* gfn out of range */
	EXPECT_EQ(hc(KH_HC_MEM_SHARE, 1, ~0ULL, 0), -EINVAL);          /* gfn + npages overflows */
	EXPECT_EQ(hc(KH_HC_MEM_SHARE, 1, 0, 0), -EINVAL);              /* zero pages */
	EXPECT_EQ(hc(KH_HC_MEM_UNSHARE, PAGES - 1, 2, 0), -EINVAL);    /* straddles the end */
	EXPECT_EQ(hc(KH_HC_MEM_UNSHARE, ~0ULL, 1, 0), -EINVAL);
	EXPECT_EQ(hc(KH_HC_BASE + 0x9999, 0, 0, 0), -ENOSYS);          /* unknown nr in keyhole's range */
	EXPECT_EQ(hc(KH_HC_DIAG_READ + 1, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(hc(KH_HC_DIAG_CHECKSUM, 0, 0, 0), -EINVAL);          /* zero length */
	EXPECT_EQ(hc(KH_HC_DIAG_CHECKSUM, 0, KH_DIAG_MAX_LEN + 1, 0), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_CHECKSUM, end - 8, 16, 0), -EINVAL);   /* crosses the end */
	EXPECT_EQ(hc(KH_HC_DIAG_CHECKSUM, ~0ULL - 3, 8, 0), -EINVAL);  /* wraps */
	EXPECT_EQ(hc(KH_HC_DIAG_READ8, end - 4, 0, 0), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_FILL, 0x1000, 0, 1), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_FILL, 0x1000, 8, 0x100), -EINVAL);     /* not a byte */
	EXPECT_EQ(hc(KH_HC_DIAG_FILL, end - 4, 8, 1), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_COPY, end - 4, 0, 8), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_COPY, 0, end - 4, 8), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_COPY, 0, 0x1000, KH_DIAG_MAX_LEN + 1), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, PAGES, 0, 0), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_READ, 0, PAGE_SIZE + 1, 0), -EINVAL);  /* more than a page */
	EXPECT_EQ(hc(KH_HC_DIAG_READ, end - 8, 16, 0), -EINVAL);
	EXPECT_EQ(hc(KH_HC_DIAG_DIRTY, ~0ULL, 0, 0), -EINVAL);
	/* and nothing changed: the guest goes on with protection as it was */
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 1, 0, 0), 0);
	EXPECT_EQ(*gbyte(end - 4), 0);
	EXPECT_EQ(stats.errors, 22);
	EXPECT_EQ(audit_host(NULL), 0);
}

TEST(hypercall_error_logging_is_bounded)
{
	setup();
	for (int i = 0; i < 1000; i++)
		hc(KH_HC_BASE + 0x7777, 0, 0, 0);
	EXPECT_EQ(stats.errors, 1000);
	EXPECT_EQ(stats.kvm, 0);
	EXPECT(sim_log_contains("counted, not logged"));
	EXPECT(sim_log_contains("hypercall unknown (0x4b487777)"));
}

TEST(hypercall_diag_audit_and_the_leak_hook)
{
	setup();
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_AUDIT, 0, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_TEST_PLANT_LEAK, 5, 0, 0), -ENOSYS); /* not without testhooks */
	EXPECT_EQ(hc(KH_HC_DIAG_AUDIT, 0, 0, 0), 0);
	hypercall_configure(true, true);
	EXPECT_EQ(hc(KH_HC_TEST_PLANT_LEAK, PAGES, 0, 0), -EINVAL);
	EXPECT_EQ(hc(KH_HC_TEST_PLANT_LEAK, 5, 0, 0), 0);
	hypercall_configure(true, false);
	EXPECT_EQ(hc(KH_HC_DIAG_AUDIT, 0, 0, 0), 1); /* once: in the tables both CPUs' roots share */
	mfn_t m;
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(5), &m), 0);
	struct audit_report rep;
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.first[0].va, TEST_LEAK_VA);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(m));
}

/* Invariant 7: from CPL 1-3 every call, EXIT included, is refused with -EPERM and changes nothing. */
TEST(hypercall_from_user_space_is_refused)
{
	static const u64 nrs[] = { KH_HC_NOP, KH_HC_EXIT, KH_HC_ENABLE_MEM_PROTECTED, KH_HC_MEM_SHARE,
				   KH_HC_MEM_UNSHARE, KH_HC_DIAG_READ8, KH_HC_DIAG_FILL, KH_HC_DIAG_CHECKSUM,
				   KH_HC_DIAG_COPY, KH_HC_DIAG_IN_DMAP, KH_HC_DIAG_DIRTY, KH_HC_DIAG_AUDIT,
				   KH_HC_DIAG_READ, KH_HC_TEST_PLANT_LEAK, KH_HC_BASE + 0x7777,
				   /* KVM's numbers too, ABI version 1's EXIT (1) among them */
				   0, KVM_HC_VAPIC_POLL_IRQ, KVM_HC_MAP_GPA_RANGE, KH_HC_LAST + 1, ~0ull };

	setup();
	hypercall_configure(true, true);
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	*gbyte(5 * PAGE_SIZE) = 0x5e;
	for (unsigned int cpl = 1; cpl <= 3; cpl++) {
		for (size_t i = 0; i < ARRAY_SIZE(nrs); i++) {
			u64 a0 = nrs[i] == KH_HC_MEM_SHARE || nrs[i] == KH_HC_MEM_UNSHARE ? 0 : 5 * PAGE_SIZE, rbx = 0;
			if (nrs[i] == KH_HC_DIAG_IN_DMAP || nrs[i] == KH_HC_TEST_PLANT_LEAK)
				a0 = 5;
			EXPECT_EQ(hc_at(cpl, nrs[i], a0, nrs[i] == KH_HC_MEM_SHARE ? PAGES : PAGE_SIZE, 0x58, &rbx), -EPERM);
			EXPECT_EQ(rbx, a0); /* no second result either: DIAG_READ8 returned nothing */
		}
	}
	hypercall_configure(true, false);
	EXPECT_EQ(*gbyte(5 * PAGE_SIZE), 0x5e);
	EXPECT_EQ(*gbyte(5 * PAGE_SIZE + 1), 0);                /* no DIAG_FILL */
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 5, 0, 0), 0);          /* no MEM_SHARE: still protected */
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 0, 0, 0), 0);
	EXPECT_EQ(audit_host(NULL), 0);                          /* no TEST_PLANT_LEAK */
	EXPECT_EQ(stats.not_kernel, 3 * ARRAY_SIZE(nrs));
	EXPECT_EQ(stats.kvm, 0); /* refused for the CPL before the number is looked at */
	EXPECT(sim_log_contains("hypercall EXIT (0x4b480001) from CPL 1 refused"));
	EXPECT(sim_log_contains("further hypercalls from CPL > 0 are counted, not logged"));
	EXPECT_EQ(hc(KH_HC_NOP, 0, 0, 0), 0);                   /* the kernel is still served */
}

/* Without `diag` the diagnostic range does not exist; TEST_PLANT_LEAK goes with testhooks alone. */
TEST(hypercall_diag_calls_need_the_diag_option)
{
	setup();
	hypercall_configure(false, false);
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	for (u64 nr = KH_HC_DIAG_FIRST; nr <= KH_HC_DIAG_LAST; nr++)
		EXPECT_EQ(hc(nr, 5, PAGE_SIZE, 0x58), -ENOSYS);
	EXPECT_EQ(*gbyte(5 * PAGE_SIZE), 0);
	EXPECT_EQ(hc(KH_HC_MEM_SHARE, 5, 1, 0), 0); /* the protection calls are not diagnostics */
	hypercall_configure(false, true);
	EXPECT_EQ(hc(KH_HC_DIAG_AUDIT, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(hc(KH_HC_TEST_PLANT_LEAK, 6, 0, 0), 0);
	EXPECT(audit_host(NULL) != 0);
	hypercall_configure(true, false);
}

const u8 *hypercall_bounce_for_tests(void); /* hv/vm/hypercall.c, hosted builds only */

/* How many bytes of the bounce page still equal the guest's bytes at gpa (or are not zero). */
static int bounce_leftovers(u64 gpa, u64 len)
{
	const u8 *b = hypercall_bounce_for_tests();
	int left = 0;

	for (u64 i = 0; i < PAGE_SIZE; i++)
		left += b[i] != 0 || (i < len && b[i] == *gbyte(gpa + i));
	return left;
}

TEST(hypercall_diag_read_and_copy_leave_no_plaintext_behind)
{
	setup();
	for (int i = 0; i < 3 * 4096; i++)
		*gbyte(0x40000 + i) = (u8)(i * 7) | 1; /* no zero byte */
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_READ, 0x40000, PAGE_SIZE, 0), 0);
	EXPECT_EQ(bounce_leftovers(0x40000, PAGE_SIZE), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_READ, 0x40000 + 100, 300, 0), 0);
	EXPECT_EQ(bounce_leftovers(0x40000 + 100, 300), 0);
	EXPECT_EQ(hc(KH_HC_DIAG_COPY, 0x50000, 0x40000, 2 * 4096 + 5), 0);
	EXPECT_EQ(*gbyte(0x50000 + 2 * 4096 + 4), *gbyte(0x40000 + 2 * 4096 + 4)); /* the copy happened */
	EXPECT_EQ(bounce_leftovers(0x40000, PAGE_SIZE), 0);
	EXPECT_EQ(bounce_leftovers(0x42000, 5), 0);
}

/* ABI version 2: keyhole's calls are KH_HC_BASE + their version 1 numbers, and CPUID says where. */
TEST(hypercall_abi2_numbers)
{
	EXPECT_EQ(KH_ABI_VERSION, 2);
	EXPECT_EQ(KH_HC_BASE, 0x4b480000);
	EXPECT_EQ(KH_HC_NOP, 0x4b480000);
	EXPECT_EQ(KH_HC_EXIT, 0x4b480001);
	EXPECT_EQ(KH_HC_ENABLE_MEM_PROTECTED, 0x4b480002);
	EXPECT_EQ(KH_HC_MEM_SHARE, 0x4b480003);
	EXPECT_EQ(KH_HC_MEM_UNSHARE, 0x4b480004);
	EXPECT_EQ(KH_HC_DIAG_FIRST, 0x4b480100);
	EXPECT_EQ(KH_HC_DIAG_READ8, 0x4b480100);
	EXPECT_EQ(KH_HC_DIAG_READ, 0x4b480107);
	EXPECT_EQ(KH_HC_TEST_PLANT_LEAK, 0x4b4801f0);
	EXPECT_EQ(KH_HC_DIAG_LAST, 0x4b4801ff);
	EXPECT_EQ(KH_HC_LAST, 0x4b48ffff);
	/* No KVM number lands in keyhole's range. */
	static const u64 kvm[] = { KVM_HC_VAPIC_POLL_IRQ, KVM_HC_KICK_CPU, KVM_HC_CLOCK_PAIRING,
				   KVM_HC_SEND_IPI, KVM_HC_SCHED_YIELD, KVM_HC_MAP_GPA_RANGE };
	for (size_t i = 0; i < ARRAY_SIZE(kvm); i++)
		EXPECT(!KH_HC_IS_KEYHOLE(kvm[i]));
}

/* Has the call at cpl changed nothing but RAX, and answered want? */
static void expect_untouched(unsigned int cpl, u64 nr, s64 want)
{
	struct vcpu_regs r, before;
	u64 status = 0x5a5a;

	memset(&r, 0xa5, sizeof(r));
	r.rax = nr;
	r.rbx = 5;
	r.rcx = 1;
	r.rdx = 0x58;
	before = r;
	EXPECT_EQ(hypercall(&vm, &r, cpl, &stats, &status), HC_RESUME);
	EXPECT_EQ((s64)r.rax, want);
	EXPECT_EQ(status, 0x5a5a);
	before.rax = r.rax;
	EXPECT(memcmp(&r, &before, sizeof(r)) == 0); /* RBX and every other register as they were */
}

/* Every number outside keyhole's range is KVM's: -KVM_ENOSYS, nothing changed, counted and logged. */
TEST(hypercall_kvm_numbers_get_kvm_enosys)
{
	static const u64 kvm[] = { KVM_HC_VAPIC_POLL_IRQ, KVM_HC_KICK_CPU, KVM_HC_CLOCK_PAIRING,
				   KVM_HC_SEND_IPI, KVM_HC_SCHED_YIELD, KVM_HC_MAP_GPA_RANGE };

	setup();
	hypercall_configure(true, true);
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(kvm); i++)
		expect_untouched(0, kvm[i], -KVM_ENOSYS);
	EXPECT_EQ(-KVM_ENOSYS, -1000);
	EXPECT_EQ(stats.kvm, ARRAY_SIZE(kvm));
	EXPECT_EQ(stats.errors, ARRAY_SIZE(kvm));
	EXPECT_EQ(stats.calls, 1 + ARRAY_SIZE(kvm));
	EXPECT(sim_log_contains("guest0: KVM hypercall 1 (0x1): not implemented (-KVM_ENOSYS)"));
	EXPECT(sim_log_contains("guest0: KVM hypercall 12 (0xc): not implemented (-KVM_ENOSYS)"));
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 5, 0, 0), 0); /* MAP_GPA_RANGE(5, 1) shared nothing */
	EXPECT_EQ(audit_host(NULL), 0);
	hypercall_configure(true, false);
}

/* ABI version 1's numbers (0..4, 0x100..0x1ff) are KVM's now: 1, EXIT then, must not end the guest. */
TEST(hypercall_v1_numbers_are_kvm_now)
{
	setup();
	hypercall_configure(true, true);
	EXPECT_EQ(hc(KH_HC_ENABLE_MEM_PROTECTED, 0, 0, 0), 0);
	for (u64 nr = 0; nr <= 4; nr++)
		expect_untouched(0, nr, -KVM_ENOSYS);
	for (u64 nr = 0x100; nr <= 0x1ff; nr++)
		expect_untouched(0, nr, -KVM_ENOSYS);
	EXPECT_EQ(stats.kvm, 5 + 0x100);
	EXPECT_EQ(*gbyte(5 * PAGE_SIZE), 0);           /* no DIAG_FILL (0x101) */
	EXPECT_EQ(hc(KH_HC_DIAG_IN_DMAP, 5, 0, 0), 0); /* no MEM_SHARE (3) */
	EXPECT_EQ(audit_host(NULL), 0);                 /* no TEST_PLANT_LEAK (0x1f0) */
	EXPECT(sim_log_contains("further KVM hypercalls are counted, not logged"));
	EXPECT(sim_log_contains("KVM hypercall 267 ") == false); /* 0x10b: the 17th, past HC_LOG_LIMIT */
	EXPECT(sim_log_contains("KVM hypercall 266 "));          /* 0x10a: the 16th */
	hypercall_configure(true, false);
}

/* The range test looks at all 64 bits of RAX, and ends exactly at KH_HC_BASE and KH_HC_LAST. */
TEST(hypercall_range_boundaries)
{
	struct vcpu_regs r = { .rax = KH_HC_EXIT | (1ull << 32), .rbx = 3 };
	u64 status = 0;

	setup();
	expect_untouched(0, KH_HC_BASE - 1, -KVM_ENOSYS);
	EXPECT_EQ(hc(KH_HC_BASE, 0, 0, 0), 0); /* NOP */
	expect_untouched(0, KH_HC_DIAG_LAST + 1, -ENOSYS);
	expect_untouched(0, KH_HC_LAST, -ENOSYS);
	expect_untouched(0, KH_HC_LAST + 1, -KVM_ENOSYS);
	expect_untouched(0, KH_HC_NOP | (1ull << 32), -KVM_ENOSYS);
	expect_untouched(0, ~0ull, -KVM_ENOSYS);
	EXPECT_EQ(hypercall(&vm, &r, 0, &stats, &status), HC_RESUME); /* EXIT's low half is not EXIT */
	EXPECT_EQ((s64)r.rax, -KVM_ENOSYS);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(stats.kvm, 5);
	EXPECT_EQ(stats.errors, 7);
}

/* From CPL 1-3, KVM's numbers get -EPERM like keyhole's: the CPL rule comes first. */
TEST(hypercall_kvm_numbers_from_user_space_get_eperm)
{
	setup();
	for (unsigned int cpl = 1; cpl <= 3; cpl++) {
		expect_untouched(cpl, KVM_HC_VAPIC_POLL_IRQ, KH_ERR_NOT_KERNEL);
		expect_untouched(cpl, KVM_HC_MAP_GPA_RANGE, KH_ERR_NOT_KERNEL);
		expect_untouched(cpl, KH_HC_LAST + 1, KH_ERR_NOT_KERNEL);
		expect_untouched(cpl, KH_HC_NOP, KH_ERR_NOT_KERNEL);
		expect_untouched(cpl, KH_HC_EXIT, KH_ERR_NOT_KERNEL);
	}
	EXPECT_EQ(KH_ERR_NOT_KERNEL, -KVM_EPERM);
	EXPECT_EQ(stats.not_kernel, 15);
	EXPECT_EQ(stats.kvm, 0);
	EXPECT(sim_log_contains("hypercall KVM (0xc) from CPL 3 refused"));
}
