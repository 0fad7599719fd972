/*
 * The pvclock scale and the RTC's calendar (lib/pvclock.h), against a
 * reference computed another way: exact 128-bit division.
 */
#include <stdio.h>
#include "lib/pvclock.h"
#include "test.h"

/* ns of ticks at hz, exactly (floor). */
static u64 reference_ns(u64 ticks, u64 hz)
{
	return (u64)((unsigned __int128)ticks * NSEC_PER_SEC / hz);
}

/* Checks one frequency: mul's 31 bits of precision, and conversions over seven decades of ticks. */
static void check_hz(u64 hz)
{
	struct pvclock_scale s = pvclock_scale_for(hz);
	/* mul in [2^31, 2^32): what the shift was chosen for */
	EXPECT(s.mul >= 0x80000000u);
	/* the scaled rate: hz * 2^shift in (10^9, 2 * 10^9] */
	long double scaled = (long double)hz * (s.shift >= 0 ? (long double)(1ull << s.shift) : 1.0L / (1ull << -s.shift));
	EXPECT(scaled > 1e9L && scaled <= 2e9L);
	/* A left shift overflows past 2^64: pvclock's readers have the same limit (delta << shift). */
	u64 limit = 1ull << MIN(44, 63 - (s.shift > 0 ? s.shift : 0));
	for (u64 ticks = 1; ticks < limit; ticks = ticks * 7 + 3) {
		u64 got = pvclock_scale_delta(ticks, s), want = reference_ns(ticks, hz);
		/*
		 * Errors allowed: mul is floored (relative 2^-31), a right shift drops
		 * up to 2^-shift - 1 ticks, and the product is floored (1 ns).
		 */
		u64 drop = s.shift < 0 ? reference_ns((1ull << -s.shift), hz) + 1 : 0;
		u64 slack = want / (1ull << 31) + drop + 2;
		if (got > want + 1 || want > got + slack) {
			fprintf(stderr, "    %lu Hz: %lu ticks: %lu ns, want %lu\n", (unsigned long)hz, (unsigned long)ticks,
				(unsigned long)got, (unsigned long)want);
			EXPECT(false);
			return;
		}
	}
}

TEST(pvclock_scale_matches_reference)
{
	/* The PIT, Bochs's instruction clock, hardware from 1 GHz to 5 GHz, and odd ones on both sides of each boundary. */
	static const u64 hz[] = { 1,          1193182,    200000000,  999999999,  1000000000, 1000000001,
				  1999999999, 2000000000, 2000000001, 2400000000, 2893312000, 3500000000,
				  4000000001, 5000000000ull, 19200000ull * 150, 123456789012ull };
	for (unsigned int i = 0; i < ARRAY_SIZE(hz); i++)
		check_hz(hz[i]);
	for (u64 f = 1000; f < 100000000000ull; f = f * 3 + 1)
		check_hz(f);
}

TEST(pvclock_scale_known_values)
{
	/* 1 GHz: a tick is a ns: shift 1, mul 2^31 (2 * 10^9 * 2^31 / 2^32 = 10^9). */
	struct pvclock_scale s = pvclock_scale_for(1000000000);
	EXPECT_EQ(s.shift, 1);
	EXPECT_EQ(s.mul, 0x80000000u);
	/* 2 GHz: no shift, half a ns per tick. */
	s = pvclock_scale_for(2000000000);
	EXPECT_EQ(s.shift, 0);
	EXPECT_EQ(s.mul, 0x80000000u);
	EXPECT_EQ(pvclock_scale_delta(2000000000, s), NSEC_PER_SEC);
	/* 200 MHz (Bochs at ips=200M): 5 ns per tick. */
	s = pvclock_scale_for(200000000);
	EXPECT_EQ(s.shift, 3);
	EXPECT_EQ(pvclock_scale_delta(200000000, s), NSEC_PER_SEC);
	/* 0 Hz is no clock: nothing divides by it. */
	s = pvclock_scale_for(0);
	EXPECT_EQ(s.mul, 0);
}

TEST(unix_time_of_dates)
{
	EXPECT_EQ(unix_time_of(1970, 1, 1, 0, 0, 0), 0);
	EXPECT_EQ(unix_time_of(2000, 3, 1, 0, 0, 0), 951868800);   /* after a leap day of a year divisible by 400 */
	EXPECT_EQ(unix_time_of(2026, 12, 1, 18, 20, 50), 1796149250);
	EXPECT_EQ(unix_time_of(2024, 2, 29, 23, 59, 59), 1709251199);
	EXPECT_EQ(unix_time_of(2100, 3, 1, 0, 0, 0), 4107542400);  /* 2100 is no leap year */
	EXPECT_EQ(unix_time_of(2023, 2, 29, 0, 0, 0), 0);          /* no such day */
	EXPECT_EQ(unix_time_of(2100, 2, 29, 0, 0, 0), 0);
	EXPECT_EQ(unix_time_of(2026, 13, 1, 0, 0, 0), 0);
	EXPECT_EQ(unix_time_of(2026, 4, 31, 0, 0, 0), 0);
	EXPECT_EQ(unix_time_of(2026, 1, 1, 24, 0, 0), 0);
	EXPECT_EQ(unix_time_of(1969, 12, 31, 23, 59, 59), 0);
	EXPECT_EQ(unix_time_of(2026, 0, 1, 0, 0, 0), 0);
}

TEST(tsc_choose_rate_trusts_the_right_source)
{
	enum tsc_source src;

	/* Bochs: the PIT says 200 MHz, CPUID's model 3.5 GHz: the PIT. */
	EXPECT_EQ(tsc_choose_rate(200014000, 3500000000ull, false, &src), 200014000);
	EXPECT_EQ(src, TSC_FROM_PIT);
	/* An enumerated crystal within 1% of the PIT: exact, taken. */
	EXPECT_EQ(tsc_choose_rate(2591000000ull, 2592000000ull, true, &src), 2592000000ull);
	EXPECT_EQ(src, TSC_FROM_CPUID_CHECKED);
	/* 0x16's nominal base frequency, even within 1%: only a cross-check, the PIT's measurement wins. */
	EXPECT_EQ(tsc_choose_rate(2592000000ull, 2600000000ull, false, &src), 2592000000ull);
	EXPECT_EQ(src, TSC_FROM_PIT);
	/* An exact crystal more than 1% off (another machine's CPUID): the PIT. */
	EXPECT_EQ(tsc_choose_rate(2000000000ull, 2100000000ull, true, &src), 2000000000ull);
	EXPECT_EQ(src, TSC_FROM_PIT);
	/* A PIT that never counted: its delay timed out after 2^32 ticks, "measuring" 429 GHz: CPUID alone. */
	EXPECT_EQ(tsc_choose_rate((1ull << 32) * 100, 2592000000ull, true, &src), 2592000000ull);
	EXPECT_EQ(src, TSC_FROM_CPUID_UNCHECKED);
	EXPECT_EQ(tsc_choose_rate(0, 2600000000ull, false, &src), 2600000000ull);
	EXPECT_EQ(src, TSC_FROM_CPUID_UNCHECKED);
	/* Neither: 0, for the caller to assume and say so. */
	EXPECT_EQ(tsc_choose_rate((1ull << 32) * 100, 0, false, &src), 0);
	EXPECT_EQ(src, TSC_FROM_NOTHING);
}
