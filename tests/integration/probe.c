/* SPDX-License-Identifier: MIT */
/*
 * An image the integration tests steer with kernel parameters:
 *   exit=N   return N from main
 *   spin     never exit (for timeouts and Ctrl-C)
 *   echo     read one line from the console and print it back as "echo: <line>"
 *   args     print main's arguments, one per line
 *   thread_fault=null|stack   fault inside a second thread
 *   thread_cpu=N              ... created on CPU N (default 0)
 *   dedicate=N  give the console device to CPU N first
 *   port1=WORD  wait for the host on console port 1, send WORD and a newline there,
 *               read a line back and print it as "port1: <line>"
 *   flood=N  print N lines of 63 pseudo-random characters between "flood-begin"
 *            and "flood-end" lines, then their POSIX cksum ("flood: cksum C size S")
 */
#include <toro/toro.h>

#include "drivers/virtio/console.h"

static int to_int(const char *s)
{
	int neg = *s == '-', v = 0;

	for (s += neg; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

/* POSIX cksum: CRC-32 (polynomial 0x04c11db7, MSB first) over the data and then
 * its length, complemented; what `cksum` prints on the host. */
static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	crc ^= (uint32_t)b << 24;
	for (int i = 0; i < 8; i++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

static void flood(int lines)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint32_t crc = 0, seed = 1;
	uint64_t size = 0;
	char line[64];

	printf("flood-begin\n");
	for (int i = 0; i < lines; i++) {
		for (int k = 0; k < 63; k++) {
			seed = seed * 1103515245u + 12345u;
			line[k] = chars[(seed >> 16) % (sizeof(chars) - 1)];
		}
		line[63] = '\n';
		for (int k = 0; k < 64; k++)
			crc = crc_byte(crc, (uint8_t)line[k]);
		size += 64;
		printf("%.64s", line);
	}
	printf("flood-end\n");
	for (uint64_t n = size; n; n >>= 8)
		crc = crc_byte(crc, (uint8_t)n);
	printf("flood: cksum %u size %llu\n", ~crc, (unsigned long long)size);
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

	v = toro_param("dedicate");
	if (v && toro_dedicate("console", to_int(v)))
		printf("cannot dedicate the console to CPU %s\n", v);
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
	v = toro_param("port1");
	if (v) {
		char line[128];
		size_t n = 0;

		if (vcon_port_wait_open(1) || vcon_port_write(1, v, strlen(v)) < 0 ||
		    vcon_port_write(1, "\n", 1) < 0) {
			printf("port1: unavailable\n");
			return 3;
		}
		while (n < sizeof(line) - 1 && vcon_port_read(1, line + n, 1) == 1 &&
		       line[n] != '\n')
			n++;
		line[n] = '\0';
		printf("port1: %s\n", line);
	}
	v = toro_param("flood");
	if (v)
		flood(to_int(v));
	v = toro_param("exit");
	return v ? to_int(v) : 0;
}
