/* SPDX-License-Identifier: MIT */
/*
 * An image the integration tests steer with kernel parameters:
 *   exit=N   return N from main
 *   spin     never exit (for timeouts and Ctrl-C)
 *   echo     read one line from the console and print it back as "echo: <line>"
 *   args     print main's arguments, one per line
 *   thread_fault=null|stack   fault inside a second thread
 *   thread_cpu=N              ... created on CPU N (default 0)
 */
#include <toro/toro.h>

static int to_int(const char *s)
{
	int neg = *s == '-', v = 0;

	for (s += neg; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

static volatile int depth_limit = 1 << 30;

__attribute__((noinline)) static int thread_recurse(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	if (depth >= depth_limit)
		return 0;
	return thread_recurse(depth + 1) + pad[0];
}

static int faulting_thread(void *arg)
{
	if (arg)
		return thread_recurse(0);
	return *(volatile int *)0;
}

int main(int argc, char **argv)
{
	const char *v;

	if (toro_param("args"))
		for (int i = 0; i < argc; i++)
			printf("argv[%d]=%s\n", i, argv[i]);
	if (toro_param("echo")) {
		char line[128];
		size_t n = 0;
		int c;

		printf("ready\n");
		while ((c = toro_getc()) != '\n' && n < sizeof(line) - 1)
			line[n++] = (char)c;
		line[n] = '\0';
		printf("echo: %s\n", line);
	}
	if (toro_param("spin")) {
		printf("spinning\n");
		for (;;)
			__asm__ volatile("pause");
	}
	v = toro_param("thread_fault");
	if (v) {
		const char *c = toro_param("thread_cpu");
		int id = toro_thread_create(faulting_thread,
					    (void *)(uintptr_t)!strcmp(v, "stack"),
					    c ? to_int(c) : 0, 0);

		printf("created thread %d\n", id);
		toro_thread_join(id, NULL);
	}
	v = toro_param("exit");
	return v ? to_int(v) : 0;
}
