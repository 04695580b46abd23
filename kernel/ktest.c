/* SPDX-License-Identifier: MIT */
/*
 * The in-guest KTAP runner. Output shape (one subtest per suite):
 *
 *	KTAP version 1
 *	1..<suites>
 *	  KTAP version 1
 *	  # Subtest: <suite>
 *	  1..<tests>
 *	  ok 1 <test>
 *	  # file.c:12: expected a == b (a=1, b=2)
 *	  not ok 2 <test>
 *	not ok 1 <suite>
 *	# Totals: pass:1 fail:1 skip:0
 *
 * Diagnostics come before the result line they belong to, as kselftest does.
 */
#include "toro/ktest.h"

#include <stdarg.h>
#include <stdint.h>

#include "kernel/printk.h"
#include "lib/kstring.h"
#include "toro/toro.h"

extern const struct ktest __ktest_start[], __ktest_end[];

enum ktest_state { KTEST_PASS, KTEST_FAIL, KTEST_SKIP };

static enum ktest_state state;
static const char *skip_reason;

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printk("  # %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	state = KTEST_FAIL;
}

void ktest_skip(const char *reason)
{
	if (state == KTEST_PASS) {
		state = KTEST_SKIP;
		skip_reason = reason;
	}
}

bool ktest_failed(void)
{
	return state == KTEST_FAIL;
}

/* Runs one test and checks that it gave back every block and page it took. */
static enum ktest_state run_one(const struct ktest *t)
{
	struct toro_memstats before, after;

	state = KTEST_PASS;
	toro_memstats(&before);
	t->fn();
	toro_memstats(&after);
	if (state != KTEST_SKIP && (after.heap_blocks != before.heap_blocks ||
				    after.pages_used != before.pages_used))
		ktest_fail(
			__FILE__, __LINE__,
			"test leaked memory (heap blocks %zu -> %zu, pages %zu -> %zu)",
			before.heap_blocks, after.heap_blocks, before.pages_used,
			after.pages_used);
	return state;
}

/* The linker section holds the tests back to back. */
static size_t ktest_count(void)
{
	return ((uintptr_t)__ktest_end - (uintptr_t)__ktest_start) / sizeof(struct ktest);
}

static bool first_of_suite(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(__ktest_start[j].suite, __ktest_start[i].suite) == 0)
			return false;
	return true;
}

int ktest_run_all(void)
{
	const struct ktest *all = __ktest_start;
	size_t count = ktest_count();
	int nsuites = 0, suite_no = 0, pass = 0, fail = 0, skip = 0;

	for (size_t i = 0; i < count; i++)
		nsuites += first_of_suite(i);
	printk("KTAP version 1\n1..%d\n", nsuites);
	for (size_t s = 0; s < count; s++) {
		const char *suite = all[s].suite;
		int n = 0, i = 0, failed = 0;

		if (!first_of_suite(s))
			continue;
		for (size_t t = s; t < count; t++)
			n += strcmp(all[t].suite, suite) == 0;
		printk("  KTAP version 1\n  # Subtest: %s\n  1..%d\n", suite, n);
		for (size_t t = s; t < count; t++) {
			if (strcmp(all[t].suite, suite) != 0)
				continue;
			switch (run_one(&all[t])) {
			case KTEST_PASS:
				printk("  ok %d %s\n", ++i, all[t].name);
				pass++;
				break;
			case KTEST_SKIP:
				printk("  ok %d %s # SKIP %s\n", ++i, all[t].name,
				       skip_reason);
				skip++;
				break;
			case KTEST_FAIL:
				printk("  not ok %d %s\n", ++i, all[t].name);
				fail++;
				failed++;
				break;
			}
		}
		printk("%s %d %s\n", failed ? "not ok" : "ok", ++suite_no, suite);
	}
	printk("# Totals: pass:%d fail:%d skip:%d\n", pass, fail, skip);
	return fail ? 1 : 0;
}
