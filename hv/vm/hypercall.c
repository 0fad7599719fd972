/*
 * Hypercalls (see hypercall.h).  Every access to guest memory goes through
 * gmap, a page at a time, so the diagnostic calls exercise exactly the path
 * a real device model would take to a protected frame.
 *
 * Two namespaces (ABI version 2): KH_HC_BASE..KH_HC_LAST is keyhole's, every
 * other value of RAX is KVM's, answered as KVM answers a call it does not
 * know (kvm_para.h): keyhole implements none of KVM's hypercalls.
 */
#include <keyhole/hypercall.h>
#include <keyhole/kh_checksum.h>
#include <keyhole/kvm_para.h>
#include <keyhole/layout.h>
#include <keyhole/log.h>
#include "ept/ept.h"
#include "hv/vm/hypercall.h"
#include "hv/vm/vm.h"
#include "lib/string.h"
#include "mm/arch.h"
#include "mm/audit.h"
#include "mm/hostmm.h"

const char *hypercall_name(u64 nr)
{
	switch (nr) {
	case KH_HC_NOP: return "NOP";
	case KH_HC_EXIT: return "EXIT";
	case KH_HC_ENABLE_MEM_PROTECTED: return "ENABLE_MEM_PROTECTED";
	case KH_HC_MEM_SHARE: return "MEM_SHARE";
	case KH_HC_MEM_UNSHARE: return "MEM_UNSHARE";
	case KH_HC_DIAG_READ8: return "DIAG_READ8";
	case KH_HC_DIAG_FILL: return "DIAG_FILL";
	case KH_HC_DIAG_CHECKSUM: return "DIAG_CHECKSUM";
	case KH_HC_DIAG_COPY: return "DIAG_COPY";
	case KH_HC_DIAG_IN_DMAP: return "DIAG_IN_DMAP";
	case KH_HC_DIAG_DIRTY: return "DIAG_DIRTY";
	case KH_HC_DIAG_AUDIT: return "DIAG_AUDIT";
	case KH_HC_DIAG_READ: return "DIAG_READ";
	case KH_HC_TEST_PLANT_LEAK: return "TEST_PLANT_LEAK";
	}
	return KH_HC_IS_KEYHOLE(nr) ? "unknown" : "KVM";
}

/* Is [gpa, gpa + len) non-empty, at most KH_DIAG_MAX_LEN and inside guest memory? */
static bool diag_range_ok(const struct vm *vm, u64 gpa, u64 len)
{
	return len <= KH_DIAG_MAX_LEN && guest_mem_range_ok(&vm->mem, gpa, len);
}

static void fill_piece(void *arg, u8 *p, u64 n)
{
	memset(p, *(u8 *)arg, n);
}

static void checksum_piece(void *arg, u8 *p, u64 n)
{
	*(u32 *)arg = kh_checksum_update(*(u32 *)arg, p, n);
}

/* A bounce page per CPU serves DIAG_READ (cleared before the call returns): vCPUs run on several at once. */
static u8 bounce[MAX_CPUS][PAGE_SIZE];

/*
 * One piece of DIAG_COPY inside one source page and one destination page,
 * guest to guest through two gmap mappings: no copy of the bytes is ever in
 * keyhole's own memory.  The same page on both sides is mapped once, so
 * memmove sees the overlap (two fixmap slots of one frame would hide it).
 */
static int copy_piece(struct guest_mem *m, u64 dst, u64 src, u64 n)
{
	u64 soff = src & (PAGE_SIZE - 1), doff = dst & (PAGE_SIZE - 1);
	struct gmap s, d;
	int r = gmap_map(m, gpa_to_gfn(src), &s, NULL, false);

	if (r)
		return r;
	if (gfn_x(gpa_to_gfn(src)) == gfn_x(gpa_to_gfn(dst))) {
		memmove((u8 *)s.hva + doff, (u8 *)s.hva + soff, n);
		gmap_unmap(m, &s, NULL, true, false);
		return 0;
	}
	r = gmap_map(m, gpa_to_gfn(dst), &d, NULL, false);
	if (!r) {
		memcpy((u8 *)d.hva + doff, (u8 *)s.hva + soff, n);
		gmap_unmap(m, &d, NULL, true, false); /* mappings nest: the last one first */
	}
	gmap_unmap(m, &s, NULL, false, false);
	return r;
}

static s64 diag_copy(struct vm *vm, u64 dst, u64 src, u64 len)
{
	if (!diag_range_ok(vm, dst, len) || !diag_range_ok(vm, src, len))
		return -EINVAL;
	/* Forward, or backward when dst overlaps src's tail, in pieces that stay inside a page on both sides. */
	bool back = dst > src && dst < src + len;
	for (u64 done = 0; done < len;) {
		u64 left = len - done, n, at;
		if (back) {
			u64 send = src + left, dend = dst + left;
			n = MIN(left, MIN(((send - 1) & (PAGE_SIZE - 1)) + 1, ((dend - 1) & (PAGE_SIZE - 1)) + 1));
			at = left - n;
		} else {
			at = done;
			n = MIN(left, MIN(PAGE_SIZE - ((src + at) & (PAGE_SIZE - 1)), PAGE_SIZE - ((dst + at) & (PAGE_SIZE - 1))));
		}
		int r = copy_piece(&vm->mem, dst + at, src + at, n);
		if (r)
			return r;
		done += n;
	}
	return 0;
}

static bool diag, test_hooks;

void hypercall_configure(bool diag_on, bool test_hooks_on)
{
	diag = diag_on;
	test_hooks = test_hooks_on;
}

bool hypercall_diag_offered(void)
{
	return diag;
}

bool hypercall_test_hooks_on(void)
{
	return test_hooks;
}

/* The leak the audit must catch: one PTE in the shared tables, outside every window. */
static s64 plant_leak(struct vm *vm, gfn_t gfn)
{
	mfn_t m;

	if (!test_hooks)
		return -ENOSYS;
	if (guest_mem_lookup(&vm->mem, gfn, &m))
		return -EINVAL;
	log_warn("guest%u: TEST_PLANT_LEAK: mapping frame %#lx at %#llx on purpose", vm->id, mfn_x(m),
		 TEST_LEAK_VA);
	/* Under the direct-map lock, like every writer of the shared tables: the audit's range of them is read under it. */
	hostmm_lock_tables();
	int r = pt_map(hostmm_shared_pt(), TEST_LEAK_VA, mfn_to_pa(m), PAGE_SIZE, PT_R);
	hostmm_unlock_tables();
	return r;
}

static s64 call(struct vm *vm, struct vcpu_regs *regs)
{
	u64 a0 = regs->rbx, a1 = regs->rcx, a2 = regs->rdx;
	mfn_t m;

	if (regs->rax >= KH_HC_DIAG_FIRST && regs->rax <= KH_HC_DIAG_LAST && regs->rax != KH_HC_TEST_PLANT_LEAK &&
	    !diag)
		return -ENOSYS;
	switch (regs->rax) {
	case KH_HC_NOP:
		return 0;
	case KH_HC_ENABLE_MEM_PROTECTED:
		return guest_mem_protect_all(&vm->mem);
	case KH_HC_MEM_SHARE:
		return guest_mem_share(&vm->mem, _gfn(a0), a1);
	case KH_HC_MEM_UNSHARE:
		return guest_mem_unshare(&vm->mem, _gfn(a0), a1);
	case KH_HC_DIAG_READ8: {
		u64 v;
		/* copy_from_guest() checks the range itself (diag_range_ok's length bound holds for 8). */
		if (copy_from_guest(&vm->mem, &v, a0, sizeof(v)))
			return -EINVAL;
		regs->rbx = v;
		return 0;
	}
	case KH_HC_DIAG_FILL: {
		u8 byte = (u8)a2;
		if (!diag_range_ok(vm, a0, a1) || a2 > 0xff)
			return -EINVAL;
		return gmap_for_each_piece(&vm->mem, a0, a1, true, fill_piece, &byte);
	}
	case KH_HC_DIAG_CHECKSUM: {
		u32 h = kh_checksum_init();
		if (!diag_range_ok(vm, a0, a1))
			return -EINVAL;
		s64 r = gmap_for_each_piece(&vm->mem, a0, a1, false, checksum_piece, &h);
		return r ? r : (s64)kh_checksum_final(h);
	}
	case KH_HC_DIAG_COPY:
		return diag_copy(vm, a0, a1, a2);
	case KH_HC_DIAG_IN_DMAP:
		if (guest_mem_lookup(&vm->mem, _gfn(a0), &m))
			return -EINVAL;
		return audit_dmap_reaches(m);
	case KH_HC_DIAG_DIRTY:
		if (guest_mem_lookup(&vm->mem, _gfn(a0), &m))
			return -EINVAL;
		return gmap_dirty_test_and_clear(&vm->mem, _gfn(a0));
	case KH_HC_DIAG_AUDIT:
		/* What a VM entry with audit=entry checks: what changed since the last clean pass, or everything. */
		if (a0)
			return audit_host(NULL) + audit_ept(&vm->ept, vm->mem.owner, NULL);
		return audit_host_changed(NULL) + audit_ept_changed(&vm->ept, vm->mem.owner, NULL);
	case KH_HC_DIAG_READ: {
		if (a1 > PAGE_SIZE || !diag_range_ok(vm, a0, a1))
			return -EINVAL;
		u8 *b = bounce[arch_cpu_id()];
		int r = copy_from_guest(&vm->mem, b, a0, a1);
		memset(b, 0, a1); /* no plaintext of a protected frame outlives the call */
		return r;
	}
	case KH_HC_TEST_PLANT_LEAK:
		return plant_leak(vm, _gfn(a0));
	}
	return -ENOSYS;
}

/*
 * A number outside keyhole's range: KVM's.  keyhole implements none of KVM's
 * hypercalls, so each gets what KVM answers a call it does not know,
 * -KVM_ENOSYS (-1000), and nothing else changes: not RBX, not memory, and
 * the guest goes on (under ABI version 1, KVM's KVM_HC_VAPIC_POLL_IRQ, 1, was
 * keyhole's EXIT).  Out of line and cold: inlined, its logging made every
 * hypercall reload regs from the stack (docs/benchmarks.md).
 */
static __attribute__((noinline, cold)) enum hc_result kvm_hypercall(struct vm *vm, struct vcpu_regs *regs,
									 struct hc_stats *stats)
{
	stats->errors++;
	stats->kvm++;
	if (stats->kvm <= HC_LOG_LIMIT)
		log_warn("guest%u: KVM hypercall %lu (%#lx): not implemented (-KVM_ENOSYS)", vm->id, regs->rax,
			 regs->rax);
	if (stats->kvm == HC_LOG_LIMIT)
		log_warn("guest%u: further KVM hypercalls are counted, not logged", vm->id);
	regs->rax = (u64)-(s64)KVM_ENOSYS;
	return HC_RESUME;
}

/* Invariant 7's refusal, out of line and cold: hypercall() below keeps its frame small. */
static __attribute__((noinline, cold)) enum hc_result refuse_user(struct vm *vm, struct vcpu_regs *regs,
								   unsigned int cpl, struct hc_stats *stats)
{
	stats->errors++;
	stats->not_kernel++;
	if (stats->not_kernel <= HC_LOG_LIMIT)
		log_warn("guest%u: hypercall %s (%#lx) from CPL %u refused: only the guest's kernel may call keyhole",
			 vm->id, hypercall_name(regs->rax), regs->rax, cpl);
	if (stats->not_kernel == HC_LOG_LIMIT)
		log_warn("guest%u: further hypercalls from CPL > 0 are counted, not logged", vm->id);
	regs->rax = (u64)(s64)-EPERM;
	return HC_RESUME;
}

/* Every keyhole call but EXIT and NOP: the switch, and the log line of a failure. */
static __attribute__((noinline)) enum hc_result keyhole_call(struct vm *vm, struct vcpu_regs *regs,
							      struct hc_stats *stats)
{
	s64 r = call(vm, regs);

	if (r < 0) {
		stats->errors++;
		if (stats->errors <= HC_LOG_LIMIT)
			log_warn("guest%u: hypercall %s (%#lx) rbx=%#lx rcx=%#lx rdx=%#lx -> %ld", vm->id,
				 hypercall_name(regs->rax), regs->rax, regs->rbx, regs->rcx, regs->rdx, r);
		if (stats->errors == HC_LOG_LIMIT)
			log_warn("guest%u: further bad hypercalls are counted, not logged", vm->id);
	}
	regs->rax = (u64)r;
	return HC_RESUME;
}

enum hc_result hypercall(struct vm *vm, struct vcpu_regs *regs, unsigned int cpl, struct hc_stats *stats,
			 u64 *status)
{
	stats->calls++;
	/*
	 * Invariant 7: VMCALL exits from every privilege level (SDM Vol. 3C,
	 * 26.1.3), so a guest's user space reaches this point too.  Refused
	 * before anything is decoded, as KVM's kvm_emulate_hypercall() does.
	 */
	if (unlikely(cpl != 0))
		return refuse_user(vm, regs, cpl, stats);
	if (!KH_HC_IS_KEYHOLE(regs->rax))
		return kvm_hypercall(vm, regs, stats);
	if (regs->rax == KH_HC_EXIT) {
		*status = regs->rbx;
		return HC_EXIT;
	}
	if (regs->rax == KH_HC_NOP) {
		regs->rax = 0; /* what call() answers it, without its frame */
		return HC_RESUME;
	}
	return keyhole_call(vm, regs, stats);
}

#ifdef KEYHOLE_HOSTED
/* For the unit tests: what DIAG_READ and DIAG_COPY leave behind in this CPU's bounce page. */
const u8 *hypercall_bounce_for_tests(void);
const u8 *hypercall_bounce_for_tests(void)
{
	return bounce[arch_cpu_id()];
}
#endif
