/*
 * What the static probes of the Linux guest's initramfs (kvmclock.c,
 * bench.c) share: the TSC, CPUID and a stamp of the TSC with
 * CLOCK_MONOTONIC.  Built with the host's gcc by tools/linux-guest.sh.
 */
#ifndef KEYHOLE_TESTS_LINUX_STAMP_H
#define KEYHOLE_TESTS_LINUX_STAMP_H

#include <stdint.h>
#include <time.h>

struct stamp {
	uint64_t tsc, mono_ns;
};

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t regs[4])
{
	__asm__ volatile("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3]) : "a"(leaf), "c"(sub));
}

/* TSC first, then the clock: both reads of a pair in the same order, so a delta covers the same span. */
static inline struct stamp now(void)
{
	struct timespec ts;
	struct stamp s;

	s.tsc = rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s.mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return s;
}

#endif
