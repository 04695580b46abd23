/* SPDX-License-Identifier: MIT */
/* The console half of the small C library applications get (the heap is in kmem,
 * printf in printk.c). */
#include "kernel/printk.h"
#include "lib/fmt.h"
#include "lib/kstring.h"
#include "toro/toro.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return fmt_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int puts(const char *s)
{
	console_lock();
	console_write(s, strlen(s));
	console_write("\n", 1);
	console_unlock();
	return 0;
}

int putchar(int c)
{
	char ch = (char)c;

	console_lock();
	console_write(&ch, 1);
	console_unlock();
	return (unsigned char)c;
}
