/*
 * The benchmark guest (make bench): path lengths of keyhole's exits and of
 * its protected-memory accesses, measured with RDTSC.  Under Bochs the TSC
 * advances by exactly one per emulated instruction, in the guest and in the
 * hypervisor alike, so every figure is an instruction count, the same from
 * run to run.
 *
 * Each metric runs ITERATIONS times; the time of an empty measured region
 * (RDTSC to RDTSC) is subtracted.  Output, one line per metric:
 *
 *   bench <name> <min> instr median=<median> iterations=<n>
 *
 * tools/bench.sh turns these into the table and the plain
 * "bench <name> <value> <unit>" lines.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyhole/hypercall.h>
#include <keyhole/kvm_para.h>
#include "kh.h"
#include "rt.h"

#define ITERATIONS 1001
#define PAGE 4096u
#define UNCLAIMED_PORT 0x80

static uint64_t samples[ITERATIONS];
static uint8_t shared_page[PAGE] __attribute__((aligned(4096)));
static uint8_t protected_page[PAGE] __attribute__((aligned(4096)));
static uint8_t toggled_page[PAGE] __attribute__((aligned(4096)));
/* KVM steal-time records, one in a protected page and one in a shared page (keyhole/kvm_para.h). */
static struct kvm_steal_time steal_protected __attribute__((aligned(4096)));
static struct kvm_steal_time steal_shared __attribute__((aligned(4096)));

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t overhead;

typedef void (*op_fn)(void);

/* op timed, setup (if any) run before each sample and not timed. */
static void measure_after(const char *name, op_fn setup, op_fn op)
{
	for (int i = 0; i < ITERATIONS; i++) {
		if (setup)
			setup();
		uint64_t t0 = rdtsc();
		op();
		uint64_t t1 = rdtsc();
		samples[i] = t1 - t0 - overhead;
	}
	qsort(samples, ITERATIONS, sizeof(samples[0]), cmp_u64);
	printf("bench %s %" PRIu64 " instr median=%" PRIu64 " iterations=%d\n", name, samples[0],
	       samples[ITERATIONS / 2], ITERATIONS);
}

static void measure(const char *name, op_fn op)
{
	measure_after(name, NULL, op);
}

static void op_empty(void) {}
static void op_vmcall(void) { kh_hypercall0(KH_HC_NOP); }
static void op_cpuid(void) { (void)cpuid(0); }
static void op_io(void) { __asm__ volatile("outb %0, %1" : : "a"((uint8_t)0), "Nd"((uint16_t)UNCLAIMED_PORT)); }
static void op_read8_shared(void) { uint64_t v; kh_hypercall(KH_HC_DIAG_READ8, (uintptr_t)shared_page, 0, 0, 0, &v); }
static void op_read8_protected(void) { uint64_t v; kh_hypercall(KH_HC_DIAG_READ8, (uintptr_t)protected_page, 0, 0, 0, &v); }
static void op_copy_shared(void) { kh_hypercall2(KH_HC_DIAG_READ, (uintptr_t)shared_page, PAGE); }
static void op_copy_protected(void) { kh_hypercall2(KH_HC_DIAG_READ, (uintptr_t)protected_page, PAGE); }
static int audit_findings;
/* The audit a VM entry runs (what changed since the last clean pass), and the full pass (include/keyhole/hypercall.h). */
static void op_audit(void) { audit_findings += kh_hypercall1(KH_HC_DIAG_AUDIT, 0) != 0; }
static void op_audit_full(void) { audit_findings += kh_hypercall1(KH_HC_DIAG_AUDIT, 1) != 0; }
/* One frame out of the direct map: its PTE cleared, this CPU's INVLPG, and the shootdown to every other CPU. */
static int toggle_failures;
static void op_share_toggled(void) { toggle_failures += kh_hypercall2(KH_HC_MEM_SHARE, (uintptr_t)toggled_page / PAGE, 1) != 0; }
static void op_unshare_toggled(void) { toggle_failures += kh_hypercall2(KH_HC_MEM_UNSHARE, (uintptr_t)toggled_page / PAGE, 1) != 0; }
/* The audit after one change: the page toggled after a clean pass, so that the timed audit sees that change alone. */
static int toggled_shared;
static void setup_share_after_audit(void)
{
	if (toggled_shared)
		op_unshare_toggled();
	op_audit();
	op_share_toggled();
	toggled_shared = 1;
}
static void setup_unshare_after_audit(void)
{
	if (!toggled_shared)
		op_share_toggled();
	op_audit();
	op_unshare_toggled();
	toggled_shared = 0;
}

int main(void)
{
	memset(shared_page, 1, PAGE);
	memset(protected_page, 2, PAGE);
	for (int i = 0; i < ITERATIONS; i++) {
		uint64_t t0 = rdtsc();
		op_empty();
		samples[i] = rdtsc() - t0;
	}
	qsort(samples, ITERATIONS, sizeof(samples[0]), cmp_u64);
	overhead = samples[0];
	printf("bench: RDTSC-to-RDTSC overhead %" PRIu64 " instructions, subtracted from every figure\n", overhead);

	measure("vmcall_roundtrip", op_vmcall);
	measure("cpuid_roundtrip", op_cpuid);
	measure("io_roundtrip", op_io);

	if (kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) ||
	    kh_hypercall2(KH_HC_MEM_SHARE, (uintptr_t)shared_page / PAGE, 1)) {
		printf("bench: could not set up protected and shared pages\n");
		return 1;
	}
	measure("read8_shared", op_read8_shared);
	measure("read8_protected", op_read8_protected);
	measure("copy4k_shared", op_copy_shared);
	measure("copy4k_protected", op_copy_protected);
	/* tools/bench.sh runs this guest on one CPU and on four, and names the figure after each */
	measure_after("unshare_1page", op_share_toggled, op_unshare_toggled);
	if (toggle_failures) {
		printf("bench: %d MEM_SHARE/MEM_UNSHARE calls failed: unshare_1page means nothing\n", toggle_failures);
		return 1;
	}
	/*
	 * The audit over keyhole's tables and this guest's EPT (tools/bench.sh
	 * subtracts vmcall_roundtrip): as at a VM entry with nothing changed, the
	 * full pass, and as at an entry after one MEM_SHARE (a direct-map entry
	 * written) or one MEM_UNSHARE (a frame protected too).
	 */
	measure("diag_audit", op_audit);
	measure("diag_audit_full", op_audit_full);
	measure_after("diag_audit_after_share", setup_share_after_audit, op_audit);
	measure_after("diag_audit_after_unshare", setup_unshare_after_audit, op_audit);
	if (audit_findings || toggle_failures) {
		printf("bench: %d audits found something, %d toggles failed: audit_pass means nothing\n", audit_findings,
		       toggle_failures);
		return 1;
	}
	/*
	 * Steal time on: every VM entry updates the record through keyhole's gfn
	 * cache, warm after the first.  tools/bench.sh subtracts vmcall_roundtrip
	 * (steal time off) for steal_update_protected / _shared.
	 */
	if (kh_hypercall2(KH_HC_MEM_SHARE, (uintptr_t)&steal_shared / PAGE, 1)) {
		printf("bench: could not share the steal-time page\n");
		return 1;
	}
	wrmsr(MSR_KVM_STEAL_TIME, (uintptr_t)&steal_protected | KVM_MSR_ENABLED);
	measure("vmcall_steal_protected", op_vmcall);
	wrmsr(MSR_KVM_STEAL_TIME, (uintptr_t)&steal_shared | KVM_MSR_ENABLED);
	measure("vmcall_steal_shared", op_vmcall);
	wrmsr(MSR_KVM_STEAL_TIME, 0);
	if (steal_protected.version < 2 * ITERATIONS || steal_shared.version < 2 * ITERATIONS) {
		printf("bench: the steal-time records were not updated at every entry (versions %u, %u)\n",
		       steal_protected.version, steal_shared.version);
		return 1;
	}
	return 0;
}
