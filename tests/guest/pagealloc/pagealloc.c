/* SPDX-License-Identifier: MIT */
/* The physical page allocator as the kernel runs it over QEMU's RAM. */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "kernel/kmem.h"

static bool in_usable_ram(uintptr_t p, size_t npages)
{
	const struct mem_range *r;
	size_t n = kmem_ranges(&r);

	for (size_t i = 0; i < n; i++)
		if (p >= r[i].start && p + npages * 4096 <= r[i].end)
			return true;
	return false;
}

KTEST(pagealloc, alloc_write_free)
{
	struct toro_memstats before, mid;
	uint64_t *p;

	toro_memstats(&before);
	p = toro_page_alloc(3);
	KEXPECT_NOT_NULL(p);
	KEXPECT_EQ((uintptr_t)p % 4096, 0);
	KEXPECT_TRUE(in_usable_ram((uintptr_t)p, 3));
	for (int i = 0; i < 3 * 512; i++)
		p[i] = (uint64_t)i * 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 3 * 512; i++)
		KEXPECT_EQ(p[i], (uint64_t)i * 0x9e3779b97f4a7c15ull);
	toro_memstats(&mid);
	KEXPECT_EQ(mid.pages_used, before.pages_used + 3);
	toro_page_free(p, 3);
}

KTEST(pagealloc, distinct_pages)
{
	void *p[64];

	for (int i = 0; i < 64; i++) {
		p[i] = toro_page_alloc(1);
		KEXPECT_NOT_NULL(p[i]);
		for (int j = 0; j < i; j++)
			KEXPECT_NE((uintptr_t)p[i], (uintptr_t)p[j]);
	}
	for (int i = 0; i < 64; i++)
		toro_page_free(p[i], 1);
}

KTEST(pagealloc, freed_page_is_reused)
{
	void *a = toro_page_alloc(1);

	toro_page_free(a, 1);
	void *b = toro_page_alloc(1);

	/* Lowest address first: the page just freed is the first free one again. */
	KEXPECT_EQ((uintptr_t)a, (uintptr_t)b);
	toro_page_free(b, 1);
}

/* Takes every page, checks each is writable and distinct, then gives all back. */
KTEST(pagealloc, exhaustion_and_recovery)
{
	struct toro_memstats st, end;
	uintptr_t head = 0;
	size_t got = 0;

	toro_memstats(&st);
	for (;;) {
		uintptr_t *p = toro_page_alloc(1);

		if (!p)
			break;
		/* Chain the pages through their first word: no extra memory needed. */
		p[0] = head;
		p[511] = (uintptr_t)p;
		head = (uintptr_t)p;
		got++;
	}
	KEXPECT_EQ(got, st.pages_total - st.pages_used - st.pages_tables);
	KEXPECT_NULL(toro_page_alloc(1));
	while (head) {
		uintptr_t *p = (uintptr_t *)head;

		KEXPECT_EQ(p[511], head);
		head = p[0];
		toro_page_free(p, 1);
	}
	toro_memstats(&end);
	KEXPECT_EQ(end.pages_used, st.pages_used);
	void *again = toro_page_alloc(1);

	KEXPECT_NOT_NULL(again);
	toro_page_free(again, 1);
}

KTEST(pagealloc, too_large_fails_cleanly)
{
	struct toro_memstats st;

	toro_memstats(&st);
	KEXPECT_NULL(toro_page_alloc(st.pages_total + 1));
	KEXPECT_NULL(toro_page_alloc((size_t)1 << 40));
}
