/* SPDX-License-Identifier: MIT */
/*
 * Runs QEMU as a child and waits for it without fixed sleeps.
 *
 * Before forking we block SIGCHLD, SIGINT, SIGTERM and SIGHUP and read them from a
 * signalfd instead, so one poll() waits for all of: QEMU's exit, a signal to us,
 * the caller's watched fd (the console pipe of `toro test`) and the deadline. The
 * states are
 *
 *   RUNNING   until QEMU exits, the timeout passes or a signal arrives; then
 *   STOPPING  QEMU got SIGTERM (it exits cleanly, restoring the terminal); after
 *             1 s, or a second signal, it gets SIGKILL and we reap it.
 *
 * With run_io.started (toro debug), the fd it returns (gdb's pidfd) is in the
 * poll() too: once it is readable, QEMU gets SIGKILL at once (STOPPING, with no
 * grace: nothing of QEMU's needs restoring, as its stdin is no terminal).
 *
 * Helper daemons registered with run_watch_helper() are watched through their
 * pidfds in the same poll(). A helper that exits while QEMU runs is reported once
 * QEMU outlives it by RUN_HELPER_GRACE_MS; the VM keeps running (its guest sees
 * the device fail). Helpers that end while we stop the VM are not reported.
 *
 * With --trace, the kernel's trace dump comes over a socket pair (QEMU's end is
 * the trace port's chardev) and is copied to FILE.guest as it comes. A VM that
 * is stopped (signal, timeout) is first asked for a dump ('d' on that socket),
 * if the guest ever wrote to it: QEMU gets its SIGTERM once the dump's end line
 * came, after RUN_DUMP_MS, or at a second signal.
 *
 * QEMU may not outlive us: the child sets PR_SET_PDEATHSIG(SIGKILL) and then checks
 * that we did not die before it took effect. exec failures come back to us through
 * a close-on-exec pipe, so "QEMU not found" is told apart from QEMU's own exit 127.
 */
#include "host/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RUN_GRACE_MS 1000 /* how long QEMU gets to exit after SIGTERM */
#define RUN_DUMP_MS 5000 /* how long a stopped guest gets for its trace dump */

/* --trace: our end of the trace port's socket and the dump's file. */
struct tracer {
	int sock; /* -1 when there is none, or it ended */
	int out; /* FILE.guest */
	bool seen; /* the guest wrote to it: it has tracing on and listens */
	bool asked, done; /* a dump was asked for; its end line came */
	bool synced; /* a sync line came after the ask: the asked-for dump began */
	unsigned col; /* bytes into the current line, up to 5 */
	char head[5]; /* the current line's first bytes */
};

/* Copies what came to the file; notes the end line of an asked-for dump. */
static void tracer_read(struct tracer *t)
{
	char buf[65536];
	ssize_t n;

	while (t->sock >= 0 && (n = read(t->sock, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				close(t->sock);
				t->sock = -1;
			}
			return;
		}
		t->seen = true;
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = write(t->out, buf + off, (size_t)(n - off))) <= 0) {
				fprintf(stderr, "toro: cannot write the trace dump: %s\n",
					strerror(errno));
				break;
			}
		/* The asked-for dump: a sync line, then (lines later) its end line. */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (t->col < sizeof(t->head))
					t->head[t->col++] = buf[i];
				continue;
			}
			if (t->asked && t->col >= 5 && !memcmp(t->head, "sync ", 5))
				t->synced = true;
			if (t->synced && t->col >= 4 && !memcmp(t->head, "end ", 4))
				t->done = true;
			t->col = 0;
		}
	}
	if (t->sock >= 0) { /* end of file: QEMU is gone */
		close(t->sock);
		t->sock = -1;
	}
}

/* A helper process run_vm() watches; see run_watch_helper(). */
struct run_helper {
	bool used; /* the slot is taken */
	int pidfd; /* readable once the helper exits */
	void (*died)(void *ctx); /* told once, if it exits while QEMU runs */
	void *ctx; /* its argument */
};

static struct run_helper helpers[RUN_MAX_HELPERS];

int run_watch_helper(int pidfd, void (*died)(void *ctx), void *ctx)
{
	for (int i = 0; i < RUN_MAX_HELPERS; i++)
		if (!helpers[i].used) {
			helpers[i] = (struct run_helper){ true, pidfd, died, ctx };
			return 0;
		}
	return -ENOSPC;
}

void run_unwatch_helper(int pidfd)
{
	for (int i = 0; i < RUN_MAX_HELPERS; i++)
		if (helpers[i].used && helpers[i].pidfd == pidfd)
			helpers[i].used = false;
}

void run_probe_host(struct run_opts *o)
{
	const char *q = getenv("TORO_QEMU"), *accel = getenv("TORO_ACCEL");
	int fd;

	if (q && q[0])
		o->qemu = q;
	/* TORO_ACCEL=tcg keeps software emulation even where KVM exists. */
	if (accel && strcmp(accel, "tcg") == 0) {
		o->kvm = false;
		return;
	}
	/* Opening it is the real test: a container may list it and deny it. */
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	o->kvm = fd >= 0;
	if (fd >= 0)
		close(fd);
}

const char *run_fmt_seconds(unsigned long long ms, char *buf, unsigned int len)
{
	int n = snprintf(buf, len, "%llu.%03llu", ms / 1000, ms % 1000);

	/* Drop the zeros a user would not have typed: 2.000 -> 2, 0.500 -> 0.5. */
	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

int run_print_cmdline(const struct run_opts *o)
{
	static struct runopts_argv a;
	char q[RUNOPTS_ARGV_BUF * 4 + 3];

	if (runopts_build_argv(o, &a)) {
		fprintf(stderr, "toro: the QEMU command line is too long\n");
		return -E2BIG;
	}
	for (int i = 0; i < a.argc; i++) {
		if (runopts_shell_quote(a.argv[i], q, sizeof(q)))
			return -E2BIG;
		printf("%s%s", i ? " " : "", q);
	}
	printf("\n");
	return fflush(stdout) ? -errno : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The poll() timeout that wakes us at `deadline` (-1: none). */
static int until(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

/* In the child: become QEMU, or report errno through errfd and die. */
static void __attribute__((noreturn))
child_exec(const struct runopts_argv *a, const struct run_io *io, const sigset_t *mask,
	   pid_t parent, int keep_fd, int keep_fd2, int errfd)
{
	int err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	/* If we already lost the parent, the death signal will never come. */
	if (getppid() != parent)
		_exit(127);
	/* Out of the terminal's foreground group: Ctrl-C is gdb's, not ours. */
	if (io->detach && setpgid(0, 0) < 0)
		goto fail;
	/* The stub's listening socket, which QEMU takes as -chardev ...,fd=N. */
	if (keep_fd >= 0 && fcntl(keep_fd, F_SETFD, 0) < 0)
		goto fail;
	/* The trace port's socket, -chardev socket,...,fd=N too. */
	if (keep_fd2 >= 0 && fcntl(keep_fd2, F_SETFD, 0) < 0)
		goto fail;
	if ((io->stdin_fd != 0 && dup2(io->stdin_fd, 0) < 0) ||
	    (io->stdout_fd != 1 && dup2(io->stdout_fd, 1) < 0))
		goto fail;
	/* A caller's close-on-exec fd that already is 0 or 1 (we were started
	 * with it closed) must stay open all the same. */
	for (int fd = 0; fd < 2; fd++)
		if ((fd ? io->stdout_fd : io->stdin_fd) == fd)
			fcntl(fd, F_SETFD, 0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(a->argv[0], (char *const *)a->argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* Waits for the child's exec; 0, or the errno with which it failed. */
static int exec_status(int errfd)
{
	int err = 0;
	ssize_t n;

	do
		n = read(errfd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(err) ? err : 0;
}

/* Hands the caller everything QEMU wrote before it went away. */
static void drain(const struct run_io *io, bool *watching)
{
	struct pollfd p = { .fd = io->watch_fd, .events = POLLIN };

	/*
	 * QEMU is reaped, so the pipe ends at the data already in it; a zero
	 * timeout only guards against someone else still holding the write end.
	 */
	while (*watching && poll(&p, 1, 0) > 0)
		*watching = io->on_data(io->ctx, io->watch_fd);
}

/* Tells the user why the VM ended, for the abnormal cases. */
static void report(const struct run_opts *o, const struct run_result *r)
{
	switch (r->outcome) {
	case RUN_RESET:
		fprintf(stderr, "toro: guest stopped without an exit code "
				"(reset or triple fault)\n");
		break;
	case RUN_QEMU_FAILED:
		fprintf(stderr, "toro: qemu failed (exit status %d)\n", r->code);
		break;
	case RUN_QEMU_SIGNALED:
		fprintf(stderr, "toro: qemu was killed by signal %d (%s)\n", r->code,
			strsignal(r->code));
		break;
	case RUN_NOEXEC:
		fprintf(stderr,
			"toro: cannot run %s: %s (set TORO_QEMU to choose a QEMU)\n",
			o->qemu, strerror(r->code));
		break;
	case RUN_ERROR:
		fprintf(stderr, "toro: cannot start the VM: %s\n", strerror(r->code));
		break;
	default:
		break;
	}
}

int run_exit_code(const struct run_result *r)
{
	switch (r->outcome) {
	case RUN_EXITED:
		return r->code;
	case RUN_TIMEOUT:
		return TORO_EXIT_TIMEOUT;
	case RUN_INTERRUPTED:
		return 128 + r->code;
	case RUN_STOPPED:
		return 0; /* as the caller asked; it has its own status to give */
	case RUN_NOEXEC:
		return TORO_EXIT_NOEXEC;
	default:
		return TORO_EXIT_QEMU;
	}
}

/* Turns QEMU's wait status into a result. */
static void classify_exit(int st, struct run_result *r)
{
	if (WIFSIGNALED(st)) {
		r->outcome = RUN_QEMU_SIGNALED;
		r->code = WTERMSIG(st);
		return;
	}
	switch (runopts_map_status(WEXITSTATUS(st), &r->code)) {
	case RUNOPTS_GUEST_EXIT:
		r->outcome = RUN_EXITED;
		break;
	case RUNOPTS_GUEST_RESET:
		r->outcome = RUN_RESET;
		break;
	case RUNOPTS_QEMU_FAILED:
		r->outcome = RUN_QEMU_FAILED;
		r->code = WEXITSTATUS(st);
		break;
	}
}

/*
 * The wait loop of the primer, with QEMU started as pid. Fills r unless we stopped
 * the VM ourselves (timeout, signal or stop_fd), in which case r is already set.
 * stop_fd is started()'s fd, or -1; stop_req asks for the stop at once.
 */
static void wait_vm(const struct run_opts *o, const struct run_io *io, pid_t pid, int sfd,
		    int stop_fd, bool stop_req, struct tracer *tr, struct run_result *r)
{
	long long deadline = o->timeout_ms ? now_ms() + (long long)o->timeout_ms : -1;
	/* Per helper: -1 running, -2 reported, else when it exited (ms). */
	long long gone[RUN_MAX_HELPERS];
	bool watching = io->watch_fd >= 0, stopping = false, dumping = false;
	char secs[32];
	int st;

	for (int i = 0; i < RUN_MAX_HELPERS; i++)
		gone[i] = -1;
	for (;;) {
		struct pollfd p[4 + RUN_MAX_HELPERS] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = watching ? io->watch_fd : -1, .events = POLLIN },
			{ .fd = stopping ? -1 : stop_fd, .events = POLLIN },
			{ .fd = tr->sock, .events = POLLIN },
		};
		bool term = false;
		long long wake = deadline;
		struct signalfd_siginfo si;
		int sig = 0;

		/* poll() skips negative fds: helpers gone, or not to be reported. */
		for (int i = 0; i < RUN_MAX_HELPERS; i++) {
			bool watch = helpers[i].used && gone[i] == -1 && !stopping;
			long long due = gone[i] + RUN_HELPER_GRACE_MS;

			p[4 + i].fd = watch ? helpers[i].pidfd : -1;
			p[4 + i].events = POLLIN;
			if (!stopping && gone[i] >= 0 && (wake < 0 || due < wake))
				wake = due;
		}
		/* A stop that started() asked for is taken at once. */
		int ms = stop_req && !stopping ? 0 : until(wake);

		if (poll(p, 4 + RUN_MAX_HELPERS, ms) < 0 && errno != EINTR) {
			/* Cannot wait: stop QEMU for good below. */
			if (!stopping) {
				r->outcome = RUN_ERROR;
				r->code = errno;
			}
			break;
		}

		/* Take every pending signal before looking at the child. */
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			if (si.ssi_signo != SIGCHLD &&
			    !(io->detach && si.ssi_signo == SIGINT))
				sig = (int)si.ssi_signo;

		if (watching && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			watching = io->on_data(io->ctx, io->watch_fd);
		if (p[2].fd >= 0 && p[2].revents)
			stop_req = true;
		if (p[3].fd >= 0 && p[3].revents)
			tracer_read(tr);
		for (int i = 0; i < RUN_MAX_HELPERS; i++)
			if (p[4 + i].fd >= 0 && p[4 + i].revents)
				gone[i] = now_ms();

		if (sig && stopping)
			break; /* a second signal: no more patience */
		if (sig && dumping) {
			term = true; /* a second signal: not waiting for the dump */
			dumping = false;
		} else if (sig) {
			fprintf(stderr, "toro: got %s, stopping the VM\n",
				strsignal(sig));
			r->outcome = RUN_INTERRUPTED;
			r->code = sig;
			term = true;
		} else if (!stopping && !dumping && deadline >= 0 &&
			   now_ms() >= deadline) {
			fprintf(stderr, "toro: timeout after %s s, stopping the VM\n",
				run_fmt_seconds(o->timeout_ms, secs, sizeof(secs)));
			r->outcome = RUN_TIMEOUT;
			term = true;
		}
		/* A guest that traces gets to write its rings out first. */
		if (term && !stopping && !dumping && tr->sock >= 0 && tr->seen &&
		    !tr->asked) {
			tr->asked = true;
			if (send(tr->sock, "d", 1, MSG_NOSIGNAL) == 1) {
				dumping = true;
				term = false;
				deadline = now_ms() + RUN_DUMP_MS;
			}
		}
		if (dumping && (tr->done || tr->sock < 0 || now_ms() >= deadline)) {
			if (!tr->done)
				fprintf(stderr,
					"toro: the guest's trace dump did not end within "
					"%d s; the file has what came\n",
					RUN_DUMP_MS / 1000);
			dumping = false;
			term = true;
		}
		if (!stopping && term) {
			/* SIGTERM first: QEMU then restores the terminal itself. */
			kill(pid, SIGTERM);
			stopping = true;
			deadline = now_ms() + RUN_GRACE_MS;
		} else if (!stopping && stop_req) {
			/* Also spares us QEMU's "terminating on signal 15" line. */
			r->outcome = RUN_STOPPED;
			kill(pid, SIGKILL);
			stopping = true;
			deadline = now_ms() + RUN_GRACE_MS;
		}

		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (!stopping && !dumping)
				classify_exit(st, r);
			drain(io, &watching);
			tracer_read(tr);
			return;
		}
		if (stopping && now_ms() >= deadline)
			break;
		/* QEMU outlived the helper: that was no orderly end. */
		for (int i = 0; i < RUN_MAX_HELPERS && !stopping; i++)
			if (gone[i] >= 0 && now_ms() >= gone[i] + RUN_HELPER_GRACE_MS) {
				gone[i] = -2;
				if (helpers[i].used)
					helpers[i].died(helpers[i].ctx);
			}
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	drain(io, &watching);
	tracer_read(tr);
}

int run_vm(const struct run_opts *o, const struct run_io *io, struct run_result *res)
{
	static struct runopts_argv a; /* 8 KiB: too big for a polite stack frame */
	struct run_result r = { RUN_ERROR, 0 };
	struct run_opts oc = *o;
	struct tracer tr = { .sock = -1, .out = -1 };
	int tp[2] = { -1, -1 };
	int close_fd = io->close_fd;
	sigset_t block, old;
	struct termios tio;
	bool tty = false;
	int sfd = -1, errp[2] = { -1, -1 };
	pid_t pid, parent = getpid();

	if (o->trace_events) {
		const char *file = o->trace_file ? o->trace_file : RUNOPTS_TRACE_FILE;
		char path[4096];

		snprintf(path, sizeof(path), "%s.guest", file);
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tp) == 0)
			tr.sock = tp[0];
		if (tr.sock < 0 ||
		    (tr.out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				   0644)) < 0) {
			r.code = errno;
			fprintf(stderr, "toro: cannot set up the trace dump (%s): %s\n",
				path, strerror(errno));
			goto out;
		}
		fcntl(tr.sock, F_SETFL, fcntl(tr.sock, F_GETFL) | O_NONBLOCK);
		oc.trace_fd = tp[1];
	}
	if (runopts_build_argv(&oc, &a)) {
		fprintf(stderr, "toro: the QEMU command line is too long\n");
		r.code = E2BIG;
		goto out;
	}

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r.code = errno;
		report(o, &r);
		goto restore;
	}
	if (io->watch_fd >= 0)
		fcntl(io->watch_fd, F_SETFL, fcntl(io->watch_fd, F_GETFL) | O_NONBLOCK);

	/* QEMU changes the terminal; a SIGKILLed QEMU cannot change it back. */
	if (isatty(io->stdin_fd) && tcgetpgrp(io->stdin_fd) == getpgrp())
		tty = tcgetattr(io->stdin_fd, &tio) == 0;

	pid = fork();
	if (pid < 0) {
		r.code = errno;
		report(o, &r);
		goto restore;
	}
	if (pid == 0)
		child_exec(&a, io, &old, parent, o->gdb_fd, tp[1], errp[1]);
	/* Set on both sides, so it holds whichever runs first (once QEMU has
	 * exec'd ours fails, harmlessly). */
	if (io->detach)
		setpgid(pid, pid);

	close(errp[1]);
	errp[1] = -1;
	/* QEMU's end is QEMU's alone: our reads end when it goes. */
	if (tp[1] >= 0)
		close(tp[1]);
	tp[1] = -1;
	/* The caller's pipe must end when QEMU's copy of the write end does. */
	if (close_fd >= 0)
		close(close_fd);
	close_fd = -1;
	r.code = exec_status(errp[0]);
	if (r.code) {
		/* Our child, not QEMU, exited with 127 after reporting errno. */
		r.outcome = RUN_NOEXEC;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	} else {
		int stop_fd = io->started ? io->started(io->ctx) : -1;
		bool stop_now = io->started && stop_fd < 0;

		wait_vm(o, io, pid, sfd, stop_now ? -1 : stop_fd, stop_now, &tr, &r);
	}
	report(o, &r);
	if (tty)
		tcsetattr(io->stdin_fd, TCSANOW, &tio);
	/* QEMU leaves its listening socket file behind. */
	if (runopts_console_socket(o))
		unlink(runopts_console_socket(o));
	if (o->gdb_path)
		unlink(o->gdb_path);

restore:
	if (sfd >= 0)
		close(sfd);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	if (close_fd >= 0)
		close(close_fd);
	if (tr.sock >= 0)
		close(tr.sock);
	if (tp[1] >= 0)
		close(tp[1]);
	if (tr.out >= 0)
		close(tr.out);
	if (res)
		*res = r;
	return run_exit_code(&r);
}
