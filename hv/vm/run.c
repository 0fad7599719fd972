/*
 * The run loop of a vCPU (see vcpu.h): the invariants keyhole checks before
 * every VM entry, the entry itself, and the dispatch of the exit.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <x86/cpu.h>
#include "hv/runtime/console.h"
#include "hv/vm/exit.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"
#include "mm/arch.h"
#include "mm/audit.h"
#include "mm/fixmap.h"

static bool audit_every_entry;
static u64 boot_tsc; /* 0: nothing to report */

void vcpu_run_audit_every_entry(bool on)
{
	audit_every_entry = on;
}

void vcpu_run_report_boot(u64 entry_tsc)
{
	boot_tsc = entry_tsc;
}

/* Invariant 2 and, with audit=entry, invariant 1, before every entry. */
static void check_invariants(void)
{
	struct audit_report rep;

	if (fixmap_busy(arch_cpu_id()))
		panic("vmx: %u fixmap slots busy at VM entry (an unbalanced gmap_map?)", fixmap_busy(arch_cpu_id()));
	if (audit_every_entry && audit_host(&rep)) {
		audit_log("VM entry", &rep);
		panic("audit: protected frame %#lx reachable at %#lx at VM entry (invariant 1)",
		      mfn_x(rep.first[0].mfn), rep.first[0].va);
	}
}

/* From keyhole's first instruction to its first VM entry, once per boot (make bench). */
static void report_boot_to_guest(void)
{
	if (boot_tsc) {
		/* Printed at every log level: make bench may run with a quiet console. */
		console_printf_always(LOG_TAG_HV, "bench boot_to_guest %lu instr (TSC from keyhole's entry to the first VM entry)",
				      rdtsc() - boot_tsc);
		boot_tsc = 0;
	}
}

void vcpu_run(struct vcpu *v)
{
	while (v->state == VCPU_RUNNING) {
		check_invariants();
		if (!v->launched)
			report_boot_to_guest();
		if (vmx_enter(&v->regs, v->launched)) {
			u32 e = vmx_insn_error();
			log_err("guest%u: VM entry failed: %s (VM-instruction error %u)", v->vm->id,
				vmx_insn_error_name(e), e);
			vcpu_dump(v);
			vcpu_stop(v, "VM entry failed");
			break;
		}
		v->launched = true;
		v->exits++;
		exit_dispatch(v);
	}
}
