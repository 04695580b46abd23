/* SPDX-License-Identifier: MIT */
/* Formatting and string functions as the kernel build compiles them (no SSE, no
 * libc): the host tests compare lib/fmt with glibc, these check the guest build. */
#include <toro/ktest.h>
#include <toro/toro.h>

#define FMT(want, ...)                                              \
	do {                                                        \
		char buf_[128];                                     \
		int n_ = snprintf(buf_, sizeof(buf_), __VA_ARGS__); \
		KEXPECT_STREQ(buf_, want);                          \
		KEXPECT_EQ(n_, (int)strlen(want));                  \
	} while (0)

KTEST(format, integers)
{
	FMT("0 -1 42", "%d %i %u", 0, -1, 42u);
	FMT("-2147483648 2147483647", "%d %d", -2147483647 - 1, 2147483647);
	FMT("deadbeef DEADBEEF 777", "%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0777u);
	FMT("-9223372036854775808", "%lld", -9223372036854775807LL - 1);
	FMT("18446744073709551615 ffffffffffffffff", "%llu %llx", ~0ULL, ~0ULL);
	FMT("12345 abc", "%zu %zx", (size_t)12345, (size_t)0xabc);
}

KTEST(format, width_and_flags)
{
	FMT("[   42][42   ][00042]", "[%5d][%-5d][%05d]", 42, 42, 42);
	FMT("[  -42][-0042][  +42]", "[%5d][%05d][%+5d]", -42, -42, 42);
	FMT("[0x00beef][0xbeef]", "[%#08x][%#x]", 0xbeef, 0xbeef);
	FMT("[0000000000001234]", "[%016llx]", 0x1234ULL);
	FMT("[     1][2     ]", "[%*d][%-*d]", 6, 1, 6, 2);
}

KTEST(format, strings_chars_pointers)
{
	FMT("[toro][  toro][toro  ][x]", "[%s][%6s][%-6s][%c]", "toro", "toro", "toro",
	    'x');
	static const char *volatile null_string; /* hidden from the format checker */

	FMT("[ab][(null)]", "[%.2s][%s]", "abc", null_string);
	FMT("0x1000 0x0", "%p %p", (void *)0x1000, (void *)0);
	FMT("100%", "100%%");
}

KTEST(format, truncation_keeps_length)
{
	char buf[6];

	memset(buf, 'X', sizeof(buf));
	KEXPECT_EQ(snprintf(buf, 4, "%s", "abcdef"), 6);
	KEXPECT_STREQ(buf, "abc");
	KEXPECT_EQ(buf[4], 'X');
	KEXPECT_EQ(snprintf(NULL, 0, "%d", 123456), 6);
}

KTEST(format, string_functions)
{
	char a[32] = "hello, world";

	KEXPECT_EQ(strlen(a), 12);
	KEXPECT_EQ(strnlen(a, 5), 5);
	KEXPECT_EQ(strcmp("abc", "abd") < 0, 1);
	KEXPECT_EQ(strncmp("abcx", "abcy", 3), 0);
	KEXPECT_TRUE(strchr(a, 'w') == a + 7);
	KEXPECT_NULL(strchr(a, 'z'));
	memmove(a + 2, a, 5); /* overlapping, forwards */
	KEXPECT_EQ(memcmp(a, "hehello world", 7), 0);
	memmove(a, a + 2, 5); /* overlapping, backwards */
	KEXPECT_EQ(memcmp(a, "hello", 5), 0);
	memset(a, 'z', 3);
	KEXPECT_EQ(memcmp(a, "zzzlo", 5), 0);
}
