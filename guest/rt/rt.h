/*
 * What the guest runtime (crt0.S, syscalls.c, traps.c) offers the rest of
 * the guest beyond the C library.
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stddef.h>
#include <stdint.h>

#include <keyhole/guest_boot.h>

/* The boot-info block keyhole passed in RDI, or NULL if it had none or a
 * block with the wrong magic or version. */
const struct kh_guest_boot *kh_boot_info(void);

/* Raw console output, below stdio: no buffering, usable from a trap. */
void kh_console_write(const char *buf, size_t len);

/* Installs handlers for the 32 architectural exception vectors (crt0.S calls
 * it).  An exception prints its vector, error code and RIP and ends the
 * guest with status KH_EXIT_EXCEPTION(vector). */
void kh_traps_init(void);

#define KH_EXIT_EXCEPTION_BASE 0x100
#define KH_EXIT_EXCEPTION(vector) (KH_EXIT_EXCEPTION_BASE + (vector))

#endif
