/*
 * A vCPU's VM exits counted by basic exit reason, and the bench marker that
 * reports them (make bench-linux, docs/benchmarks.md).
 *
 * exit_dispatch() adds one to the count of every exit's basic reason: one
 * increment, always on.  With `bench` on keyhole's command line, a CPUID of
 * KH_CPUID_BENCH_MARK (keyhole/hypercall.h) from the guest, at any privilege
 * level, ends a phase: keyhole logs one line with the counts since the last
 * marker (or since the vCPU started) and the TSC ticks they span, and starts
 * the counts again.  Subleaf 0 starts them again silently.  Only the first
 * EXIT_STATS_MARKERS_LOGGED markers of a vCPU are logged: a guest's
 * userspace cannot flood the console.
 *
 * Pure C (the line is formatted here, logged by hv/vm/cpuid.c): the unit
 * tests link it.
 */
#ifndef KEYHOLE_HV_VM_EXIT_STATS_H
#define KEYHOLE_HV_VM_EXIT_STATS_H

#include <keyhole/types.h>

/* Every basic reason keyhole's dispatch table has a handler for (0 to XSETBV, 55); exit.c asserts it. */
#define EXIT_STATS_REASONS 56
#define EXIT_STATS_MARKERS_LOGGED 32

struct exit_stats {
	u64 by_reason[EXIT_STATS_REASONS]; /* since the last marker */
	u64 since_tsc;                     /* the TSC at the last marker, or at the vCPU's first entry */
	u64 steal_since;                   /* the vCPU's steal-time ticks then (hv/vm/kvm_clock.h) */
	u32 markers;                       /* markers with a line, the limit's count */
};

/*
 * One marker at TSC tsc_now, the vCPU's steal-time ticks steal_now: for a
 * logged marker (subleaf != 0, within the limit) writes into buf (NUL-ended,
 * cut at len) "bench-linux marker N: E exits in T TSC ticks, K of them in
 * keyhole: REASON n, REASON n, ..." (the reasons with a count, in number
 * order) and returns true; false and nothing written otherwise.  Either way
 * the counts start again from tsc_now.
 */
bool exit_stats_marker(struct exit_stats *s, u32 subleaf, u64 tsc_now, u64 steal_now, char *buf, size_t len);

#endif
