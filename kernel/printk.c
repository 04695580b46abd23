/* SPDX-License-Identifier: MIT */
/*
 * printk writes straight to the console through lib/fmt's sink interface: no
 * buffer to overflow, and usable from an exception handler. A lock keeps the
 * lines of different CPUs apart; it is re-entrant on its CPU (an exception inside
 * printk still reports), and a CPU waits only so long for it (a CPU that stopped
 * while holding it must not silence the others' reports).
 */
#include "kernel/printk.h"

#include <stdatomic.h>

#include "arch/x86_64/cpu.h"
#include "drivers/virtio/console.h"
#include "kernel/percpu.h"
#include "lib/fmt.h"
#include "platform/platform.h"

#define CONSOLE_SPINS 100000000 /* about a second of waiting, then print anyway */

static _Atomic int console_owner = -1; /* CPU holding the console, -1 if none */
static int console_depth; /* nesting on the owner CPU */

void console_lock(void)
{
	int me = pcpu_id(), none = -1;

	if (atomic_load_explicit(&console_owner, memory_order_relaxed) == me) {
		console_depth++;
		return;
	}
	for (long i = 0; i < CONSOLE_SPINS; i++) {
		if (atomic_compare_exchange_weak_explicit(&console_owner, &none, me,
							  memory_order_acquire,
							  memory_order_relaxed)) {
			console_depth = 1;
			return;
		}
		none = -1;
		cpu_relax();
	}
	atomic_store(&console_owner, me); /* take it over */
	console_depth = 1;
}

void console_unlock(void)
{
	if (--console_depth == 0)
		atomic_store_explicit(&console_owner, -1, memory_order_release);
}

static bool uart_only; /* a panic: the UART, which needs nothing else to work */

void console_write(const char *s, size_t n)
{
	if (vcon_active() && !uart_only)
		vcon_write(s, n);
	else
		plat_uart_write(s, n);
}

void console_panic(void)
{
	uart_only = true;
}

static void console_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(s, n);
}

int vprintk(const char *fmt, va_list ap)
{
	int n;

	console_lock();
	n = fmt_vformat(console_sink, NULL, fmt, ap);
	console_unlock();
	return n;
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
