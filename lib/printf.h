/*
 * keyhole's formatted printing: integer conversions only, no floating point
 * (the hypervisor is built without SSE/x87).
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with the flags '-' (left-justify),
 * '0' (zero pad), '#' (0x prefix for %x), a field width and a precision
 * (both may be '*'), and the lengths hh h l ll z.  An unknown conversion is
 * printed as written, so a mistake shows in the output rather than
 * consuming an argument.
 */
#ifndef KEYHOLE_LIB_PRINTF_H
#define KEYHOLE_LIB_PRINTF_H

#include <stdarg.h>

#include <keyhole/types.h>

/* Receives the output one character at a time. */
typedef void (*printf_sink_fn)(void *ctx, char c);

/* Formats into sink; returns the number of characters produced. */
int vprintf_sink(printf_sink_fn sink, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * C99 semantics: writes at most size - 1 characters and a NUL (when size > 0)
 * and returns the length the whole output would have had.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
