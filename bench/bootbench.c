/*
 * bootbench: how long a Toro image takes to boot, against the cheapest guest
 * QEMU can boot.
 *
 * What is measured:
 * - Wall time of the whole `toro run` process (fork, exec, QEMU start, guest
 *   boot, guest exit, teardown, wait), for a real image and for the floor
 *   (bench/floor.S, a PVH stub that prints one line and exits). The floor is
 *   what QEMU costs on its own; the ratio image/floor is Toro's share.
 * - Inside the guest, the image run with the `bootstats` kernel argument
 *   prints `boot-tsc: entry=N longmode=N console=N memory=N main=N`: TSC
 *   readings at each boot phase. QEMU's guest TSC ticks at the host TSC rate
 *   (TCG reads the host TSC, KVM passes it through), so the deltas from entry
 *   are converted with the host TSC frequency measured here.
 *
 * Why interleaved runs and medians: the machines this runs on are small and
 * noisy (2 shared cores, no KVM). Interleaving (floor, image, floor, ...)
 * spreads slow periods over both series instead of biasing one, and medians
 * ignore the outliers a busy neighbour produces; min and max show the spread.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define DEFAULT_RUNS 15
#define MIN_RUNS 10 /* fewer gives medians too shaky to publish */
#define MAX_RUNS 1000
#define OUTPUT_CAP (1 << 20) /* stdout kept per run; the rest is drained */

enum { PH_ENTRY, PH_LONGMODE, PH_CONSOLE, PH_MEMORY, PH_MAIN, NPHASES };
static const char *const phase_key[NPHASES] = { "entry", "longmode", "console", "memory",
						"main" };
static const char *const phase_label[NPHASES] = { "first instruction", "long mode",
						  "console ready", "memory ready",
						  "main" };

/* The child being timed, or 0; read by the signal handler. */
static volatile sig_atomic_t child_pid;
/* Number of SIGINT/SIGTERM received, and the last one. */
static volatile sig_atomic_t stop_count, stop_signal;

/* Stdout of one run. Only the first OUTPUT_CAP bytes are kept. */
struct capture {
	char buf[OUTPUT_CAP + 1]; /* len bytes, then a NUL */
	size_t len;
};

static struct capture out;
static double floor_ms[MAX_RUNS], image_ms[MAX_RUNS];
static double phase_ticks[NPHASES][MAX_RUNS]; /* TSC ticks from entry */

static void on_stop(int sig)
{
	stop_signal = sig;
	stop_count++;
	/* The child has its own process group: signal QEMU as well. The
	 * first time politely (toro cleans up), then for good. */
	if (child_pid > 0)
		kill(-child_pid, stop_count > 1 ? SIGKILL : sig);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v in place and returns its median. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Host TSC ticks per second: the median of five 20 ms windows, each timed
 * against CLOCK_MONOTONIC by spinning (a preempted window is an outlier the
 * median drops). Each clock read is bracketed by two TSC reads.
 */
static double tsc_hz(void)
{
	double hz[5];

	for (int i = 0; i < 5; i++) {
		uint64_t a = __rdtsc();
		double t0 = now_s(), t1;
		uint64_t c0 = a / 2 + __rdtsc() / 2, c1;

		do {
			a = __rdtsc();
			t1 = now_s();
			c1 = a / 2 + __rdtsc() / 2;
		} while (t1 - t0 < 0.020);
		hz[i] = (c1 - c0) / (t1 - t0);
	}
	return median(hz, 5);
}

/*
 * Runs argv with stdout captured into *out, stdin from /dev/null (QEMU must
 * not put a terminal into raw mode) and stderr passed through. Returns the
 * wait status, or -1 if the child could not be started.
 */
static int run_child(char *const argv[], struct capture *out)
{
	sigset_t block, old;
	int fds[2], status;
	pid_t pid;

	out->len = 0;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("bootbench: pipe");
		return -1;
	}
	/* Keep SIGINT out until child_pid is known, so it cannot be missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = stop_count ? -1 : fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		setpgid(0, 0);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "bootbench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0) {
		setpgid(pid, pid); /* also here: no race with kill(-pid) */
		child_pid = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	if (pid < 0) {
		if (!stop_count)
			perror("bootbench: fork");
		close(fds[0]);
		return -1;
	}
	/* Until EOF, or until a signal stops the bench (QEMU could keep the
	 * pipe open after toro is gone). */
	while (!stop_count) {
		char tmp[4096];
		ssize_t n = read(fds[0], tmp, sizeof(tmp));
		size_t keep;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		keep = OUTPUT_CAP - out->len;
		keep = (size_t)n < keep ? (size_t)n : keep;
		memcpy(out->buf + out->len, tmp, keep);
		out->len += keep;
	}
	out->buf[out->len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	return status;
}

/*
 * Finds the one boot-tsc line in out and fills tsc[]. Unknown keys are skipped
 * (a later kernel may add phases). Returns NULL or what is wrong.
 */
static const char *parse_bootstats(const struct capture *out, uint64_t tsc[NPHASES])
{
	static const char tag[] = "boot-tsc:";
	static char why[96];
	const char *line = NULL, *p, *eol, *end = out->buf + out->len;
	unsigned seen = 0;

	for (p = out->buf; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		eol = eol ? eol : end;
		if (eol - p >= (long)strlen(tag) && !memcmp(p, tag, strlen(tag))) {
			if (line)
				return "more than one boot-tsc line";
			line = p;
		}
	}
	if (!line)
		return "no boot-tsc line in its output (no bootstats support?)";
	eol = memchr(line, '\n', end - line);
	for (end = eol ? eol : end; end > line && end[-1] == '\r';)
		end--;
	for (p = line + strlen(tag); p < end;) {
		const char *key, *eq, *d;
		int i;

		while (p < end && *p == ' ')
			p++;
		for (key = p; p < end && *p != ' '; p++)
			;
		eq = memchr(key, '=', p - key);
		for (i = 0; eq && i < NPHASES; i++)
			if (!strncmp(key, phase_key[i], eq - key) &&
			    !phase_key[i][eq - key])
				break;
		if (key == p || !eq || i == NPHASES)
			continue;
		if (seen & (1u << i) || eq + 1 == p)
			goto bad;
		/* Decimal digits only, and no overflow. */
		for (tsc[i] = 0, d = eq + 1; d < p; d++) {
			if (*d < '0' || *d > '9' || tsc[i] > (UINT64_MAX - 9) / 10)
				goto bad;
			tsc[i] = tsc[i] * 10 + (*d - '0');
		}
		seen |= 1u << i;
		continue;
bad:
		snprintf(why, sizeof(why), "bad or repeated boot-tsc field %.*s",
			 (int)(p - key < 40 ? p - key : 40), key);
		return why;
	}
	for (int i = 0; i < NPHASES; i++) {
		if (!(seen & (1u << i)))
			snprintf(why, sizeof(why),
				 "boot-tsc line lacks %s=", phase_key[i]);
		else if (i && tsc[i] < tsc[i - 1])
			snprintf(why, sizeof(why), "boot-tsc %s is before %s",
				 phase_key[i], phase_key[i - 1]);
		else
			continue;
		return why;
	}
	return NULL;
}

/* Says what went wrong with run `what`, shows the end of its output, exits. */
static void fail(const char *what, const char *why)
{
	size_t from = out.len > 2048 ? out.len - 2048 : 0;

	fprintf(stderr, "bootbench: %s: %s\n", what, why);
	if (out.len)
		fprintf(stderr, "--- end of its output ---\n%s%s", out.buf + from,
			out.buf[out.len - 1] == '\n' ? "" : "\n");
	exit(1);
}

/*
 * One timed run: returns the wall time in ms and, for the image, fills tsc[].
 * Exits on any failure, naming the run.
 */
static double timed_run(char *const argv[], const char *name, const char *run,
			uint64_t *tsc)
{
	char what[256], why[64];
	double t0 = now_s(), ms;
	int st = run_child(argv, &out);
	const char *err;

	ms = (now_s() - t0) * 1e3;
	snprintf(what, sizeof(what), "%s, %s (%s run %s)", name, run, argv[0], argv[2]);
	if (stop_count) {
		fprintf(stderr, "bootbench: interrupted during %s\n", what);
		exit(128 + stop_signal);
	}
	if (st < 0)
		fail(what, "could not start");
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(st));
	else
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(st));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail(what, why);
	if (tsc && (err = parse_bootstats(&out, tsc)))
		fail(what, err);
	return ms;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bootbench --toro PATH --image IMAGE --floor FLOOR"
		" [--runs N (>= %d, default %d)] [--cpus N]\n",
		MIN_RUNS, DEFAULT_RUNS);
	exit(2);
}

/* A positive int option value, or usage(). */
static int int_arg(const char *s, int min, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage();
	return v;
}

static void print_row(const char *name, double *v, int n)
{
	double med = median(v, n); /* sorts v */

	printf("%-20s%8.1f ms%7.1f ms%7.1f ms\n", name, med, v[0], v[n - 1]);
}

/* argv of `toro run FILE [--cpus N] [-- bootstats]`; v has room for 8. */
static void toro_argv(char **v, char *toro, char *file, char *cpus, int stats)
{
	*v++ = toro;
	*v++ = "run";
	*v++ = file;
	if (cpus) {
		*v++ = "--cpus";
		*v++ = cpus;
	}
	if (stats) {
		*v++ = "--";
		*v++ = "bootstats";
	}
	*v = NULL;
}

int main(int argc, char **argv)
{
	char *toro = NULL, *image = NULL, *floor_path = NULL, *cpus = NULL, name[64],
	     label[80];
	char *floor_argv[8], *image_argv[8];
	int runs = DEFAULT_RUNS, ncpus = 1, i;
	struct sigaction sa = { .sa_handler = on_stop };
	uint64_t tsc[NPHASES];
	const char *base, *accel;
	bool tcg;
	double hz;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--toro"))
			toro = argv[i + 1];
		else if (!strcmp(argv[i], "--image"))
			image = argv[i + 1];
		else if (!strcmp(argv[i], "--floor"))
			floor_path = argv[i + 1];
		else if (!strcmp(argv[i], "--runs"))
			runs = int_arg(argv[i + 1], MIN_RUNS, MAX_RUNS);
		else if (!strcmp(argv[i], "--cpus"))
			ncpus = int_arg(cpus = argv[i + 1], 1, 1024);
		else
			usage();
	}
	if (i != argc || !toro || !image || !floor_path)
		usage();
	toro_argv(floor_argv, toro, floor_path, cpus, 0);
	toro_argv(image_argv, toro, image, cpus, 1);
	base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
	/* No SA_RESTART: a signal must interrupt the blocking read. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Warm-up: page cache, QEMU's libraries; also fails early if broken. */
	timed_run(floor_argv, "floor", "warm-up run", NULL);
	timed_run(image_argv, name, "warm-up run", tsc);
	for (i = 0; i < runs; i++) {
		char run[32];

		snprintf(run, sizeof(run), "run %d of %d", i + 1, runs);
		floor_ms[i] = timed_run(floor_argv, "floor", run, NULL);
		image_ms[i] = timed_run(image_argv, name, run, tsc);
		for (int p = 0; p < NPHASES; p++)
			phase_ticks[p][i] = (double)(tsc[p] - tsc[PH_ENTRY]);
	}
	hz = tsc_hz();
	if (hz < 1e8 || hz > 1e11) {
		fprintf(stderr, "bootbench: host TSC at %.0f Hz is implausible\n", hz);
		return 1;
	}

	/* As toro chooses: TORO_ACCEL=tcg, or no usable /dev/kvm, is TCG. */
	accel = getenv("TORO_ACCEL");
	tcg = (accel && strcmp(accel, "tcg") == 0) || access("/dev/kvm", R_OK | W_OK);
	printf("boot benchmark: %d runs each, interleaved; QEMU microvm, %s, %d CPU%s\n",
	       runs, tcg ? "TCG" : "KVM", ncpus, ncpus > 1 ? "s" : "");
	printf("%-20s%11s%10s%10s\n", "", "median", "min", "max");
	print_row("floor (PVH stub)", floor_ms, runs);
	print_row(name, image_ms, runs);
	snprintf(label, sizeof(label), "ratio %s/floor", name);
	printf("%-20s%8.2f\n", label, median(image_ms, runs) / median(floor_ms, runs));
	printf("\nguest boot phases (median over %d runs, TSC at %.3f GHz, "
	       "from the first instruction):\n",
	       runs, hz / 1e9);
	for (int p = PH_LONGMODE; p < NPHASES; p++)
		printf("  %-16s%8.0f us\n", phase_label[p],
		       median(phase_ticks[p], runs) / hz * 1e6);
	return 0;
}
