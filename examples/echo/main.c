/* SPDX-License-Identifier: MIT */
/*
 * A vsock echo server on port 7: every connection gets its own thread, which sends
 * back whatever it receives until the client closes. Connection threads run on the
 * CPUs given as arguments, in turn (default: every CPU).
 *
 *	build/toro run build/examples/echo.elf --cpus 2 --vsock /tmp/v.sock -- -- 1
 *	(on the host)  socat - UNIX-CONNECT:/tmp/v.sock   then type CONNECT 7
 *	or with --publish 7007:7:  socat - TCP:127.0.0.1:7007
 */
#include <toro/toro.h>

#define ECHO_PORT 7
#define BUF 16384

static int serve(void *arg)
{
	int sock = (int)(intptr_t)arg;
	char *buf = malloc(BUF);
	long n;

	while (buf && (n = toro_recv(sock, buf, BUF, -1)) > 0)
		if (toro_send(sock, buf, (size_t)n, -1) != n)
			break;
	free(buf);
	toro_close(sock);
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
	int cpus[64], ncpus = 0, next = 0, l;

	for (int i = 1; i < argc && ncpus < 64; i++) {
		if ((cpus[ncpus] = cpu_arg(argv[i])) < 0) {
			printf("echo: no CPU %s (this VM has %d)\n", argv[i],
			       toro_ncpus());
			return 2;
		}
		ncpus++;
	}
	for (; ncpus == 0 && next < toro_ncpus() && next < 64; next++)
		cpus[next] = next;
	if (!ncpus)
		ncpus = next;
	l = toro_listen(ECHO_PORT, 128);
	if (l < 0) {
		printf("echo: cannot listen on port %d: error %d%s\n", ECHO_PORT, -l,
		       l == -ENODEV ?
			       " (no vsock device: run with --vsock or --publish)" :
			       "");
		return 1;
	}
	printf("echo: listening on vsock port %d\n", ECHO_PORT);
	for (next = 0;; next = (next + 1) % ncpus) {
		int s = toro_accept(l, NULL, NULL, -1);
		int id;

		if (s < 0) {
			printf("echo: accept: error %d\n", -s);
			return 1;
		}
		id = toro_thread_create(serve, (void *)(intptr_t)s, cpus[next], 0);
		if (id < 0) {
			printf("echo: no thread for a connection: error %d\n", -id);
			toro_close(s);
			continue;
		}
		toro_thread_detach(id);
	}
}
