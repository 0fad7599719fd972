/* How a run ends (hv/runtime/shutdown_plan.c): emulator ports only where an emulator or hypervisor is recognised. */
#include <string.h>
#include "test.h"
#include "hv/runtime/shutdown_plan.h"

static enum shutdown_way way(bool hypervisor, bool e9, bool reset)
{
	struct machine_probe p = { .cpuid_hypervisor = hypervisor, .port_e9_readback = e9 };
	struct shutdown_plan plan = shutdown_plan(&p, reset);

	EXPECT(plan.why != NULL && strlen(plan.why) > 0);
	return plan.way;
}

TEST(shutdown_plan_bare_metal_halts)
{
	EXPECT(way(false, false, false) == SHUTDOWN_WAY_HALT);
	struct machine_probe bare = { 0 };
	EXPECT(strcmp(shutdown_plan(&bare, false).why, "no emulator recognised: halting") == 0);
}

TEST(shutdown_plan_emulators_get_their_ports)
{
	/* Bochs: no hypervisor bit, port 0xE9 answers. */
	EXPECT(way(false, true, false) == SHUTDOWN_WAY_EMULATOR_PORTS);
	struct machine_probe bochs = { .port_e9_readback = true };
	EXPECT(strstr(shutdown_plan(&bochs, false).why, "Bochs recognised") != NULL);
	/* QEMU (TCG -cpu max, KVM), or keyhole nested under any hypervisor. */
	EXPECT(way(true, false, false) == SHUTDOWN_WAY_EMULATOR_PORTS);
	EXPECT(way(true, true, false) == SHUTDOWN_WAY_EMULATOR_PORTS);
}

TEST(shutdown_plan_reset_when_asked_everywhere)
{
	EXPECT(way(false, false, true) == SHUTDOWN_WAY_RESET);
	EXPECT(way(false, true, true) == SHUTDOWN_WAY_RESET);
	EXPECT(way(true, false, true) == SHUTDOWN_WAY_RESET);
}
