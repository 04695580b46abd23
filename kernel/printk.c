/* SPDX-License-Identifier: MIT */
/*
 * printk writes straight to the console through lib/fmt's sink interface: no
 * buffer to overflow, and usable from an exception handler.
 */
#include "kernel/printk.h"

#include "lib/fmt.h"
#include "platform/platform.h"

void console_write(const char *s, size_t n)
{
	plat_uart_write(s, n);
}

static void console_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(s, n);
}

int vprintk(const char *fmt, va_list ap)
{
	return fmt_vformat(console_sink, NULL, fmt, ap);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

/* The application's printf is the kernel's printk: one console, one formatter. */
int printf(const char *fmt, ...) __attribute__((alias("printk")));
int vprintf(const char *fmt, va_list ap) __attribute__((alias("vprintk")));
