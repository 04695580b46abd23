/* SPDX-License-Identifier: MIT */
/*
 * A static HTTP/1.1 server on vsock port 80 serving the directory shared with
 * `toro run --fs`:
 *
 *	build/toro run build/examples/webserver.elf --fs site --publish 8080:80
 *	curl http://127.0.0.1:8080/
 *
 * Arguments (after the second --): the CPUs connection threads run on, in turn
 * (default: every CPU). Kernel parameters: port=N (default 80).
 *
 * GET and HEAD (anything else: 405); keep-alive and pipelining; index.html for a
 * directory ("/dir" without its slash is redirected to "/dir/"); Content-Type by
 * extension, Content-Length, Last-Modified and If-Modified-Since (304), one byte
 * range (206, or 416). Requests are parsed by lib/http.c, which refuses every
 * path that would lead out of the shared directory; the file API follows no
 * symbolic link, so a link pointing outside is a 404 as well. Files are sent in
 * pieces of 128 KiB, whatever their size.
 *
 * Limits: a request head must arrive within 10 s of its first byte (a client
 * sending one byte a second is cut off, and only its own thread waited), an idle
 * keep-alive connection is closed after 15 s, a client that takes no data for
 * 30 s is dropped. Bodies up to 64 KiB are read and ignored; larger ones get 413,
 * chunked ones 501. No Date header: the guest has no wall clock.
 */
#include <toro/toro.h>

#include "lib/http.h"

#define SEC 1000000000ll
#define HEAD_TIMEOUT (10 * SEC)
#define IDLE_TIMEOUT (15 * SEC)
#define SEND_TIMEOUT (30 * SEC)
#define CHUNK (128u * 1024)
#define BODY_MAX (64u * 1024)

struct conn {
	int sock; /* the client's socket */
	char in[HTTP_HEAD_MAX]; /* received, not yet handled */
	size_t len; /* bytes in in[] */
	bool keep_10; /* an HTTP/1.0 client asked for keep-alive: say yes */
	uint8_t *chunk; /* CHUNK bytes for file data */
};

static bool send_all(struct conn *c, const void *buf, size_t n)
{
	return n == 0 || toro_send(c->sock, buf, n, SEND_TIMEOUT) == (long)n;
}

/* Sends a response head; extra holds further header lines (each ending in CRLF). */
static bool send_head(struct conn *c, int status, const char *extra, bool close)
{
	char h[2048];
	/* A 1.0 client closes unless told otherwise (RFC 9112 9.3). */
	int n = snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nServer: toro\r\n%s%s\r\n",
			 status, http_status_reason(status), extra,
			 close	    ? "Connection: close\r\n" :
			 c->keep_10 ? "Connection: keep-alive\r\n" :
				      "");

	return n > 0 && (size_t)n < sizeof(h) && send_all(c, h, (size_t)n);
}

/* A response with a short text body (none for HEAD). */
static bool send_error(struct conn *c, int status, bool head, bool close,
		       const char *more)
{
	char extra[1024], body[128];
	int bl = snprintf(body, sizeof(body), "%d %s\n", status,
			  http_status_reason(status));

	snprintf(extra, sizeof(extra),
		 "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s",
		 bl, more ? more : "");
	return send_head(c, status, extra, close) &&
	       (head || send_all(c, body, (size_t)bl));
}

/* The status a file-system error calls for. */
static int fs_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
	case -ELOOP:
	case -ENAMETOOLONG:
	case -EINVAL:
		return 404;
	case -EACCES:
	case -EPERM:
		return 403;
	default:
		return 500; /* -EIO: the host side broke */
	}
}

/* Writes path percent-encoded (all but unreserved bytes and '/') into out. */
static void url_escape(const char *path, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *path && o + 4 <= cap; path++) {
		unsigned char b = (unsigned char)*path;

		if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
		    (b >= '0' && b <= '9') || strchr("/-._~", b)) {
			out[o++] = (char)b;
		} else {
			out[o++] = '%';
			out[o++] = hex[b >> 4];
			out[o++] = hex[b & 15];
		}
	}
	out[o] = '\0';
}

/* Sends [first, last] of fd; false if the connection must end. */
static bool send_file(struct conn *c, int fd, uint64_t first, uint64_t last)
{
	uint64_t at = first;

	while (at <= last) {
		uint64_t want = last - at + 1 < CHUNK ? last - at + 1 : CHUNK;
		long n = toro_pread(fd, c->chunk, (size_t)want, (int64_t)at);

		/* The length is promised already: a short file ends the connection. */
		if (n <= 0 || !send_all(c, c->chunk, (size_t)n))
			return false;
		at += (uint64_t)n;
	}
	return true;
}

/* Serves one parsed request; false if the connection must end. */
static bool serve(struct conn *c, const struct http_request *rq)
{
	bool head = rq->method == HTTP_HEAD, close = !rq->keep_alive;
	char path[HTTP_URI_MAX + 16], extra[1024], date[HTTP_DATE_LEN + 1];
	struct toro_stat st;
	uint64_t first = 0, last = 0;
	int status = 200, fd, r;

	if (rq->method == HTTP_OTHER)
		return send_error(c, 405, false, close, "Allow: GET, HEAD\r\n") && !close;
	snprintf(path, sizeof(path), "%s", rq->path);
	r = toro_stat(path, &st);
	if (r == 0 && TORO_S_ISDIR(st.mode)) {
		size_t n = strlen(path);

		if (path[n - 1] != '/') {
			/* Relative (RFC 9110 10.2.2): the last name, escaped, then '/'.
			 * A name is at most 255 bytes, so this always fits. */
			const char *name = rq->path + n;
			char loc[3 * 255 + 2];

			while (name[-1] != '/')
				name--;
			url_escape(name, loc, sizeof(loc));
			snprintf(extra, sizeof(extra), "Location: %s/\r\n", loc);
			return send_error(c, 301, head, close, extra) && !close;
		}
		snprintf(path + n, sizeof(path) - n, "index.html");
		r = toro_stat(path, &st);
	}
	if (r == 0 && !TORO_S_ISREG(st.mode))
		r = -ENOENT; /* links, sockets, directories named index.html */
	fd = r ? r : toro_open(path, TORO_O_RDONLY, 0);
	if (fd < 0)
		return send_error(c, fs_status(fd), head, close, NULL) && !close;
	/* The open file's own size and time: the path may have changed meanwhile. */
	if ((r = toro_fstat(fd, &st))) {
		toro_close(fd);
		return send_error(c, fs_status(r), head, close, NULL) && !close;
	}
	int64_t mtime = st.mtime_ns / SEC, since;

	http_format_date(mtime, date);
	if (rq->ims && http_parse_date(rq->ims, rq->ims_len, &since) == 0 &&
	    mtime <= since) {
		toro_close(fd);
		snprintf(extra, sizeof(extra), "Last-Modified: %s\r\n", date);
		return send_head(c, 304, extra, close) && !close;
	}
	last = st.size ? st.size - 1 : 0;
	if (rq->range) {
		r = http_parse_range(rq->range, rq->range_len, st.size, &first, &last);
		if (r == HTTP_RANGE_UNSATISFIABLE) {
			toro_close(fd);
			snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n",
				 (unsigned long long)st.size);
			return send_error(c, 416, head, close, extra) && !close;
		}
		if (r == HTTP_RANGE_OK)
			status = 206;
		else
			first = 0, last = st.size ? st.size - 1 : 0;
	}
	uint64_t len = st.size ? last - first + 1 : 0;
	int n = snprintf(
		extra, sizeof(extra),
		"Content-Type: %s\r\nContent-Length: %llu\r\nLast-Modified: %s\r\n"
		"Accept-Ranges: bytes\r\n",
		http_content_type(path), (unsigned long long)len, date);

	if (status == 206)
		snprintf(extra + n, sizeof(extra) - (size_t)n,
			 "Content-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)st.size);
	bool ok = send_head(c, status, extra, close) &&
		  (head || len == 0 || send_file(c, fd, first, last));

	toro_close(fd);
	return ok && !close;
}

/* The nanoseconds left until deadline (0 once it passed). */
static int64_t left(uint64_t deadline)
{
	uint64_t now = toro_now_ns();

	return now >= deadline ? 0 : (int64_t)(deadline - now);
}

/* Receives more into c->in, waiting until deadline at most. > 0 bytes, 0 at the
 * end of the stream, -ETIMEDOUT, or another -errno. */
static long recv_more(struct conn *c, uint64_t deadline)
{
	int64_t ns = left(deadline);

	if (ns == 0)
		return -ETIMEDOUT;
	return toro_recv(c->sock, c->in + c->len, sizeof(c->in) - c->len, ns);
}

/* Reads and drops n body bytes (some may be in c->in already); the whole body
 * must come within HEAD_TIMEOUT, like the head. */
static bool skip_body(struct conn *c, uint64_t n)
{
	uint64_t deadline = toro_now_ns() + HEAD_TIMEOUT;

	while (n) {
		if (c->len == 0) {
			long r = recv_more(c, deadline);

			if (r <= 0)
				return false;
			c->len = (size_t)r;
		}
		size_t k = c->len < n ? c->len : (size_t)n;

		memmove(c->in, c->in + k, c->len - k);
		c->len -= k;
		n -= k;
	}
	return true;
}

/*
 * Waits for a whole request head in c->in. Between requests the client may stay
 * silent for IDLE_TIMEOUT; once a head has begun it must be complete within
 * HEAD_TIMEOUT, however slowly it trickles (slowloris). Returns the head length,
 * or 0 when the connection must end (a 408 or the parser's error was sent).
 */
static long read_head(struct conn *c, struct http_request *rq)
{
	uint64_t deadline = toro_now_ns() + (c->len ? HEAD_TIMEOUT : IDLE_TIMEOUT);
	bool begun = c->len > 0;
	long head, r;

	while ((head = http_parse_request(c->in, c->len, rq)) == 0) {
		r = recv_more(c, deadline);
		if (r == -ETIMEDOUT && begun)
			send_error(c, 408, false, true, NULL);
		if (r <= 0)
			return 0; /* closed, idle too long, timed out or reset */
		if (!begun) {
			begun = true;
			deadline = toro_now_ns() + HEAD_TIMEOUT;
		}
		c->len += (size_t)r;
	}
	if (head < 0) {
		/* 400, 414, 431, 505: the rest of the stream cannot be trusted. */
		send_error(c, (int)-head, false, true, NULL);
		return 0;
	}
	return head;
}

static int connection(void *arg)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct http_request *rq = malloc(sizeof(*rq));
	int sock = (int)(intptr_t)arg;
	long head;

	if (!c || !rq || !(c->chunk = malloc(CHUNK)))
		goto out; /* out of memory: the client may try again */
	c->sock = sock;
	while ((head = read_head(c, rq)) > 0) {
		memmove(c->in, c->in + head, c->len - (size_t)head);
		c->len -= (size_t)head;
		c->keep_10 = rq->minor == 0 && rq->keep_alive;
		if (rq->chunked) {
			send_error(c, 501, false, true, NULL);
			break;
		}
		if (rq->content_length > BODY_MAX) {
			send_error(c, 413, false, true, NULL);
			break;
		}
		if (!skip_body(c, rq->content_length) || !serve(c, rq))
			break;
	}
out:
	toro_close(sock);
	if (c)
		free(c->chunk);
	free(c);
	free(rq);
	return 0;
}

/* The CPU number in s, or -1. */
static int cpu_arg(const char *s)
{
	int v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v < toro_ncpus() ? v : -1;
}

int main(int argc, char **argv)
{
	const char *p = toro_param("port");
	int cpus[64], ncpus = 0, next = 0, l, port = 0;
	struct toro_stat st;

	for (; p && *p >= '0' && *p <= '9' && port < 65536; p++)
		port = port * 10 + (*p - '0');
	if (!p)
		port = 80;
	if (port <= 0 || port > 65535 || (p && *p)) {
		printf("webserver: port=%s is not a port\n", toro_param("port"));
		return 2;
	}
	for (int i = 1; i < argc && ncpus < 64; i++) {
		if ((cpus[ncpus] = cpu_arg(argv[i])) < 0) {
			printf("webserver: no CPU %s (this VM has %d)\n", argv[i],
			       toro_ncpus());
			return 2;
		}
		ncpus++;
	}
	for (; ncpus == 0 && next < toro_ncpus() && next < 64; next++)
		cpus[next] = next;
	if (!ncpus)
		ncpus = next;
	if ((l = toro_stat("/", &st)) < 0) {
		printf("webserver: no files to serve: error %d%s\n", -l,
		       l == -ENODEV ? " (no virtio-fs device: run with --fs DIR)" : "");
		return 1;
	}
	l = toro_listen((uint32_t)port, 256);
	if (l < 0) {
		printf("webserver: cannot listen on port %d: error %d%s\n", port, -l,
		       l == -ENODEV ?
			       " (no vsock device: run with --vsock or --publish)" :
			       "");
		return 1;
	}
	printf("webserver: listening on vsock port %d\n", port);
	for (next = 0;; next = (next + 1) % ncpus) {
		int s = toro_accept(l, NULL, NULL, -1), id;

		if (s < 0) {
			printf("webserver: accept: error %d\n", -s);
			return 1;
		}
		id = toro_thread_create(connection, (void *)(intptr_t)s, cpus[next], 0);
		if (id < 0) {
			toro_close(s); /* out of memory for now: the client retries */
			continue;
		}
		toro_thread_detach(id);
	}
}
