/* SPDX-License-Identifier: MIT */
/*
 * Runs the exceptions suite, or with `fault=KIND` faults on purpose so that the
 * integration tests can check the report: null, write_rodata, exec_data, stack,
 * ud, div, gp, panic, assert.
 */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "kernel/printk.h"

static const int read_only = 7;

__attribute__((noinline)) static int fault_null_deref(void)
{
	return *(volatile int *)0;
}

__attribute__((noinline)) static void fault_write_rodata(void)
{
	*(volatile int *)&read_only = 8;
}

__attribute__((noinline)) static void fault_exec_data(void)
{
	static unsigned char code[16] = { 0xc3 }; /* ret, in a writable data page */

	((void (*)(void))(uintptr_t)code)();
}

static volatile int recursion_limit = 1 << 30; /* far deeper than any stack */

__attribute__((noinline)) static int fault_recurse(int depth)
{
	volatile char pad[512];

	pad[0] = (char)depth;
	if (depth >= recursion_limit)
		return 0;
	return fault_recurse(depth + 1) + pad[0];
}

__attribute__((noinline)) static void fault_invalid_opcode(void)
{
	__asm__ volatile("ud2");
}

__attribute__((noinline)) static int fault_divide(int d)
{
	int q;

	/* An idiv the compiler cannot fold or prove safe. */
	__asm__ volatile("cltd\n\tidivl %2" : "=a"(q) : "a"(100), "r"(d) : "edx");
	return q;
}

__attribute__((noinline)) static int fault_general_protection(void)
{
	return *(volatile int *)0x8000000000000000ull; /* non-canonical */
}

__attribute__((noinline)) static void fault_panic(void)
{
	panic("deliberate panic with value %d", 42);
}

__attribute__((noinline)) static void fault_assert(int x)
{
	KASSERT(x == 1);
}

int main(int argc, char **argv)
{
	const char *kind = toro_param("fault");

	(void)argc;
	(void)argv;
	if (!kind)
		return ktest_run_all();
	printf("faulting on purpose: %s\n", kind);
	if (!strcmp(kind, "null"))
		return fault_null_deref();
	if (!strcmp(kind, "write_rodata"))
		fault_write_rodata();
	if (!strcmp(kind, "exec_data"))
		fault_exec_data();
	if (!strcmp(kind, "stack"))
		return fault_recurse(0);
	if (!strcmp(kind, "ud"))
		fault_invalid_opcode();
	if (!strcmp(kind, "div"))
		return fault_divide(0);
	if (!strcmp(kind, "gp"))
		return fault_general_protection();
	if (!strcmp(kind, "panic"))
		fault_panic();
	if (!strcmp(kind, "assert"))
		fault_assert(argc + 1);
	printf("unknown fault kind %s\n", kind);
	return 2;
}
