/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping virtiofsd (the C one of QEMU 7.2) for one VM.
 *
 *   start    a private temporary directory gets the vhost-user socket fs.sock and
 *            virtiofsd.log, the daemon's stderr. We watch the directory with
 *            inotify and the daemon with a pidfd, and wait until the socket
 *            exists and listens, the daemon exits, or VIRTIOFSD_START_MS pass.
 *   running  QEMU connects as the frontend of its vhost-user-fs-device; run_vm()
 *            watches the pidfd and died() reports an exit while the VM runs (the
 *            VM goes on; the guest's requests to the device fail).
 *   stop     virtiofsd exits by itself once QEMU disconnects; otherwise SIGTERM,
 *            then SIGKILL. We remove the socket (it leaves it), its pid file
 *            (it never removes that) and our directory.
 *
 * Its options: sandbox=chroot, since the default (namespaces) needs more than
 * a container usually grants; cache=none, since the guest keeps no page cache
 * of its own, so host changes show at once and nothing is cached twice;
 * log_level=err, since it is chatty at info. Even at err it logs two lines in
 * the normal course of things; relay_log() drops those and passes the rest on,
 * when the daemon has ended (it rarely logs without ending).
 */
#include "host/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/daemon.h"
#include "host/run.h"

/*
 * virtiofsd locks its socket with a pid file here: QEMU's local state directory
 * (/var), run/virtiofsd, named after the socket path with each '/' as '.'.
 */
#define VIRTIOFSD_RUN_DIR "/var/run/virtiofsd"

#define SO_ACCEPTCON_FLAG 0x10000u /* /proc/net/unix Flags: the socket listens */

/* What virtiofsd logs at level err when nothing is wrong. */
static const char *const benign[] = {
	"Unexpected poll revents", /* QEMU disconnected: the normal end */
	"vhost socket accept: Interrupted system call", /* stopped before QEMU came */
};

int virtiofsd_check(const struct run_opts *o, char *err, size_t len)
{
	struct stat st;

	if (!o->fs_dir[0])
		return 0;
	if (stat(o->fs_dir, &st) < 0) {
		snprintf(err, len, "--fs: %s: %s", o->fs_dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "--fs: %s: not a directory", o->fs_dir);
		return -1;
	}
	return 0;
}

/* Passes on what virtiofsd logged since last time, but for the benign lines. */
static void relay_log(struct virtiofsd *f)
{
	int fd = f->log_fd >= 0 ? dup(f->log_fd) : -1; /* shares the offset */
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0;

	if (!fp) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (getline(&line, &cap, fp) > 0) {
		bool quiet = false;

		for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
			quiet |= strstr(line, benign[i]) != NULL;
		if (!quiet)
			fprintf(stderr, "virtiofsd: %s%s", line,
				line[strlen(line) - 1] == '\n' ? "" : "\n");
	}
	free(line);
	fclose(fp);
}

/* run_vm() tells us that virtiofsd exited while QEMU runs. */
static void died(void *ctx)
{
	struct virtiofsd *f = ctx;
	char how[64] = "exited";
	int st;

	if (f->pid > 0 && waitpid(f->pid, &st, WNOHANG) == f->pid) {
		f->pid = 0;
		daemon_describe(st, how, sizeof(how));
	}
	relay_log(f);
	fprintf(stderr,
		"toro: virtiofsd %s while the VM runs; the guest's file system now fails "
		"with -EIO\n",
		how);
}

/* Whether the Unix socket bound at path listens yet. */
static bool listening(const char *path)
{
	FILE *fp = fopen("/proc/net/unix", "re");
	size_t plen = strlen(path);
	bool yes = false;
	char line[512];

	/* Lines are "Num RefCount Protocol Flags Type St Inode Path". */
	if (!fp)
		return true; /* cannot tell: QEMU will, if it is not */
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strcspn(line, "\n");
		unsigned int flags;

		if (n <= plen || line[n - plen - 1] != ' ' ||
		    strncmp(line + n - plen, path, plen) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %x", &flags) == 1 &&
		    (flags & SO_ACCEPTCON_FLAG))
			yes = true;
	}
	fclose(fp);
	return yes;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Says why virtiofsd did not start, having exited with wait status st. */
static void start_failed(struct virtiofsd *f, int st)
{
	char how[64];

	relay_log(f);
	fprintf(stderr, "toro: virtiofsd did not start: it %s%s\n",
		daemon_describe(st, how, sizeof(how)),
		geteuid() != 0 ? "; it needs root (CAP_SYS_ADMIN and CAP_SYS_CHROOT)" :
				 "");
}

/*
 * The start state of the primer, on the inotify fd ino: 0 once the socket listens,
 * -1 after saying why not (or quietly, when a signal came: daemon_signal()).
 */
static int wait_ready(struct virtiofsd *f, int ino)
{
	long long deadline = now_ms() + VIRTIOFSD_START_MS;
	sigset_t block, old;
	char events[4096];
	int ret = -1, st = 0;

	/* Caught signals interrupt ppoll() only, so none is missed before it. */
	daemon_signal_set(&block);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		struct pollfd p[2] = { { .fd = ino, .events = POLLIN },
				       { .fd = f->pidfd, .events = POLLIN } };
		struct stat sb;
		bool bound = stat(f->sock, &sb) == 0 && S_ISSOCK(sb.st_mode);
		long long left = deadline - now_ms();

		if (bound && listening(f->sock)) {
			ret = 0;
			break;
		}
		if (daemon_signal())
			break;
		if (left <= 0) {
			fprintf(stderr,
				"toro: virtiofsd did not start: no socket after %d s\n",
				VIRTIOFSD_START_MS / 1000);
			break;
		}
		/* It listens right after bind(): that takes no event to look again. */
		if (bound)
			left = 1;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

		if (ppoll(p, 2, &ts, &old) < 0 && errno != EINTR) {
			fprintf(stderr, "toro: virtiofsd: poll: %s\n", strerror(errno));
			break;
		}
		if (p[1].revents) {
			while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR)
				;
			f->pid = 0;
			start_failed(f, st);
			break;
		}
		while (read(ino, events, sizeof(events)) > 0)
			; /* what was created does not matter: stat() tells */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* "source=DIR" with ',' and '\' escaped: virtiofsd splits -o values at commas. */
static void source_opt(const char *dir, char *buf, size_t len)
{
	size_t pos = snprintf(buf, len, "source=");

	for (; *dir && pos + 3 < len; dir++) {
		if (*dir == ',' || *dir == '\\')
			buf[pos++] = '\\';
		buf[pos++] = *dir;
	}
	buf[pos] = '\0';
}

int virtiofsd_start(struct run_opts *o, struct virtiofsd *f)
{
	static char source[2 * RUNOPTS_FS_DIR_MAX + 8];
	char path[PATH_MAX], sockopt[128];
	int ino = -1, wfd = -1;

	memset(f, 0, sizeof(*f));
	f->pidfd = -1;
	f->log_fd = -1;
	if (!o->fs_dir[0])
		return 0;
	if (o->dry_run) {
		o->fs_backend = "TORO_VIRTIOFSD_SOCKET";
		return 0;
	}
	if (daemon_tmpdir(f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/fs.sock", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/virtiofsd.log", f->dir);
	int n = snprintf(f->pidfile, sizeof(f->pidfile), "%s/%s.pid", VIRTIOFSD_RUN_DIR,
			 f->sock);

	for (char *c = f->pidfile + strlen(VIRTIOFSD_RUN_DIR) + 1; c < f->pidfile + n;
	     c++)
		if (*c == '/')
			*c = '.';
	/*
	 * It makes the directory if need be; we remove it again, if it is empty.
	 * (A second toro could start virtiofsd between its mkdir and creating
	 * the pid file; that window is microseconds wide.)
	 */
	f->run_dir_ours = access(VIRTIOFSD_RUN_DIR, F_OK) < 0 && errno == ENOENT;

	wfd = open(f->log, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	f->log_fd = open(f->log, O_RDONLY | O_CLOEXEC);
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (wfd < 0 || f->log_fd < 0 || ino < 0 ||
	    inotify_add_watch(ino, f->dir, IN_CREATE) < 0) {
		fprintf(stderr, "toro: cannot prepare virtiofsd's directory %s: %s\n",
			f->dir, strerror(errno));
		goto fail;
	}

	daemon_path("TORO_VIRTIOFSD", VIRTIOFSD_PATH, path, sizeof(path));
	snprintf(sockopt, sizeof(sockopt), "--socket-path=%s", f->sock);
	/* virtiofsd chroots into the source: a relative one would be looked up
	 * from its own root. */
	char *abs = realpath(o->fs_dir, NULL);

	source_opt(abs ? abs : o->fs_dir, source, sizeof(source));
	free(abs);
	const char *argv[] = { path, sockopt,	       "-o", source,
			       "-o", "sandbox=chroot", "-o", "cache=none",
			       "-o", "log_level=err",  NULL };

	f->pid = daemon_spawn(path, argv, -1, wfd);
	if (f->pid < 0) {
		fprintf(stderr,
			"toro: virtiofsd did not start: cannot run %s: %s (it comes with "
			"qemu-system-common; TORO_VIRTIOFSD names another)\n",
			path, strerror(-f->pid));
		f->pid = 0;
		goto fail;
	}
	close(wfd);
	wfd = -1;
	f->pidfd = pidfd_open(f->pid, 0);
	if (f->pidfd < 0) {
		fprintf(stderr, "toro: pidfd_open: %s\n", strerror(errno));
		goto fail;
	}
	if (wait_ready(f, ino))
		goto fail;
	close(ino);
	run_watch_helper(f->pidfd, died, f);
	o->fs_backend = f->sock;
	return 0;

fail:
	if (ino >= 0)
		close(ino);
	if (wfd >= 0)
		close(wfd);
	virtiofsd_stop(f);
	return -1;
}

void virtiofsd_stop(struct virtiofsd *f)
{
	if (f->pidfd >= 0) {
		run_unwatch_helper(f->pidfd);
		close(f->pidfd);
		f->pidfd = -1;
	}
	if (f->pid > 0) {
		daemon_stop(f->pid);
		f->pid = 0;
	}
	if (f->log_fd >= 0) {
		relay_log(f);
		close(f->log_fd);
		f->log_fd = -1;
	}
	if (f->dir[0]) {
		unlink(f->sock);
		unlink(f->log);
		rmdir(f->dir);
		unlink(f->pidfile);
		if (f->run_dir_ours)
			rmdir(VIRTIOFSD_RUN_DIR);
		f->dir[0] = '\0';
	}
}
