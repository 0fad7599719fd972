/*
 * panic(): a broken invariant.  Prints "PANIC: ..." and stops the machine;
 * never used for what a caller could handle (that gets a negative errno).
 */
#ifndef KEYHOLE_PANIC_H
#define KEYHOLE_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
