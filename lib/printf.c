/*
 * A small printf for the hypervisor.  Output goes to a sink one character at
 * a time, so the console can stream a line without a buffer (and without a
 * length limit); vsnprintf is the same engine with a sink that fills memory.
 *
 * Arguments are read through a va_copy so they can be passed down by
 * pointer: a va_list parameter is an array on x86-64, and taking its address
 * does not give a va_list *.
 */
#include "lib/printf.h"

enum {
	FLAG_LEFT = 1 << 0, /* '-' */
	FLAG_ZERO = 1 << 1, /* '0' */
	FLAG_ALT = 1 << 2,  /* '#' */
};

enum length { LEN_DEFAULT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

struct spec {
	unsigned int flags;
	int width;     /* 0: none */
	int precision; /* -1: none */
	enum length length;
};

struct out {
	printf_sink_fn sink;
	void *ctx;
	int count;
};

/* 64 bits in base 8 take 22 digits; decimal and hex fewer. */
#define DIGITS_MAX 24

static void put(struct out *o, char c)
{
	o->sink(o->ctx, c);
	o->count++;
}

static void put_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s)
{
	while (*s)
		put(o, *s++);
}

static void put_string(struct out *o, const char *s, const struct spec *sp)
{
	int len = 0;

	if (!s)
		s = "(null)";
	while (s[len] && (sp->precision < 0 || len < sp->precision))
		len++;
	if (!(sp->flags & FLAG_LEFT))
		put_repeat(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->flags & FLAG_LEFT)
		put_repeat(o, ' ', sp->width - len);
}

/* Layout of a number: [spaces] [prefix] [zeros] digits [spaces]. */
static void put_number(struct out *o, u64 v, bool negative, unsigned int base, bool upper,
		       const char *prefix, const struct spec *sp)
{
	const char *digit = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[DIGITS_MAX];
	int n = 0, prefix_len, zeros, pad;

	if (negative)
		prefix = "-";
	/* C: a zero precision prints no digits for zero. */
	if (!(v == 0 && sp->precision == 0)) {
		do {
			buf[n++] = digit[v % base];
			v /= base;
		} while (v);
	}
	prefix_len = 0;
	while (prefix[prefix_len])
		prefix_len++;

	zeros = sp->precision > n ? sp->precision - n : 0;
	if ((sp->flags & FLAG_ZERO) && !(sp->flags & FLAG_LEFT) && sp->precision < 0)
		zeros = MAX(zeros, sp->width - prefix_len - n);
	pad = sp->width - prefix_len - zeros - n;

	if (!(sp->flags & FLAG_LEFT))
		put_repeat(o, ' ', pad);
	put_str(o, prefix);
	put_repeat(o, '0', zeros);
	while (n)
		put(o, buf[--n]);
	if (sp->flags & FLAG_LEFT)
		put_repeat(o, ' ', pad);
}

static s64 arg_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
	case LEN_SIZE:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	default:
		return va_arg(*ap, int);
	}
}

static u64 arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int parse_int(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/* Parses flags, width, precision and length after a '%'; *p ends on the conversion. */
static void parse_spec(const char **p, struct spec *sp, va_list *ap)
{
	for (;; (*p)++) {
		if (**p == '-')
			sp->flags |= FLAG_LEFT;
		else if (**p == '0')
			sp->flags |= FLAG_ZERO;
		else if (**p == '#')
			sp->flags |= FLAG_ALT;
		else
			break;
	}

	if (**p == '*') {
		(*p)++;
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->flags |= FLAG_LEFT;
			sp->width = -sp->width;
		}
	} else {
		sp->width = parse_int(p);
	}

	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			(*p)++;
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0)
				sp->precision = -1;
		} else {
			sp->precision = parse_int(p);
		}
	}

	switch (**p) {
	case 'h':
		(*p)++;
		sp->length = LEN_SHORT;
		if (**p == 'h') {
			(*p)++;
			sp->length = LEN_CHAR;
		}
		break;
	case 'l':
		(*p)++;
		sp->length = LEN_LONG;
		if (**p == 'l') {
			(*p)++;
			sp->length = LEN_LLONG;
		}
		break;
	case 'z':
		(*p)++;
		sp->length = LEN_SIZE;
		break;
	}
}

int vprintf_sink(printf_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { .sink = sink, .ctx = ctx, .count = 0 };
	va_list args;

	va_copy(args, ap);
	for (const char *p = fmt; *p; p++) {
		const char *start = p;
		struct spec sp = { .precision = -1 };
		s64 sv;

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		parse_spec(&p, &sp, &args);
		switch (*p) {
		case 'd':
		case 'i':
			sv = arg_signed(&args, sp.length);
			put_number(&o, sv < 0 ? -(u64)sv : (u64)sv, sv < 0, 10, false, "", &sp);
			break;
		case 'u':
			put_number(&o, arg_unsigned(&args, sp.length), false, 10, false, "", &sp);
			break;
		case 'x':
		case 'X': {
			u64 v = arg_unsigned(&args, sp.length);
			bool upper = *p == 'X';

			/* As in C, '#' adds no prefix to zero. */
			put_number(&o, v, false, 16, upper,
				   (sp.flags & FLAG_ALT) && v ? (upper ? "0X" : "0x") : "", &sp);
			break;
		}
		case 'p':
			/* Full width, so addresses line up in dumps. */
			sp.flags = (sp.flags & FLAG_LEFT) | FLAG_ZERO;
			sp.width = 2 + 16;
			sp.precision = -1;
			put_number(&o, (u64)(uintptr_t)va_arg(args, void *), false, 16, false, "0x", &sp);
			break;
		case 's':
			put_string(&o, va_arg(args, const char *), &sp);
			break;
		case 'c': {
			char c = (char)va_arg(args, int);

			if (!(sp.flags & FLAG_LEFT))
				put_repeat(&o, ' ', sp.width - 1);
			put(&o, c);
			if (sp.flags & FLAG_LEFT)
				put_repeat(&o, ' ', sp.width - 1);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			while (start < p)
				put(&o, *start++);
			p--;
			break;
		default:
			while (start <= p)
				put(&o, *start++);
			break;
		}
	}
	va_end(args);
	return o.count;
}

struct buf_sink {
	char *buf;
	size_t size;
	size_t pos;
};

static void buf_put(void *ctx, char c)
{
	struct buf_sink *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { .buf = buf, .size = size, .pos = 0 };
	int n = vprintf_sink(buf_put, &b, fmt, ap);

	if (size)
		buf[MIN(b.pos, size - 1)] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
