/* SPDX-License-Identifier: MIT */
#include "kernel/printk.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "debug/gdb.h"
#include "platform/platform.h"

static int panicking;

_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	cli();
	if (panicking++)
		plat_exit(TORO_EXIT_PANIC); /* a panic while panicking: just stop */
	console_lock(); /* the whole report in one piece; never released */
	console_panic();
	printk("\npanic: %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	struct trap_frame f;

	arch_capture_registers(&f);
	arch_print_registers(&f);
	/* Start at the caller of panic_at, whose frame our saved rbp points to. */
	arch_backtrace_print((uintptr_t)__builtin_return_address(0) - 1,
			     *(const uintptr_t *)__builtin_frame_address(0), 0);
	gdb_fatal(&f, true); /* SIGABRT in gdb, if one is attached or gdb=crash */
	gdb_exit(TORO_EXIT_PANIC);
	plat_exit(TORO_EXIT_PANIC);
}
