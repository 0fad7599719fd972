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
	EXPECT_EQ(audit_host(&rep), 1); /* once: in the tables both CPUs' roots share */
	EXPECT_EQ(rep.findings, 1);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(m));
	EXPECT_EQ(rep.first[0].va, leak_va);
	EXPECT_EQ(rep.first[0].cpu, AUDIT_EVERY_CPU);
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
	EXPECT_EQ(audit_host(&rep), 512);
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

/*
 * Issue #13: an active fixmap slot is visible only in its own CPU's root.
 * cpu0 maps a protected frame in its slot; the same frame in cpu1's slot
 * PTE, with no mapping of cpu1's behind it, is a leak in cpu1's root.
 */
TEST(audit_flags_a_slot_seen_in_another_cpus_root)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;
	void *va;

	make_protected_vm(&vm);
	EXPECT(hostmm_ncpus() >= 2);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(5), &m), 0);
	EXPECT_EQ(fixmap_push(m, &va), 0);
	EXPECT_EQ(audit_host(&rep), 0);
	unsigned int slot = (unsigned int)(((u64)(uintptr_t)va - fix_to_virt(0)) >> PAGE_SHIFT);
	hostmm_fixmap_ptes(1)[slot] = mfn_to_pa(m) | PTE_P | PTE_W | PTE_NX;
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.first[0].cpu, 1);
	EXPECT_EQ(rep.first[0].va, (u64)(uintptr_t)va);
	hostmm_fixmap_ptes(1)[slot] = 0;
	EXPECT_EQ(audit_host(&rep), 0);
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

/* The level-`level` table of the shared host tables that holds va (it must exist). */
static u64 *shared_table(u64 va, int level)
{
	u64 *t = pt_table(hostmm_shared_pt()->root_pa);

	for (int l = PT_LEVELS; l > level; l--) {
		u64 e = t[pt_index(va, l)];
		EXPECT(e & PTE_P);
		EXPECT(!(e & PTE_PS));
		t = pt_table(pt_entry_pa(e));
	}
	return t;
}

TEST(audit_flags_a_guest_owned_table_in_the_shared_tables)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t g;
	u64 va = 0xffffffff90000000ULL; /* an empty 2 MiB of the image's 1 GiB */
	char msg[128];

	make_protected_vm(&vm);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(5), &g), 0);
	/* The guest's own (protected) frame spliced in as a page table: it could map itself anything. */
	u64 *pd = shared_table(va, 2);
	EXPECT_EQ(pd[pt_index(va, 2)], 0);
	pd[pt_index(va, 2)] = mfn_to_pa(g) | PTE_P | PTE_W;
	/* once, in the tables every root shares (walked from the template), and not walked: it is out of the direct map */
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.first[0].kind, AUDIT_TABLE);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	EXPECT_EQ(rep.first[0].owner, vm.mem.owner);
	EXPECT_EQ(rep.first[0].level, 1);
	EXPECT_EQ(rep.first[0].va, va);
	EXPECT_EQ(rep.first[0].cpu, AUDIT_EVERY_CPU);
	EXPECT_EQ(rep.first[0].root, hostmm_shared_pt()->root_pa);
	audit_log("test", &rep);
	snprintf(msg, sizeof(msg), "table frame %#lx of root %#lx owned by guest 0", mfn_x(g), hostmm_shared_pt()->root_pa);
	EXPECT(sim_log_contains(msg));
	pd[pt_index(va, 2)] = 0;
	EXPECT_EQ(audit_host(&rep), 0);
}

TEST(audit_flags_a_root_keyhole_does_not_own)
{
	struct audit_report rep;
	mfn_t g;

	sim_boot_standard();
	EXPECT_EQ(frames_alloc(1, frame_owner_guest(3), &g), 0);
	struct pt *pt1 = (struct pt *)hostmm_cpu_pt(1); /* the test swaps CPU 1's root for a moment */
	u64 saved = pt1->root_pa;
	memcpy(sim_phys(mfn_to_pa(g)), sim_phys(saved), PAGE_SIZE);
	pt1->root_pa = mfn_to_pa(g);
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.first[0].kind, AUDIT_TABLE);
	EXPECT_EQ(rep.first[0].cpu, 1);
	EXPECT_EQ(rep.first[0].level, PT_LEVELS);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	EXPECT_EQ(rep.first[0].owner, frame_owner_guest(3));
	pt1->root_pa = saved;
	EXPECT_EQ(audit_host(&rep), 0);
}

/* The level-`level` table of an EPT that holds gpa (it must exist). */
static u64 *ept_table(const struct ept *ept, u64 gpa, int level)
{
	u64 *t = pt_table(ept->pt.root_pa);

	for (int l = PT_LEVELS; l > level; l--) {
		u64 e = t[pt_index(gpa, l)];
		EXPECT(e & 7);
		EXPECT(!pt_entry_large(e));
		t = pt_table(pt_entry_pa(e));
	}
	return t;
}

TEST(audit_ept_flags_a_table_frame_the_guest_owns)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t g;
	u64 gpa = 0x200000; /* the 2 MiB after the guest's memory */

	make_protected_vm(&vm);
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(audit_ept_tables(&vm.ept, &rep), 0);
	/* One of the guest's own pages as a page table of its EPT: the guest would edit its own EPT. */
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(7), &g), 0);
	u64 *pd = ept_table(&vm.ept, gpa, 2);
	EXPECT_EQ(pd[pt_index(gpa, 2)], 0);
	pd[pt_index(gpa, 2)] = mfn_to_pa(g) | 7;
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 1); /* a table, and not walked: the frame is protected */
	EXPECT_EQ(rep.first[0].kind, AUDIT_TABLE);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	EXPECT_EQ(rep.first[0].root, vm.ept.pt.root_pa);
	EXPECT_EQ(rep.first[0].level, 1);
	EXPECT_EQ(rep.first[0].va, gpa);
	EXPECT_EQ(audit_ept_tables(&vm.ept, &rep), 1);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	pd[pt_index(gpa, 2)] = 0;
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 0);
}

TEST(audit_ept_flags_a_root_keyhole_does_not_own)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t g;

	make_protected_vm(&vm);
	EXPECT_EQ(frames_alloc(1, vm.mem.owner, &g), 0);
	u64 saved = vm.ept.pt.root_pa;
	memcpy(sim_phys(mfn_to_pa(g)), sim_phys(saved), PAGE_SIZE);
	vm.ept.pt.root_pa = mfn_to_pa(g);
	EXPECT_EQ(audit_ept_tables(&vm.ept, &rep), 1);
	EXPECT_EQ(rep.first[0].level, PT_LEVELS);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 1);
	vm.ept.pt.root_pa = saved;
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(frames_free(g, 1), 0);
}

TEST(audit_ept_names_the_owner_of_a_foreign_frame)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t other;

	make_protected_vm(&vm);
	EXPECT_EQ(frames_alloc(1, frame_owner_guest(4), &other), 0);
	EXPECT_EQ(ept_map(&vm.ept, 0x40000000, other, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_ept(&vm.ept, vm.mem.owner, &rep), 1);
	EXPECT_EQ(rep.first[0].kind, AUDIT_FOREIGN);
	EXPECT_EQ(rep.first[0].owner, frame_owner_guest(4));
	audit_log("test", &rep);
	EXPECT(sim_log_contains("mapped at gpa 0x40000000 (level 1) owned by guest 4, not the guest"));
	EXPECT_EQ(audit_ept_tables(&vm.ept, &rep), 0); /* its tables are keyhole's */
}

TEST(audit_frames_hv_flags_a_frame_keyhole_does_not_own)
{
	struct audit_report rep;
	mfn_t hv[3], g;
	char msg[96];

	sim_boot_standard();
	EXPECT_EQ(frames_alloc(1, FRAME_HV, &hv[0]), 0);
	EXPECT_EQ(frames_alloc(2, FRAME_HV, &hv[1]), 0);
	EXPECT_EQ(frames_alloc(1, frame_owner_guest(2), &g), 0);
	struct audit_frame frames[] = {
		{ "VMCS", hv[0] },
		{ "I/O bitmap A", hv[1] },
		{ "I/O bitmap B", _mfn(mfn_x(hv[1]) + 1) },
		{ "MSR bitmap", hv[0] },
	};
	EXPECT_EQ(audit_frames_hv(frames, 4, &rep), 0);
	EXPECT_EQ(audit_frames_hv(frames, 4, NULL), 0);
	frames[3].mfn = g;                 /* a guest's page as the MSR bitmap: it would choose its own exits */
	frames[0].mfn = pa_to_mfn(0xa0000); /* not RAM */
	EXPECT_EQ(audit_frames_hv(frames, 4, &rep), 2);
	EXPECT_EQ(rep.first[0].kind, AUDIT_FRAME);
	EXPECT_EQ(rep.first[0].owner, FRAME_RESERVED);
	EXPECT_EQ(mfn_x(rep.first[1].mfn), mfn_x(g));
	EXPECT_EQ(rep.first[1].owner, frame_owner_guest(2));
	audit_log("test", &rep);
	snprintf(msg, sizeof(msg), "MSR bitmap frame %#lx owned by guest 2", mfn_x(g));
	EXPECT(sim_log_contains(msg));
	EXPECT(sim_log_contains("VMCS frame 0xa0 owned by nobody"));
}

/*
 * The incremental audit (mm/audit.h): after a clean pass it walks only each
 * CPU's fixmap slots and no EPT at all, and it sees every change made
 * through the writers that count (pt.c, frame.c), in the tables every root
 * shares, in a CPU's root, in an EPT, and in the frame table.
 */
TEST(audit_changed_walks_only_the_fixmap_slots_when_nothing_changed)
{
	struct vm vm;
	struct audit_report rep;

	make_protected_vm(&vm);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT(rep.entries > 1000);                         /* the first pass: everything */
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT(rep.entries >= PT_ENTRIES);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(rep.entries, (u64)hostmm_ncpus() * FIX_NR); /* nothing changed: the slots alone */
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(rep.entries, 0);
	/* A full pass walks everything again, and leaves the marks as they were. */
	EXPECT_EQ(audit_host(&rep), 0);
	EXPECT(rep.entries > 1000);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(rep.entries, (u64)hostmm_ncpus() * FIX_NR);
	/* An allocation cannot make a clean part unclean: it counts for nothing. */
	mfn_t hv;
	EXPECT_EQ(frames_alloc(1, FRAME_HV, &hv), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(rep.entries, (u64)hostmm_ncpus() * FIX_NR);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(rep.entries, 0);
	/*
	 * A share writes one direct-map entry (its table exists after the first):
	 * the walk from the root to it, one entry a level, and the slots.
	 */
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(9), 1), 0);
	EXPECT_EQ(guest_mem_unshare(&vm.mem, _gfn(9), 1), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(9), 1), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(rep.entries, (u64)hostmm_ncpus() * FIX_NR + PT_LEVELS);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(rep.entries, 0);
	/* An unshare protects a frame too: any entry could reach it, the template's tables are walked whole. */
	EXPECT_EQ(guest_mem_unshare(&vm.mem, _gfn(9), 1), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT(rep.entries > 1000);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(rep.entries, 0);
}

/*
 * Two leaks far apart, in the lower half (beyond the direct map's RAM, in
 * its root entry) and the upper (beside the image): the range written
 * since the last clean pass spans both, and stays until a pass is clean.
 */
TEST(audit_changed_walks_the_whole_range_written)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m, n;

	make_protected_vm(&vm);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(20), &m), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(21), &n), 0);
	EXPECT_EQ(pt_map(hostmm_shared_pt(), 0xffffffff90000000ULL, mfn_to_pa(m), PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(pt_map(hostmm_shared_pt(), SIM_DMAP_BASE + 0x4000000000ULL, mfn_to_pa(n), PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_host_changed(&rep), 2);
	EXPECT_EQ(rep.first[0].va, SIM_DMAP_BASE + 0x4000000000ULL);
	EXPECT_EQ(rep.first[1].va, 0xffffffff90000000ULL);
	EXPECT_EQ(pt_unmap(hostmm_shared_pt(), SIM_DMAP_BASE + 0x4000000000ULL, PAGE_SIZE), 0);
	EXPECT_EQ(audit_host_changed(&rep), 1);
	EXPECT_EQ(pt_unmap(hostmm_shared_pt(), 0xffffffff90000000ULL, PAGE_SIZE), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
}

TEST(audit_changed_sees_a_leak_mapped_through_pt_map)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;
	u64 leak_va = 0xffffffff90000000ULL;

	make_protected_vm(&vm);
	/* A harmless page first, so that the leak below is one leaf written into a table that exists. */
	mfn_t hv;
	EXPECT_EQ(frames_alloc(1, FRAME_HV, &hv), 0);
	EXPECT_EQ(pt_map(hostmm_shared_pt(), leak_va + PAGE_SIZE, mfn_to_pa(hv), PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(77), &m), 0);
	EXPECT_EQ(pt_map(hostmm_shared_pt(), leak_va, mfn_to_pa(m), PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_host_changed(&rep), 1);
	EXPECT_EQ(rep.first[0].va, leak_va);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(m));
	EXPECT_EQ(audit_host_changed(&rep), 1); /* an unclean part is walked until it is clean */
	EXPECT_EQ(pt_unmap(hostmm_shared_pt(), leak_va, PAGE_SIZE), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(rep.entries, (u64)hostmm_ncpus() * FIX_NR);
}

TEST(audit_changed_sees_a_frame_protected_under_its_mapping)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;

	make_protected_vm(&vm);
	EXPECT_EQ(guest_mem_share(&vm.mem, _gfn(9), 1), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(9), &m), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	/* Protected, with its direct-map entry left behind: no table changed, the frame did. */
	frame_set_protected(m, true);
	EXPECT_EQ(audit_host_changed(&rep), 1);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(m));
	EXPECT_EQ(rep.first[0].va, (u64)(uintptr_t)phys_to_virt(mfn_to_pa(m)));
	frame_set_protected(m, false);
	EXPECT_EQ(audit_host_changed(&rep), 0);
}

TEST(audit_changed_sees_a_change_of_a_cpus_own_root)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;

	make_protected_vm(&vm);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(11), &m), 0);
	/* Through CPU 1's own root, in its fixmap window's 1 GiB but outside its slots. */
	u64 va = arch_fixmap_base() + SZ_2M * 8;
	EXPECT_EQ(pt_map(hostmm_cpu_pt(1), va, mfn_to_pa(m), PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_host_changed(&rep), 1);
	EXPECT_EQ(rep.first[0].cpu, 1);
	EXPECT_EQ(rep.first[0].va, va);
	EXPECT_EQ(pt_unmap(hostmm_cpu_pt(1), va, PAGE_SIZE), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
}

TEST(audit_changed_sees_a_stale_fixmap_slot_every_time)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t m;

	make_protected_vm(&vm);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(3), &m), 0);
	/* The slots change without a count: they are walked at every pass. */
	hostmm_fixmap_ptes(1)[FIX_GMAP_LAST] = mfn_to_pa(m) | PTE_P | PTE_W | PTE_NX;
	EXPECT_EQ(audit_host_changed(&rep), 1);
	EXPECT_EQ(rep.first[0].cpu, 1);
	EXPECT_EQ(rep.first[0].va, fix_to_virt(FIX_GMAP_LAST));
	hostmm_fixmap_ptes(1)[FIX_GMAP_LAST] = 0;
	EXPECT_EQ(audit_host_changed(&rep), 0);
}

TEST(audit_ept_changed_sees_a_mapping_and_a_freed_frame)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t g, other;

	sim_boot_standard();
	EXPECT_EQ(vm_mem_init(&vm, 0, 2), 0);
	EXPECT_EQ(vm_mem_add(&vm, _gfn(0), 512), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(rep.entries, 0);
	/* A frame of another owner mapped through ept_map(). */
	EXPECT_EQ(frames_alloc(1, frame_owner_guest(4), &other), 0);
	EXPECT_EQ(ept_map(&vm.ept, 0x40000000, other, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 1);
	EXPECT_EQ(rep.first[0].kind, AUDIT_FOREIGN);
	EXPECT_EQ(ept_unmap(&vm.ept, 0x40000000, PAGE_SIZE), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	/* A frame of the guest's own, mapped while it is the guest's, then freed under the mapping. */
	EXPECT_EQ(frames_alloc(1, vm.mem.owner, &g), 0);
	EXPECT_EQ(ept_map(&vm.ept, 0x40000000, g, PAGE_SIZE, PT_R), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 0);
	EXPECT_EQ(rep.entries, 0);
	EXPECT_EQ(frames_free(g, 1), 0);
	EXPECT_EQ(audit_ept_changed(&vm.ept, vm.mem.owner, &rep), 1);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	EXPECT_EQ(rep.first[0].owner, FRAME_FREE);
	EXPECT_EQ(rep.first[0].va, 0x40000000);
}

/*
 * What the incremental pass trusts (mm/audit.h): a table written behind the
 * counters' back is not seen by it until the writer counts its write; the
 * full pass sees it at once.  (A writer keyhole has must call
 * pt_note_change(); the full pass covers the one that forgot.)
 */
TEST(audit_changed_trusts_the_counters_and_the_full_pass_does_not)
{
	struct vm vm;
	struct audit_report rep;
	mfn_t g;
	u64 va = 0xffffffff90000000ULL;

	make_protected_vm(&vm);
	EXPECT_EQ(audit_host_changed(&rep), 0);
	EXPECT_EQ(guest_mem_lookup(&vm.mem, _gfn(5), &g), 0);
	u64 *pd = shared_table(va, 2);
	pd[pt_index(va, 2)] = mfn_to_pa(g) | PTE_P | PTE_W;
	EXPECT_EQ(audit_host_changed(&rep), 0); /* not counted: not seen */
	EXPECT_EQ(audit_host(&rep), 1);
	EXPECT_EQ(rep.first[0].kind, AUDIT_TABLE);
	EXPECT_EQ(audit_host_changed(&rep), 0); /* the unclean full pass marked nothing, but nothing counted either */
	pt_note_change(hostmm_shared_pt());
	EXPECT_EQ(audit_host_changed(&rep), 1);
	EXPECT_EQ(mfn_x(rep.first[0].mfn), mfn_x(g));
	pd[pt_index(va, 2)] = 0;
	pt_note_change(hostmm_shared_pt());
	EXPECT_EQ(audit_host_changed(&rep), 0);
}

/* One entry check in AUDIT_FULL_EVERY is a full pass. */
TEST(audit_full_due_once_in_every_period)
{
	int due = 0;

	for (int i = 0; i < 3 * AUDIT_FULL_EVERY; i++)
		due += audit_full_due();
	EXPECT_EQ(due, 3);
}
