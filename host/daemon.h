/* SPDX-License-Identifier: MIT */
/*
 * Helper daemons that serve one VM (toro-vsockd, virtiofsd): where their binary
 * is, a private directory for their sockets, starting them so that they cannot
 * outlive us, and stopping them. Also the signals that arrive while they start
 * or stop, outside run_vm(): they are caught, so toro still cleans up.
 */
#ifndef HOST_DAEMON_H
#define HOST_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DAEMON_GRACE_MS 200 /* how long a daemon gets to leave by itself */
#define DAEMON_STOP_MS 2000 /* SIGTERM, then this long before SIGKILL */

/*
 * The daemon's binary: the value of the environment variable env if it is set,
 * else dflt if it is a path (holds a '/'), else dflt beside our own binary.
 */
void daemon_path(const char *env, const char *dflt, char *buf, size_t len);

/* Makes a private $TMPDIR/toro-XXXXXX (or /tmp/...); 0, or -1 after saying why. */
int daemon_tmpdir(char *dir, size_t len);

/*
 * Forks and executes path with argv. The child has no signal blocked, gets SIGTERM
 * when we die (PR_SET_PDEATHSIG), keeps keep_fd across exec, and has err_fd as its
 * stderr (either may be -1). Returns its pid, or -errno if fork or exec failed (an
 * exec failure comes back on a pipe, and the child is reaped).
 */
pid_t daemon_spawn(const char *path, const char *const argv[], int keep_fd, int err_fd);

/*
 * As daemon_spawn, for a program on our terminal (gdb): it stays in our process
 * group whatever daemon_detach said, and file is searched in PATH if it has no
 * '/'.
 */
pid_t daemon_spawn_fg(const char *file, const char *const argv[]);

/*
 * From now on daemon_spawn()'s children get a process group of their own, out
 * of reach of the terminal's Ctrl-C (toro debug: it is gdb's).
 */
void daemon_detach(void);

/* Waits up to ms for pid to exit; true once it is reaped, *status (or NULL) set. */
bool daemon_reap(pid_t pid, int ms, int *status);

/* Stops pid: DAEMON_GRACE_MS to exit by itself, then SIGTERM, then SIGKILL. */
void daemon_stop(pid_t pid);

/* A wait status as words: "exited with status 1", "was killed by signal 9 (Killed)". */
const char *daemon_describe(int status, char *buf, size_t len);

/*
 * Catches SIGINT, SIGTERM and SIGHUP from now on (run_vm() blocks and reads them
 * itself while QEMU runs); daemon_signal() tells the last one caught, or 0.
 */
void daemon_catch_signals(void);
int daemon_signal(void);

/* The signals daemon_catch_signals() catches, for ppoll() masks. */
void daemon_signal_set(sigset_t *set);

#endif
