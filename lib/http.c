/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 request heads (RFC 9112) for a static file server.
 *
 * Primer. A request is a request line (method SP target SP HTTP/1.x), header
 * fields (name ":" OWS value OWS), each ending in CRLF (a bare LF is accepted,
 * 9112 2.2), then an empty line; empty lines before the request line are
 * skipped (9112 2.2). The body, if any, follows and is framed by
 * Content-Length; Transfer-Encoding is only reported (the server refuses it).
 *
 * What is refused, and why (all 400 unless said): a method that is not a token;
 * a target with spaces or control bytes, or longer than HTTP_URI_MAX (414); a
 * version other than HTTP/1.0 and 1.1 (505, or 400 when it is not one at all);
 * a field name with a space before the colon (9112 5.1), obsolete line folding
 * (9112 5.2), control bytes in a value; more than HTTP_HEADERS_MAX fields or a
 * head past HTTP_HEAD_MAX bytes (431); two Content-Length fields that disagree or
 * one that is not a number (9112 6.3); a missing or repeated Host in 1.1 (9112
 * 3.2). The target: the origin form "/path?query" or the absolute form
 * "http://host/path" (9112 3.2.1-2), query and fragment dropped; percent escapes
 * are decoded once, and an invalid escape, a decoded NUL or control byte, a '/'
 * or '\' hidden in an escape, or a ".." that climbs above the root is refused.
 * So the path handed to the server never leads out of what it serves.
 */
#include "lib/http.h"

#include "lib/kstring.h"

/* ---- characters -------------------------------------------------------------- */

static bool http_tchar(char c)
{
	/* token = 1*tchar (RFC 9110 5.6.2) */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static char http_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Case-insensitive comparison of s[0..n) with the lower-case word w. */
static bool http_ieq(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i]; i++)
		if (http_lower(s[i]) != w[i])
			return false;
	return i == n && w[i] == '\0';
}

static int http_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = http_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ---- the target ---------------------------------------------------------------- */

/*
 * Decodes and normalises the path t[0..n) (query already cut) into out (cap
 * bytes). 0, or -400.
 */
static long http_path(const char *t, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	bool dir = false;

	out[o++] = '/';
	while (i < n) {
		char seg[HTTP_URI_MAX + 1];
		size_t sl = 0;

		while (i < n && t[i] == '/')
			i++;
		if (i == n) {
			dir = true;
			break;
		}
		while (i < n && t[i] != '/') {
			char c = t[i++];

			if (c == '%') {
				int h, l;

				if (i + 2 > n || (h = http_hex(t[i])) < 0 ||
				    (l = http_hex(t[i + 1])) < 0)
					return -400;
				c = (char)(h * 16 + l);
				i += 2;
				if (c == '/')
					return -400;
			}
			if ((unsigned char)c < 0x20 || c == 0x7f || c == '\\')
				return -400;
			seg[sl++] = c;
		}
		dir = false;
		if (sl == 1 && seg[0] == '.') {
			dir = true;
			continue;
		}
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			if (o == 1)
				return -400; /* above the root */
			/* Drop the last segment and its '/'. */
			o--;
			while (o > 1 && out[o - 1] != '/')
				o--;
			dir = true;
			continue;
		}
		if (o + sl + 1 > cap)
			return -414;
		memcpy(out + o, seg, sl);
		o += sl;
		out[o++] = '/';
	}
	/* out ends in '/' here: keep it only for a directory. */
	if (o > 1 && !dir)
		o--;
	out[o] = '\0';
	return 0;
}

static long http_target(const char *t, size_t n, struct http_request *req)
{
	size_t end = 0;

	if (n > HTTP_URI_MAX)
		return -414;
	if (n >= 7 &&
	    (http_ieq(t, 7, "http://") || (n >= 8 && http_ieq(t, 8, "https://")))) {
		/* Absolute form: the authority is Host's business; keep the path. */
		size_t i = http_lower(t[4]) == 's' ? 8 : 7;

		while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
			i++;
		t += i;
		n -= i;
		if (n == 0 || t[0] != '/')
			return n == 0 ? http_path("/", 1, req->path, sizeof(req->path)) :
					-400;
	}
	if (n == 0 || t[0] != '/')
		return -400; /* "*" and anything else */
	while (end < n && t[end] != '?' && t[end] != '#')
		end++;
	return http_path(t, end, req->path, sizeof(req->path));
}

/* ---- the head --------------------------------------------------------------------- */

/* The line at buf[*pos..len): its length without CRLF or LF; -1 if incomplete. */
static long http_line(const char *buf, size_t len, size_t *pos, size_t *next)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	size_t n;

	if (!nl)
		return -1;
	n = (size_t)(nl - (buf + *pos));
	*next = *pos + n + 1;
	if (n && buf[*pos + n - 1] == '\r')
		n--;
	return (long)n;
}

/* Connection: a comma-separated list of tokens. */
static void http_connection(const char *v, size_t n, bool *close, bool *keep)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (http_ieq(v + s, e - s, "close"))
			*close = true;
		else if (http_ieq(v + s, e - s, "keep-alive"))
			*keep = true;
	}
}

/* One header field line[0..n). 0 or -400. */
static long http_field(const char *line, size_t n, struct http_request *req, int *hosts,
		       bool *have_cl, bool *close, bool *keep)
{
	size_t c = 0, vs, ve;

	while (c < n && http_tchar(line[c]))
		c++;
	if (c == 0 || c == n || line[c] != ':')
		return -400; /* no name, or a space before the colon */
	vs = c + 1;
	while (vs < n && (line[vs] == ' ' || line[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
		ve--;
	for (size_t i = vs; i < ve; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return -400;
	const char *v = line + vs;
	size_t vl = ve - vs;

	if (http_ieq(line, c, "host")) {
		(*hosts)++;
	} else if (http_ieq(line, c, "content-length")) {
		uint64_t x = 0;

		if (vl == 0 || vl > 18)
			return -400;
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -400;
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (*have_cl && x != req->content_length)
			return -400;
		*have_cl = true;
		req->content_length = x;
	} else if (http_ieq(line, c, "transfer-encoding")) {
		req->chunked = true;
	} else if (http_ieq(line, c, "connection")) {
		http_connection(v, vl, close, keep);
	} else if (http_ieq(line, c, "range")) {
		req->range = v;
		req->range_len = vl;
	} else if (http_ieq(line, c, "if-modified-since")) {
		req->ims = v;
		req->ims_len = vl;
	}
	return 0;
}

/* The request line[0..n). 0 or -status. */
static long http_request_line(const char *line, size_t n, struct http_request *req)
{
	size_t m = 0, t, te;

	while (m < n && http_tchar(line[m]))
		m++;
	if (m == 0 || m == n || line[m] != ' ')
		return -400;
	t = m + 1;
	te = t;
	while (te < n && line[te] != ' ') {
		if ((unsigned char)line[te] <= 0x20 || line[te] == 0x7f)
			return -400;
		te++;
	}
	if (te - t > HTTP_URI_MAX)
		return -414;
	if (te == n || te == t)
		return -400;
	const char *ver = line + te + 1;
	size_t vl = n - te - 1;

	if (vl != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[6] != '.' || ver[5] < '0' ||
	    ver[5] > '9' || ver[7] < '0' || ver[7] > '9')
		return -400;
	if (ver[5] != '1' || ver[7] > '1')
		return -505;
	req->minor = ver[7] - '0';
	if (m == 3 && memcmp(line, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (m == 4 && memcmp(line, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	return http_target(line + t, te - t, req);
}

long http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t pos = 0, next = 0, fields = 0;
	bool have_cl = false, close = false, keep = false;
	int hosts = 0;
	long n, r;

	memset(req, 0, sizeof(*req));
	/* Empty lines before the request line (a client's extra CRLF). */
	while ((n = http_line(buf, len, &pos, &next)) == 0 && pos < 8)
		pos = next;
	if (n < 0) {
		/* No end of the request line yet: is it already too long? */
		if (len - pos > HTTP_URI_MAX + 64)
			return memchr(buf + pos, ' ', len - pos) ? -414 : -400;
		return 0;
	}
	if (n == 0)
		return -400;
	if ((r = http_request_line(buf + pos, (size_t)n, req)))
		return r;
	for (;;) {
		pos = next;
		n = http_line(buf, len, &pos, &next);
		if (n < 0)
			return len >= HTTP_HEAD_MAX ? -431 : 0;
		if (next > HTTP_HEAD_MAX)
			return -431;
		if (n == 0)
			break;
		if (buf[pos] == ' ' || buf[pos] == '\t')
			return -400; /* obsolete line folding */
		if (++fields > HTTP_HEADERS_MAX)
			return -431;
		if ((r = http_field(buf + pos, (size_t)n, req, &hosts, &have_cl, &close,
				    &keep)))
			return r;
	}
	if (req->minor == 1 && hosts != 1)
		return -400;
	if (hosts > 1)
		return -400;
	req->keep_alive = req->minor == 1 ? !close : keep && !close;
	return (long)next;
}

/* ---- ranges ------------------------------------------------------------------------ */

/* Digits s[*i..n) as a number; false if none or it overflows. */
static bool http_num(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (*v > (UINT64_MAX - 9) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(s[*i] - '0');
		(*i)++;
	}
	return *i > start;
}

int http_parse_range(const char *value, size_t len, uint64_t size, uint64_t *first,
		     uint64_t *last)
{
	size_t i = 6;
	uint64_t a, b;

	if (len < 7 || !http_ieq(value, 6, "bytes="))
		return HTTP_RANGE_IGNORE;
	if (memchr(value, ',', len))
		return HTTP_RANGE_IGNORE; /* several ranges: the whole file will do */
	if (value[i] == '-') {
		i++;
		if (!http_num(value, len, &i, &b) || i != len)
			return HTTP_RANGE_IGNORE;
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return HTTP_RANGE_OK;
	}
	if (!http_num(value, len, &i, &a) || i == len || value[i++] != '-')
		return HTTP_RANGE_IGNORE;
	if (i == len) {
		b = UINT64_MAX;
	} else if (!http_num(value, len, &i, &b) || i != len || b < a) {
		return HTTP_RANGE_IGNORE;
	}
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_OK;
}

/* ---- dates ------------------------------------------------------------------------- */

static const char http_days[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
static const char http_months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t http_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void http_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void http_put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void http_format_date(int64_t secs, char out[HTTP_DATE_LEN + 1])
{
	int64_t days = secs / 86400, rem = secs % 86400, y;
	int m, d;

	http_civil_from_days(days, &y, &m, &d);
	memcpy(out, http_days[days % 7], 3);
	memcpy(out + 3, ", ", 2);
	http_put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, http_months[m - 1], 3);
	out[11] = ' ';
	http_put2(out + 12, (int)(y / 100 % 100));
	http_put2(out + 14, (int)(y % 100));
	out[16] = ' ';
	http_put2(out + 17, (int)(rem / 3600));
	out[19] = ':';
	http_put2(out + 20, (int)(rem / 60 % 60));
	out[22] = ':';
	http_put2(out + 23, (int)(rem % 60));
	memcpy(out + 25, " GMT", 5); /* with the NUL */
}

/* Two digits at p, or -1. */
static int http_get2(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int http_parse_date(const char *s, size_t len, int64_t *secs)
{
	int d, m = 0, yh, yl, hh, mm, ss, dim;
	bool day_ok = false;

	if (len != HTTP_DATE_LEN || memcmp(s + 3, ", ", 2) != 0 || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    memcmp(s + 25, " GMT", 4) != 0)
		return -1;
	for (int i = 0; i < 7; i++)
		day_ok |= memcmp(s, http_days[i], 3) == 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, http_months[i], 3) == 0)
			m = i + 1;
	d = http_get2(s + 5);
	yh = http_get2(s + 12);
	yl = http_get2(s + 14);
	hh = http_get2(s + 17);
	mm = http_get2(s + 20);
	ss = http_get2(s + 23);
	if (!day_ok || m < 1 || m > 12 || d < 1 || yh < 0 || yl < 0 || hh < 0 ||
	    hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return -1;
	int64_t y = yh * 100 + yl;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	dim = mdays[m - 1];
	if (m == 2 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		dim = 28;
	if (d > dim || y < 1970)
		return -1;
	*secs = http_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* ---- media types, reasons ------------------------------------------------------------ */

static const struct {
	const char *ext;
	const char *type;
} http_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
};

const char *http_content_type(const char *path)
{
	const char *dot = NULL;

	for (const char *p = path; *p; p++)
		if (*p == '.')
			dot = p + 1;
		else if (*p == '/')
			dot = NULL;
	for (size_t i = 0; dot && i < sizeof(http_types) / sizeof(http_types[0]); i++)
		if (http_ieq(dot, strlen(dot), http_types[i].ext))
			return http_types[i].type;
	return "application/octet-stream";
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}
