/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/http.c. Requests are copied into exactly sized heap buffers so
 * that ASan catches a read past what the "client" sent. Every prefix of a good
 * request must say "not complete yet", every prefix of a bad one "not complete
 * yet" or its final error, and the error must show before the head is over when
 * the bytes that show it are there.
 */
#include "tests/host/check.h"

#include <stdlib.h>

#include "lib/http.h"

/* Parses the first n bytes of s from a buffer of exactly n bytes. */
static long parse_n(const char *s, size_t n, struct http_request *r)
{
	char *b = malloc(n ? n : 1);
	long v;

	memcpy(b, s, n);
	v = http_parse_request(b, n, r);
	/* Pointers into b die with it: keep only whether they were set. */
	free(b);
	r->range = r->range ? "" : NULL;
	r->ims = r->ims ? "" : NULL;
	r->method_name = r->method_name ? "" : NULL;
	return v;
}

static long parse(const char *s, struct http_request *r)
{
	return parse_n(s, strlen(s), r);
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

/* Whether every proper prefix of s is incomplete or gives want, and all of s
 * gives want; *first_err is the shortest prefix that gives it. */
static bool prefixes(const char *s, long want, size_t *first_err)
{
	static struct http_request r;
	size_t n = strlen(s);

	*first_err = n;
	for (size_t k = 0; k < n; k++) {
		long v = parse_n(s, k, &r);

		if (v != 0 && v != want) {
			check_fail(__FILE__, __LINE__, "prefix %zu of \"%s\": %ld", k, s,
				   v);
			return false;
		}
		if (v == want && want < 0 && k < *first_err)
			*first_err = k;
	}
	return parse_n(s, n, &r) == want;
}

TEST(http_simple_get)
{
	struct http_request r;
	const char *s =
		"GET /index.html HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";

	CHECK_EQ(parse(s, &r), (long)strlen(s));
	CHECK_EQ(r.method, HTTP_GET);
	CHECK_EQ(r.method_len, 3);
	CHECK_EQ(r.minor, 1);
	CHECK(r.keep_alive);
	CHECK(!r.chunked);
	CHECK_EQ(r.content_length, 0);
	CHECK_STR(r.path, "/index.html");
	CHECK(r.range == NULL && r.ims == NULL);
}

TEST(http_fields_are_reported)
{
	const char *s =
		"HEAD /a?b=c HTTP/1.0\nConnection: keep-alive\nRange:  bytes=1-2 \n"
		"if-modified-since:Sun, 06 Nov 1994 08:49:37 GMT\n"
		"Range: bytes=5-6\n\n";
	struct http_request r;
	char *b = malloc(strlen(s));

	memcpy(b, s, strlen(s));
	CHECK_EQ(http_parse_request(b, strlen(s), &r), (long)strlen(s));
	CHECK_EQ(r.method, HTTP_HEAD);
	CHECK_EQ(r.minor, 0);
	CHECK(r.keep_alive); /* 1.0 with keep-alive */
	CHECK_STR(r.path, "/a");
	/* OWS trimmed; the first Range counts. */
	CHECK_EQ(r.range_len, 9);
	CHECK_EQ(memcmp(r.range, "bytes=1-2", 9), 0);
	CHECK_EQ(r.ims_len, 29);
	CHECK_EQ(memcmp(r.ims, "Sun, 06 Nov 1994", 16), 0);
	CHECK(r.method_name == b && r.method_len == 4);
	free(b);

	parse("PROPFIND /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	      "Content-Length: 12\r\n\r\n",
	      &r);
	CHECK_EQ(r.method, HTTP_OTHER);
	CHECK_EQ(r.method_len, 8);
	CHECK(r.chunked);
	CHECK_EQ(r.content_length, 12);
	/* Methods are case-sensitive (RFC 9110 9.1). */
	parse("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	CHECK_EQ(r.method, HTTP_OTHER);
}

TEST(http_every_prefix_of_a_good_head_is_incomplete)
{
	const char *good[] = {
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"HEAD /a/b.txt?q HTTP/1.0\nConnection: keep-alive\nRange: bytes=1-2\n\n",
		"\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n",
		"GET http://h:8080/p HTTP/1.1\r\nHost: h:8080\r\nA: b\r\nC:d\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t e;

		if (!prefixes(good[i], (long)strlen(good[i]), &e))
			check_fail(__FILE__, __LINE__, "\"%s\"", good[i]);
	}
}

TEST(http_errors_show_before_the_head_ends)
{
	static const struct {
		const char *req; /* a whole head */
		long status; /* its answer */
		size_t within; /* known from this many bytes on */
	} bad[] = {
		{ "GET / HTTX/1.1\r\nHost: h\r\n\r\n", -400, 10 },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", -400, 1 },
		{ "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", -400, 5 },
		{ "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", -400, 7 },
		{ "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", -400, 15 },
		{ "GET / HTTP/1.12\r\nHost: h\r\n\r\n", -400, 15 },
		{ "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", -400, 16 },
		{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", -505, 16 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", -400, 36 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", -400, 39 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
		  "b\r\n\r\n",
		  -400, 33 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t e;

		if (!prefixes(bad[i].req, bad[i].status, &e) || e > bad[i].within)
			check_fail(__FILE__, __LINE__, "case %zu: known after %zu bytes",
				   i, e);
	}
}

TEST(http_pipelined_requests)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
			"POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
			"HEAD /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
			"GET /4";
	size_t len = strlen(s), at = 0;
	struct http_request r;
	long n;

	n = http_parse_request(s, len, &r);
	CHECK_EQ(n, 28);
	CHECK_STR(r.path, "/1");
	at += (size_t)n;
	n = http_parse_request(s + at, len - at, &r);
	CHECK_EQ(n, 48);
	CHECK_STR(r.path, "/2");
	CHECK_EQ(r.content_length, 3);
	at += (size_t)n + 3; /* the body is the caller's to skip */
	n = http_parse_request(s + at, len - at, &r);
	CHECK_EQ(n, 48);
	CHECK_STR(r.path, "/3");
	CHECK_EQ(r.method, HTTP_HEAD);
	CHECK(!r.keep_alive);
	at += (size_t)n;
	CHECK_EQ(http_parse_request(s + at, len - at, &r), 0); /* the 4th is partial */
}

TEST(http_keep_alive_rules)
{
	static const struct {
		const char *req; /* a whole head */
		bool keep; /* keep_alive */
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection:CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n"
		  "Connection: close\r\n\r\n",
		  false },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX-Connection: close\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: upgrade , KEEP-ALIVE\t\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", false },
	};
	struct http_request r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].req, &r) <= 0 || r.keep_alive != cases[i].keep)
			check_fail(__FILE__, __LINE__, "case %zu: keep_alive %d", i,
				   r.keep_alive);
	}
}

TEST(http_malformed_heads)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /\r\n\r\n", /* HTTP/0.9 */
		"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / http/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.x\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n", /* no Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		"GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost h\r\n\r\n",
		"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n\tfolded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GETGETGETGETGETGETGETGETGETGETGET / HTTP/1.1\r\nHost: h\r\n\r\n",
	};
	struct http_request r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long v = parse(bad[i], &r);

		if (v != -400)
			check_fail(__FILE__, __LINE__, "case %zu (%.20s...): %ld", i,
				   bad[i], v);
	}
	CHECK_EQ(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &r), -505);
	CHECK_EQ(parse("GET / HTTP/0.9\r\nHost: h\r\n\r\n", &r), -505);
	/* Equal repeated lengths are one length (RFC 9112 6.3). */
	const char *twice = "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			    "content-length: 5\r\n\r\n";

	CHECK_EQ(parse(twice, &r), (long)strlen(twice));
	CHECK_EQ(r.content_length, 5);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999999999999"
		       "\r\n\r\n",
		       &r),
		 (long)strlen("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: "
			      "999999999999999999\r\n\r\n"));
	CHECK_EQ(r.content_length, 999999999999999999ull);
	/* Host is optional in 1.0; empty lines before the request are skipped. */
	CHECK(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
	CHECK_EQ(parse("\r\n", &r), 0);
	CHECK_EQ(parse("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &r),
		 (long)strlen("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(http_limits)
{
	struct http_request r;
	size_t big = HTTP_HEAD_MAX + 100;
	char *b = malloc(big + 1);
	long n;

	/* A target past HTTP_URI_MAX: 414 as soon as its 4097th byte is there. */
	memcpy(b, "GET /", 5);
	memset(b + 5, 'a', big - 5);
	CHECK_EQ(http_parse_request(b, 4 + HTTP_URI_MAX, &r), 0);
	CHECK_EQ(http_parse_request(b, 4 + HTTP_URI_MAX + 1, &r), -414);
	memcpy(b + HTTP_URI_MAX + 10, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
	CHECK_EQ(http_parse_request(b, HTTP_URI_MAX + 33, &r), -414);
	/* The longest target is fine. */
	memcpy(b + 4 + HTTP_URI_MAX, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
	n = http_parse_request(b, 4 + HTTP_URI_MAX + 22, &r);
	CHECK_EQ(n, (long)(4 + HTTP_URI_MAX + 22));
	CHECK_EQ(strlen(r.path), HTTP_URI_MAX);
	b[4 + HTTP_URI_MAX - 1] = '/'; /* and the longest directory */
	n = http_parse_request(b, 4 + HTTP_URI_MAX + 22, &r);
	CHECK_EQ(n, (long)(4 + HTTP_URI_MAX + 22));
	CHECK_EQ(strlen(r.path), HTTP_URI_MAX);
	CHECK_EQ(r.path[HTTP_URI_MAX - 1], '/');
	b[4 + HTTP_URI_MAX] = 'a';
	memcpy(b + 5 + HTTP_URI_MAX, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
	CHECK_EQ(http_parse_request(b, 5 + HTTP_URI_MAX + 22, &r), -414);

	/* A head that never ends: 431 once it reaches HTTP_HEAD_MAX bytes. */
	strcpy(b, "GET / HTTP/1.1\r\nHost: h\r\nX-Long: ");
	memset(b + strlen(b), 'v', big - strlen(b));
	CHECK_EQ(http_parse_request(b, HTTP_HEAD_MAX - 1, &r), 0);
	CHECK_EQ(http_parse_request(b, HTTP_HEAD_MAX, &r), -431);
	CHECK_EQ(http_parse_request(b, big, &r), -431);
	/* A head of exactly HTTP_HEAD_MAX bytes is fine, one more is not. */
	memcpy(b + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	CHECK_EQ(http_parse_request(b, HTTP_HEAD_MAX, &r), HTTP_HEAD_MAX);
	memcpy(b + HTTP_HEAD_MAX - 4, "v\r\n\r\n", 5);
	CHECK_EQ(http_parse_request(b, HTTP_HEAD_MAX + 1, &r), -431);
	/* Many short lines: the same limit. */
	size_t o = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\n");
	while (o < big - 8)
		o += (size_t)sprintf(b + o, "%s", "A:\r\n");
	CHECK_EQ(http_parse_request(b, o, &r), -431);

	/* Too many fields: HTTP_HEADERS_MAX pass, one more does not (known before
	 * the head ends). */
	o = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX - 1; i++)
		o += (size_t)sprintf(b + o, "X%d: y\r\n", i);
	memcpy(b + o, "\r\n", 2);
	CHECK_EQ(http_parse_request(b, o + 2, &r), (long)o + 2);
	o += (size_t)sprintf(b + o, "Y: z\r\n");
	CHECK_EQ(http_parse_request(b, o, &r), -431);
	free(b);
}

TEST(http_paths_are_normalised)
{
	static const char *const cases[][2] = {
		{ "/", "/" },
		{ "/a/b/", "/a/b/" },
		{ "//a///b", "/a/b" },
		{ "/a/./b/.", "/a/b/" },
		{ "/./", "/" },
		{ "/.", "/" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/b/..", "/a/" },
		{ "/a/..", "/" },
		{ "/a/../", "/" },
		{ "/a//..", "/" },
		{ "/a%20b%41", "/a bA" },
		{ "/%7euser/%C3%A9t%c3%a9", "/~user/\xc3\xa9t\xc3\xa9" },
		{ "/a%3fb", "/a?b" },
		{ "/x?y=/../../etc#frag", "/x" },
		{ "/x#/../..", "/x" },
		{ "/?", "/" },
		{ "http://host:80/p/q?z", "/p/q" },
		{ "HTTP://host", "/" },
		{ "http://host?q", "/" },
		{ "https://host/a/../b", "/b" },
		{ "/a/%2e%2e/b", "/b" },
		{ "/a/%2e/b", "/a/b" },
		{ "/...", "/..." },
		{ "/..a/a..", "/..a/a.." },
		{ "/.hidden", "/.hidden" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long st;
		const char *p = path_of(cases[i][0], &st);

		if (strcmp(p, cases[i][1]) != 0)
			check_fail(__FILE__, __LINE__, "%s gave \"%s\" (%ld), not %s",
				   cases[i][0], p, st, cases[i][1]);
	}
}

TEST(http_traversal_is_refused)
{
	static const char *const bad[] = {
		"/..",
		"/../x",
		"/a/../../x",
		"/a/b/../../../x",
		"/%2e%2e/x",
		"/%2E%2e%2fetc",
		"/..%2fx",
		"/%2e%2e%2f",
		"/a/%00",
		"/%00",
		"//..",
		"/.%2e/",
		"/%2e.",
		"/%2e%2e",
		"/a/%2e%2E/%2e%2e/x",
		"/a%2fb",
		"/a%2Fb",
		"/a%5cb",
		"/a\\b",
		"/..\\x",
		"/%zz",
		"/%4",
		"/%",
		"/%g0",
		"/a%0d%0a",
		"/a%1b",
		"/a%7f",
		"http://h/../x",
		"http://h/%2e%2e/etc/passwd",
		"relative/path",
		"../x",
		"*",
		"h:80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long st;
		const char *p = path_of(bad[i], &st);

		if (st != -400)
			check_fail(__FILE__, __LINE__, "%s gave %ld (%s)", bad[i], st, p);
	}
}

TEST(http_ranges)
{
	static const struct {
		const char *v; /* the Range value */
		uint64_t size; /* of the file */
		int want; /* the result */
		uint64_t first, last; /* for 206 */
	} cases[] = {
		{ "bytes=0-9", 100, 206, 0, 9 },
		{ "bytes=0-0", 100, 206, 0, 0 },
		{ "bytes=99-99", 100, 206, 99, 99 },
		{ "bytes=90-", 100, 206, 90, 99 },
		{ "bytes=0-", 1, 206, 0, 0 },
		{ "bytes=50-1000", 100, 206, 50, 99 }, /* clamped */
		{ "bytes=5-18446744073709551615", 100, 206, 5, 99 },
		{ "bytes=-10", 100, 206, 90, 99 },
		{ "bytes=-1", 100, 206, 99, 99 },
		{ "bytes=-1000", 100, 206, 0, 99 },
		{ "BYTES=1-1", 100, 206, 1, 1 },
		{ "bytes=0-", 1ull << 40, 206, 0, (1ull << 40) - 1 },
		{ "bytes=100-", 100, 416, 0, 0 },
		{ "bytes=100-200", 100, 416, 0, 0 },
		{ "bytes=-0", 100, 416, 0, 0 },
		{ "bytes=0-", 0, 416, 0, 0 },
		{ "bytes=-5", 0, 416, 0, 0 },
		{ "bytes=5-4", 100, 0, 0, 0 },
		{ "bytes=0-1,5-6", 100, 0, 0, 0 },
		{ "bytes=0-1, 5-6", 100, 0, 0, 0 },
		{ "bytes=200-300,0-1", 100, 0, 0, 0 },
		{ "items=0-1", 100, 0, 0, 0 },
		{ "bytes 0-1", 100, 0, 0, 0 },
		{ "bytes=x-1", 100, 0, 0, 0 },
		{ "bytes=1-2x", 100, 0, 0, 0 },
		{ "bytes= 1-2", 100, 0, 0, 0 },
		{ "bytes=-", 100, 0, 0, 0 },
		{ "bytes=--1", 100, 0, 0, 0 },
		{ "bytes=1", 100, 0, 0, 0 },
		{ "bytes=", 100, 0, 0, 0 },
		{ "bytes", 100, 0, 0, 0 },
		{ "bytes=99999999999999999999-", 100, 416, 0, 0 },
		{ "bytes=-99999999999999999999", 100, 206, 0, 99 },
		{ "bytes=0-99999999999999999999999999", 100, 206, 0, 99 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].v);
		char *v = malloc(n); /* exactly sized: no NUL to lean on */
		uint64_t a = 7, b = 7;
		int k;

		memcpy(v, cases[i].v, n);
		k = http_parse_range(v, n, cases[i].size, &a, &b);
		free(v);
		if (k != cases[i].want ||
		    (k == 206 && (a != cases[i].first || b != cases[i].last)))
			check_fail(__FILE__, __LINE__, "%s of %llu: %d [%llu, %llu]",
				   cases[i].v, (unsigned long long)cases[i].size, k,
				   (unsigned long long)a, (unsigned long long)b);
	}
}

/* The unix time of a date given as IMF-fixdate, or -1. */
static int64_t date_of(const char *s)
{
	int64_t t;

	return http_parse_date(s, strlen(s), &t) == 0 ? t : -1;
}

TEST(http_dates)
{
	static const struct {
		int64_t t; /* unix seconds */
		const char *s; /* its IMF-fixdate */
	} known[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 59, "Thu, 01 Jan 1970 00:00:59 GMT" },
		{ 86399, "Thu, 01 Jan 1970 23:59:59 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" }, /* divisible by 400 */
		{ 951868800, "Wed, 01 Mar 2000 00:00:00 GMT" },
		{ 1709164800, "Thu, 29 Feb 2024 00:00:00 GMT" },
		{ 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT" },
		{ 2147483648ll, "Tue, 19 Jan 2038 03:14:08 GMT" },
		{ 4107542399ll, "Sun, 28 Feb 2100 23:59:59 GMT" }, /* 2100: no 29th */
		{ 4107542400ll, "Mon, 01 Mar 2100 00:00:00 GMT" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
		{ HTTP_DATE_MIN, "Sat, 01 Jan 0000 00:00:00 GMT" },
		{ HTTP_DATE_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
	};
	char out[HTTP_DATE_LEN + 1];
	int64_t t;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		http_format_date(known[i].t, out);
		CHECK_STR(out, known[i].s);
		if (http_parse_date(known[i].s, HTTP_DATE_LEN, &t) != 0 ||
		    t != known[i].t)
			check_fail(__FILE__, __LINE__, "%s parsed as %lld", known[i].s,
				   (long long)t);
	}
	/* Out of range times are clamped, never printed wrong. */
	http_format_date(HTTP_DATE_MAX + 1, out);
	CHECK_STR(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	http_format_date(INT64_MIN, out);
	CHECK_STR(out, "Sat, 01 Jan 0000 00:00:00 GMT");
	/* Round trips over 1900-2130, a day and a few seconds apart at a time. */
	for (int64_t s = -2208988800ll; s < 5000000000ll; s += 86399 * 37 + 11) {
		http_format_date(s, out);
		CHECK_EQ(strlen(out), HTTP_DATE_LEN);
		CHECK_EQ(http_parse_date(out, strlen(out), &t), 0);
		CHECK_EQ(t, s);
	}
	/* The obsolete forms (RFC 9110 5.6.7): recipients must take them. */
	CHECK_EQ(date_of("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	CHECK_EQ(date_of("Wednesday, 09-Jun-21 10:18:14 GMT"), 1623233894);
	CHECK_EQ(date_of("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
	CHECK_EQ(date_of("Sun Nov  6 08:49:37 1994"), 784111777);
	CHECK_EQ(date_of("Wed Jun 09 10:18:14 2021"), 1623233894);
	static const char *const bad[] = {
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 30 Feb 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT",
		"Sun, 29 Feb 2023 08:49:37 GMT",
		"Sun, 31 Apr 1994 08:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:49:37 GMT",
		"Sun, 06 Nov 1994 08:60:37 GMT",
		"Sun, 06 Nov 1994 08:49:60 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GM",
		"Sun, 06 Nov 1994 08:49:37 GMTX",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun,  6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 19x4 08:49:37 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Sunday, 06-Nov-94 08:49:37 UTC",
		"Sundae, 06-Nov-94 08:49:37 GMT",
		"Sun, 06-Nov-94 08:49:37 GMT",
		"Sunday, 06 Nov 94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 94",
		"Sun Nov 36 08:49:37 1994",
		"Sun Xov  6 08:49:37 1994",
		"",
		",",
		"Wednesday,",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);
		char *b = malloc(n ? n : 1);
		int k;

		memcpy(b, bad[i], n);
		k = http_parse_date(b, n, &t);
		free(b);
		if (k != -1)
			check_fail(__FILE__, __LINE__, "\"%s\" parsed", bad[i]);
	}
}

TEST(http_types_and_reasons)
{
	static const char *const types[][2] = {
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/a.HTM", "text/html; charset=utf-8" },
		{ "/s.css", "text/css; charset=utf-8" },
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/d.json", "application/json" },
		{ "/r.txt", "text/plain; charset=utf-8" },
		{ "/f.xml", "application/xml" },
		{ "/i.svg", "image/svg+xml" },
		{ "/A.PNG", "image/png" },
		{ "/p.jpg", "image/jpeg" },
		{ "/p.Jpeg", "image/jpeg" },
		{ "/g.gif", "image/gif" },
		{ "/w.webp", "image/webp" },
		{ "/favicon.ico", "image/x-icon" },
		{ "/m.wasm", "application/wasm" },
		{ "/d.pdf", "application/pdf" },
		{ "/f.woff", "font/woff" },
		{ "/f.woff2", "font/woff2" },
		{ "/v.mp4", "video/mp4" },
		{ "/x.tar.gz", "application/gzip" },
		{ "/dir.js/file", "application/octet-stream" },
		{ "/noext", "application/octet-stream" },
		{ "/trailing.", "application/octet-stream" },
		{ "/.html", "text/html; charset=utf-8" },
		{ "/x.htmlx", "application/octet-stream" },
		{ "/x.ht", "application/octet-stream" },
		{ "/", "application/octet-stream" },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		CHECK_STR(http_content_type(types[i][0]), types[i][1]);
	CHECK_STR(http_status_reason(200), "OK");
	CHECK_STR(http_status_reason(206), "Partial Content");
	CHECK_STR(http_status_reason(304), "Not Modified");
	CHECK_STR(http_status_reason(404), "Not Found");
	CHECK_STR(http_status_reason(405), "Method Not Allowed");
	CHECK_STR(http_status_reason(413), "Content Too Large");
	CHECK_STR(http_status_reason(414), "URI Too Long");
	CHECK_STR(http_status_reason(416), "Range Not Satisfiable");
	CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_status_reason(505), "HTTP Version Not Supported");
	CHECK_STR(http_status_reason(299), "Unknown");
}
