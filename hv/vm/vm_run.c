/*
 * Guest lifecycle (see vm_run.h).  Memory is allocated and mapped in the EPT by
 * the memory core, the image loaded through gmap, and on the way out every
 * frame is scrubbed before the allocator can hand it to anybody else.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include "hv/cpu/desc.h"
#include "hv/cpu/lapic.h"
#include "hv/loader/guest_load.h"
#include "hv/loader/linux_load.h"
#include "hv/runtime/console.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vm/vm_run.h"
#include "hv/vmx/vmx.h"
#include "mm/audit.h"
#include "mm/frame.h"

/* kh-lapic-timer: bus-clock ticks from the arming to the interrupt, well inside any test guest's run. */
#define LAPIC_TEST_TICKS 20000

static struct vm vm;
static struct vcpu vcpu;
static bool bench_lines;

void vm_report_costs(bool on)
{
	bench_lines = on;
}

/*
 * What a guest's memory costs keyhole per GiB (make bench reads this line):
 * the EPT tables that grow with it (a guest's root and PDPT are a fixed 8 KiB
 * more), its frame-table entries and its dirty log.
 */
static void report_memory_cost(const struct vm *v, u64 mem_bytes)
{
	u64 gib = ALIGN_UP(mem_bytes, SZ_1G) / SZ_1G;
	u64 ept = ((u64)v->ept.pt.tables - 2) * PAGE_SIZE / gib;
	u64 table = (SZ_1G / PAGE_SIZE) * frames_table_bytes_per_frame();
	u64 dirty = SZ_1G / PAGE_SIZE / 8;

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
		log_err("guest%u: cannot allocate %lu MiB of guest memory with its EPT tables and dirty log: out of "
			"memory (the largest free run of RAM is %lu MiB); lower guest_mem=", id, mem_bytes >> 20,
			largest);
}

static int load(struct vm *v, const struct guest_image *img, u64 mem_bytes, struct guest_entry *entry,
		const char **why)
{
	struct linux_layout l;
	int r;

	if (!img->is_linux)
		return guest_load_elf(&v->mem, mem_bytes, img->image, img->len, img->cmdline, entry, why);
	r = linux_load(&v->mem, mem_bytes, img->image, img->len, img->initrd, img->initrd_len, img->cmdline, entry, &l,
		       why);
	if (r)
		return r;
	log_info("guest%u: Linux boot protocol %u.%02u: kernel at %#lx (%lu MiB with its init_size), "
		 "initrd %s%#lx (%lu KiB)", v->id, l.protocol >> 8, l.protocol & 0xff, l.kernel_gpa,
		 l.kernel_bytes >> 20, l.initrd_bytes ? "at " : "none ", l.initrd_gpa, l.initrd_bytes >> 10);
	return 0;
}

int vm_run(unsigned int id, const struct guest_image *img, u64 mem_bytes, bool protect, struct guest_result *res)
{
	const struct vmx_caps *caps = vmx_get_caps();
	int ept_level = cpu_has_vmx_ept_2m(caps) ? 2 : 1;
	struct guest_entry entry;
	struct audit_report rep;
	const char *why = NULL;
	int r;

	r = vm_mem_init(&vm, id, ept_level);
	if (r)
		return r;
	r = vm_mem_add(&vm, _gfn(0), mem_bytes >> PAGE_SHIFT);
	if (r) {
		report_no_memory(id, mem_bytes, r);
		vm_mem_destroy(&vm);
		return r;
	}
	/* Before the load: then even the loader's writes reach the guest through the fixmap only. */
	if (protect && (r = guest_mem_protect_all(&vm.mem))) {
		log_err("guest%u: cannot protect its memory (%d)", id, r);
		vm_mem_destroy(&vm);
		return r;
	}
	r = load(&vm, img, mem_bytes, &entry, &why);
	if (r) {
		log_err("guest%u: image refused: %s", id, why ? why : "cannot write guest memory");
		vm_mem_destroy(&vm);
		return r;
	}
	if (audit_ept(&vm.ept, vm.mem.owner, &rep)) {
		audit_log("EPT", &rep);
		panic("guest%u: its EPT maps frames it does not own (invariant 3)", id);
	}
	log_info("guest%u: %lu MiB, entry %#lx, EPT with %s leaves%s%s", id, mem_bytes >> 20, entry.rip,
		 ept_level == 2 ? "2 MiB" : "4 KiB", protect ? ", every frame protected" : "",
		 entry.platform == GUEST_PLATFORM_PC ? ", PC platform (PIC, PIT, RTC, COM1 passed through)" : "");

	r = vcpu_init(&vcpu, &vm, &entry, img->break_state);
	if (r) {
		vm_mem_destroy(&vm);
		return r;
	}
	u64 timer_before = trap_interrupt_count(LAPIC_VECTOR_TIMER);
	if (img->lapic_timer && lapic_present())
		lapic_timer_oneshot(LAPIC_TEST_TICKS);
	vcpu_run(&vcpu);
	if (img->lapic_timer)
		log_info("guest%u: LAPIC timer test: %lu timer interrupt(s) taken through %lu external-interrupt exit(s) "
			 "while it ran", id, trap_interrupt_count(LAPIC_VECTOR_TIMER) - timer_before, vcpu.interrupts);
	if (vcpu.nmis)
		log_info("guest%u: %lu NMI(s) arrived while it ran%s", id, vcpu.nmis,
			 entry.platform == GUEST_PLATFORM_PC ? ", handed to it" : ", counted");
	report_memory_cost(&vm, mem_bytes); /* after the run: a console line before it would count in boot_to_guest */
	*res = (struct guest_result){ vcpu.state, vcpu.exit_status, vcpu.stop_reason,
				      vcpu.exits, vcpu.hc.calls, vcpu.hc.errors };
	vcpu_destroy(&vcpu);
	vm_mem_destroy(&vm);
	if (audit_host(&rep)) {
		audit_log("after teardown", &rep);
		panic("guest%u: a protected frame is still reachable after teardown", id);
	}
	return 0;
}
