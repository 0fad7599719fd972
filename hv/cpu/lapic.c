/* The local APIC (see lapic.h).  Register layout: include/x86/apic.h, SDM Vol. 3A chapter 11. */
#include <keyhole/log.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include "hv/cpu/lapic.h"
#include "mm/fixmap.h"

static struct {
	bool present, x2apic;
	mfn_t page; /* xAPIC: the register page */
} apic;

static u32 lapic_read(u32 reg)
{
	void *va;
	u32 v;

	if (apic.x2apic)
		return (u32)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
	if (fixmap_set_mmio(FIX_MMIO, apic.page, &va))
		return 0;
	v = *(volatile u32 *)((u8 *)va + reg);
	fixmap_clear(FIX_MMIO);
	return v;
}

static void lapic_write(u32 reg, u32 v)
{
	void *va;

	if (apic.x2apic) {
		wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
		return;
	}
	if (fixmap_set_mmio(FIX_MMIO, apic.page, &va))
		return;
	*(volatile u32 *)((u8 *)va + reg) = v;
	fixmap_clear(FIX_MMIO);
}

/* ICR: x2APIC takes both halves in one MSR write (SDM 11.12.9); xAPIC the high half first, sending on the low. */
static void lapic_send(u32 dest, u32 low)
{
	if (apic.x2apic) {
		wrmsr(X2APIC_MSR_BASE + (APIC_ICR >> 4), ((u64)dest << 32) | low);
		return;
	}
	lapic_write(APIC_ICR_HI, dest << 24);
	lapic_write(APIC_ICR, low);
	for (int i = 0; i < 100000 && (lapic_read(APIC_ICR) & APIC_ICR_PENDING); i++)
		cpu_relax();
}

u32 lapic_id(void)
{
	u32 id = lapic_read(APIC_ID);

	return apic.x2apic ? id : id >> 24;
}

bool lapic_present(void)
{
	return apic.present;
}

bool lapic_init(void)
{
	if (!(cpuid(CPUID_LEAF_FEATURES).edx & CPUID_1_EDX_APIC))
		return false;
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE)) {
		log_warn("apic: the firmware left the local APIC disabled: keyhole leaves it so (no LAPIC timer, no IPIs)");
		return false;
	}
	apic.present = true;
	apic.x2apic = base & APIC_BASE_EXTD;
	apic.page = pa_to_mfn(base & APIC_BASE_ADDR_MASK);

	lapic_init_cpu();
	log_info("apic: local APIC %u (%s): LVTs masked, LINT0 ExtINT, LINT1 NMI", lapic_id(),
		 apic.x2apic ? "x2APIC" : "xAPIC");
	return true;
}

void lapic_init_cpu(void)
{
	bool bsp = rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_BSP;
	u32 max_lvt = APIC_VERSION_MAX_LVT(lapic_read(APIC_VERSION));
	/* Whatever the firmware armed (timer, thermal, PMI, CMCI, errors) would exit forever: masked. */
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | LAPIC_VECTOR_TIMER);
	lapic_write(APIC_LVT_THERMAL, APIC_LVT_MASKED);
	lapic_write(APIC_LVT_PMC, APIC_LVT_MASKED);
	lapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
	if (max_lvt >= 6)
		lapic_write(APIC_LVT_CMCI, APIC_LVT_MASKED);
	/*
	 * Virtual wire (SDM 11.5.1; MP spec 3.6.2.2) on the boot CPU: the 8259s
	 * through LINT0, NMI through LINT1.  Another CPU keeps both masked: the
	 * PC's interrupts are the boot CPU's (a PC guest runs there).
	 */
	lapic_write(APIC_LVT_LINT0, bsp ? APIC_DM_EXTINT : APIC_LVT_MASKED);
	lapic_write(APIC_LVT_LINT1, bsp ? APIC_DM_NMI : APIC_LVT_MASKED);
	lapic_write(APIC_ESR, 0); /* a write clears the error status (SDM 11.5.3): twice, it is back-to-back */
	lapic_write(APIC_ESR, 0);
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | LAPIC_VECTOR_SPURIOUS);
}

void lapic_eoi(void)
{
	if (apic.present)
		lapic_write(APIC_EOI, 0);
}

void lapic_self_nmi(void)
{
	if (apic.present)
		lapic_send(lapic_id(), APIC_DM_NMI | APIC_ICR_ASSERT);
}

void lapic_send_nmi(u32 apic_id)
{
	if (apic.present)
		lapic_send(apic_id, APIC_DM_NMI | APIC_ICR_ASSERT);
}

void lapic_timer_oneshot(u32 count)
{
	if (!apic.present)
		return;
	lapic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_1);
	lapic_write(APIC_LVT_TIMER, LAPIC_VECTOR_TIMER);
	lapic_write(APIC_TIMER_INITIAL, count);
}

void lapic_park_other_cpus(void)
{
	if (!apic.present)
		return;
	lapic_send(0, APIC_DEST_ALL_BUT_SELF | APIC_DM_INIT | APIC_ICR_ASSERT | APIC_LVT_LEVEL);
	lapic_send(0, APIC_DEST_ALL_BUT_SELF | APIC_DM_INIT | APIC_LVT_LEVEL); /* de-assert */
	log_info("smp: INIT sent to every other CPU: they wait for a SIPI, out of every guest's reach (invariant 6)");
}

/* INIT, level assert then de-assert (SDM Vol. 3A 9.4.4.1; the de-assert is what pre-xAPIC parts need, harmless since). */
void lapic_send_init(u32 apic_id)
{
	if (!apic.present)
		return;
	lapic_send(apic_id, APIC_DM_INIT | APIC_ICR_ASSERT | APIC_LVT_LEVEL);
	lapic_send(apic_id, APIC_DM_INIT | APIC_LVT_LEVEL);
}

/* A start-up IPI (SDM Vol. 3A 11.6.1): the CPU starts in real mode at CS:IP = (page << 8):0. */
void lapic_send_sipi(u32 apic_id, u8 page)
{
	if (apic.present)
		lapic_send(apic_id, APIC_DM_STARTUP | APIC_ICR_ASSERT | page);
}

void lapic_send_ipi(u32 apic_id, u8 vector)
{
	if (apic.present)
		lapic_send(apic_id, APIC_DM_FIXED | APIC_ICR_ASSERT | vector);
}
