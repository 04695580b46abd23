/* SPDX-License-Identifier: MIT */
/*
 * Runs one VM under QEMU and waits for it, for `toro run` and `toro test`. The
 * exit status convention is in lib/runopts.h.
 */
#ifndef HOST_RUN_H
#define HOST_RUN_H

#include <stdbool.h>

#include "lib/runopts.h"

/* How a run ended. */
enum run_outcome {
	RUN_EXITED, /* the guest gave an exit code: code */
	RUN_RESET, /* the guest reset or powered off without an exit code */
	RUN_QEMU_FAILED, /* QEMU exited with a status of its own: code */
	RUN_QEMU_SIGNALED, /* QEMU was killed by signal code (not by us) */
	RUN_TIMEOUT, /* the timeout expired and we stopped the VM */
	RUN_INTERRUPTED, /* we got signal code (SIGINT...) and stopped the VM */
	RUN_STOPPED, /* the caller's started() fd fired (gdb exited): we stopped it */
	RUN_NOEXEC, /* QEMU could not be started: errno code */
	RUN_ERROR, /* a local failure (fork, pipe, ...): errno code */
};

/* The outcome of run_vm(). */
struct run_result {
	enum run_outcome outcome; /* see above */
	int code; /* its number, as noted per outcome */
};

/* Where QEMU's console goes, and what to watch while it runs. */
struct run_io {
	int stdin_fd; /* becomes QEMU's stdin */
	int stdout_fd; /* becomes QEMU's stdout: the guest's serial console */
	int close_fd; /* closed by run_vm() once QEMU started (or failed to), or -1 */
	int watch_fd; /* polled while the VM runs (made non-blocking), or -1 */
	/*
	 * Called when watch_fd is readable, also once QEMU is gone, until it
	 * returns false (end of file or error). It must not block.
	 */
	bool (*on_data)(void *ctx, int fd);
	void *ctx; /* its argument, and started()'s */
	/*
	 * toro debug: QEMU gets a process group of its own and SIGINT is dropped,
	 * since the terminal and its Ctrl-C belong to gdb (which turns Ctrl-C into
	 * an interrupt for the stub). The caller makes stdin_fd no terminal.
	 */
	bool detach;
	/*
	 * Called once QEMU runs (NULL: not called); returns an fd (gdb's pidfd)
	 * that stops the VM with RUN_STOPPED when it turns readable, or a
	 * negative errno to stop it at once, also with RUN_STOPPED (the caller
	 * has said why). A stopped VM gets SIGKILL: QEMU had no terminal to restore.
	 */
	int (*started)(void *ctx);
};

/*
 * Helper processes of the VM (virtiofsd) that run_vm() watches while QEMU runs:
 * when one exits before QEMU, died(ctx) is called once, at that moment (well,
 * RUN_HELPER_GRACE_MS later, so that a helper leaving because QEMU is leaving is
 * not taken for a failure), and the VM goes on. died() reaps the helper. The
 * list is for the whole process, since `toro test` builds its own run_io.
 */
#define RUN_MAX_HELPERS 4
#define RUN_HELPER_GRACE_MS 100
/* Watches pidfd from now on; 0, or -ENOSPC when RUN_MAX_HELPERS are watched. */
int run_watch_helper(int pidfd, void (*died)(void *ctx), void *ctx);
/* Stops watching pidfd. */
void run_unwatch_helper(int pidfd);

/*
 * Starts QEMU with the options' command line, waits until it exits, the timeout
 * passes, or SIGINT/SIGTERM/SIGHUP arrives (then QEMU gets SIGTERM, and SIGKILL
 * after 1 s), and never returns while QEMU runs. Messages about abnormal ends go
 * to stderr. Returns the exit code `toro run` uses; *res (may be NULL) gets the
 * details.
 */
int run_vm(const struct run_opts *o, const struct run_io *io, struct run_result *res);

/* The exit code `toro run` reports for a result. */
int run_exit_code(const struct run_result *res);

/* Fills o->qemu (TORO_QEMU) and o->kvm (/dev/kvm usable) from the environment. */
void run_probe_host(struct run_opts *o);

/* Prints the QEMU command line, shell-quoted, on stdout. 0 or -errno. */
int run_print_cmdline(const struct run_opts *o);

/* Formats milliseconds as seconds for messages ("2", "0.5"). */
const char *run_fmt_seconds(unsigned long long ms, char *buf, unsigned int len);

#endif
