/*
 * A test-and-set spinlock.  keyhole runs guests on one CPU today; the lock
 * marks (and will enforce, once more CPUs run) the sections that must not
 * interleave, such as a frame's protection check and its mapping.
 */
#ifndef KEYHOLE_SPINLOCK_H
#define KEYHOLE_SPINLOCK_H

#include <keyhole/types.h>

typedef struct { u32 held; } spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

#endif
