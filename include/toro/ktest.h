/* SPDX-License-Identifier: MIT */
/*
 * In-guest tests. A test is
 *
 *	KTEST(heap, realloc_keeps_contents) { KEXPECT_EQ(a, b); ... }
 *
 * registered through the `ktests` linker section. ktest_run_all() runs every test
 * of the image, suite by suite in link order, and prints KTAP version 1 (Linux
 * Documentation/dev-tools/ktap.rst) with a `# file:line: expected ...` line for each
 * failed expectation. A test also fails if it leaves heap blocks or pages behind.
 */
#ifndef TORO_KTEST_H
#define TORO_KTEST_H

#include <stdbool.h>

#include "toro/toro.h"

struct ktest {
	const char *suite; /* groups tests into one KTAP subtest */
	const char *name; /* the test's name in its result line */
	void (*fn)(void); /* the body */
};

#define KTEST(suite, name)                                               \
	static void ktest_fn_##suite##_##name(void);                     \
	static const struct ktest ktest_##suite##_##name                 \
		__attribute__((used, section("ktests"), aligned(8))) = { \
			#suite, #name, ktest_fn_##suite##_##name         \
		};                                                       \
	static void ktest_fn_##suite##_##name(void)

/* Runs every registered test; returns 0 if all passed, 1 otherwise. */
int ktest_run_all(void);

/* Records a failed expectation (prints the diagnostic line). */
void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Marks the running test skipped; the test should return right after. */
void ktest_skip(const char *reason);
/* Whether the running test has failed so far (to stop early). */
bool ktest_failed(void);

#define KEXPECT_TRUE(e)                                                    \
	do {                                                               \
		if (!(e))                                                  \
			ktest_fail(__FILE__, __LINE__, "expected %s", #e); \
	} while (0)
#define KEXPECT_FALSE(e) KEXPECT_TRUE(!(e))

#define KEXPECT_CMP(a, op, b)                                                           \
	do {                                                                            \
		long long ktest_a_ = (long long)(a), ktest_b_ = (long long)(b);         \
		if (!(ktest_a_ op ktest_b_))                                            \
			ktest_fail(__FILE__, __LINE__,                                  \
				   "expected %s " #op " %s (%s=%lld, %s=%lld)", #a, #b, \
				   #a, ktest_a_, #b, ktest_b_);                         \
	} while (0)
#define KEXPECT_EQ(a, b) KEXPECT_CMP(a, ==, b)
#define KEXPECT_NE(a, b) KEXPECT_CMP(a, !=, b)
#define KEXPECT_LT(a, b) KEXPECT_CMP(a, <, b)
#define KEXPECT_LE(a, b) KEXPECT_CMP(a, <=, b)
#define KEXPECT_GT(a, b) KEXPECT_CMP(a, >, b)
#define KEXPECT_GE(a, b) KEXPECT_CMP(a, >=, b)

#define KEXPECT_NULL(p) KEXPECT_TRUE((p) == 0)
#define KEXPECT_NOT_NULL(p) KEXPECT_TRUE((p) != 0)

#define KEXPECT_STREQ(a, b)                                                        \
	do {                                                                       \
		const char *ktest_a_ = (a), *ktest_b_ = (b);                       \
		if (!ktest_a_ || !ktest_b_ || strcmp(ktest_a_, ktest_b_) != 0)     \
			ktest_fail(__FILE__, __LINE__,                             \
				   "expected %s == %s (\"%s\" != \"%s\")", #a, #b, \
				   ktest_a_ ? ktest_a_ : "(null)",                 \
				   ktest_b_ ? ktest_b_ : "(null)");                \
	} while (0)

#endif
