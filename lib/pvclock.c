/*
 * The pvclock scale and the RTC's calendar (see pvclock.h).
 */
#include "lib/pvclock.h"

struct pvclock_scale pvclock_scale_for(u64 hz)
{
	const u64 num = NSEC_PER_SEC << 32; /* < 2^62 */
	struct pvclock_scale s = { 0, 0 };

	if (hz == 0)
		return s;
	if (hz <= 2 * NSEC_PER_SEC) {
		/* A slow counter: shift left until hz * 2^shift is in (10^9, 2 * 10^9]; mul is then in [2^31, 2^32). */
		u64 d = hz;
		while (d <= NSEC_PER_SEC) {
			d <<= 1;
			s.shift++;
		}
		s.mul = (u32)(num / d);
		return s;
	}
	/*
	 * A fast one: the k = -shift with hz / 2^k in (10^9, 2 * 10^9], and
	 * mul = floor(2^32 * 10^9 * 2^k / hz) by long division, one bit of the
	 * quotient per step of k, so that nothing overflows.
	 */
	int k = 0;
	while (hz > (2 * NSEC_PER_SEC << k))
		k++;
	u64 q = num / hz, r = num % hz;
	for (int i = 0; i < k; i++) {
		q <<= 1;
		r <<= 1; /* r < hz < 2^63 */
		if (r >= hz) {
			q |= 1;
			r -= hz;
		}
	}
	s.shift = (s8)-k;
	s.mul = (u32)q;
	return s;
}

u64 tsc_choose_rate(u64 pit_hz, u64 cpuid_hz, bool exact, enum tsc_source *source)
{
	bool pit_ok = pit_hz >= TSC_HZ_MIN && pit_hz <= TSC_HZ_MAX;
	u64 diff = cpuid_hz > pit_hz ? cpuid_hz - pit_hz : pit_hz - cpuid_hz;

	if (pit_ok && exact && cpuid_hz && diff * 1000 <= pit_hz * TSC_CPUID_AGREE_PERMILLE) {
		*source = TSC_FROM_CPUID_CHECKED;
		return cpuid_hz;
	}
	if (pit_ok) {
		*source = TSC_FROM_PIT;
		return pit_hz;
	}
	if (cpuid_hz >= TSC_HZ_MIN && cpuid_hz <= TSC_HZ_MAX) {
		*source = TSC_FROM_CPUID_UNCHECKED;
		return cpuid_hz;
	}
	*source = TSC_FROM_NOTHING;
	return 0;
}

static bool leap(u32 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

u64 unix_time_of(u32 year, u32 month, u32 day, u32 hour, u32 min, u32 sec)
{
	static const u8 mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	u64 days = 0;

	if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return 0;
	if (day > (u32)mdays[month - 1] + (month == 2 && leap(year)))
		return 0;
	for (u32 y = 1970; y < year; y++)
		days += 365 + leap(y);
	for (u32 m = 1; m < month; m++)
		days += mdays[m - 1] + (m == 2 && leap(year));
	days += day - 1;
	return ((days * 24 + hour) * 60 + min) * 60 + sec;
}
