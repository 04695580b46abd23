/* SPDX-License-Identifier: MIT */
/* malloc and friends in the guest, on CPU 0's heap. */
#include <toro/ktest.h>
#include <toro/toro.h>

KTEST(heap, sizes_alignment_and_contents)
{
	static void *blocks[300];
	int n = 0;

	for (size_t size = 1; size <= 9000; size = size * 3 / 2 + 1) {
		unsigned char *p = malloc(size);

		KEXPECT_NOT_NULL(p);
		if (!p)
			return;
		KEXPECT_EQ((uintptr_t)p % 16, 0);
		memset(p, (int)(size & 0xff), size);
		blocks[n++] = p;
	}
	n = 0;
	for (size_t size = 1; size <= 9000; size = size * 3 / 2 + 1) {
		unsigned char *p = blocks[n++];

		for (size_t i = 0; i < size; i++)
			if (p[i] != (unsigned char)(size & 0xff)) {
				KEXPECT_EQ(p[i], size & 0xff);
				break;
			}
		free(p);
	}
}

KTEST(heap, calloc_zeroes_and_checks_overflow)
{
	unsigned char *p = malloc(256);

	memset(p, 0xaa, 256);
	free(p);
	p = calloc(16, 16);
	KEXPECT_NOT_NULL(p);
	for (int i = 0; i < 256; i++)
		KEXPECT_EQ(p[i], 0);
	free(p);
	KEXPECT_NULL(calloc((size_t)1 << 33, (size_t)1 << 33));
}

KTEST(heap, realloc_keeps_contents)
{
	char *p = malloc(10);

	memcpy(p, "toro-heap", 10);
	p = realloc(p, 5000);
	KEXPECT_NOT_NULL(p);
	KEXPECT_STREQ(p, "toro-heap");
	p = realloc(p, 100);
	KEXPECT_STREQ(p, "toro-heap");
	KEXPECT_NULL(realloc(p, 0));
	p = realloc(NULL, 32);
	KEXPECT_NOT_NULL(p);
	free(p);
}

KTEST(heap, free_null_is_noop)
{
	struct toro_memstats a, b;

	toro_memstats(&a);
	free(NULL);
	toro_memstats(&b);
	KEXPECT_EQ(a.heap_blocks, b.heap_blocks);
}

KTEST(heap, counters_track_blocks)
{
	struct toro_memstats a, b, c;

	toro_memstats(&a);
	void *p = malloc(100), *q = malloc(3000);

	toro_memstats(&b);
	KEXPECT_EQ(b.heap_blocks, a.heap_blocks + 2);
	KEXPECT_GE(b.heap_bytes, a.heap_bytes + 3100);
	free(p);
	free(q);
	toro_memstats(&c);
	KEXPECT_EQ(c.heap_blocks, a.heap_blocks);
	KEXPECT_EQ(c.heap_bytes, a.heap_bytes);
	KEXPECT_EQ(c.pages_used, a.pages_used);
}

/* Fills RAM with 1 KiB blocks until malloc says no, then frees them all. */
KTEST(heap, exhaustion_returns_null_and_recovers)
{
	struct toro_memstats a, b;
	void **head = NULL;
	size_t n = 0;

	toro_memstats(&a);
	for (;;) {
		void **p = malloc(1024);

		if (!p)
			break;
		*p = head;
		head = p;
		n++;
	}
	/* At least 3 blocks per page for most of the free pages. */
	KEXPECT_GT(n, (a.pages_total - a.pages_used) * 2);
	KEXPECT_NULL(malloc(16 << 20));
	while (head) {
		void **next = *head;

		free(head);
		head = next;
	}
	toro_memstats(&b);
	KEXPECT_EQ(b.heap_blocks, a.heap_blocks);
	KEXPECT_EQ(b.pages_used, a.pages_used);
	void *p = malloc(1 << 20);

	KEXPECT_NOT_NULL(p);
	free(p);
}

KTEST(heap, huge_request_fails)
{
	KEXPECT_NULL(malloc((size_t)-1));
	KEXPECT_NULL(malloc((size_t)1 << 50));
}
