/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/http.c. Requests are copied into exactly sized heap buffers so
 * that ASan catches a read past what the "client" sent; every prefix of a good
 * request must say "not complete yet".
 */
#include "tests/host/check.h"

#include <stdlib.h>

#include "lib/http.h"

static long parse(const char *s, struct http_request *r)
{
	size_t n = strlen(s);
	char *b = malloc(n ? n : 1);
	long v;

	memcpy(b, s, n);
	v = http_parse_request(b, n, r);
	/* Pointers into b die with it: keep only whether they were set. */
	free(b);
	r->range = r->range ? "" : NULL;
	r->ims = r->ims ? "" : NULL;
	return v;
}

/* The path of a GET of target, or "" with *status set. */
static const char *path_of(const char *target, long *status)
{
	static struct http_request r;
	char req[8192];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
	*status = parse(req, &r);
	return *status > 0 ? r.path : "";
}

TEST(http_simple_get)
{
	struct http_request r;
	const char *s =
		"GET /index.html HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";

	CHECK_EQ(parse(s, &r), (long)strlen(s));
	CHECK_EQ(r.method, HTTP_GET);
	CHECK_EQ(r.minor, 1);
	CHECK(r.keep_alive);
	CHECK(!r.chunked);
	CHECK_EQ(r.content_length, 0);
	CHECK_STR(r.path, "/index.html");
	CHECK(r.range == NULL && r.ims == NULL);
}

TEST(http_every_prefix_is_incomplete)
{
	const char *s =
		"HEAD /a?b=c HTTP/1.0\nConnection: keep-alive\nRange: bytes=1-2\n\n";
	size_t n = strlen(s);
	struct http_request r;

	for (size_t k = 0; k < n; k++) {
		char *b = malloc(k ? k : 1);

		memcpy(b, s, k);
		CHECK_EQ(http_parse_request(b, k, &r), 0);
		free(b);
	}
	char *b = malloc(n);

	memcpy(b, s, n);
	CHECK_EQ(http_parse_request(b, n, &r), (long)n);
	CHECK_EQ(r.method, HTTP_HEAD);
	CHECK_EQ(r.minor, 0);
	CHECK(r.keep_alive); /* 1.0 with keep-alive */
	CHECK_STR(r.path, "/a");
	CHECK_EQ(r.range_len, 9);
	CHECK_EQ(memcmp(r.range, "bytes=1-2", 9), 0);
	free(b);
}

TEST(http_pipelined_requests)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n"
			"Connection: close\r\n\r\n";
	struct http_request r;
	long n = http_parse_request(s, strlen(s), &r);

	CHECK_EQ(n, 28);
	CHECK_STR(r.path, "/1");
	CHECK_EQ(http_parse_request(s + n, strlen(s) - (size_t)n, &r),
		 (long)strlen(s) - n);
	CHECK_STR(r.path, "/2");
	CHECK(!r.keep_alive);
}

TEST(http_keep_alive_rules)
{
	struct http_request r;

	parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", &r);
	CHECK(!r.keep_alive);
	parse("GET / HTTP/1.0\r\n\r\n", &r);
	CHECK(!r.keep_alive);
	parse("GET / HTTP/1.0\r\nConnection: upgrade , keep-alive\r\n\r\n", &r);
	CHECK(r.keep_alive);
	parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n", &r);
	CHECK(r.keep_alive);
}

TEST(http_malformed_heads)
{
	struct http_request r;

	CHECK_EQ(parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", &r), -400);
	CHECK_EQ(parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTX/1.1\r\nHost: h\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n", &r), -400); /* no Host */
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost : h\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\001b\r\n\r\n", &r), -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", &r),
		 -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		       "Content-Length: 2\r\n\r\n",
		       &r),
		 -400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
		       "Content-Length: 5\r\n\r\n",
		       &r),
		 (long)strlen("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			      "Content-Length: 5\r\n\r\n"));
	CHECK_EQ(r.content_length, 5);
	CHECK_EQ(parse("GET * HTTP/1.1\r\nHost: h\r\n\r\n", &r), -400);
	CHECK_EQ(parse("\r\n", &r), 0); /* an empty line before a request: wait */
	CHECK_EQ(parse("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &r),
		 (long)strlen("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
	parse("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", &r);
	CHECK_EQ(r.method, HTTP_OTHER);
	CHECK(r.chunked);
}

TEST(http_limits)
{
	struct http_request r;
	size_t big = HTTP_HEAD_MAX + 100;
	char *b = malloc(big + 1);
	long n;

	/* A target past HTTP_URI_MAX: 414, complete or not. */
	memcpy(b, "GET /", 5);
	memset(b + 5, 'a', big - 5);
	b[big] = '\0';
	CHECK_EQ(http_parse_request(b, HTTP_URI_MAX + 200, &r), -414);
	memcpy(b + HTTP_URI_MAX + 10, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
	CHECK_EQ(http_parse_request(b, HTTP_URI_MAX + 33, &r), -414);
	/* The longest target is fine. */
	memcpy(b + 4 + HTTP_URI_MAX, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
	n = http_parse_request(b, 4 + HTTP_URI_MAX + 22, &r);
	CHECK_EQ(n, (long)(4 + HTTP_URI_MAX + 22));
	CHECK_EQ(strlen(r.path), HTTP_URI_MAX);
	b[4 + HTTP_URI_MAX] = 'a';
	memcpy(b + 5 + HTTP_URI_MAX, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
	CHECK_EQ(http_parse_request(b, 5 + HTTP_URI_MAX + 22, &r), -414);
	/* A head that never ends: 431 once it passes HTTP_HEAD_MAX. */
	strcpy(b, "GET / HTTP/1.1\r\nHost: h\r\nX-Long: ");
	memset(b + strlen(b), 'v', big - strlen(b));
	CHECK_EQ(http_parse_request(b, HTTP_HEAD_MAX - 1, &r), 0);
	CHECK_EQ(http_parse_request(b, big, &r), -431);
	/* Too many fields. */
	size_t o = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		o += (size_t)sprintf(b + o, "X%d: y\r\n", i);
	o += (size_t)sprintf(b + o, "\r\n");
	CHECK_EQ(http_parse_request(b, o, &r), -431);
	free(b);
}

TEST(http_paths_are_normalised)
{
	long st;

	CHECK_STR(path_of("/", &st), "/");
	CHECK_STR(path_of("/a/b/", &st), "/a/b/");
	CHECK_STR(path_of("//a///b", &st), "/a/b");
	CHECK_STR(path_of("/a/./b/.", &st), "/a/b/");
	CHECK_STR(path_of("/a/b/../c", &st), "/a/c");
	CHECK_STR(path_of("/a/..", &st), "/");
	CHECK_STR(path_of("/a%20b%41", &st), "/a bA");
	CHECK_STR(path_of("/x?y=/../../etc#frag", &st), "/x");
	CHECK_STR(path_of("http://host:80/p/q?z", &st), "/p/q");
	CHECK_STR(path_of("HTTP://host", &st), "/");
	CHECK_STR(path_of("/a/%2e%2e/b", &st), "/b");
	CHECK_STR(path_of("/...", &st), "/...");
}

TEST(http_traversal_is_refused)
{
	const char *bad[] = { "/..",	       "/../x",	       "/a/../../x", "/%2e%2e/x",
			      "/%2E%2e%2fetc", "/a/%00",       "//..",	     "/.%2e/",
			      "/%2e%2e",       "/a%2fb",       "/a%5cb",     "/a\\b",
			      "/%zz",	       "/%4",	       "/%",	     "/a%0d%0a",
			      "http://h/../x", "relative/path" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long st;
		const char *p = path_of(bad[i], &st);

		if (st != -400)
			check_fail(__FILE__, __LINE__, "%s gave %ld (%s)", bad[i], st, p);
	}
}

TEST(http_ranges)
{
	uint64_t a = 7, b = 7;

	CHECK_EQ(http_parse_range("bytes=0-9", 9, 100, &a, &b), 206);
	CHECK(a == 0 && b == 9);
	CHECK_EQ(http_parse_range("bytes=90-", 9, 100, &a, &b), 206);
	CHECK(a == 90 && b == 99);
	CHECK_EQ(http_parse_range("bytes=50-1000", 13, 100, &a, &b), 206);
	CHECK(a == 50 && b == 99); /* clamped */
	CHECK_EQ(http_parse_range("bytes=-10", 9, 100, &a, &b), 206);
	CHECK(a == 90 && b == 99);
	CHECK_EQ(http_parse_range("bytes=-1000", 11, 100, &a, &b), 206);
	CHECK(a == 0 && b == 99);
	CHECK_EQ(http_parse_range("BYTES=1-1", 9, 100, &a, &b), 206);
	CHECK(a == 1 && b == 1);
	CHECK_EQ(http_parse_range("bytes=100-", 10, 100, &a, &b), 416);
	CHECK_EQ(http_parse_range("bytes=-0", 8, 100, &a, &b), 416);
	CHECK_EQ(http_parse_range("bytes=0-", 8, 0, &a, &b), 416);
	CHECK_EQ(http_parse_range("bytes=5-4", 9, 100, &a, &b), 0);
	CHECK_EQ(http_parse_range("bytes=0-1,5-6", 13, 100, &a, &b), 0);
	CHECK_EQ(http_parse_range("items=0-1", 9, 100, &a, &b), 0);
	CHECK_EQ(http_parse_range("bytes=x-1", 9, 100, &a, &b), 0);
	CHECK_EQ(http_parse_range("bytes=1-2x", 10, 100, &a, &b), 0);
	CHECK_EQ(http_parse_range("bytes=", 6, 100, &a, &b), 0);
	CHECK_EQ(http_parse_range("bytes=99999999999999999999-", 27, 100, &a, &b), 0);
}

TEST(http_dates)
{
	char out[HTTP_DATE_LEN + 1];
	int64_t t;

	http_format_date(0, out);
	CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_format_date(784111777, out);
	CHECK_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_format_date(951782400, out); /* a leap day of a year divisible by 400 */
	CHECK_STR(out, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_format_date(2147483648ll, out);
	CHECK_STR(out, "Tue, 19 Jan 2038 03:14:08 GMT");
	CHECK_EQ(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t), 0);
	CHECK_EQ(t, 784111777);
	for (int64_t s = 0; s < 5000000000ll; s += 86399 * 37 + 11) {
		http_format_date(s, out);
		CHECK_EQ(http_parse_date(out, strlen(out), &t), 0);
		CHECK_EQ(t, s);
	}
	CHECK_EQ(http_parse_date("Sun, 06 Nov 1994 08:49:37 UTC", 29, &t), -1);
	CHECK_EQ(http_parse_date("Sun, 30 Feb 1994 08:49:37 GMT", 29, &t), -1);
	CHECK_EQ(http_parse_date("Sun, 29 Feb 1900 08:49:37 GMT", 29, &t), -1);
	CHECK_EQ(http_parse_date("Sun, 06 Nov 1994 24:49:37 GMT", 29, &t), -1);
	CHECK_EQ(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t), -1);
	CHECK_EQ(http_parse_date("Sun, 06 Nov 1994 08:49:37 GM", 28, &t), -1);
}

TEST(http_types_and_reasons)
{
	CHECK_STR(http_content_type("/index.html"), "text/html; charset=utf-8");
	CHECK_STR(http_content_type("/A.PNG"), "image/png");
	CHECK_STR(http_content_type("/x.tar.gz"), "application/gzip");
	CHECK_STR(http_content_type("/dir.js/file"), "application/octet-stream");
	CHECK_STR(http_content_type("/noext"), "application/octet-stream");
	CHECK_STR(http_content_type("/x.htmlx"), "application/octet-stream");
	CHECK_STR(http_reason(404), "Not Found");
	CHECK_STR(http_reason(416), "Range Not Satisfiable");
	CHECK_STR(http_reason(299), "Unknown");
}
