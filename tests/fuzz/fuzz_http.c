/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the HTTP request parser, ranges and dates on arbitrary bytes. A
 * parsed head lies inside the input, ends with an empty line, and gives a path
 * that starts with '/' and has no "//", "/./" or "/../" in it, no NUL before its
 * end and no control byte; an incomplete head is shorter than the limit; a range
 * lies inside the file; a parsed date prints back to the same bytes.
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
	size_t n = strlen(p);

	FZ_ASSERT(p[0] == '/' && n <= HTTP_URI_MAX);
	FZ_ASSERT(!strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../"));
	FZ_ASSERT(strcmp(p + (n >= 3 ? n - 3 : 0), "/..") != 0);
	FZ_ASSERT(n < 2 || strcmp(p + n - 2, "/.") != 0);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT((unsigned char)p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request req;
	char *buf = malloc(size ? size : 1);
	uint64_t a = 0, b = 0, fsize = size ? data[0] * 1000u : 0;
	char out[HTTP_DATE_LEN + 1];
	int64_t t;
	long r;

	/* Copy so reads past size are caught by ASan. */
	memcpy(buf, data, size);
	r = http_parse_request(buf, size, &req);
	FZ_ASSERT(r == 0 || r == -400 || r == -414 || r == -431 || r == -505 || r > 0);
	if (r > 0) {
		FZ_ASSERT((size_t)r <= size && r <= HTTP_HEAD_MAX && buf[r - 1] == '\n');
		fz_path(req.path);
		FZ_ASSERT(!req.range ||
			  (req.range >= buf && req.range + req.range_len <= buf + size));
		if (req.range) {
			int k = http_parse_range(req.range, req.range_len, fsize, &a, &b);

			FZ_ASSERT(k == 0 || k == 206 || k == 416);
			FZ_ASSERT(k != 206 || (a <= b && b < fsize));
		}
	}
	if (r == 0)
		FZ_ASSERT(size < HTTP_HEAD_MAX + 1);
	if (size >= 1) {
		int k = http_parse_range(buf, size, fsize, &a, &b);

		FZ_ASSERT(k != 206 || (a <= b && b < fsize));
	}
	if (http_parse_date(buf, size, &t) == 0) {
		http_format_date(t, out);
		FZ_ASSERT(memcmp(out + 5, buf + 5, HTTP_DATE_LEN - 5) == 0);
	}
	free(buf);
	return 0;
}
