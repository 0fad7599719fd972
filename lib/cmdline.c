/*
 * Parsing keyhole's command line (see cmdline.h).  The line comes from the
 * boot path, already copied into struct boot_info and NUL-terminated.
 */
#include "lib/cmdline.h"
#include "lib/string.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

const char *cmdline_value(const char *cmdline, const char *key, size_t *len)
{
	size_t key_len = strlen(key);
	const char *found = NULL;
	const char *p = cmdline;

	while (*p) {
		const char *word = p;

		while (*p && !is_space(*p))
			p++;
		if ((size_t)(p - word) > key_len && strncmp(word, key, key_len) == 0 &&
		    word[key_len] == '=') {
			found = word + key_len + 1;
			*len = p - found;
		}
		while (is_space(*p))
			p++;
	}
	return found;
}

bool cmdline_value_is(const char *value, size_t len, const char *word)
{
	return strlen(word) == len && strncmp(value, word, len) == 0;
}

bool cmdline_number(const char *value, size_t len, u64 *out)
{
	u64 n = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		u64 d = (u64)(value[i] - '0');

		if (value[i] < '0' || value[i] > '9' || n > (~0ULL - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

bool cmdline_size(const char *value, size_t len, u64 *out)
{
	u64 n = 0;
	size_t i = 0;

	for (; i < len && value[i] >= '0' && value[i] <= '9'; i++) {
		if (n > (~0ULL - 9) / 10)
			return false;
		n = n * 10 + (u64)(value[i] - '0');
	}
	if (i == 0)
		return false;
	unsigned int shift = 20; /* a plain number is MiB */
	if (i < len) {
		switch (value[i++]) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		default: return false;
		}
	}
	if (i != len || n > (~0ULL >> shift))
		return false;
	*out = n << shift;
	return true;
}

bool cmdline_flag(const char *cmdline, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cmdline; *p;) {
		const char *w = p;
		while (*p && !is_space(*p))
			p++;
		if ((size_t)(p - w) == n && strncmp(w, word, n) == 0)
			return true;
		while (is_space(*p))
			p++;
	}
	return false;
}

size_t cmdline_copy(char *dst, size_t dst_size, const char *src, size_t src_max)
{
	size_t n = 0;

	while (n < src_max && src[n] != '\0')
		n++;
	memcpy(dst, src, MIN(n, dst_size - 1));
	dst[MIN(n, dst_size - 1)] = '\0';
	return n;
}
