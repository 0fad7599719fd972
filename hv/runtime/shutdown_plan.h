/*
 * How a run ends, decided from what keyhole could find out about the
 * machine: a pure function, so the host tests can check every case.
 */
#ifndef KEYHOLE_HV_SHUTDOWN_PLAN_H
#define KEYHOLE_HV_SHUTDOWN_PLAN_H

#include <keyhole/types.h>

/* What machine_shutdown() sees of the machine. */
struct machine_probe {
	bool cpuid_hypervisor; /* CPUID.1:ECX.hypervisor (bit 31) */
	bool port_e9_readback; /* port 0xE9 reads back 0xE9 */
};

enum shutdown_way {
	SHUTDOWN_WAY_HALT,           /* halt this CPU for good */
	SHUTDOWN_WAY_EMULATOR_PORTS, /* the emulators' exit ports, then halt */
	SHUTDOWN_WAY_RESET,          /* reset the machine (0xCF9, then the 8042) */
};

struct shutdown_plan {
	enum shutdown_way way;
	const char *why; /* one line for the log */
};

struct shutdown_plan shutdown_plan(const struct machine_probe *probe, bool reset_requested);

#endif
