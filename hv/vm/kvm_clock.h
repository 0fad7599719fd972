/*
 * KVM's paravirtual clock and steal time for keyhole's guests (the ABI:
 * include/keyhole/kvm_para.h), the real runtime callers of the guest-map
 * contract: every record keyhole writes goes through gmap_map() with a
 * per-vCPU gfn_cache and atomic = true, so a record in a protected frame is
 * written through a fixmap slot, and a record the guest moved, or whose
 * frame changed protection, is looked up again rather than written where it
 * was (mm/gmap.h: a move resets the cache, anything else bumps the
 * generation).
 *
 *   kvm-clock    each vCPU's pvclock_vcpu_time_info, written when the guest
 *                enables it: the TSC's scale from keyhole's calibration
 *                (hv/platform/tsc.c) and the ns since the VM's kvm-clock
 *                zero, the TSC at which it was created.  The TSC never
 *                changes rate or jumps under keyhole (no offsetting, no
 *                migration), so one write holds for the vCPU's life.
 *                PVCLOCK_TSC_STABLE_BIT only with an invariant TSC.
 *   wall clock   the Unix time of kvm-clock's zero, from the RTC keyhole
 *                read at boot, written at the MSR write.
 *   steal time   what keyhole takes of a vCPU's CPU: the TSC ticks from
 *                each VM exit to the next VM entry (keyhole waits in HLT
 *                only between guests, never while one of its vCPUs is
 *                loaded, so there is nothing to leave out), in ns, added
 *                to the record before each entry, as KVM's
 *                record_steal_time() does.
 *
 * Every update runs with interrupts off on the vCPU's own CPU, never
 * allocates, never sleeps and never faults: gmap_map() either maps the one
 * page or fails, and a failure leaves the record unwritten.  Pure C over
 * struct vm and the memory core: the unit tests drive it with any TSC.
 */
#ifndef KEYHOLE_HV_VM_KVM_CLOCK_H
#define KEYHOLE_HV_VM_KVM_CLOCK_H

#include <keyhole/kvm_para.h>
#include <keyhole/types.h>
#include "lib/pvclock.h"
#include "mm/gmap.h"

struct vm;

/* The machine's clock, measured once at boot (hv/platform/tsc.c). */
struct host_clock {
	u64 tsc_hz;
	struct pvclock_scale scale; /* TSC ticks to ns */
	bool stable;                /* invariant TSC (CPUID 0x80000007 EDX[8]) */
	u64 wall_tsc;               /* the TSC when the RTC read wall_sec; wall_sec 0: no RTC */
	u64 wall_sec;
};

/* A VM's kvm-clock: its zero, set when the VM is created. */
struct kvm_clock_vm {
	struct host_clock host;
	u64 tsc_zero;
	u64 wall_ns_at_zero; /* Unix time in ns at tsc_zero (0: unknown) */
};

/* Per vCPU: what the guest wrote to the three MSRs, the caches its records are reached through. */
struct kvm_pv_vcpu {
	u64 wall_clock_msr, system_time_msr, steal_msr;
	struct gfn_cache time_cache, steal_cache;
	bool steal_on;          /* enabled, and its record lies in guest memory (the vCPU's entry path has a copy, hv/vm/vcpu.h) */
	u64 steal_gpa;
	u64 steal_tsc;          /* keyhole's time since steal time was enabled, TSC ticks */
	u64 steal_ns_reported;  /* of it, what the record has been given */
	u64 steal_updates;      /* records written (make bench, the report line) */
	u32 logged;             /* lines logged about these MSRs (the first few only) */
};

/* The VM's kvm-clock starts now (tsc_now); host is the boot's measurement. */
void kvm_clock_vm_init(struct kvm_clock_vm *c, const struct host_clock *host, u64 tsc_now);
/* host's scale and flags from its tsc_hz and invariance. */
void host_clock_set(struct host_clock *h, u64 tsc_hz, bool invariant);

/* Is msr one of the three KVM MSRs keyhole offers? */
bool kvm_msr_offered(u32 msr);
/* RDMSR of an offered MSR: what the guest last wrote (0 at first). */
u64 kvm_msr_read(const struct kvm_pv_vcpu *pv, u32 msr);
/*
 * WRMSR of an offered MSR at TSC tsc_now: 0, or -EINVAL for a value KVM
 * answers with #GP (the steal-time MSR's reserved bits 1-5); nothing
 * changes then.  A record that cannot be placed is refused with a log line
 * and not written; the MSR takes the value all the same.
 */
int kvm_msr_write(struct vm *vm, struct kvm_pv_vcpu *pv, u32 msr, u64 val, u64 tsc_now);

/*
 * Before a VM entry on CPU cpu (arch_cpu_id()): keyhole spent ticks TSC
 * ticks since the vCPU's last exit; with steal time on, the record gets them.  Inline test, out-of-line
 * update: the entry path pays one load when steal time is off.
 */
void kvm_steal_record(struct vm *vm, struct kvm_pv_vcpu *pv, u64 ticks, unsigned int cpu);

/* The record's update, as KVM's record_steal_time() makes it. */
static inline void kvm_steal_write(struct kvm_pv_vcpu *pv, struct kvm_steal_time *st, u64 ns)
{
	/* A version left odd by the guest's junk is made even first. */
	u32 version = (st->version + 1) | 1;
	st->version = version;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* the compiler keeps the order: the guest reads it on another CPU */
	st->preempted = 0;
	st->steal += ns - pv->steal_ns_reported;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	st->version = version + 1;
	pv->steal_ns_reported = ns;
	pv->steal_updates++;
}

/* The update through gmap_map()/gmap_unmap(): a cold or stale cache (kvm_clock.c). */
void kvm_steal_record_mapped(struct guest_mem *mem, struct kvm_pv_vcpu *pv, u64 ns);

/*
 * kvm_steal_record() itself, inline for the entry path (hv/vm/run.c: no
 * call, no frame of its own): a warm cache takes gmap_map_fast(), no lock,
 * and for a shared frame no call; anything else (the first update, a stale
 * cache) the general contract.  mem and scale: the VM's memory and
 * kvm-clock scale.
 */
static inline void kvm_steal_update(struct guest_mem *mem, struct pvclock_scale scale, struct kvm_pv_vcpu *pv,
				    u64 ticks, unsigned int cpu)
{
	void *hva = NULL;

	pv->steal_tsc += ticks;
	u64 ns = pvclock_scale_delta(pv->steal_tsc, scale);
	if (likely(gmap_map_fast(mem, gpa_to_gfn(pv->steal_gpa), &pv->steal_cache, cpu, &hva))) {
		kvm_steal_write(pv, (struct kvm_steal_time *)((u8 *)hva + (pv->steal_gpa & (PAGE_SIZE - 1))), ns);
		gmap_unmap_fast(mem, &pv->steal_cache, cpu, hva);
		return;
	}
	kvm_steal_record_mapped(mem, pv, ns);
}
static inline void kvm_steal_account(struct vm *vm, struct kvm_pv_vcpu *pv, u64 ticks, unsigned int cpu)
{
	if (pv->steal_on)
		kvm_steal_record(vm, pv, ticks, cpu);
}

#endif
