/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the vsock integration tests and benchmarks. Services, one
 * thread per connection on the CPUs in turn:
 *   port 7   echo
 *   port 9   discard: reads to the end, then answers "<bytes>\n"
 *   port 19  source: reads "<N>\n", sends N bytes (byte i is i & 0xff), closes
 *   port 80  HTTP: answers any request with "hello from toro\n" and closes
 *   port 1   control, one command per line, one answer line each:
 *            stats              -> "heap <bytes> <blocks> pages <used>"
 *            dial <port> <n>    -> connects to the host's port, sends n bytes of
 *                                  the source pattern, shuts writing, reads to
 *                                  the end: "ok <bytes read> <crc32>" or "err <e>"
 *            exit <code>        -> ends the VM
 *            crash              -> a NULL dereference (the VM ends with 70)
 */
#include <stdbool.h>
#include <toro/toro.h>

#define BUF 16384

static int ncpus, next_cpu;

static uint32_t crc32(uint32_t crc, const uint8_t *p, long n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static long send_all(int s, const void *p, size_t n)
{
	return toro_send(s, p, n, -1) == (long)n ? 0 : -1;
}

/* Reads a line (without the newline) into buf; its length, or -1. */
static long read_line(int s, char *buf, long size)
{
	long n = 0;

	while (n < size - 1) {
		long r = toro_recv(s, buf + n, 1, -1);

		if (r <= 0)
			return n ? n : -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return n;
}

static uint64_t number(const char **s)
{
	uint64_t v = 0;

	while (**s == ' ')
		(*s)++;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (uint64_t)(*(*s)++ - '0');
	return v;
}

static void fill(uint8_t *b, uint64_t off, long n)
{
	for (long i = 0; i < n; i++)
		b[i] = (uint8_t)(off + (uint64_t)i);
}

/* Through the calls every descriptor takes (files too): read and write. */
static int echo(int s, uint8_t *b)
{
	long n;

	while ((n = toro_read(s, b, BUF)) > 0)
		if (toro_write(s, b, (size_t)n) != n)
			break;
	return 0;
}

static int discard(int s, uint8_t *b)
{
	uint64_t total = 0;
	long n;
	char line[32];

	while ((n = toro_recv(s, b, BUF, -1)) > 0)
		total += (uint64_t)n;
	if (n == 0) {
		n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)total);
		send_all(s, line, (size_t)n);
	}
	return 0;
}

static int source(int s, uint8_t *b)
{
	char line[32];
	const char *p = line;
	uint64_t want, off = 0;

	if (read_line(s, line, sizeof(line)) < 0)
		return 0;
	want = number(&p);
	/* The pattern repeats every 256 bytes and every chunk starts at a multiple
	 * of BUF, itself one of 256: one fill serves them all (filling each chunk
	 * cost ten times the stream's own vsock work; bench/vsockprof.sh). */
	_Static_assert(BUF % 256 == 0, "chunks start where the pattern does");
	fill(b, 0, BUF);
	while (off < want) {
		long k = want - off < BUF ? (long)(want - off) : BUF;

		if (send_all(s, b, (size_t)k))
			break;
		off += (uint64_t)k;
	}
	return 0;
}

static int http(int s, uint8_t *b)
{
	static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				    "Content-Length: 16\r\n\r\nhello from toro\n";
	long n, have = 0, scan = 0;
	bool done = false;

	/* The request ends with an empty line. */
	while (!done && have < BUF &&
	       (n = toro_recv(s, b + have, (size_t)(BUF - have), -1)) > 0)
		for (have += n; scan + 4 <= have && !done; scan++)
			done = !memcmp(b + scan, "\r\n\r\n", 4);
	send_all(s, reply, sizeof(reply) - 1);
	return 0;
}

static void dial(int s, const char *args, uint8_t *b)
{
	uint32_t port = (uint32_t)number(&args);
	uint64_t n = number(&args), off = 0, got = 0;
	uint32_t crc = 0;
	char line[64];
	int c = toro_connect(TORO_VSOCK_CID_HOST, port, 5000000000ll);
	long r = 0;

	if (c < 0) {
		r = snprintf(line, sizeof(line), "err %d\n", -c);
		send_all(s, line, (size_t)r);
		return;
	}
	/* Send and read in turns: a host echo must not block on a full stream. */
	while (off < n || r >= 0) {
		if (off < n) {
			long k = n - off < 4096 ? (long)(n - off) : 4096;

			fill(b, off, k);
			if (send_all(c, b, (size_t)k))
				break;
			off += (uint64_t)k;
			if (off == n)
				toro_shutdown(c, TORO_SHUT_WR);
		} else if (n == 0 && off == 0) {
			toro_shutdown(c, TORO_SHUT_WR);
			off = 1; /* once */
		}
		r = toro_recv(c, b, BUF, off < n ? 0 : -1);
		if (r == -EAGAIN) {
			r = 0;
			continue;
		}
		if (r <= 0)
			break;
		crc = crc32(crc, b, r);
		got += (uint64_t)r;
	}
	toro_close(c);
	r = r < 0 ? snprintf(line, sizeof(line), "err %ld\n", -r) :
		    snprintf(line, sizeof(line), "ok %llu %u\n", (unsigned long long)got,
			     crc);
	send_all(s, line, (size_t)r);
}

static int control(int s, uint8_t *b)
{
	char line[128];
	struct toro_memstats st;

	while (read_line(s, line, sizeof(line)) >= 0) {
		long n;

		if (!strncmp(line, "stats", 5)) {
			toro_memstats(&st);
			n = snprintf(line, sizeof(line), "heap %zu %zu pages %zu\n",
				     st.heap_bytes, st.heap_blocks, st.pages_used);
			send_all(s, line, (size_t)n);
		} else if (!strncmp(line, "dial ", 5)) {
			dial(s, line + 5, b);
		} else if (!strncmp(line, "crash", 5)) {
			volatile int *volatile null = NULL;

			*null = 0;
		} else if (!strncmp(line, "exit ", 5)) {
			const char *p = line + 5;

			toro_exit((int)number(&p));
		} else {
			send_all(s, "err unknown command\n", 20);
		}
	}
	return 0;
}

struct job {
	int sock; /* the accepted connection */
	int (*fn)(int, uint8_t *); /* the service */
};

static int run_job(void *arg)
{
	struct job j = *(struct job *)arg;
	uint8_t *b = malloc(BUF);

	free(arg);
	if (b)
		j.fn(j.sock, b);
	free(b);
	toro_close(j.sock);
	return 0;
}

struct listener {
	uint32_t port; /* the port */
	int (*fn)(int, uint8_t *); /* its service */
	int sock; /* listening socket */
};

static int accept_loop(void *arg)
{
	const struct listener *l = arg;

	for (;;) {
		int s = toro_accept(l->sock, NULL, NULL, -1);
		struct job *j = malloc(sizeof(*j));
		int id = -ENOMEM;

		if (s < 0) {
			printf("vsock test: accept: error %d\n", -s);
			toro_exit(1);
		}
		if (j) {
			j->sock = s;
			j->fn = l->fn;
			id = toro_thread_create(run_job, j, next_cpu++ % ncpus, 0);
		}
		if (id < 0) {
			printf("vsock test: no thread: error %d\n", -id);
			free(j);
			toro_close(s);
		} else {
			toro_thread_detach(id);
		}
	}
}

int main(void)
{
	static struct listener ls[] = {
		{ 7, echo, 0 },	 { 9, discard, 0 }, { 19, source, 0 },
		{ 80, http, 0 }, { 1, control, 0 },
	};

	ncpus = toro_ncpus();
	for (int i = 0; i < 5; i++)
		if ((ls[i].sock = toro_listen(ls[i].port, 512)) < 0) {
			printf("vsock test: listen %u: error %d\n", ls[i].port,
			       -ls[i].sock);
			return 1;
		}
	for (int i = 1; i < 5; i++)
		toro_thread_detach(toro_thread_create(accept_loop, (void *)&ls[i], 0, 0));
	printf("vsock test: ready\n");
	return accept_loop((void *)&ls[0]);
}
