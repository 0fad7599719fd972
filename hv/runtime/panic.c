/*
 * How keyhole stops: panic() for a broken invariant, machine_shutdown() for
 * the end of a run.  Both leave the machine halted; under an emulator they
 * end the emulator too, so a broken run shows up as a PANIC line and a quick
 * exit, never as a hang until some timeout.
 */
#include <keyhole/panic.h>

#include "hv/runtime/console.h"
#include <x86/cpu.h>
#include "hv/runtime/shutdown.h"

/* Bochs's shutdown port: writing this string to it, byte by byte, makes Bochs quit. */
#define BOCHS_SHUTDOWN_PORT 0x8900
#define BOCHS_SHUTDOWN_STRING "Shutdown"

/* QEMU's isa-debug-exit device, where the Makefile's QEMU runs place it. */
#define QEMU_DEBUG_EXIT_PORT 0xf4

void machine_shutdown(enum shutdown_status status)
{
	cli();
	log_printf(LOG_DEBUG, LOG_TAG_HV, "shutting down (status %d)", status);
	/* An emulator quits at once: the last line must be out of the UART first. */
	console_flush();
	/* On hardware both ports are normally unused, and the halt below is the end. */
	for (const char *s = BOCHS_SHUTDOWN_STRING; *s; s++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s);
	outl(QEMU_DEBUG_EXIT_PORT, (u32)status);
	cpu_halt_forever();
}

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
