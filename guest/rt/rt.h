/*
 * What the guest runtime (crt0.S, syscalls.c, traps.c) offers the rest of
 * the guest beyond the C library.
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <keyhole/guest_boot.h>

/* This vCPU's boot-info block, the one keyhole passed it in RDI, or NULL if
 * it had none or a block with the wrong magic or version or inconsistent
 * vCPU numbers. */
const struct kh_guest_boot *kh_boot_info(void);

/* This vCPU's number, 0 .. kh_nr_vcpus() - 1 (0 without a boot block). */
unsigned int kh_vcpu_index(void);
/* How many vCPUs the guest has (its module line's vcpus=N; 1 without a block). */
unsigned int kh_nr_vcpus(void);

/*
 * What vCPU 1 and up run, once vCPU 0 has set up the runtime; its result is
 * that vCPU's exit status.  A program for several vCPUs provides it (vCPU 0
 * runs main()); without it the other vCPUs print a line and exit with 0.
 * Only vCPU 0 may use newlib's stdio or malloc: the others print with
 * kh_printf().
 */
int kh_vcpu_main(unsigned int index);

/* Raw console output, below stdio: no buffering, usable from a trap and
 * from every vCPU (each call's bytes stay together). */
void kh_console_write(const char *buf, size_t len);
/* The lock kh_console_write() takes, for output that must stay together
 * across calls; its holder may take it again. */
void kh_console_lock(void);
void kh_console_unlock(void);
/* A vCPU that is ending lets go of the lock, however deep it held it. */
void kh_console_drop(void);

/* printf for every vCPU, below stdio: integer conversions only (keyhole's
 * lib/printf.c), the whole output under the console lock. */
int kh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kh_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Installs handlers for the 32 architectural exception vectors (crt0.S calls
 * it on vCPU 0; vcpu.c has the others load the same IDT with
 * kh_traps_load()).  An exception prints its vector, error code and RIP and
 * ends the vCPU with status KH_EXIT_EXCEPTION(vector). */
void kh_traps_init(void);
void kh_traps_load(void);

#define KH_EXIT_EXCEPTION_BASE 0x100
#define KH_EXIT_EXCEPTION(vector) (KH_EXIT_EXCEPTION_BASE + (vector))

#endif
