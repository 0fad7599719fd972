/*
 * TLB shootdown (see tlb.h).
 *
 * Why it is needed: the direct map's tables are shared by every CPU's root,
 * and a CPU may keep a translation in its TLB after the entry is gone (SDM
 * Vol. 3A 4.10.4.1: a change to a paging entry is seen by another processor
 * only once that processor invalidates; "Propagation of Paging-Structure
 * Changes to Multiple Processors", 4.10.5, is what this file does: the
 * initiator changes the entries, flushes itself, sends IPIs, and waits
 * until every responder has invalidated).  INVLPG also drops the
 * paging-structure-cache entries that led to the address (4.10.4.1), so a
 * table freed by the change is not reached either.
 *
 * Only removals need it: a restored entry was not present before, and a
 * processor does not cache a translation for a not-present entry (4.10.2.3
 * "Details of TLB Use"), so no CPU holds a stale one; at worst it takes one
 * spurious #PF, which keyhole never does, since it touches restored frames
 * only after the call that restored them returns.  The fixmap is per-CPU:
 * its slots are flushed with a local INVLPG (mm/fixmap.c).
 *
 * One request at a time (a ticket lock, req_lock): its range lies in two
 * words, and each target clears its bit in `pending` after it has flushed.
 * Past FLUSH_ALL_PAGES pages a CR3 reload is cheaper than INVLPG per page;
 * keyhole maps nothing global, so it drops everything that could be stale.
 *
 * Host code runs with IF=0, so a CPU that is spinning takes no IPI.  Every
 * host spin-wait serves its CPU's bit of `pending` itself (tlb_poll(),
 * through arch_spin_wait(), include/keyhole/spinlock.h): that is what keeps
 * a CPU waiting for a lock, or for req_lock while another CPU's request is
 * in flight, from stalling the CPU that waits for its acknowledgement.  Two
 * CPUs that start a shootdown at once are the plainest case: the second
 * waits on req_lock and, serving its bit there, lets the first finish.
 */
#include <keyhole/layout.h>
#include <keyhole/panic.h>
#include <keyhole/spinlock.h>
#include <x86/cpu.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/cpu/tlb.h"
#include "hv/cpu/tlb_serve.h"
#include "mm/arch.h"

#define ACK_TIMEOUT_TSC (1ULL << 34) /* seconds on any machine; a CPU that never answers breaks invariant 1 */

STATIC_ASSERT(MAX_CPUS <= 32, "online_mask and pending are 32-bit masks");

static u32 apic_ids[MAX_CPUS];
static u32 online_mask; /* bit per CPU taking shootdown IPIs, the boot CPU's included */
static spinlock_t req_lock;
static bool skip;

void tlb_cpu_online(unsigned int cpu, u32 apic_id)
{
	if (cpu >= MAX_CPUS)
		return;
	apic_ids[cpu] = apic_id;
	__atomic_or_fetch(&online_mask, 1u << cpu, __ATOMIC_RELEASE);
}

void tlb_shootdown(u64 va, u64 len)
{
	unsigned int self = this_cpu();
	u32 others = __atomic_load_n(&online_mask, __ATOMIC_ACQUIRE) & ~(1u << self);
	u64 start;

	if (!others || len == 0 || skip)
		return;
	spin_lock(&req_lock); /* serves this CPU's bit of another CPU's request meanwhile */
	tlb_post(others, va, len);
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (others & (1u << cpu))
			lapic_send_ipi(apic_ids[cpu], LAPIC_VECTOR_TLB);
	start = rdtsc();
	while (tlb_unacknowledged()) {
		if (rdtsc() - start > ACK_TIMEOUT_TSC)
			panic("tlb: CPUs (mask %#x) did not acknowledge the shootdown of [%#lx, +%#lx): their TLBs may "
			      "still reach frames that left the direct map", tlb_unacknowledged(), va, len);
		arch_spin_wait(); /* this CPU's bit is never set here (others excludes it): a plain pause */
	}
	spin_unlock(&req_lock);
}

/* mm/arch.h's shootdown is this file's (arch_mm.c calling here would close a call cycle through the LAPIC). */
void arch_shootdown(u64 va, u64 len)
{
	tlb_shootdown(va, len);
}

void tlb_shootdown_skip(bool on)
{
	skip = on;
}
