/*
 * libFuzzer target: the hypercall decoder (hv/vm/hypercall.c) with arbitrary
 * register values, against an oracle that knows what every call must answer
 * and what it may write.  After each call: the result matches the oracle,
 * every byte of guest memory matches the shadow copy, the audit is clean and
 * every fixmap slot is free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keyhole/hypercall.h>
#include <keyhole/kh_checksum.h>
#include <keyhole/kvm_para.h>
#include "hv/vm/vm.h"
#include "hv/vm/hypercall.h"
#include "mm/audit.h"
#include "mm/fixmap.h"
#include "sim.h"

#define PAGES 64
#define BYTES (PAGES * PAGE_SIZE)
#define MAX_CALLS 2000

static const uint64_t known[] = {
	KH_HC_NOP, KH_HC_EXIT, KH_HC_ENABLE_MEM_PROTECTED, KH_HC_MEM_SHARE, KH_HC_MEM_UNSHARE,
	KH_HC_DIAG_READ8, KH_HC_DIAG_FILL, KH_HC_DIAG_CHECKSUM, KH_HC_DIAG_COPY, KH_HC_DIAG_IN_DMAP,
	KH_HC_DIAG_DIRTY, KH_HC_DIAG_AUDIT, KH_HC_DIAG_READ, KH_HC_TEST_PLANT_LEAK,
};

static struct vm vm;
static u8 shadow[BYTES];
static bool prot[PAGES], dirty[PAGES], enabled;

static void check(bool ok, const char *what, u64 nr)
{
	if (!ok) {
		fprintf(stderr, "fuzz_hypercall: %s (call %#llx)\n", what, (unsigned long long)nr);
		abort();
	}
}

static bool range_ok(u64 gpa, u64 len)
{
	return len && len <= KH_DIAG_MAX_LEN && gpa + len > gpa && gpa + len <= BYTES;
}

static void mark_dirty(u64 gpa, u64 len)
{
	for (u64 p = gpa / PAGE_SIZE; p <= (gpa + len - 1) / PAGE_SIZE; p++)
		dirty[p] = true;
}

/* What the call must return (and, for READ8, put in rbx); applies its effects to the shadow. */
static s64 oracle(u64 nr, u64 a0, u64 a1, u64 a2, u64 *rbx)
{
	switch (nr) {
	case KH_HC_NOP:
	case KH_HC_DIAG_AUDIT:
		return 0;
	case KH_HC_ENABLE_MEM_PROTECTED:
		enabled = true;
		for (int p = 0; p < PAGES; p++)
			prot[p] = true;
		return 0;
	case KH_HC_MEM_SHARE:
	case KH_HC_MEM_UNSHARE:
		if (a1 == 0 || a0 + a1 < a0 || a0 + a1 > PAGES)
			return -EINVAL;
		if (!enabled)
			return -EPERM;
		for (u64 p = a0; p < a0 + a1; p++)
			prot[p] = nr == KH_HC_MEM_UNSHARE;
		return 0;
	case KH_HC_DIAG_READ8:
		if (!range_ok(a0, 8))
			return -EINVAL;
		memcpy(rbx, shadow + a0, 8);
		return 0;
	case KH_HC_DIAG_FILL:
		if (!range_ok(a0, a1) || a2 > 0xff)
			return -EINVAL;
		memset(shadow + a0, (int)a2, a1);
		mark_dirty(a0, a1);
		return 0;
	case KH_HC_DIAG_CHECKSUM:
		if (!range_ok(a0, a1))
			return -EINVAL;
		return kh_checksum(shadow + a0, a1);
	case KH_HC_DIAG_COPY:
		if (!range_ok(a0, a2) || !range_ok(a1, a2))
			return -EINVAL;
		memmove(shadow + a0, shadow + a1, a2);
		mark_dirty(a0, a2);
		return 0;
	case KH_HC_DIAG_READ:
		return a1 <= PAGE_SIZE && range_ok(a0, a1) ? 0 : -EINVAL;
	case KH_HC_DIAG_IN_DMAP:
		return a0 < PAGES ? !prot[a0] : -EINVAL;
	case KH_HC_DIAG_DIRTY:
		if (a0 >= PAGES)
			return -EINVAL;
		bool was = dirty[a0];
		dirty[a0] = false;
		return was;
	}
	/* Unknown in keyhole's range (TEST_PLANT_LEAK too: the hooks are off); every other number is KVM's. */
	return KH_HC_IS_KEYHOLE(nr) ? -ENOSYS : -KVM_ENOSYS;
}

static const uint8_t *in;
static size_t in_len;

static u64 take(size_t n)
{
	u64 v = 0;

	n = n < in_len ? n : in_len;
	memcpy(&v, in, n);
	in += n;
	in_len -= n;
	return v;
}

/*
 * A number not taken from known[], where shape bits 3-4 say: raw bits (KVM's
 * but for one in 2^48), KVM's small numbers (ABI version 1's 0..4 and
 * 0x100..0x1ff among them), keyhole's range, or next to either end of it,
 * the high half of RAX set or not.
 */
static u64 other_nr(u8 shape)
{
	u64 raw = take(8), edge;

	switch ((shape >> 3) & 3) {
	case 0: return raw;
	case 1: return raw % 0x200;
	case 2: return KH_HC_BASE + (raw & 0x100000 ? raw % (KH_HC_LAST - KH_HC_BASE + 1) : raw % 0x200);
	default:
		edge = (raw & 1 ? KH_HC_LAST : KH_HC_BASE) - 1 + (raw >> 1) % 3;
		return raw & 8 ? edge | (raw & ~0xffffffffull) : edge;
	}
}

/* An argument: raw bits, or (selected by one input bit each) a value near guest memory. */
static u64 arg(u8 shape, int i, bool is_gfn)
{
	u64 raw = take(8);
	u64 span = is_gfn ? PAGES + 2 : BYTES + 2 * PAGE_SIZE;

	return (shape >> i) & 1 ? raw % span : raw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_stats stats = { 0 };
	u64 kvm_calls = 0;

	in = data;
	in_len = size;
	sim_reset();
	sim_boot_small();
	memset(shadow, 0, sizeof(shadow));
	memset(prot, 0, sizeof(prot));
	memset(dirty, 0, sizeof(dirty));
	enabled = false;
	hypercall_configure(true, false);
	if (vm_mem_init(&vm, 0, 2) || vm_mem_add(&vm, _gfn(0), PAGES))
		abort();

	for (int n = 0; in_len && n < MAX_CALLS; n++) {
		u8 sel = (u8)take(1), shape = (u8)take(1);
		/* One call in eight from outside the kernel: refused, nothing changes (invariant 7). */
		unsigned int cpl = (sel & 7) == 7 ? 1 + (shape >> 6) % 3 : 0;
		u64 nr = sel < 240 ? known[sel % (sizeof(known) / sizeof(known[0]))] : other_nr(shape);
		bool gfns = nr == KH_HC_MEM_SHARE || nr == KH_HC_MEM_UNSHARE || nr == KH_HC_DIAG_IN_DMAP ||
			    nr == KH_HC_DIAG_DIRTY;
		struct vcpu_regs r = { .rax = nr, .rbx = arg(shape, 0, gfns), .rcx = arg(shape, 1, gfns),
				       .rdx = arg(shape, 2, false), .rsi = take(8) };
		u64 want_rbx = r.rbx, status = 0;
		s64 want = cpl ? -EPERM : oracle(nr, r.rbx, r.rcx, r.rdx, &want_rbx);
		enum hc_result res = hypercall(&vm, &r, cpl, &stats, &status);

		if (nr == KH_HC_EXIT && !cpl) {
			check(res == HC_EXIT, "EXIT must end the guest", nr);
			break;
		}
		check(res == HC_RESUME, "a call other than EXIT must resume the guest", nr);
		check((s64)r.rax == want, "result differs from the oracle", nr);
		check(r.rbx == want_rbx, "RBX differs from the oracle", nr);
		kvm_calls += !cpl && !KH_HC_IS_KEYHOLE(nr);
		check(stats.kvm == kvm_calls, "KVM's numbers are not counted as such", nr);
		check(audit_host(NULL) == 0 && audit_ept(&vm.ept, vm.mem.owner, NULL) == 0, "the audit found something", nr);
		check(fixmap_busy(0) == 0, "a fixmap slot stayed busy", nr);
		for (u64 g = 0; g < PAGES; g++) {
			mfn_t m;
			guest_mem_lookup(&vm.mem, _gfn(g), &m);
			check(memcmp(sim_phys(mfn_to_pa(m)), shadow + g * PAGE_SIZE, PAGE_SIZE) == 0,
			      "guest memory differs from the shadow", nr);
			check(frame_is_protected(m) == prot[g], "protection differs from the oracle", nr);
		}
	}
	vm_mem_destroy(&vm);
	return 0;
}
