/* SPDX-License-Identifier: MIT */
/*
 * `toro test`. QEMU's stdout is a pipe; run_vm() calls us whenever it has data and
 * we cut it into lines, echo each line as it completes and feed it to the KTAP
 * parser. The guest is untrusted: a line longer than KTEST_LINE_MAX is echoed in
 * full but only its head reaches the parser (which never sees most of a garbage
 * line anyway).
 *
 * What fails, besides `not ok` leaves: results a plan promised that never came
 * (each one), no KTAP at all, no top-level plan, the timeout, QEMU failing, and a
 * non-zero guest exit code (or a reset) when no test failed otherwise, since then
 * it is the only sign something went wrong.
 */
#include "host/ktest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/run.h"
#include "lib/ktap.h"

/* State of one `toro test` run. */
struct ktest {
	struct ktap k; /* the parser */
	char line[KTEST_LINE_MAX]; /* the line being assembled */
	size_t len; /* bytes in line */
	bool long_line; /* line overflowed: its head went out already */
	const char *image; /* image path, names the top level in messages */
};

/* Ends the current line: echo it, and parse it unless it was too long. */
static void end_line(struct ktest *t)
{
	fwrite(t->line, 1, t->len, stdout);
	fputc('\n', stdout);
	if (!t->long_line)
		ktap_line(&t->k, t->line, t->len);
	t->len = 0;
	t->long_line = false;
}

static void take(struct ktest *t, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			end_line(t);
			continue;
		}
		if (t->len == sizeof(t->line)) {
			/* The parser gets the head; the rest is only echoed. */
			if (!t->long_line)
				ktap_line(&t->k, t->line, t->len);
			fwrite(t->line, 1, t->len, stdout);
			t->len = 0;
			t->long_line = true;
		}
		t->line[t->len++] = buf[i];
	}
	fflush(stdout);
}

/* run_io.on_data: reads what is there without blocking. */
static bool on_data(void *ctx, int fd)
{
	struct ktest *t = ctx;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	take(t, buf, (size_t)n);
	return true;
}

/* KTAP events become KTAP diagnostics in our output. */
static void on_event(void *ctx, enum ktap_event ev, const char *suite, unsigned int depth,
		     uint32_t count)
{
	struct ktest *t = ctx;
	const char *name = suite[0] ? suite : t->image;

	if (ev == KTAP_EV_MISSING)
		printf("# missing %u results of %s\n", (unsigned int)count, name);
	else if (ev == KTAP_EV_TOO_DEEP)
		printf("# KTAP nested deeper than %u levels: ignoring those lines\n",
		       depth);
}

/* One failure the KTAP did not show; a diagnostic says why. */
static void __attribute__((format(printf, 2, 3)))
fail(uint32_t *failed, const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (*failed < UINT32_MAX)
		(*failed)++;
}

int ktest_run(const struct run_opts *o)
{
	static struct ktest t;
	struct run_result r;
	struct run_io io;
	int p[2], null_fd, code;
	uint32_t failed;
	char secs[32];

	memset(&t, 0, sizeof(t));
	t.image = o->image;
	ktap_init(&t.k, on_event, &t);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		perror("toro: cannot set up the console pipe");
		return 1;
	}
	io = (struct run_io){ .stdin_fd = null_fd,
			      .stdout_fd = p[1],
			      .close_fd = p[1],
			      .watch_fd = p[0],
			      .on_data = on_data,
			      .ctx = &t };
	code = run_vm(o, &io, &r);
	close(p[0]);
	close(null_fd);
	if (t.len > 0 || t.long_line)
		end_line(&t);
	ktap_finish(&t.k);

	failed = t.k.failed;
	switch (r.outcome) {
	case RUN_EXITED:
	case RUN_RESET:
		if (!t.k.saw_version)
			fail(&failed, "no KTAP output");
		else if (!t.k.saw_plan)
			fail(&failed, "no KTAP test plan");
		/* Only the exit code can tell that something went wrong. */
		if (failed == 0 && r.outcome == RUN_RESET)
			fail(&failed, "image stopped without an exit code");
		else if (failed == 0 && r.code != 0)
			fail(&failed, "image exited with code %d", r.code);
		break;
	case RUN_TIMEOUT:
		fail(&failed, "timeout after %s s",
		     run_fmt_seconds(o->timeout_ms, secs, sizeof(secs)));
		break;
	case RUN_INTERRUPTED:
		fail(&failed, "interrupted by signal %d", r.code);
		break;
	case RUN_QEMU_FAILED:
		fail(&failed, "qemu failed (exit status %d)", r.code);
		break;
	case RUN_QEMU_SIGNALED:
		fail(&failed, "qemu was killed by signal %d", r.code);
		break;
	case RUN_NOEXEC:
	case RUN_ERROR:
		fail(&failed, "could not start qemu");
		break;
	case RUN_STOPPED: /* not reached: only toro debug has a started() */
		fail(&failed, "the VM was stopped");
		break;
	}

	printf("%u passed, %u failed", (unsigned int)t.k.passed, (unsigned int)failed);
	if (t.k.skipped)
		printf(", %u skipped", (unsigned int)t.k.skipped);
	printf("\n");
	fflush(stdout);
	if (r.outcome == RUN_INTERRUPTED)
		return code;
	return failed ? 1 : 0;
}
