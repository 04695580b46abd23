/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping toro-vsockd for one VM. The daemon listens on a vhost-user
 * socket in a private temporary directory; QEMU connects to it as the frontend of
 * its vhost-user-vsock-device. The daemon reports readiness on a pipe (--ready-fd)
 * once every socket it serves exists, and exits by itself when QEMU goes away; it
 * also gets SIGTERM if we die first (PR_SET_PDEATHSIG).
 */
#include "host/vsock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define VSOCKD_STOP_MS 2000 /* SIGTERM, then this long before SIGKILL */

/* toro-vsockd beside our own binary, unless TORO_VSOCKD names one. */
static void daemon_path(char *buf, size_t len)
{
	const char *env = getenv("TORO_VSOCKD");
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0) {
		snprintf(buf, len, "toro-vsockd");
		return;
	}
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');

	snprintf(slash + 1, len - (size_t)(slash + 1 - buf), "toro-vsockd");
}

/* Waits for the daemon to exit, up to ms; true if it did (and it is reaped). */
static bool reap(pid_t pid, int ms)
{
	int fd = pidfd_open(pid, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	/* The pidfd turns readable when the process exits. */
	if (fd >= 0) {
		while (poll(&p, 1, ms) < 0 && errno == EINTR)
			;
		close(fd);
	}
	return waitpid(pid, NULL, WNOHANG) != 0;
}

int vsockd_start(struct run_opts *o, struct vsockd *v)
{
	char path[PATH_MAX], fdnum[16], line[16];
	const char *argv[8 + 2 * RUNOPTS_MAX_PUBLISH];
	int argc = 0, p[2];
	ssize_t n;

	memset(v, 0, sizeof(*v));
	if (!o->vsock && o->npublish == 0)
		return 0;
	if (o->dry_run) {
		o->vsock_backend = "TORO_VSOCKD_SOCKET";
		return 0;
	}
	const char *tmp = getenv("TMPDIR");

	snprintf(v->dir, sizeof(v->dir), "%s/toro-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(v->dir)) {
		fprintf(stderr, "toro: cannot create a directory in %s: %s\n",
			tmp ? tmp : "/tmp", strerror(errno));
		v->dir[0] = '\0';
		return -1;
	}
	snprintf(v->backend, sizeof(v->backend), "%s/vhost.sock", v->dir);
	if (!o->vsock) {
		/* Only --publish: the hybrid socket is private too. */
		snprintf(v->uds, sizeof(v->uds), "%s/vsock.sock", v->dir);
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "toro: pipe: %s\n", strerror(errno));
		vsockd_stop(v);
		return -1;
	}
	daemon_path(path, sizeof(path));
	snprintf(fdnum, sizeof(fdnum), "%d", p[1]);
	argv[argc++] = path;
	argv[argc++] = "--socket";
	argv[argc++] = v->backend;
	argv[argc++] = "--uds";
	argv[argc++] = o->vsock ? o->vsock : v->uds;
	for (int i = 0; i < o->npublish; i++) {
		argv[argc++] = "--publish";
		argv[argc++] = o->publish[i];
	}
	argv[argc++] = "--ready-fd";
	argv[argc++] = fdnum;
	argv[argc] = NULL;

	pid_t parent = getpid();

	v->pid = fork();
	if (v->pid < 0) {
		fprintf(stderr, "toro: fork: %s\n", strerror(errno));
		v->pid = 0;
		close(p[0]);
		close(p[1]);
		vsockd_stop(v);
		return -1;
	}
	if (v->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		fcntl(p[1], F_SETFD, 0); /* the daemon keeps the write end */
		execv(path, (char *const *)argv);
		fprintf(stderr, "toro: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	/* "ready\n" once its sockets exist; end of file if it failed (it said why). */
	do
		n = read(p[0], line, sizeof(line));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n < 6 || memcmp(line, "ready\n", 6) != 0) {
		fprintf(stderr, "toro: toro-vsockd did not start\n");
		vsockd_stop(v);
		return -1;
	}
	o->vsock_backend = v->backend;
	return 0;
}

void vsockd_stop(struct vsockd *v)
{
	if (v->pid > 0) {
		/* It leaves once QEMU disconnects; give it that moment first. */
		if (!reap(v->pid, 200)) {
			kill(v->pid, SIGTERM);
			if (!reap(v->pid, VSOCKD_STOP_MS)) {
				kill(v->pid, SIGKILL);
				reap(v->pid, VSOCKD_STOP_MS);
			}
		}
		v->pid = 0;
	}
	if (v->dir[0]) {
		/* The daemon removes its sockets; these are for when it could not. */
		unlink(v->backend);
		if (v->uds[0])
			unlink(v->uds);
		rmdir(v->dir);
		v->dir[0] = '\0';
	}
}
