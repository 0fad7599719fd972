/*
 * What the unit-test framework provides to tests/unit/sim.c, for the
 * fuzzers: any failed expectation or unexpected panic is a finding, so it
 * aborts, and libFuzzer keeps the input that did it.
 */
#include <stdio.h>
#include <stdlib.h>
#include "test.h"

void test_register(struct unit_test *t)
{
	(void)t;
}

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "fuzz: %s:%d: %s\n", file, line, expr);
	abort();
}
