/*
 * The register-leak pair (state.h).  The check looks only at what the
 * runtime cannot have touched before the checker's first instruction of its
 * own: the x87 registers' contents (crt0's FNINIT resets the control word
 * and tags, not the registers), XMM8-15 and every upper half of the vector
 * registers (the guest is compiled without AVX), the AVX-512 opmasks and
 * ZMM16-31, PKRU, XCR0, DR0-DR3, DR6, DR7 and CR8.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keyhole/guest_boot.h>

#include "report.h"
#include "rt.h"
#include "state.h"

#define CR4_OSXSAVE (1ull << 18)
#define CPUID_1_ECX_XSAVE (1u << 26)

static void cpuid2(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

uint64_t state_enable_xsave(void)
{
	uint32_t r[4];
	uint64_t cr4;

	cpuid2(1, 0, r);
	if (!(r[2] & CPUID_1_ECX_XSAVE))
		return 0;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
	cpuid2(0xd, 0, r);
	return ((uint64_t)r[3] << 32) | r[0];
}

uint64_t state_xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

#define XSAVE_MAX 16384
/* One area per vCPU: several may plant or check at once. */
static uint8_t xareas[KH_GUEST_VCPUS_MAX][XSAVE_MAX] __attribute__((aligned(64)));
#define XSAVE_ST_OFFSET 32
#define XSAVE_XMM_OFFSET 160
#define XSAVE_XSTATE_BV 512
#define PATTERN 0xa5

/* The components the pair fills and checks: x87, SSE, AVX, AVX-512 (5-7), PKRU (9). */
#define PAIR_COMPONENTS 0x2e7ull

struct component { unsigned int nr; uint32_t offset, size; };

static size_t components(uint64_t xcr0, struct component *c)
{
	size_t n = 0;
	uint32_t r[4];

	for (unsigned int i = 2; i < 10; i++)
		if ((xcr0 & PAIR_COMPONENTS) & (1ull << i)) {
			cpuid2(0xd, i, r);
			c[n++] = (struct component){ i, r[1], r[0] };
		}
	return n;
}

static void xsave_all(uint8_t *xarea)
{
	__asm__ volatile("xsave64 (%0)" : : "r"(xarea), "a"(~0u), "d"(~0u) : "memory");
}

void state_plant(void)
{
	uint8_t *xarea = xareas[kh_vcpu_index()];
	uint64_t xcr0 = state_enable_xsave() & PAIR_COMPONENTS;
	struct component c[8];
	size_t n = components(xcr0, c);

	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
	memset(xarea, 0, XSAVE_MAX);
	xsave_all(xarea);
	for (int i = 0; i < 8; i++)
		memset(xarea + XSAVE_ST_OFFSET + 16 * i, PATTERN, 10);
	memset(xarea + XSAVE_XMM_OFFSET, PATTERN, 16 * 16);
	for (size_t i = 0; i < n; i++)
		memset(xarea + c[i].offset, c[i].nr == 9 ? 0x54 : PATTERN, c[i].size); /* PKRU: deny-write keys */
	*(uint64_t *)(xarea + XSAVE_XSTATE_BV) = xcr0;
	__asm__ volatile("xrstor64 (%0)" : : "r"(xarea), "a"(~0u), "d"(~0u) : "memory");
	__asm__ volatile("mov %0, %%db0; mov %1, %%db1; mov %2, %%db2; mov %3, %%db3"
			 : : "r"(0x1111000ull), "r"(0x2222000ull), "r"(0x3333000ull), "r"(0x4444000ull));
	__asm__ volatile("mov %0, %%db6" : : "r"(0xffff4ff1ull));
	__asm__ volatile("mov %0, %%db7" : : "r"(0x4aaull));
	__asm__ volatile("mov %0, %%cr8" : : "r"(0xfull));
	report_info("registers filled: XCR0 %#" PRIx64 ", %u extended components, DR0-3, DR6, DR7, CR8", xcr0,
		    (unsigned int)n);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

void state_check(void)
{
	uint8_t *xarea = xareas[kh_vcpu_index()];
	uint64_t dr[4], dr6, dr7, cr8, xcr0_before, supported;
	struct component c[8];
	size_t n;

	__asm__ volatile("mov %%db0, %0; mov %%db1, %1; mov %%db2, %2; mov %%db3, %3"
			 : "=r"(dr[0]), "=r"(dr[1]), "=r"(dr[2]), "=r"(dr[3]));
	__asm__ volatile("mov %%db6, %0; mov %%db7, %1; mov %%cr8, %2" : "=r"(dr6), "=r"(dr7), "=r"(cr8));
	/* Everything read before the first report: printing may use the SSE registers. */
	supported = state_enable_xsave();
	xcr0_before = supported ? state_xgetbv0() : 1;
	uint64_t xcr0 = supported & PAIR_COMPONENTS;
	if (supported) {
		__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
		memset(xarea, 0xcc, XSAVE_MAX); /* a component XSAVE does not write is in its initial configuration */
		xsave_all(xarea);
	}
	report(xcr0_before == 1, "XCR0 is 1 (x87 only), not what the last guest set (%#" PRIx64 ")", xcr0_before);
	report(!dr[0] && !dr[1] && !dr[2] && !dr[3], "DR0-DR3 are 0 (%#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 ")",
	       dr[0], dr[1], dr[2], dr[3]);
	report(dr6 == 0xffff0ff0ull, "DR6 is 0xffff0ff0 (%#" PRIx64 ")", dr6);
	report(dr7 == 0x400, "DR7 is 0x400 (%#" PRIx64 ")", dr7);
	report(cr8 == 0, "CR8 is 0 (%#" PRIx64 ")", cr8);
	if (!supported)
		return;
	uint64_t bv = *(uint64_t *)(xarea + XSAVE_XSTATE_BV) & xcr0; /* XSAVE writes only the bits it saves */
	bool st = !(bv & 1), xmm = !(bv & 2);
	for (int i = 0; i < 8 && !st; i++)
		st = all_bytes(xarea + XSAVE_ST_OFFSET + 16 * i, 10, 0);
	if (!st) {
		st = true;
		for (int i = 0; i < 8; i++)
			st &= all_bytes(xarea + XSAVE_ST_OFFSET + 16 * i, 10, 0);
	}
	if (!xmm)
		xmm = all_bytes(xarea + XSAVE_XMM_OFFSET + 16 * 8, 16 * 8, 0);
	report(st, "the x87 registers are 0 (XSTATE_BV %#" PRIx64 ")", bv);
	report(xmm, "XMM8-XMM15 are 0");
	n = components(xcr0, c);
	for (size_t i = 0; i < n; i++)
		report(!(bv & (1ull << c[i].nr)) || all_bytes(xarea + c[i].offset, c[i].size, 0),
		       "state component %u (%u bytes) is in its initial configuration", c[i].nr, c[i].size);
}
