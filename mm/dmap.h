/*
 * The direct map: all of RAM at one fixed offset in keyhole's address space,
 * minus the frames that are protected.
 *
 * phys_to_virt() and virt_to_phys() are the only conversions between a
 * physical address and a host pointer anywhere in keyhole.  A pointer they
 * return for a protected frame is a hole: touching it faults, and the fault
 * handler names the frame (invariant 5).  Guest memory is reached through
 * mm/gmap.h, never through these directly.
 */
#ifndef KEYHOLE_MM_DMAP_H
#define KEYHOLE_MM_DMAP_H

#include <keyhole/types.h>
#include "mm/arch.h"

static inline void *phys_to_virt(u64 pa)
{
	return (void *)(uintptr_t)(arch_dmap_base() + pa);
}

static inline u64 virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va - arch_dmap_base();
}

/* Is va inside the direct-map window (whether mapped or a hole)? */
static inline bool virt_is_dmap(u64 va, u64 ram_limit)
{
	return va >= arch_dmap_base() && va - arch_dmap_base() < ram_limit;
}

/*
 * Takes frames [mfn, mfn+n) out of the direct map, splitting large mappings
 * as needed, and flushes them from the TLB.  -EINVAL: n == 0, wrapping, or a
 * frame that is not RAM; -ENOENT: a frame is out of the map already.  On an
 * error nothing changed.
 */
int direct_map_remove(mfn_t mfn, u64 n);
/* Puts frames back.  -EINVAL as above; -EEXIST: a frame is mapped already. */
int direct_map_restore(mfn_t mfn, u64 n);
/* Does the direct map (of the shared tables) reach this frame? */
bool direct_map_reaches(mfn_t mfn);

#endif
