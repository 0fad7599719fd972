/*
 * The few string and memory routines the hypervisor needs.  keyhole is
 * freestanding (no libc); the hosted unit tests link these same functions in
 * place of libc's, so the hypervisor's copies are what the tests exercise.
 */
#ifndef KEYHOLE_STRING_H
#define KEYHOLE_STRING_H

#include <keyhole/types.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
