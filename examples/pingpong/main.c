/* SPDX-License-Identifier: MIT */
/*
 * One thread per CPU; CPU 0 sends "ping" to each in turn through the mailboxes,
 * each answers "pong", and CPU 0 prints the round-trip times.
 *
 *	build/toro run build/examples/pingpong.elf --cpus 4 [-- rounds=N]
 */
#include <toro/toro.h>

static int responder(void *arg)
{
	char m[8];
	int from;

	(void)arg;
	for (;;) {
		long n = toro_mbox_recv(&from, m, sizeof(m), -1);

		if (n == 4 && !memcmp(m, "quit", 4))
			return 0;
		while (toro_mbox_send(from, "pong", 4) == -EAGAIN)
			toro_yield();
	}
}

static void sort(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

int main(int argc, char **argv)
{
	const char *r = toro_param("rounds");
	int rounds = 1000, n = toro_ncpus(), ids[64];
	static uint64_t rtt[10000];

	(void)argc;
	(void)argv;
	if (r) {
		rounds = 0;
		while (*r >= '0' && *r <= '9')
			rounds = rounds * 10 + (*r++ - '0');
	}
	if (rounds < 1 || rounds > 10000) {
		printf("pingpong: rounds must be 1..10000\n");
		return 2;
	}
	if (n < 2) {
		printf("pingpong: only one CPU; run with --cpus 2 or more\n");
		return 0;
	}
	for (int cpu = 1; cpu < n; cpu++)
		ids[cpu] = toro_thread_create(responder, NULL, cpu, 0);
	for (int cpu = 1; cpu < n; cpu++) {
		for (int i = 0; i < rounds; i++) {
			char m[8];
			int from;
			uint64_t t0 = toro_now_ns();

			toro_mbox_send(cpu, "ping", 4);
			if (toro_mbox_recv(&from, m, sizeof(m), 1000000000) != 4 ||
			    from != cpu) {
				printf("pingpong: CPU %d did not answer\n", cpu);
				return 1;
			}
			rtt[i] = toro_now_ns() - t0;
		}
		sort(rtt, rounds);
		printf("CPU 0 <-> CPU %d: %d round trips, median %llu ns, min %llu ns, "
		       "max %llu ns\n",
		       cpu, rounds, (unsigned long long)rtt[rounds / 2],
		       (unsigned long long)rtt[0], (unsigned long long)rtt[rounds - 1]);
	}
	for (int cpu = 1; cpu < n; cpu++) {
		toro_mbox_send(cpu, "quit", 4);
		toro_thread_join(ids[cpu], NULL);
	}
	return 0;
}
