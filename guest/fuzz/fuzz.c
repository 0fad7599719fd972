/*
 * The hypercall fuzzer, from inside: at least 100,000 hypercalls with random
 * numbers and arguments from a printed seed (seed=N, calls=N on the command
 * line).  Every call must come back (keyhole answers, the guest resumes);
 * after every batch keyhole's audit must be clean; and guest memory must not
 * change except where a call legitimately wrote it.
 *
 * The guest's oracle for "legitimately": calls that write guest memory
 * (DIAG_FILL, DIAG_COPY) are steered into a sandbox at the top of memory when
 * they would be valid; a canary buffer and keyhole's page tables for the
 * guest are checksummed after every batch, by the guest and by keyhole.
 *
 * With cpl=3 on the command line every batch runs at CPL 3 instead, with
 * every number EXIT and TEST_PLANT_LEAK included: each call must come back
 * -EPERM with RBX untouched (invariant 7), and the same checks must hold.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyhole/hypercall.h>
#include <keyhole/kh_checksum.h>
#include <keyhole/kvm_para.h>
#include "kh.h"
#include "report.h"
#include "rt.h"
#include "user.h"

#define PAGE ((uint64_t)4096)
#define BATCH 1000
#define CANARY_BYTES (64 * 1024)
#define SANDBOX_BYTES (2ull << 20)
#define GUEST_TABLES_GPA 0x1000ull /* boot block and page tables (include/keyhole/guest_boot.h) */
#define GUEST_TABLES_BYTES 0x6000ull

static uint8_t canary[CANARY_BYTES] __attribute__((aligned(4096)));
static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t mem_size, sandbox;

/* An argument: random bits, or near something that matters (the end of memory, zero, the sandbox). */
static uint64_t random_arg(bool is_gfn)
{
	uint64_t unit = is_gfn ? 1 : PAGE, end = mem_size / PAGE * unit;

	switch (next() % 8) {
	case 0: return next();
	case 1: return next() % 4;
	case 2: return end - 2 * unit + next() % (4 * unit);
	case 3: return ~0ull - next() % 4;
	case 4: return (sandbox / PAGE) * unit + next() % (SANDBOX_BYTES / PAGE * unit);
	default: return next() % end;
	}
}

static uint64_t random_len(void)
{
	switch (next() % 6) {
	case 0: return next();
	case 1: return 0;
	case 2: return next() % 64 ? KH_DIAG_MAX_LEN + 1 : KH_DIAG_MAX_LEN; /* the largest valid length, rarely */
	default: return 1 + next() % 2048;
	}
}

static uint64_t random_nr(bool any)
{
	static const uint64_t known[] = {
		KH_HC_NOP, KH_HC_ENABLE_MEM_PROTECTED, KH_HC_MEM_SHARE, KH_HC_MEM_UNSHARE,
		KH_HC_DIAG_READ8, KH_HC_DIAG_FILL, KH_HC_DIAG_CHECKSUM, KH_HC_DIAG_COPY,
		KH_HC_DIAG_IN_DMAP, KH_HC_DIAG_DIRTY, KH_HC_DIAG_AUDIT, KH_HC_DIAG_READ,
	};
	uint64_t nr;

	if (next() % 10 < 8)
		return known[next() % (sizeof(known) / sizeof(known[0]))];
	/* keyhole's range (its calls and the diagnostic range), KVM's small numbers (ABI version 1's), anything. */
	do
		switch (next() % 4) {
		case 0: nr = next(); break;
		case 1: nr = next() % 0x200; break;
		default: nr = KH_HC_BASE + next() % 0x200; break;
		}
	while (!any && (nr == KH_HC_EXIT || nr == KH_HC_TEST_PLANT_LEAK));
	return nr;
}

/* Would keyhole accept [gpa, gpa + len) for a DIAG call?  Then it must lie in the sandbox. */
static bool diag_valid(uint64_t gpa, uint64_t len)
{
	return len && len <= KH_DIAG_MAX_LEN && gpa + len > gpa && gpa + len <= mem_size;
}

static void steer_into_sandbox(uint64_t *gpa, uint64_t len)
{
	if (diag_valid(*gpa, len) && (*gpa < sandbox || *gpa + len > mem_size)) {
		if (len > SANDBOX_BYTES)
			len = SANDBOX_BYTES;
		*gpa = sandbox + *gpa % (SANDBOX_BYTES - len + 1);
	}
}

/* Where the time goes (Bochs: RDTSC counts instructions), per kind of call. */
static const char *const class_name[] = { "NOP", "ENABLE", "SHARE/UNSHARE", "DIAG", "unknown", "KVM" };
static uint64_t cost[6], count[6];

static unsigned int cost_class(uint64_t nr)
{
	if (nr == KH_HC_NOP)
		return 0;
	if (nr == KH_HC_ENABLE_MEM_PROTECTED)
		return 1;
	if (nr == KH_HC_MEM_SHARE || nr == KH_HC_MEM_UNSHARE)
		return 2;
	if (nr >= KH_HC_DIAG_READ8 && nr <= KH_HC_DIAG_READ)
		return 3;
	return KH_HC_IS_KEYHOLE(nr) ? 4 : 5;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint32_t tables_sum(void)
{
	return kh_checksum((const void *)(uintptr_t)GUEST_TABLES_GPA, GUEST_TABLES_BYTES);
}

/* What a run counts; at CPL 3 it is filled by ring-3 code and read back at CPL 0. */
struct fuzz_run {
	uint64_t answered, refused, served_from_user, rbx_changed;
	uint64_t kvm, kvm_wrong; /* at CPL 0: KVM's numbers, and those not answered -KVM_ENOSYS with RBX as it was */
	bool user;
};

static void one_call(struct fuzz_run *f)
{
	uint64_t nr = random_nr(f->user), a0, a1, a2, rbx;
	bool gfn_args = nr == KH_HC_MEM_SHARE || nr == KH_HC_MEM_UNSHARE || nr == KH_HC_DIAG_IN_DMAP ||
			nr == KH_HC_DIAG_DIRTY;

	a0 = random_arg(gfn_args);
	a1 = gfn_args ? (next() % 4 ? next() % 16 : next()) : (nr == KH_HC_DIAG_COPY ? random_arg(false) : random_len());
	a2 = nr == KH_HC_DIAG_COPY ? random_len() : next() % 4 ? next() % 256 : next();
	if (nr == KH_HC_DIAG_FILL)
		steer_into_sandbox(&a0, a1);
	if (nr == KH_HC_DIAG_COPY)
		steer_into_sandbox(&a0, a2);
	uint64_t a3 = next(), t0 = rdtsc();
	int64_t r = kh_hypercall(nr, a0, a1, a2, a3, &rbx);
	uint64_t dt = rdtsc() - t0;
	unsigned int k = cost_class(nr);
	cost[k] += dt;
	count[k]++;
	f->answered++;
	f->refused += r < 0;
	if (f->user) {
		f->served_from_user += r != KH_ERR_NOT_KERNEL;
		f->rbx_changed += rbx != a0;
	} else if (!KH_HC_IS_KEYHOLE(nr)) {
		f->kvm++;
		f->kvm_wrong += r != -KVM_ENOSYS || rbx != a0;
	}
}

static uint8_t user_stack[16384] __attribute__((aligned(16)));

static void user_batch(void *arg)
{
	for (int i = 0; i < BATCH; i++)
		one_call(arg);
}

int main(void)
{
	const struct kh_guest_boot *b = kh_boot_info();
	const char *line = b->cmdline_len ? (const char *)(uintptr_t)b->cmdline_gpa : "";
	const char *s = strstr(line, "seed="), *c = strstr(line, "calls=");
	uint64_t seed = s ? strtoull(s + 5, NULL, 0) : 0x6b65796865ull;
	uint64_t calls = c ? strtoull(c + 6, NULL, 0) : 100000;
	uint64_t audits = 0, dirty_audits = 0;
	static struct fuzz_run f;

	f.user = strstr(line, "cpl=3") != NULL;
	mem_size = b->mem_size;
	sandbox = mem_size - SANDBOX_BYTES;
	rng = seed ? seed : 1;
	for (unsigned int i = 0; i < CANARY_BYTES; i++)
		canary[i] = (uint8_t)(i * 131 + 7);
	const uint32_t canary_sum = kh_checksum(canary, CANARY_BYTES);
	if (f.user)
		kh_user_prepare(); /* the user bit in the page tables: before their checksum is taken */
	const uint32_t tables = tables_sum();
	bool canary_ok = true, hv_agrees = true;

	printf("fuzz: %" PRIu64 " hypercalls from seed 0x%" PRIx64 " at CPL %u\n", calls, seed, f.user ? 3 : 0);
	calls = (calls + BATCH - 1) / BATCH * BATCH;
	for (uint64_t n = 0; n < calls; n += BATCH) {
		if (f.user)
			kh_run_user(user_batch, &f, user_stack + sizeof(user_stack));
		else
			for (int i = 0; i < BATCH; i++)
				one_call(&f);
		audits++;
		dirty_audits += kh_hypercall0(KH_HC_DIAG_AUDIT) != 0;
		canary_ok &= kh_checksum(canary, CANARY_BYTES) == canary_sum && tables_sum() == tables;
		hv_agrees &= kh_hypercall2(KH_HC_DIAG_CHECKSUM, (uintptr_t)canary, CANARY_BYTES) == (int64_t)canary_sum;
		if ((n + BATCH) % 20000 == 0)
			printf("fuzz: %" PRIu64 " calls, %" PRIu64 " refused\n", n + BATCH, f.refused);
	}
	uint64_t answered = f.answered;
	report(answered == calls, "every one of %" PRIu64 " hypercalls was answered", calls);
	report(dirty_audits == 0, "keyhole's audit was clean after each of %" PRIu64 " batches", audits);
	report(canary_ok, "the canary and keyhole's page tables for this guest never changed");
	report(hv_agrees, "keyhole's checksum of the canary agreed with the guest's after every batch");
	if (f.user) {
		report(kh_cpl() == 0, "the batches ran at CPL 3 and the guest is back at CPL 0");
		report(f.served_from_user == 0, "every hypercall from CPL 3 was refused with -EPERM (%" PRIu64 " were not)",
		       f.served_from_user);
		report(f.rbx_changed == 0, "no call from CPL 3 returned a second result in RBX (%" PRIu64 " did)",
		       f.rbx_changed);
	} else {
		report(f.kvm > 0 && f.kvm_wrong == 0,
		       "every one of %" PRIu64 " KVM numbers got -KVM_ENOSYS with RBX as it was (%" PRIu64 " did not)",
		       f.kvm, f.kvm_wrong);
	}
	for (unsigned int k = 0; k < 6; k++)
		if (count[k])
			printf("fuzz: %-13s %6" PRIu64 " calls, mean %" PRIu64 " TSC ticks\n", class_name[k], count[k],
			       cost[k] / count[k]);
	printf("fuzz: done: %" PRIu64 " hypercalls, %" PRIu64 " refused, seed 0x%" PRIx64 "\n", answered, f.refused, seed);
	return report_summary();
}
