/* SPDX-License-Identifier: MIT */
/* Tests of lib/vsock_hybrid.c: the CONNECT line, the OK line and --publish. */
#include "tests/host/check.h"

#include <stdint.h>
#include <string.h>

#include "lib/vsock_hybrid.h"
#include "toro/errno.h"

/* Parses a string (no NUL passed); returns the result, fills port/used. */
static int parse(const char *s, uint32_t *port, size_t *used)
{
	const char *why = NULL;
	int r = vsock_hybrid_parse(s, strlen(s), port, used, &why);

	CHECK(why != NULL);
	return r;
}

TEST(connect_line_ok)
{
	uint32_t port = 1;
	size_t used = 0;

	CHECK_EQ(parse("CONNECT 5000\n", &port, &used), 0);
	CHECK_EQ(port, 5000);
	CHECK_EQ(used, 13);
	CHECK_EQ(parse("CONNECT 0\n", &port, &used), 0);
	CHECK_EQ(port, 0);
	CHECK_EQ(parse("CONNECT 4294967295\n", &port, &used), 0);
	CHECK_EQ(port, 4294967295u);
	CHECK_EQ(used, 19);
}

TEST(connect_line_keeps_trailing_data)
{
	uint32_t port = 0;
	size_t used = 0;
	const char *s = "CONNECT 7\nhello";

	CHECK_EQ(parse(s, &port, &used), 0);
	CHECK_EQ(port, 7);
	CHECK_STR(s + used, "hello");
}

TEST(connect_line_incomplete)
{
	uint32_t port = 0;
	size_t used = 0;

	CHECK_EQ(parse("", &port, &used), -EAGAIN);
	CHECK_EQ(parse("CONN", &port, &used), -EAGAIN);
	CHECK_EQ(parse("CONNECT ", &port, &used), -EAGAIN);
	CHECK_EQ(parse("CONNECT 12", &port, &used), -EAGAIN);
}

TEST(connect_line_rejects)
{
	uint32_t port = 0;
	size_t used = 0;

	CHECK_EQ(parse("connect 7\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT  7\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT +7\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT -7\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT \n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT 7 \n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT 7\r\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT 4294967296\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT 00000000001\n", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECTX7\n", &port, &used), -EINVAL);
	/* A prefix already wrong fails before the newline arrives. */
	CHECK_EQ(parse("GET / HTTP", &port, &used), -EINVAL);
	CHECK_EQ(parse("CONNECT 1a", &port, &used), -EINVAL);
}

TEST(connect_line_too_long)
{
	char line[64];
	uint32_t port = 0;
	size_t used = 0;

	/* 31 bytes with the newline: "CONNECT " + 22 zeros... too many digits. */
	memset(line, 0, sizeof(line));
	memcpy(line, "CONNECT ", 8);
	memset(line + 8, '0', 40);
	CHECK_EQ(parse(line, &port, &used), -EINVAL);
	/* A line that never ends is refused once it passes the limit. */
	CHECK_EQ(vsock_hybrid_parse("CONNECT 1234567890", 18, &port, &used, NULL),
		 -EAGAIN);
}

TEST(connect_line_not_nul_terminated)
{
	/* The parser must stop at len, not at a NUL. */
	char buf[9] = { 'C', 'O', 'N', 'N', 'E', 'C', 'T', ' ', '9' };
	uint32_t port = 0;
	size_t used = 0;

	CHECK_EQ(vsock_hybrid_parse(buf, sizeof(buf), &port, &used, NULL), -EAGAIN);
}

TEST(format_ok)
{
	char buf[VSOCK_HYBRID_OK_MAX];
	size_t n;

	n = vsock_hybrid_format_ok(1073741824u, buf, sizeof(buf));
	CHECK_EQ(n, 14);
	CHECK(memcmp(buf, "OK 1073741824\n", 14) == 0);
	n = vsock_hybrid_format_ok(0, buf, sizeof(buf));
	CHECK_EQ(n, 5);
	CHECK(memcmp(buf, "OK 0\n", 5) == 0);
	CHECK_EQ(vsock_hybrid_format_ok(4294967295u, buf, sizeof(buf)), 14);
	CHECK_EQ(vsock_hybrid_format_ok(12345, buf, 8), 0);
}

TEST(publish_ok)
{
	struct vsock_publish p;

	CHECK_EQ(vsock_publish_parse("8080:80", &p, NULL), 0);
	CHECK_EQ(p.addr, 0x7f000001);
	CHECK_EQ(p.host_port, 8080);
	CHECK_EQ(p.guest_port, 80);
	CHECK_EQ(vsock_publish_parse("0.0.0.0:1:4294967295", &p, NULL), 0);
	CHECK_EQ(p.addr, 0);
	CHECK_EQ(p.host_port, 1);
	CHECK_EQ(p.guest_port, 4294967295u);
	CHECK_EQ(vsock_publish_parse("10.1.2.255:65535:7", &p, NULL), 0);
	CHECK_EQ(p.addr, 0x0a0102ff);
	CHECK_EQ(p.host_port, 65535);
}

TEST(publish_rejects)
{
	struct vsock_publish p;
	const char *why = NULL;

	CHECK_EQ(vsock_publish_parse("8080", &p, &why), -EINVAL);
	CHECK(why != NULL && strcmp(why, "ok") != 0);
	CHECK_EQ(vsock_publish_parse("0:80", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("65536:80", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("80:", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse(":80", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("80:-1", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("80:4294967296", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("256.0.0.1:80:7", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("1.2.3:80:7", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("1.2.3.4.5:80:7", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("localhost:80:7", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("1.2.3.4:80:7:9", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse(" 80:7", &p, NULL), -EINVAL);
	CHECK_EQ(vsock_publish_parse("80:7x", &p, NULL), -EINVAL);
}
