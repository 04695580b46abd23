/* SPDX-License-Identifier: MIT */
/* Kernel log output and the fatal-error path. */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);
void console_write(const char *s, size_t n);
/* From now on the console is the UART only (panics and exception reports). */
void console_panic(void);
/* Holds the console across several printk calls (a report), re-entrant per CPU. */
void console_lock(void);
void console_unlock(void);

/*
 * Fatal conditions: prints "panic: file:line: message", the registers and a
 * symbolized backtrace, then ends the VM with exit code 70.
 */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Programming errors; on in every build for now (the kernel is small). */
#define KASSERT(e)                                         \
	do {                                               \
		if (!(e))                                  \
			panic("assertion failed: %s", #e); \
	} while (0)

#endif
