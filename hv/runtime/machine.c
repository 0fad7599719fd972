/*
 * keyhole and the machine it runs on: the PAT check at start, and
 * machine_shutdown(), which ends every run the way shutdown_plan() decides
 * (hv/runtime/shutdown_plan.c says how an emulator is recognised).
 */
#include <keyhole/log.h>

#include "hv/runtime/console.h"
#include "hv/runtime/machine.h"
#include "hv/runtime/shutdown.h"
#include "hv/runtime/shutdown_plan.h"
#include <x86/cpu.h>
#include <x86/cpuid.h>
#include <x86/msr.h>
#include <x86/pc.h>
#include "lib/cmdline.h"

/* Bochs's shutdown port: writing this string to it, byte by byte, makes Bochs quit. */
#define BOCHS_SHUTDOWN_PORT 0x8900
#define BOCHS_SHUTDOWN_STRING "Shutdown"

/* QEMU's isa-debug-exit device, where the Makefile's QEMU runs place it. */
#define QEMU_DEBUG_EXIT_PORT 0xf4

/* Bochs (port_e9_hack) and QEMU (-debugcon) read back 0xE9 here. */
#define DEBUGCON_PORT 0xe9
#define DEBUGCON_READBACK 0xe9

/* I/O writes between the two RST_CNT writes, as a delay (each ~1 us on the ISA bus). */
#define RESET_SETTLE_WRITES 100

static bool reset_requested;

void machine_configure(const char *cmdline)
{
	reset_requested = cmdline_flag(cmdline, "reboot");
	if (reset_requested)
		log_info("reboot: the run ends with a reset of the machine");

	/*
	 * Guests get their own PAT through the VMCS; keyhole's own mappings
	 * (PAT index 0, WB) rely on the power-on value, which firmware may
	 * have changed (SDM Vol. 3A, 11.12.4).
	 */
	u64 pat = rdmsr(MSR_IA32_PAT);
	if (pat != PAT_POWER_ON_DEFAULT) {
		log_warn("IA32_PAT is %#lx, not the power-on %#llx: setting it back", pat, PAT_POWER_ON_DEFAULT);
		wrmsr(MSR_IA32_PAT, PAT_POWER_ON_DEFAULT);
	}
}

/* The chipset's reset, then the 8042's; if neither resets, the caller halts. */
static void machine_reset(void)
{
	outb(PC_RESET_CONTROL, PC_RESET_SYS_RST);
	for (int i = 0; i < RESET_SETTLE_WRITES; i++)
		outb(POST_PORT, 0);
	outb(PC_RESET_CONTROL, PC_RESET_SYS_RST | PC_RESET_RST_CPU);
	for (int i = 0; i < RESET_SETTLE_WRITES; i++)
		outb(POST_PORT, 0);
	outb(KBC_CMD, KBC_CMD_PULSE_RESET);
}

void machine_shutdown(enum shutdown_status status)
{
	struct machine_probe probe = {
		.cpuid_hypervisor = (cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_HYPERVISOR) != 0,
		.port_e9_readback = inb(DEBUGCON_PORT) == DEBUGCON_READBACK,
	};
	struct shutdown_plan plan = shutdown_plan(&probe, reset_requested);

	cli();
	log_printf(LOG_DEBUG, LOG_TAG_HV, "shutting down (status %d)", status);
	log_info("shutdown: %s", plan.why);
	/* An emulator quits at once, a reset loses the UART's FIFO: the last line goes out first. */
	console_flush();
	switch (plan.way) {
	case SHUTDOWN_WAY_EMULATOR_PORTS:
		for (const char *s = BOCHS_SHUTDOWN_STRING; *s; s++)
			outb(BOCHS_SHUTDOWN_PORT, (u8)*s);
		outl(QEMU_DEBUG_EXIT_PORT, (u32)status);
		break;
	case SHUTDOWN_WAY_RESET:
		machine_reset();
		break;
	case SHUTDOWN_WAY_HALT:
		break;
	}
	cpu_halt_forever();
}
