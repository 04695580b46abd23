/* SPDX-License-Identifier: MIT */
/*
 * vsockbench: measures a vsock guest through toro-vsockd's hybrid Unix socket.
 *
 *   vsockbench --uds PATH [--port-echo 7] [--rounds N] [--bytes N] [--runs N]
 *   vsockbench --uds PATH --concurrent N      (N echo connections at once)
 *   vsockbench --uds PATH --cycles N          (N sequential connect/echo/close)
 *   vsockbench --uds PATH --misbehave MODE [--count N] [--hold-ms MS] [--pid PID]
 *
 * The default run prints three lines:
 *   pingpong: N round trips, median X us per round trip   (1 byte on port 7,
 *             median over 7 batches of N)
 *   host->guest: X MiB/s   (--bytes to port 9, half-close, check the count line)
 *   guest->host: X MiB/s   (port 19: "<N>\n", read N bytes, check count and pattern)
 * Throughputs are medians of --runs runs (default 3). Any mismatch exits 1.
 *
 * --misbehave plays a host client the daemon must survive:
 *   close-unread  --count times (20): CONNECT 7, write 100 KB, close unread;
 *   stall-drain   CONNECT 19, ask for 400000 bytes, read none for --hold-ms;
 *   hold          --count connections send CONNECT 7, stay --hold-ms, close;
 *   line-eof      connects; once --pid accepted, stops it, sends "CONNECT 9\n"
 *                 and EOF in one go and continues it; the discard service must
 *                 answer "0" (the EOF is not lost).
 */
#include <dirent.h>
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

/* Waits (at most 2 s) until process pid is stopped. */
static void wait_stopped(long pid)
{
	char path[64], buf[256], *st;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		st = strrchr(buf, ')');
		if (st && st[1] == ' ' && (st[2] == 'T' || st[2] == 't'))
			return;
		usleep(10000);
	}
	fail("process %s did not stop", "--pid");
}

/* Open fds of process pid. */
static int fd_count(long pid)
{
	char path[64];
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (!d)
		fail("cannot read %s", path);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void misbehave(const char *m, long count, long hold_ms, long pid)
{
	static char buf[100000];

	if (!strcmp(m, "close-unread")) {
		for (long i = 0; i < count; i++) {
			int fd = hybrid_connect(7);

			write_all(fd, buf, sizeof(buf));
			close(fd);
		}
	} else if (!strcmp(m, "stall-drain")) {
		int fd = hybrid_connect(19);

		write_all(fd, "400000\n", 7);
		usleep((useconds_t)hold_ms * 1000);
		close(fd);
	} else if (!strcmp(m, "hold")) {
		int *fds = calloc((size_t)count, sizeof(int));

		for (long i = 0; i < count; i++) {
			fds[i] = uds_socket();
			write_all(fds[i], "CONNECT 7\n", 10);
		}
		usleep((useconds_t)hold_ms * 1000);
		for (long i = 0; i < count; i++)
			close(fds[i]);
		free(fds);
	} else if (!strcmp(m, "line-eof") && pid > 0) {
		char got[64] = "";
		size_t n = 0;
		int before = fd_count(pid), fd = uds_socket(), zero = 0;
		struct pollfd p = { fd, POLLIN, 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
			fail("SO_PEEK_OFF: %s", strerror(errno));
		/* Once accepted, the line and the EOF must come as one edge. */
		for (int i = 0; i < 200 && fd_count(pid) <= before; i++)
			usleep(10000);
		kill((pid_t)pid, SIGSTOP);
		wait_stopped(pid);
		write_all(fd, "CONNECT 9\n", 10);
		shutdown(fd, SHUT_WR);
		kill((pid_t)pid, SIGCONT);
		/*
		 * Only peek (SO_PEEK_OFF walks on): taking bytes out would wake the
		 * daemon's socket for writing, and that edge would report the EOF again.
		 */
		for (int i = 0; i < 50 && !strstr(got, "\n0\n"); i++) {
			ssize_t r;

			poll(&p, 1, 100);
			r = recv(fd, got + n, sizeof(got) - 1 - n,
				 MSG_PEEK | MSG_DONTWAIT);
			if (r > 0)
				n += (size_t)r;
			got[n] = '\0';
		}
		close(fd);
		if (strncmp(got, "OK ", 3) || !strstr(got, "\n0\n"))
			fail("line-eof: no \"0\" from the discard service (got \"%s\")",
			     got);
	} else {
		fail("unknown --misbehave mode %s (or line-eof without --pid)", m);
	}
	printf("misbehave %s: done\n", m);
}

int main(int argc, char **argv)
{
	const char *mb = NULL;
	long count = 20, hold_ms = 3000, pid = 0;
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
		else if (!strcmp(a, "--misbehave"))
			mb = v;
		else if (!strcmp(a, "--count"))
			count = strtol(v, NULL, 10);
		else if (!strcmp(a, "--hold-ms"))
			hold_ms = strtol(v, NULL, 10);
		else if (!strcmp(a, "--pid"))
			pid = strtol(v, NULL, 10);
		else
			fail("unknown option %s", a);
	}
	if (!uds || rounds < 1 || bytes < 1 || runs < 1 || runs > 99 || count < 1 ||
	    hold_ms < 0) {
		fprintf(stderr,
			"usage: vsockbench --uds PATH [--port-echo 7] [--rounds N] "
			"[--bytes N] [--runs N] | --concurrent N | --cycles N |\n"
			"       --misbehave MODE [--count N] [--hold-ms MS] [--pid PID]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (mb) {
		misbehave(mb, count, hold_ms, pid);
		return 0;
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
