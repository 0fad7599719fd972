/*
 * The SMP self-tests (see selftest.h): what the shared direct map and the
 * per-CPU fixmap promise, tested across two CPUs after bring-up.
 *
 *   fixmap isolation  a protected frame in cpu0's fixmap slot: cpu1 reading
 *                     the same virtual address faults, named by the handler
 *   NMIs              an NMI sent to cpu1 is cpu1's to hand to its guest
 *   shootdown         cpu1 reads a frame through the direct map (its TLB now
 *                     holds the translation), cpu0 removes the frame from
 *                     the direct map, cpu1 reads again: it must fault.  With
 *                     testhooks, the same with the shootdown skipped must
 *                     read the frame through cpu1's stale TLB entry, which
 *                     shows the test can see a missing shootdown.
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <x86/cr.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/cpu/tlb.h"
#include "hv/platform/smp.h"
#include "hv/runtime/selftest.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/frame.h"
#include "mm/gmap.h"

#define SELFTEST_GUEST_ID (FRAME_MAX_GUESTS - 1)
#define PATTERN 0x5a

static struct selftest_tally tally;

static bool check(bool ok, const char *name)
{
	return selftest_check(&tally, ok, name);
}

struct probe {
	const volatile void *va;
	u8 byte;
	int r;
};

/* On cpu1: one read that may fault (hv/cpu/desc.c recovers a probe). */
static void probe_on_ap(void *arg)
{
	struct probe *p = arg;

	p->r = probe_read8(p->va, &p->byte);
}

/* On cpu1: its whole TLB dropped, so the test leaves nothing stale behind. */
static void flush_on_ap(void *arg)
{
	(void)arg;
	write_cr3(read_cr3());
}

struct nmi_probe {
	u64 count;
	bool pending;
};

/* On cpu1: its own NMI count, and whether one is pending for its guest. */
static void nmis_on_ap(void *arg)
{
	struct nmi_probe *q = arg;

	q->count = trap_nmi_count();
	q->pending = trap_nmi_take_pending();
}

/* An NMI belongs to the CPU that took it: its guest gets it, not cpu0's. */
static void nmi_test(void)
{
	struct nmi_probe before = { 0 }, after = { 0 };
	u64 cpu0 = trap_nmi_count();

	while (trap_nmi_take_pending())
		;
	if (smp_call(1, nmis_on_ap, &before) == 0) {
		lapic_send_nmi(smp_apic_id(1));
		smp_call(1, nmis_on_ap, &after);
	}
	check(after.count == before.count + 1 && after.pending && trap_nmi_count() == cpu0 && !trap_nmi_take_pending(),
	      "an NMI sent to cpu1 is counted and pending on cpu1, and nothing on cpu0 (its guest's NMIs are its own)");
}

static int read_on_ap(const volatile void *va, u8 *byte)
{
	struct probe p = { .va = va, .r = -EIO };

	if (smp_call(1, probe_on_ap, &p))
		return -ETIMEDOUT;
	*byte = p.byte;
	return p.r;
}

int selftest_smp_run(bool test_hooks)
{
	static struct guest_mem mem;
	struct gmap map;
	mfn_t mfn;
	u8 byte = 0;
	void *dva;

	if (smp_cpus_online() < 2)
		return 0;
	tally = (struct selftest_tally){ .tag = "selftest-smp" };
	nmi_test();
	if (!check(guest_mem_init(&mem, SELFTEST_GUEST_ID) == 0 && guest_mem_add(&mem, _gfn(0), 1, NULL) == 0 &&
			   guest_mem_lookup(&mem, _gfn(0), &mfn) == 0,
		   "a one-page test guest memory is created"))
		goto out;
	dva = phys_to_virt(mfn_to_pa(mfn));
	*(volatile u8 *)dva = PATTERN;

	check(read_on_ap(dva, &byte) == 0 && byte == PATTERN,
	      "cpu1 reads the shared frame through the direct map (its TLB now holds the translation)");
	log_info("selftest-smp: cpu0 protects the frame; cpu1's read through the same address must fault:");
	check(guest_mem_protect_all(&mem) == 0 && read_on_ap(dva, &byte) == -EFAULT,
	      "after the shootdown cpu1's read of the protected frame faults and is named");

	if (check(gmap_map(&mem, _gfn(0), &map, NULL, true) == 0 && map.protected, "cpu0 maps it into its fixmap slot")) {
		log_info("selftest-smp: cpu1 reads cpu0's fixmap slot, which must fault:");
		check(*(volatile u8 *)map.hva == PATTERN && read_on_ap(map.hva, &byte) == -EFAULT,
		      "cpu0's fixmap slot is cpu0's alone: cpu1 reading its address faults");
		gmap_unmap(&mem, &map, NULL, false, true);
	}

	if (test_hooks) {
		check(guest_mem_share(&mem, _gfn(0), 1) == 0 && read_on_ap(dva, &byte) == 0 && byte == PATTERN,
		      "testhooks: after MEM_SHARE cpu1 reads the frame again (and caches it)");
		tlb_shootdown_skip(true);
		int r = guest_mem_unshare(&mem, _gfn(0), 1);
		bool stale = read_on_ap(dva, &byte) == 0 && byte == PATTERN;
		tlb_shootdown_skip(false);
		smp_call(1, flush_on_ap, NULL);
		check(r == 0 && stale,
		      "testhooks: with the shootdown skipped, cpu1 still reads the unshared frame through its stale TLB "
		      "entry (so the check above would see a missing shootdown)");
		check(read_on_ap(dva, &byte) == -EFAULT, "testhooks: once cpu1 has flushed, its read faults again");
	}
	guest_mem_destroy(&mem);
out:
	return selftest_close(&tally);
}
