/*
 * The unit-test runner: runs every registered TEST (or those whose name
 * contains argv[1]) on a freshly reset simulated machine and ends with
 * "N passed, N failed".  KEYHOLE_UNIT_VERBOSE=1 prints each test and the
 * core's log lines.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "test.h"

extern sigjmp_buf test_abort_jmp;

static struct unit_test *head, **tail = &head;
static int current_failed;

void test_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "    %s:%d: expected %s\n", file, line, expr);
	current_failed = 1;
}

/* One test on a fresh machine; a panic nobody expected aborts it (sim.c). */
static void run_one(struct unit_test *t)
{
	current_failed = 0;
	sim_reset();
	if (!sigsetjmp(test_abort_jmp, 1))
		t->fn();
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	bool verbose = getenv("KEYHOLE_UNIT_VERBOSE") != NULL;

	for (struct unit_test *t = head; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		if (verbose)
			fprintf(stderr, "  %s\n", t->name);
		run_one(t);
		if (current_failed) {
			fprintf(stderr, "FAIL: %s\n", t->name);
			failed++;
		} else {
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
