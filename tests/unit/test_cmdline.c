/* keyhole's command-line parsing (lib/cmdline.c). */
#include <string.h>
#include "lib/cmdline.h"
#include "test.h"

TEST(cmdline_last_word_wins)
{
	size_t len;
	const char *v = cmdline_value("loglevel=info guest_mem=32M loglevel=debug", "loglevel", &len);

	EXPECT(v && cmdline_value_is(v, len, "debug"));
	EXPECT(cmdline_value("loglevelx=1 log=2", "loglevel", &len) == NULL);
	EXPECT(cmdline_value("", "loglevel", &len) == NULL);
	v = cmdline_value("audit=entry", "audit", &len);
	EXPECT(v && cmdline_value_is(v, len, "entry") && !cmdline_value_is(v, len, "entr"));
}

TEST(cmdline_sizes)
{
	u64 n;

	EXPECT(cmdline_size("64", 2, &n) && n == 64ULL << 20);
	EXPECT(cmdline_size("64M", 3, &n) && n == 64ULL << 20);
	EXPECT(cmdline_size("2g", 2, &n) && n == 2ULL << 30);
	EXPECT(cmdline_size("512K", 4, &n) && n == 512ULL << 10);
	EXPECT(!cmdline_size("", 0, &n));
	EXPECT(!cmdline_size("M", 1, &n));
	EXPECT(!cmdline_size("64MB", 4, &n));
	EXPECT(!cmdline_size("-1", 2, &n));
	EXPECT(!cmdline_size("99999999999999999999", 20, &n));
	EXPECT(!cmdline_size("17179869184G", 12, &n)); /* 2^34 GiB overflows */
}

TEST(cmdline_flags)
{
	EXPECT(cmdline_flag("loglevel=info selftest", "selftest"));
	EXPECT(cmdline_flag("selftest audit=entry", "selftest"));
	EXPECT(!cmdline_flag("selftests", "selftest"));
	EXPECT(!cmdline_flag("selftest=1", "selftest"));
	EXPECT(!cmdline_flag("", "selftest"));
}

/* A loader's string into a boot_info field: the length it had, so a caller can refuse a cut one. */
TEST(cmdline_copy_reports_the_length_given)
{
	char dst[8];
	static const char unterminated[4] = { 'a', 'b', 'c', 'd' };

	memset(dst, 'x', sizeof(dst));
	EXPECT_EQ(cmdline_copy(dst, sizeof(dst), "guest", 64), 5);
	EXPECT(strcmp(dst, "guest") == 0);
	EXPECT_EQ(cmdline_copy(dst, sizeof(dst), "1234567", 64), 7); /* exactly fits */
	EXPECT(strcmp(dst, "1234567") == 0);
	EXPECT_EQ(cmdline_copy(dst, sizeof(dst), "12345678", 64), 8); /* one over: only its start kept */
	EXPECT(strcmp(dst, "1234567") == 0);
	EXPECT_EQ(cmdline_copy(dst, sizeof(dst), "linux console=ttyS0", 64), 19);
	EXPECT(strcmp(dst, "linux c") == 0);
	EXPECT_EQ(cmdline_copy(dst, sizeof(dst), unterminated, sizeof(unterminated)), 4); /* the tag's end bounds it */
	EXPECT(strcmp(dst, "abcd") == 0);
	EXPECT_EQ(cmdline_copy(dst, sizeof(dst), "", 64), 0);
	EXPECT_EQ(dst[0], '\0');
}

TEST(cmdline_numbers)
{
	u64 n;

	EXPECT(cmdline_number("0", 1, &n) && n == 0);
	EXPECT(cmdline_number("400", 3, &n) && n == 400);
	EXPECT(cmdline_number("18446744073709551615", 20, &n) && n == ~0ULL);
	EXPECT(!cmdline_number("", 0, &n));
	EXPECT(!cmdline_number("40M", 3, &n));
	EXPECT(!cmdline_number("-1", 2, &n));
	EXPECT(!cmdline_number("18446744073709551616", 20, &n)); /* 2^64 */
}
