#include "test.h"
#include "sim.h"
TEST(smoke_boot) { sim_boot_standard(); EXPECT(sim.load_root == 1); }
