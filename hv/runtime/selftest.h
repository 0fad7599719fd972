/*
 * Boot self-tests (the `selftest` command-line word): keyhole proves on the
 * real MMU, before it needs VT-x, that its address space keeps a protected
 * frame out of reach.  Used on every platform, including QEMU under TCG,
 * which has no VT-x at all.
 */
#ifndef KEYHOLE_HV_SELFTEST_H
#define KEYHOLE_HV_SELFTEST_H

/* Prints "selftest: PASS: ..." lines and a closing "selftest: N passed, N failed"; returns the failures. */
int selftest_run(void);

#endif
