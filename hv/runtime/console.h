/*
 * keyhole's console: log lines on COM1 (115200 8N1), mirrored to the
 * emulators' debug port 0xE9 when one answers.
 *
 * Every line starts with a tag naming who speaks, "[keyhole] " for the
 * hypervisor, "[guest0] " for a guest's output, and one call is one line:
 * the console ends it (a message may carry its own '\n's; each following line
 * gets the tag again).  Errors and warnings are marked "error: " and
 * "warning: " after the tag.  Lines above the log level are dropped; the
 * level comes from the command line, loglevel=error|warn|info|debug
 * (default info).
 *
 * kh_log() (include/keyhole/log.h), the core's logging call, is log_printf()
 * with the tag "keyhole".
 */
#ifndef KEYHOLE_HV_CONSOLE_H
#define KEYHOLE_HV_CONSOLE_H

#include <stdarg.h>

#include <keyhole/log.h>
#include <keyhole/types.h>

#define LOG_TAG_HV "keyhole"

/* Brings up the serial port.  The boot path calls it first, before anything can log. */
void console_init(void);

/* Waits until everything written has left the serial port: before the machine stops. */
void console_flush(void);

/* Applies the console options of keyhole's command line (loglevel=). */
void console_configure(const char *cmdline);

enum log_level console_log_level(void);

void log_printf(enum log_level level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vprintf(enum log_level level, const char *tag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * One line, whatever the log level, marked with label instead of a level
 * ("PANIC: ").  For the last words of a stopping machine.
 */
void console_vprintf_always(const char *tag, const char *label, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* One line with no label, whatever the log level: a guest's own console output. */
void console_printf_always(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
