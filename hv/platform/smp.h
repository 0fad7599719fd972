/*
 * The other CPUs under keyhole (hv/platform/smp.c): each CPU the MADT lists,
 * up to cpus=N and MAX_CPUS, started with INIT-SIPI-SIPI on a start-up page
 * below 1 MiB, brought into 64-bit mode on its own root, GDT, TSS (IST
 * stacks), stack and fixmap, with VMX on, and left in keyhole's idle loop
 * (HLT; only keyhole's wake-up IPI reaches it), where a mailbox can hand it
 * work.  Guests run on the boot CPU (cpu0).  CPUs not used, not answering or
 * without VMX are sent INIT: they wait for a SIPI, out of every guest's
 * reach (invariant 6).
 */
#ifndef KEYHOLE_HV_PLATFORM_SMP_H
#define KEYHOLE_HV_PLATFORM_SMP_H

#include <keyhole/types.h>

struct madt_info;

/* Right after frames_init(), while low memory is still free: the start-up page and its tables.  Quiet. */
void smp_reserve_low_memory(void);
/* After vmx_enable() on the boot CPU; madt NULL when there is none (the others stay parked). */
void smp_start(const char *cmdline, const struct madt_info *madt);
/* CPUs under keyhole, the boot CPU included. */
unsigned int smp_cpus_online(void);
/* The APIC ID of an online CPU (0 .. smp_cpus_online() - 1). */
u32 smp_apic_id(unsigned int cpu);
/*
 * Runs fn(arg) on cpu (1 .. smp_cpus_online() - 1) from its idle loop and
 * waits for it to return: 0, -EINVAL (no such CPU), -ETIMEDOUT (no answer
 * within a second).
 */
int smp_call(unsigned int cpu, void (*fn)(void *), void *arg);
/*
 * Starts fn(arg) on cpu and returns at once: 0, -EINVAL (no such CPU),
 * -EBUSY (it is running something).  When fn has returned the AP is idle
 * again (smp_cpu_idle) and wakes the boot CPU with LAPIC_VECTOR_WAKE.
 */
int smp_call_async(unsigned int cpu, void (*fn)(void *), void *arg);
/* Is cpu an online AP with nothing to run? */
bool smp_cpu_idle(unsigned int cpu);
/*
 * The boot CPU waits for an AP's wake-up (or any interrupt), interrupts on
 * only inside: the caller checks its condition with interrupts off, then
 * calls this, then checks again.
 */
void smp_wait_for_wakeup(void);

#endif
