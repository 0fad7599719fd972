/*
 * TLB shootdown: the other CPUs drop their translations of a range of the
 * shared tables (mm/arch.h arch_shootdown(), called when frames leave the
 * direct map).  An IPI on LAPIC_VECTOR_TLB to every other CPU keyhole runs
 * on; each flushes and acknowledges; the caller returns only when all have.
 */
#ifndef KEYHOLE_HV_CPU_TLB_H
#define KEYHOLE_HV_CPU_TLB_H

#include <keyhole/types.h>

/* A CPU that now runs on keyhole's tables and takes shootdown IPIs (hv/platform/smp.c). */
void tlb_cpu_online(unsigned int cpu, u32 apic_id);
/* Every other online CPU flushes [va, va + len) and has acknowledged when this returns. */
void tlb_shootdown(u64 va, u64 len);
/* The IPI's handler (trap_interrupt(), hv/cpu/desc.c), on the CPU it reached. */
void tlb_handle_ipi(void);
/*
 * Serves this CPU's part of a shootdown in flight, if it has one: what the
 * IPI would do, for a CPU that spins with IF=0 and cannot take it.  One
 * load when nothing is pending.  Every host spin-wait calls it, through
 * arch_spin_wait() (include/keyhole/spinlock.h, implemented in tlb_serve.c).
 */
void tlb_poll(void);
/* Test hook (selftest with testhooks): no IPIs while set, to show a test can see one missing. */
void tlb_shootdown_skip(bool skip);

#endif
