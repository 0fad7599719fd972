/*
 * A tiny host unit-test framework.
 *
 *   TEST(frames_alloc_basic) { ... EXPECT(x == 1); EXPECT_EQ(a, b); ... }
 *
 * Each TEST registers itself (a constructor); the runner (tests/unit/main.c)
 * runs them all, or those whose name contains argv[1], resets the simulated
 * machine before each, and ends with "N passed, N failed".  A failed EXPECT
 * prints file:line and the expression and marks the test failed; the test goes
 * on, so one run shows every broken assertion.
 */
#ifndef KEYHOLE_TEST_H
#define KEYHOLE_TEST_H

#include <stdint.h>
#include <stdio.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void test_register(struct unit_test *t);
void test_fail(const char *file, int line, const char *expr);
/* Runs fn; returns 1 if it called panic(), 0 if it returned normally. */
int test_expect_panic(void (*fn)(void *), void *arg);

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	static struct unit_test test_desc_##name = { #name, test_##name, 0 }; \
	__attribute__((constructor)) static void test_reg_##name(void)      \
	{                                                                   \
		test_register(&test_desc_##name);                           \
	}                                                                   \
	static void test_##name(void)

#define EXPECT(c)                                                   \
	do {                                                        \
		if (!(c))                                           \
			test_fail(__FILE__, __LINE__, #c);          \
	} while (0)

#define EXPECT_EQ(a, b)                                                         \
	do {                                                                    \
		long long _a = (long long)(a), _b = (long long)(b);             \
		if (_a != _b) {                                                 \
			char _m[256];                                           \
			snprintf(_m, sizeof(_m), "%s == %s (%lld != %lld, 0x%llx != 0x%llx)", \
				 #a, #b, _a, _b, (unsigned long long)_a, (unsigned long long)_b); \
			test_fail(__FILE__, __LINE__, _m);                      \
		}                                                               \
	} while (0)

/* One xorshift64 step (13, 7, 17): the tests' repeatable pseudo-random numbers, from a state each test seeds (not 0). */
static inline uint64_t test_xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

#endif
