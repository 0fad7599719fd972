/*
 * keyhole's console (see console.h): a polled 16550 on COM1 and the debug
 * port 0xE9, one tagged line per call.
 *
 * The serial port is driven by polling with interrupts off at the UART:
 * keyhole takes no device interrupts of its own.  A port that never drains
 * makes keyhole drop characters, not hang.  Lines stay whole across CPUs
 * under a bounded lock (print_line()).
 */
#include <keyhole/spinlock.h>
#include "hv/runtime/console.h"
#include "lib/cmdline.h"
#include <x86/cpu.h>
#include <x86/uart16550.h>
#include "lib/printf.h"

#define CONSOLE_BAUD 115200

/* Bochs (port_e9_hack) and QEMU (-debugcon) print what is written here, and read back 0xE9. */
#define DEBUGCON_PORT 0xe9
#define DEBUGCON_READBACK 0xe9

static struct {
	bool serial;   /* COM1 answered the scratch-register probe */
	bool debugcon; /* port 0xE9 answered */
	enum log_level level;
} con = { .level = LOG_INFO };

static const char *const level_name[] = {
	[LOG_ERR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

static const char *const level_label[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "",
};

static void serial_init(void)
{
	con.serial = uart_init(COM1_BASE, CONSOLE_BAUD);
}

static void serial_put(char c)
{
	uart_putc(COM1_BASE, (u8)c);
}

static void raw_put(char c)
{
	if (con.serial) {
		/* Serial terminals want CR LF. */
		if (c == '\n')
			serial_put('\r');
		serial_put(c);
	}
	if (con.debugcon)
		outb(DEBUGCON_PORT, (u8)c);
}

static void raw_puts(const char *s)
{
	while (*s)
		raw_put(*s++);
}

void console_init(void)
{
	serial_init();
	con.debugcon = inb(DEBUGCON_PORT) == DEBUGCON_READBACK;
}

void console_flush(void)
{
	if (con.serial)
		uart_wait(COM1_BASE, UART_LSR_TEMT);
}

void console_configure(const char *cmdline)
{
	size_t len;
	const char *v = cmdline_value(cmdline, "loglevel", &len);

	if (!v)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(level_name); i++) {
		if (cmdline_value_is(v, len, level_name[i])) {
			con.level = (enum log_level)i;
			return;
		}
	}
	log_printf(LOG_WARN, LOG_TAG_HV, "unknown loglevel=%.*s (want error, warn, info or debug); keeping %s",
		   (int)len, v, level_name[con.level]);
}

enum log_level console_log_level(void)
{
	return con.level;
}

/* A line being printed: the prefix goes out before the first character of each line. */
struct line {
	const char *tag;
	const char *label;
	bool at_start;
};

static void line_put(void *ctx, char c)
{
	struct line *l = ctx;

	if (l->at_start) {
		raw_put('[');
		raw_puts(l->tag);
		raw_puts("] ");
		raw_puts(l->label);
		l->at_start = false;
	}
	raw_put(c);
	if (c == '\n')
		l->at_start = true;
}

/*
 * One line at a time across CPUs.  The wait is bounded: a CPU that faulted
 * while printing (its handler prints too) or stopped inside a line must not
 * silence the others, so after LINE_LOCK_SPINS a line goes out anyway.
 */
#define LINE_LOCK_SPINS 100000000UL
static u32 line_lock;

static void print_line(const char *tag, const char *label, const char *fmt, va_list ap)
{
	struct line l = { .tag = tag, .label = label, .at_start = true };
	bool locked = false;

	for (u64 i = 0; i < LINE_LOCK_SPINS && !locked; i++)
		if (!(locked = !__atomic_exchange_n(&line_lock, 1, __ATOMIC_ACQUIRE)))
			arch_spin_wait(); /* serves this CPU's shootdown: keyhole/spinlock.h says why */
	int n = vprintf_sink(line_put, &l, fmt, ap);

	/* End the line, unless the message did; an empty message still makes one. */
	if (!l.at_start || n == 0)
		line_put(&l, '\n');
	if (locked)
		__atomic_store_n(&line_lock, 0, __ATOMIC_RELEASE);
}

void log_vprintf(enum log_level level, const char *tag, const char *fmt, va_list ap)
{
	if (level > con.level)
		return;
	print_line(tag, level_label[level], fmt, ap);
}

void log_printf(enum log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, tag, fmt, ap);
	va_end(ap);
}

void console_vprintf_always(const char *tag, const char *label, const char *fmt, va_list ap)
{
	print_line(tag, label, fmt, ap);
}

void kh_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, LOG_TAG_HV, fmt, ap);
	va_end(ap);
}

void console_printf_always(const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_line(tag, "", fmt, ap);
	va_end(ap);
}
