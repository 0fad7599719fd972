/*
 * The SMP test guest: one image on every vCPU of a guest started with
 * vcpus=N, what keyhole promises such a guest checked from the inside.  The
 * first word of the command line that names a mode chooses it:
 *
 *   (none)  every vCPU checks its boot block (its index, the count, the same
 *           memory as vCPU 0's), that its stack is its own, keyhole's CPUID
 *           leaves and a hypercall round trip; then, across vCPUs, a shared
 *           counter under atomics, plain writes seen by every other vCPU, a
 *           barrier that lets nobody through early, and keyhole's reads and
 *           writes of protected memory from each CPU (with `diag`)
 *   race    vCPU 0 turns a range of pages shared and protected again
 *           (MEM_SHARE / MEM_UNSHARE) over and over while every other vCPU
 *           has keyhole fill its own slice of that range (DIAG_FILL, a new
 *           byte each round) and checksum it (DIAG_CHECKSUM), comparing with
 *           what it reads itself: no call may fail (a call must wait for
 *           another CPU's mapping of the frame, never answer -EBUSY), and
 *           keyhole must not fault on a frame that left its direct map under
 *           it.  iters=N rounds each (default 10,000)
 *   plant   each vCPU fills its share of the guest's free memory, the unused
 *           bottom of its stack and its registers (state.c) with patterns
 *   check   the next guest, on the same CPUs: each vCPU finds its registers
 *           reset and its share of memory and of its stack all zeros
 *
 * Each vCPU prints PASS/FAIL lines and its own closing "N passed, N failed"
 * (keyhole tags vCPU k's lines [guestN.k] and cuts them at 159 characters:
 * the messages stay shorter) and exits with its failure count.
 * vCPU 0 runs main(), the others kh_vcpu_main() (guest/rt/vcpu.c); only
 * vCPU 0 may use newlib's stdio, so everything here prints through report().
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyhole/guest_boot.h>
#include <keyhole/hypercall.h>
#include <keyhole/kh_checksum.h>

#include "kh.h"
#include "report.h"
#include "rt.h"
#include "state.h"

#define PAGE 4096u
/* The stack keyhole gives every vCPU other than 0 (guest_boot.h); vCPU 0's is larger. */
#define VCPU_STACK_MIN (32u * 1024)
/* A bound on any wait for the other vCPUs, in TSC ticks (Bochs: about one an instruction). */
#define WAIT_TSC_MAX 20000000000ull

enum mode { MODE_CHECKS, MODE_RACE, MODE_PLANT, MODE_CHECK };
static const char *const mode_names[] = { "checks", "race", "plant", "check" };

/* From the command line, read by vCPU 0 before it releases the others. */
static enum mode mode;
static unsigned long iters = 10000;
static unsigned int vcpus_asked = 1; /* the module line's vcpus=N, for comparison */
static unsigned int nr;              /* kh_nr_vcpus() */
static bool have_diag, have_protect;

static void parse_cmdline(void) __attribute__((constructor));
static void parse_cmdline(void)
{
	const struct kh_guest_boot *b = kh_boot_info();
	const char *p = b && b->cmdline_len ? (const char *)(uintptr_t)b->cmdline_gpa : "";
	bool mode_seen = false;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n > 6 && strncmp(p, "iters=", 6) == 0)
			iters = strtoul(p + 6, NULL, 0);
		else if (n > 6 && strncmp(p, "vcpus=", 6) == 0)
			vcpus_asked = (unsigned int)strtoul(p + 6, NULL, 0);
		for (unsigned int m = MODE_CHECKS; m <= MODE_CHECK && !mode_seen; m++)
			if (n == strlen(mode_names[m]) && strncmp(p, mode_names[m], n) == 0) {
				mode = (enum mode)m;
				mode_seen = true;
			}
		p += n;
		p += strspn(p, " ");
	}
	nr = kh_nr_vcpus();
	if (cpuid(KH_CPUID_SIGNATURE).ebx == KH_SIGNATURE_EBX) {
		uint32_t feat = cpuid(KH_CPUID_FEATURES).eax;

		have_diag = feat & KH_FEAT_DIAG;
		have_protect = feat & KH_FEAT_MEM_PROTECTED;
	}
}

static uint64_t gpa_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t rsp(void)
{
	uint64_t v;

	__asm__ volatile("mov %%rsp, %0" : "=r"(v));
	return v;
}

/*
 * A barrier across all vCPUs (sense by generation): the last to arrive
 * resets the count and opens the next generation.  false if the others did
 * not all arrive within WAIT_TSC_MAX, so that a vCPU that died shows as a
 * FAIL rather than a hang.
 */
static struct {
	uint32_t count;
	uint32_t generation;
} barrier_state;

static bool barrier(void)
{
	uint32_t gen = __atomic_load_n(&barrier_state.generation, __ATOMIC_ACQUIRE);
	uint64_t start = __builtin_ia32_rdtsc();

	if (__atomic_add_fetch(&barrier_state.count, 1, __ATOMIC_ACQ_REL) == nr) {
		__atomic_store_n(&barrier_state.count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&barrier_state.generation, gen + 1, __ATOMIC_RELEASE);
		return true;
	}
	while (__atomic_load_n(&barrier_state.generation, __ATOMIC_ACQUIRE) == gen) {
		if (__builtin_ia32_rdtsc() - start > WAIT_TSC_MAX)
			return false;
		kh_spin_pause();
	}
	return true;
}

/* A barrier whose timeout counts as a failed check. */
static void sync_all(const char *where)
{
	if (!barrier())
		report(false, "barrier %s: not every vCPU arrived", where);
}

/* ---- the default checks --------------------------------------------------- */

#define COUNTER_ROUNDS 10000
#define BARRIER_ROUNDS 50
#define STACK_FILL 4096

static const struct kh_guest_boot *blocks[KH_GUEST_VCPUS_MAX];
static uint32_t index_seen[KH_GUEST_VCPUS_MAX];
static uint64_t stack_tops[KH_GUEST_VCPUS_MAX];
static uint64_t counter;
static uint64_t slots[KH_GUEST_VCPUS_MAX];
static uint32_t arrived[KH_GUEST_VCPUS_MAX];
/* One page per vCPU for keyhole to read and write; vCPU v's is filled by vCPU v - 1. */
static uint8_t vcpu_pages[KH_GUEST_VCPUS_MAX][PAGE] __attribute__((aligned(PAGE)));

static uint64_t slot_value(unsigned int v)
{
	return 0x51075107ull << 8 | v;
}

static void check_boot_block(unsigned int v)
{
	const struct kh_guest_boot *b = kh_boot_info(), *b0;

	blocks[v] = b;
	__atomic_fetch_add(&index_seen[v], 1, __ATOMIC_RELAXED);
	report(b && b->vcpu_index == v && b->nr_vcpus == vcpus_asked,
	       "boot block: this is vCPU %u of %u (the module line asked for %u)", b ? b->vcpu_index : 0,
	       b ? b->nr_vcpus : 0, vcpus_asked);
	sync_all("after the boot blocks");
	b0 = blocks[0];
	report(b && b0 && (v == 0 || b != b0) && b->mem_size == b0->mem_size && b->free_gpa == b0->free_gpa &&
		       b->cmdline_gpa == b0->cmdline_gpa && b->cmdline_len == b0->cmdline_len,
	       "boot block at %#" PRIx64 ": its own, with the memory and command line of vCPU 0's", gpa_of(b));
	bool once = true;
	for (unsigned int i = 0; i < nr; i++)
		once &= index_seen[i] == 1;
	report(once, "every index 0..%u was given to exactly one vCPU", nr - 1);
}

static void check_stack(unsigned int v)
{
	const struct kh_guest_boot *b = kh_boot_info();
	uint64_t top = b ? b->stack_top : 0, sp = rsp();
	volatile uint8_t mine[STACK_FILL];
	bool intact = true, apart = true;

	report(top && top % 16 == 0 && sp < top && sp >= top - VCPU_STACK_MIN,
	       "stack: RSP %#" PRIx64 " is inside the stack keyhole gave this vCPU (top %#" PRIx64 ")", sp, top);
	stack_tops[v] = top;
	for (unsigned int i = 0; i < STACK_FILL; i++)
		mine[i] = (uint8_t)(v * 37 + i);
	sync_all("after the stacks were written");
	for (unsigned int i = 0; i < STACK_FILL; i++)
		intact &= mine[i] == (uint8_t)(v * 37 + i);
	for (unsigned int i = 0; i < nr; i++)
		if (i != v)
			apart &= stack_tops[i] >= top + VCPU_STACK_MIN || stack_tops[i] + VCPU_STACK_MIN <= top;
	report(apart && intact, "stack: no other vCPU's stack overlaps it, and what this vCPU wrote there stayed");
}

static void check_identity(void)
{
	struct cpuid_regs sig = cpuid(KH_CPUID_SIGNATURE), std = cpuid(1);

	report(sig.ebx == KH_SIGNATURE_EBX && sig.ecx == KH_SIGNATURE_ECX && sig.edx == KH_SIGNATURE_EDX &&
		       sig.eax >= KH_CPUID_FEATURES && (std.ecx & CPUID_1_ECX_HYPERVISOR),
	       "cpuid: the hypervisor bit and keyhole's signature on this vCPU's CPU too");
	report(kh_hypercall0(KH_HC_NOP) == 0, "hypercall NOP returns 0");
}

/* Under atomics, every vCPU's increments count; plain writes are seen by all once a barrier is between. */
static void check_sharing(unsigned int v)
{
	bool seen = true, early = false;

	for (unsigned int i = 0; i < COUNTER_ROUNDS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	slots[v] = slot_value(v);
	sync_all("after the counter");
	report(__atomic_load_n(&counter, __ATOMIC_RELAXED) == (uint64_t)COUNTER_ROUNDS * nr,
	       "shared counter: %" PRIu64 " after %u atomic increments by each of %u vCPUs", counter,
	       COUNTER_ROUNDS, nr);
	for (unsigned int i = 0; i < nr; i++)
		seen &= slots[i] == slot_value(i);
	report(seen, "every vCPU's plain write is seen here");

	/* Round r: each says it arrived, then waits; past the barrier, nobody may still be in round r - 1. */
	for (uint32_t r = 1; r <= BARRIER_ROUNDS; r++) {
		__atomic_store_n(&arrived[v], r, __ATOMIC_RELEASE);
		if (!barrier()) {
			early = true;
			break;
		}
		for (unsigned int i = 0; i < nr; i++)
			early |= __atomic_load_n(&arrived[i], __ATOMIC_ACQUIRE) < r;
	}
	report(!early, "barrier: %u rounds, nobody let through before every vCPU arrived", BARRIER_ROUNDS);
}

/* keyhole reads and writes protected memory from each vCPU's CPU (through that CPU's fixmap). */
static void check_protected(unsigned int v)
{
	uint8_t *own = vcpu_pages[v], *next = vcpu_pages[(v + 1) % nr];
	uint8_t from = (uint8_t)(0x40 + (v + nr - 1) % nr);
	uint64_t got = 0;
	bool filled = true;

	if (!have_diag || !have_protect) {
		report_skip("protected memory from every CPU: keyhole offers no DIAG or MEM_PROTECTED (boot it with diag)");
		return;
	}
	for (unsigned int i = 0; i < PAGE; i++)
		own[i] = (uint8_t)(v + i * 7);
	if (v == 0)
		report(kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) == 0, "vCPU 0: ENABLE_MEM_PROTECTED returns 0");
	sync_all("after ENABLE_MEM_PROTECTED");
	report(kh_hypercall1(KH_HC_DIAG_IN_DMAP, gpa_of(own) / PAGE) == 0, "this vCPU's page is out of the direct map");
	report(kh_hypercall2(KH_HC_DIAG_CHECKSUM, gpa_of(own), PAGE) == kh_checksum(own, PAGE),
	       "DIAG_CHECKSUM of this vCPU's protected page matches its own");
	int64_t rc = kh_hypercall(KH_HC_DIAG_READ8, gpa_of(own) + 8, 0, 0, 0, &got);
	report(rc == 0 && memcmp(&got, own + 8, 8) == 0,
	       "DIAG_READ8 round trip: RBX holds the 8 bytes this vCPU wrote (%#" PRIx64 ")", got);
	sync_all("before the cross fills");
	report(kh_hypercall3(KH_HC_DIAG_FILL, gpa_of(next), PAGE, 0x40 + v) == 0, "DIAG_FILL of the next vCPU's page");
	sync_all("after the cross fills");
	for (unsigned int i = 0; i < PAGE; i++)
		filled &= own[i] == from;
	report(filled, "this vCPU sees the bytes keyhole wrote for vCPU %u (%#x)", (v + nr - 1) % nr, from);
}

static int run_checks(unsigned int v)
{
	check_boot_block(v);
	check_stack(v);
	check_identity();
	check_sharing(v);
	check_protected(v);
	sync_all("at the end");
	return report_summary();
}

/* ---- race: MEM_SHARE / MEM_UNSHARE against DIAG_FILL / DIAG_CHECKSUM ------ */

/*
 * Two pages for each vCPU but 0; each fills the 2 KiB straddling its two,
 * so that every DIAG call maps two frames: enough for keyhole to be caught
 * in the middle of one, little enough for 10,000 rounds in Bochs.
 */
#define RACE_PAGES_EACH 2
#define RACE_SLICE 2048u
static uint8_t race_pages[(KH_GUEST_VCPUS_MAX - 1) * RACE_PAGES_EACH][PAGE] __attribute__((aligned(PAGE)));
static uint64_t race_round;   /* calls vCPU 0 has completed */
static uint32_t fillers_done; /* vCPUs that have finished their rounds */

static uint8_t *race_slice(unsigned int v)
{
	return race_pages[(v - 1) * RACE_PAGES_EACH] + PAGE - RACE_SLICE / 2;
}

static int race_sharer(void)
{
	uint64_t gfn = gpa_of(race_pages) / PAGE, npages = (uint64_t)(nr - 1) * RACE_PAGES_EACH;
	unsigned long pairs = 0, during = 0, errors = 0;
	int64_t first = 0;
	bool out = true;

	report(kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) == 0, "race: ENABLE_MEM_PROTECTED returns 0");
	sync_all("before the race");
	for (; pairs < iters || __atomic_load_n(&fillers_done, __ATOMIC_ACQUIRE) < nr - 1; pairs++) {
		bool filling = __atomic_load_n(&fillers_done, __ATOMIC_ACQUIRE) < nr - 1;
		int64_t rc[2];

		rc[0] = kh_hypercall2(KH_HC_MEM_SHARE, gfn, npages);
		__atomic_fetch_add(&race_round, 1, __ATOMIC_RELEASE);
		rc[1] = kh_hypercall2(KH_HC_MEM_UNSHARE, gfn, npages);
		__atomic_fetch_add(&race_round, 1, __ATOMIC_RELEASE);
		for (int i = 0; i < 2; i++)
			if (rc[i] != 0 && errors++ == 0)
				first = rc[i];
		during += filling;
	}
	report(errors == 0, "race: %lu MEM_SHARE + MEM_UNSHARE pairs over gfns %#" PRIx64 "+%" PRIu64
	       " (%lu while others filled): %lu calls failed (first %" PRId64 ")", pairs, gfn, npages, during, errors, first);
	for (uint64_t i = 0; i < npages; i++)
		out &= kh_hypercall1(KH_HC_DIAG_IN_DMAP, gfn + i) == 0;
	report(out, "race: after the last MEM_UNSHARE every page of the range is out of the direct map");
	report(kh_hypercall0(KH_HC_DIAG_AUDIT) == 0, "race: the audit is clean once every vCPU is done");
	return report_summary();
}

/* The checksum of n bytes of value c. */
static uint32_t checksum_of_byte(uint8_t c, size_t n)
{
	uint32_t h = kh_checksum_init();

	for (size_t i = 0; i < n; i++)
		h = kh_checksum_update(h, &c, 1);
	return kh_checksum_final(h);
}

static int race_filler(unsigned int v)
{
	uint8_t *slice = race_slice(v);
	static uint32_t expect[KH_GUEST_VCPUS_MAX][256];
	unsigned long rounds, overlapped = 0, errors = 0, differ = 0, wrong = 0;
	int64_t first = 0;

	for (unsigned int c = 0; c < 256; c++)
		expect[v][c] = checksum_of_byte((uint8_t)c, RACE_SLICE);
	sync_all("before the race");
	for (rounds = 0; rounds < iters; rounds++) {
		uint8_t c = (uint8_t)(rounds * 13 + v * 41 + 1); /* a new byte every round */
		uint64_t before = __atomic_load_n(&race_round, __ATOMIC_ACQUIRE);
		int64_t rc = kh_hypercall3(KH_HC_DIAG_FILL, gpa_of(slice), RACE_SLICE, c);
		int64_t sum = kh_hypercall2(KH_HC_DIAG_CHECKSUM, gpa_of(slice), RACE_SLICE);
		uint32_t mine = kh_checksum(slice, RACE_SLICE);

		if ((rc != 0 || sum < 0) && errors++ == 0)
			first = rc != 0 ? rc : sum;
		differ += sum >= 0 && (uint32_t)sum != mine;
		wrong += mine != expect[v][c];
		overlapped += __atomic_load_n(&race_round, __ATOMIC_ACQUIRE) != before;
	}
	__atomic_fetch_add(&fillers_done, 1, __ATOMIC_RELEASE);
	report(errors == 0 && differ == 0 && wrong == 0,
	       "race: %lu rounds of DIAG_FILL + DIAG_CHECKSUM over [%#" PRIx64 ", +%u): %lu calls failed (first %" PRId64
	       "), %lu checksums not the guest's, %lu fills wrong", rounds, gpa_of(slice), RACE_SLICE, errors, first,
	       differ, wrong);
	report(overlapped > 0, "race: %lu of the rounds overlapped a MEM_SHARE or MEM_UNSHARE", overlapped);
	return report_summary();
}

static int run_race(unsigned int v)
{
	if (nr < 2 || !have_diag || !have_protect) {
		report(false, "race: needs 2 vCPUs or more (has %u), DIAG and MEM_PROTECTED (boot keyhole with diag)", nr);
		return report_summary();
	}
	return v == 0 ? race_sharer() : race_filler(v);
}

/* ---- plant / check: what one guest leaves on its CPUs, the next must not find ---- */

#define PLANT_BYTE 0xa5
/* What the checker reads of its stack: the bottom half, deeper than it ever goes itself. */
#define STACK_CHECKED (VCPU_STACK_MIN / 2)

/* This vCPU's share of [free_gpa, mem_size), page aligned. */
static void memory_share(unsigned int v, uint64_t *lo, uint64_t *hi)
{
	const struct kh_guest_boot *b = kh_boot_info();
	uint64_t each = (b->mem_size - b->free_gpa) / nr / PAGE * PAGE;

	*lo = b->free_gpa + v * each;
	*hi = v == nr - 1 ? b->mem_size : *lo + each;
}

static int run_plant(unsigned int v)
{
	const struct kh_guest_boot *b = kh_boot_info();
	uint64_t lo, hi;

	if (!report(b && b->stack_top, "plant: a boot block with a stack"))
		return report_summary();
	/* Below RSP: nothing of this vCPU's is there, and the loop itself calls nothing. */
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(b->stack_top - VCPU_STACK_MIN);
	volatile uint8_t *end = (volatile uint8_t *)(uintptr_t)(rsp() - 256);

	memory_share(v, &lo, &hi);
	memset((void *)(uintptr_t)lo, PLANT_BYTE, hi - lo);
	while (p < end)
		*p++ = PLANT_BYTE;
	state_plant();
	report(true, "plant: filled [%#" PRIx64 ", %#" PRIx64 ") and the stack below %#" PRIx64 " with %#x",
	       lo, hi, (uint64_t)(uintptr_t)end, PLANT_BYTE);
	return report_summary();
}

static uint64_t dirty_words(uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	for (const uint64_t *p = (const uint64_t *)(uintptr_t)lo; p < (const uint64_t *)(uintptr_t)hi; p++)
		n += *p != 0;
	return n;
}

static int run_check(unsigned int v)
{
	const struct kh_guest_boot *b = kh_boot_info();
	uint64_t lo, hi, bottom, dirty;

	state_check(); /* first: before anything here has used the vector registers */
	if (!report(b && b->stack_top, "check: a boot block with a stack"))
		return report_summary();
	bottom = b->stack_top - VCPU_STACK_MIN;
	memory_share(v, &lo, &hi);
	dirty = dirty_words(lo, hi);
	report(dirty == 0, "check: [%#" PRIx64 ", %#" PRIx64 ") reads as zeros (%" PRIu64 " dirty words)", lo, hi, dirty);
	dirty = dirty_words(bottom, bottom + STACK_CHECKED);
	report(dirty == 0, "check: the bottom of this vCPU's stack [%#" PRIx64 ", %#" PRIx64 ") reads as zeros (%" PRIu64
	       " dirty words)", bottom, bottom + STACK_CHECKED, dirty);
	return report_summary();
}

static int run(unsigned int v)
{
	switch (mode) {
	case MODE_RACE:
		return run_race(v);
	case MODE_PLANT:
		return run_plant(v);
	case MODE_CHECK:
		return run_check(v);
	case MODE_CHECKS:
		break;
	}
	return run_checks(v);
}

int kh_vcpu_main(unsigned int index)
{
	return run(index);
}

int main(void)
{
	/* Not in check mode: its register check must come first. */
	if (mode != MODE_CHECK)
		report_info("smp guest: mode %s, %u vCPUs, %lu rounds", mode_names[mode], nr, iters);
	return run(0);
}
