/* SPDX-License-Identifier: MIT */
/* lib/trace.c: the dump's lines both ways, QEMU's log lines, trace= words. */
#include "check.h"
#include "lib/trace.h"

static int parse(const char *s, struct trace_line *l)
{
	const char *why = NULL;
	int r = trace_parse_line(s, strlen(s), l, &why);

	CHECK(r == 0 || why != NULL);
	return r;
}

TEST(a_record_round_trips_through_its_line)
{
	struct trace_rec r = { .tsc = 123456789012ull,
			       .b = 0xfeb00000ull,
			       .c = 7,
			       .a = 3,
			       .type = TRACE_KICK,
			       .cpu = 1 };
	char buf[96];
	struct trace_line l;
	size_t n = trace_format_rec(buf, sizeof(buf), &r);

	CHECK_STR(buf, "ev 1 123456789012 kick 3 4272947200 7\n");
	CHECK_EQ(n, strlen(buf));
	buf[n - 1] = '\0';
	CHECK_EQ(parse(buf, &l), 0);
	CHECK_EQ(l.kind, TRACE_LINE_EV);
	CHECK(memcmp(&l.rec, &r, sizeof(r)) == 0);
}

TEST(the_largest_record_fits_64_bytes_and_a_short_buffer_gets_nothing)
{
	struct trace_rec r = { .tsc = UINT64_MAX,
			       .b = UINT64_MAX,
			       .c = UINT64_MAX,
			       .a = UINT32_MAX,
			       .type = TRACE_MBOX_RECV,
			       .cpu = 65535 };
	char buf[96];

	CHECK(trace_format_rec(buf, 96, &r) > 0);
	CHECK(trace_format_rec(buf, 96, &r) < 96);
	CHECK_EQ(trace_format_rec(buf, 20, &r), 0);
	r.type = TRACE_NTYPES;
	CHECK_EQ(trace_format_rec(buf, sizeof(buf), &r), 0);
}

TEST(header_sync_thread_and_end_lines)
{
	struct trace_line l;

	CHECK_EQ(parse("toro-trace 1 cpus=2 tsc_khz=2099214", &l), 0);
	CHECK_EQ(l.kind, TRACE_LINE_HEADER);
	CHECK_EQ(l.cpus, 2);
	CHECK_EQ(l.tsc_khz, 2099214);
	CHECK_EQ(parse("sync 18446744073709551615", &l), 0);
	CHECK(l.tsc == UINT64_MAX);
	CHECK_EQ(parse("thread 5 1 echo conn 3", &l), 0);
	CHECK_EQ(l.tid, 5);
	CHECK_EQ(l.cpu, 1);
	CHECK_STR(l.name, "echo conn 3");
	CHECK_EQ(parse("end 1000 12", &l), 0);
	CHECK_EQ(l.records, 1000);
	CHECK_EQ(l.lost, 12);
}

TEST(bad_lines_are_refused_with_a_reason)
{
	static const char *const bad[] = {
		"",
		"toro-trace 2 cpus=1 tsc_khz=1",
		"toro-trace 1 cpus=1",
		"toro-trace 1 cpus=70000 tsc_khz=1",
		"sync",
		"sync 18446744073709551616",
		"sync -1",
		"sync 12 13",
		"syncx 12",
		"thread 1 0",
		"thread 1 0 ",
		"thread 1 0 a\tb",
		"thread 1 0 0123456789012345678901234567890123",
		"ev 0 1 kick 1 2",
		"ev 0 1 bogus 1 2 3",
		"ev 0 1 kick 4294967296 2 3",
		"ev 0 1 kick 1 2 3 4",
		"ev 0  1 kick 1 2 3",
		"ev 0 1 kick 1 2 3 ",
		"end 1",
		"hello",
	};
	struct trace_line l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &l) == 0)
			check_fail(__FILE__, __LINE__, "took \"%s\"", bad[i]);
}

TEST(a_line_is_read_only_within_its_length)
{
	struct trace_line l;
	const char *why;

	CHECK_EQ(trace_parse_line("sync 123456", 7, &l, &why), 0);
	CHECK_EQ(l.tsc, 12);
}

TEST(qemu_log_lines)
{
	const char *s =
		"1585@1796687436.414601:virtio_queue_notify vdev 0x55ad3c7ecfe0 n 2 "
		"vq 0x7f3fda63d140";
	struct trace_qemu_line q;
	uint64_t v;

	CHECK_EQ(trace_parse_qemu(s, strlen(s), &q), 0);
	CHECK_EQ(q.tid, 1585);
	CHECK(q.us == 1796687436414601ull);
	CHECK_EQ(q.event_len, strlen("virtio_queue_notify"));
	CHECK(!memcmp(q.event, "virtio_queue_notify", q.event_len));
	CHECK_EQ(trace_qemu_arg(&q, "vdev", &v), 0);
	CHECK(v == 0x55ad3c7ecfe0ull);
	CHECK_EQ(trace_qemu_arg(&q, "n", &v), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(trace_qemu_arg(&q, "port", &v), -1);
	s = "9@1.000002:virtio_console_flush_buf port 2, in_len 32, out_len 32";
	CHECK_EQ(trace_parse_qemu(s, strlen(s), &q), 0);
	CHECK_EQ(q.us, 1000002);
	CHECK_EQ(trace_qemu_arg(&q, "port", &v), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(trace_qemu_arg(&q, "in_len", &v), 0);
	CHECK_EQ(v, 32);
	s = "9@1.000002:hello";
	CHECK_EQ(trace_parse_qemu(s, strlen(s), &q), 0);
	CHECK_EQ(q.args_len, 0);
}

TEST(qemu_lines_that_are_not_trace_lines)
{
	static const char *const bad[] = {
		"",
		"2026-12-07T23:50:37.593132Z qemu-system-x86_64: terminating on signal 15",
		"12@1.5:ev",
		"12@1.0000001:ev",
		"@1.000001:ev",
		"12@1.000001:",
		"12@1.000001:Ev x",
		"12@1.000001ev",
		"99999999999@1.000001:ev",
	};
	struct trace_qemu_line q;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (trace_parse_qemu(bad[i], strlen(bad[i]), &q) == 0)
			check_fail(__FILE__, __LINE__, "took \"%s\"", bad[i]);
}

TEST(trace_words)
{
	const char *bad = NULL;

	CHECK_EQ(trace_parse_groups("all", &bad), TRACE_G_ALL);
	CHECK_EQ(trace_parse_groups("sched,virtq", &bad), TRACE_G_SCHED | TRACE_G_VIRTQ);
	CHECK_EQ(trace_parse_groups("sched,bogus", &bad), -1);
	CHECK_STR(bad, "bogus");
	CHECK_EQ(trace_parse_groups("", &bad), -1);
	CHECK_EQ(trace_parse_groups("irq,", &bad), -1);
}

TEST(groups_of_records)
{
	CHECK_EQ(trace_group_of(TRACE_SWITCH, 0), TRACE_G_SCHED);
	CHECK_EQ(trace_group_of(TRACE_CALL, TRACE_CALL_SEND), TRACE_G_SOCK);
	CHECK_EQ(trace_group_of(TRACE_CALL, TRACE_CALL_READ), TRACE_G_FILE);
	CHECK_EQ(trace_group_of(TRACE_CALL, TRACE_CALL_CLOSE),
		 TRACE_G_SOCK | TRACE_G_FILE);
	CHECK_EQ(trace_group_of(TRACE_NTYPES, 0), 0);
	CHECK(trace_call_name(TRACE_NCALLS) == NULL);
	CHECK_STR(trace_call_name(TRACE_CALL_PWRITE), "pwrite");
}
