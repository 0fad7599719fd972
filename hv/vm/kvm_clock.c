/*
 * KVM's clock and steal time through the guest-map contract (see
 * kvm_clock.h; the ABI in keyhole/kvm_para.h).
 *
 * Record updates follow the pvclock protocol: version made odd, the body
 * written, version made even, each step a store the guest sees in that
 * order (x86 stores are not reordered with each other, SDM Vol. 3A 9.2.2;
 * the compiler barriers keep the compiler from doing it).
 */
#include <keyhole/kvm_para.h>
#include <keyhole/log.h>
#include "hv/vm/kvm_clock.h"
#include "hv/vm/vm.h"

#define barrier() __asm__ volatile("" ::: "memory")

void host_clock_set(struct host_clock *h, u64 tsc_hz, bool invariant)
{
	h->tsc_hz = tsc_hz;
	h->scale = pvclock_scale_for(tsc_hz);
	h->stable = invariant;
}

void kvm_clock_vm_init(struct kvm_clock_vm *c, const struct host_clock *host, u64 tsc_now)
{
	c->host = *host;
	c->tsc_zero = tsc_now;
	c->wall_ns_at_zero = 0;
	if (host->wall_sec && host->tsc_hz) {
		/* The wall time now, the RTC's reading carried forward on the TSC. */
		u64 since = tsc_now - host->wall_tsc;
		c->wall_ns_at_zero = host->wall_sec * NSEC_PER_SEC + pvclock_scale_delta(since, host->scale);
	}
}

bool kvm_msr_offered(u32 msr)
{
	return msr == MSR_KVM_WALL_CLOCK_NEW || msr == MSR_KVM_SYSTEM_TIME_NEW || msr == MSR_KVM_STEAL_TIME;
}

u64 kvm_msr_read(const struct kvm_pv_vcpu *pv, u32 msr)
{
	switch (msr) {
	case MSR_KVM_WALL_CLOCK_NEW:
		return pv->wall_clock_msr;
	case MSR_KVM_SYSTEM_TIME_NEW:
		return pv->system_time_msr;
	case MSR_KVM_STEAL_TIME:
		return pv->steal_msr;
	}
	return 0;
}

/*
 * Maps the page of a record of len bytes at gpa through the cache, atomic
 * (no sleeping, no allocation: gmap_map() maps a fixmap slot or the direct
 * map's address).  NULL if it is not guest memory.
 */
static void *map_record(struct vm *vm, u64 gpa, struct gmap *map, struct gfn_cache *cache)
{
	if (gmap_map(&vm->mem, gpa_to_gfn(gpa), map, cache, true))
		return NULL;
	return (u8 *)map->hva + (gpa & (PAGE_SIZE - 1));
}

/* Can a record of len bytes, aligned to align, go at gpa: in guest memory, within one page? */
static bool record_fits(const struct vm *vm, u64 gpa, u64 len, u64 align)
{
	return (gpa & (align - 1)) == 0 && (gpa & (PAGE_SIZE - 1)) + len <= PAGE_SIZE &&
	       guest_mem_range_ok(&vm->mem, gpa, len);
}

static void write_time(struct vm *vm, struct kvm_pv_vcpu *pv, u64 gpa, u64 tsc_now)
{
	const struct kvm_clock_vm *c = &vm->clock;
	struct gmap map;
	struct pvclock_vcpu_time_info *t = map_record(vm, gpa, &map, &pv->time_cache);

	if (!t)
		return;
	u32 version = t->version | 1; /* odd: being written (whatever the guest left there) */
	t->version = version;
	barrier();
	t->tsc_timestamp = tsc_now;
	t->system_time = pvclock_scale_delta(tsc_now - c->tsc_zero, c->host.scale);
	t->tsc_to_system_mul = c->host.scale.mul;
	t->tsc_shift = c->host.scale.shift;
	t->flags = c->host.stable ? PVCLOCK_TSC_STABLE_BIT : 0;
	barrier();
	t->version = version + 1;
	gmap_unmap(&vm->mem, &map, &pv->time_cache, true, true);
}

/* The wall clock may straddle two pages (KVM writes it with kvm_write_guest()): each field copied in order. */
static void write_wall(struct vm *vm, u64 gpa)
{
	struct pvclock_wall_clock w;
	u64 ns = vm->clock.wall_ns_at_zero;

	if (copy_from_guest(&vm->mem, &w.version, gpa, sizeof(w.version)))
		return;
	w.version |= 1;
	w.sec = (u32)(ns / NSEC_PER_SEC);
	w.nsec = (u32)(ns % NSEC_PER_SEC);
	copy_to_guest(&vm->mem, gpa, &w.version, sizeof(w.version));
	copy_to_guest(&vm->mem, gpa + 4, &w.sec, 2 * sizeof(u32));
	w.version++;
	copy_to_guest(&vm->mem, gpa, &w.version, sizeof(w.version));
}

static const char *msr_name(u32 msr)
{
	return msr == MSR_KVM_WALL_CLOCK_NEW ? "wall clock" : msr == MSR_KVM_SYSTEM_TIME_NEW ? "kvm-clock" : "steal time";
}

/* The MSRs' lines, the first KVM_LOG_LIMIT per vCPU: a guest that writes them in a loop does not flood the console. */
#define KVM_LOG_LIMIT 16

static bool log_budget(struct kvm_pv_vcpu *pv)
{
	return pv->logged < KVM_LOG_LIMIT && ++pv->logged;
}

static void refuse(const struct vm *vm, struct kvm_pv_vcpu *pv, u32 msr, u64 gpa, const char *why)
{
	if (log_budget(pv))
		log_warn("guest%u: %s at gpa %#lx refused (%s): not written", vm->id, msr_name(msr), gpa, why);
}

int kvm_msr_write(struct vm *vm, struct kvm_pv_vcpu *pv, u32 msr, u64 val, u64 tsc_now)
{
	u64 gpa;

	switch (msr) {
	case MSR_KVM_WALL_CLOCK_NEW:
		/* msr.rst: a 4-byte aligned address in guest RAM; KVM writes nothing otherwise, and so does keyhole. */
		pv->wall_clock_msr = val;
		if (val & 3)
			refuse(vm, pv, msr, val, "not 4-byte aligned");
		else if (!guest_mem_range_ok(&vm->mem, val, sizeof(struct pvclock_wall_clock)))
			refuse(vm, pv, msr, val, "not guest memory");
		else
			write_wall(vm, val);
		return 0;
	case MSR_KVM_SYSTEM_TIME_NEW:
		pv->system_time_msr = val;
		pv->time_cache.valid = false; /* moved or off: the old translation is not to be used again */
		if (!(val & KVM_MSR_ENABLED))
			return 0;
		gpa = val & ~KVM_MSR_ENABLED;
		/* KVM's cache refuses a record across a page (kvm_gpc_activate()); msr.rst asks 4-byte alignment. */
		if (!record_fits(vm, gpa, sizeof(struct pvclock_vcpu_time_info), 4)) {
			refuse(vm, pv, msr, gpa, (gpa & 3) ? "not 4-byte aligned"
					     : (gpa & (PAGE_SIZE - 1)) + sizeof(struct pvclock_vcpu_time_info) > PAGE_SIZE
						     ? "crosses a page"
						     : "not guest memory");
			return 0;
		}
		if (log_budget(pv))
			log_info("guest%u: kvm-clock at gpa %#lx", vm->id, gpa);
		write_time(vm, pv, gpa, tsc_now);
		return 0;
	case MSR_KVM_STEAL_TIME:
		if (val & KVM_STEAL_RESERVED_MASK)
			return -EINVAL; /* KVM: #GP */
		pv->steal_msr = val;
		pv->steal_cache.valid = false;
		pv->steal_on = false;
		if (!(val & KVM_MSR_ENABLED))
			return 0;
		gpa = val & KVM_STEAL_VALID_BITS; /* 64-byte aligned: never across a page */
		if (!guest_mem_range_ok(&vm->mem, gpa, sizeof(struct kvm_steal_time))) {
			refuse(vm, pv, msr, gpa, "not guest memory");
			return 0;
		}
		if (log_budget(pv))
			log_info("guest%u: steal time at gpa %#lx", vm->id, gpa);
		pv->steal_gpa = gpa;
		pv->steal_on = true;
		/* From here on the record gets what keyhole takes, added to what the guest left in it (KVM's last_steal). */
		pv->steal_ns_reported = pvclock_scale_delta(pv->steal_tsc, vm->clock.host.scale);
		return 0;
	}
	return -EINVAL;
}

/* The general contract, out of line, so that the fast path (kvm_clock.h) needs no stack frame of its own. */
void kvm_steal_record_mapped(struct guest_mem *mem, struct kvm_pv_vcpu *pv, u64 ns)
{
	struct gmap map;

	if (gmap_map(mem, gpa_to_gfn(pv->steal_gpa), &map, &pv->steal_cache, true))
		return;
	kvm_steal_write(pv, (struct kvm_steal_time *)((u8 *)map.hva + (pv->steal_gpa & (PAGE_SIZE - 1))), ns);
	gmap_unmap(mem, &map, &pv->steal_cache, true, true);
}

void kvm_steal_record(struct vm *vm, struct kvm_pv_vcpu *pv, u64 ticks, unsigned int cpu)
{
	kvm_steal_update(&vm->mem, vm->clock.host.scale, pv, ticks, cpu);
}
