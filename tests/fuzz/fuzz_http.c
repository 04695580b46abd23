/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the HTTP request parser, ranges and dates on arbitrary bytes.
 *
 * Invariants checked, beyond "no crash, no read past the input":
 * - the answer is a head length, 0, or one of -400/-414/-431/-505, and 0 only
 *   while fewer than HTTP_HEAD_MAX bytes are there;
 * - a parsed head lies inside the input, ends with an empty line, parses alone
 *   to the same length, and every shorter prefix of it is incomplete;
 * - one byte less never gives a different answer than 0 or the same one (an
 *   error, once seen, stays: the server may answer as soon as it sees it);
 * - the path starts with '/', has no empty, "." or ".." segment, no control
 *   byte or backslash, and fits its buffer; the pointers lie inside the input;
 * - a range lies inside the file; a parsed date prints and parses back to the
 *   same time, and an IMF-fixdate prints back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

#define FZ_ASSERT(e)             \
	do {                     \
		if (!(e))        \
			abort(); \
	} while (0)

static void fz_path(const char *p)
{
	size_t n = strnlen(p, HTTP_URI_MAX + 1);

	FZ_ASSERT(n <= HTTP_URI_MAX && p[0] == '/');
	FZ_ASSERT(!strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../"));
	FZ_ASSERT(strcmp(p + (n >= 3 ? n - 3 : 0), "/..") != 0);
	FZ_ASSERT(n < 2 || strcmp(p + n - 2, "/.") != 0);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT((unsigned char)p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\');
	FZ_ASSERT(http_content_type(p) != NULL);
}

/* Whether p[0..n) lies inside buf[0..size). */
static bool fz_inside(const char *p, size_t n, const char *buf, size_t size)
{
	return p >= buf && n <= size && p - buf <= (long)(size - n);
}

static void fz_range(const char *v, size_t n, uint64_t fsize)
{
	uint64_t a = 0, b = 0;
	int k = http_parse_range(v, n, fsize, &a, &b);

	FZ_ASSERT(k == HTTP_RANGE_IGNORE || k == HTTP_RANGE_OK ||
		  k == HTTP_RANGE_UNSATISFIABLE);
	FZ_ASSERT(k != HTTP_RANGE_OK || (a <= b && b < fsize));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request req, again;
	char *buf = malloc(size ? size : 1);
	uint64_t fsize = size >= 2 ? (uint64_t)data[0] * 1000u + data[1] : 0;
	char out[HTTP_DATE_LEN + 1];
	int64_t t, t2;
	long r;

	/* A copy exactly as long as the input: ASan sees any read past it. */
	memcpy(buf, data, size);
	r = http_parse_request(buf, size, &req);
	FZ_ASSERT(r == 0 || r == -400 || r == -414 || r == -431 || r == -505 || r > 0);
	FZ_ASSERT(r != 0 || size < HTTP_HEAD_MAX);
	if (size) {
		long p = http_parse_request(buf, size - 1, &again);

		FZ_ASSERT(p == 0 || p == r);
	}
	if (r > 0) {
		FZ_ASSERT((size_t)r <= size && r <= HTTP_HEAD_MAX && buf[r - 1] == '\n');
		FZ_ASSERT(http_parse_request(buf, (size_t)r - 1, &again) == 0);
		FZ_ASSERT(http_parse_request(buf, (size_t)r, &again) == r);
		FZ_ASSERT(strcmp(again.path, req.path) == 0);
		fz_path(req.path);
		FZ_ASSERT(req.minor == 0 || req.minor == 1);
		FZ_ASSERT(fz_inside(req.method_name, req.method_len, buf, size));
		FZ_ASSERT(req.method_len >= 1 && req.method_len <= HTTP_METHOD_MAX);
		FZ_ASSERT(!req.range || fz_inside(req.range, req.range_len, buf, size));
		FZ_ASSERT(!req.ims || fz_inside(req.ims, req.ims_len, buf, size));
		if (req.range)
			fz_range(req.range, req.range_len, fsize);
		if (req.ims)
			http_parse_date(req.ims, req.ims_len, &t);
	}
	if (size)
		fz_range(buf, size, fsize);
	if (http_parse_date(buf, size, &t) == 0) {
		FZ_ASSERT(t >= HTTP_DATE_MIN && t <= HTTP_DATE_MAX);
		http_format_date(t, out);
		FZ_ASSERT(http_parse_date(out, HTTP_DATE_LEN, &t2) == 0 && t2 == t);
		if (size == HTTP_DATE_LEN && buf[3] == ',')
			FZ_ASSERT(memcmp(out + 5, buf + 5, HTTP_DATE_LEN - 5) == 0);
	}
	free(buf);
	return 0;
}
