/*
 * Boot self-tests (the `selftest` command-line word): keyhole proves on the
 * real MMU, before it needs VT-x, that its address space keeps a protected
 * frame out of reach.  Used on every platform, including QEMU under TCG,
 * which has no VT-x at all.
 */
#ifndef KEYHOLE_HV_SELFTEST_H
#define KEYHOLE_HV_SELFTEST_H

#include <keyhole/types.h>

/* Prints "selftest: PASS: ..." lines and a closing "selftest: N passed, N failed"; returns the failures. */
int selftest_run(void);

/* One self-test family's tally: its lines are "TAG: PASS: ..." and a closing "TAG: N passed, N failed". */
struct selftest_tally {
	const char *tag;
	int passed, failed;
};
/* Prints one check's PASS or FAIL line and counts it; returns ok. */
bool selftest_check(struct selftest_tally *t, bool ok, const char *name);
/* Prints the closing line; returns the failures. */
int selftest_close(const struct selftest_tally *t);
/*
 * After SMP bring-up, with two CPUs or more (hv/runtime/selftest_smp.c):
 * the shootdown and the fixmap's isolation across CPUs; test_hooks adds
 * the run with the shootdown skipped.  "selftest-smp:" lines; returns the
 * failures (0 on one CPU: nothing to test).
 */
int selftest_smp_run(bool test_hooks);

#endif
