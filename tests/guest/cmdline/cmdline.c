/* SPDX-License-Identifier: MIT */
/*
 * The command line as an application sees it. The test runner boots this image
 * with the arguments in tests/guest/cmdline/args.
 */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "kernel/params.h"

KTEST(cmdline, key_value)
{
	KEXPECT_STREQ(toro_param("greeting"), "hello");
	KEXPECT_STREQ(toro_param("number"), "42");
}

KTEST(cmdline, quoted_value_keeps_blanks)
{
	KEXPECT_STREQ(toro_param("msg"), "hello world");
	KEXPECT_STREQ(toro_param("whole"), "a b c");
}

KTEST(cmdline, bare_flag_and_empty_value)
{
	KEXPECT_STREQ(toro_param("flag"), "");
	KEXPECT_STREQ(toro_param("empty"), "");
}

KTEST(cmdline, missing_key_is_null)
{
	KEXPECT_NULL(toro_param("missing"));
	KEXPECT_NULL(toro_param("greet"));
	KEXPECT_NULL(toro_param(""));
}

KTEST(cmdline, last_occurrence_wins)
{
	KEXPECT_STREQ(toro_param("dup"), "second");
}

KTEST(cmdline, arguments_after_double_dash)
{
	char **argv = params_argv();

	KEXPECT_EQ(params_argc(), 4);
	KEXPECT_STREQ(argv[0], "toro");
	KEXPECT_STREQ(argv[1], "one");
	KEXPECT_STREQ(argv[2], "two words");
	KEXPECT_STREQ(argv[3], "not=param");
	KEXPECT_NULL(argv[4]);
	/* What follows `--` is not a kernel parameter. */
	KEXPECT_NULL(toro_param("not"));
}
