/*
 * How keyhole stops on a broken invariant: panic() prints one PANIC line and
 * ends the run through machine_shutdown() (hv/runtime/machine.c), which
 * under an emulator ends the emulator too, so a broken run shows up as a
 * PANIC line and a quick exit, never as a hang until some timeout.
 */
#include <keyhole/panic.h>

#include "hv/runtime/console.h"
#include <x86/cpu.h>
#include "hv/runtime/shutdown.h"

void panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	cli();
	/* A panic while printing the first one must not recurse: just stop. */
	if (!panicking) {
		panicking = true;
		va_start(ap, fmt);
		console_vprintf_always(LOG_TAG_HV, "PANIC: ", fmt, ap);
		va_end(ap);
	}
	machine_shutdown(SHUTDOWN_PANIC);
}
