/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping the helper daemons of a VM. A daemon may not outlive us:
 * the child sets PR_SET_PDEATHSIG and then checks that we did not die before that
 * took effect. Exits are waited for on a pidfd, which turns readable when the
 * process ends, so no wait here is a fixed sleep.
 */
#include "host/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The last of SIGINT, SIGTERM, SIGHUP caught outside run_vm(), or 0. */
static volatile sig_atomic_t caught;
/* daemon_spawn() puts its children in process groups of their own. */
static bool detach;

void daemon_detach(void)
{
	detach = true;
}

void daemon_path(const char *env, const char *dflt, char *buf, size_t len)
{
	const char *val = getenv(env);
	ssize_t n;

	if (val && *val) {
		snprintf(buf, len, "%s", val);
		return;
	}
	if (strchr(dflt, '/')) {
		snprintf(buf, len, "%s", dflt);
		return;
	}
	n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0) {
		snprintf(buf, len, "%s", dflt);
		return;
	}
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');

	snprintf(slash + 1, len - (size_t)(slash + 1 - buf), "%s", dflt);
}

int daemon_tmpdir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	/* Sockets live in it: keep the path well inside sun_path's 108 bytes. */
	snprintf(dir, len, "%s/toro-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "toro: cannot create a directory in %s: %s\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

/* daemon_spawn, or gdb's start (fg: in our process group, PATH searched). */
static pid_t spawn(const char *path, const char *const argv[], int keep_fd, int err_fd,
		   bool fg)
{
	pid_t pid, parent = getpid();
	int errp[2], err = 0;
	ssize_t n;

	if (pipe2(errp, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(errp[0]);
		close(errp[1]);
		return -err;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
			goto fail;
		if (getppid() != parent)
			_exit(127);
		if (detach && !fg && setpgid(0, 0) < 0)
			goto fail;
		if (keep_fd >= 0 && fcntl(keep_fd, F_SETFD, 0) < 0)
			goto fail;
		if (err_fd >= 0 && err_fd != 2 && dup2(err_fd, 2) < 0)
			goto fail;
		if (fg)
			execvp(path, (char *const *)argv);
		else
			execv(path, (char *const *)argv);
fail:
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errp[1]);
	/* End of file: exec succeeded and closed the pipe; else the child's errno. */
	do
		n = read(errp[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -err;
	}
	return pid;
}

pid_t daemon_spawn(const char *path, const char *const argv[], int keep_fd, int err_fd)
{
	return spawn(path, argv, keep_fd, err_fd, false);
}

pid_t daemon_spawn_fg(const char *file, const char *const argv[])
{
	return spawn(file, argv, -1, -1, true);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool daemon_reap(pid_t pid, int ms, int *status)
{
	long long deadline = now_ms() + ms;
	int fd = pidfd_open(pid, 0), st = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	pid_t r;

	if (fd >= 0) {
		long long left = ms;

		while (left > 0 && poll(&p, 1, (int)left) < 0 && errno == EINTR)
			left = deadline - now_ms();
		close(fd);
	}
	r = waitpid(pid, &st, WNOHANG);
	if (status)
		*status = r > 0 ? st : 0;
	/* -1 is ECHILD: someone reaped it already, it is gone all the same. */
	return r != 0;
}

void daemon_stop(pid_t pid)
{
	/* Daemons leave once QEMU disconnects; give them that moment first. */
	if (daemon_reap(pid, DAEMON_GRACE_MS, NULL))
		return;
	kill(pid, SIGTERM);
	if (daemon_reap(pid, DAEMON_STOP_MS, NULL))
		return;
	kill(pid, SIGKILL);
	daemon_reap(pid, DAEMON_STOP_MS, NULL);
}

const char *daemon_describe(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	return buf;
}

static void on_signal(int sig)
{
	caught = sig;
}

void daemon_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void daemon_catch_signals(void)
{
	/* SA_RESTART: other code's reads go on; poll() returns EINTR regardless. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int daemon_signal(void)
{
	return caught;
}
