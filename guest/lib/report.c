/*
 * The in-guest test framework (report.h): counts checks and prints one line
 * per check and a closing summary.
 *
 * Lines are complete before they reach the console, so keyhole's per-line
 * tagging of guest output never splits a result: vCPU 0 prints through
 * newlib's stdio (stdout is line-buffered and each report ends in a
 * newline), every other vCPU through kh_printf() under the console lock,
 * since newlib is vCPU 0's alone.  Each vCPU keeps its own tally and closes
 * with its own summary.
 */
#include <stdarg.h>
#include <stdio.h>

#include <keyhole/guest_boot.h>

#include "report.h"
#include "rt.h"

static unsigned int passed[KH_GUEST_VCPUS_MAX], failed[KH_GUEST_VCPUS_MAX], skipped[KH_GUEST_VCPUS_MAX];

static void report_line(const char *tag, const char *fmt, va_list ap)
{
	if (kh_vcpu_index() == 0) {
		printf("%s: ", tag);
		vprintf(fmt, ap);
		putchar('\n');
		return;
	}
	kh_console_lock();
	kh_printf("%s: ", tag);
	kh_vprintf(fmt, ap);
	kh_printf("\n");
	kh_console_unlock();
}

bool report(bool ok, const char *fmt, ...)
{
	unsigned int v = kh_vcpu_index();
	va_list ap;

	if (ok)
		passed[v]++;
	else
		failed[v]++;
	va_start(ap, fmt);
	report_line(ok ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	return ok;
}

void report_skip(const char *fmt, ...)
{
	va_list ap;

	skipped[kh_vcpu_index()]++;
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
	unsigned int v = kh_vcpu_index();

	if (v != 0) {
		kh_console_lock();
		kh_printf("%u passed, %u failed", passed[v], failed[v]);
		if (skipped[v])
			kh_printf(", %u skipped", skipped[v]);
		kh_printf("\n");
		kh_console_unlock();
		return (int)failed[v];
	}
	printf("%u passed, %u failed", passed[v], failed[v]);
	if (skipped[v])
		printf(", %u skipped", skipped[v]);
	printf("\n");
	fflush(stdout);
	return (int)failed[v];
}
