/*
 * Delays on the PIT (see pit.h): counter 2 in mode 0, gated on through port
 * 0x61, counts down from the loaded value and raises its output, which port
 * 0x61 bit 5 reads, at zero (8254 data sheet, mode 0; the way Linux's
 * pit_calibrate_tsc() waits).  Counter 2 drives only the speaker, which is
 * kept off.  A PIT that never raises the output (a machine without one) is
 * given up on after 2^32 TSC ticks and said once.
 */
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/pc.h>
#include "hv/platform/pit.h"

#define PIT_CHUNK_US 50000 /* under 65536 ticks: one load of the 16-bit counter */
#define PIT_GIVE_UP_TSC (1ULL << 32)
#define PIT_LATCH_CH2 0x80 /* the counter-latch command for counter 2 (8254: SC=10, RW=00) */
#define PIT_WATCH_LOAD 0xffffu
#define PIT_LOAD_TRIES 100000

static struct {
	bool running, spoilt;
	u8 port_b;
	u64 start_tsc;
} watch;

void pit_delay_us(u32 us)
{
	static bool warned;
	u8 b = inb(PORT_B);

	if (watch.running)
		watch.spoilt = true; /* counter 2 is reloaded below */

	while (us) {
		u32 chunk = MIN(us, PIT_CHUNK_US);
		u32 ticks = MAX((u32)((u64)chunk * PIT_HZ / 1000000), 1u);
		u64 start;

		outb(PORT_B, (u8)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
		outb(PIT_MODE, PIT_MODE_CH2_LOHI_MODE0);
		outb(PIT_COUNTER2, (u8)ticks);
		outb(PIT_COUNTER2, (u8)(ticks >> 8));
		start = rdtsc();
		while (!(inb(PORT_B) & PORT_B_OUT2)) {
			if (rdtsc() - start > PIT_GIVE_UP_TSC) {
				if (!warned)
					log_warn("pit: counter 2 never reached zero: delays end early");
				warned = true;
				break;
			}
		}
		us -= chunk;
	}
	outb(PORT_B, b);
}

/* Counter 2's count, latched, and the TSC at the latch (the middle of the OUT that latched it). */
static u16 latched_count(u64 *tsc)
{
	u64 t0 = rdtsc();
	outb(PIT_MODE, PIT_LATCH_CH2);
	u64 t1 = rdtsc();
	u8 lo = inb(PIT_COUNTER2);
	u8 hi = inb(PIT_COUNTER2);

	*tsc = t0 + (t1 - t0) / 2;
	return (u16)(lo | hi << 8);
}

/*
 * Mode 0 loads the count on the CLK pulse after it is written and counts
 * only while GATE is high (8254 data sheet, mode 0): so the count is written
 * with the gate low, read back until it is loaded, and the gate raised:
 * counting starts then, at a TSC known to within the one OUT.
 */
void pit_stopwatch_start(void)
{
	u64 tsc, t0;

	watch.port_b = inb(PORT_B);
	watch.spoilt = false;
	watch.running = true;
	outb(PORT_B, (u8)(watch.port_b & ~(PORT_B_SPEAKER | PORT_B_GATE2)));
	outb(PIT_MODE, PIT_MODE_CH2_LOHI_MODE0);
	outb(PIT_COUNTER2, (u8)PIT_WATCH_LOAD);
	outb(PIT_COUNTER2, (u8)(PIT_WATCH_LOAD >> 8));
	for (u32 i = 0; latched_count(&tsc) != PIT_WATCH_LOAD; i++) {
		if (i == PIT_LOAD_TRIES) {
			watch.spoilt = true;
			break;
		}
	}
	t0 = rdtsc();
	outb(PORT_B, (u8)((watch.port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	watch.start_tsc = t0 + (rdtsc() - t0) / 2;
}

int pit_stopwatch_read(u32 min_ticks, struct pit_reading *r)
{
	int ret = 0;
	u32 ticks;
	u64 tsc;

	for (;;) {
		ticks = PIT_WATCH_LOAD - latched_count(&tsc);
		if (watch.spoilt || !watch.running || (inb(PORT_B) & PORT_B_OUT2)) {
			ret = -EAGAIN; /* reloaded meanwhile, or past zero: OUT2 rises at terminal count and stays */
			break;
		}
		if (ticks >= min_ticks)
			break;
		if (tsc - watch.start_tsc > PIT_GIVE_UP_TSC) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	outb(PORT_B, watch.port_b);
	watch.running = false;
	*r = (struct pit_reading){ .start_tsc = watch.start_tsc, .tsc = tsc, .ticks = ticks };
	return ret;
}
