/*
 * The machine's clock, measured once at boot: the TSC's rate, whether it is
 * invariant, and the RTC's wall time with the TSC at which it was read.
 * KVM's paravirtual clock hands these to guests (hv/vm/kvm_clock.h).
 */
#ifndef KEYHOLE_HV_PLATFORM_TSC_H
#define KEYHOLE_HV_PLATFORM_TSC_H

#include "hv/vm/kvm_clock.h"

/* Starts the PIT stopwatch tsc_calibrate() reads, before the boot's longest work. */
void tsc_calibrate_begin(void);
/*
 * Calibrates the TSC against the PIT (over the work since
 * tsc_calibrate_begin(), at least PIT_CALIBRATE_MS; a pit_delay_us() in
 * between costs a fresh 10 ms) and cross-checks it with CPUID 0x15/0x16,
 * reads the RTC, logs "tsc: N kHz ...".  Once per boot: later calls return
 * at once.  Before any guest owns the PIT or the RTC: at the first guest's
 * set-up, before anything reads tsc_host_clock().
 */
void tsc_calibrate(void);
/* What tsc_calibrate() found. */
const struct host_clock *tsc_host_clock(void);

#endif
