/*
 * The responder's side of a TLB shootdown (tlb_serve.c): the request in
 * flight and its acknowledgements.  tlb.c posts a request and waits; every
 * CPU serves its part from the IPI or from a spin-wait (tlb_poll(), tlb.h).
 */
#ifndef KEYHOLE_HV_CPU_TLB_SERVE_H
#define KEYHOLE_HV_CPU_TLB_SERVE_H

#include <keyhole/types.h>

/* The initiator, holding tlb.c's request lock: each CPU in `cpus` is to flush [va, va + len). */
void tlb_post(u32 cpus, u64 va, u64 len);
/* The CPUs that have not yet flushed the posted request (0: all have). */
u32 tlb_unacknowledged(void);

#endif
