/* SPDX-License-Identifier: MIT */
/*
 * The guest's trace rings (kernel/trace.h). Each CPU writes only its own ring,
 * with interrupts off, so recording takes no lock; a full ring overwrites its
 * oldest records and counts them lost. The dump stops recording, waits for
 * records being written on other CPUs, and writes text lines (lib/trace.h) to
 * the trace port in page-sized pieces.
 */
#include "kernel/trace.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "drivers/virtio/console.h"
#include "kernel/kmem.h"
#include "kernel/ksyms.h"
#include "kernel/params.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "lib/fmt.h"
#include "lib/kstring.h"
#include "platform/clock.h"
#include "toro/toro.h"

#define RING_PAGES 32 /* per CPU: 4096 records of 32 bytes */
#define RING_RECS (RING_PAGES * PAGE_SIZE / sizeof(struct trace_rec))
#define TRACE_PORT_NAME "org.toro.trace"
#define NAMES_MAX 256 /* distinct threads named in one dump */

struct ring {
	struct trace_rec *rec; /* RING_RECS of them, or NULL */
	uint64_t head; /* records ever written */
	atomic_bool busy; /* a record is being written */
};

unsigned trace_mask;
static struct ring rings[PCPU_MAX];
static int port = -1; /* the trace port, once found */
static struct out *out; /* the dump's buffer */
static atomic_bool paused; /* a dump is reading the rings: records wait */
static bool started; /* header and first sync written */

static struct trace_rec *ring_alloc(void)
{
	return kmem_pages_alloc(RING_PAGES);
}

void trace_init(void)
{
	const char *s = toro_param("trace"), *bad;
	int mask;

	if (!s)
		return;
	mask = trace_parse_groups(s, &bad);
	if (mask <= 0) {
		printk("trace: unknown group in trace=%s (groups: sched irq ipi mbox virtq "
		       "sock file, or all), tracing stays off\n",
		       s);
		return;
	}
	if (!(rings[0].rec = ring_alloc()) || !(out = kmem_pages_alloc(1))) {
		printk("trace: no memory for the trace rings, tracing stays off\n");
		return;
	}
	trace_mask = (unsigned)mask;
}

void trace_init_cpus(void)
{
	for (int c = 1; trace_mask && c < toro_ncpus(); c++)
		if (!(rings[c].rec = ring_alloc()))
			printk("trace: no memory for CPU %d's ring, it records nothing\n",
			       c);
}

void trace_record(unsigned type, uint32_t a, uint64_t b, uint64_t c)
{
	bool on = irq_save();
	int cpu = pcpu_id();
	struct ring *r = &rings[cpu];

	/* busy, then paused; the dump sets paused, then looks at busy: sequentially
	 * consistent both ways, so one of the two always sees the other. */
	atomic_exchange(&r->busy, true);
	if (r->rec && !atomic_load(&paused)) {
		struct trace_rec *e = &r->rec[r->head % RING_RECS];

		e->tsc = rdtsc();
		e->type = (uint16_t)type;
		e->cpu = (uint16_t)cpu;
		e->a = a;
		e->b = b;
		e->c = c;
		r->head++;
	}
	atomic_store_explicit(&r->busy, false, memory_order_release);
	irq_restore(on);
}

/* ---- the dump ----------------------------------------------------------------- */

/* The dump's output buffer and the threads it named: a page, while tracing. */
struct out {
	size_t used;
	bool failed;
	int nseen;
	uint32_t seen[NAMES_MAX];
	char buf[PAGE_SIZE - NAMES_MAX * sizeof(uint32_t) - 16];
};
_Static_assert(sizeof(struct out) <= PAGE_SIZE, "the dump's buffer is a page");

static void out_flush(struct out *o)
{
	if (o->used && !o->failed &&
	    vcon_port_write(port, o->buf, o->used) != (long)o->used)
		o->failed = true;
	o->used = 0;
}

static void out_line(struct out *o, const char *s, size_t n)
{
	if (o->used + n > sizeof(o->buf))
		out_flush(o);
	memcpy(o->buf + o->used, s, n);
	o->used += n;
}

/* A sync line in a write of its own: QEMU logs that write with its wall time. */
static void sync_line(struct out *o)
{
	char line[40];
	int n;

	out_flush(o);
	n = fmt_snprintf(line, sizeof(line), "sync %llu\n", (unsigned long long)rdtsc());
	out_line(o, line, (size_t)n);
	out_flush(o);
}

static bool find_port(void)
{
	if (port < 0)
		port = vcon_port_find(TRACE_PORT_NAME);
	return port >= 0;
}

static void header(struct out *o)
{
	char line[80];
	int n = fmt_snprintf(line, sizeof(line), "toro-trace %d cpus=%d tsc_khz=%llu\n",
			     TRACE_VERSION, toro_ncpus(),
			     (unsigned long long)(clock_tsc_hz() / 1000));

	out_line(o, line, (size_t)n);
	started = true;
}

/* Dumps when the host asks ('d' on the port: toro does before it stops the VM). */
static int trace_listener(void *arg)
{
	char c;

	(void)arg;
	while (vcon_port_read(port, &c, 1) >= 0)
		if (c == 'd')
			trace_dump();
	return 0;
}

void trace_start(void)
{
	int id;

	if (!trace_mask || !find_port())
		return;
	header(out);
	sync_line(out);
	id = toro_thread_create(trace_listener, NULL, vcon_cpu(), 0);
	if (id < 0)
		printk("trace: cannot start the dump listener (%d): dumps at exit only\n",
		       id);
	else
		toro_thread_detach(id);
}

/*
 * Names each thread a switch record mentions, once: main, a CPU's idle thread
 * (numbered after every other, as gdb does), or its function. A thread switched
 * away from before any switch to it (main, idle) is named from its number.
 */
static void name_thread(struct out *o, uint32_t tid, unsigned cpu, uintptr_t entry)
{
	char line[80];
	const char *name = NULL;
	uintptr_t off;
	size_t size;
	int i, n;

	if (tid == 1)
		name = "main";
	else if (tid >= SCHED_THREADS_MAX + 2)
		name = "idle";
	else if (entry)
		name = ksyms_lookup(entry, &off, &size);
	if (!name)
		return; /* named when a switch to it comes */
	for (i = 0; i < o->nseen; i++)
		if (o->seen[i] == tid)
			return;
	if (o->nseen == NAMES_MAX)
		return;
	o->seen[o->nseen++] = tid;
	n = fmt_snprintf(line, sizeof(line), "thread %u %u ", (unsigned)tid, cpu);
	size = strnlen(name, TRACE_NAME_MAX);
	memcpy(line + n, name, size);
	line[n + size] = '\n';
	out_line(o, line, (size_t)n + size + 1);
}

void trace_dump(void)
{
	static atomic_flag busy = ATOMIC_FLAG_INIT;
	struct out *o = out;
	uint64_t total = 0, lost = 0;
	char line[96];

	if (!trace_mask || !find_port())
		return;
	while (atomic_flag_test_and_set(&busy)) /* one dump at a time */
		toro_yield();
	atomic_store(&paused, true); /* the dump's own kicks are not recorded either */
	for (int c = 0; c < toro_ncpus(); c++)
		while (atomic_load(&rings[c].busy))
			cpu_relax();
	o->nseen = 0;
	if (!started)
		header(o);
	sync_line(o);
	for (int c = 0; c < toro_ncpus(); c++) {
		struct ring *r = &rings[c];
		uint64_t first = r->head > RING_RECS ? r->head - RING_RECS : 0;

		if (!r->rec)
			continue;
		lost += first;
		for (uint64_t i = first; i < r->head; i++) {
			const struct trace_rec *e = &r->rec[i % RING_RECS];
			size_t n = trace_format_rec(line, sizeof(line), e);

			if (e->type == TRACE_SWITCH) {
				name_thread(o, e->a, e->cpu, 0);
				name_thread(o, (uint32_t)e->b, e->cpu, (uintptr_t)e->c);
			}
			out_line(o, line, n);
			total++;
		}
		r->head = 0;
	}
	int n = fmt_snprintf(line, sizeof(line), "end %llu %llu\n",
			     (unsigned long long)total, (unsigned long long)lost);

	out_line(o, line, (size_t)n);
	out_flush(o);
	if (o->failed)
		printk("trace: the trace port failed, the dump is incomplete\n");
	o->failed = false;
	atomic_store(&paused, false);
	atomic_flag_clear(&busy);
}

void toro_trace_dump(void)
{
	trace_dump();
}
