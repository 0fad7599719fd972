/*
 * Busy-wait delays on the 8254's counter 2 (hv/platform/pit.c), for the
 * waits the SDM prescribes while starting a CPU (10 ms after INIT, 200 us
 * between SIPIs): the PIT counts at a known 1.193182 MHz everywhere,
 * whereas the TSC's rate is not known without calibration (and in Bochs it
 * counts instructions).
 */
#ifndef KEYHOLE_HV_PLATFORM_PIT_H
#define KEYHOLE_HV_PLATFORM_PIT_H

#include <keyhole/types.h>

/* Waits us microseconds (at least 1 PIT tick, ~0.84 us).  Only before any guest owns the PIT. */
void pit_delay_us(u32 us);

#endif
