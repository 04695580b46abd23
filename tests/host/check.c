/* SPDX-License-Identifier: MIT */
/* Runs the tests registered by TEST() in registration order. */
#include "tests/host/check.h"

#include <stdarg.h>
#include <stdlib.h>

static struct check_test *check_head, **check_tail = &check_head;
static int check_failed_now;

void check_register(struct check_test *t)
{
	*check_tail = t;
	check_tail = &t->next;
}

void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	check_failed_now = 1;
}

int main(void)
{
	int n = 0, passed = 0, failed = 0;

	for (struct check_test *t = check_head; t; t = t->next) {
		check_failed_now = 0;
		t->fn();
		n++;
		if (check_failed_now)
			failed++;
		else
			passed++;
		printf("%s %d %s\n", check_failed_now ? "not ok" : "ok", n, t->name);
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
