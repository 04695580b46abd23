/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 requests as pure functions, for examples/webserver: the request head
 * (RFC 9112), its target turned into a safe path, byte ranges (RFC 9110 14),
 * HTTP dates (RFC 9110 5.6.7), media types by file extension. No I/O, no
 * allocation; the client is never trusted (see http.c).
 */
#ifndef LIB_HTTP_H
#define LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_URI_MAX 4096 /* longest request target: beyond is 414 */
#define HTTP_HEAD_MAX 16384 /* longest request head: beyond is 431 */
#define HTTP_HEADERS_MAX 100 /* header fields: beyond is 431 */
#define HTTP_METHOD_MAX 32 /* longest method: beyond is 400 (none is that long) */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_request {
	enum http_method method; /* GET, HEAD, or another (valid) token */
	const char *method_name; /* the method as sent, inside the caller's buffer */
	size_t method_len;
	int minor; /* HTTP/1.minor: 0 or 1 */
	bool keep_alive; /* the connection may carry another request */
	bool chunked; /* a Transfer-Encoding header is present */
	uint64_t content_length; /* body bytes that follow the head */
	const char *range; /* Range value inside the caller's buffer, or NULL */
	size_t range_len;
	const char *ims; /* If-Modified-Since value, or NULL */
	size_t ims_len;
	/* The target's path: percent-decoded, starting with '/', without "//",
	 * "." or ".." segments, without query or fragment. A trailing '/' stays. */
	char path[HTTP_URI_MAX + 1];
};

/*
 * Parses the request head at the start of buf[0..len). Returns its length (> 0;
 * pipelined requests follow it in buf), 0 if it is not complete yet, or the
 * negative status to answer: -400 malformed, -414 target too long, -431 head too
 * long or too many fields, -505 a version other than 1.0/1.1. Errors are known as
 * soon as the bytes that show them are there, head complete or not, so a caller
 * never needs more than HTTP_HEAD_MAX bytes: with len >= HTTP_HEAD_MAX the answer
 * is never 0. The pointers in *req point into buf.
 */
long http_parse_request(const char *buf, size_t len, struct http_request *req);

/* http_parse_range results. */
#define HTTP_RANGE_IGNORE 0 /* no usable range: send the whole file (200) */
#define HTTP_RANGE_OK 206 /* [*first, *last] of the file */
#define HTTP_RANGE_UNSATISFIABLE 416

/*
 * One range of a Range value ("bytes=a-b", "bytes=a-", "bytes=-n") against a
 * file of size bytes; b is clamped to size - 1. Several ranges, other units and
 * bad syntax are ignored.
 */
int http_parse_range(const char *value, size_t len, uint64_t size, uint64_t *first,
		     uint64_t *last);

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_DATE_MIN (-62167219200ll) /* 0000-01-01 00:00:00 */
#define HTTP_DATE_MAX 253402300799ll /* 9999-12-31 23:59:59 */

/*
 * Writes the IMF-fixdate of unix time secs and a NUL into out[30]; times outside
 * years 0000-9999 are clamped to HTTP_DATE_MIN/MAX (a host may say anything).
 */
void http_format_date(int64_t secs, char out[HTTP_DATE_LEN + 1]);

/*
 * Parses an HTTP date: IMF-fixdate, or the obsolete RFC 850 and asctime forms.
 * 0 with *secs, or -1 when it is none of them.
 */
int http_parse_date(const char *s, size_t len, int64_t *secs);

/* The Content-Type for a path, from its extension (case-insensitive). */
const char *http_content_type(const char *path);

/* The reason phrase of a status ("Not Found"), "Unknown" otherwise. */
const char *http_status_reason(int status);

#endif
