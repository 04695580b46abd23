/* SPDX-License-Identifier: MIT */
/*
 * Scheduler and mailbox micro-benchmarks, run inside the guest by `make bench`
 * (with --cpus 2). Each figure is the median of several batches, measured with the
 * TSC clock, and printed as `bench: NAME VALUE ns`.
 */
#include <toro/toro.h>

#define BATCHES 7

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static volatile int stop;

static int yielder(void *arg)
{
	(void)arg;
	while (!stop)
		toro_yield();
	return 0;
}

/* Two threads yielding to each other: each yield is one switch. */
static uint64_t context_switch(void)
{
	uint64_t b[BATCHES];
	const int n = 20000;

	stop = 0;
	int id = toro_thread_create(yielder, NULL, 0, 0);

	for (int k = 0; k < BATCHES; k++) {
		uint64_t t0 = toro_now_ns();

		for (int i = 0; i < n; i++)
			toro_yield();
		/* Every yield of ours is two switches: to the yielder and back. */
		b[k] = (toro_now_ns() - t0) / (2 * (uint64_t)n);
	}
	stop = 1;
	toro_thread_join(id, NULL);
	return median(b, BATCHES);
}

static int nothing(void *arg)
{
	return (int)(uintptr_t)arg;
}

static uint64_t create_join(int cpu)
{
	uint64_t b[BATCHES];
	const int n = 500;

	for (int k = 0; k < BATCHES; k++) {
		uint64_t t0 = toro_now_ns();

		for (int i = 0; i < n; i++)
			toro_thread_join(toro_thread_create(nothing, NULL, cpu, 0), NULL);
		b[k] = (toro_now_ns() - t0) / n;
	}
	return median(b, BATCHES);
}

static int echo(void *arg)
{
	char m[8];
	int from;

	(void)arg;
	for (;;) {
		if (toro_mbox_recv(&from, m, sizeof(m), -1) == 4 && !memcmp(m, "quit", 4))
			return 0;
		while (toro_mbox_send(from, m, 4) == -EAGAIN)
			toro_yield();
	}
}

static uint64_t mailbox_round_trip(void)
{
	uint64_t b[BATCHES];
	const int n = 500;
	int id = toro_thread_create(echo, NULL, 1, 0);
	char m[8];

	for (int k = 0; k < BATCHES; k++) {
		uint64_t t0 = toro_now_ns();

		for (int i = 0; i < n; i++) {
			toro_mbox_send(1, "ping", 4);
			toro_mbox_recv(NULL, m, sizeof(m), -1);
		}
		b[k] = (toro_now_ns() - t0) / n;
	}
	toro_mbox_send(1, "quit", 4);
	toro_thread_join(id, NULL);
	return median(b, BATCHES);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (toro_ncpus() < 2) {
		printf("bench: needs --cpus 2\n");
		return 1;
	}
	printf("bench: context_switch %llu ns\n", (unsigned long long)context_switch());
	printf("bench: create_join_local %llu ns\n", (unsigned long long)create_join(0));
	printf("bench: create_join_remote %llu ns\n", (unsigned long long)create_join(1));
	printf("bench: mailbox_round_trip %llu ns\n",
	       (unsigned long long)mailbox_round_trip());
	return 0;
}
