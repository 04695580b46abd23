/* SPDX-License-Identifier: MIT */
/*
 * Several CPUs: bring-up, threads created on and joined from other CPUs, memory
 * freed on a CPU that does not own it, and mailboxes. The runner boots this image
 * with each line of tests/guest/smp/args (different CPU counts, ACPI or not).
 */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "kernel/smp.h"

static int to_int(const char *s)
{
	int v = 0;

	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

KTEST(smp, every_cpu_came_up)
{
	const char *want = toro_param("expect_cpus");
	const char *src = toro_param("expect_source");

	KEXPECT_NOT_NULL(want);
	KEXPECT_EQ(toro_ncpus(), to_int(want));
	if (src)
		KEXPECT_STREQ(smp_cpu_source(), src);
}

static int where(void *arg)
{
	(void)arg;
	return toro_cpu();
}

KTEST(smp, threads_run_on_the_cpu_asked)
{
	for (int cpu = 0; cpu < toro_ncpus(); cpu++) {
		int code = -1, id = toro_thread_create(where, NULL, cpu, 0);

		KEXPECT_GT(id, 0);
		KEXPECT_EQ(toro_thread_join(id, &code), 0);
		KEXPECT_EQ(code, cpu);
	}
}

/* Frees whatever other CPUs gave back to this CPU's heap (malloc drains). */
static int drain(void *arg)
{
	(void)arg;
	free(malloc(16));
	return 0;
}

static void drain_all(void)
{
	for (int cpu = 0; cpu < toro_ncpus(); cpu++)
		toro_thread_join(toro_thread_create(drain, NULL, cpu, 0), NULL);
}

static int create_on_next(void *arg)
{
	int depth = (int)(uintptr_t)arg, code = 0;

	if (depth == 0)
		return toro_cpu();
	/* A thread on one CPU creating and joining one on another. */
	int id = toro_thread_create(create_on_next, (void *)(uintptr_t)(depth - 1),
				    (toro_cpu() + 1) % toro_ncpus(), 0);

	if (toro_thread_join(id, &code))
		return -1;
	return code;
}

KTEST(smp, remote_create_and_join_chain)
{
	int code = -1, n = toro_ncpus();
	int id = toro_thread_create(create_on_next, (void *)(uintptr_t)(2 * n), 0, 0);

	KEXPECT_EQ(toro_thread_join(id, &code), 0);
	KEXPECT_EQ(code, (2 * n) % n);
	drain_all();
}

static int sleepy(void *arg)
{
	uint64_t t0 = toro_now_ns();

	toro_sleep_ns((uint64_t)(uintptr_t)arg);
	return toro_now_ns() - t0 >= (uint64_t)(uintptr_t)arg ? 0 : 1;
}

KTEST(smp, sleep_on_every_cpu)
{
	int ids[64];

	for (int cpu = 0; cpu < toro_ncpus(); cpu++)
		ids[cpu] = toro_thread_create(
			sleepy, (void *)(uintptr_t)(2000000 + cpu * 500000), cpu, 0);
	for (int cpu = 0; cpu < toro_ncpus(); cpu++) {
		int code = -1;

		KEXPECT_EQ(toro_thread_join(ids[cpu], &code), 0);
		KEXPECT_EQ(code, 0);
	}
	drain_all();
}

KTEST(smp, many_remote_create_exit_without_growth)
{
	struct toro_memstats before, after;

	drain_all();
	toro_memstats(&before);
	for (int i = 0; i < 2000; i++) {
		int cpu = i % toro_ncpus(), code = -1;
		int id = toro_thread_create(where, NULL, cpu, 0);

		if (id <= 0 || toro_thread_join(id, &code) || code != cpu) {
			KEXPECT_EQ(code, cpu);
			return;
		}
	}
	drain_all();
	toro_memstats(&after);
	KEXPECT_EQ(after.pages_used, before.pages_used);
	KEXPECT_EQ(after.heap_blocks, before.heap_blocks);
}

#define STRESS_BLOCKS 20000

/* Allocates blocks on its CPU and mails their addresses to CPU `arg`. */
static int producer(void *arg)
{
	int to = (int)(uintptr_t)arg;

	for (int i = 0; i < STRESS_BLOCKS; i++) {
		size_t size = 16 + (size_t)(i * 37) % 2000;
		unsigned char *p = malloc(size);
		struct {
			void *p;
			size_t size;
		} m = { p, size };

		if (!p)
			return 1;
		memset(p, (int)(i & 0xff), size);
		while (toro_mbox_send(to, &m, sizeof(m)) == -EAGAIN)
			toro_yield();
	}
	return 0;
}

/* Receives the blocks, checks their contents and frees them here. */
static int consumer(void *arg)
{
	int bad = 0;

	(void)arg;
	for (int i = 0; i < STRESS_BLOCKS; i++) {
		struct {
			unsigned char *p;
			size_t size;
		} m;
		int from;

		if (toro_mbox_recv(&from, &m, sizeof(m), -1) != (long)sizeof(m))
			return 2;
		for (size_t k = 0; k < m.size; k++)
			bad |= m.p[k] != (unsigned char)(i & 0xff);
		free(m.p);
	}
	return bad;
}

KTEST(smp, cross_cpu_alloc_free_stress)
{
	struct toro_memstats before, after;
	int n = toro_ncpus(), pc = n > 1 ? 1 : 0, cc = n > 2 ? 2 : 0, code;

	drain_all();
	toro_memstats(&before);
	int c = toro_thread_create(consumer, NULL, cc, 0);
	int p = toro_thread_create(producer, (void *)(uintptr_t)cc, pc, 0);

	KEXPECT_EQ(toro_thread_join(p, &code), 0);
	KEXPECT_EQ(code, 0);
	KEXPECT_EQ(toro_thread_join(c, &code), 0);
	KEXPECT_EQ(code, 0);
	drain_all();
	toro_memstats(&after);
	KEXPECT_EQ(after.heap_blocks, before.heap_blocks);
	KEXPECT_EQ(after.heap_bytes, before.heap_bytes);
}

#define MAIL_PER_SENDER 5000

static int mail_sender(void *arg)
{
	uint32_t seq[3];

	seq[0] = (uint32_t)toro_cpu();
	for (uint32_t i = 0; i < MAIL_PER_SENDER; i++) {
		seq[1] = i;
		seq[2] = i * 2654435761u;
		/* Lengths vary: 8 or 12 bytes. */
		while (toro_mbox_send((int)(uintptr_t)arg, seq, i % 2 ? 12 : 8) ==
		       -EAGAIN)
			toro_yield();
	}
	return 0;
}

KTEST(smp, mailbox_order_and_no_loss)
{
	int n = toro_ncpus(), ids[64], senders = 0;
	uint32_t next[64] = { 0 };

	for (int cpu = 1; cpu < n; cpu++)
		ids[senders++] = toro_thread_create(mail_sender, (void *)0, cpu, 0);
	if (n == 1)
		ids[senders++] = toro_thread_create(mail_sender, (void *)0, 0, 0);
	for (int got = 0; got < senders * MAIL_PER_SENDER; got++) {
		uint32_t m[3] = { 0, 0, 0 };
		int from = -1;
		long len = toro_mbox_recv(&from, m, sizeof(m), 5000000000ll);

		if (len < 0 || from < 0 || from >= n || (uint32_t)from != m[0] ||
		    m[1] != next[from] || len != (m[1] % 2 ? 12 : 8) ||
		    (len == 12 && m[2] != m[1] * 2654435761u)) {
			KEXPECT_GE(len, 0);
			KEXPECT_EQ(m[1], next[from < 0 ? 0 : from]);
			break;
		}
		next[from]++;
	}
	for (int i = 0; i < senders; i++)
		KEXPECT_EQ(toro_thread_join(ids[i], NULL), 0);
	drain_all();
}

KTEST(smp, mailbox_timeout_and_errors)
{
	char buf[8];
	uint64_t t0 = toro_now_ns();

	KEXPECT_EQ(toro_mbox_recv(NULL, buf, sizeof(buf), 0), -EAGAIN);
	KEXPECT_EQ(toro_mbox_recv(NULL, buf, sizeof(buf), 2000000), -ETIMEDOUT);
	KEXPECT_GE(toro_now_ns() - t0, 2000000);
	KEXPECT_EQ(toro_mbox_send(toro_ncpus(), buf, 1), -EINVAL);
	KEXPECT_EQ(toro_mbox_send(0, buf, 5000), -E2BIG);
	/* Too small a buffer keeps the message for a second try. */
	KEXPECT_EQ(toro_mbox_send(toro_cpu(), "0123456789", 10), 0);
	KEXPECT_EQ(toro_mbox_recv(NULL, buf, 4, 0), -E2BIG);
	char big[16];

	KEXPECT_EQ(toro_mbox_recv(NULL, big, sizeof(big), 0), 10);
	KEXPECT_EQ(memcmp(big, "0123456789", 10), 0);
}

/* A message nobody waits for yet must not keep the receiving CPU from sleeping
 * and waking on time (its idle loop used to spin with interrupts off). */
static int sleep_then_read(void *arg)
{
	char buf[8];
	uint64_t t0 = toro_now_ns();

	(void)arg;
	toro_sleep_ns(20000000);
	if (toro_now_ns() - t0 < 20000000)
		return 1;
	/* Normally the message came during the sleep; a slow host may delay it. */
	return toro_mbox_recv(NULL, buf, sizeof(buf), 5000000000ll) == 4 ? 0 : 2;
}

KTEST(smp, unread_message_does_not_stop_timers)
{
	int cpu = toro_ncpus() - 1, code = -1;
	int id = toro_thread_create(sleep_then_read, NULL, cpu, 0);

	toro_sleep_ns(5000000);
	KEXPECT_EQ(toro_mbox_send(cpu, "ping", 4), 0);
	KEXPECT_EQ(toro_thread_join(id, &code), 0);
	KEXPECT_EQ(code, 0);
	drain_all();
}
