/*
 * KVM's paravirtual clock and steal time as keyhole offers them
 * (include/keyhole/kvm_para.h, issue #14), checked from the inside:
 *
 *   leaves      CPUID 0x40000100 says KVM, 0x40000101 has exactly
 *               KEYHOLE_KVM_FEATURES; 0x40000000 is still keyhole's
 *   system time MSR_KVM_SYSTEM_TIME_NEW: the pvclock record is filled at
 *               the WRMSR, and the time computed from it runs forward at a
 *               plausible rate; misplaced records are not written; disabled,
 *               it is left alone
 *   wall clock  MSR_KVM_WALL_CLOCK_NEW: a plausible date, written at once;
 *               misplaced records are not written
 *   steal time  MSR_KVM_STEAL_TIME: reserved bits #GP; the record grows at
 *               VM exits, in a protected page (keyhole writes it through its
 *               fixmap) and in a shared one, and follows a move; disabled or
 *               outside memory, nothing is written
 *   old MSRs    0x11 and 0x12 (KVM_FEATURE_CLOCKSOURCE) are not offered: #GP
 *
 * Every MSR access goes through the runtime's safe accessors (fault.h), so a
 * keyhole that does not offer an MSR yet makes the checks fail one by one
 * instead of ending the guest at the first #GP.  Each check reports one line
 * whatever happened before it: the count is the same whether keyhole has
 * the interface or not.
 *
 * The records live in page-aligned arrays in .bss: the image is
 * identity-mapped, so an address is its own gpa.  A VM exit is a CPUID.
 * The lines are short: every byte the guest prints is a VM exit, and under
 * Bochs with audit=entry an exit costs milliseconds.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keyhole/hypercall.h>
#include <keyhole/kvm_para.h>

#include "fault.h"
#include "kh.h"
#include "report.h"
#include "test_kvm.h"

#define KVM_PAGE_SIZE 4096u
/* Where a refused record would go: bytes no record keyhole writes could leave (0xa5a5a5a5 is odd, a version keyhole never leaves). */
#define PATTERN 0xa5
/* A gpa no guest has: 1 TiB. */
#define GPA_FAR_BEYOND (1ull << 40)
/* VM exits between two looks at a record. */
#define EXITS 4
/* The wall clock's plausible range: 2020-09-13 (1.6e9 s) to 2100-01-01. */
#define WALL_SEC_MIN 1600000000u
#define WALL_SEC_MAX 4102444800u
#define NS_PER_SEC 1000000000u

enum kvm_page {
	KP_CLOCK,      /* the system-time record and the refused ones ... */
	KP_CLOCK_NEXT, /* ... one of which crosses into this page */
	KP_WALL,       /* the wall-clock records; a scratch gpa for the old MSRs */
	KP_STEAL_PROT, /* steal time in a protected page ... */
	KP_STEAL_SHARED, /* ... and in one shared with MEM_SHARE */
	KVM_PAGES
};

static uint8_t kvm_pages[KVM_PAGES][KVM_PAGE_SIZE] __attribute__((aligned(KVM_PAGE_SIZE)));

static uint64_t gpa_of(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void vm_exits(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		(void)cpuid(0);
}

static const char *exc_name(int vec)
{
	return vec == KH_NO_EXCEPTION ? "ok" : vec == KH_VEC_GP ? "#GP" : "fault";
}

static bool pattern_intact(const volatile uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != PATTERN)
			return false;
	return true;
}

/* WRMSR, then RDMSR: true if neither faulted and the read gave back exactly what was written. */
static bool msr_takes(uint32_t msr, uint64_t val, int *wr, uint64_t *back)
{
	*wr = kh_wrmsr_safe(msr, val);
	int rd = kh_rdmsr_safe(msr, back);

	return *wr == KH_NO_EXCEPTION && rd == KH_NO_EXCEPTION && *back == val;
}

/* --- leaves ----------------------------------------------------------------- */

static void test_leaves(void)
{
	struct cpuid_regs kh = cpuid(KH_CPUID_SIGNATURE), sig = cpuid(KVM_CPUID_SIGNATURE),
			  feat = cpuid(KVM_CPUID_FEATURES);

	report(kh.ebx == KH_SIGNATURE_EBX && kh.ecx == KH_SIGNATURE_ECX && kh.edx == KH_SIGNATURE_EDX,
	       "kvm: cpuid 0x40000000 is still keyhole's signature");
	report(sig.eax == KVM_CPUID_FEATURES && sig.ebx == KVM_SIGNATURE_EBX && sig.ecx == KVM_SIGNATURE_ECX &&
		       sig.edx == KVM_SIGNATURE_EDX,
	       "kvm: cpuid 0x40000100: 0x40000101 KVMKVMKVM (%" PRIx32 " %" PRIx32 " %" PRIx32 " %" PRIx32 ")",
	       sig.eax, sig.ebx, sig.ecx, sig.edx);
	report(feat.eax == KEYHOLE_KVM_FEATURES && feat.edx == 0,
	       "kvm: cpuid 0x40000101: eax %#" PRIx32 " (want %#x), edx %#" PRIx32, feat.eax, KEYHOLE_KVM_FEATURES,
	       feat.edx);
}

/* --- system time -------------------------------------------------------------- */

struct pvclock_snap {
	uint32_t version, mul;
	uint64_t tsc_timestamp, system_time;
	int8_t shift;
	uint8_t flags;
};

/* A consistent copy, as Linux's pvclock reader takes it: false if the version stayed odd or kept changing. */
static bool pvclock_read(const volatile struct pvclock_vcpu_time_info *r, struct pvclock_snap *s)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t v = r->version;

		__asm__ volatile("" : : : "memory"); /* keyhole writes only during this vCPU's exits: x86 keeps the order */
		s->tsc_timestamp = r->tsc_timestamp;
		s->system_time = r->system_time;
		s->mul = r->tsc_to_system_mul;
		s->shift = r->tsc_shift;
		s->flags = r->flags;
		__asm__ volatile("" : : : "memory");
		if (!(v & 1) && r->version == v) {
			s->version = v;
			return true;
		}
	}
	s->version = r->version;
	return false;
}

/* pvclock_scale_delta(): the shift, then the 64x32-bit product's bits 95:32. */
static uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* ns at guest TSC t, by the record; s must have passed pvclock_shift_ok(). */
static uint64_t pvclock_ns(const struct pvclock_snap *s, uint64_t t)
{
	if (t >= s->tsc_timestamp)
		return s->system_time + pvclock_scale(t - s->tsc_timestamp, s->mul, s->shift);
	return s->system_time - pvclock_scale(s->tsc_timestamp - t, s->mul, s->shift);
}

/* A shift outside +-31 is no TSC rate (and would shift a 64-bit delta by its width or more). */
static bool pvclock_shift_ok(const struct pvclock_snap *s)
{
	return s->shift > -32 && s->shift < 32;
}

static bool invariant_tsc(void)
{
	return cpuid(0x80000000u).eax >= 0x80000007u && (cpuid(0x80000007u).edx & (1u << 8));
}

/* A record keyhole must refuse: at (NULL outside memory) is where it would go. */
static void refused_clock(uint32_t msr, uint64_t val, volatile uint8_t *at, size_t len, const char *what)
{
	uint64_t back = 0;
	int wr;

	if (at)
		memset((uint8_t *)at - 16, PATTERN, len + 32);
	bool took = msr_takes(msr, val, &wr, &back);

	vm_exits(EXITS);
	report(took && (!at || pattern_intact(at - 16, len + 32)),
	       "kvm: %s %s: %s, reads %#" PRIx64 ", %s", msr == MSR_KVM_SYSTEM_TIME_NEW ? "SYSTEM_TIME" : "WALL_CLOCK",
	       what, exc_name(wr), back, !at || pattern_intact(at - 16, len + 32) ? "not written" : "WRITTEN");
}

static void test_system_time(void)
{
	uint8_t *pg = kvm_pages[KP_CLOCK];
	volatile struct pvclock_vcpu_time_info *rec = (void *)(pg + 64);
	uint64_t want = gpa_of(rec) | KVM_MSR_ENABLED, back = 0;
	struct pvclock_snap s, s2;
	int wr;

	memset(pg, PATTERN, 2 * KVM_PAGE_SIZE);
	uint64_t before = kh_rdtsc();
	int wr0 = kh_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, want);
	uint64_t after = kh_rdtsc();
	int rd = kh_rdmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, &back);

	report(wr0 == KH_NO_EXCEPTION && rd == KH_NO_EXCEPTION && back == want,
	       "kvm: SYSTEM_TIME = gpa | 1: %s, reads %#" PRIx64 " (%s)", exc_name(wr0), back, exc_name(rd));

	bool consistent = pvclock_read(rec, &s);
	bool written = consistent && s.version != 0;

	report(written, "kvm: pvclock written at once: version %" PRIu32 " even, non-zero", s.version);
	report(written && s.mul != 0 && pvclock_shift_ok(&s) && s.tsc_timestamp >= before && s.tsc_timestamp <= after,
	       "kvm: pvclock mul %#" PRIx32 " shift %d, tsc_timestamp within the WRMSR (%" PRId64 ", %" PRId64 ")",
	       s.mul, s.shift, (int64_t)(s.tsc_timestamp - before), (int64_t)(after - s.tsc_timestamp));
	bool inv = invariant_tsc();

	report(written && !!(s.flags & PVCLOCK_TSC_STABLE_BIT) == inv,
	       "kvm: pvclock flags %#x: TSC_STABLE iff the TSC is invariant (%s)", s.flags, inv ? "it is" : "it is not");
	/* ns since the VM's clock started: this guest has run for seconds, never hours. */
	report(written && s.system_time < 10000ull * NS_PER_SEC,
	       "kvm: pvclock system_time %" PRIu64 " ns < 10^13", s.system_time);

	/*
	 * The time computed from the record runs forward, across a busy loop and
	 * VM exits (at which keyhole may rewrite the record).
	 */
	bool ok = written && s.mul != 0 && pvclock_shift_ok(&s);
	uint64_t t0 = kh_rdtsc(), ns0 = ok ? pvclock_ns(&s, t0) : 0;

	for (volatile unsigned int i = 0; i < 100000; i++)
		;
	vm_exits(EXITS);
	bool consistent2 = pvclock_read(rec, &s2);
	uint64_t t1 = kh_rdtsc();

	ok = ok && consistent2 && s2.mul != 0 && pvclock_shift_ok(&s2);
	uint64_t ns1 = ok ? pvclock_ns(&s2, t1) : 0;

	report(ok && ns0 >= s.system_time && ns1 > ns0,
	       "kvm: pvclock time runs forward: %" PRIu64 " -> %" PRIu64 " ns", ns0, ns1);
	/*
	 * The rate, with bounds wide enough for any TSC: 10^7 ticks are 10^5 to
	 * 10^9 ns, a TSC of 10 MHz to 100 GHz.  Real TSCs run at 1-5 GHz; Bochs's
	 * counts emulated instructions, hundreds of MHz at its ips setting.
	 */
	uint64_t ns_1e7 = ok ? pvclock_scale(10000000u, s.mul, s.shift) : 0;

	report(ok && ns_1e7 >= 100000u && ns_1e7 <= 1000000000u,
	       "kvm: pvclock: 10^7 TSC ticks = %" PRIu64 " ns (10^5..10^9)", ns_1e7);

	/* Disabled: keyhole leaves the record alone. */
	bool off = msr_takes(MSR_KVM_SYSTEM_TIME_NEW, 0, &wr, &back);
	uint32_t v0 = rec->version;

	vm_exits(2 * EXITS);
	report(written && off && rec->version == v0,
	       "kvm: SYSTEM_TIME = 0: %s, reads %#" PRIx64 ", version stays %" PRIu32, exc_name(wr), back,
	       rec->version);

	/* Records keyhole cannot place: the MSR takes the value, nothing is written. */
	refused_clock(MSR_KVM_SYSTEM_TIME_NEW, (gpa_of(pg + 256) + 2) | KVM_MSR_ENABLED, pg + 256 + 2,
		      sizeof(struct pvclock_vcpu_time_info), "unaligned");
	refused_clock(MSR_KVM_SYSTEM_TIME_NEW, gpa_of(pg + KVM_PAGE_SIZE - 16) | KVM_MSR_ENABLED,
		      pg + KVM_PAGE_SIZE - 16, sizeof(struct pvclock_vcpu_time_info), "across pages");
	refused_clock(MSR_KVM_SYSTEM_TIME_NEW, GPA_FAR_BEYOND | KVM_MSR_ENABLED, NULL, 0, "outside memory");
	(void)kh_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, 0);
}

/* --- wall clock ----------------------------------------------------------------- */

static void test_wall_clock(void)
{
	uint8_t *pg = kvm_pages[KP_WALL];
	volatile struct pvclock_wall_clock *wc = (void *)(pg + 64);
	uint64_t back = 0;
	int wr;

	memset(pg, PATTERN, KVM_PAGE_SIZE);
	bool took = msr_takes(MSR_KVM_WALL_CLOCK_NEW, gpa_of(wc), &wr, &back);

	report(took, "kvm: WALL_CLOCK = gpa: %s, reads %#" PRIx64, exc_name(wr), back);
	uint32_t version = wc->version, sec = wc->sec, nsec = wc->nsec;

	report(version != 0 && !(version & 1) && wc->version == version && sec >= WALL_SEC_MIN && sec < WALL_SEC_MAX &&
		       nsec < NS_PER_SEC,
	       "kvm: wall clock: version %" PRIu32 ", sec %" PRIu32 " (2020..2100), nsec %" PRIu32, version, sec, nsec);

	refused_clock(MSR_KVM_WALL_CLOCK_NEW, gpa_of(pg + 256) + 2, pg + 256 + 2, sizeof(struct pvclock_wall_clock),
		      "unaligned");
	refused_clock(MSR_KVM_WALL_CLOCK_NEW, GPA_FAR_BEYOND, NULL, 0, "outside memory");
}

/* --- steal time ----------------------------------------------------------------- */

struct steal_snap {
	uint64_t steal;
	uint32_t version;
};

static struct steal_snap steal_read(const volatile struct kvm_steal_time *st)
{
	struct steal_snap s;

	for (int tries = 0; tries < 100; tries++) {
		s.version = st->version;
		__asm__ volatile("" : : : "memory");
		s.steal = st->steal;
		__asm__ volatile("" : : : "memory");
		if (!(s.version & 1) && st->version == s.version)
			break;
	}
	return s;
}

static bool steal_live(struct steal_snap s)
{
	return s.version != 0 && !(s.version & 1) && s.steal > 0;
}

/*
 * Steal time keyhole keeps up: after some exits, a version even and > 0 and
 * some steal; after more, both grown.  Returns the last look.
 */
static struct steal_snap steal_grows(const volatile struct kvm_steal_time *st, const char *where)
{
	vm_exits(EXITS);
	struct steal_snap a = steal_read(st);

	report(steal_live(a), "kvm: steal time, %s: version %" PRIu32 ", steal %" PRIu64 " ns", where, a.version,
	       a.steal);
	vm_exits(EXITS);
	struct steal_snap b = steal_read(st);

	report(steal_live(a) && !(b.version & 1) && b.version > a.version && b.steal > a.steal,
	       "kvm: steal time, %s: grows to version %" PRIu32 ", %" PRIu64 " ns", where, b.version, b.steal);
	return b;
}

static void test_steal_time(uint32_t features)
{
	volatile struct kvm_steal_time *prot = (void *)kvm_pages[KP_STEAL_PROT],
				       *shared = (void *)kvm_pages[KP_STEAL_SHARED];
	bool diag = features & KH_FEAT_DIAG;
	uint64_t want = gpa_of(prot) | KVM_MSR_ENABLED, back = 0;
	int wr;

	/* Protected: the whole guest (again, if test_protection() did it; from the start under protect=all). */
	int64_t pr = features & KH_FEAT_MEM_PROTECTED ? kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) : -KH_ENOSYS;
	int64_t in_dmap = diag ? kh_hypercall1(KH_HC_DIAG_IN_DMAP, gpa_of(prot) >> 12) : -KH_ENOSYS;

	memset((void *)prot, 0, KVM_PAGE_SIZE);
	bool took = msr_takes(MSR_KVM_STEAL_TIME, want, &wr, &back);

	report(pr == 0 && (!diag || in_dmap == 0) && took,
	       "kvm: STEAL_TIME in a protected page (%" PRId64 ", dmap %" PRId64 "): %s, reads %#" PRIx64, pr, in_dmap,
	       exc_name(wr), back);
	struct steal_snap old = steal_grows(prot, "protected");

	/* Reserved bits 1-5: #GP, and the MSR keeps its value. */
	unsigned int gps = 0;

	for (unsigned int bit = 1; bit <= KVM_STEAL_ALIGNMENT_BITS; bit++)
		gps += kh_wrmsr_safe(MSR_KVM_STEAL_TIME, want | (1ull << bit)) == KH_VEC_GP;
	report(gps == KVM_STEAL_ALIGNMENT_BITS, "kvm: STEAL_TIME reserved bits 1-5: %u of %u #GP", gps,
	       KVM_STEAL_ALIGNMENT_BITS);
	int rd = kh_rdmsr_safe(MSR_KVM_STEAL_TIME, &back);

	report(rd == KH_NO_EXCEPTION && back == want,
	       "kvm: STEAL_TIME after the #GPs: reads %#" PRIx64 " (%s)", back, exc_name(rd));

	/* Moved into a page shared with MEM_SHARE: the new record lives, the old one is left alone. */
	int64_t sh = kh_hypercall2(KH_HC_MEM_SHARE, gpa_of(shared) >> 12, 1);

	in_dmap = diag ? kh_hypercall1(KH_HC_DIAG_IN_DMAP, gpa_of(shared) >> 12) : -KH_ENOSYS;
	memset((void *)shared, 0, KVM_PAGE_SIZE);
	want = gpa_of(shared) | KVM_MSR_ENABLED;
	took = msr_takes(MSR_KVM_STEAL_TIME, want, &wr, &back);
	struct steal_snap left = steal_read(prot); /* after the move's own exit */

	report(sh == 0 && (!diag || in_dmap == 1) && took,
	       "kvm: STEAL_TIME moved to a shared page (%" PRId64 ", dmap %" PRId64 "): %s, reads %#" PRIx64, sh,
	       in_dmap, exc_name(wr), back);
	struct steal_snap last = steal_grows(shared, "shared");
	struct steal_snap now = steal_read(prot);

	report(steal_live(old) && now.version == left.version && now.steal == left.steal,
	       "kvm: steal time: the old record stays after the move (version %" PRIu32 ")", now.version);

	/* Disabled: nothing changes any more. */
	took = msr_takes(MSR_KVM_STEAL_TIME, 0, &wr, &back);
	struct steal_snap off = steal_read(shared);

	vm_exits(2 * EXITS);
	now = steal_read(shared);
	report(steal_live(last) && took && now.version == off.version && now.steal == off.steal,
	       "kvm: STEAL_TIME = 0: %s, reads %#" PRIx64 ", record stays (version %" PRIu32 ")", exc_name(wr), back,
	       now.version);

	/* Outside guest memory: accepted, nothing written (nowhere to write), the guest goes on. */
	took = msr_takes(MSR_KVM_STEAL_TIME, GPA_FAR_BEYOND | KVM_MSR_ENABLED, &wr, &back);
	vm_exits(EXITS);
	report(took && kh_hypercall0(KH_HC_NOP) == 0,
	       "kvm: STEAL_TIME outside memory: %s, reads %#" PRIx64 ", guest goes on", exc_name(wr), back);
	(void)kh_wrmsr_safe(MSR_KVM_STEAL_TIME, 0);
	(void)kh_hypercall2(KH_HC_MEM_UNSHARE, gpa_of(shared) >> 12, 1);
}

/* --- the old MSRs ------------------------------------------------------------- */

static void test_old_msrs(void)
{
	static const uint32_t old[] = { MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME };
	/* A harmless place, should keyhole take the write after all. */
	uint64_t scratch = gpa_of(kvm_pages[KP_WALL] + 1024), v;

	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		int rd = kh_rdmsr_safe(old[i], &v), wr = kh_wrmsr_safe(old[i], scratch | KVM_MSR_ENABLED);

		report(rd == KH_VEC_GP && wr == KH_VEC_GP, "kvm: old MSR %#" PRIx32 ": RDMSR %s, WRMSR %s", old[i],
		       exc_name(rd), exc_name(wr));
	}
}

void test_kvm(bool keyhole, uint32_t features)
{
	if (!keyhole) {
		report_skip("kvm: keyhole's CPUID signature is missing");
		return;
	}
	test_leaves();
	test_system_time();
	test_wall_clock();
	test_steal_time(features);
	test_old_msrs();
}
