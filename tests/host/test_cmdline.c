/* SPDX-License-Identifier: MIT */
#include "tests/host/check.h"

#include <errno.h>

#include "lib/cmdline.h"

/* Renders every parameter as key[=value] joined by '|' for easy comparison. */
static int render(const char *line, char *out, size_t size, const char **rest)
{
	struct cmdline_param p;
	const char *pos = line;
	int r;
	size_t n = 0;

	out[0] = '\0';
	while ((r = cmdline_next(&pos, &p)) == 1) {
		n += (size_t)snprintf(out + n, size - n, "%s%.*s", n ? "|" : "",
				      (int)p.key_len, p.key);
		if (p.val)
			n += (size_t)snprintf(out + n, size - n, "=%.*s", (int)p.val_len,
					      p.val);
	}
	if (rest)
		*rest = pos;
	return r;
}

TEST(plain_words)
{
	char buf[256];

	CHECK_EQ(render("  a b=1\tc= d=x=y ", buf, sizeof(buf), NULL), 0);
	CHECK_STR(buf, "a|b=1|c=|d=x=y");
	CHECK_EQ(render("", buf, sizeof(buf), NULL), 0);
	CHECK_STR(buf, "");
}

TEST(quotes)
{
	char buf[256];

	CHECK_EQ(render("msg=\"hello world\" \"k=v w\" e=\"\"", buf, sizeof(buf), NULL),
		 0);
	CHECK_STR(buf, "msg=hello world|k=v w|e=");
}

TEST(unterminated_quote)
{
	char buf[256];
	const char *rest;

	CHECK_EQ(render("a msg=\"oops b", buf, sizeof(buf), &rest), -EINVAL);
	CHECK_STR(buf, "a");
	CHECK_EQ(*rest, '\0');
}

TEST(double_dash_ends_kernel_part)
{
	char buf[256], arg[16];
	const char *rest;

	CHECK_EQ(render("x=1 -- one \"two three\" --four", buf, sizeof(buf), &rest), 0);
	CHECK_STR(buf, "x=1");
	CHECK_EQ(cmdline_next_arg(&rest, arg, sizeof(arg)), 3);
	CHECK_STR(arg, "one");
	CHECK_EQ(cmdline_next_arg(&rest, arg, sizeof(arg)), 9);
	CHECK_STR(arg, "two three");
	CHECK_EQ(cmdline_next_arg(&rest, arg, sizeof(arg)), 6);
	CHECK_STR(arg, "--four");
	CHECK_EQ(cmdline_next_arg(&rest, arg, sizeof(arg)), 0);
}

TEST(argument_too_long)
{
	char arg[4];
	const char *pos = "abcd ef";

	CHECK_EQ(cmdline_next_arg(&pos, arg, sizeof(arg)), -E2BIG);
	CHECK_EQ(cmdline_next_arg(&pos, arg, sizeof(arg)), 2);
	CHECK_STR(arg, "ef");
}

TEST(key_is)
{
	struct cmdline_param p;
	const char *pos = "bootstats=1 boot";

	CHECK_EQ(cmdline_next(&pos, &p), 1);
	CHECK(cmdline_key_is(&p, "bootstats"));
	CHECK(!cmdline_key_is(&p, "boot"));
	CHECK_EQ(cmdline_next(&pos, &p), 1);
	CHECK(cmdline_key_is(&p, "boot"));
	CHECK(p.val == NULL);
}

TEST(lone_quote)
{
	char buf[64];

	CHECK_EQ(render("\"", buf, sizeof(buf), NULL), -EINVAL);
	CHECK_EQ(render("\"\"", buf, sizeof(buf), NULL), 0);
	CHECK_STR(buf, "");
}
