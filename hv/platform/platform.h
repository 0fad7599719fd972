/*
 * The machine keyhole takes over, as far as interrupts and CPUs go
 * (hv/platform/platform.c): the MADT read through firmware memory, every I/O
 * APIC redirection entry masked (a PC guest gets its interrupts through the
 * 8259s and the local APIC's virtual wire; keyhole takes none), and every
 * CPU but this one sent INIT, to wait for a SIPI until hv/platform/smp.c
 * starts the ones keyhole uses.
 */
#ifndef KEYHOLE_HV_PLATFORM_PLATFORM_H
#define KEYHOLE_HV_PLATFORM_PLATFORM_H

struct boot_info;
struct madt_info;

/* After the local APIC is set up (hv/cpu/lapic.h) and before any guest runs. */
void platform_init(const struct boot_info *bi);
/* The MADT platform_init() read, for SMP bring-up (hv/platform/smp.h); NULL if there was none. */
const struct madt_info *platform_madt(void);
/* The 8259 PICs masked: keyhole takes no interrupts from them, and none may reach a guest unasked. */
void platform_mask_pics(void);

#endif
