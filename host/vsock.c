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
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/daemon.h"

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
	if (daemon_tmpdir(v->dir, sizeof(v->dir)))
		return -1;
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
	daemon_path("TORO_VSOCKD", "toro-vsockd", path, sizeof(path));
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

	v->pid = daemon_spawn(path, argv, p[1], -1);
	if (v->pid < 0) {
		fprintf(stderr, "toro: cannot run %s: %s\n", path, strerror(-v->pid));
		v->pid = 0;
		close(p[0]);
		close(p[1]);
		vsockd_stop(v);
		return -1;
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
		daemon_stop(v->pid);
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
