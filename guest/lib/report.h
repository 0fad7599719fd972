/*
 * The in-guest test framework, after kvm-unit-tests' lib/report.c.
 *
 *	report(value == expected, "hypercall nop returns 0");
 *	...
 *	return report_summary();
 *
 * Each check prints one line, "PASS: name" or "FAIL: name" ("SKIP: name"
 * for report_skip); report_summary() prints the closing line
 * "N passed, N failed" (", N skipped" appended only when something was
 * skipped) and returns the number of failures, which main() returns and the
 * runtime hands to keyhole as the guest's exit status.  The harness reading
 * the serial log judges a run by that line.
 *
 * Every vCPU may report; each has its own tally and closing line.  On vCPUs
 * other than 0 the messages are formatted by kh_printf() (rt.h): integer
 * conversions, %s, %c and %p only.
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include <stdbool.h>

/* Records one check; returns ok so a caller can skip dependent checks. */
bool report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a check that could not run, with the reason in the message. */
void report_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line of context, not counted: "INFO: ...". */
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the closing line; returns the number of failed checks. */
int report_summary(void);

#endif
