/*
 * A seeded random sequence of 12,000 protect / share / unshare / map / unmap
 * / write-through-map / copy operations on a simulated VM, checked after
 * every step against the shadow model of tests/unit/model.c (invariant 1,
 * protection, every byte of guest memory, every return value).
 *
 * KEYHOLE_SEED=N reproduces a run; the seed is printed on failure.
 */
#include <stdlib.h>
#include "mm/audit.h"
#include "model.h"
#include "sim.h"
#include "test.h"

#define STEPS 12000

static u64 rng;

static u64 xorshift(void)
{
	return test_xorshift(&rng);
}

TEST(random_sequence_keeps_invariants_and_contents)
{
	static struct vm vm;
	static struct model m;
	const char *env = getenv("KEYHOLE_SEED");
	u64 seed = env ? strtoull(env, NULL, 0) : 0x6b6579686f6c65ULL; /* "keyhole" */
	int bad = 0, step;

	rng = seed ? seed : 1;
	sim_boot_standard();
	model_init(&vm, &m, xorshift);
	for (step = 0; step < STEPS && !bad; step++) {
		bad += model_step(&vm, &m, step);
		bad += model_check(&vm, &m, step);
	}
	if (bad)
		fprintf(stderr, "    random sequence failed at step %d; reproduce with KEYHOLE_SEED=%#llx\n",
			step - 1, (unsigned long long)seed);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(step, STEPS);
	EXPECT(m.enabled); /* the sequence really exercised protection */
	model_finish(&vm, &m);
	EXPECT_EQ(audit_host(NULL), 0);
}
