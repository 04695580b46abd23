/* SPDX-License-Identifier: MIT */
/*
 * Freestanding formatted output: the printf family without a C library. Supported:
 * %d %i %u %x %X %o %p %s %c %%, the length modifiers hh h l ll z j t, the flags
 * '-' '0' '+' ' ' '#', a field width and a precision (both also as '*').
 */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text piece by piece. */
typedef void (*fmt_sink)(void *ctx, const char *s, size_t n);

/* Formats into a sink; returns the number of characters produced. */
int fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap);

/*
 * snprintf semantics: writes at most size-1 characters plus a NUL (nothing when
 * size is 0) and returns the length the whole output would have had.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
