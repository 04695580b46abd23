/* SPDX-License-Identifier: MIT */
/*
 * vsockbench: measures a vsock guest through toro-vsockd's hybrid Unix socket.
 *
 *   vsockbench --uds PATH [--port-echo 7] [--rounds N] [--bytes N] [--runs N]
 *   vsockbench --uds PATH --concurrent N      (N echo connections at once)
 *   vsockbench --uds PATH --cycles N          (N sequential connect/echo/close)
 *
 * The default run prints three lines:
 *   pingpong: N round trips, median X us per round trip   (1 byte on port 7,
 *             median over 7 batches of N)
 *   host->guest: X MiB/s   (--bytes to port 9, half-close, check the count line)
 *   guest->host: X MiB/s   (port 19: "<N>\n", read N bytes, check count and pattern)
 * Throughputs are medians of --runs runs (default 3). Any mismatch exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *uds;

static void fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "vsockbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail("write: %s", strerror(errno));
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/* Reads one line (byte by byte: nothing behind it may be consumed). */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

static int uds_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail("%s: cannot connect", uds);
	return fd;
}

/* A connection to guest port `port` through the hybrid socket. */
static int hybrid_connect(unsigned port)
{
	char line[64];
	int fd = uds_socket();

	snprintf(line, sizeof(line), "CONNECT %u\n", port);
	write_all(fd, line, strlen(line));
	if (read_line(fd, line, sizeof(line)) < 0 || strncmp(line, "OK ", 3) != 0)
		fail("CONNECT: no OK line (%s)", "refused or closed");
	return fd;
}

static double pingpong(unsigned port, long rounds)
{
	double batch[7];
	int fd = hybrid_connect(port);

	for (int b = 0; b < 7; b++) {
		double t0 = now_s();

		for (long i = 0; i < rounds; i++) {
			char c = (char)i, r;

			write_all(fd, &c, 1);
			if (read(fd, &r, 1) != 1 || r != c)
				fail("pingpong: %s", "wrong or missing echo");
		}
		batch[b] = (now_s() - t0) / (double)rounds * 1e6;
	}
	close(fd);
	return median(batch, 7);
}

static double host_to_guest(long long bytes)
{
	static char buf[256 * 1024];
	char line[64];
	long long left = bytes;
	double t0 = now_s();
	int fd = hybrid_connect(9);

	memset(buf, 0x5a, sizeof(buf));
	while (left > 0) {
		size_t n = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);

		write_all(fd, buf, n);
		left -= (long long)n;
	}
	shutdown(fd, SHUT_WR);
	if (read_line(fd, line, sizeof(line)) < 0 || atoll(line) != bytes)
		fail("host->guest: count line \"%s\" does not match", line);
	close(fd);
	return (double)bytes / (now_s() - t0) / (1 << 20);
}

static double guest_to_host(long long bytes)
{
	static unsigned char buf[256 * 1024];
	char line[64];
	long long got = 0;
	double t0 = now_s();
	int fd = hybrid_connect(19);

	snprintf(line, sizeof(line), "%lld\n", bytes);
	write_all(fd, line, strlen(line));
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("guest->host: %s", strerror(errno));
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != (unsigned char)(got + i))
				fail("guest->host: %s", "wrong byte pattern");
		got += r;
	}
	close(fd);
	if (got != bytes)
		fail("guest->host: %s", "wrong byte count");
	return (double)bytes / (now_s() - t0) / (1 << 20);
}

/* N echo connections open at once, each with its own data. */
static void concurrent(unsigned port, int n)
{
	int *fds = calloc((size_t)n, sizeof(int));
	char msg[64], back[64];

	for (int i = 0; i < n; i++)
		fds[i] = hybrid_connect(port);
	for (int i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "connection %d of %d\n", i, n);
		write_all(fds[i], msg, strlen(msg));
	}
	for (int i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "connection %d of %d\n", i, n);
		if (read_line(fds[i], back, sizeof(back)) < 0 || strcmp(msg, back) != 0)
			fail("concurrent: echo mismatch on \"%s\"", msg);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	printf("concurrent: %d connections ok\n", n);
}

static void cycles(unsigned port, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = hybrid_connect(port);
		char c = 'x', r;

		write_all(fd, &c, 1);
		if (read(fd, &r, 1) != 1 || r != c)
			fail("cycles: %s", "wrong or missing echo");
		close(fd);
	}
	printf("cycles: %ld connections ok\n", n);
}

int main(int argc, char **argv)
{
	unsigned port = 7;
	long rounds = 1000, ncycles = 0;
	long long bytes = 64ll << 20;
	int runs = 3, nconc = 0;
	struct rlimit rl;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--uds"))
			uds = v;
		else if (!strcmp(a, "--port-echo"))
			port = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--rounds"))
			rounds = strtol(v, NULL, 10);
		else if (!strcmp(a, "--bytes"))
			bytes = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--runs"))
			runs = atoi(v);
		else if (!strcmp(a, "--concurrent"))
			nconc = atoi(v);
		else if (!strcmp(a, "--cycles"))
			ncycles = strtol(v, NULL, 10);
		else
			fail("unknown option %s", a);
	}
	if (!uds || rounds < 1 || bytes < 1 || runs < 1 || runs > 99) {
		fprintf(stderr,
			"usage: vsockbench --uds PATH [--port-echo 7] [--rounds N] "
			"[--bytes N] [--runs N] | --concurrent N | --cycles N\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (nconc || ncycles) {
		if (nconc)
			concurrent(port, nconc);
		if (ncycles)
			cycles(port, ncycles);
		return 0;
	}
	double pp = pingpong(port, rounds), h2g[99] = { 0 }, g2h[99] = { 0 };

	printf("pingpong: %ld round trips, median %.1f us per round trip\n", rounds, pp);
	fflush(stdout);
	for (int r = 0; r < runs; r++)
		h2g[r] = host_to_guest(bytes);
	printf("host->guest: %.1f MiB/s\n", median(h2g, runs));
	fflush(stdout);
	for (int r = 0; r < runs; r++)
		g2h[r] = guest_to_host(bytes);
	printf("guest->host: %.1f MiB/s\n", median(g2h, runs));
	return 0;
}
