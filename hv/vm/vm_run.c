/*
 * Guest lifecycle and the placement of vCPUs on CPUs (see vm_run.h).
 * Memory is allocated and mapped in the EPT by the memory core, the image
 * loaded through gmap, and on the way out every frame is scrubbed before
 * the allocator can hand it to anybody else.
 *
 * Who runs what:
 *   the boot CPU  takes the guests in module order: waits until one has the
 *                 CPUs it asks for, sets it up (memory, load, EPT audit),
 *                 and starts its vCPUs; then the next guest
 *   each vCPU     runs on a physical CPU of its own, pinned, from start to
 *                 end (vcpu_thread): VMCS set up, run and cleared there,
 *                 so no VMCS ever moves between CPUs
 *   the last vCPU of a guest to end tears the guest down and reports it,
 *                 on its own CPU; that CPU is free again only afterwards
 *
 * APs are given vCPUs first and the boot CPU last: while it runs a vCPU it
 * starts no other guest.  A Linux guest runs on the boot CPU and alone:
 * the PICs' interrupts reach the boot CPU only (ExtINT through LINT0), its
 * devices (PIC, PIT, RTC, COM1) are the machine's, and it runs without
 * external-interrupt exits, so no IPI may be aimed at it, and none is while
 * every AP is idle.
 */
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <x86/cpu.h>
#include <x86/pc.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/loader/guest_load.h"
#include "hv/loader/linux_load.h"
#include "hv/platform/platform.h"
#include "hv/platform/smp.h"
#include "hv/platform/tsc.h"
#include "hv/runtime/console.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_run.h"
#include "hv/vmx/vmx.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/audit.h"
#include "mm/frame.h"

/* kh-lapic-timer: bus-clock ticks from the arming to the interrupt, well inside any test guest's run. */
#define LAPIC_TEST_TICKS 20000

/* What one vCPU leaves behind for the guest's report. */
struct vcpu_result {
	enum vcpu_state state;
	u64 status;
	const char *reason;
	u64 exits, hypercalls, bad_hypercalls, interrupts, nmis, timer_interrupts;
};

struct guest {
	struct vm vm;
	struct guest_entry entry;
	u64 mem_bytes;
	bool is_linux, break_state, lapic_timer;
	unsigned int nr_vcpus;
	u32 cpu_of[KH_GUEST_VCPUS_MAX];
	u32 running;  /* vCPUs not yet ended (atomic): the one that takes it to 0 tears the guest down */
	u32 in_use;   /* atomic: cleared by the teardown, the slot's last access */
	struct vcpu_result res[KH_GUEST_VCPUS_MAX];
};

/* At most one guest per CPU runs at once. */
static struct guest guests[MAX_CPUS];
/* The vCPU each CPU runs: its state lives with the CPU, which runs one at a time. */
static struct vcpu vcpus[MAX_CPUS];
/* What each CPU's vcpu_thread() is to run, set before the CPU is started. */
static struct vcpu_start {
	struct guest *g;
	unsigned int index;
} starts[MAX_CPUS];
static u32 guests_ok, guests_ended;
static bool bench_lines;

void vm_report_costs(bool on)
{
	bench_lines = on;
}

/*
 * What a guest's memory costs keyhole per GiB (make bench reads this line):
 * the EPT tables that grow with it (a guest's root and PDPT are a fixed 8 KiB
 * more), the frame table's records of its 2 MiB chunks (per machine, but
 * per GiB of the guest's memory what frames_table_bytes_per_gib() counts),
 * and the dirty log it holds (allocated at its first DIAG_DIRTY: 0 for a
 * guest that never asked).
 */
static void report_memory_cost(const struct vm *v, u64 mem_bytes)
{
	u64 gib = ALIGN_UP(mem_bytes, SZ_1G) / SZ_1G;
	u64 ept = ((u64)v->ept.pt.tables - 2) * PAGE_SIZE / gib;
	u64 table = frames_table_bytes_per_gib();
	u64 dirty = guest_mem_dirty_log_bytes(&v->mem) / gib;

	if (console_log_level() >= LOG_DEBUG || bench_lines)
		console_printf_always(LOG_TAG_HV,
				      "guest%u: memory cost per GiB: EPT %lu bytes, frame table %lu, dirty log %lu; total %lu",
				      v->id, ept, table, dirty, ept + table + dirty);
}

/*
 * Guest memory is one contiguous run of host frames: what counts is the
 * largest free run, not the free total.  Said after the failed attempt has
 * given back everything it took.
 */
static void report_no_memory(unsigned int id, u64 mem_bytes, int r)
{
	u64 largest = (frames_largest_free_run() << PAGE_SHIFT) >> 20;

	if (r != -ENOMEM)
		log_err("guest%u: cannot set up %lu MiB of guest memory (%d)", id, mem_bytes >> 20, r);
	else if (largest < mem_bytes >> 20)
		log_err("guest%u: cannot allocate guest memory: asked for %lu MiB, the largest free run of RAM is "
			"%lu MiB (guest memory is one contiguous run); lower guest_mem= below that", id,
			mem_bytes >> 20, largest);
	else
		log_err("guest%u: cannot allocate %lu MiB of guest memory with its EPT tables: out of "
			"memory (the largest free run of RAM is %lu MiB); lower guest_mem=", id, mem_bytes >> 20,
			largest);
}

static int load(struct vm *v, const struct guest_image *img, unsigned int nr_vcpus, u64 mem_bytes,
		struct guest_entry *entry, const char **why)
{
	struct linux_layout l;
	int r;

	if (!img->is_linux)
		return guest_load_elf(&v->mem, mem_bytes, img->image, img->len, img->cmdline, nr_vcpus, entry, why);
	r = linux_load(&v->mem, mem_bytes, img->image, img->len, img->initrd, img->initrd_len, img->cmdline, entry, &l,
		       why);
	if (r)
		return r;
	entry->nr_vcpus = 1;
	log_info("guest%u: Linux boot protocol %u.%02u: kernel at %#lx (%lu MiB with its init_size), "
		 "initrd %s%#lx (%lu KiB)", v->id, l.protocol >> 8, l.protocol & 0xff, l.kernel_gpa,
		 l.kernel_bytes >> 20, l.initrd_bytes ? "at " : "none ", l.initrd_gpa, l.initrd_bytes >> 10);
	return 0;
}


/*
 * The guest's end, on the CPU of its last vCPU: one report for the guest
 * (the first vCPU keyhole stopped, or the first non-zero status, by vCPU
 * index), then every frame scrubbed and the host tables audited.
 */
static void guest_finish(struct guest *g)
{
	const struct vcpu_result *stopped = NULL;
	struct audit_report rep;
	unsigned int id = g->vm.id;
	u64 status = 0, exits = 0, calls = 0, refused = 0, nmis = 0;

	for (unsigned int k = 0; k < g->nr_vcpus; k++) {
		const struct vcpu_result *r = &g->res[k];
		if (r->state == VCPU_STOPPED && !stopped)
			stopped = r;
		if (r->state == VCPU_EXITED && r->status && !status)
			status = r->status;
		exits += r->exits;
		calls += r->hypercalls;
		refused += r->bad_hypercalls;
		nmis += r->nmis;
	}
	/*
	 * A Linux guest programs the PICs and leaves them unmasked, with the PIT
	 * ticking: masked again, or the next guest's external-interrupt exits
	 * would see the same unacknowledged interrupt at every entry.
	 */
	if (g->is_linux)
		platform_mask_pics();
	/*
	 * Exits per second of the guest's time (its kvm-clock's, from set-up to
	 * now): make bench-linux's figure, so with `bench` at every log level.
	 */
	u64 ms = pvclock_scale_delta(rdtsc() - g->vm.clock.tsc_zero, g->vm.clock.host.scale) / 1000000;
	if (ms && (console_log_level() >= LOG_INFO || bench_lines))
		console_printf_always(LOG_TAG_HV, "guest%u: %lu exits in %lu ms of its clock: %lu per second", id, exits,
				      ms, exits * 1000 / ms);
	if (g->lapic_timer)
		log_info("guest%u: LAPIC timer test: %lu timer interrupt(s) taken through %lu external-interrupt exit(s) "
			 "while it ran", id, g->res[0].timer_interrupts, g->res[0].interrupts);
	if (nmis)
		log_info("guest%u: %lu NMI(s) arrived while it ran%s", id, nmis,
			 g->entry.platform == GUEST_PLATFORM_PC ? ", handed to it" : ", counted");
	report_memory_cost(&g->vm, g->mem_bytes); /* after the run: a console line before it would count in boot_to_guest */
	vm_mem_destroy(&g->vm);
	if (audit_host(&rep)) {
		audit_log("after teardown", &rep);
		panic("guest%u: a protected frame is still reachable after teardown", id);
	}
	if (stopped)
		log_err("guest%u: stopped by keyhole: %s (after %lu exits)", id, stopped->reason, exits);
	else
		log_info("guest%u: exited with status %ld after %lu exits, %lu hypercalls (%lu refused)", id, (s64)status,
			 exits, calls, refused);
	if (!stopped && status == 0)
		__atomic_add_fetch(&guests_ok, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&guests_ended, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&g->in_use, 0, __ATOMIC_RELEASE);
}

/* The other vCPUs of g end at their next exit; the IPI makes one (external-interrupt exiting). */
static void stop_other_vcpus(struct guest *g, unsigned int self)
{
	__atomic_store_n(&g->vm.stopping, true, __ATOMIC_RELEASE);
	for (unsigned int k = 0; k < g->nr_vcpus; k++)
		if (k != self && g->cpu_of[k] != this_cpu())
			lapic_send_ipi(smp_apic_id(g->cpu_of[k]), LAPIC_VECTOR_WAKE);
}

/* One vCPU from VMCS to VMCLEAR, on the CPU it is pinned to (smp_call_async(), or inline on the boot CPU). */
static void vcpu_thread(void *arg)
{
	const struct vcpu_start *s = arg;
	struct guest *g = s->g;
	unsigned int k = s->index, cpu = this_cpu();
	struct vcpu *v = &vcpus[cpu];
	struct vcpu_result *res = &g->res[k];
	struct guest_entry e = guest_entry_of_vcpu(&g->entry, k);
	int r = vcpu_init(v, &g->vm, &e, g->break_state);

	if (r) {
		log_err("guest%u: vCPU %u cannot be set up on cpu%u (%d)", g->vm.id, k, cpu, r);
		*res = (struct vcpu_result){ .state = VCPU_STOPPED, .reason = "vCPU setup failed" };
		stop_other_vcpus(g, k);
	} else {
		if (k)
			snprintf(v->tag, sizeof(v->tag), "guest%u.%u", g->vm.id, k);
		if (g->nr_vcpus > 1 || smp_cpus_online() > 1)
			log_info("guest%u: vCPU %u on cpu%u (APIC id %u)", g->vm.id, k, cpu, lapic_id());
		u64 timer_before = trap_interrupt_count(LAPIC_VECTOR_TIMER);
		if (k == 0 && g->lapic_timer && lapic_present())
			lapic_timer_oneshot(LAPIC_TEST_TICKS);
		vcpu_run(v);
		if (v->pv.steal_updates)
			log_info("guest%u: vCPU %u: %lu us of steal time reported in %lu updates", g->vm.id, k,
				 pvclock_scale_delta(v->pv.steal_tsc, g->vm.clock.host.scale) / 1000, v->pv.steal_updates);
		if (v->state == VCPU_STOPPED)
			stop_other_vcpus(g, k);
		*res = (struct vcpu_result){ v->state, v->exit_status, v->stop_reason, v->exits, v->hc.calls, v->hc.errors,
					     v->interrupts, v->nmis,
					     trap_interrupt_count(LAPIC_VECTOR_TIMER) - timer_before };
		vcpu_destroy(v);
	}
	if (__atomic_sub_fetch(&g->running, 1, __ATOMIC_ACQ_REL) == 0)
		guest_finish(g);
}

/* Free CPUs, APs first in number order, then the boot CPU; how many were found (up to want). */
static unsigned int free_cpus(u32 *cpu, unsigned int want, bool boot_cpu_only)
{
	unsigned int n = 0;

	if (!boot_cpu_only)
		for (unsigned int c = 1; c < smp_cpus_online() && n < want; c++)
			if (smp_cpu_idle(c))
				cpu[n++] = c;
	if (n < want)
		cpu[n++] = 0;
	return n;
}

static struct guest *free_guest_slot(void)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (!__atomic_load_n(&guests[i].in_use, __ATOMIC_ACQUIRE))
			return &guests[i];
	return NULL;
}

/* Have all APs nothing to run? */
static bool all_aps_idle(void)
{
	for (unsigned int c = 1; c < smp_cpus_online(); c++)
		if (!smp_cpu_idle(c))
			return false;
	return true;
}

/* Waits (in HLT, woken by the APs as they finish) until the guest can have its CPUs and a slot. */
static struct guest *wait_for_cpus(unsigned int nr_vcpus, bool is_linux, u32 *cpu)
{
	for (;;) {
		struct guest *g = free_guest_slot();
		if (g && (!is_linux || all_aps_idle()) && free_cpus(cpu, nr_vcpus, is_linux) == nr_vcpus)
			return g;
		smp_wait_for_wakeup();
	}
}

/* vcpus=N from the image, checked against what keyhole has; 0 (logged): refused. */
static unsigned int vcpus_wanted(unsigned int id, const struct guest_image *img)
{
	unsigned int n = img->vcpus ? img->vcpus : 1;

	if (img->is_linux && n > 1) {
		log_err("guest%u: vcpus=%u: a Linux guest has one vCPU (README \"Linux guests\"): not run", id, n);
		return 0;
	}
	if (n > KH_GUEST_VCPUS_MAX) {
		log_err("guest%u: vcpus=%u: a guest has at most %d vCPUs: not run", id, n, KH_GUEST_VCPUS_MAX);
		return 0;
	}
	if (n > smp_cpus_online()) {
		log_err("guest%u: vcpus=%u, but keyhole runs on %u CPU(s) and pins each vCPU to its own: not run "
			"(lower vcpus=, or raise cpus=)", id, n, smp_cpus_online());
		return 0;
	}
	return n;
}

/* Memory, protection, image, EPT audit: the guest ready to run, or an error (logged, nothing left). */
static int guest_setup(struct guest *g, unsigned int id, const struct guest_image *img, u64 mem_bytes, bool protect)
{
	const struct vmx_caps *caps = vmx_get_caps();
	int ept_level = cpu_has_vmx_ept_2m(caps) ? 2 : 1;
	struct audit_report rep;
	const char *why = NULL;
	int r;

	r = vm_mem_init(&g->vm, id, ept_level);
	if (r)
		return r;
	r = vm_mem_add(&g->vm, _gfn(0), mem_bytes >> PAGE_SHIFT);
	if (r) {
		report_no_memory(id, mem_bytes, r);
		vm_mem_destroy(&g->vm);
		return r;
	}
	/* The first guest's zeroed memory was the TSC calibration's window (hv/runtime/main.c). */
	tsc_calibrate();
	kvm_clock_vm_init(&g->vm.clock, tsc_host_clock(), rdtsc());
	/* Before the load: then even the loader's writes reach the guest through the fixmap only. */
	if (protect && (r = guest_mem_protect_all(&g->vm.mem))) {
		log_err("guest%u: cannot protect its memory (%d)", id, r);
		vm_mem_destroy(&g->vm);
		return r;
	}
	r = load(&g->vm, img, g->nr_vcpus, mem_bytes, &g->entry, &why);
	if (r) {
		log_err("guest%u: image refused: %s", id, why ? why : "cannot write guest memory");
		vm_mem_destroy(&g->vm);
		return r;
	}
	if (audit_ept(&g->vm.ept, g->vm.mem.owner, &rep)) {
		audit_log("EPT", &rep);
		panic("guest%u: its EPT maps frames it does not own (invariant 3)", id);
	}
	log_info("guest%u: %lu MiB, entry %#lx, EPT with %s leaves%s%s", id, mem_bytes >> 20, g->entry.rip,
		 ept_level == 2 ? "2 MiB" : "4 KiB", protect ? ", every frame protected" : "",
		 g->entry.platform == GUEST_PLATFORM_PC ? ", PC platform (PIC, PIT, RTC, COM1 passed through)" : "");
	if (g->nr_vcpus > 1)
		log_info("guest%u: %u vCPUs, each pinned to a CPU of its own", id, g->nr_vcpus);
	return 0;
}

int vm_start(unsigned int id, const struct guest_image *img, u64 mem_bytes, bool protect)
{
	u32 cpu[KH_GUEST_VCPUS_MAX];
	unsigned int nr = vcpus_wanted(id, img);
	int boot_cpu_vcpu = -1;

	if (nr == 0)
		return -EINVAL;
	struct guest *g = wait_for_cpus(nr, img->is_linux, cpu);
	memset(g, 0, sizeof(*g));
	g->in_use = 1;
	g->nr_vcpus = nr;
	g->mem_bytes = mem_bytes;
	g->is_linux = img->is_linux;
	g->break_state = img->break_state;
	g->lapic_timer = img->lapic_timer;
	int r = guest_setup(g, id, img, mem_bytes, protect);
	if (r) {
		__atomic_store_n(&g->in_use, 0, __ATOMIC_RELEASE);
		return r;
	}
	g->running = nr;
	for (unsigned int k = 0; k < nr; k++)
		g->cpu_of[k] = cpu[k];
	for (unsigned int k = 0; k < nr; k++) {
		starts[cpu[k]] = (struct vcpu_start){ g, k };
		if (cpu[k] == 0)
			boot_cpu_vcpu = (int)k;
		else if ((r = smp_call_async(cpu[k], vcpu_thread, &starts[cpu[k]])))
			panic("guest%u: cpu%u, found idle, refused vCPU %u (%d)", id, cpu[k], k, r);
	}
	if (boot_cpu_vcpu >= 0)
		vcpu_thread(&starts[0]);
	return 0;
}

unsigned int vm_wait_all(unsigned int started)
{
	while (__atomic_load_n(&guests_ended, __ATOMIC_ACQUIRE) < started || !all_aps_idle())
		smp_wait_for_wakeup();
	return __atomic_load_n(&guests_ok, __ATOMIC_RELAXED);
}
