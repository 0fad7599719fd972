/*
 * kh_printf(): formatted console output that any vCPU may use, beside
 * newlib's stdio, which only vCPU 0 may (vcpu.c says why).
 *
 * The formatter is keyhole's own (lib/printf.c, integer conversions only),
 * built into the guest under other names for its vsnprintf and snprintf so
 * that newlib's keep theirs.  It keeps no state: the output goes through a
 * small buffer on the caller's stack to kh_console_write(), all of it under
 * the console lock, so that a line is never interleaved with another vCPU's.
 */
#include <stdarg.h>
#include <stddef.h>

#include "lib/printf.h"
#include "rt.h"

#define PRINT_CHUNK 128

struct print_buf {
	char buf[PRINT_CHUNK];
	size_t len;
};

static void print_put(void *ctx, char c)
{
	struct print_buf *p = ctx;

	if (p->len == sizeof(p->buf)) {
		kh_console_write(p->buf, p->len);
		p->len = 0;
	}
	p->buf[p->len++] = c;
}

int kh_vprintf(const char *fmt, va_list ap)
{
	struct print_buf p = { .len = 0 };
	int n;

	kh_console_lock();
	n = vprintf_sink(print_put, &p, fmt, ap);
	kh_console_write(p.buf, p.len);
	kh_console_unlock();
	return n;
}

int kh_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kh_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
