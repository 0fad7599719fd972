/*
 * keyhole's command line: space-separated words, each "key" or "key=value".
 * Later words win, so an option can be overridden by appending it.
 */
#ifndef KEYHOLE_HV_CMDLINE_H
#define KEYHOLE_HV_CMDLINE_H

#include <keyhole/types.h>

/*
 * Finds the last "key=value" word for key in cmdline.  Returns the value (not
 * NUL-terminated: it ends at a space or the end) and its length in *len, or
 * NULL if no such word exists.
 */
const char *cmdline_value(const char *cmdline, const char *key, size_t *len);

/* True if the value found by cmdline_value() is exactly word. */
bool cmdline_value_is(const char *value, size_t len, const char *word);

/*
 * Parses a size: digits with an optional K, M or G suffix; a plain number is
 * MiB (guest_mem=64 is 64 MiB).  False for anything else or an overflow.
 */
bool cmdline_size(const char *value, size_t len, u64 *out);

/* Parses a plain decimal number (digits only).  False for anything else or an overflow. */
bool cmdline_number(const char *value, size_t len, u64 *out);

/* Is the bare word (no "=value") on the command line? */
bool cmdline_flag(const char *cmdline, const char *word);

/*
 * Copies a string a loader gave (at most src_max bytes, NUL-terminated there
 * or not) into dst of dst_size bytes, always terminating it.  Returns the
 * string's length at the source: dst_size or more means dst holds only its
 * start, and a caller refuses the line rather than use it cut.
 */
size_t cmdline_copy(char *dst, size_t dst_size, const char *src, size_t src_max);

#endif
