/*
 * The TSC's rate and the wall clock (see tsc.h).
 *
 * Rate: the TSC ticks counted against PIT counter 2 over at least
 * PIT_CALIBRATE_MS (the PIT's 1.193182 MHz is the same on every PC; Linux's
 * pit_calibrate_tsc() measures the same way).  The watch starts before the
 * first guest's memory is zeroed and is read after it, so the boot's own
 * work fills the window rather than a busy wait (hv/platform/pit.h's
 * stopwatch).  CPUID 0x15 gives the exact
 * rate where the CPU enumerates it (SDM Vol. 2A, CPUID leaf 15H: TSC =
 * crystal * EBX / EAX; a crystal of 0 is not enumerated, and leaf 16H's
 * base frequency stands in, as the SDM's note on 15H suggests, but that is
 * a nominal figure, for cross-checking only); the exact rate is used only
 * if it agrees with the PIT within TSC_CPUID_AGREE_PERMILLE, so that a CPUID
 * that describes some other machine (an emulator's model, a hypervisor
 * below keyhole) cannot give guests a clock that runs at the wrong speed.
 * The choice is lib/pvclock.c's tsc_choose_rate(), host-tested.
 *
 * Invariant TSC: CPUID 0x80000007 EDX[8] (SDM Vol. 3B, 18.17.1): the rate
 * does not change with P-, C- or T-states, so kvm-clock may promise a
 * stable TSC (PVCLOCK_TSC_STABLE_BIT).
 *
 * Wall clock: the MC146818 RTC's registers 0-9 (and the century at 0x32,
 * where it reads as one), read between updates: wait for status A's
 * update-in-progress bit to clear, read, read again until two readings
 * agree.  BCD or binary and 12- or 24-hour as status B says.  Taken as UTC,
 * as Linux takes it by default.
 */
#include <keyhole/log.h>
#include <x86/cpu.h>
#include <x86/cpuid.h>
#include <x86/pc.h>
#include "hv/platform/pit.h"
#include "hv/platform/tsc.h"
#include "lib/pvclock.h"

#define PIT_CALIBRATE_MS 10 /* 0.05% of error on hardware for a few microseconds of port I/O */
#define RTC_TRIES 1000000

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32
#define RTC_A_UIP 0x80
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_HOURS_PM 0x80

static struct host_clock clock;

const struct host_clock *tsc_host_clock(void)
{
	return &clock;
}

/* CPUID 0x15 (exact: an enumerated crystal), or 0x16's nominal base frequency; 0 where neither says. */
static u64 cpuid_tsc_hz(bool *exact)
{
	u32 max = cpuid(0).eax;

	*exact = false;
	if (max < 0x15)
		return 0;
	struct cpuid_regs c = cpuid(0x15);
	if (c.eax && c.ebx && c.ecx) {
		*exact = true;
		return (u64)c.ecx * c.ebx / c.eax;
	}
	if (max >= 0x16 && (cpuid(0x16).eax & 0xffff))
		return (u64)(cpuid(0x16).eax & 0xffff) * 1000000;
	return 0;
}

void tsc_calibrate_begin(void)
{
	pit_stopwatch_start();
}

/*
 * The TSC's rate by the PIT stopwatch tsc_calibrate_begin() started: over
 * the boot's work since then if that took PIT_CALIBRATE_MS or more (and
 * less than the watch's 54.9 ms), else the watch is waited out to
 * PIT_CALIBRATE_MS.  A watch spoilt meanwhile (a pit_delay_us(), too long a
 * set-up) is replaced by a fresh one.  0 if the PIT never counts.
 */
static u64 pit_tsc_hz(u64 *window_us)
{
	const u32 min_ticks = PIT_HZ / 1000 * PIT_CALIBRATE_MS;
	struct pit_reading r;
	int err = pit_stopwatch_read(min_ticks, &r);

	if (err == -EAGAIN) {
		pit_stopwatch_start();
		err = pit_stopwatch_read(min_ticks, &r);
	}
	*window_us = err ? 0 : (u64)r.ticks * 1000000 / PIT_HZ;
	return err ? 0 : (r.tsc - r.start_tsc) * PIT_HZ / r.ticks;
}

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg); /* bit 7 clear: NMIs stay enabled */
	return inb(CMOS_DATA);
}

static u32 bcd(u8 v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

struct rtc_time {
	u8 sec, min, hour, day, mon, year, century;
};

static bool rtc_read_once(struct rtc_time *t)
{
	for (u32 i = 0; cmos_read(RTC_STATUS_A) & RTC_A_UIP; i++)
		if (i == RTC_TRIES)
			return false;
	*t = (struct rtc_time){ cmos_read(RTC_SECONDS), cmos_read(RTC_MINUTES), cmos_read(RTC_HOURS),
				cmos_read(RTC_DAY),     cmos_read(RTC_MONTH),   cmos_read(RTC_YEAR),
				cmos_read(RTC_CENTURY) };
	return true;
}

/* Unix seconds, 0 if the RTC reads nothing that is a date. */
static u64 rtc_unix_time(void)
{
	struct rtc_time a, b;

	for (int tries = 0; tries < 5; tries++) {
		if (!rtc_read_once(&a) || !rtc_read_once(&b))
			return 0;
		if (a.sec == b.sec && a.min == b.min && a.hour == b.hour && a.day == b.day && a.mon == b.mon &&
		    a.year == b.year)
			break;
	}
	u8 st = cmos_read(RTC_STATUS_B);
	bool bin = st & RTC_B_BINARY;
	u32 hour = bcd(b.hour & ~RTC_HOURS_PM, bin);
	if (!(st & RTC_B_24H))
		hour = (hour % 12) + ((b.hour & RTC_HOURS_PM) ? 12 : 0);
	u32 century = bcd(b.century, bin);
	u32 year = bcd(b.year, bin) + (century >= 19 && century <= 21 ? century * 100 : (bcd(b.year, bin) < 70 ? 2000 : 1900));
	return unix_time_of(year, bcd(b.mon, bin), bcd(b.day, bin), hour, bcd(b.min, bin), bcd(b.sec, bin));
}

static void tsc_measure(void);

void tsc_calibrate(void)
{
	static bool done;

	if (done)
		return; /* once per boot: the first guest's set-up */
	done = true;
	tsc_measure();
}

static void tsc_measure(void)
{
	bool exact;
	u64 window_us;
	u64 pit = pit_tsc_hz(&window_us), id = cpuid_tsc_hz(&exact);
	bool invariant = cpuid(CPUID_LEAF_EXT_BASE).eax >= CPUID_LEAF_EXT_POWER &&
			 (cpuid(CPUID_LEAF_EXT_POWER).edx & CPUID_87_EDX_INVARIANT_TSC);
	enum tsc_source src;
	u64 hz = tsc_choose_rate(pit, id, exact, &src);
	static const char *const from[] = {
		[TSC_FROM_NOTHING] = "nowhere (assumed)",
		[TSC_FROM_PIT] = "the PIT",
		[TSC_FROM_CPUID_CHECKED] = "CPUID 0x15's crystal, within 1% of the PIT",
		[TSC_FROM_CPUID_UNCHECKED] = "CPUID 0x15/0x16 alone",
	};

	if (src == TSC_FROM_NOTHING)
		hz = 1000000000; /* a rate the clock can run on, said to be wrong */
	if (src == TSC_FROM_NOTHING || src == TSC_FROM_CPUID_UNCHECKED)
		log_warn("tsc: the PIT measured %lu kHz, not a TSC's rate (a PIT that does not count?): taking %lu kHz "
			 "from %s; guests' clocks may run at the wrong speed", pit / 1000, hz / 1000, from[src]);
	host_clock_set(&clock, hz, invariant);
	clock.wall_tsc = rdtsc();
	clock.wall_sec = rtc_unix_time();
	log_info("tsc: %lu kHz, from %s (PIT %lu kHz over %lu.%lu ms, CPUID %lu kHz%s%s), %s", hz / 1000, from[src],
		 pit / 1000, window_us / 1000, window_us / 100 % 10, id / 1000, exact ? "" : " nominal",
		 src == TSC_FROM_PIT && id ? ": not used" : "",
		 invariant ? "invariant" : "not invariant: kvm-clock without the stable bit");
	if (!clock.wall_sec)
		log_warn("rtc: no date read from the RTC: guests' wall clock starts at 1970");
}
