/*
 * The machine's clock, measured once at boot: the TSC's rate, whether it is
 * invariant, and the RTC's wall time with the TSC at which it was read.
 * KVM's paravirtual clock hands these to guests (hv/vm/kvm_clock.h).
 */
#ifndef KEYHOLE_HV_PLATFORM_TSC_H
#define KEYHOLE_HV_PLATFORM_TSC_H

#include "hv/vm/kvm_clock.h"

/* Starts the PIT stopwatch tsc_calibrate() reads: as early in the boot as may be. */
void tsc_calibrate_begin(void);
/*
 * Calibrates the TSC against the PIT (at least PIT_CALIBRATE_MS since
 * tsc_calibrate_begin(); no pit_delay_us() in between) and cross-checks it
 * with CPUID 0x15/0x16, reads the RTC, logs "tsc: N kHz ...".  Before any
 * guest owns the PIT or the RTC.
 */
void tsc_calibrate(void);
/* What tsc_calibrate() found. */
const struct host_clock *tsc_host_clock(void);

#endif
