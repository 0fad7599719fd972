/*
 * XCR0 validation (hv/vm/xcr0.c) against a reference written from the SDM's
 * own list (Vol. 1, 13.3, and XSETBV in Vol. 2D: "#GP(0) if ... "), over
 * every combination of the bits those rules tie together, on a few CPUs.
 */
#include <x86/cr.h>
#include "hv/vm/xcr0.h"
#include "test.h"

/* The bits the rules name: 0-7, 9 (PKRU, no rule of its own), 17-18; plus one reserved (8) and bit 63. */
static const unsigned int rule_bits[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 18, 63 };

static u64 combo(unsigned int n)
{
	u64 v = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(rule_bits); i++)
		if (n & (1u << i))
			v |= 1ULL << rule_bits[i];
	return v;
}

static bool bit(u64 v, unsigned int n)
{
	return (v >> n) & 1;
}

/* XSETBV's #GP(0) conditions, one line each as the SDM words them. */
static bool sdm_gp(u32 ecx, u64 v, u64 supported)
{
	if (ecx != 0)                                   /* "an invalid XCR is specified in ECX" */
		return true;
	if (v & ~supported)                             /* "a bit set in EDX:EAX is reserved in the XCR" */
		return true;
	if (!bit(v, 0))                                 /* "an attempt to clear bit 0 of XCR0" */
		return true;
	if (!bit(v, 1) && bit(v, 2))                    /* "XCR0[2:1] = 10b" */
		return true;
	if (bit(v, 3) != bit(v, 4))                     /* "XCR0[3] != XCR0[4]" */
		return true;
	if ((bit(v, 5) || bit(v, 6) || bit(v, 7)) && !(bit(v, 1) && bit(v, 2))) /* "XCR0[7:5] != 000b and XCR0[2:1] != 11b" */
		return true;
	if ((bit(v, 5) || bit(v, 6) || bit(v, 7)) && !(bit(v, 5) && bit(v, 6) && bit(v, 7))) /* "XCR0[7:5] != 000b and != 111b" */
		return true;
	if (bit(v, 17) != bit(v, 18))                   /* "XCR0[17] != XCR0[18]" */
		return true;
	return false;
}

static unsigned int mismatches(u64 supported)
{
	unsigned int bad = 0;

	for (u32 ecx = 0; ecx < 2; ecx++)
		for (unsigned int n = 0; n < (1u << ARRAY_SIZE(rule_bits)); n++) {
			u64 v = combo(n);
			if (xcr0_valid(ecx, v, supported) == sdm_gp(ecx, v, supported)) {
				if (bad++ < 4)
					fprintf(stderr, "    ecx %u xcr0 %#llx supported %#llx: keyhole says %s\n", ecx,
						(unsigned long long)v, (unsigned long long)supported,
						xcr0_valid(ecx, v, supported) ? "valid" : "invalid");
			}
		}
	return bad;
}

TEST(xcr0_every_combination_matches_the_sdm)
{
	EXPECT_EQ(mismatches(0x3ULL), 0);          /* SSE only */
	EXPECT_EQ(mismatches(0x7ULL), 0);          /* AVX */
	EXPECT_EQ(mismatches(0x2ffULL), 0);        /* Skylake-X: AVX-512, MPX, PKRU */
	EXPECT_EQ(mismatches(0x602e7ULL), 0);      /* Sapphire Rapids: AMX, no MPX */
	EXPECT_EQ(mismatches(0x602ffULL), 0);      /* every rule's bits supported */
}

TEST(xcr0_named_cases)
{
	u64 all = 0x602ffULL;

	EXPECT(xcr0_valid(0, X86_XCR0_X87, all));
	EXPECT(xcr0_valid(0, 0x602ffULL, all));
	EXPECT(!xcr0_valid(0, 0x27, all));          /* AVX-512 opmask alone */
	EXPECT(!xcr0_valid(0, 0xe3, all));          /* AVX-512 without AVX */
	EXPECT(!xcr0_valid(0, 0x0b, all));          /* BNDREGS without BNDCSR */
	EXPECT(!xcr0_valid(0, 0x20007, all));       /* TILECFG without TILEDATA */
	EXPECT(!xcr0_valid(0, 0x2ff | BIT(17) | BIT(18), 0x2ff)); /* AMX where the CPU has none */
	EXPECT(!xcr0_valid(1, X86_XCR0_X87, all));  /* XCR1 */
}
