/* SPDX-License-Identifier: MIT */
/* lib/fmt against the C library's snprintf, which is the specification here. */
#include "tests/host/check.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/fmt.h"

/* Some cases combine flags on purpose (e.g. "%-05d") to check the C rules. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* Formats with both implementations and compares text and return value. */
#define SAME(...)                                                        \
	do {                                                             \
		char want_[256], got_[256];                              \
		int wn_ = snprintf(want_, sizeof(want_), __VA_ARGS__);   \
		int gn_ = fmt_snprintf(got_, sizeof(got_), __VA_ARGS__); \
		CHECK_STR(got_, want_);                                  \
		CHECK_EQ(gn_, wn_);                                      \
	} while (0)

TEST(integers)
{
	SAME("%d %i %u", 0, -1, 42u);
	SAME("%d|%d", INT32_MIN, INT32_MAX);
	SAME("%u|%x|%X|%o", UINT32_MAX, 0xdeadbeefu, 0xdeadbeefu, 0777u);
	SAME("%lld|%llu|%llx", (long long)INT64_MIN, (unsigned long long)UINT64_MAX,
	     0x123456789abcdefULL);
	SAME("%ld|%lu|%lx", -5L, 7UL, 0xfeedUL);
	SAME("%zu|%zd|%zx", (size_t)12345, (ssize_t)-3, (size_t)0xabc);
	SAME("%hhd|%hhu|%hd|%hu", 300, 300, 70000, 70000);
	SAME("%jd|%td", (intmax_t)-9, (ptrdiff_t)-11);
}

TEST(width_and_padding)
{
	SAME("[%5d][%-5d][%05d][%-05d]", 42, 42, 42, 42);
	SAME("[%5d][%05d][%+5d][% 5d][%+05d]", -42, -42, 42, 42, 42);
	SAME("[%8x][%08x][%-8x|][%#x][%#08x][%#X]", 0xbeef, 0xbeef, 0xbeef, 0xbeef,
	     0xbeef, 0xbeef);
	SAME("[%#x][%#o][%#o][%o]", 0, 0, 8, 0);
	SAME("[%016llx][%2d][%1d]", 0x1234ULL, 12345, 7);
	SAME("[%*d][%-*d][%*d]", 6, 1, 6, 2, -6, 3);
}

TEST(precision)
{
	SAME("[%.3d][%.0d][%5.3d][%-5.3d|][%05.3d]", 7, 0, 7, 7, 7);
	SAME("[%.5x][%#.5x][%.0x]", 0xab, 0xab, 0);
	SAME("[%.3s][%.*s][%10.2s][%-10.2s|]", "abcdef", 2, "xyz", "hello", "hello");
	SAME("[%.*d]", -1, 5);
}

TEST(strings_and_chars)
{
	SAME("[%s][%10s][%-10s|][%c][%3c][%-3c|]", "toro", "toro", "toro", 'x', 'y', 'z');
	SAME("100%% [%s]", "");
	SAME("%s", "a long string that is longer than sixteen characters of padding");
	SAME("[%40s]", "pad me");
}

TEST(pointer)
{
	char buf[64];
	int v;

	SAME("%p", (void *)&v);
	SAME("[%20p][%-20p|]", (void *)0x1234, (void *)0x1234);
	/* glibc prints "(nil)" for NULL; Toro prints the value like any other. */
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0);
	CHECK_STR(buf, "0x0");
}

TEST(null_string)
{
	char buf[32];

	fmt_snprintf(buf, sizeof(buf), "[%s]", (char *)NULL);
	CHECK_STR(buf, "[(null)]");
}

TEST(truncation)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	CHECK_EQ(fmt_snprintf(buf, 5, "%s", "abcdefgh"), 8);
	CHECK_STR(buf, "abcd");
	CHECK_EQ(buf[5], 'X');
	CHECK_EQ(fmt_snprintf(buf, 0, "%d", 12345), 5);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(fmt_snprintf(buf, 1, "%d", 12345), 5);
	CHECK_EQ(buf[0], '\0');
}

TEST(bad_conversions_are_visible)
{
	char buf[32];

	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "a%"), 2);
	CHECK_STR(buf, "a%");
	fmt_snprintf(buf, sizeof(buf), "[%y]");
	CHECK_STR(buf, "[%y]");
}

struct collect {
	char text[64]; /* what the sink received */
	size_t n; /* its length */
	int calls; /* how many pieces */
};

static void collect_sink(void *ctx, const char *s, size_t n)
{
	struct collect *c = ctx;

	memcpy(c->text + c->n, s, n);
	c->n += n;
	c->calls++;
}

static int vformat(struct collect *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vformat(collect_sink, c, fmt, ap);
	va_end(ap);
	return n;
}

TEST(sink_receives_everything)
{
	struct collect c = { .n = 0 };

	CHECK_EQ(vformat(&c, "cpu %d: %s", 3, "up"), 9);
	c.text[c.n] = '\0';
	CHECK_STR(c.text, "cpu 3: up");
	CHECK(c.calls >= 2);
}

/* Random formats built from a grammar, compared with the C library. */
TEST(random_against_libc)
{
	static const char *const convs[] = { "d",   "i",   "u",	  "x",	"X",  "o",
					     "lld", "llx", "hhd", "hu", "zu", "ld" };
	static const char *const flags[] = {
		"", "-", "0", "+", " ", "#", "-0", "+0", "#0"
	};
	unsigned seed = 12345;

	for (int i = 0; i < 20000; i++) {
		char spec[24] = "", f[40], want[128], got[128];
		int wn, gn;

		seed = seed * 1103515245u + 12345u;
		const char *conv = convs[(seed >> 8) % 12];
		const char *flag = flags[(seed >> 12) % 9];
		int width = (int)((seed >> 16) % 20) - 2;
		int prec = (int)((seed >> 21) % 12) - 2;
		long long v = (long long)(((unsigned long long)seed << 33) ^
					  (seed * 2654435761u));
		size_t at = (size_t)snprintf(spec, sizeof(spec), "%s", flag);

		if (width > 0)
			at += (size_t)snprintf(spec + at, sizeof(spec) - at, "%d", width);
		if (prec >= 0)
			snprintf(spec + at, sizeof(spec) - at, ".%d", prec);
		snprintf(f, sizeof(f), "[%%%s%s]", spec, conv);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		if (conv[0] == 'l' || conv[0] == 'z') {
			wn = snprintf(want, sizeof(want), f, v);
			gn = fmt_snprintf(got, sizeof(got), f, v);
		} else {
			wn = snprintf(want, sizeof(want), f, (int)v);
			gn = fmt_snprintf(got, sizeof(got), f, (int)v);
		}
#pragma GCC diagnostic pop
		if (strcmp(want, got) != 0 || wn != gn) {
			check_fail(__FILE__, __LINE__,
				   "format \"%s\": libc \"%s\", fmt \"%s\"", f, want,
				   got);
			return;
		}
	}
}
