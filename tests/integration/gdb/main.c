/* SPDX-License-Identifier: MIT */
/*
 * The image the debugger tests drive (tests/integration/gdb*.sh, bench/gdb.sh).
 * It runs the same steps every time, so a gdb script can stop at known places:
 * a worker thread on the last CPU that sleeps for ever (main yields until it
 * has started, so by the time gdb looks it sleeps in toro_sleep_ns), compute()
 * (a function to break in and step through: each line its own code, in source
 * order, so `step` and `next` go through them one by one; compute(5) = 15 +
 * answer), bump() (writes `counter`, for watchpoints), then it prints what
 * compute returned ("compute: N") and what `answer` and `counter` hold (which
 * `set var` may change).
 * Kernel parameters pick what happens after that:
 *   exit=N   exit with N (default 0)
 *   spin     spin for ever on CPU 0 (Ctrl-C while running)
 *   halt     sleep for ever (Ctrl-C while every CPU is halted)
 *   crash    dereference NULL in crash_here()
 *   ticker   print "tick N" every 100 ms for ever (the guest shows it runs on)
 */
#include <toro/toro.h>

volatile int answer = 42;
volatile long counter;
volatile unsigned long spins;
volatile int worker_started; /* set by the worker before its first sleep */
volatile int partial; /* what compute() works on, line by line */
unsigned long pattern[32];

static int to_int(const char *s)
{
	int v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

/* Through a volatile global, so that each line is its own code, in source
 * order, and no frame is built; the tests find the lines here by their text. */
__attribute__((noinline)) int compute(int x)
{
	partial = x * 3;
	partial += answer;
	return partial;
}

__attribute__((noinline)) void bump(void)
{
	counter = counter + 1;
}

__attribute__((noinline)) int crash_here(volatile int *p)
{
	return *p;
}

static int worker_loop(void *arg)
{
	(void)arg;
	worker_started = 1;
	for (;;)
		toro_sleep_ns(1000000000ull);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	(void)argc;
	(void)argv;
	for (int i = 0; i < 32; i++)
		pattern[i] = 0x0101010101010101ul * (unsigned long)i;
	if (toro_thread_create(worker_loop, NULL, toro_ncpus() - 1, 0) < 0)
		printf("gdbtest: no worker thread\n");
	else
		while (!worker_started)
			toro_yield();
	r = compute(5);
	printf("compute: %d\n", r);
	for (int i = 0; i < 3; i++)
		bump();
	printf("answer: %d counter: %ld\n", answer, counter);
	if (toro_param("spin"))
		for (;;)
			spins = spins + 1;
	if (toro_param("halt"))
		for (;;)
			toro_sleep_ns(1000000000ull);
	if (toro_param("crash"))
		return crash_here(NULL);
	if (toro_param("ticker"))
		for (unsigned long n = 0;; n++) {
			printf("tick %lu\n", n);
			toro_sleep_ns(100000000ull);
		}
	return toro_param("exit") ? to_int(toro_param("exit")) : 0;
}
