/*
 * This CPU's local APIC, as keyhole leaves it (hv/cpu/lapic.c): every LVT
 * keyhole does not use masked, LINT0 as ExtINT and LINT1 as NMI (virtual
 * wire mode, so a PC guest's PIT reaches it through the 8259s whatever the
 * firmware left), software-enabled with a spurious vector, TPR 0.  x2APIC
 * through MSRs when the firmware left it in that mode, else the xAPIC page
 * through an uncached fixmap slot for each access (the direct map covers
 * RAM only).
 */
#ifndef KEYHOLE_HV_CPU_LAPIC_H
#define KEYHOLE_HV_CPU_LAPIC_H

#include <keyhole/types.h>

/* Vectors keyhole's own IDT gives meaning to (hv/cpu/desc.c); every other one above 31 is counted and ended. */
#define LAPIC_VECTOR_TIMER 0xf0
#define LAPIC_VECTOR_WAKE 0xf1 /* an IPI that wakes a CPU in keyhole's idle loop (hv/platform/smp.c) */
#define LAPIC_VECTOR_TLB 0xf2  /* a TLB shootdown request (hv/cpu/tlb.c) */
#define LAPIC_VECTOR_SPURIOUS 0xff

/* Sets the APIC up as above; false (and nothing touched) on a CPU without one. */
bool lapic_init(void);
bool lapic_present(void);
/* Another CPU's local APIC, the same way but quietly, and LINT0/LINT1 masked: hv/platform/smp.c on each AP. */
void lapic_init_cpu(void);
/* This CPU's APIC ID. */
u32 lapic_id(void);
/* To one CPU by APIC ID (physical destination): INIT (assert, de-assert); a SIPI; a fixed interrupt. */
void lapic_send_init(u32 apic_id);
void lapic_send_sipi(u32 apic_id, u8 page);
void lapic_send_ipi(u32 apic_id, u8 vector);
void lapic_eoi(void);
/* An NMI to this CPU through the ICR (physical destination: its own APIC ID). */
void lapic_self_nmi(void);
/* An NMI to another CPU (its APIC ID). */
void lapic_send_nmi(u32 apic_id);
/* The timer, one shot: LAPIC_VECTOR_TIMER after count ticks of the bus clock. */
void lapic_timer_oneshot(u32 count);
/*
 * Sends INIT to every other CPU (level assert, then de-assert, SDM Vol. 3A
 * 9.4.4.1): they wait for a SIPI, out of any guest's reach, until keyhole
 * starts them itself (invariant 6).
 */
void lapic_park_other_cpus(void);

#endif
