/*
 * The run loop of a vCPU (see vcpu.h): the invariants keyhole checks before
 * every VM entry, the entry itself, and the dispatch of the exit.
 */
#include <keyhole/log.h>
#include <keyhole/panic.h>
#include <x86/cpu.h>
#include <x86/exception.h>
#include "hv/cpu/desc.h"
#include "hv/runtime/console.h"
#include "hv/vm/exit.h"
#include "hv/vm/vcpu.h"
#include "hv/vm/vm.h"
#include "hv/vmx/vmx.h"
#include "mm/arch.h"
#include "mm/audit.h"
#include "mm/fixmap.h"

static bool audit_every_entry;
static u64 watchdog_ticks; /* 0: off */
static u64 boot_tsc; /* 0: nothing to report */

void vcpu_run_audit_every_entry(bool on)
{
	audit_every_entry = on;
}

void vcpu_run_watchdog(u64 million_ticks)
{
	watchdog_ticks = million_ticks * 1000000;
}

bool vcpu_watchdog_wanted(void)
{
	return watchdog_ticks != 0;
}

/*
 * The watchdog on the VMX-preemption timer (SDM Vol. 3C, 26.5.1 and
 * 25.5.1): it counts down in VMX non-root operation at the TSC's rate
 * divided by 2^IA32_VMX_MISC[4:0] and exits with reason 52 at zero; the
 * "save VMX-preemption timer value" exit control leaves the count in the
 * VMCS at every exit, so what the guest used is armed minus that.  A budget
 * longer than the 32-bit timer runs in slices.
 */
static void watchdog_arm(struct vcpu *v)
{
	u64 count = v->watchdog_left >> vmx_preemption_timer_shift(vmx_get_caps());

	v->watchdog_armed = count > VMX_PREEMPTION_TIMER_MAX ? VMX_PREEMPTION_TIMER_MAX : (u32)count;
	vmwrite(VMX_PREEMPTION_TIMER_VALUE, v->watchdog_armed);
}

static void watchdog_account(struct vcpu *v)
{
	u64 used = (u64)(v->watchdog_armed - (u32)vmread(VMX_PREEMPTION_TIMER_VALUE)) << vmx_preemption_timer_shift(vmx_get_caps());

	v->watchdog_left = used < v->watchdog_left ? v->watchdog_left - used : 0;
}

void vcpu_run_report_boot(u64 entry_tsc)
{
	boot_tsc = entry_tsc;
}

/*
 * With audit=entry, invariant 1 and the frames the CPU follows on entry:
 * keyhole's tables, the guest's EPT tables and what the VMCS points at must
 * all be keyhole's own frames, before every entry (invariant 2, no fixmap
 * slot busy, is entry_work()'s).
 */
static void check_invariants(const struct vcpu *v)
{
	struct audit_report rep;

	if (!audit_every_entry)
		return;
	/*
	 * What changed since the last clean pass (mm/audit.h); everything at a
	 * vCPU's first entry and at every AUDIT_FULL_EVERY-th check, for what
	 * the counters would miss.
	 */
	bool full = !v->launched || audit_full_due();
	if (full ? audit_host(&rep) : audit_host_changed(&rep)) {
		audit_log("VM entry", &rep);
		if (rep.findings && rep.first[0].kind == AUDIT_REACHABLE)
			panic("audit: protected frame %#lx reachable at %#lx at VM entry (invariant 1)",
			      mfn_x(rep.first[0].mfn), rep.first[0].va);
		panic("audit: keyhole's page tables fail the audit at VM entry (%u findings)",
		      rep.findings + rep.drifted_roots);
	}
	/* What the CPU uses (SDM Vol. 3C, 25.6.4 I/O bitmaps, 25.6.9 MSR bitmap, 25.6.11 EPTP), read back from the VMCS. */
	u64 eptp = vmread(EPT_POINTER);
	const struct audit_frame frames[] = {
		{ "VMCS", v->vmcs },
		{ "I/O bitmap A", pa_to_mfn(vmread(IO_BITMAP_A)) },
		{ "I/O bitmap B", pa_to_mfn(vmread(IO_BITMAP_B)) },
		{ "MSR bitmap", pa_to_mfn(vmread(MSR_BITMAP)) },
		{ "EPT root", pa_to_mfn(pt_entry_pa(eptp)) },
	};
	if (audit_frames_hv(frames, ARRAY_SIZE(frames), &rep)) {
		audit_log("VM entry", &rep);
		panic("audit: the VMCS points at a %s frame %#lx that keyhole does not own", rep.first[0].what,
		      mfn_x(rep.first[0].mfn));
	}
	if (pt_entry_pa(eptp) != v->vm->ept.pt.root_pa)
		panic("audit: the VMCS's EPT root %#lx is not guest%u's EPT root %#lx", pt_entry_pa(eptp), v->vm->id,
		      v->vm->ept.pt.root_pa);
	if (full ? audit_ept(&v->vm->ept, v->vm->mem.owner, &rep) : audit_ept_changed(&v->vm->ept, v->vm->mem.owner, &rep)) {
		audit_log("VM entry", &rep);
		panic("audit: guest%u's EPT fails the audit at VM entry (%u findings, invariant 3)", v->vm->id,
		      rep.findings);
	}
}

/* From keyhole's first instruction to its first VM entry, once per boot (make bench). */
static void report_boot_to_guest(void)
{
	u64 start = __atomic_exchange_n(&boot_tsc, 0, __ATOMIC_RELAXED); /* the first vCPU of all, on any CPU */

	if (start) {
		/* Printed at every log level: make bench may run with a quiet console. */
		console_printf_always(LOG_TAG_HV, "bench boot_to_guest %lu instr (TSC from keyhole's entry to the first VM entry)",
				      rdtsc() - start);
	}
}

/*
 * A PC guest's pending NMI goes in with the next entry, unless the guest is
 * blocking NMIs, or in an STI or MOV-SS shadow (SDM Vol. 3C 27.3.1.5: event
 * injection then fails the entry check); it waits for a later entry then.
 * An NMI keyhole itself took while the guest was out belongs to it too.
 */
static void deliver_nmi(struct vcpu *v)
{
	if (trap_nmi_take_pending())
		vcpu_note_nmi(v);
	if (!v->nmi_pending || (vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID))
		return;
	if (vmread(GUEST_INTERRUPTIBILITY_INFO) &
	    (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		return;
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, EXC_NMI | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
	v->nmi_pending = false;
}

/*
 * Everything an entry does beyond entering, when the test in vcpu_run()
 * says there is something: the guest's stop, an NMI to hand on, invariant
 * 2, the audit, a run's first entry, the watchdog and, last, steal time.
 * Returns how to enter (VMX_ENTER_*), or -1: the vCPU stopped.
 */
static __attribute__((noinline)) int entry_work(struct vcpu *v, unsigned int cpu)
{
	int how = VMX_ENTER_RESUME;

	if (unlikely(__atomic_load_n(&v->vm->stopping, __ATOMIC_ACQUIRE))) {
		vcpu_stop(v, "another vCPU of the guest was stopped");
		return -1;
	}
	if (v->nmi_pending || trap_nmis_pending())
		deliver_nmi(v);
	/* Invariant 2: every fixmap slot of this CPU is free at entry. */
	if (unlikely(fixmap_cpus[cpu].busy))
		panic("vmx: %u fixmap slots busy at VM entry (an unbalanced gmap_map?)", fixmap_busy(cpu));
	if (v->audit)
		check_invariants(v);
	if (v->first_entry) {
		v->first_entry = false;
		how = v->launched ? VMX_ENTER_FIRST_RESUME : VMX_ENTER_LAUNCH;
		if (!v->launched) {
			report_boot_to_guest();
			v->stats.since_tsc = rdtsc(); /* the first phase of make bench-linux's markers */
			v->watchdog_left = v->watchdog_budget = watchdog_ticks;
		}
	}
	if (v->watchdog)
		watchdog_arm(v);
	/* Last before the entry: everything keyhole did since the exit is the guest's steal time. */
	if (v->steal_time)
		kvm_steal_record(v->vm, &v->pv, rdtsc() - v->exit_tsc, cpu);
	return how;
}

/*
 * The loop.  One test before each entry decides whether entry_work() has
 * anything to do: the vCPU's own flags (entry_work, one word), this CPU's
 * busy fixmap slots (invariant 2: the count itself is the test), an NMI
 * this CPU took in root mode, and the guest's stop.  Only then does the
 * entry pay for what those need.
 */
void vcpu_run(struct vcpu *v)
{
	unsigned int cpu = this_cpu(); /* a vCPU runs on the CPU that set it up (hv/vm/vm_run.c) */
	const u64 *busy = &fixmap_cpus[cpu].busy;
	bool cr2_loaded = false; /* a run that ends before its first exit leaves some other CR2 in the CPU */

	v->first_entry = true;
	v->audit = audit_every_entry;
	v->steal_time = v->pv.steal_on;
	while (v->state == VCPU_RUNNING) {
		int how = VMX_ENTER_RESUME;
		/*
		 * stopping read as the byte it is: a bool would cost a normalisation
		 * here.  The busy slots and the NMI count are counts, not flags:
		 * they stay out of the steal-only comparison (an NMI count of
		 * exactly that value must not pass for steal time alone).
		 */
		u64 other = *busy | trap_nmis_pending() | __atomic_load_n((const u8 *)&v->vm->stopping, __ATOMIC_ACQUIRE);
		if (unlikely(v->entry_work | other)) {
			if (!other && v->entry_work == VCPU_ENTRY_WORK_STEAL_ONLY) {
				/* Steal time alone (every entry of a Linux guest): the update, nothing else to look at. */
				kvm_steal_update(&v->vm->mem, v->vm->clock.host.scale, &v->pv, rdtsc() - v->exit_tsc, cpu);
			} else {
				how = entry_work(v, cpu);
				if (how < 0)
					break;
			}
		}
		if (vmx_enter(&v->regs, how)) {
			u32 e = vmx_insn_error();
			log_err("guest%u: VM entry failed: %s (VM-instruction error %u)", v->vm->id,
				vmx_insn_error_name(e), e);
			vcpu_dump(v);
			vcpu_stop(v, "VM entry failed");
			break;
		}
		if (unlikely(v->entry_work & (VCPU_EXIT_WORK_WATCHDOG | VCPU_EXIT_WORK_STEAL))) {
			if (v->steal_time)
				v->exit_tsc = rdtsc();
			if (v->watchdog)
				watchdog_account(v);
		}
		v->launched = true;
		cr2_loaded = true;
		v->exits++;
		exit_dispatch(v);
	}
	if (cr2_loaded)
		v->regs.cr2 = read_cr2(); /* the guest's, left in the CPU since the run's first entry (hv/vmx/vmx_entry.S) */
	if (v->watchdog)
		log_info("guest%u: used %lu of its watchdog's %lu million TSC ticks", v->vm->id,
			 (v->watchdog_budget - v->watchdog_left) / 1000000, v->watchdog_budget / 1000000);
}
