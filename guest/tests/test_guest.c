/*
 * The built-in test guest: what keyhole promises a guest, checked from the
 * inside.
 *
 *   identity   CPUID 0x40000000/0x40000001 name keyhole, its ABI version and
 *              where its hypercalls start; the hypervisor bit is set and VMX
 *              is hidden
 *   KVM's      a number outside keyhole's range is KVM's and gets
 *              -KVM_ENOSYS, ABI version 1's EXIT (1) included: the guest
 *              goes on
 *   caching    the guest starts with caches on (CR0.CD = CR0.NW = 0)
 *   CR2        its own from the start (zero), and kept across exits
 *   runtime    the boot-info block, newlib's stdio and malloc on top of the
 *              serial port and the static heap
 *   protection ENABLE_MEM_PROTECTED takes the guest's frames out of keyhole's
 *              direct map, yet keyhole still reads and writes them (through
 *              its fixmap) exactly: DIAG_* results are compared with what the
 *              guest sees itself; MEM_SHARE/MEM_UNSHARE move a frame back and
 *              forth
 *   bad input  every malformed call gets -EINVAL or -ENOSYS and changes
 *              nothing; the guest goes on
 *   kvm        KVM's paravirtual clock and steal time (test_kvm.c), last
 *
 * The buffers keyhole operates on are page-aligned arrays in .bss: the image
 * is identity-mapped, so an address is its own gpa and address >> 12 its gfn.
 * main() returns the number of failed checks, which becomes the guest's exit
 * status.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyhole/guest_boot.h>
#include <keyhole/hypercall.h>
#include <keyhole/kh_checksum.h>
#include <keyhole/kvm_para.h>
#include <x86/cr.h>

#include "kh.h"
#include "report.h"
#include "rt.h"
#include "test_kvm.h"

#define GUEST_PAGE_SHIFT 12
#define GUEST_PAGE_SIZE (1u << GUEST_PAGE_SHIFT)

/* A gfn no guest has: 2^40 pages is 4 PiB. */
#define GFN_FAR_BEYOND (1ull << 40)
/* An unused number in keyhole's range, far from the assigned calls. */
#define KH_HC_UNASSIGNED ((uint64_t)KH_HC_LAST)
/* Bytes a DIAG_FILL test writes: not 0x00 (fresh .bss) nor 0xff. */
#define FILL_BYTE 0x5a

enum test_page {
	PAGE_PATTERN,   /* checksummed, shared and unshared */
	PAGE_FILL,      /* written by DIAG_FILL */
	PAGE_COPY_SRC,  /* DIAG_COPY source ... */
	PAGE_COPY_DST,  /* ... and destination */
	PAGE_SPAN_LO,   /* a checksum across a page boundary: */
	PAGE_SPAN_HI,   /*   these two are adjacent */
	TEST_PAGES
};

static uint8_t test_pages[TEST_PAGES][GUEST_PAGE_SIZE] __attribute__((aligned(GUEST_PAGE_SIZE)));

static uint64_t gpa_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t gfn_of(const void *p)
{
	return gpa_of(p) >> GUEST_PAGE_SHIFT;
}

static uint8_t *page(enum test_page p)
{
	return test_pages[p];
}

/* A pattern that differs per byte and per page, so a misplaced read shows. */
static void fill_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static int64_t diag_checksum(const void *buf, size_t len)
{
	return kh_hypercall2(KH_HC_DIAG_CHECKSUM, gpa_of(buf), len);
}

static int64_t diag_in_dmap(const void *buf)
{
	return kh_hypercall1(KH_HC_DIAG_IN_DMAP, gfn_of(buf));
}

/* --- identity ------------------------------------------------------------- */

/* Returns whether keyhole is there at all: without it VMCALL would #UD. */
static bool test_cpuid_identity(uint32_t *features)
{
	struct cpuid_regs sig = cpuid(KH_CPUID_SIGNATURE);
	bool found = sig.ebx == KH_SIGNATURE_EBX && sig.ecx == KH_SIGNATURE_ECX &&
		     sig.edx == KH_SIGNATURE_EDX;

	report(found, "cpuid 0x40000000 signature is KeyholeHV (%08" PRIx32 " %08" PRIx32
	       " %08" PRIx32 ")", sig.ebx, sig.ecx, sig.edx);
	report(sig.eax >= KH_CPUID_FEATURES, "cpuid 0x40000000 max leaf 0x%" PRIx32
	       " reaches the features leaf", sig.eax);

	/* Another hypervisor's 0x40000001 means something else entirely. */
	struct cpuid_regs feat = cpuid(KH_CPUID_FEATURES);

	*features = found ? feat.eax : 0;
	if (found) {
		report(feat.eax & KH_FEAT_MEM_PROTECTED, "cpuid 0x40000001 advertises MEM_PROTECTED");
		/* DIAG is there exactly when keyhole booted with `diag`: the bit and the calls must agree. */
		bool diag = feat.eax & KH_FEAT_DIAG;
		report(diag == (kh_hypercall0(KH_HC_DIAG_AUDIT) != -KH_ENOSYS),
		       "cpuid 0x40000001 DIAG bit (%s) matches whether the DIAG calls exist", diag ? "set" : "clear");
		report(feat.ebx == KH_ABI_VERSION, "cpuid 0x40000001 ABI version %" PRIu32, feat.ebx);
		report(feat.ecx == KH_HC_BASE, "cpuid 0x40000001 ecx: keyhole's hypercalls start at 0x%" PRIx32,
		       feat.ecx);
	} else {
		report_skip("cpuid 0x40000001: not keyhole's leaf without its signature");
	}

	struct cpuid_regs std = cpuid(1);

	report(std.ecx & CPUID_1_ECX_HYPERVISOR, "cpuid 1 ecx.hypervisor (bit 31) set");
	report(!(std.ecx & CPUID_1_ECX_VMX), "cpuid 1 ecx.vmx (bit 5) hidden");
	return found;
}

/*
 * CPUID through keyhole's allow-list (hv/vm/cpuid_policy.c): nothing keyhole
 * cannot support reaches the guest, and leaf 0xD agrees with itself.  On a
 * CPU without the hidden features these checks hold trivially; the unit
 * tests cover a CPU with every bit set.
 */
static void test_cpuid_filtered(void)
{
	struct cpuid_regs l0 = cpuid(0), l7 = cpuid_count(7, 0);

	report(l0.eax <= 0x1f, "cpuid 0: the last leaf 0x%" PRIx32 " is one keyhole answers (<= 0x1f)", l0.eax);
	report(!(l7.edx & (1u << 26 | 1u << 27 | 1u << 29 | 1u << 31)),
	       "cpuid 7: SPEC_CTRL, STIBP, ARCH_CAPABILITIES, SSBD hidden (their MSRs get #GP): edx 0x%" PRIx32, l7.edx);
	report(!(l7.ecx & (1u << 5 | 1u << 16)), "cpuid 7: WAITPKG and LA57 hidden: ecx 0x%" PRIx32, l7.ecx);
	report(!(l7.ebx & (1u << 4 | 1u << 11 | 1u << 14 | 1u << 25)), "cpuid 7: HLE, RTM, MPX, PT hidden: ebx 0x%" PRIx32,
	       l7.ebx);
	struct cpuid_regs pt = cpuid(0x14), sgx = cpuid(0x12);
	report((pt.eax | pt.ebx | pt.ecx | pt.edx | sgx.eax | sgx.ebx | sgx.ecx | sgx.edx) == 0,
	       "cpuid 0x12 (SGX) and 0x14 (PT) read zero");

	if (!(cpuid(1).ecx & (1u << 26))) {
		report_skip("cpuid 0xd: no XSAVE on this CPU");
		return;
	}
	struct cpuid_regs d = cpuid_count(0xd, 0);
	uint64_t comps = ((uint64_t)d.edx << 32) | d.eax, xcr0 = 3;
	report(!(comps & (1u << 3 | 1u << 4 | 1u << 8 | 1u << 17 | 1u << 18)),
	       "cpuid 0xd: no MPX, PT or AMX state offered (components 0x%" PRIx64 ")", comps);
	if (cpuid(1).ecx & (1u << 27)) {
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = ((uint64_t)hi << 32) | lo;
	}
	uint32_t all = 576, now = 576;
	for (unsigned int i = 2; i < 63; i++) {
		struct cpuid_regs c = cpuid_count(0xd, i);
		if (comps & (1ull << i))
			all = c.eax + c.ebx > all ? c.eax + c.ebx : all;
		if (xcr0 & comps & (1ull << i))
			now = c.eax + c.ebx > now ? c.eax + c.ebx : now;
	}
	report(d.ecx == all && d.ebx == now,
	       "cpuid 0xd: sizes agree with the components (ecx %" PRIu32 " = %" PRIu32 ", ebx %" PRIu32 " = %" PRIu32
	       " for XCR0 0x%" PRIx64 ")", d.ecx, all, d.ebx, now, xcr0);
}

/* --- CR2 ------------------------------------------------------------------ */

/*
 * No VMCS field holds CR2: keyhole loads the guest's at the first entry of
 * its run and leaves it in the CPU from then on (hv/vmx/vmx_entry.S).  So
 * the guest starts with its own, zero, not whatever keyhole or an earlier
 * guest left in the CPU, and what it writes survives its exits.
 */
static void test_cr2(bool keyhole)
{
	uint64_t cr2, pattern = 0x00007ead5eed0000ull;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	if (keyhole)
		report(cr2 == 0, "CR2 starts at zero, the guest's own (0x%" PRIx64 ")", cr2);
	else
		report_skip("CR2 at the start: not under keyhole, whoever ran before left it");
	__asm__ volatile("mov %0, %%cr2" : : "r"(pattern));
	(void)cpuid(0);
	__asm__ volatile("outb %%al, $0x80" : : "a"(0));
	if (keyhole)
		(void)kh_hypercall0(KH_HC_NOP);
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	report(cr2 == pattern, "CR2 survives CPUID, OUT and VMCALL exits (0x%" PRIx64 ")", cr2);
}

/* --- caching -------------------------------------------------------------- */

/*
 * VM entry leaves CR0.CD and CR0.NW as keyhole has them (SDM Vol. 3C,
 * 27.3.2.1), and they are in no guest/host mask: the guest reads the real
 * bits, so this checks that keyhole's entry turned the caches on.
 */
static void test_caching(void)
{
	uint64_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	report(!(cr0 & (X86_CR0_CD | X86_CR0_NW)), "caches on: CR0.CD and CR0.NW clear (CR0 = %#" PRIx64 ")", cr0);
}

/* --- runtime -------------------------------------------------------------- */

extern char __guest_image_start[], __guest_image_end[];

static const struct kh_guest_boot *test_boot_info(void)
{
	const struct kh_guest_boot *boot = kh_boot_info();

	if (!report(boot != NULL, "boot info block present (magic, version, vCPU numbers)"))
		return NULL;
	/* This guest's module line asks for no vcpus=: it is vCPU 0 of 1. */
	report(boot->version == 2 && boot->vcpu_index == 0 && boot->nr_vcpus == 1 && kh_vcpu_index() == 0 &&
	       kh_nr_vcpus() == 1, "boot info version %" PRIu32 ": vCPU %" PRIu32 " of %" PRIu32 " (want 2: 0 of 1)",
	       boot->version, boot->vcpu_index, boot->nr_vcpus);
	report_info("guest memory 0x%" PRIx64 " bytes, free from 0x%" PRIx64
		    ", image 0x%" PRIx64 "-0x%" PRIx64, boot->mem_size, boot->free_gpa,
		    gpa_of(__guest_image_start), gpa_of(__guest_image_end));
	report(boot->free_gpa % GUEST_PAGE_SIZE == 0 &&
	       boot->free_gpa >= gpa_of(__guest_image_end) && boot->free_gpa <= boot->mem_size,
	       "boot info: free_gpa page aligned, after the image, inside memory");
	return boot;
}

static void test_libc(void)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %#x %s %.3f", -42, 0xbeef, "ok", 1.5);

	report(n == (int)strlen("-42 0xbeef ok 1.500") && strcmp(buf, "-42 0xbeef ok 1.500") == 0,
	       "snprintf formats integers, strings and (SSE) floats: \"%s\"", buf);

	/* Through stdout and write() to the serial port; the count is the proof
	 * that stdio got that far, the log is the proof it arrived. */
	n = printf("INFO: printf reaches the console\n");
	report(n == (int)strlen("INFO: printf reaches the console\n"), "printf returns its length");

	enum { SMALL = 100, BIG = 64 * 1024 };
	uint8_t *a = malloc(SMALL), *b = malloc(BIG);
	bool ok = a && b && (a + SMALL <= b || b + BIG <= a);

	if (ok) {
		memset(a, 0xa5, SMALL);
		memset(b, 0x5a, BIG);
		ok = a[SMALL - 1] == 0xa5 && b[0] == 0x5a && b[BIG - 1] == 0x5a;
		uint8_t *c = realloc(a, 4 * SMALL);

		ok = ok && c && c[0] == 0xa5 && c[SMALL - 1] == 0xa5;
		a = c ? c : a;
	}
	free(a);
	free(b);
	report(ok, "malloc, realloc and free over the static heap");
}

/* --- hypercalls: KVM's numbers ------------------------------------------- */

/*
 * Every number outside keyhole's range is KVM's, and keyhole implements
 * none: -KVM_ENOSYS, RBX as it was.  Under ABI version 1, 0 was NOP and 1
 * EXIT: were this keyhole that old, the guest would end here, with status
 * V1_EXIT_STATUS rather than its failure count.
 */
#define V1_EXIT_STATUS 0x4b1

static void test_kvm_numbers(void)
{
	static const struct {
		uint64_t nr;
		const char *what;
	} kvm[] = {
		{ KVM_HC_VAPIC_POLL_IRQ, "KVM_HC_VAPIC_POLL_IRQ (1, ABI version 1's EXIT)" },
		{ KVM_HC_MAP_GPA_RANGE, "KVM_HC_MAP_GPA_RANGE (12)" },
		{ 0, "0 (ABI version 1's NOP)" },
	};

	for (size_t i = 0; i < sizeof(kvm) / sizeof(kvm[0]); i++) {
		uint64_t rbx = 0;
		/* The call before the report: its arguments are evaluated in no set order. */
		int64_t r = kh_hypercall(kvm[i].nr, V1_EXIT_STATUS, 0, 0, 0, &rbx);

		report(r == -KVM_ENOSYS && rbx == V1_EXIT_STATUS, "%s is KVM's: %" PRId64 " (want -KVM_ENOSYS, %d)%s",
		       kvm[i].what, r, -KVM_ENOSYS, rbx == V1_EXIT_STATUS ? "" : ", and RBX changed");
	}
	report(kh_hypercall0(KH_HC_NOP) == 0, "after KVM's numbers the guest goes on: NOP returns 0");
}

/* --- hypercalls: protection ---------------------------------------------- */

static void test_protection(void)
{
	uint8_t *pat = page(PAGE_PATTERN);

	fill_pattern(pat, GUEST_PAGE_SIZE, 0x11);
	report(kh_hypercall0(KH_HC_NOP) == 0, "hypercall NOP returns 0");

	/*
	 * Before protection, keyhole reads the frame through its direct map --
	 * unless keyhole runs with protect=all, which protects every guest from
	 * its first instruction.
	 */
	if (diag_in_dmap(pat) == 0)
		report_skip("before ENABLE_MEM_PROTECTED the frame is in the direct map (protect=all: it never was)");
	else
		report(diag_in_dmap(pat) == 1, "before ENABLE_MEM_PROTECTED the frame is in the direct map");
	report(diag_checksum(pat, GUEST_PAGE_SIZE) == kh_checksum(pat, GUEST_PAGE_SIZE),
	       "DIAG_CHECKSUM of an unprotected page matches the guest's");

	report(kh_hypercall0(KH_HC_ENABLE_MEM_PROTECTED) == 0, "ENABLE_MEM_PROTECTED returns 0");
	report(diag_in_dmap(pat) == 0, "after ENABLE_MEM_PROTECTED the frame is out of the direct map");

	int64_t sum = diag_checksum(pat, GUEST_PAGE_SIZE);
	uint32_t want = kh_checksum(pat, GUEST_PAGE_SIZE);

	report(sum == want, "DIAG_CHECKSUM of a protected page matches the guest's (0x%" PRIx64
	       " vs 0x%" PRIx32 ")", (uint64_t)sum, want);

	/* A partial range inside a page, then one spanning two pages. */
	report(diag_checksum(pat + 5, 100) == kh_checksum(pat + 5, 100),
	       "DIAG_CHECKSUM of an unaligned partial range matches");
	uint8_t *span = page(PAGE_SPAN_LO) + GUEST_PAGE_SIZE / 2;

	fill_pattern(page(PAGE_SPAN_LO), 2 * GUEST_PAGE_SIZE, 0x33);
	report(diag_checksum(span, GUEST_PAGE_SIZE) == kh_checksum(span, GUEST_PAGE_SIZE),
	       "DIAG_CHECKSUM across a page boundary matches");

	report(kh_hypercall2(KH_HC_MEM_SHARE, gfn_of(pat), 1) == 0, "MEM_SHARE of one page returns 0");
	report(diag_in_dmap(pat) == 1, "a shared frame is back in the direct map");
	report(diag_checksum(pat, GUEST_PAGE_SIZE) == want, "DIAG_CHECKSUM of the shared page matches");
	report(kh_hypercall2(KH_HC_MEM_UNSHARE, gfn_of(pat), 1) == 0, "MEM_UNSHARE returns 0");
	report(diag_in_dmap(pat) == 0, "an unshared frame is out of the direct map again");
}

static void test_diag_access(void)
{
	uint8_t *fill = page(PAGE_FILL);
	uint64_t gfn = gfn_of(fill);
	bool seen = true;

	/* Forget whatever the dirty log holds for this frame, then write it. */
	kh_hypercall1(KH_HC_DIAG_DIRTY, gfn);
	report(kh_hypercall3(KH_HC_DIAG_FILL, gpa_of(fill), GUEST_PAGE_SIZE, FILL_BYTE) == 0,
	       "DIAG_FILL of a protected page returns 0");
	for (size_t i = 0; i < GUEST_PAGE_SIZE; i++)
		seen = seen && fill[i] == FILL_BYTE;
	report(seen, "the guest sees keyhole's DIAG_FILL bytes");
	report(kh_hypercall1(KH_HC_DIAG_DIRTY, gfn) == 1, "DIAG_DIRTY: the filled frame is logged dirty");
	report(kh_hypercall1(KH_HC_DIAG_DIRTY, gfn) == 0, "DIAG_DIRTY: asking again reads clean");

	uint8_t *src = page(PAGE_COPY_SRC), *dst = page(PAGE_COPY_DST);

	fill_pattern(src, GUEST_PAGE_SIZE, 0x77);
	memset(dst, 0, GUEST_PAGE_SIZE);
	report(kh_hypercall3(KH_HC_DIAG_COPY, gpa_of(dst), gpa_of(src), GUEST_PAGE_SIZE) == 0 &&
	       memcmp(dst, src, GUEST_PAGE_SIZE) == 0,
	       "DIAG_COPY between protected pages copies exactly");

	uint64_t word = 0, expect;
	const uint8_t *at = src + 3; /* unaligned on purpose */

	memcpy(&expect, at, sizeof(expect));
	/* The call before the report: its arguments are evaluated in no set order. */
	int64_t ret = kh_hypercall(KH_HC_DIAG_READ8, gpa_of(at), 0, 0, 0, &word);

	report(ret == 0 && word == expect, "DIAG_READ8 returns the guest's 8 bytes (0x%016" PRIx64
	       " vs 0x%016" PRIx64 ")", word, expect);
}

/* --- hypercalls: bad input ------------------------------------------------ */

static void expect_err(int64_t got, int64_t want, const char *what)
{
	report(got == want, "%s -> %" PRId64 " (want %" PRId64 ")", what, got, want);
}

static void test_bad_input(const struct kh_guest_boot *boot)
{
	const uint8_t *pat = page(PAGE_PATTERN);
	uint64_t gfn_past_end = boot ? boot->mem_size >> GUEST_PAGE_SHIFT : GFN_FAR_BEYOND;
	uint32_t want = kh_checksum(pat, GUEST_PAGE_SIZE);

	expect_err(kh_hypercall2(KH_HC_MEM_SHARE, gfn_past_end, 1), -KH_EINVAL,
		   "MEM_SHARE of the first gfn past guest memory");
	expect_err(kh_hypercall2(KH_HC_MEM_UNSHARE, GFN_FAR_BEYOND, 1), -KH_EINVAL,
		   "MEM_UNSHARE of a gfn far beyond guest memory");
	expect_err(kh_hypercall2(KH_HC_MEM_SHARE, 1, ~0ull), -KH_EINVAL,
		   "MEM_SHARE with gfn + npages overflowing");
	expect_err(kh_hypercall2(KH_HC_MEM_SHARE, gfn_of(pat), 0), -KH_EINVAL,
		   "MEM_SHARE of 0 pages");
	expect_err(kh_hypercall0(KH_HC_UNASSIGNED), -KH_ENOSYS, "an unassigned hypercall number");
	expect_err(kh_hypercall0(KH_HC_DIAG_READ + 1), -KH_ENOSYS,
		   "the number after the last DIAG call");

	expect_err(diag_checksum(pat, 0), -KH_EINVAL, "DIAG_CHECKSUM of 0 bytes");
	expect_err(kh_hypercall3(KH_HC_DIAG_FILL, gpa_of(pat), 0, FILL_BYTE), -KH_EINVAL,
		   "DIAG_FILL of 0 bytes");
	expect_err(diag_checksum(pat, KH_DIAG_MAX_LEN + 1ull), -KH_EINVAL,
		   "DIAG_CHECKSUM longer than KH_DIAG_MAX_LEN");
	expect_err(kh_hypercall3(KH_HC_DIAG_COPY, gpa_of(page(PAGE_COPY_DST)),
				 gpa_of(page(PAGE_COPY_SRC)), KH_DIAG_MAX_LEN + 1ull),
		   -KH_EINVAL, "DIAG_COPY longer than KH_DIAG_MAX_LEN");
	expect_err(kh_hypercall1(KH_HC_DIAG_IN_DMAP, GFN_FAR_BEYOND), -KH_EINVAL,
		   "DIAG_IN_DMAP of a gfn beyond guest memory");

	if (boot) {
		uint64_t end = boot->mem_size;

		expect_err(kh_hypercall2(KH_HC_DIAG_CHECKSUM, end - 8, 16), -KH_EINVAL,
			   "DIAG_CHECKSUM of a range crossing the end of guest memory");
		expect_err(kh_hypercall3(KH_HC_DIAG_FILL, end - 8, 16, FILL_BYTE), -KH_EINVAL,
			   "DIAG_FILL of a range crossing the end of guest memory");
		expect_err(kh_hypercall(KH_HC_DIAG_READ8, end - 4, 0, 0, 0, 0), -KH_EINVAL,
			   "DIAG_READ8 of 8 bytes crossing the end of guest memory");
	} else {
		report_skip("ranges crossing the end of guest memory: no boot info, size unknown");
	}

	/* None of the above may have changed anything. */
	report(diag_in_dmap(pat) == 0 && diag_checksum(pat, GUEST_PAGE_SIZE) == want,
	       "after the bad calls the page is still protected and intact");
	report(kh_hypercall0(KH_HC_NOP) == 0, "the guest goes on: NOP still returns 0");
}

int main(void)
{
	uint32_t features;

	printf("keyhole test guest\n");
	bool keyhole = test_cpuid_identity(&features);
	if (keyhole)
		test_cpuid_filtered();
	const struct kh_guest_boot *boot = test_boot_info();

	test_caching();
	test_cr2(keyhole);
	test_libc();
	if (keyhole)
		test_kvm_numbers();
	if (!keyhole) {
		report_skip("hypercalls: keyhole's CPUID signature is missing (VMCALL would fault)");
	} else if (!(features & KH_FEAT_DIAG)) {
		report(kh_hypercall1(KH_HC_DIAG_IN_DMAP, 0) == -KH_ENOSYS && kh_hypercall0(KH_HC_DIAG_AUDIT) == -KH_ENOSYS,
		       "without diag on keyhole's command line the DIAG calls do not exist (-ENOSYS)");
		report_skip("protection and DIAG: keyhole does not offer DIAG (boot it with diag)");
	} else if (!(features & KH_FEAT_MEM_PROTECTED)) {
		report_skip("protection and DIAG: keyhole does not advertise MEM_PROTECTED");
	} else {
		test_protection();
		test_diag_access();
		test_bad_input(boot);
	}
	test_kvm(keyhole, features);
	return report_summary();
}
