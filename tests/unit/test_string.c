/* keyhole's own string routines (lib/string.c, built here under kh_ names). */
#include <string.h>
#include "test.h"
#include <keyhole/types.h>

void *kh_memset(void *dst, int c, size_t n);
void *kh_memcpy(void *dst, const void *src, size_t n);
void *kh_memmove(void *dst, const void *src, size_t n);
int kh_memcmp(const void *a, const void *b, size_t n);
size_t kh_strlen(const char *s);
int kh_strcmp(const char *a, const char *b);
int kh_strncmp(const char *a, const char *b, size_t n);

TEST(string_memset_memcpy_aligned_and_not)
{
	static u64 a[64], b[64];
	u8 *pa = (u8 *)a, *pb = (u8 *)b;

	kh_memset(a, 0x5c, sizeof(a));
	for (unsigned int i = 0; i < sizeof(a); i++)
		EXPECT(pa[i] == 0x5c);
	kh_memset(pa + 3, 1, 10); /* unaligned: byte path */
	EXPECT(pa[2] == 0x5c && pa[3] == 1 && pa[12] == 1 && pa[13] == 0x5c);
	for (unsigned int i = 0; i < sizeof(a); i++)
		pa[i] = (u8)i;
	kh_memcpy(b, a, sizeof(a));
	EXPECT(memcmp(a, b, sizeof(a)) == 0);
	kh_memcpy(pb + 1, pa + 5, 17);
	EXPECT(memcmp(pb + 1, pa + 5, 17) == 0);
	EXPECT(pb[0] == 0);
}

TEST(string_memmove_overlaps)
{
	char s[32] = "abcdefghij";

	kh_memmove(s + 2, s, 8);
	EXPECT(memcmp(s, "ababcdefgh", 10) == 0);
	kh_memmove(s, s + 2, 8);
	EXPECT(memcmp(s, "abcdefghgh", 10) == 0);
}

TEST(string_compare_and_length)
{
	EXPECT_EQ(kh_strlen(""), 0);
	EXPECT_EQ(kh_strlen("keyhole"), 7);
	EXPECT(kh_strcmp("abc", "abc") == 0);
	EXPECT(kh_strcmp("abc", "abd") < 0);
	EXPECT(kh_strcmp("abd", "abc") > 0);
	EXPECT(kh_strcmp("ab", "abc") < 0);
	EXPECT(kh_strcmp("\xff", "a") > 0); /* compares as unsigned */
	EXPECT(kh_strncmp("loglevel=debug", "loglevel=", 9) == 0);
	EXPECT(kh_strncmp("abc", "abd", 2) == 0);
	EXPECT(kh_strncmp("a", "b", 0) == 0);
	EXPECT(kh_memcmp("abc", "abd", 3) < 0);
	EXPECT(kh_memcmp("abc", "abd", 2) == 0);
}
