/*
 * Time arithmetic keyhole shares with its guests' view of time: the pvclock
 * scale (KVM's paravirtual clock, keyhole/kvm_para.h) that turns TSC ticks
 * into nanoseconds, and the calendar date an RTC reads as Unix time.
 * Pure integer code, host-tested (tests/unit/test_pvclock.c).
 */
#ifndef KEYHOLE_LIB_PVCLOCK_H
#define KEYHOLE_LIB_PVCLOCK_H

#include <keyhole/types.h>

#define NSEC_PER_SEC 1000000000ull

/* ns = ((ticks shifted by shift: left if >= 0, right if < 0) * mul) >> 32, pvclock-abi.h's formula. */
struct pvclock_scale {
	u32 mul;
	s8 shift;
};

/*
 * The scale for a counter of hz ticks per second (hz >= 1): the smallest
 * shift with hz * 2^shift > 10^9, so that mul = floor(2^32 * 10^9 /
 * (hz * 2^shift)) fits 32 bits and is at least 2^31 (31 bits of precision).
 */
struct pvclock_scale pvclock_scale_for(u64 hz);

/* ticks through the scale, as a guest computes it (the 128-bit product of pvclock's reader). */
static inline u64 pvclock_scale_delta(u64 ticks, struct pvclock_scale s)
{
	if (s.shift < 0)
		ticks >>= -s.shift;
	else
		ticks <<= s.shift;
	return (u64)(((unsigned __int128)ticks * s.mul) >> 32);
}

/*
 * The TSC rate keyhole trusts, from what it measured and what CPUID says:
 *   pit_hz    TSC ticks per second counted across a PIT delay (0: no PIT)
 *   cpuid_hz  CPUID 0x15's crystal * EBX / EAX, or 0x16's base frequency (0: neither)
 *   exact     cpuid_hz came from an enumerated crystal (0x15 ECX), not 0x16's nominal MHz
 * An exact CPUID rate within TSC_CPUID_AGREE_PERMILLE of the PIT's wins (it
 * has no measurement error); otherwise the PIT's, if it is a TSC's rate at
 * all (TSC_HZ_MIN..TSC_HZ_MAX: a PIT that never counts ends its delay on a
 * timeout and "measures" nonsense); otherwise CPUID's; otherwise 0.
 */
#define TSC_CPUID_AGREE_PERMILLE 10
#define TSC_HZ_MIN 1000000ull        /* 1 MHz */
#define TSC_HZ_MAX 20000000000ull    /* 20 GHz */
enum tsc_source { TSC_FROM_NOTHING, TSC_FROM_PIT, TSC_FROM_CPUID_CHECKED, TSC_FROM_CPUID_UNCHECKED };
u64 tsc_choose_rate(u64 pit_hz, u64 cpuid_hz, bool exact, enum tsc_source *source);

/*
 * Seconds since 1970-01-01 00:00:00 UTC of a proleptic Gregorian date (year
 * >= 1970, month 1-12, day 1-31, 24-hour time); 0 if the date is not one.
 */
u64 unix_time_of(u32 year, u32 month, u32 day, u32 hour, u32 min, u32 sec);

#endif
