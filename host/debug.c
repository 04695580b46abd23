/* SPDX-License-Identifier: MIT */
/*
 * `toro debug`: one VM and one gdb, both our children.
 *
 *   listen   We make a private temporary directory and listen on gdb.sock in
 *            it ourselves; QEMU gets the socket as `-chardev socket,...,fd=N`.
 *            So it listens before QEMU starts (gdb 13 connects to a Unix
 *            socket path), and nothing can take its place in between.
 *   run      run_vm() starts QEMU with stdin /dev/null and in a process group
 *            of its own: the terminal is gdb's, and so is its Ctrl-C, which
 *            gdb turns into an interrupt for the stub. QEMU's stdout is a
 *            pipe we copy to ours, because QEMU makes its stdout non-blocking,
 *            and on a terminal that flag would be gdb's too (one open file).
 *            The daemons (toro-vsockd, virtiofsd) get groups of their own too.
 *   gdb      Once QEMU runs, started() closes our copy of the socket (if QEMU
 *            dies, gdb must see the connection end), makes SIGINT a no-op for
 *            us, and starts gdb connected to the socket. gdb's connection waits
 *            in the socket's backlog until QEMU accepts it.
 *   end      gdb exits first: run_vm() kills QEMU. The VM ends first: gdb sees
 *            its connection close and we wait until the user quits gdb.
 *            SIGTERM or SIGHUP stop both. We exit with gdb's status.
 */
#include "host/debug.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/daemon.h"
#include "host/run.h"

/* One debugging session. */
struct debug {
	const struct run_opts *o; /* the VM's options */
	char dir[64]; /* our temporary directory, or "" */
	char sock[96]; /* the stub's socket in it, or "" */
	int listen_fd; /* our copy of the socket until QEMU runs, or -1 */
	pid_t gdb; /* gdb until it is reaped, or 0 */
	int gdb_pidfd; /* readable once gdb exits, or -1 */
};

/* Creates d->dir and listens on d->sock; 0, or -1 after saying why. */
static int listen_stub(struct debug *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (daemon_tmpdir(d->dir, sizeof(d->dir)))
		return -1;
	snprintf(d->sock, sizeof(d->sock), "%s/gdb.sock", d->dir);
	/* daemon_tmpdir() keeps the directory short: it fits sun_path. */
	memcpy(sa.sun_path, d->sock, strlen(d->sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* Not 0..2, which QEMU's stdin and stdout would replace (toro may have
	 * been started with one of them closed). */
	if (fd >= 0 && fd < 3) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		close(fd);
		fd = high;
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0) {
		fprintf(stderr, "toro: cannot listen on %s: %s\n", d->sock,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	d->listen_fd = fd;
	return 0;
}

/* Writes all of buf to fd, waiting when fd is non-blocking and full. */
static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t k = write(fd, buf, n);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (k < 0 && errno == EAGAIN)
			poll(&p, 1, -1);
		else if (k < 0 && errno != EINTR)
			return; /* stdout is gone: the guest's output with it */
		if (k > 0) {
			buf += k;
			n -= (size_t)k;
		}
	}
}

/* run_io.on_data: copies the guest's serial output to our stdout. */
static bool relay(void *ctx, int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)ctx;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	write_all(1, buf, (size_t)n);
	return true;
}

static void ignore(int sig)
{
	(void)sig;
}

/* run_io.started: QEMU runs; start gdb and have run_vm() watch it. */
static int started(void *ctx)
{
	static struct runopts_argv a;
	struct debug *d = ctx;
	struct sigaction sa = { .sa_handler = ignore, .sa_flags = SA_RESTART };
	const char *bin = getenv("TORO_GDB");
	pid_t pid;

	/* QEMU has its own copy now: if it dies, gdb must see the socket go. */
	close(d->listen_fd);
	d->listen_fd = -1;
	if (!bin || !bin[0])
		bin = DEBUG_GDB;
	if (runopts_build_gdb_argv(d->o, bin, d->sock, &a)) {
		fprintf(stderr, "toro: the gdb command line is too long\n");
		return -E2BIG;
	}
	/* Ctrl-C is gdb's from now on. A handler, unlike SIG_IGN, is not
	 * inherited through exec: gdb gets SIGINT as usual. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	pid = daemon_spawn_fg(a.argv[0], a.argv);
	if (pid < 0) {
		fprintf(stderr,
			"toro: cannot run %s: %s (set TORO_GDB to choose a gdb)\n", bin,
			strerror((int)-pid));
		return (int)pid;
	}
	d->gdb = pid;
	d->gdb_pidfd = pidfd_open(pid, 0);
	if (d->gdb_pidfd < 0) {
		int err = errno;

		fprintf(stderr, "toro: cannot watch gdb: %s\n", strerror(err));
		return -err;
	}
	return d->gdb_pidfd;
}

/* gdb's wait status as our exit code. */
static int gdb_code(int st)
{
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/*
 * The VM is gone and gdb is not: waits until the user quits it. SIGINT is
 * gdb's; SIGTERM or SIGHUP stop gdb and give 128 + the signal.
 */
static int wait_gdb(struct debug *d)
{
	sigset_t set, old;
	int sfd, st = 0, code = -1;

	daemon_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	while (code < 0) {
		struct pollfd p[2] = { { .fd = d->gdb_pidfd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		struct signalfd_siginfo si;
		int sig = 0;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			sig = SIGTERM; /* cannot wait: end it */
		while (sfd >= 0 && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			if (si.ssi_signo != SIGINT)
				sig = (int)si.ssi_signo;
		if (sig) {
			fprintf(stderr, "toro: got %s, stopping gdb\n", strsignal(sig));
			daemon_stop(d->gdb);
			code = 128 + sig;
		} else if (waitpid(d->gdb, &st, WNOHANG) == d->gdb) {
			code = gdb_code(st);
		}
	}
	d->gdb = 0;
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
}

int debug_run(struct run_opts *o)
{
	struct debug d = { .o = o, .listen_fd = -1, .gdb_pidfd = -1 };
	struct run_result r = { RUN_ERROR, 0 };
	struct run_io io;
	int p[2] = { -1, -1 }, null_fd = -1, code = TORO_EXIT_QEMU, st;

	if (listen_stub(&d))
		goto out;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		perror("toro: cannot set up the console pipe");
		goto out;
	}
	o->gdb_fd = d.listen_fd;
	o->gdb_wait = true;
	io = (struct run_io){ .stdin_fd = null_fd,
			      .stdout_fd = p[1],
			      .close_fd = p[1],
			      .watch_fd = p[0],
			      .on_data = relay,
			      .ctx = &d,
			      .detach = true,
			      .started = started };
	code = run_vm(o, &io, &r);
	if (r.outcome == RUN_STOPPED && !d.gdb)
		code = TORO_EXIT_NOEXEC; /* gdb could not be started */
	if (!d.gdb)
		goto out;
	switch (r.outcome) {
	case RUN_STOPPED:
		/* gdb exited, which stopped the VM; or watching it failed. */
		if (!daemon_reap(d.gdb, d.gdb_pidfd >= 0 ? DAEMON_STOP_MS : 0, &st)) {
			daemon_stop(d.gdb);
			code = TORO_EXIT_QEMU;
			break;
		}
		d.gdb = 0;
		code = gdb_code(st);
		break;
	case RUN_INTERRUPTED:
	case RUN_ERROR:
		daemon_stop(d.gdb); /* code: 128 + the signal, or 125 */
		break;
	default:
		/* The VM ended by itself; run_vm() said so unless the guest exited. */
		if (r.outcome == RUN_EXITED)
			fprintf(stderr, "toro: the guest exited with code %d%s\n", r.code,
				o->gdb_batch ? "" : "; quit gdb to end");
		else if (!o->gdb_batch)
			fprintf(stderr, "toro: quit gdb to end\n");
		code = wait_gdb(&d);
		break;
	}
out:
	if (d.gdb_pidfd >= 0)
		close(d.gdb_pidfd);
	if (d.listen_fd >= 0)
		close(d.listen_fd);
	o->gdb_fd = -1;
	if (p[0] >= 0)
		close(p[0]);
	if (null_fd >= 0)
		close(null_fd);
	if (d.sock[0])
		unlink(d.sock);
	if (d.dir[0])
		rmdir(d.dir);
	return code;
}
