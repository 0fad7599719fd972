/*
 * Guest lifecycle (see vm.h).  Memory is allocated and mapped in the EPT by
 * the memory core, the image loaded through gmap, and on the way out every
 * frame is scrubbed before the allocator can hand it to anybody else.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <keyhole/vm.h>
#include "hv/guest_load.h"
#include "hv/vm.h"
#include "hv/vmx.h"
#include "mm/audit.h"
#include "mm/frame.h"

static struct vm vm;
static struct vcpu vcpu;

/*
 * What a guest's memory costs keyhole: EPT tables, frame-table entries and
 * the dirty log, scaled to a GiB of guest memory (make bench reads this line).
 */
static void report_memory_cost(const struct vm *v, u64 mem_bytes)
{
	u64 pages = mem_bytes >> PAGE_SHIFT;
	u64 ept = (u64)v->ept.pt.tables * PAGE_SIZE;
	u64 table = pages * frames_table_bytes_per_frame();
	u64 dirty = 0;

	for (unsigned int i = 0; i < v->mem.nslots; i++)
		dirty += v->mem.slot[i].dirty_frames * PAGE_SIZE;
	log_info("guest%u: memory cost: EPT %lu bytes, frame table %lu, dirty log %lu; per GiB: %lu", v->id, ept,
		 table, dirty, (ept + table + dirty) * (SZ_1G / PAGE_SIZE) / pages);
}

int vm_run_image(unsigned int id, const void *image, u64 len, u64 mem_bytes, const char *cmdline,
		 bool break_state, struct guest_result *res)
{
	const struct vmx_caps *caps = vmx_get_caps();
	int ept_level = cpu_has_vmx_ept_2m(caps) ? 2 : 1;
	struct guest_entry entry;
	struct audit_report rep;
	const char *why = NULL;
	int r;

	r = guest_mem_init(&vm, id, ept_level);
	if (r)
		return r;
	r = guest_mem_add(&vm, _gfn(0), mem_bytes >> PAGE_SHIFT);
	if (r) {
		log_err("guest%u: cannot allocate %lu MiB of guest memory (%d): lower guest_mem=", id,
			mem_bytes >> 20, r);
		guest_mem_destroy(&vm);
		return r;
	}
	r = guest_load_elf(&vm, mem_bytes, image, len, cmdline, &entry, &why);
	if (r) {
		log_err("guest%u: image refused: %s", id, why ? why : "cannot write guest memory");
		guest_mem_destroy(&vm);
		return r;
	}
	if (audit_ept(&vm, &rep)) {
		audit_log("EPT", &rep);
		panic("guest%u: its EPT maps frames it does not own (invariant 3)", id);
	}
	log_info("guest%u: %lu MiB, entry %#lx, EPT with %s leaves", id, mem_bytes >> 20, entry.rip,
		 ept_level == 2 ? "2 MiB" : "4 KiB");
	report_memory_cost(&vm, mem_bytes);

	r = vcpu_init(&vcpu, &vm, &entry, break_state);
	if (r) {
		guest_mem_destroy(&vm);
		return r;
	}
	vcpu_run(&vcpu);
	*res = (struct guest_result){ vcpu.state, vcpu.exit_status, vcpu.stop_reason,
				      vcpu.exits, vcpu.hc.calls, vcpu.hc.errors };
	vcpu_destroy(&vcpu);
	guest_mem_destroy(&vm);
	if (audit_host(&rep)) {
		audit_log("after teardown", &rep);
		panic("guest%u: a protected frame is still reachable after teardown", id);
	}
	return 0;
}
