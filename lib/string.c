/*
 * Memory and string routines.  Fills and copies, which dominate (zeroing
 * guest memory, scrubbing, copy_*_guest), use the x86 string instructions:
 * REP STOSQ / MOVSQ for whole words, REP STOSB / MOVSB for the rest.  They
 * are what the CPU optimises (fast-string microcode, ERMSB) and, under
 * Bochs, the shortest path in instructions.  No SSE: the hypervisor is built
 * -mgeneral-regs-only.
 *
 * In the hosted unit tests these are compiled under kh_ names (see
 * KEYHOLE_HOSTED below) so they never replace the C library's own.
 */
#include "string.h"

#ifdef KEYHOLE_HOSTED
/* Keep libc's (and ASan's) memcpy for the test harness itself. */
#define memset kh_memset
#define memcpy kh_memcpy
#define memmove kh_memmove
#define memcmp kh_memcmp
#define strlen kh_strlen
#define strcmp kh_strcmp
#define strncmp kh_strncmp
#endif

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	u64 w = 0x0101010101010101ULL * (u8)c;
	size_t words = n / 8, bytes = n % 8;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(w) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(w) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	const void *s = src;
	size_t words = n / 8, bytes = n % 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(bytes) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (u8)*a - (u8)*b;
	}
	return 0;
}
