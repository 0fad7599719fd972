/*
 * The in-guest test framework (report.h): counts checks and prints one line
 * per check and a closing summary, through newlib's stdio.
 *
 * Lines are complete before they reach the console (stdout is line-buffered
 * and each report ends in a newline), so keyhole's per-line tagging of guest
 * output never splits a result.
 */
#include <stdarg.h>
#include <stdio.h>

#include "report.h"

static unsigned int passed, failed, skipped;

static void report_line(const char *tag, const char *fmt, va_list ap)
{
	printf("%s: ", tag);
	vprintf(fmt, ap);
	putchar('\n');
}

bool report(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		passed++;
	else
		failed++;
	va_start(ap, fmt);
	report_line(ok ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	return ok;
}

void report_skip(const char *fmt, ...)
{
	va_list ap;

	skipped++;
	va_start(ap, fmt);
	report_line("SKIP", fmt, ap);
	va_end(ap);
}

void report_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_line("INFO", fmt, ap);
	va_end(ap);
}

int report_summary(void)
{
	printf("%u passed, %u failed", passed, failed);
	if (skipped)
		printf(", %u skipped", skipped);
	printf("\n");
	fflush(stdout);
	return (int)failed;
}
