/* SPDX-License-Identifier: MIT */
/* Tests of the KTAP parser (lib/ktap.c) on whole transcripts. */
#include "lib/ktap.h"

#include "tests/host/check.h"

/* What the event callback saw. */
struct seen {
	int missing_events; /* KTAP_EV_MISSING calls */
	uint32_t missing; /* their counts, summed */
	char last_suite[KTAP_NAME_MAX]; /* suite of the last MISSING */
	unsigned int last_depth; /* its depth */
	int deep_events; /* KTAP_EV_TOO_DEEP calls */
};

static void on_event(void *ctx, enum ktap_event ev, const char *suite, unsigned int depth,
		     uint32_t count)
{
	struct seen *s = ctx;

	if (ev == KTAP_EV_MISSING) {
		s->missing_events++;
		s->missing += count;
		snprintf(s->last_suite, sizeof(s->last_suite), "%s", suite);
		s->last_depth = depth;
	} else {
		s->deep_events++;
	}
}

/* Feeds a transcript split at '\n', then ends it. */
static void feed(struct ktap *k, struct seen *s, const char *text)
{
	memset(s, 0, sizeof(*s));
	ktap_init(k, on_event, s);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		ktap_line(k, text, n);
		text += n + (nl ? 1 : 0);
	}
	ktap_finish(k);
}

static const char example[] =
	"Toro 0.1.0: 1 CPU, 128 MiB\n"
	"KTAP version 1\n"
	"1..1\n"
	"  KTAP version 1\n"
	"  # Subtest: heap\n"
	"  1..3\n"
	"  ok 1 alloc_free\n"
	"  not ok 2 exhaustion\n"
	"  # tests/guest/heap/heap.c:88: expected used == 0 (used=4096, 0=0)\n"
	"  ok 3 huge # SKIP needs 512M\n"
	"not ok 1 heap\n"
	"# Totals: pass:1 fail:1 skip:1\n";

TEST(ktap_example)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s, example);
	CHECK(k.saw_version);
	CHECK(k.saw_plan);
	CHECK_EQ(k.version, 1);
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.failed, 1);
	CHECK_EQ(k.skipped, 1);
	CHECK_EQ(k.missing, 0);
	CHECK_EQ(s.missing_events, 0);
	CHECK_EQ(k.malformed, 0);
	CHECK_EQ(k.misnumbered, 0);
}

TEST(ktap_two_suites_four_spaces)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s,
	     "KTAP version 1\n1..2\n"
	     "    KTAP version 1\n    # Subtest: memory\n    1..3\n"
	     "    ok 1 alloc_free\n    not ok 2 cross_cpu_free\n"
	     "    ok 3 huge # SKIP needs 512M\nnot ok 1 memory\n"
	     "    KTAP version 1\n    # Subtest: sched\n    1..1\n"
	     "    ok 1 sleep_wakes_on_time\nok 2 sched\n");
	CHECK_EQ(k.passed, 2);
	CHECK_EQ(k.failed, 1);
	CHECK_EQ(k.skipped, 1);
	CHECK_EQ(k.missing, 0);
}

TEST(ktap_three_levels)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s,
	     "KTAP version 1\n1..1\n"
	     "  KTAP version 1\n  # Subtest: outer\n  1..2\n"
	     "    KTAP version 1\n    # Subtest: inner\n    1..2\n"
	     "    ok 1 a\n    ok 2 b\n"
	     "  ok 1 inner\n"
	     "  ok 2 plain\n"
	     "ok 1 outer\n");
	CHECK_EQ(k.passed, 3);
	CHECK_EQ(k.failed, 0);
	CHECK_EQ(k.missing, 0);
}

TEST(ktap_crash_mid_suite)
{
	struct ktap k;
	struct seen s;

	/* Two results of heap and heap's own result at level 0 never came. */
	feed(&k, &s,
	     "KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: heap\n  1..3\n"
	     "  ok 1 alloc_free\n"
	     "panic: page fault at 0x0\n");
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.missing, 3);
	CHECK_EQ(k.failed, 3);
	CHECK_EQ(s.missing_events, 2);
	CHECK_EQ(s.missing, 3);
	/* Level 0 closes last and has no name. */
	CHECK_STR(s.last_suite, "");
	CHECK_EQ(s.last_depth, 0);
}

TEST(ktap_missing_names_suite)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s,
	     "KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest:   heap  \n  1..4\n"
	     "  ok 1 a\nok 1 heap\n");
	CHECK_EQ(s.missing_events, 1);
	CHECK_EQ(s.missing, 3);
	CHECK_STR(s.last_suite, "heap");
	CHECK_EQ(s.last_depth, 1);
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.failed, 3);
}

TEST(ktap_skip_and_todo)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s,
	     "KTAP version 1\n1..6\n"
	     "ok 1 a # SKIP no disk\n"
	     "not ok 2 b # skip lowercase\n"
	     "not ok 3 c # TODO not written\n"
	     "ok 4 d # TODO passes anyway\n"
	     "not ok 5 e # SKIPPED is not SKIP\n"
	     "ok 6 f \\# SKIP escaped\n");
	CHECK_EQ(k.skipped, 3);
	CHECK_EQ(k.passed, 2);
	CHECK_EQ(k.failed, 1);
}

TEST(ktap_garbage_lines)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s,
	     "ok 1 before the document\n"
	     "\x01\xff\xfe binary\n"
	     "KTAP version 1\n"
	     "1..2\n"
	     "okay then\n"
	     "ok\n"
	     "ok x\n"
	     "not ok 99999999999999999999 overflow\n"
	     "1..abc\n"
	     "   ok 7 odd indentation\n"
	     "\tok 8 tab\n"
	     "ok 1 first\n"
	     "random console text\n"
	     "ok 2 second\n");
	CHECK_EQ(k.passed, 2);
	CHECK_EQ(k.failed, 0);
	CHECK_EQ(k.malformed, 4);
}

TEST(ktap_crlf)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s,
	     "KTAP version 1\r\n1..2\r\n  KTAP version 1\r\n  # Subtest: s\r\n  1..2\r\n"
	     "  ok 1 a\r\n  ok 2 b # SKIP x\r\nok 1 s\r\nok 2 t\r\n");
	CHECK_EQ(k.passed, 2);
	CHECK_EQ(k.skipped, 1);
	CHECK_EQ(k.failed, 0);
	CHECK_EQ(k.missing, 0);
}

TEST(ktap_no_version)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s, "1..2\nok 1 a\nnot ok 2 b\n");
	CHECK(!k.saw_version);
	CHECK_EQ(k.passed + k.failed + k.skipped, 0);
}

TEST(ktap_no_plan)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s, "KTAP version 1\nok 1 a\n");
	CHECK(k.saw_version);
	CHECK(!k.saw_plan);
	CHECK_EQ(k.passed, 1);
}

TEST(ktap_failed_suite_without_failed_cases)
{
	struct ktap k;
	struct seen s;

	/* A suite that fails by itself (init) and one with no cases at all. */
	feed(&k, &s,
	     "KTAP version 1\n1..2\n"
	     "  KTAP version 1\n  # Subtest: a\n  1..1\n  ok 1 x\nnot ok 1 a\n"
	     "  KTAP version 1\n  # Subtest: b\n  1..0\nnot ok 2 b\n");
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.failed, 2);
}

TEST(ktap_suite_without_parent_result)
{
	struct ktap k;
	struct seen s;

	/* Suite a ends without `ok 1 a`; b starts at the same depth. */
	feed(&k, &s,
	     "KTAP version 1\n1..2\n"
	     "  KTAP version 1\n  # Subtest: a\n  1..1\n  ok 1 x\n"
	     "  KTAP version 1\n  # Subtest: b\n  1..1\n  ok 1 y\nok 2 b\n");
	CHECK_EQ(k.passed, 2);
	CHECK_EQ(k.missing, 1);
	CHECK_EQ(k.failed, 1);
}

TEST(ktap_plan_at_end_and_misnumbered)
{
	struct ktap k;
	struct seen s;

	feed(&k, &s, "KTAP version 1\nok 1 a\nok 3 b\n1..2\n");
	CHECK_EQ(k.passed, 2);
	CHECK_EQ(k.missing, 0);
	CHECK_EQ(k.misnumbered, 1);
}

TEST(ktap_deep_nesting)
{
	struct ktap k;
	struct seen s;
	char buf[8192];
	size_t pos = 0;
	int levels = KTAP_MAX_DEPTH + 3;

	pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "KTAP version 1\n1..1\n");
	for (int d = 1; d < levels; d++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos,
					"%*sKTAP version 1\n%*s1..1\n", 2 * d, "", 2 * d,
					"");
	for (int d = levels - 1; d >= 0; d--)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%*sok 1 l%d\n",
					2 * d, "", d);
	feed(&k, &s, buf);
	CHECK(k.too_deep > 0);
	CHECK_EQ(s.deep_events, 1);
	/* The innermost kept result stands in as the leaf. */
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.failed, 0);
}

TEST(ktap_huge_and_hostile_lines)
{
	static char line[1 << 16];
	struct ktap k;
	struct seen s;

	memset(&s, 0, sizeof(s));
	ktap_init(&k, on_event, &s);
	ktap_line(&k, "KTAP version 1", 14);
	ktap_line(&k, "1..4294967296", 13); /* past 32 bits: malformed */
	ktap_line(&k, "1..2000000", 10); /* past KTAP_MAX_PLAN: malformed */
	memset(line, ' ', sizeof(line));
	memcpy(line + sizeof(line) - 6, "ok 1 x", 6);
	ktap_line(&k, line, sizeof(line)); /* absurd indentation: noise */
	memset(line, 'A', sizeof(line));
	memcpy(line, "# Subtest: ", 11);
	ktap_line(&k, line, sizeof(line));
	ktap_line(&k, "ok 1 a\0with a NUL", 17);
	ktap_line(&k, "", 0);
	ktap_line(&k, "\r", 1);
	ktap_finish(&k);
	ktap_line(&k, "not ok 2 after the end", 22);
	CHECK_EQ(k.malformed, 2);
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.failed, 0);
	CHECK(!k.saw_plan);
}

TEST(ktap_second_document)
{
	struct ktap k;
	struct seen s;

	/* A second document (a reboot?) closes the first, which owed one result. */
	feed(&k, &s, "KTAP version 1\n1..2\nok 1 a\nKTAP version 1\n1..1\nnot ok 1 b\n");
	CHECK_EQ(k.passed, 1);
	CHECK_EQ(k.failed, 2);
	CHECK_EQ(k.missing, 1);
}
