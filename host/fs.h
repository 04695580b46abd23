/* SPDX-License-Identifier: MIT */
/* virtiofsd alongside a VM: `toro run --fs DIR[:TAG]`. */
#ifndef HOST_FS_H
#define HOST_FS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/runopts.h"

#define VIRTIOFSD_PATH "/usr/lib/qemu/virtiofsd" /* Debian's qemu-system-common */
#define VIRTIOFSD_START_MS 10000 /* how long it may take to create its socket */

struct virtiofsd {
	pid_t pid; /* the daemon until it is reaped, or 0 */
	int pidfd; /* readable once it exits, or -1 */
	int log_fd; /* where we read its stderr from, or -1 */
	bool run_dir_ours; /* its pid file directory did not exist before it ran */
	char dir[64]; /* our temporary directory, or "" */
	char sock[96]; /* the vhost-user socket in it */
	char log[96]; /* its stderr, in it */
	char pidfile[PATH_MAX]; /* the pid file virtiofsd writes for sock */
};

/*
 * Checks that --fs names a directory; 0, or -1 with a message in err (for a
 * usage error). Nothing to check without --fs.
 */
int virtiofsd_check(const struct run_opts *o, char *err, size_t len);

/*
 * When o has --fs, starts virtiofsd (VIRTIOFSD_PATH unless TORO_VIRTIOFSD names
 * another), waits until its socket listens, points o->fs_backend at it and has
 * run_vm() report the daemon's death. 0, or -1 after printing why (nothing said
 * if a signal interrupted it: daemon_signal()). With o->dry_run, only names the
 * socket.
 */
int virtiofsd_start(struct run_opts *o, struct virtiofsd *f);

/*
 * Stops the daemon (it normally exits with QEMU), shows what it logged, and
 * removes everything of the run: socket, log, directory and its pid file.
 */
void virtiofsd_stop(struct virtiofsd *f);

#endif
