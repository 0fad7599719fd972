/*
 * The local APIC (Intel SDM Vol. 3A, chapter 11 "Advanced Programmable
 * Interrupt Controller"): register offsets in the xAPIC page, the x2APIC
 * MSRs (MSR 0x800 + offset / 16, 11.12.1), and the fields keyhole sets.
 */
#ifndef KEYHOLE_X86_APIC_H
#define KEYHOLE_X86_APIC_H

/* IA32_APIC_BASE (MSR 0x1b) */
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EXTD (1u << 10) /* x2APIC mode */
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

#define X2APIC_MSR_BASE 0x800

/* Register offsets */
#define APIC_ID 0x20
#define APIC_VERSION 0x30 /* bits 23:16: the last LVT entry */
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ESR 0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR 0x300    /* x2APIC: one 64-bit MSR; xAPIC: low half, high half at 0x310 */
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PMC 0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0

#define APIC_VERSION_MAX_LVT(v) (((v) >> 16) & 0xff)
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_LEVEL (1u << 15)
#define APIC_DM_FIXED (0u << 8)
#define APIC_DM_NMI (4u << 8)
#define APIC_DM_INIT (5u << 8)
#define APIC_DM_STARTUP (6u << 8) /* SIPI: the vector is the start page's number */
#define APIC_DM_EXTINT (7u << 8)
#define APIC_ICR_ASSERT (1u << 14)
#define APIC_ICR_PENDING (1u << 12) /* xAPIC only: the IPI is not sent yet */
#define APIC_DEST_ALL_BUT_SELF (3u << 18)
#define APIC_TIMER_DIVIDE_1 0xb

#endif
