/*
 * The register-leak pair, for guests that check keyhole's vCPU teardown
 * (hostile's state-plant / state-check, smp's plant / check): the planter
 * fills every register a guest can reach without an exit with patterns and
 * ends; the checker, the next guest on the same CPU, must find only their
 * reset values.  Every vCPU may run either (each has its own XSAVE area).
 */
#ifndef GUEST_STATE_H
#define GUEST_STATE_H

#include <stdint.h>

/* Sets CR4.OSXSAVE (no exit: keyhole owns only VMX's bits of CR4); returns
 * XCR0's supported bits, 0 without XSAVE. */
uint64_t state_enable_xsave(void);
/* XCR0, once CR4.OSXSAVE is set. */
uint64_t state_xgetbv0(void);

/* Fills the registers (state.c lists them) and reports what it filled as an INFO line. */
void state_plant(void);
/* Reports (report.h) whether each register holds its reset value; to be
 * called first thing in the checker, before anything has used the vector
 * registers the check reads. */
void state_check(void);

#endif
