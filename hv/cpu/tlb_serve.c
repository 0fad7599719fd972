/*
 * The responder's side of a TLB shootdown (see tlb.c for the protocol and
 * the SDM's rule): the posted request, and serving this CPU's part of it
 * from the IPI handler or from any host spin-wait (arch_spin_wait(),
 * include/keyhole/spinlock.h says why spin-waits must).
 *
 * A file of its own because every spin-wait calls in here, the console's
 * included: it calls nothing out of line (INVLPG, CR3 and the CPU number
 * are inline), so no call cycle runs through it (tools/check-tree.py).
 *
 * Past FLUSH_ALL_PAGES pages a CR3 reload is cheaper than INVLPG per page;
 * keyhole maps nothing global, so it drops everything that could be stale.
 */
#include <keyhole/layout.h>
#include <keyhole/spinlock.h>
#include <x86/cpu.h>
#include <x86/cr.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/tlb.h"
#include "hv/cpu/tlb_serve.h"

#define FLUSH_ALL_PAGES 32

static u32 pending; /* bit per CPU that has yet to flush the request in req_va, req_len */
static u64 req_va, req_len;

void tlb_post(u32 cpus, u64 va, u64 len)
{
	req_va = va;
	req_len = len;
	__atomic_store_n(&pending, cpus, __ATOMIC_RELEASE);
}

u32 tlb_unacknowledged(void)
{
	return __atomic_load_n(&pending, __ATOMIC_ACQUIRE);
}

static void flush_range(u64 va, u64 len)
{
	u64 pages = (len + PAGE_SIZE - 1) >> PAGE_SHIFT;

	if (pages > FLUSH_ALL_PAGES) {
		write_cr3(read_cr3());
		return;
	}
	for (u64 i = 0; i < pages; i++)
		invlpg(va + (i << PAGE_SHIFT));
}

/*
 * Serves this CPU's bit of the request in flight, if set.  The IPI handler
 * and tlb_poll() both come here, on the CPU they serve and with IF=0, so
 * they never run at once on one CPU.  The request cannot change while the
 * bit is set: its initiator holds tlb.c's request lock until `pending` is
 * empty.
 */
static void serve(unsigned int self)
{
	if (!(__atomic_load_n(&pending, __ATOMIC_ACQUIRE) & (1u << self)))
		return; /* a late duplicate, or served by a poll: nothing asked of this CPU */
	flush_range(req_va, req_len);
	__atomic_and_fetch(&pending, ~(1u << self), __ATOMIC_RELEASE);
}

void tlb_handle_ipi(void)
{
	serve(this_cpu());
}

void tlb_poll(void)
{
	/*
	 * One load when nothing is pending, and no GS read: spin-waits run from
	 * the first lock on, before this CPU's GS is set up (hv/cpu/desc.c).
	 * The IPI of a request served here stays latched in the local APIC and
	 * arrives later as a duplicate, which serve() ignores.
	 */
	if (likely(!__atomic_load_n(&pending, __ATOMIC_RELAXED)))
		return;
	serve(this_cpu());
}

void arch_spin_wait(void)
{
	tlb_poll();
	cpu_relax();
}
