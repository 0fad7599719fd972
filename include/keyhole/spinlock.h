/*
 * A ticket spinlock: FIFO and fair.  A CPU takes the next ticket and waits
 * until the owner counter reaches it, so waiters get the lock in the order
 * they asked and none can be overtaken forever (a test-and-set lock lets a
 * CPU that just released win again and again).
 *
 * Why the wait loop calls arch_spin_wait() and not just PAUSE: keyhole's
 * host code runs with interrupts off (IF=0).  A CPU spinning here would
 * never take the TLB-shootdown IPI, so if the lock's holder is itself
 * waiting for this CPU to acknowledge a shootdown (direct_map_remove()
 * under the VM lock), both wait forever.  The hypervisor's hook pauses
 * and serves this CPU's pending shootdown (hv/cpu/tlb_serve.c,
 * tlb_poll()); the unit tests' pauses and keeps the same bookkeeping
 * (tests/unit/sim.c).  Every host spin-wait loop must call it the same way.
 *
 * The locks and their order (take them only in this order; release in any):
 *
 *   struct guest_mem.lock   a VM's memory and protection   (mm/gmap.c)
 *     -> dmap_lock          the shared direct map's tables  (mm/hostmm.c)
 *       -> frame_lock       the frame allocator             (mm/frame.c)
 *   the console's line lock is a leaf: printing takes no other lock
 *   (hv/runtime/console.c).  The shootdown's request lock (hv/cpu/tlb.c) is
 *   taken under the direct-map lock and is a leaf too.
 *
 * NMI handlers take no lock (hv/cpu/desc.c): an NMI may arrive while its
 * CPU holds any of these.
 */
#ifndef KEYHOLE_SPINLOCK_H
#define KEYHOLE_SPINLOCK_H

#include <keyhole/types.h>

typedef struct {
	u32 next;  /* the ticket the next locker takes */
	u32 owner; /* the ticket being served */
} spinlock_t;

/*
 * One round of a host spin-wait: PAUSE, and serve this CPU's pending TLB
 * shootdown (see above).  Cheap when nothing is pending.  Implemented by
 * hv/cpu/tlb_serve.c in the hypervisor, by tests/unit/sim.c in the unit tests.
 */
void arch_spin_wait(void);

static inline void spin_lock(spinlock_t *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		arch_spin_wait();
}

static inline void spin_unlock(spinlock_t *l)
{
	/* Only the holder writes owner: a plain increment, published with release. */
	__atomic_store_n(&l->owner, __atomic_load_n(&l->owner, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

/* Held by someone (for assertions; racy by nature when it answers false). */
static inline bool spin_is_locked(const spinlock_t *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) != __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#endif
