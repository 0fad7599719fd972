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

/*
 * A stopwatch on counter 2 for measuring the TSC against the PIT across
 * work keyhole does anyway (the boot's memory set-up): started, it counts
 * down from 0xffff (54.9 ms at most); a reading is a latched count and the
 * TSC at the latch.  A pit_delay_us() meanwhile reloads counter 2 and spoils
 * the watch, as does running past 0xffff ticks: pit_stopwatch_read() says so.
 */
struct pit_reading {
	u64 start_tsc; /* the TSC when counter 2 started counting */
	u64 tsc;       /* the TSC when the count was latched */
	u32 ticks;     /* PIT ticks between the two */
};
void pit_stopwatch_start(void);
/*
 * Waits until at least min_ticks (< 0xffff) have passed, then reads the
 * watch, and stops it.  0; -EAGAIN if the watch was spoilt or ran out (a
 * fresh one will do); -ETIMEDOUT if the counter never moved (no PIT: given
 * up on after 2^32 TSC ticks).
 */
int pit_stopwatch_read(u32 min_ticks, struct pit_reading *r);

#endif
