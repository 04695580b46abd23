/* SPDX-License-Identifier: MIT */
/* What exception reports are built from: the symbol table and frame walking. The
 * reports themselves are checked by tests/integration (faults end the VM). */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "arch/x86_64/arch.h"
#include "kernel/ksyms.h"

KTEST(exceptions, symbol_lookup_names_function)
{
	uintptr_t off = 99;
	size_t size = 0;
	const char *name = ksyms_lookup((uintptr_t)toro_exit + 3, &off, &size);

	KEXPECT_STREQ(name, "toro_exit");
	KEXPECT_EQ(off, 3);
	KEXPECT_GT(size, 3);
}

KTEST(exceptions, symbol_address_by_name)
{
	KEXPECT_EQ(ksyms_address("ktest_run_all"), (uintptr_t)ktest_run_all);
	KEXPECT_EQ(ksyms_address("no_such_function"), 0);
}

KTEST(exceptions, lookup_outside_text_fails)
{
	static int data;
	uintptr_t off;
	size_t size;

	KEXPECT_NULL(ksyms_lookup((uintptr_t)&data, &off, &size));
	KEXPECT_NULL(ksyms_lookup(0, &off, &size));
}

KTEST(exceptions, format_symbol)
{
	char buf[64];

	ksyms_format((uintptr_t)toro_exit + 0x10, buf, sizeof(buf));
	KEXPECT_EQ(strncmp(buf, "toro_exit+0x10/0x", 17), 0);
	ksyms_format(0x10, buf, sizeof(buf));
	KEXPECT_STREQ(buf, "?");
}

static __attribute__((noinline, noclone)) size_t inner(uintptr_t *frames, size_t max)
{
	size_t n = arch_backtrace(frames, max);

	__asm__ volatile("" ::: "memory"); /* keep this a real call, not a tail call */
	return n;
}

static __attribute__((noinline, noclone)) size_t outer(uintptr_t *frames, size_t max)
{
	size_t n = inner(frames, max);

	__asm__ volatile("" ::: "memory");
	return n;
}

KTEST(exceptions, backtrace_walks_callers)
{
	uintptr_t frames[16], off;
	size_t size, n = outer(frames, 16);
	const char *names[3] = { 0 };

	KEXPECT_GE(n, 4); /* inner <- outer <- this test <- the runner ... */
	for (size_t i = 0; i < 3 && i < n; i++)
		names[i] = ksyms_lookup(frames[i] - 1, &off, &size);
	KEXPECT_STREQ(names[0], "inner");
	KEXPECT_STREQ(names[1], "outer");
	KEXPECT_STREQ(names[2], "ktest_fn_exceptions_backtrace_walks_callers");
}
