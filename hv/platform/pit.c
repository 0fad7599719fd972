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

void pit_delay_us(u32 us)
{
	static bool warned;
	u8 b = inb(PORT_B);

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
