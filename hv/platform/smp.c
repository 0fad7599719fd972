/*
 * SMP bring-up (see smp.h).
 *
 * The boot CPU starts the others one at a time, following the SDM's MP
 * initialization (Vol. 3A 9.4.4.1, "Typical BSP Initialization Sequence",
 * addressed to one APIC ID instead of broadcast, and 11.6.1 for the ICR):
 * INIT (assert, de-assert), 10 ms, a SIPI naming the start-up page, 200 us,
 * a second SIPI (ignored by a CPU that left wait-for-SIPI on the first).
 * The delays are the PIT's (hv/platform/pit.c).  One at a time because the
 * start-up page holds one set of params, and so that each CPU's log line
 * comes whole and in order.
 *
 * What each AP gets, and from where:
 *   root and fixmap   hostmm_add_cpu(): its own fixmap tables, the shared
 *                     direct map and image (mm/hostmm.c)
 *   GDT, TSS, GS      desc_init_cpu(): its own, IST stacks for #DF and NMI;
 *                     the IDT is shared (hv/cpu/desc.c)
 *   stack             ap_stack[cpu] below
 *   VMXON region      a frame the boot CPU allocates (the frame allocator
 *                     has no lock: only the boot CPU allocates)
 *   VMX               vmx_enable_cpu(): its own CPUID and
 *                     IA32_FEATURE_CONTROL, the boot CPU's VMCS revision
 *   local APIC        lapic_init_cpu(): LVTs and LINT0/1 masked, enabled
 *                     for keyhole's wake-up IPI
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/cr.h>
#include <x86/msr.h>
#include "hv/cpu/ap_boot.h"
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/cpu/tlb.h"
#include "hv/platform/madt.h"
#include "hv/platform/pit.h"
#include "hv/platform/smp.h"
#include "hv/vmx/vmx.h"
#include "lib/cmdline.h"
#include "lib/string.h"
#include "mm/dmap.h"
#include "mm/frame.h"
#include "mm/hostmm.h"
#include "mm/pte.h"

#define AP_STACK_SIZE (16 * 1024)
#define LOW_MEMORY_END 0x100000 /* a SIPI vector is a page number below 1 MiB */
#define INIT_DELAY_US 10000     /* SDM Vol. 3A 9.4.4.1: 10 ms after INIT */
#define SIPI_DELAY_US 200       /* and 200 us after each SIPI */
#define ANSWER_TIMEOUT_MS 100   /* from the last SIPI to the CPU's first C code */
#define ONLINE_TIMEOUT_MS 2000  /* from there to VMX on (its log line included) */
#define CALL_TIMEOUT_MS 1000

enum ap_state { AP_OFF, AP_STARTED, AP_ONLINE, AP_NO_VMX };

static struct smp_cpu {
	u32 apic_id;
	u32 state;       /* enum ap_state, written by the AP */
	mfn_t vmxon;
	void (*fn)(void *); /* the mailbox: set by the boot CPU, cleared by the AP when fn returned */
	void *arg;
	bool notify;        /* smp_call_async(): wake the boot CPU when fn returned */
} cpus[MAX_CPUS];

static u8 ap_stack[MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static mfn_t boot_page; /* frame 0 (never handed out): none */
static u64 boot_cr4;
static unsigned int online = 1;

void smp_reserve_low_memory(void)
{
	if (frames_alloc_below(AP_BOOT_PAGES, LOW_MEMORY_END, FRAME_HV, &boot_page))
		boot_page = _mfn(0);
}

unsigned int smp_cpus_online(void)
{
	return online;
}

u32 smp_apic_id(unsigned int cpu)
{
	return cpu < MAX_CPUS ? cpus[cpu].apic_id : 0;
}

static u32 load_state(const struct smp_cpu *c)
{
	return __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
}

static void set_state(struct smp_cpu *c, enum ap_state s)
{
	__atomic_store_n(&c->state, s, __ATOMIC_RELEASE);
}

/* ---- on the AP ---- */

/* keyhole's idle loop: interrupts on only inside STI; HLT (its one-instruction shadow), so a wake-up is never missed. */
static __attribute__((noreturn)) void idle(struct smp_cpu *c)
{
	for (;;) {
		cli();
		void (*fn)(void *) = __atomic_load_n(&c->fn, __ATOMIC_ACQUIRE);
		if (fn) {
			bool notify = c->notify;
			fn(c->arg);
			__atomic_store_n(&c->fn, NULL, __ATOMIC_RELEASE);
			/* After the store: the boot CPU, woken, finds this CPU free (smp_cpu_idle). */
			if (notify)
				lapic_send_ipi(cpus[0].apic_id, LAPIC_VECTOR_WAKE);
			continue;
		}
		__asm__ volatile("sti; hlt" : : : "memory");
	}
}

/* hv/cpu/ap_boot.S calls this on the temporary tables, on ap_stack[cpu]. */
static __attribute__((noreturn)) void ap_main(unsigned int cpu)
{
	struct smp_cpu *c = &cpus[cpu];
	const char *why;

	hostmm_activate(cpu);
	desc_init_cpu(cpu);
	write_cr4(boot_cr4 & ~X86_CR4_VMXE);
	set_state(c, AP_STARTED);
	lapic_init_cpu();
	if (vmx_enable_cpu(c->vmxon, &why)) {
		log_warn("smp: cpu%u (APIC id %u): VMX unavailable: %s; parked", cpu, lapic_id(), why);
		set_state(c, AP_NO_VMX);
		cpu_halt_forever(); /* until the boot CPU's INIT */
	}
	log_info("smp: cpu%u (APIC id %u): VMX on (VMCS revision %#x)", cpu, lapic_id(),
		 vmx_get_caps()->vmcs_revision_id);
	tlb_cpu_online(cpu, lapic_id()); /* before ONLINE: from then on a shootdown waits for it */
	set_state(c, AP_ONLINE);
	idle(c);
}

/* ---- on the boot CPU ---- */

/* The start-up page and its tables (ap_boot.h), once; its physical address, or 0 if it cannot be had. */
static u64 prepare_boot_page(void)
{
	u64 pa = mfn_to_pa(boot_page);
	u8 *page = phys_to_virt(pa);
	u64 *pml4 = (u64 *)(page + PAGE_SIZE), *pdpt = pml4 + 512, *pd = pdpt + 512;
	const u64 *shared = pt_table(hostmm_shared_pt()->root_pa);
	u64 len = (u64)(ap_boot_end - ap_boot_start);

	if (len > AP_BOOT_PARAMS) {
		log_err("smp: the AP start-up code (%lu bytes) runs into its params: other CPUs stay parked", len);
		return 0;
	}
	memcpy(page, ap_boot_start, len);
	for (int i = 0; i < 512; i++)
		pml4[i] = shared[i];
	pml4[0] = (pa + PAGE_SIZE * 2) | PTE_P | PTE_W;
	pdpt[0] = (pa + PAGE_SIZE * 3) | PTE_P | PTE_W;
	pd[0] = PTE_P | PTE_W | PTE_PS; /* [0, 2 MiB), executable: the start-up code runs here */

	struct ap_boot_params *p = (struct ap_boot_params *)(page + AP_BOOT_PARAMS);
	p->gdt_limit = 4 * 8 - 1;
	p->gdt_base = (u32)(pa + (u64)(ap_boot_gdt - ap_boot_start));
	p->far32_off = (u32)(pa + (u64)(ap_boot_code32 - ap_boot_start));
	p->far32_sel = AP_SEL_CODE32;
	p->far64_off = (u32)(pa + (u64)(ap_boot_code64 - ap_boot_start));
	p->far64_sel = AP_SEL_CODE64;
	p->cr3 = (u32)(pa + PAGE_SIZE);
	p->cr0 = (u32)read_cr0();
	p->efer = (u32)(rdmsr(MSR_IA32_EFER) & (EFER_LME | EFER_NXE));
	p->entry = (u64)(uintptr_t)ap_main;
	boot_cr4 = read_cr4();
	return pa;
}

/* Waits up to ms milliseconds for the CPU to leave state from; what it is in then. */
static u32 wait_state(const struct smp_cpu *c, u32 from, u32 ms)
{
	for (u32 i = 0; i < ms * 10 && load_state(c) == from; i++) {
		tlb_poll(); /* a CPU online already may be shooting down meanwhile (spinlock.h says why) */
		pit_delay_us(100);
	}
	return load_state(c);
}

/* Starts the CPU with APIC ID apic_id as keyhole's cpu; true if it is online. */
static bool start_ap(u64 page_pa, unsigned int cpu, u32 apic_id)
{
	struct smp_cpu *c = &cpus[cpu];
	struct ap_boot_params *p = (struct ap_boot_params *)((u8 *)phys_to_virt(page_pa) + AP_BOOT_PARAMS);
	int r = 0;

	/* A CPU that failed leaves its number (and its root) to the next. */
	if (cpu == hostmm_ncpus())
		r = hostmm_add_cpu(cpu);
	if (!r && mfn_x(c->vmxon) == 0)
		r = frames_alloc(1, FRAME_HV, &c->vmxon);
	if (r) {
		log_err("smp: no memory for cpu%u (APIC id %u) (%d): it stays parked", cpu, apic_id, r);
		return false;
	}
	c->apic_id = apic_id;
	c->fn = NULL;
	set_state(c, AP_OFF);
	p->stack = (u64)(uintptr_t)(ap_stack[cpu] + AP_STACK_SIZE);
	p->cpu = cpu;

	lapic_send_init(apic_id);
	pit_delay_us(INIT_DELAY_US);
	for (int i = 0; i < 2 && load_state(c) == AP_OFF; i++) {
		lapic_send_sipi(apic_id, (u8)(page_pa >> PAGE_SHIFT));
		pit_delay_us(SIPI_DELAY_US);
	}
	u32 s = wait_state(c, AP_OFF, ANSWER_TIMEOUT_MS);
	if (s == AP_STARTED)
		s = wait_state(c, AP_STARTED, ONLINE_TIMEOUT_MS);
	if (s == AP_ONLINE)
		return true;
	if (s == AP_OFF)
		log_warn("smp: the CPU with APIC id %u did not answer INIT-SIPI-SIPI within %u ms: sent INIT again, it "
			 "waits for a SIPI", apic_id, ANSWER_TIMEOUT_MS);
	else if (s == AP_STARTED)
		log_warn("smp: cpu%u (APIC id %u) started but did not turn VMX on within %u ms: sent INIT again, it "
			 "waits for a SIPI", cpu, apic_id, ONLINE_TIMEOUT_MS);
	lapic_send_init(apic_id); /* parked, NO_VMX included: it said why */
	return false;
}

/* cpus=N: how many CPUs keyhole uses, the boot CPU included (default: all, up to MAX_CPUS). */
static u32 cpus_wanted(const char *cmdline)
{
	size_t len;
	u64 n;
	const char *v = cmdline_value(cmdline, "cpus", &len);

	if (!v)
		return MAX_CPUS;
	if (!cmdline_number(v, len, &n) || n == 0) {
		log_err("cpus=%.*s: want a number of CPUs from 1 (the boot CPU alone); using every CPU", (int)len, v);
		return MAX_CPUS;
	}
	if (n > MAX_CPUS) {
		log_warn("cpus=%lu: keyhole runs on at most %d CPUs", n, MAX_CPUS);
		return MAX_CPUS;
	}
	return (u32)n;
}

static void answer_apic_id(void *arg)
{
	*(u32 *)arg = lapic_id();
}

void smp_start(const char *cmdline, const struct madt_info *madt)
{
	u32 want = cpus_wanted(cmdline), bsp = lapic_id(), failed = 0, unused = 0, answered = 0;
	u64 page_pa = 0;

	cpus[0].apic_id = bsp;
	set_state(&cpus[0], AP_ONLINE);
	if (!madt || madt->ncpus <= 1 || !lapic_present())
		return; /* platform_init() said so, and parked whatever else there is */
	if (mfn_x(boot_page) == 0)
		log_warn("smp: no free RAM below 1 MiB for the start-up page: the other CPUs stay parked");
	else
		page_pa = prepare_boot_page();
	for (u32 i = 0; i < madt->ncpus; i++) {
		if (madt->apic_id[i] == bsp)
			continue;
		if (!page_pa || online >= want) {
			unused++;
			continue;
		}
		if (start_ap(page_pa, online, madt->apic_id[i]))
			online++;
		else
			failed++;
	}
	for (unsigned int cpu = 1; cpu < online; cpu++) {
		u32 id = ~0u;
		if (smp_call(cpu, answer_apic_id, &id) == 0 && id == cpus[cpu].apic_id)
			answered++;
	}
	log_info("smp: %u CPUs under keyhole, VMX on each (boot CPU cpu0, APIC id %u); %u in the idle loop, %u "
		 "answered the mailbox; %u did not start; %u not used (cpus=%u)%s", online, bsp, online - 1, answered,
		 failed, unused, want, unused ? ", parked: INIT, wait-for-SIPI" : "");
}

/* Puts fn(arg) in cpu's mailbox and wakes it; -EINVAL: not an online AP; -EBUSY: its mailbox is full. */
static int post(unsigned int cpu, void (*fn)(void *), void *arg, bool notify)
{
	struct smp_cpu *c = &cpus[cpu];

	if (cpu == 0 || cpu >= online || load_state(c) != AP_ONLINE)
		return -EINVAL;
	if (__atomic_load_n(&c->fn, __ATOMIC_ACQUIRE))
		return -EBUSY;
	c->arg = arg;
	c->notify = notify;
	__atomic_store_n(&c->fn, fn, __ATOMIC_RELEASE);
	lapic_send_ipi(c->apic_id, LAPIC_VECTOR_WAKE);
	return 0;
}

bool smp_cpu_idle(unsigned int cpu)
{
	return cpu > 0 && cpu < online && load_state(&cpus[cpu]) == AP_ONLINE &&
	       !__atomic_load_n(&cpus[cpu].fn, __ATOMIC_ACQUIRE);
}

int smp_call_async(unsigned int cpu, void (*fn)(void *), void *arg)
{
	return post(cpu, fn, arg, true);
}

void smp_wait_for_wakeup(void)
{
	/* STI's shadow covers HLT: an IPI sent after the caller's last check still ends the HLT (SDM Vol. 2B, STI). */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

int smp_call(unsigned int cpu, void (*fn)(void *), void *arg)
{
	struct smp_cpu *c = &cpus[cpu];
	int r = post(cpu, fn, arg, false);

	if (r)
		return r;
	for (u32 i = 0; i < CALL_TIMEOUT_MS * 10; i++) {
		if (!__atomic_load_n(&c->fn, __ATOMIC_ACQUIRE))
			return 0;
		tlb_poll(); /* fn may shoot down, and waits for this CPU's acknowledgement too */
		pit_delay_us(100);
	}
	return -ETIMEDOUT;
}
