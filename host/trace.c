/* SPDX-License-Identifier: MIT */
/*
 * `toro trace FILE`: reads what `toro run --trace` wrote, QEMU's event log FILE
 * and the kernel's dump FILE.guest (lib/trace.h has both formats), prints a
 * summary and writes Chrome trace JSON (FILE.json, or --json OUT) that
 * Perfetto's UI and chrome://tracing open.
 *
 * One time base: each `sync` line of the dump starts a write of its own to the
 * trace port, and QEMU logs that write (virtio_console_flush_buf, with its
 * length) with its wall time. Adding up the lengths of those writes gives the
 * dump offset each one starts at; a sync line at that offset pairs its TSC
 * with that time. Two pairs or more fix the TSC rate too (first and last);
 * with one, the rate is the kernel's (tsc_khz in the header).
 */
#include "host/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/runopts.h"
#include "lib/trace.h"

#define BAD_SHOWN 5 /* bad lines quoted per file; the rest are counted */
#define CPUS_MAX 256 /* guest CPUs a dump may have (toro runs at most 64) */
#define NAMES_MAX 1024 /* distinct QEMU event names counted one by one */
#define DEVICES_MAX 64 /* devices whose round trips are told apart */

struct qev {
	uint64_t us;
	uint32_t tid;
	char *event, *args;
};

struct gsync {
	uint64_t tsc, offset; /* the sync line's TSC and where the line starts */
};

struct gthread {
	uint32_t tid;
	char name[TRACE_NAME_MAX + 1];
};

struct trace_data {
	struct qev *q;
	size_t nq, capq;
	struct trace_rec *g;
	size_t ng, capg;
	struct gsync *sync;
	size_t nsync, capsync;
	struct gthread *threads;
	size_t nthreads, capthreads;
	uint32_t cpus, tsc_khz;
	uint64_t lost, bad_q, bad_g;
	bool have_guest;
	/* The time base: wall microseconds = us0 + (tsc - tsc0) * per_tsc. */
	bool based;
	int npairs;
	uint64_t us0, tsc0;
	double per_tsc;
};

/* Grows *arr (of *cap elements of size sz) to hold one more; false if no memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 256;
	void *p = realloc(*arr, c * sz);

	if (!p)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void bad_line(const char *file, unsigned long line, const char *why,
		     uint64_t *count)
{
	if (++*count <= BAD_SHOWN)
		fprintf(stderr, "toro trace: %s:%lu: %s, skipped\n", file, line, why);
}

/*
 * Reads FILE line by line: each line (its newline cut) goes to fn with its
 * number and the offset it starts at. A missing FILE is an error unless
 * optional (then 1). 0, or -1 when the file cannot be read or fn ran out of
 * memory (fn returns -1; this says so).
 */
static int read_lines(struct trace_data *d, const char *file, bool optional,
		      int (*fn)(struct trace_data *d, const char *file, unsigned long no,
				char *line, size_t len, uint64_t at))
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long no = 0;
	uint64_t at = 0;
	int r = 0;

	if (!f) {
		if (optional && errno == ENOENT)
			return 1;
		fprintf(stderr, "toro trace: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;

		if (len && line[len - 1] == '\n')
			len--;
		r = fn(d, file, ++no, line, len, at);
		at += (uint64_t)n;
	}
	if (r)
		fprintf(stderr, "toro trace: out of memory reading %s\n", file);
	free(line);
	fclose(f);
	return r;
}

static int qemu_line(struct trace_data *d, const char *file, unsigned long no, char *line,
		     size_t len, uint64_t at)
{
	struct trace_qemu_line q;
	struct qev *e;

	(void)at;
	/* QEMU's own messages share the log: only trace lines count. */
	if (trace_parse_qemu(line, len, &q)) {
		if (len && memchr(line, '@', len) && line[0] >= '0' && line[0] <= '9')
			bad_line(file, no, "not a trace line", &d->bad_q);
		return 0;
	}
	if (!grow((void **)&d->q, &d->capq, d->nq, sizeof(*d->q)))
		return -1;
	e = &d->q[d->nq];
	e->us = q.us;
	e->tid = q.tid;
	e->event = dup_n(q.event, q.event_len);
	e->args = dup_n(q.args, q.args_len);
	if (!e->event || !e->args) {
		free(e->event);
		free(e->args);
		return -1;
	}
	d->nq++;
	return 0;
}

static int guest_line(struct trace_data *d, const char *file, unsigned long no,
		      char *line, size_t len, uint64_t at)
{
	struct trace_line l;
	const char *why;

	if (trace_parse_line(line, len, &l, &why)) {
		bad_line(file, no, why, &d->bad_g);
		return 0;
	}
	if ((l.kind == TRACE_LINE_HEADER && l.cpus > CPUS_MAX) ||
	    (l.kind == TRACE_LINE_EV && l.rec.cpu >= CPUS_MAX)) {
		bad_line(file, no, "a CPU beyond the 256 a dump may have", &d->bad_g);
		return 0;
	}
	switch (l.kind) {
	case TRACE_LINE_HEADER:
		d->cpus = l.cpus;
		d->tsc_khz = l.tsc_khz;
		break;
	case TRACE_LINE_SYNC:
		if (!grow((void **)&d->sync, &d->capsync, d->nsync, sizeof(*d->sync)))
			return -1;
		d->sync[d->nsync++] = (struct gsync){ l.tsc, at };
		break;
	case TRACE_LINE_THREAD:
		if (!grow((void **)&d->threads, &d->capthreads, d->nthreads,
			  sizeof(*d->threads)))
			return -1;
		d->threads[d->nthreads].tid = l.tid;
		memcpy(d->threads[d->nthreads].name, l.name, sizeof(l.name));
		d->nthreads++;
		break;
	case TRACE_LINE_EV:
		if (!grow((void **)&d->g, &d->capg, d->ng, sizeof(*d->g)))
			return -1;
		d->g[d->ng++] = l.rec;
		break;
	case TRACE_LINE_END:
		d->lost += l.lost;
		break;
	}
	return 0;
}

/* A number in a QEMU event's arguments (see trace_qemu_arg); 0 if found. */
static int qemu_arg(const struct qev *e, const char *key, uint64_t *v)
{
	struct trace_qemu_line q = { .args = e->args, .args_len = strlen(e->args) };

	return trace_qemu_arg(&q, key, v);
}

static bool is_event(const struct qev *e, const char *name)
{
	return strcmp(e->event, name) == 0;
}

/*
 * Pairs sync lines with QEMU's log of the trace port's writes (see the top).
 * QEMU logs a write a little after the guest read its TSC (the write's own
 * path, QEMU's lock); the kick that started it (virtio_queue_notify, just
 * before, on the same QEMU thread) is nearer, and is taken when the log has
 * it. The pair with the least delay sets the offset.
 * The rate is the kernel's (tsc_khz), or from the first and last pair when
 * they are a second or more apart (jitter is then a hundredth of a percent).
 */
static void time_base(struct trace_data *d)
{
	uint64_t offset = 0;
	struct {
		uint64_t us, tsc;
	} first = { 0, 0 }, last = { 0, 0 }, pair[64];
	size_t s = 0, np = 0;
	uint64_t kick_us = 0;
	uint32_t kick_tid = 0;

	for (size_t i = 0; i < d->nq && s < d->nsync; i++) {
		uint64_t port, out;

		if (is_event(&d->q[i], "virtio_queue_notify")) {
			kick_us = d->q[i].us;
			kick_tid = d->q[i].tid;
			continue;
		}
		if (!is_event(&d->q[i], "virtio_console_flush_buf") ||
		    qemu_arg(&d->q[i], "port", &port) ||
		    port != strtoull(RUNOPTS_TRACE_PORT, NULL, 10) ||
		    qemu_arg(&d->q[i], "out_len", &out))
			continue;
		while (s < d->nsync && d->sync[s].offset < offset)
			s++; /* a sync line QEMU's log has no write for */
		if (s < d->nsync && d->sync[s].offset == offset) {
			last.us = d->q[i].us;
			if (kick_tid == d->q[i].tid && kick_us <= last.us &&
			    last.us - kick_us < 1000)
				last.us = kick_us;
			last.tsc = d->sync[s].tsc;
			if (!d->npairs)
				first = last;
			if (np < sizeof(pair) / sizeof(pair[0]))
				pair[np++] = last;
			d->npairs++;
			s++;
		}
		offset += out;
	}
	if (!d->npairs)
		return;
	if (last.us >= first.us + 1000000 && last.tsc > first.tsc)
		d->per_tsc =
			(double)(last.us - first.us) / (double)(last.tsc - first.tsc);
	else if (d->tsc_khz)
		d->per_tsc = 1000.0 / d->tsc_khz;
	else
		return;
	d->based = true;
	d->us0 = pair[0].us;
	d->tsc0 = pair[0].tsc;
	for (size_t k = 1; k < np; k++)
		if ((double)pair[k].us -
			    ((double)pair[k].tsc - (double)d->tsc0) * d->per_tsc <
		    (double)d->us0) {
			d->us0 = pair[k].us -
				 (uint64_t)(((double)pair[k].tsc - (double)d->tsc0) *
					    d->per_tsc);
		}
}

/* A guest TSC as microseconds on the trace's time line. */
static double guest_us(const struct trace_data *d, uint64_t tsc)
{
	if (d->based)
		return (double)d->us0 + ((double)tsc - (double)d->tsc0) * d->per_tsc;
	/* No common base: the guest's own clock, its first record put at QEMU's
	 * first event (or at 0), so that both at least share a scale. */
	double start = d->nq ? (double)d->q[0].us : 0;

	return start +
	       (d->tsc_khz ? ((double)tsc - (double)d->g[0].tsc) * 1000.0 / d->tsc_khz :
			     0);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct trace_rec *x = a, *y = b;

	return x->tsc < y->tsc ? -1 : x->tsc > y->tsc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *thread_name(const struct trace_data *d, uint32_t tid)
{
	for (size_t i = 0; i < d->nthreads; i++)
		if (d->threads[i].tid == tid)
			return d->threads[i].name;
	return NULL;
}

/* ---- summary ------------------------------------------------------------------ */

struct count {
	const char *name;
	uint64_t n;
};

static int cmp_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Median and maximum of v[0..n) (sorted in place), in microseconds. */
static void print_spread(double *v, size_t n)
{
	if (!n) {
		printf("no round trip");
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	printf("median %.1f us, max %.1f us (%zu)", v[n / 2], v[n - 1], n);
}

/*
 * One device's kicks and interrupts, fed in time order: the time from each
 * kick (the first since the device's last interrupt) to its next interrupt.
 */
struct round_trips {
	uint64_t kicks, irqs;
	double *v, since; /* v: one per round trip, allocated by the caller */
	size_t n;
	bool waiting;
};

static void rt_kick(struct round_trips *r, double us)
{
	r->kicks++;
	if (!r->waiting)
		r->since = us;
	r->waiting = true;
}

static void rt_irq(struct round_trips *r, double us)
{
	r->irqs++;
	if (r->waiting)
		r->v[r->n++] = us - r->since;
	r->waiting = false;
}

static void rt_print(const char *what, uint64_t id, struct round_trips *r)
{
	printf("  %s %#" PRIx64 ": %" PRIu64 " kick%s, %" PRIu64 " interrupt%s; kick to "
	       "interrupt: ",
	       what, id, r->kicks, r->kicks == 1 ? "" : "s", r->irqs,
	       r->irqs == 1 ? "" : "s");
	print_spread(r->v, r->n);
	printf("\n");
	free(r->v);
}

static void summary_qemu(const struct trace_data *d)
{
	struct count *c = calloc(d->nq + 1, sizeof(*c));
	size_t nc = 0, ntids = 0;
	uint32_t *tids = calloc(d->nq + 1, sizeof(*tids));

	if (!c || !tids) {
		free(c);
		free(tids);
		return;
	}
	for (size_t i = 0; i < d->nq; i++) {
		size_t k;

		for (k = 0; k < nc && strcmp(c[k].name, d->q[i].event); k++)
			;
		if (k == nc && nc == NAMES_MAX)
			k = NAMES_MAX - 1; /* "(other events)" counts the rest */
		else if (k == nc) {
			c[nc].name = nc == NAMES_MAX - 1 ? "(other events)" :
							   d->q[i].event;
			c[nc++].n = 0;
		}
		c[k].n++;
		for (k = 0; k < ntids && tids[k] != d->q[i].tid; k++)
			;
		if (k == ntids)
			tids[ntids++] = d->q[i].tid;
	}
	qsort(c, nc, sizeof(*c), cmp_count);
	printf("QEMU: %zu events from %zu threads", d->nq, ntids);
	if (d->nq)
		printf(" over %.3f s", (double)(d->q[d->nq - 1].us - d->q[0].us) / 1e6);
	printf("\n  %8s  event\n", "count");
	for (size_t k = 0; k < nc; k++)
		printf("  %8" PRIu64 "  %s\n", c[k].n, c[k].name);
	free(c);
	free(tids);

	/* Per device (QEMU's vdev pointer): notifies, interrupts, and the time
	 * from each notify to the device's next interrupt. */
	uint64_t vdevs[DEVICES_MAX];
	size_t nv = 0;

	for (size_t i = 0; i < d->nq; i++) {
		uint64_t v;
		size_t k;

		if (!(is_event(&d->q[i], "virtio_queue_notify") ||
		      is_event(&d->q[i], "virtio_notify")) ||
		    qemu_arg(&d->q[i], "vdev", &v))
			continue;
		for (k = 0; k < nv && vdevs[k] != v; k++)
			;
		if (k == nv && nv < sizeof(vdevs) / sizeof(vdevs[0]))
			vdevs[nv++] = v;
	}
	if (nv)
		printf("virtio devices (QEMU's vdev; kick = virtio_queue_notify, interrupt = "
		       "virtio_notify):\n");
	for (size_t k = 0; k < nv; k++) {
		struct round_trips rt = { .v = calloc(d->nq + 1, sizeof(double)) };

		if (!rt.v)
			return;
		for (size_t i = 0; i < d->nq; i++) {
			bool kick = is_event(&d->q[i], "virtio_queue_notify");
			uint64_t v;

			if ((!kick && !is_event(&d->q[i], "virtio_notify")) ||
			    qemu_arg(&d->q[i], "vdev", &v) || v != vdevs[k])
				continue;
			if (kick)
				rt_kick(&rt, (double)d->q[i].us);
			else
				rt_irq(&rt, (double)d->q[i].us);
		}
		rt_print("vdev", vdevs[k], &rt);
	}
}

static void summary_guest(const struct trace_data *d)
{
	static const char *const what[TRACE_NTYPES] = {
		"switches",	 "sleeps",	  "wakes", "interrupts",	"IPIs",
		"mailbox sends", "mailbox polls", "kicks", "device interrupts", "calls",
	};
	uint32_t ncpu = d->cpus;

	for (size_t i = 0; i < d->ng; i++)
		if (d->g[i].cpu + 1u > ncpu)
			ncpu = d->g[i].cpu + 1u;
	printf("guest: %zu records from %u CPU%s", d->ng, ncpu, ncpu == 1 ? "" : "s");
	if (d->lost)
		printf(", %" PRIu64 " lost (the rings were full: the oldest went)",
		       d->lost);
	printf("\n");
	static uint64_t n[CPUS_MAX][TRACE_NTYPES];

	memset(n, 0, sizeof(n));
	for (size_t i = 0; i < d->ng; i++)
		if (d->g[i].type < TRACE_NTYPES)
			n[d->g[i].cpu][d->g[i].type]++;
	for (uint32_t c = 0; c < ncpu; c++) {
		bool first = true;

		printf("  CPU %u:", c);
		for (int t = 0; t < TRACE_NTYPES; t++)
			if (n[c][t]) {
				printf("%s %" PRIu64 " %s", first ? "" : ",", n[c][t],
				       what[t]);
				first = false;
			}
		printf("%s\n", first ? " nothing" : "");
	}

	/* Per device (MMIO base): the guest's kicks and the time from each kick to
	 * the device's next interrupt, as the guest saw them. */
	uint64_t bases[DEVICES_MAX];
	size_t nb = 0;

	for (size_t i = 0; i < d->ng; i++) {
		size_t k;

		if (d->g[i].type != TRACE_KICK && d->g[i].type != TRACE_VQ_IRQ)
			continue;
		for (k = 0; k < nb && bases[k] != d->g[i].b; k++)
			;
		if (k == nb && nb < sizeof(bases) / sizeof(bases[0]))
			bases[nb++] = d->g[i].b;
	}
	for (size_t k = 0; k < nb; k++) {
		struct round_trips rt = { .v = calloc(d->ng + 1, sizeof(double)) };

		if (!rt.v)
			return;
		for (size_t i = 0; i < d->ng; i++) {
			const struct trace_rec *r = &d->g[i];

			if (r->b == bases[k] && r->type == TRACE_KICK)
				rt_kick(&rt, guest_us(d, r->tsc));
			else if (r->b == bases[k] && r->type == TRACE_VQ_IRQ)
				rt_irq(&rt, guest_us(d, r->tsc));
		}
		rt_print("device", bases[k], &rt);
	}

	/* Calls, by name: how many and how long. */
	for (uint32_t call = 0; call < TRACE_NCALLS; call++) {
		double *t = calloc(d->ng + 1, sizeof(*t));
		size_t nt = 0;

		if (!t)
			return;
		for (size_t i = 0; i < d->ng; i++)
			if (d->g[i].type == TRACE_CALL && d->g[i].a == call)
				t[nt++] =
					guest_us(d, d->g[i].tsc) - guest_us(d, d->g[i].b);
		if (nt) {
			printf("  toro_%s: %zu call%s, ", trace_call_name(call), nt,
			       nt == 1 ? "" : "s");
			print_spread(t, nt);
			printf("\n");
		}
		free(t);
	}
}

/* ---- Chrome trace JSON --------------------------------------------------------- */

#define PID_GUEST 1
#define PID_QEMU 2
#define TID_CALLS 1000 /* + CPU: a CPU's calls, which may overlap (blocking) */
#define TID_DEVICES 2000 /* the guest's kick-to-interrupt round trips */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

struct json {
	FILE *f;
	double base; /* microseconds subtracted from every time */
	uint64_t n; /* events written */
	uint64_t id; /* async event ids */
};

static void ev_begin(struct json *j, const char *ph, const char *name, int pid,
		     uint64_t tid, double us)
{
	fprintf(j->f, "%s\n{\"ph\":\"%s\",\"name\":", j->n ? "," : "", ph);
	json_str(j->f, name);
	fprintf(j->f, ",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":%.3f", pid, tid,
		us - j->base);
	j->n++;
}

static void meta(struct json *j, const char *what, int pid, uint64_t tid,
		 const char *name)
{
	fprintf(j->f,
		"%s\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%" PRIu64
		",\"args\":{\"name\":",
		j->n ? "," : "", what, pid, tid);
	json_str(j->f, name);
	fprintf(j->f, "}}");
	j->n++;
}

static void guest_json(struct json *j, const struct trace_data *d)
{
	uint32_t ncpu = d->cpus;
	char name[64];

	for (size_t i = 0; i < d->ng; i++)
		if (d->g[i].cpu + 1u > ncpu)
			ncpu = d->g[i].cpu + 1u;
	meta(j, "process_name", PID_GUEST, 0, "Toro guest");
	for (uint32_t c = 0; c < ncpu; c++) {
		snprintf(name, sizeof(name), "CPU %u", c);
		meta(j, "thread_name", PID_GUEST, c, name);
		snprintf(name, sizeof(name), "CPU %u calls", c);
		meta(j, "thread_name", PID_GUEST, TID_CALLS + c, name);
	}
	meta(j, "thread_name", PID_GUEST, TID_DEVICES, "virtio kick to interrupt");

	/* Each CPU's thread slices: from a switch to the CPU's next switch (the
	 * last one to the last record). */
	const struct trace_rec *prev[CPUS_MAX] = { NULL };

	for (size_t i = 0; i <= d->ng; i++) {
		const struct trace_rec *r = i < d->ng ? &d->g[i] : NULL;

		if (r && r->type != TRACE_SWITCH)
			continue;
		uint32_t lo = 0, hi = ncpu; /* the switch's CPU; at the end, all */

		if (r) {
			lo = r->cpu;
			hi = lo + 1;
		}
		for (uint32_t c = lo; c < hi; c++) {
			const struct trace_rec *p = prev[c];

			prev[c] = r;
			if (!p)
				continue;
			double t0 = guest_us(d, p->tsc);
			double t1 = guest_us(d, r ? r->tsc : d->g[d->ng - 1].tsc);
			const char *tn = thread_name(d, (uint32_t)p->b);

			if (tn)
				snprintf(name, sizeof(name), "%s (%" PRIu64 ")", tn,
					 p->b);
			else
				snprintf(name, sizeof(name), "thread %" PRIu64, p->b);
			ev_begin(j, "X", name, PID_GUEST, c, t0);
			fprintf(j->f, ",\"dur\":%.3f,\"args\":{\"thread\":%" PRIu64 "}}",
				t1 - t0, p->b);
		}
	}
	for (size_t i = 0; i < d->ng; i++) {
		const struct trace_rec *r = &d->g[i];
		double t = guest_us(d, r->tsc);

		switch (r->type) {
		case TRACE_IRQ:
			snprintf(name, sizeof(name), "irq %u", r->a);
			ev_begin(j, "X", name, PID_GUEST, r->cpu, guest_us(d, r->b));
			fprintf(j->f, ",\"dur\":%.3f}", t - guest_us(d, r->b));
			break;
		case TRACE_CALL: {
			const char *cn = trace_call_name(r->a);

			snprintf(name, sizeof(name), "toro_%s", cn ? cn : "?");
			ev_begin(j, "b", name, PID_GUEST, TID_CALLS + r->cpu,
				 guest_us(d, r->b));
			fprintf(j->f, ",\"cat\":\"call\",\"id\":%" PRIu64 "}", ++j->id);
			ev_begin(j, "e", name, PID_GUEST, TID_CALLS + r->cpu, t);
			fprintf(j->f,
				",\"cat\":\"call\",\"id\":%" PRIu64
				",\"args\":{\"result\":%" PRId64 "}}",
				j->id, (int64_t)r->c);
			break;
		}
		case TRACE_SWITCH:
			break;
		default: {
			const char *tn = trace_type_name(r->type);

			ev_begin(j, "i", tn ? tn : "?", PID_GUEST, r->cpu, t);
			fprintf(j->f,
				",\"s\":\"t\",\"args\":{\"a\":%u,\"b\":%" PRIu64
				",\"c\":%" PRIu64 "}}",
				r->a, r->b, r->c);
		}
		}
	}
	/* Each device's first kick since its last interrupt, to its next one. */
	struct {
		uint64_t base;
		const struct trace_rec *kick;
	} dev[DEVICES_MAX];
	size_t ndev = 0;

	for (size_t i = 0; i < d->ng; i++) {
		const struct trace_rec *r = &d->g[i];
		size_t k;

		if (r->type != TRACE_KICK && r->type != TRACE_VQ_IRQ)
			continue;
		for (k = 0; k < ndev && dev[k].base != r->b; k++)
			;
		if (k == ndev) {
			if (ndev == DEVICES_MAX)
				continue;
			dev[ndev].base = r->b;
			dev[ndev++].kick = NULL;
		}
		if (r->type == TRACE_KICK) {
			if (!dev[k].kick)
				dev[k].kick = r;
			continue;
		}
		if (!dev[k].kick)
			continue;
		snprintf(name, sizeof(name), "device %#" PRIx64 " queue %u", r->b,
			 dev[k].kick->a);
		ev_begin(j, "b", name, PID_GUEST, TID_DEVICES,
			 guest_us(d, dev[k].kick->tsc));
		fprintf(j->f, ",\"cat\":\"virtio\",\"id\":%" PRIu64 "}", ++j->id);
		ev_begin(j, "e", name, PID_GUEST, TID_DEVICES, guest_us(d, r->tsc));
		fprintf(j->f, ",\"cat\":\"virtio\",\"id\":%" PRIu64 "}", j->id);
		dev[k].kick = NULL;
	}
}

static int write_json(const struct trace_data *d, const char *out)
{
	FILE *f = fopen(out, "w");
	struct json j = { .f = f };
	uint32_t tids[256];
	size_t nt = 0;

	if (!f) {
		fprintf(stderr, "toro trace: %s: %s\n", out, strerror(errno));
		return -1;
	}
	/* Times from the first event of either log. */
	j.base = d->nq ? (double)d->q[0].us : 0;
	if (d->ng && (!d->nq || guest_us(d, d->g[0].tsc) < j.base))
		j.base = guest_us(d, d->g[0].tsc);
	fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time_base\":");
	json_str(f, d->based ? "guest and QEMU on QEMU's wall clock" :
			       "guest on its own TSC: no sync with QEMU's log");
	fprintf(f, "},\"traceEvents\":[");
	if (d->nq)
		meta(&j, "process_name", PID_QEMU, 0, "QEMU");
	for (size_t i = 0; i < d->nq; i++) {
		size_t k;

		for (k = 0; k < nt && tids[k] != d->q[i].tid; k++)
			;
		if (k == nt && nt < sizeof(tids) / sizeof(tids[0])) {
			char name[32];

			tids[nt++] = d->q[i].tid;
			snprintf(name, sizeof(name), "thread %u", d->q[i].tid);
			meta(&j, "thread_name", PID_QEMU, d->q[i].tid, name);
		}
		ev_begin(&j, "i", d->q[i].event, PID_QEMU, d->q[i].tid,
			 (double)d->q[i].us);
		fprintf(f, ",\"s\":\"t\",\"args\":{\"args\":");
		json_str(f, d->q[i].args);
		fprintf(f, "}}");
	}
	if (d->ng)
		guest_json(&j, d);
	fprintf(f, "\n]}\n");
	if (fclose(f)) {
		fprintf(stderr, "toro trace: %s: %s\n", out, strerror(errno));
		return -1;
	}
	printf("wrote %s: %" PRIu64 " events\n", out, j.n);
	return 0;
}

int trace_main(int argc, char *const argv[])
{
	const char *file = NULL, *json = NULL;
	struct trace_data d = { 0 };
	char *guest = NULL, *jbuf = NULL;
	int r = 1, rg;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(TRACE_USAGE, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (argv[i][0] != '-' && !file) {
			file = argv[i];
		} else {
			fprintf(stderr, "toro trace: unexpected '%s'\n%s", argv[i],
				TRACE_USAGE);
			return 2;
		}
	}
	if (!file) {
		fputs(TRACE_USAGE, stderr);
		return 2;
	}
	if (asprintf(&guest, "%s.guest", file) < 0 ||
	    (!json && asprintf(&jbuf, "%s.json", file) < 0)) {
		fprintf(stderr, "toro trace: out of memory\n");
		return 1;
	}
	if (!json)
		json = jbuf;
	if (read_lines(&d, file, false, qemu_line) < 0 ||
	    (rg = read_lines(&d, guest, true, guest_line)) < 0)
		goto out;
	d.have_guest = rg == 0; /* 1: there is none, QEMU's events only */
	qsort(d.g, d.ng, sizeof(*d.g), cmp_rec);
	time_base(&d);
	printf("trace %s", file);
	if (d.have_guest)
		printf(" and %s", guest);
	printf("\n");
	if (d.bad_q || d.bad_g)
		printf("skipped: %" PRIu64 " bad lines in %s, %" PRIu64 " in %s\n",
		       d.bad_q, file, d.bad_g, guest);
	summary_qemu(&d);
	if (d.have_guest) {
		summary_guest(&d);
		if (d.based)
			printf("time base: %d sync%s with QEMU's log; guest TSC at %.3f MHz\n",
			       d.npairs, d.npairs == 1 ? "" : "s", 1.0 / d.per_tsc);
		else
			printf("time base: none (QEMU's log has no write of the dump's sync "
			       "lines: was virtio_console_flush_buf traced?); guest times are "
			       "its own\n");
	}
	r = write_json(&d, json) ? 1 : 0;
out:
	for (size_t i = 0; i < d.nq; i++) {
		free(d.q[i].event);
		free(d.q[i].args);
	}
	free(d.q);
	free(d.g);
	free(d.sync);
	free(d.threads);
	free(guest);
	free(jbuf);
	return r;
}
