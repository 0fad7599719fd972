/*
 * The decision behind machine_shutdown(): which way a run ends.
 *
 * The emulators' exit ports (Bochs's 0x8900, QEMU's isa-debug-exit at 0xF4)
 * are written only where an emulator or a hypervisor is recognised; on a
 * real machine those ports may belong to some device, so there keyhole
 * halts, or resets when the command line asks for it.  Recognition:
 *
 *   CPUID.1:ECX.hypervisor  set by hypervisors for their guests (SDM Vol. 2A,
 *                           CPUID: "not used", reserved for this by every
 *                           hypervisor vendor); QEMU sets it under TCG
 *                           (-cpu max) and KVM, and keyhole runs nested then
 *   port 0xE9 readback      Bochs does not set the hypervisor bit for its CPU
 *                           models, but its port_e9_hack (and QEMU's
 *                           debugcon) reads back 0xE9; an unused port on a
 *                           PC reads 0xFF
 *
 * A requested reset wins: whoever asked for it wants the machine back, even
 * under an emulator.
 */
#include "hv/runtime/shutdown_plan.h"

struct shutdown_plan shutdown_plan(const struct machine_probe *probe, bool reset_requested)
{
	if (reset_requested)
		return (struct shutdown_plan){ SHUTDOWN_WAY_RESET, "reset requested (reboot): resetting through 0xCF9" };
	if (probe->cpuid_hypervisor)
		return (struct shutdown_plan){ SHUTDOWN_WAY_EMULATOR_PORTS,
					       "hypervisor present (CPUID.1:ECX.hypervisor): using the emulators' exit ports" };
	if (probe->port_e9_readback)
		return (struct shutdown_plan){ SHUTDOWN_WAY_EMULATOR_PORTS,
					       "Bochs recognised (port 0xE9): using its shutdown port" };
	return (struct shutdown_plan){ SHUTDOWN_WAY_HALT, "no emulator recognised: halting" };
}
