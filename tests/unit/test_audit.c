/* The audit finds what it is there to find: planted leaks, drifted roots, foreign EPT frames. */
#include <string.h>
#include "hv/vm/vm.h"
#include "mm/audit.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/hostmm.h"
#include "mm/pte.h"
#include "sim.h"
#include "test.h"

static void make_protected_vm(struct vm *vm)
{
	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(vm, 0, 2), 0);
	EXPECT_EQ(vm_mem_add(vm, _gfn(0), 512), 0);
	EXPECT_EQ(guest_mem_protect_all(&vm->mem), 0);
}

TEST(audit_clean_machine)
{
	struct vm vm;
	struct audit_report rep;

	sim_boot_standard();
	EXPECT_EQ(audit_host(&rep), 0);
	EXPECT_EQ(vm_mem_init(&vm, 0, 2), 0);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0), 512), 0);
	EXPECT_EQ(audit_host(&rep), 0); /* unprotected guest memory may be mapped */
	EXPECT_EQ(guest_mem_protect_all(&vm.mem), 0);
	EXPECT_EQ(audit_host(&rep), 0);
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 0);
}

TEST(audit_flags_a_planted_leak)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;

	make_protected_vm(&vm);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(77), &m), 0);
	/* a buggy mapping of a protected frame at some other address */
	u64 leak_va = 0xffffffff90000000ULL;
	EXPECT_EQ(pt_map(hostmm_shared_pt(), leak_va, mfn_to_pa(m), PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_host(&rep), 2); /* seen from both CPUs' roots */
	EXPECT_EQ(rep.findings, 2);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(m));
	EXPECT_EQ(rep.first[0].va, leak_va);
	EXPECT_EQ(rep.first[1].cpu, 1);
	audit_log("test", &rep);
	EXPECT(sim_log_contains("reachable at 0xffffffff90000000"));
	EXPECT_EQ(pt_unmap(hostmm_shared_pt(), leak_va, PAGE_SIZE), 0);
	EXPECT_EQ(audit_host(&rep), 0);
}

TEST(audit_flags_a_large_leaf_over_a_protected_frame)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;

	make_protected_vm(&vm);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(0), &m), 0);
	EXPECT_EQ(pt_map(hostmm_shared_pt(), 0xffffffffa0000000ULL, mfn_to_pa(m), SZ_2M, PT_R), 0);
	EXPECT_EQ(audit_host(&rep), 2 * 512);
	EXPECT_EQ(rep.first[0].level, 2);
}

TEST(audit_flags_a_stale_fixmap_pte)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;
	void *va;

	make_protected_vm(&vm);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(3), &m), 0);
	EXPECT_EQ(fixmap_push(m, &va), 0);
	EXPECT_EQ(audit_host(&rep), 0);
	/* a slot PTE left behind without the bookkeeping: a leak */
	hostmm_fixmap_ptes(0)[FIX_GMAP_LAST] = mfn_to_pa(m) | PTE_P | PTE_W | PTE_NX;
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.first[0].va, fix_to_virt(FIX_GMAP_LAST));
	hostmm_fixmap_ptes(0)[FIX_GMAP_LAST] = 0;
	EXPECT_EQ(fixmap_pop(va), 0);
}

TEST(audit_flags_a_drifted_root)
{
	struct audit_report rep;

	sim_boot_standard();
	u64 *root1 = pt_table(hostmm_cpu_pt(1)->root_pa);
	u64 saved = root1[300];
	root1[300] = root1[pt_index(arch_dmap_base(), 4)];
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.drifted_roots, 1);
	root1[300] = saved;
	EXPECT_EQ(audit_host(&rep), 0);
}

TEST(audit_ept_flags_foreign_frames)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t hv;

	make_protected_vm(&vm);
	EXPECT_EQ(frames_alloc(1, FRAME_HV, &hv), 0);
	EXPECT_EQ(ept_map(&vm.ept, 0x40000000, hv, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 1);
	EXPECT_EQ(rep.first[0].va, 0x40000000);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(hv));
}

TEST(audit_dmap_reaches_answers_per_frame)
{
	struct vm vm;
	mfn_t m;

	make_protected_vm(&vm);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(9), &m), 0);
	EXPECT(!audit_dmap_reaches(m));
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(9), 1), 0);
	EXPECT(audit_dmap_reaches(m));
	EXPECT(!audit_dmap_reaches(pa_to_mfn(0x90000000))); /* not RAM */
}

TEST(audit_ignores_the_accessed_bit_the_cpu_sets_in_roots)
{
	sim_boot_standard();
	u64 *root0 = pt_table(hostmm_cpu_pt(0)->root_pa);
	root0[pt_index(arch_dmap_base(), 4)] |= PTE_A;
	EXPECT_EQ(audit_host(NULL), 0);
}
