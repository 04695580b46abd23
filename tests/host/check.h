/* SPDX-License-Identifier: MIT */
/*
 * A small harness for host unit tests. Each file defines tests with TEST(name) and
 * checks with CHECK*; check.c runs them all, prints one `ok`/`not ok` line per test
 * and ends with `N passed, N failed`. A failed check prints file:line and the values.
 */
#ifndef TESTS_HOST_CHECK_H
#define TESTS_HOST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct check_test {
	const char *name; /* shown in the ok/not ok line */
	void (*fn)(void); /* the test body */
	struct check_test *next; /* registration list */
};

void check_register(struct check_test *t);
void check_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)                                                           \
	static void test_##name(void);                                       \
	static struct check_test check_t_##name = { #name, test_##name, 0 }; \
	__attribute__((constructor)) static void check_reg_##name(void)      \
	{                                                                    \
		check_register(&check_t_##name);                             \
	}                                                                    \
	static void test_##name(void)

#define CHECK(e)                                                           \
	do {                                                               \
		if (!(e))                                                  \
			check_fail(__FILE__, __LINE__, "expected %s", #e); \
	} while (0)

#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);          \
		if (check_a_ != check_b_)                                                \
			check_fail(__FILE__, __LINE__,                                   \
				   "expected %s == %s (%lld != %lld)", #a, #b, check_a_, \
				   check_b_);                                            \
	} while (0)

#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                       \
		if (strcmp(check_a_, check_b_) != 0)                               \
			check_fail(__FILE__, __LINE__,                             \
				   "expected %s == %s (\"%s\" != \"%s\")", #a, #b, \
				   check_a_, check_b_);                            \
	} while (0)

#endif
