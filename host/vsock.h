/* SPDX-License-Identifier: MIT */
/* toro-vsockd alongside a VM: `toro run --vsock PATH` and `--publish`. */
#ifndef HOST_VSOCK_H
#define HOST_VSOCK_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/runopts.h"

struct vsockd {
	pid_t pid; /* the daemon, or 0 */
	char dir[64]; /* our temporary directory, or "" */
	char backend[96]; /* the vhost-user socket in it */
	char uds[PATH_MAX]; /* the hybrid socket, when --vsock was not given */
};

/*
 * When o asks for vsock, starts toro-vsockd (next to the toro binary, or
 * TORO_VSOCKD), waits until its sockets exist, and points o->vsock_backend at it.
 * 0, or -1 after printing why. With o->dry_run, only names the socket.
 */
int vsockd_start(struct run_opts *o, struct vsockd *v);

/* Stops the daemon (it normally exits with QEMU) and removes what we created. */
void vsockd_stop(struct vsockd *v);

#endif
