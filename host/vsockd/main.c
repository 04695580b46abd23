/* SPDX-License-Identifier: MIT */
/*
 * toro-vsockd: options, start-up, the epoll loop and cleanup.
 *
 *   toro-vsockd --socket SOCK --uds PATH [--cid N]
 *               [--publish [ADDR:]HOSTPORT:GUESTPORT]... [--ready-fd FD]
 *               [--drain-timeout S] [-v]
 *
 * Start-up creates every listener first and only then reports `ready` on FD, so a
 * launcher can start QEMU as soon as it reads that line. Any failure is one line on
 * stderr naming the culprit, and exit 1 after removing what was created. The loop
 * ends when the vhost-user frontend disconnects (QEMU exited: exit 0), on SIGTERM,
 * SIGINT or SIGHUP (exit 0), or on a fatal error (exit 1); every exit path runs the
 * same cleanup: connections closed, guest memory unmapped, SOCK and PATH unlinked.
 *
 * One loop pass: wait (not at all if the last pass left ring work, see pkt.c),
 * dispatch the batch, timeouts, the device's work, then free the connections the
 * pass released (conn.c) and resume accepting if it was paused (listen.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "host/vsockd/vsockd.h"

struct vsockd vd;

void vd_log(const char *fmt, ...)
{
	va_list ap;

	if (!vd.verbose)
		return;
	va_start(ap, fmt);
	fputs("toro-vsockd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void vd_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("toro-vsockd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t vd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vd_epoll_add(struct vd_ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	return epoll_ctl(vd.epfd, EPOLL_CTL_ADD, ev->fd, &e);
}

void vd_epoll_del(struct vd_ev *ev)
{
	if (ev->fd >= 0)
		epoll_ctl(vd.epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}

void vd_epoll_mod(struct vd_ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	if (ev->fd >= 0 && epoll_ctl(vd.epfd, EPOLL_CTL_MOD, ev->fd, &e) < 0)
		vd_warn("epoll: %s", strerror(errno));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: toro-vsockd --socket SOCK --uds PATH [--cid N]\n"
		   "                   [--publish [ADDR:]HOSTPORT:GUESTPORT]... "
		   "[--ready-fd FD]\n"
		   "                   [--drain-timeout S] [--stats] [-v]\n");
}

static const char help_text[] =
	"The host side of Toro's vsock: a vhost-user backend for QEMU's\n"
	"vhost-user-vsock-device. `toro run --vsock PATH` starts it for you.\n"
	"  --socket SOCK   the vhost-user socket QEMU connects to:\n"
	"                  -chardev socket,id=vs0,path=SOCK\n"
	"                  -device vhost-user-vsock-device,chardev=vs0\n"
	"                  (guest RAM must be a shared memfd backend)\n"
	"  --uds PATH      host programs connect to the Unix socket PATH and write\n"
	"                  CONNECT <port>; they get OK <n> and a stream to that guest\n"
	"                  port. Guest connections to host port P go to PATH_P.\n"
	"  --cid N         the guest's CID (default 3)\n"
	"  --publish [ADDR:]HOSTPORT:GUESTPORT  forward TCP connections on\n"
	"                  ADDR:HOSTPORT (default 127.0.0.1) to a guest port\n"
	"  --ready-fd FD   write \"ready\" to FD once every socket listens\n"
	"  --drain-timeout S  after the guest closed, a host program gets S seconds\n"
	"                  (default 30) to read what the daemon still holds for it\n"
	"  --stats         at exit, print each ring's guest kicks, the wake-ups\n"
	"                  that read them and the interrupts sent to the guest\n"
	"  -v              log connections and vhost-user messages\n"
	"It exits when QEMU disconnects or on SIGTERM, removing SOCK and PATH.\n";

/* Parses a decimal number in [min, max]; false on anything else. */
static bool parse_num(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_options(int argc, char **argv)
{
	unsigned long long v;
	const char *why;

	vd.cid = 3;
	vd.ready_fd = -1;
	vd.drain_ms = VD_DRAIN_MS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			vd.verbose = true;
			continue;
		}
		if (!strcmp(a, "--stats")) {
			vd.stats = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			fputs(help_text, stdout);
			exit(0);
		}
		if (!val) {
			vd_warn("%s: missing value or unknown option", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--socket")) {
			vd.sock_path = val;
		} else if (!strcmp(a, "--uds")) {
			vd.uds_path = val;
		} else if (!strcmp(a, "--cid")) {
			/* CIDs 0-2 are reserved (virtio 1.2 section 5.10.4); 32 bits used. */
			if (!parse_num(val, 3, 0xffffffffull, &v)) {
				vd_warn("--cid %s: expected a number in 3..4294967295",
					val);
				return -1;
			}
			vd.cid = v;
		} else if (!strcmp(a, "--ready-fd")) {
			if (!parse_num(val, 0, 1u << 30, &v)) {
				vd_warn("--ready-fd %s: expected a file descriptor", val);
				return -1;
			}
			vd.ready_fd = (int)v;
		} else if (!strcmp(a, "--drain-timeout")) {
			if (!parse_num(val, 1, 86400, &v)) {
				vd_warn("--drain-timeout %s: expected seconds in 1..86400",
					val);
				return -1;
			}
			vd.drain_ms = (uint32_t)v * 1000;
		} else if (!strcmp(a, "--publish")) {
			if (vd.npub == VD_MAX_PUBLISH) {
				vd_warn("--publish %s: at most %d", val, VD_MAX_PUBLISH);
				return -1;
			}
			if (vsock_publish_parse(val, &vd.pub[vd.npub], &why) < 0) {
				vd_warn("--publish %s: %s", val, why);
				return -1;
			}
			vd.npub++;
		} else {
			vd_warn("%s: unknown option", a);
			return -1;
		}
	}
	if (!vd.sock_path || !vd.uds_path) {
		vd_warn("--socket and --uds are required");
		return -1;
	}
	return 0;
}

/* Many connections need many fds: take the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			vd_warn("cannot raise the fd limit: %s", strerror(errno));
	}
}

static int setup_signals(void)
{
	sigset_t set;

	/* Writes to a closed host socket report EPIPE instead (MSG_NOSIGNAL too). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	vd.sig.kind = VD_EV_SIGNAL;
	vd.sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (vd.sig.fd < 0 || vd_epoll_add(&vd.sig, EPOLLIN) < 0)
		return -1;
	return 0;
}

static int setup_listeners(void)
{
	vd.vlisten.kind = VD_EV_VHOST_LISTEN;
	vd.vlisten.fd = listen_unix(vd.sock_path, &vd.sock_created);
	if (vd.vlisten.fd < 0 || vd_epoll_add(&vd.vlisten, EPOLLIN) < 0)
		return -1;
	vd.uds.kind = VD_EV_UDS_LISTEN;
	vd.uds.fd = listen_unix(vd.uds_path, &vd.uds_created);
	if (vd.uds.fd < 0 || vd_epoll_add(&vd.uds, EPOLLIN) < 0)
		return -1;
	for (int i = 0; i < vd.npub; i++) {
		vd.tcp[i].kind = VD_EV_TCP_LISTEN;
		vd.tcp[i].arg = (uint32_t)i;
		vd.tcp[i].fd = listen_tcp(&vd.pub[i]);
		if (vd.tcp[i].fd < 0 || vd_epoll_add(&vd.tcp[i], EPOLLIN) < 0)
			return -1;
	}
	return 0;
}

static void handle_signal(void)
{
	struct signalfd_siginfo si;

	while (read(vd.sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		vd_log("signal %u: exiting", si.ssi_signo);
		vd.quit = true;
	}
}

static void dispatch(struct vd_ev *ev, uint32_t events)
{
	switch (ev->kind) {
	case VD_EV_SIGNAL:
		handle_signal();
		break;
	case VD_EV_VHOST_LISTEN:
		vhost_accept();
		break;
	case VD_EV_VHOST:
		vhost_readable();
		break;
	case VD_EV_KICK:
		vhost_kick(ev->arg);
		break;
	case VD_EV_UDS_LISTEN:
		listen_uds_accept();
		break;
	case VD_EV_TCP_LISTEN:
		listen_tcp_accept(ev->arg);
		break;
	case VD_EV_CONN:
		/* The vd_ev is the first member of its connection. */
		if (!((struct vd_conn *)ev)->dead)
			conn_host_event((struct vd_conn *)ev, events);
		break;
	}
}

static void loop(void)
{
	struct epoll_event evs[256];

	while (!vd.quit) {
		uint64_t now = vd_now_ms();
		int t = conn_next_timeout(now), lt = listen_next_timeout(now), n;

		if (lt >= 0 && (t < 0 || lt < t))
			t = lt;
		if (vd.more_work)
			t = 0;
		n = epoll_wait(vd.epfd, evs, 256, t);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			vd_warn("epoll_wait: %s", strerror(errno));
			vd.exit_code = 1;
			break;
		}
		for (int i = 0; i < n && !vd.quit; i++)
			dispatch(evs[i].data.ptr, evs[i].events);
		if (vd.quit)
			break;
		conn_timeouts(vd_now_ms());
		/*
		 * The device's work, once per iteration: guest packets first (they may
		 * return credit and queue answers), then fill RX buffers, then one call
		 * per ring that got used entries (batched interrupts).
		 */
		vd.more_work = false;
		pkt_tx_process();
		pkt_rx_fill();
		pkt_event_reset();
		vhost_signal_calls();
		conn_reap();
		listen_resume_check(vd_now_ms());
	}
	conn_reap();
}

static void close_ev(struct vd_ev *ev)
{
	if (ev->fd >= 0)
		close(ev->fd);
	ev->fd = -1;
}

static void cleanup(void)
{
	conn_drop_all();
	vhost_close();
	conn_reap();
	close_ev(&vd.vlisten);
	close_ev(&vd.uds);
	for (int i = 0; i < vd.npub; i++)
		close_ev(&vd.tcp[i]);
	close_ev(&vd.sig);
	if (vd.epfd >= 0)
		close(vd.epfd);
	/* Only what we bound; PATH_P sockets belong to host programs. */
	if (vd.sock_created)
		unlink(vd.sock_path);
	if (vd.uds_created)
		unlink(vd.uds_path);
	if (vd.ready_fd >= 0)
		close(vd.ready_fd);
}

int main(int argc, char **argv)
{
	vd.epfd = -1;
	vd.vlisten.fd = vd.uds.fd = vd.sig.fd = vd.vsess.fd = -1;
	for (int i = 0; i < VD_MAX_PUBLISH; i++)
		vd.tcp[i].fd = -1;
	for (int i = 0; i < VD_NQUEUES; i++) {
		vd.q[i].kick.fd = vd.q[i].call_fd = -1;
		vd.q[i].kick.kind = VD_EV_KICK;
		vd.q[i].kick.arg = (uint32_t)i;
	}
	vd.next_local_port = VD_FIRST_LOCAL_PORT;
	if (parse_options(argc, argv) < 0) {
		usage(stderr);
		return 1;
	}
	raise_nofile();
	vd.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vd.epfd < 0 || setup_signals() < 0) {
		vd_warn("start-up: %s", strerror(errno));
		cleanup();
		return 1;
	}
	if (setup_listeners() < 0) {
		/* listen_*() printed what failed. */
		cleanup();
		return 1;
	}
	if (vd.ready_fd >= 0) {
		if (write(vd.ready_fd, "ready\n", 6) != 6)
			vd_warn("--ready-fd %d: %s", vd.ready_fd, strerror(errno));
		close(vd.ready_fd);
		vd.ready_fd = -1;
	}
	vd_log("listening on %s and %s, guest CID %llu", vd.sock_path, vd.uds_path,
	       (unsigned long long)vd.cid);
	loop();
	if (vd.stats)
		for (uint32_t i = 0; i < VD_NQUEUES; i++)
			fprintf(stderr,
				"toro-vsockd: stats: ring %u: %llu guest kicks in %llu "
				"wake-ups, %llu interrupts\n",
				i, (unsigned long long)vd.kicks[i],
				(unsigned long long)vd.kick_reads[i],
				(unsigned long long)vd.calls[i]);
	cleanup();
	return vd.exit_code;
}
