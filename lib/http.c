/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 request heads (RFC 9112) for a static file server.
 *
 * Primer. A request is a request line (method SP target SP HTTP/1.x), header
 * fields (name ":" OWS value OWS), each ending in CRLF (a bare LF is accepted,
 * 9112 2.2), then an empty line; up to 8 empty lines before the request line are
 * skipped (9112 2.2). The body, if any, follows and is framed by Content-Length;
 * Transfer-Encoding is only reported (the server refuses it). Bytes arrive in
 * pieces, so the parser runs again on everything received so far; it is
 * stateless, and what it has seen decides at once when it is already wrong or
 * too long, before the empty line comes (a server never buffers more than
 * HTTP_HEAD_MAX bytes for a head).
 *
 * What is refused, and why (all 400 unless said): a method that is not a token
 * (9110 9.1) or is longer than HTTP_METHOD_MAX; a target with spaces or control
 * bytes, or longer than HTTP_URI_MAX (414); a version other than HTTP/1.0 and 1.1
 * (505, or 400 when it is not "HTTP/d.d" at all); a field name with a space
 * before the colon (9112 5.1: request smuggling), obsolete line folding (9112
 * 5.2), control bytes in a value (9110 5.5); more than HTTP_HEADERS_MAX fields or
 * a head past HTTP_HEAD_MAX bytes (431, 9110 15.5.20 and RFC 6585); Content-Length
 * that is not a plain number, or two that disagree (9112 6.3); a missing or
 * repeated Host in 1.1, a repeated one in 1.0 (9112 3.2). A repeated Range or
 * If-Modified-Since: the first one counts.
 *
 * The target (9112 3.2): the origin form "/path?query", and the absolute form
 * "http://host/path" whose path is taken (the authority is Host's business);
 * "*" and the authority form are refused. Query and fragment are dropped. The
 * path is percent-decoded once (RFC 3986 2.1), then its dot segments resolved
 * (RFC 3986 5.2.4): an invalid escape, a decoded NUL or control byte, a '/'
 * hidden in an escape ("%2f" would make one name two), a backslash raw or
 * escaped (a separator to some file systems, never needed in a URL) and a ".."
 * that climbs above the root are refused. The result starts with '/', has no
 * empty, "." or ".." segment, and so never leads out of what the server shares.
 *
 * Dates (9110 5.6.7) are converted with days-from-civil arithmetic on the
 * proleptic Gregorian calendar; no time zone, no leap seconds.
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

static bool http_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static bool http_digit(char c)
{
	return c >= '0' && c <= '9';
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
	if (http_digit(c))
		return c - '0';
	c = http_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ---- the target ---------------------------------------------------------------- */

/*
 * Decodes and normalises the path t[0..n) (starting with '/', query already
 * cut) into out[cap]. Segments are decoded in place after the last kept one; a
 * "." or ".." is then simply not kept. 0, or -400.
 */
static long http_path(const char *t, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0; /* out[0..o) is "" or "/seg/.../seg" */
	bool dir = true; /* the last segment named a directory */

	while (i < n) {
		size_t k = o + 1, sl;

		while (i < n && t[i] == '/')
			i++;
		if (i == n) {
			dir = true; /* a trailing '/' */
			break;
		}
		while (i < n && t[i] != '/') {
			char c = t[i++];

			if (c == '%') {
				int h, l;

				if (n - i < 2 || (h = http_hex(t[i])) < 0 ||
				    (l = http_hex(t[i + 1])) < 0)
					return -400;
				c = (char)(h * 16 + l);
				i += 2;
				if (c == '/')
					return -400;
			}
			if (http_ctl(c) || c == '\\')
				return -400;
			if (k + 2 > cap)
				return -414; /* cannot happen: decoding only shrinks */
			out[k++] = c;
		}
		sl = k - o - 1;
		dir = true;
		if (sl == 1 && out[o + 1] == '.')
			continue;
		if (sl == 2 && out[o + 1] == '.' && out[o + 2] == '.') {
			if (o == 0)
				return -400; /* above the root */
			while (out[--o] != '/')
				;
			continue;
		}
		out[o] = '/';
		o = k;
		dir = false;
	}
	if (o == 0 || dir) {
		if (o + 2 > cap)
			return -414;
		out[o++] = '/';
	}
	out[o] = '\0';
	return 0;
}

static long http_target(const char *t, size_t n, struct http_request *req)
{
	size_t end = 0, skip = 0;

	if (n >= 7 && http_ieq(t, 7, "http://"))
		skip = 7;
	else if (n >= 8 && http_ieq(t, 8, "https://"))
		skip = 8;
	if (skip) {
		/* Absolute form: step over the authority to the path. */
		while (skip < n && t[skip] != '/' && t[skip] != '?' && t[skip] != '#')
			skip++;
		t += skip;
		n -= skip;
		if (n == 0 || t[0] != '/')
			return http_path("/", 1, req->path, sizeof(req->path));
	}
	if (n == 0 || t[0] != '/')
		return -400; /* "*", "host:port", "relative" */
	while (end < n && t[end] != '?' && t[end] != '#')
		end++;
	return http_path(t, end, req->path, sizeof(req->path));
}

/* ---- the head --------------------------------------------------------------------- */

/*
 * The line at buf[pos..len): its length without CRLF or LF, and *next the
 * offset after it; -1 if its LF has not arrived.
 */
static long http_line(const char *buf, size_t len, size_t pos, size_t *next)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);
	size_t n;

	if (!nl)
		return -1;
	n = (size_t)(nl - (buf + pos));
	*next = pos + n + 1;
	if (n && buf[pos + n - 1] == '\r')
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

/* What the fields have said so far. */
struct http_fields {
	int hosts; /* Host fields seen */
	bool have_cl; /* a Content-Length was seen */
	bool close; /* "close" in Connection */
	bool keep; /* "keep-alive" in Connection */
};

/* One header field line[0..n). 0 or -400. */
static long http_field(const char *line, size_t n, struct http_request *req,
		       struct http_fields *f)
{
	size_t c = 0, vs, ve, vl;
	const char *v;

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
		if (http_ctl(line[i]) && line[i] != '\t')
			return -400;
	v = line + vs;
	vl = ve - vs;
	if (http_ieq(line, c, "host")) {
		f->hosts++;
	} else if (http_ieq(line, c, "content-length")) {
		uint64_t x = 0;

		/* 18 digits cannot overflow; nobody sends a body that large. */
		if (vl == 0 || vl > 18)
			return -400;
		for (size_t i = 0; i < vl; i++) {
			if (!http_digit(v[i]))
				return -400;
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (f->have_cl && x != req->content_length)
			return -400;
		f->have_cl = true;
		req->content_length = x;
	} else if (http_ieq(line, c, "transfer-encoding")) {
		req->chunked = true;
	} else if (http_ieq(line, c, "connection")) {
		http_connection(v, vl, &f->close, &f->keep);
	} else if (http_ieq(line, c, "range") && !req->range) {
		req->range = v;
		req->range_len = vl;
	} else if (http_ieq(line, c, "if-modified-since") && !req->ims) {
		req->ims = v;
		req->ims_len = vl;
	}
	return 0;
}

/*
 * The request line s[0..n) without its line end; complete says whether that
 * end has arrived. Without it, only what is there is judged: 0 means "so far so
 * good". 0 or -status.
 */
static long http_request_line(const char *s, size_t n, bool complete,
			      struct http_request *req)
{
	static const char form[] = "HTTP/d.d";
	size_t m = 0, t, te, vl;
	const char *ver;

	while (m < n && http_tchar(s[m]))
		m++;
	if (m > HTTP_METHOD_MAX)
		return -400;
	if (m == n)
		return complete ? -400 : 0;
	if (m == 0 || s[m] != ' ')
		return -400;
	t = te = m + 1;
	while (te < n && s[te] != ' ') {
		if (http_ctl(s[te]))
			return -400;
		if (++te - t > HTTP_URI_MAX)
			return -414;
	}
	if (te == n)
		return complete ? -400 : 0;
	if (te == t)
		return -400; /* two spaces */
	ver = s + te + 1;
	vl = n - te - 1;
	for (size_t k = 0; k < vl; k++)
		if (k == 8 || (form[k] == 'd' ? !http_digit(ver[k]) : ver[k] != form[k]))
			return -400;
	if (!complete)
		return 0;
	if (vl != 8)
		return -400;
	if (ver[5] != '1' || ver[7] > '1')
		return -505;
	req->minor = ver[7] - '0';
	req->method_name = s;
	req->method_len = m;
	if (m == 3 && memcmp(s, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (m == 4 && memcmp(s, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	return http_target(s + t, te - t, req);
}

long http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	struct http_fields f = { 0, false, false, false };
	size_t pos = 0, next = 0, fields = 0;
	int empty = 0;
	long n, r;

	memset(req, 0, offsetof(struct http_request, path));
	req->path[0] = '\0';
	/* Empty lines before the request line (a client's extra CRLF). */
	while ((n = http_line(buf, len, pos, &next)) == 0) {
		if (++empty > 8)
			return -400;
		pos = next;
	}
	if (n < 0) {
		/* The request line so far; a CR at the end may be its line end's. */
		size_t k = len - pos;

		if (k && buf[len - 1] == '\r')
			k--;
		r = http_request_line(buf + pos, k, false, req);
		return r ? r : len >= HTTP_HEAD_MAX ? -431 : 0;
	}
	if ((r = http_request_line(buf + pos, (size_t)n, true, req)))
		return r;
	for (;;) {
		pos = next;
		n = http_line(buf, len, pos, &next);
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
		if ((r = http_field(buf + pos, (size_t)n, req, &f)))
			return r;
	}
	if ((req->minor == 1 && f.hosts != 1) || f.hosts > 1)
		return -400;
	req->keep_alive = req->minor == 1 ? !f.close : f.keep && !f.close;
	return (long)next;
}

/* ---- ranges ------------------------------------------------------------------------ */

/* Digits s[*i..n) as a number, UINT64_MAX when larger; false if none. */
static bool http_num(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && http_digit(s[*i])) {
		uint64_t d = (uint64_t)(s[*i] - '0');

		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
		(*i)++;
	}
	return *i > start;
}

int http_parse_range(const char *value, size_t len, uint64_t size, uint64_t *first,
		     uint64_t *last)
{
	size_t i = 6;
	uint64_t a, b;

	/* range-unit is case-insensitive (9110 14.1); no spaces inside a range. */
	if (len < 7 || !http_ieq(value, 6, "bytes="))
		return HTTP_RANGE_IGNORE;
	if (memchr(value, ',', len))
		return HTTP_RANGE_IGNORE; /* several ranges: the whole file will do */
	if (value[i] == '-') {
		/* suffix-range: the last b bytes */
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
	if (i == len)
		b = UINT64_MAX;
	else if (!http_num(value, len, &i, &b) || i != len || b < a)
		return HTTP_RANGE_IGNORE; /* b < a is invalid, not unsatisfiable */
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_OK;
}

/* ---- dates ------------------------------------------------------------------------- */

static const char *const http_wdays[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday" };
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
	int64_t days, rem, y;
	int m, d;

	if (secs < HTTP_DATE_MIN)
		secs = HTTP_DATE_MIN;
	if (secs > HTTP_DATE_MAX)
		secs = HTTP_DATE_MAX;
	/* Floor division: a time before 1970 is in the day before. */
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	http_civil_from_days(days, &y, &m, &d);
	/* 1970-01-01 was a Thursday. */
	memcpy(out, http_wdays[((days % 7) + 11) % 7], 3);
	memcpy(out + 3, ", ", 2);
	http_put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, http_months[m - 1], 3);
	out[11] = ' ';
	http_put2(out + 12, (int)(y / 100));
	http_put2(out + 14, (int)(y % 100));
	out[16] = ' ';
	http_put2(out + 17, (int)(rem / 3600));
	out[19] = ':';
	http_put2(out + 20, (int)(rem / 60 % 60));
	out[22] = ':';
	http_put2(out + 23, (int)(rem % 60));
	memcpy(out + 25, " GMT", 5); /* with the NUL */
}

/* The number in the n digits at p, or -1. */
static int http_getn(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!http_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* The month (1-12) named by the 3 bytes at p, or 0. */
static int http_month(const char *p)
{
	for (int i = 0; i < 12; i++)
		if (memcmp(p, http_months[i], 3) == 0)
			return i + 1;
	return 0;
}

/* Whether s[0..n) is a day name: its 3 letters (short) or all of it. */
static bool http_wday(const char *s, size_t n, bool full)
{
	for (int i = 0; i < 7; i++) {
		size_t wl = full ? strlen(http_wdays[i]) : 3;

		if (n == wl && memcmp(s, http_wdays[i], wl) == 0)
			return true;
	}
	return false;
}

/* "HH:MM:SS" at p as seconds of the day, or -1. */
static int http_hms(const char *p)
{
	int h = http_getn(p, 2), m = http_getn(p + 3, 2), s = http_getn(p + 6, 2);

	if (p[2] != ':' || p[5] != ':' || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 ||
	    s > 59)
		return -1;
	return h * 3600 + m * 60 + s;
}

int http_parse_date(const char *s, size_t len, int64_t *secs)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int d, m, hms;
	int64_t y;

	if (len == HTTP_DATE_LEN && s[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (!http_wday(s, 3, false) || s[4] != ' ' || s[7] != ' ' ||
		    s[11] != ' ' || s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
			return -1;
		d = http_getn(s + 5, 2);
		m = http_month(s + 8);
		y = http_getn(s + 12, 4);
		hms = http_hms(s + 17);
	} else if (len == 24 && s[3] == ' ') {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (!http_wday(s, 3, false) || s[7] != ' ' || s[10] != ' ' ||
		    s[19] != ' ')
			return -1;
		d = s[8] == ' ' ? http_getn(s + 9, 1) : http_getn(s + 8, 2);
		m = http_month(s + 4);
		y = http_getn(s + 20, 4);
		hms = http_hms(s + 11);
	} else {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". Two-digit years are
		 * 1970-2069: without a clock, "50 years ahead" cannot be told. */
		const char *c = memchr(s, ',', len < 10 ? len : 10);
		size_t wl = c ? (size_t)(c - s) : 0;

		if (!c || len != wl + 24 || !http_wday(s, wl, true))
			return -1;
		s += wl;
		if (s[1] != ' ' || s[4] != '-' || s[8] != '-' || s[11] != ' ' ||
		    memcmp(s + 20, " GMT", 4) != 0)
			return -1;
		d = http_getn(s + 2, 2);
		m = http_month(s + 5);
		y = http_getn(s + 9, 2);
		y += y < 0 ? 0 : y < 70 ? 2000 : 1900;
		hms = http_hms(s + 12);
	}
	if (m == 0 || y < 0 || hms < 0 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*secs = http_days_from_civil(y, m, d) * 86400 + hms;
	return 0;
}

/* ---- media types, reasons ------------------------------------------------------------ */

static const struct {
	const char *ext; /* lower case, without the dot */
	const char *type; /* the Content-Type value */
} http_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/x-icon" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
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

const char *http_status_reason(int status)
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
	case 411:
		return "Length Required";
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
