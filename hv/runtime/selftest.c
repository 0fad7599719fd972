/*
 * Boot self-tests (see selftest.h).  They use the same calls a guest's
 * ENABLE_MEM_PROTECTED and a hypercall would: a one-page VM is made,
 * protected, read through gmap, and then read once more the wrong way,
 * through the direct map, which must fault and be named by the handler
 * (invariant 5).
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include "hv/runtime/console.h"
#include <x86/cpu.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/runtime/selftest.h"
#include "mm/audit.h"
#include "mm/dmap.h"
#include "mm/fixmap.h"
#include "mm/gmap.h"
#include "mm/frame.h"
#include "mm/hostmm.h"

#define SELFTEST_GUEST_ID (FRAME_MAX_GUESTS - 1)
#define PATTERN 0x6b65796865u /* "ehyek" */

bool selftest_check(struct selftest_tally *t, bool ok, const char *name)
{
	console_printf_always(t->tag, "%s: %s", ok ? "PASS" : "FAIL", name);
	if (ok)
		t->passed++;
	else
		t->failed++;
	return ok;
}

int selftest_close(const struct selftest_tally *t)
{
	console_printf_always(t->tag, "%d passed, %d failed", t->passed, t->failed);
	return t->failed;
}

static struct selftest_tally tally;

static bool check(bool ok, const char *name)
{
	return selftest_check(&tally, ok, name);
}

int selftest_run(void)
{
	static struct guest_mem mem;
	struct gmap map;
	mfn_t mfn;
	u64 pa;
	u8 byte;

	tally = (struct selftest_tally){ .tag = "selftest" };
	check(read_cr3() == hostmm_cpu_pt(0)->root_pa &&
		      pt_translate(hostmm_cpu_pt(0), (u64)(uintptr_t)&tally, &pa, NULL, NULL) == 0 &&
		      pa == image_va_to_pa(&tally),
	      "keyhole's page tables are live (CR3 is its root; the image translates)");
	check(pt_translate(hostmm_cpu_pt(0), HV_LOAD_PA, NULL, NULL, NULL) != 0,
	      "no identity map of RAM remains");

	if (!check(guest_mem_init(&mem, SELFTEST_GUEST_ID) == 0 && guest_mem_add(&mem, _gfn(0), 1, NULL) == 0 &&
			   guest_mem_lookup(&mem, _gfn(0), &mfn) == 0,
		   "a one-page test guest memory is created"))
		goto out;
	*(volatile u64 *)phys_to_virt(mfn_to_pa(mfn)) = PATTERN;
	check(guest_mem_protect_all(&mem) == 0 && frame_is_protected(mfn), "its frame is made protected");
	check(!audit_dmap_reaches(mfn) && audit_host(NULL) == 0,
	      "the audit finds the frame out of the direct map and nothing leaked");

	if (check(gmap_map(&mem, _gfn(0), &map, NULL, true) == 0 && map.protected &&
			  (u64)(uintptr_t)map.hva == fix_to_virt(FIX_GMAP_FIRST),
		  "gmap maps it into a fixmap slot")) {
		check(*(volatile u64 *)map.hva == PATTERN, "a fixmap access reads the frame's contents");
		gmap_unmap(&mem, &map, NULL, false, true);
		check(fixmap_busy(0) == 0, "the slot is free after unmap");
	}

	log_info("selftest: reading the protected frame through the direct map, which must fault:");
	check(probe_read8(phys_to_virt(mfn_to_pa(mfn)), &byte) == -EFAULT,
	      "a direct-map read of the protected frame faults, is named and recovered");

	check(guest_mem_share(&mem, _gfn(0), 1) == 0 && probe_read8(phys_to_virt(mfn_to_pa(mfn)), &byte) == 0 &&
		      byte == (u8)PATTERN,
	      "after MEM_SHARE the direct map reaches the frame again");
	guest_mem_destroy(&mem);
	check(frame_owner(mfn) == FRAME_FREE && *(volatile u64 *)phys_to_virt(mfn_to_pa(mfn)) == 0,
	      "teardown scrubs the frame and frees it");
out:
	if (lapic_present()) {
		/* Interrupts are off: only an NMI can arrive, on its own IST stack, and it must come back here. */
		u64 nmis = trap_nmi_count();
		lapic_self_nmi();
		check(trap_nmi_count() == nmis + 1 && trap_nmi_take_pending(),
		      "a self-NMI through the local APIC is taken in root mode, on its own stack, and counted");
	}
	return selftest_close(&tally);
}
