/*
 * libFuzzer target: operation sequences over mm/gmap (and the EPT behind
 * guest memory), the fuzzer's input standing in for the random source of the
 * unit test's shadow model (tests/unit/model.c).  A mismatch with the model,
 * an audit finding, a sanitizer report or a panic is a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "sim.h"

#define MAX_STEPS 4000

static const uint8_t *in;
static size_t in_len;

/* The next 8 input bytes (zeros once it runs out). */
static u64 from_input(void)
{
	u64 v = 0;
	size_t n = in_len < 8 ? in_len : 8;

	memcpy(&v, in, n);
	in += n;
	in_len -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	static struct model m;

	in = data;
	in_len = size;
	sim_reset();
	sim_boot_small();
	model_init(&vm, &m, from_input);
	for (int step = 0; in_len && step < MAX_STEPS; step++)
		if (model_step(&vm, &m, step) || model_check(&vm, &m, step)) {
			fprintf(stderr, "fuzz_mm: the core disagrees with the model at step %d\n", step);
			abort();
		}
	model_finish(&vm, &m);
	return 0;
}
