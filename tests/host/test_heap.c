/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/heap.c. Two page sources back the heap: the C library's
 * aligned_alloc (lots of memory, ASan sees every page) and a lib/pagealloc arena
 * (small and finite, so exhaustion can be tested, and freed pages stay readable so
 * stale pointers can be handed back on purpose).
 */
#include "tests/host/check.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/heap.h"
#include "lib/pagealloc.h"
#include "toro/errno.h"

/* ---- page sources ---------------------------------------------------------- */

struct sysback {
	long pages; /* pages handed out and not given back */
	long calls; /* page_alloc calls */
	bool fail; /* make page_alloc return NULL */
};

static void *sys_page_alloc(void *ctx, size_t npages)
{
	struct sysback *b = ctx;
	void *p;

	b->calls++;
	if (b->fail)
		return NULL;
	p = aligned_alloc(4096, npages * 4096);
	if (p)
		b->pages += (long)npages;
	return p;
}

static void sys_page_free(void *ctx, void *p, size_t npages)
{
	struct sysback *b = ctx;

	b->pages -= (long)npages;
	free(p);
}

static void sys_heap(struct heap *h, struct sysback *b, unsigned owner)
{
	struct heap_ops ops;

	*b = (struct sysback){ 0 };
	ops = (struct heap_ops){ sys_page_alloc, sys_page_free, b };
	heap_init(h, &ops, owner);
}

struct arena {
	struct pagealloc pa; /* hands out the pages of mem */
	void *mem; /* npages pages, 4096-aligned */
	uint64_t *bitmap; /* for pa */
};

static void *arena_page_alloc(void *ctx, size_t npages)
{
	struct arena *a = ctx;

	return (void *)(uintptr_t)pagealloc_alloc(&a->pa, npages, 1);
}

static void arena_page_free(void *ctx, void *p, size_t npages)
{
	struct arena *a = ctx;

	CHECK_EQ(pagealloc_free(&a->pa, (uint64_t)(uintptr_t)p, npages), 0);
}

/* An arena of npages pages filled with garbage, and a heap over it. */
static void arena_heap(struct heap *h, struct arena *a, size_t npages, unsigned owner)
{
	struct heap_ops ops;
	uint64_t base;

	*a = (struct arena){ 0 };
	ops = (struct heap_ops){ arena_page_alloc, arena_page_free, a };
	a->mem = aligned_alloc(4096, npages * 4096);
	memset(a->mem, 0xa5, npages * 4096);
	a->bitmap = malloc(pagealloc_bitmap_bytes(npages));
	base = (uint64_t)(uintptr_t)a->mem;
	pagealloc_init(&a->pa, base, npages, a->bitmap);
	CHECK_EQ(pagealloc_add_range(&a->pa, base, base + npages * 4096), 0);
	heap_init(h, &ops, owner);
}

static void arena_done(struct arena *a)
{
	free(a->mem);
	free(a->bitmap);
}

/* ---- helpers ------------------------------------------------------------------ */

static uint8_t pat(unsigned seed, size_t i)
{
	return (uint8_t)(seed * 167u + i * 31u + (i >> 8));
}

static void fill(void *p, size_t n, unsigned seed)
{
	if (!p)
		return; /* the caller's CHECK on p has already failed */
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = pat(seed, i);
}

static bool intact(const void *p, size_t n, unsigned seed)
{
	if (!p)
		return false;
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != pat(seed, i))
			return false;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	if (!p)
		return false;
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

static void check_stats(const struct heap *h, size_t bytes, size_t blocks, size_t pages)
{
	struct heap_stats st;

	heap_stats(h, &st);
	CHECK_EQ(st.bytes_in_use, bytes);
	CHECK_EQ(st.blocks_in_use, blocks);
	CHECK_EQ(st.pages_held, pages);
}

/* The smallest class size that holds n bytes, from the public table. */
static size_t class_for(size_t n)
{
	for (unsigned i = 0; i < HEAP_NCLASSES; i++)
		if (heap_class_size(i) >= n)
			return heap_class_size(i);
	return 0;
}

struct span {
	uintptr_t lo, hi; /* [lo, hi) */
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Whether the usable extents of the n live blocks p[] are pairwise disjoint. */
static bool disjoint(void *const *p, size_t n)
{
	struct span *s = malloc((n + 1) * sizeof(*s));
	size_t k = 0;
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		if (p[i]) {
			s[k].lo = (uintptr_t)p[i];
			s[k].hi = s[k].lo + heap_usable_size(p[i]);
			k++;
		}
	qsort(s, k, sizeof(*s), span_cmp);
	for (size_t i = 1; i < k; i++)
		ok &= s[i - 1].hi <= s[i].lo;
	free(s);
	return ok;
}

/* ---- tests ---------------------------------------------------------------------- */

TEST(heap_alloc_free_round_trip)
{
	struct heap h;
	struct sysback b;
	void *p;

	sys_heap(&h, &b, 0);
	check_stats(&h, 0, 0, 0);
	p = heap_alloc(&h, 100);
	CHECK(p != NULL);
	CHECK_EQ((uintptr_t)p % 16, 0);
	CHECK_EQ(heap_usable_size(p), 112);
	fill(p, 100, 1);
	check_stats(&h, 112, 1, 1);
	CHECK_EQ(b.pages, 1);
	CHECK(intact(p, 100, 1));
	CHECK_EQ(heap_free(&h, p), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
	CHECK_EQ(heap_free(&h, NULL), 0);
}

TEST(heap_every_size_1_to_4096_distinct_and_intact)
{
	enum { N = 4096 };
	struct heap h;
	struct sysback b;
	void **p = calloc(N + 1, sizeof(*p));
	size_t bytes = 0;
	bool ok = true;

	sys_heap(&h, &b, 3);
	for (size_t n = 1; n <= N; n++) {
		p[n] = heap_alloc(&h, n);
		ok &= p[n] != NULL && (uintptr_t)p[n] % 16 == 0;
		ok &= heap_usable_size(p[n]) >= n;
		ok &= heap_block_owner(p[n]) == 3;
		/* Header at p & ~4095: a large block starts right after it. */
		if (n > HEAP_MAX_SMALL)
			ok &= (uintptr_t)p[n] % 4096 == HEAP_HDR_SIZE;
		bytes += n <= HEAP_MAX_SMALL ? class_for(n) :
					       (n + HEAP_HDR_SIZE + 4095) / 4096 * 4096;
		fill(p[n], n, (unsigned)n);
	}
	CHECK(ok);
	CHECK(disjoint((void *const *)p, N + 1));
	for (size_t n = 1; n <= N; n++)
		ok &= intact(p[n], n, (unsigned)n);
	CHECK(ok);
	check_stats(&h, bytes, N, (size_t)b.pages);
	/* Free in a scrambled order: 1777 is prime to 4096. */
	for (size_t k = 0; k < N; k++) {
		size_t n = 1 + (k * 1777) % N;

		ok &= heap_free(&h, p[n]) == 0;
	}
	CHECK(ok);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
	free(p);
}

TEST(heap_size_class_boundaries)
{
	struct heap h;
	struct sysback b;
	bool ok = true;

	sys_heap(&h, &b, 0);
	CHECK_EQ(heap_class_size(0), 16);
	CHECK_EQ(heap_class_size(HEAP_NCLASSES - 1), HEAP_MAX_SMALL);
	CHECK_EQ(heap_class_size(HEAP_NCLASSES), 0);
	for (unsigned i = 0; i < HEAP_NCLASSES; i++) {
		size_t s = heap_class_size(i);
		void *p = heap_alloc(&h, s);
		void *q = heap_alloc(&h, s + 1);

		ok &= s % 16 == 0 && (i == 0 || s > heap_class_size(i - 1));
		ok &= heap_usable_size(p) == s;
		if (i + 1 < HEAP_NCLASSES)
			ok &= heap_usable_size(q) == heap_class_size(i + 1);
		else
			ok &= heap_usable_size(q) == 4096 - HEAP_HDR_SIZE;
		ok &= heap_free(&h, p) == 0 && heap_free(&h, q) == 0;
	}
	/* Each n gets the smallest class that holds it. */
	for (size_t n = 1; n <= HEAP_MAX_SMALL; n++) {
		void *p = heap_alloc(&h, n);

		ok &= heap_usable_size(p) == class_for(n);
		ok &= heap_free(&h, p) == 0;
	}
	CHECK(ok);
	check_stats(&h, 0, 0, 0);
}

TEST(heap_zero_size_gives_unique_blocks)
{
	struct heap h;
	struct sysback b;
	void *p, *q;

	sys_heap(&h, &b, 0);
	p = heap_alloc(&h, 0);
	q = heap_alloc(&h, 0);
	CHECK(p != NULL && q != NULL && p != q);
	CHECK(heap_usable_size(p) >= 1);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, q), 0);
	check_stats(&h, 0, 0, 0);
}

TEST(heap_large_blocks)
{
	static const size_t sizes[] = { 1025, 4032, 4033, 8128, 8129, 100000, 1 << 20 };
	struct heap h;
	struct sysback b;
	size_t pages = 0;

	sys_heap(&h, &b, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], np = (n + HEAP_HDR_SIZE + 4095) / 4096;
		uint8_t *p = heap_alloc(&h, n);

		CHECK(p != NULL);
		CHECK_EQ((uintptr_t)p % 4096, HEAP_HDR_SIZE);
		CHECK_EQ(heap_usable_size(p), np * 4096 - HEAP_HDR_SIZE);
		check_stats(&h, np * 4096, 1, np);
		fill(p, n, 9);
		CHECK(intact(p, n, 9));
		p[heap_usable_size(p) - 1] = 0x5a; /* the whole usable size is ours */
		CHECK_EQ(heap_free(&h, p), 0);
		pages += np;
	}
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
	CHECK(pages > 0);
}

TEST(heap_too_big_fails_cleanly)
{
	struct heap h;
	struct sysback b;
	void *p;

	sys_heap(&h, &b, 0);
	p = heap_alloc(&h, 64);
	fill(p, 64, 4);
	CHECK(heap_alloc(&h, SIZE_MAX) == NULL);
	CHECK(heap_alloc(&h, SIZE_MAX - 100) == NULL);
	CHECK(heap_alloc(&h, HEAP_MAX_ALLOC + 1) == NULL);
	CHECK(heap_realloc(&h, p, SIZE_MAX - 4095) == NULL);
	CHECK(heap_calloc(&h, SIZE_MAX, 2) == NULL);
	CHECK(heap_calloc(&h, 2, SIZE_MAX / 2 + 1) == NULL);
	CHECK(heap_calloc(&h, (size_t)1 << 33, (size_t)1 << 31) == NULL);
	CHECK_EQ(b.calls, 1); /* only the slab for p */
	check_stats(&h, 64, 1, 1);
	CHECK(intact(p, 64, 4));
	CHECK_EQ(heap_free(&h, p), 0);
	check_stats(&h, 0, 0, 0);
}

TEST(heap_calloc_zeroes_reused_memory)
{
	struct heap h;
	struct arena a;
	uint8_t *p, *keep, *big;

	/* The arena starts out as 0xa5 garbage, and blocks are dirtied before reuse. */
	arena_heap(&h, &a, 64, 0);
	keep = heap_alloc(&h, 200); /* keeps the slab around */
	p = heap_alloc(&h, 200);
	memset(p, 0xff, 200);
	CHECK_EQ(heap_free(&h, p), 0);
	p = heap_calloc(&h, 10, 20);
	CHECK(p != NULL);
	CHECK(all_zero(p, 200));
	big = heap_calloc(&h, 3, 5000);
	CHECK(big != NULL);
	CHECK(all_zero(big, 15000));
	CHECK_EQ(heap_free(&h, big), 0);
	CHECK_EQ(heap_free(&h, p), 0);
	p = heap_calloc(&h, 0, 5);
	CHECK(p != NULL && p != keep);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, keep), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(pagealloc_used_pages(&a.pa), 0);
	arena_done(&a);
}

TEST(heap_realloc_null_and_zero)
{
	struct heap h;
	struct sysback b;
	void *p;

	sys_heap(&h, &b, 0);
	p = heap_realloc(&h, NULL, 40);
	CHECK(p != NULL);
	CHECK_EQ(heap_usable_size(p), 48);
	check_stats(&h, 48, 1, 1);
	CHECK(heap_realloc(&h, p, 0) == NULL);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
}

TEST(heap_realloc_keeps_contents_across_classes)
{
	/* Growing through every kind of block, then down and up again. */
	/* clang-format off */
	static const size_t steps[] = { 1, 17, 100, 1000, 1024, 1025, 5000, 20000, 4000,
					600, 20, 3000, 100, 70000, 1 };
	/* clang-format on */
	struct heap h;
	struct sysback b;
	size_t n = steps[0];
	uint8_t *p;

	sys_heap(&h, &b, 0);
	p = heap_alloc(&h, n);
	fill(p, n, 0);
	for (size_t i = 1; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t m = steps[i];
		uint8_t *q = heap_realloc(&h, p, m);

		CHECK(q != NULL);
		CHECK(heap_usable_size(q) >= m);
		CHECK(intact(q, n < m ? n : m, (unsigned)i - 1));
		fill(q, m, (unsigned)i);
		CHECK_EQ(h.blocks_in_use, 1);
		p = q;
		n = m;
	}
	CHECK_EQ(heap_free(&h, p), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
}

TEST(heap_realloc_in_place_when_it_fits)
{
	struct heap h;
	struct sysback b;
	void *p, *q;

	sys_heap(&h, &b, 0);
	p = heap_alloc(&h, 20); /* class 32 */
	fill(p, 20, 5);
	CHECK(heap_realloc(&h, p, 32) == p);
	CHECK(heap_realloc(&h, p, 17) == p);
	CHECK(intact(p, 17, 5));
	q = heap_realloc(&h, p, 33);
	CHECK(q != p);
	CHECK(intact(q, 17, 5));
	/* Large: the same page count stays put. */
	p = heap_alloc(&h, 2000);
	CHECK(heap_realloc(&h, p, 4032) == p);
	CHECK(heap_realloc(&h, p, 1025) == p);
	p = heap_realloc(&h, p, 4033);
	CHECK_EQ(heap_usable_size(p), 8192 - HEAP_HDR_SIZE);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, q), 0);
	check_stats(&h, 0, 0, 0);
}

TEST(heap_realloc_failure_leaves_block)
{
	struct heap h;
	struct arena a;
	uint8_t *small, *big, *p, *q;
	void *fillers[64];
	int n = 0;

	arena_heap(&h, &a, 16, 0);
	small = heap_alloc(&h, 100);
	big = heap_alloc(&h, 3 * 4096);
	fill(small, 100, 7);
	fill(big, 3 * 4096, 8);
	/* Use up every page. */
	while (n < 64 && (fillers[n] = heap_alloc(&h, 2000)) != NULL)
		n++;
	CHECK(n > 0 && n < 64);
	CHECK_EQ(pagealloc_free_pages(&a.pa), 0);
	CHECK(heap_realloc(&h, small, 5000) == NULL);
	CHECK(heap_realloc(&h, small, 200) == NULL);
	CHECK(intact(small, 100, 7));
	/* Shrinking cannot fail: with no page for a slab the block stays where it is. */
	CHECK(heap_realloc(&h, big, 300) == big);
	CHECK(intact(big, 3 * 4096, 8));
	CHECK(heap_realloc(&h, big, 5000) == big);
	/*
	 * Memory back (three pages, the highest): the same calls now move. The slab
	 * for p takes the lowest of them, the block q the other two.
	 */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(heap_free(&h, fillers[--n]), 0);
	p = heap_realloc(&h, small, 200);
	CHECK(p != NULL && p != small);
	CHECK(intact(p, 100, 7));
	q = heap_realloc(&h, big, 5000);
	CHECK(q != NULL && q != big);
	CHECK(intact(q, 5000, 8));
	while (n > 0)
		CHECK_EQ(heap_free(&h, fillers[--n]), 0);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, q), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(pagealloc_used_pages(&a.pa), 0);
	arena_done(&a);
}

TEST(heap_free_rejects_bad_pointers)
{
	struct heap h;
	struct sysback b;
	uint8_t *p, *big, *obj1k, *foreign;
	uintptr_t slab;

	sys_heap(&h, &b, 0);
	p = heap_alloc(&h, 64);
	big = heap_alloc(&h, 10000);
	obj1k = heap_alloc(&h, 1024);
	fill(p, 64, 1);
	memset(big, 0, 10000);
	slab = (uintptr_t)p & ~(uintptr_t)4095;
	CHECK_EQ(heap_free(&h, p + 1), -EINVAL); /* misaligned */
	CHECK_EQ(heap_free(&h, p + 8), -EINVAL);
	CHECK_EQ(heap_free(&h, p + 16), -EINVAL); /* inside the object */
	CHECK_EQ(heap_free(&h, p + 64), -EINVAL); /* next object, never allocated */
	CHECK_EQ(heap_free(&h, (void *)slab), -EINVAL); /* the header */
	CHECK_EQ(heap_free(&h, (void *)(slab + 32)), -EINVAL);
	/* A 1024 slab has 3 objects; the 4th position runs past the page. */
	slab = (uintptr_t)obj1k & ~(uintptr_t)4095;
	CHECK_EQ(heap_free(&h, (void *)(slab + HEAP_HDR_SIZE + 3 * 1024)), -EINVAL);
	CHECK_EQ(heap_free(&h, big + 16), -EINVAL);
	CHECK_EQ(heap_free(&h, big + 4096), -EINVAL); /* a later page of the block */
	CHECK_EQ(heap_usable_size(big + 4096), 0);
	CHECK_EQ(heap_block_owner(big + 4096), -EINVAL);
	/* Memory that never was the heap's, zeroed and garbage. */
	foreign = aligned_alloc(4096, 4096);
	memset(foreign, 0, 4096);
	CHECK_EQ(heap_free(&h, foreign + HEAP_HDR_SIZE), -EINVAL);
	memset(foreign, 0xa5, 4096);
	CHECK_EQ(heap_free(&h, foreign + HEAP_HDR_SIZE), -EINVAL);
	CHECK_EQ(heap_usable_size(foreign + HEAP_HDR_SIZE), 0);
	free(foreign);
	/* Nothing changed. */
	CHECK(intact(p, 64, 1));
	check_stats(&h, 64 + 3 * 4096 + 1024, 3, 5);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, big), 0);
	CHECK_EQ(heap_free(&h, obj1k), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
}

TEST(heap_double_free_detected)
{
	struct heap h;
	struct arena a;
	void *p, *q, *r, *big, *lone;

	arena_heap(&h, &a, 32, 0);
	p = heap_alloc(&h, 64);
	q = heap_alloc(&h, 64); /* keeps the slab alive */
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, p), -EINVAL);
	check_stats(&h, 64, 1, 1);
	/* After a double free was refused the slab still hands out p once, not twice. */
	CHECK(heap_alloc(&h, 64) == p);
	r = heap_alloc(&h, 64);
	CHECK(r != NULL && r != p && r != q);
	/*
	 * Stale pointers into pages already given back: the arena keeps them readable,
	 * and the cleared header rejects them.
	 */
	big = heap_alloc(&h, 9000);
	CHECK_EQ(heap_free(&h, big), 0);
	CHECK_EQ(heap_free(&h, big), -EINVAL);
	lone = heap_alloc(&h, 500);
	CHECK_EQ(heap_free(&h, lone), 0);
	CHECK_EQ(heap_free(&h, lone), -EINVAL);
	CHECK_EQ(heap_block_owner(lone), -EINVAL);
	check_stats(&h, 3 * 64, 3, 1);
	CHECK_EQ(heap_free(&h, q), 0);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, r), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(pagealloc_used_pages(&a.pa), 0);
	arena_done(&a);
}

TEST(heap_other_owner_rejected)
{
	struct heap h0, h1;
	struct sysback b0, b1;
	void *p, *q;

	sys_heap(&h0, &b0, 0);
	sys_heap(&h1, &b1, 1);
	p = heap_alloc(&h0, 48);
	q = heap_alloc(&h1, 5000);
	CHECK_EQ(heap_block_owner(p), 0);
	CHECK_EQ(heap_block_owner(q), 1);
	CHECK_EQ(heap_free(&h1, p), -EINVAL);
	CHECK_EQ(heap_free(&h0, q), -EINVAL);
	CHECK(heap_realloc(&h1, p, 100) == NULL);
	check_stats(&h0, 48, 1, 1);
	check_stats(&h1, 8192, 1, 2);
	CHECK_EQ(heap_free(&h0, p), 0);
	CHECK_EQ(heap_free(&h1, q), 0);
	check_stats(&h0, 0, 0, 0);
	check_stats(&h1, 0, 0, 0);
}

TEST(heap_block_owner_and_usable_size)
{
	struct heap h;
	struct sysback b;
	void *s, *l;

	sys_heap(&h, &b, 7);
	s = heap_alloc(&h, 300);
	l = heap_alloc(&h, 3000);
	CHECK_EQ(heap_block_owner(s), 7);
	CHECK_EQ(heap_block_owner(l), 7);
	CHECK_EQ(heap_usable_size(s), 320);
	CHECK_EQ(heap_usable_size(l), 4096 - HEAP_HDR_SIZE);
	CHECK_EQ(heap_block_owner(NULL), -EINVAL);
	CHECK_EQ(heap_usable_size(NULL), 0);
	CHECK_EQ(heap_block_owner((char *)s + 16), -EINVAL);
	CHECK_EQ(heap_usable_size((char *)l + 4), 0);
	CHECK_EQ(heap_free(&h, s), 0);
	CHECK_EQ(heap_free(&h, l), 0);
}

TEST(heap_partial_slab_used_first)
{
	enum { PER = (4096 - HEAP_HDR_SIZE) / 64 };
	struct heap h;
	struct sysback b;
	void *p[2 * PER];
	void *x;

	sys_heap(&h, &b, 0);
	for (int i = 0; i < 2 * PER; i++)
		p[i] = heap_alloc(&h, 64);
	check_stats(&h, 2 * PER * 64, 2 * PER, 2);
	CHECK(disjoint(p, 2 * PER));
	/* A hole in the first (full) slab is reused before any new page. */
	x = p[5];
	CHECK_EQ(heap_free(&h, x), 0);
	p[5] = heap_alloc(&h, 64);
	CHECK(p[5] == x);
	CHECK_EQ(b.pages, 2);
	/* Emptying the second slab gives its page back at once. */
	for (int i = PER; i < 2 * PER; i++)
		CHECK_EQ(heap_free(&h, p[i]), 0);
	check_stats(&h, PER * 64, PER, 1);
	CHECK_EQ(b.pages, 1);
	for (int i = 0; i < PER; i++)
		CHECK_EQ(heap_free(&h, p[i]), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
}

TEST(heap_empty_slabs_returned_for_every_class)
{
	struct heap h;
	struct sysback b;
	void *p[HEAP_NCLASSES];
	size_t bytes = 0;

	sys_heap(&h, &b, 0);
	for (unsigned i = 0; i < HEAP_NCLASSES; i++) {
		p[i] = heap_alloc(&h, heap_class_size(i));
		bytes += heap_class_size(i);
	}
	check_stats(&h, bytes, HEAP_NCLASSES, HEAP_NCLASSES);
	for (unsigned i = 0; i < HEAP_NCLASSES; i++) {
		CHECK_EQ(heap_free(&h, p[i]), 0);
		CHECK_EQ(b.pages, (long)(HEAP_NCLASSES - 1 - i));
	}
	check_stats(&h, 0, 0, 0);
}

TEST(heap_exhaustion_returns_null_and_recovers)
{
	enum { NPAGES = 16, MAXB = 16 * 4 };
	struct heap h;
	struct arena a;
	void *p[MAXB];
	int n = 0;
	void *big;

	arena_heap(&h, &a, NPAGES, 0);
	while (n < MAXB && (p[n] = heap_alloc(&h, 1000)) != NULL)
		n++;
	CHECK_EQ(n, NPAGES * 3); /* 3 blocks of 1024 per slab */
	CHECK(heap_alloc(&h, 16) == NULL);
	CHECK(heap_alloc(&h, 5000) == NULL);
	CHECK(heap_calloc(&h, 1, 16) == NULL);
	check_stats(&h, (size_t)n * 1024, (size_t)n, NPAGES);
	CHECK(disjoint(p, (size_t)n));
	/* One block back: the same class fits again, other classes still do not. */
	CHECK_EQ(heap_free(&h, p[10]), 0);
	CHECK(heap_alloc(&h, 16) == NULL);
	p[10] = heap_alloc(&h, 1000);
	CHECK(p[10] != NULL);
	/* Free all of two slabs: a 2-page block fits in the lowest free run. */
	for (int i = 0; i < 6; i++)
		CHECK_EQ(heap_free(&h, p[i]), 0);
	big = heap_alloc(&h, 5000);
	CHECK(big != NULL);
	CHECK_EQ(pagealloc_free_pages(&a.pa), 0);
	CHECK_EQ(heap_free(&h, big), 0);
	for (int i = 6; i < n; i++)
		CHECK_EQ(heap_free(&h, p[i]), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(pagealloc_used_pages(&a.pa), 0);
	arena_done(&a);
}

TEST(heap_page_alloc_failure_keeps_heap_consistent)
{
	struct heap h;
	struct sysback b;
	void *p, *q;

	sys_heap(&h, &b, 0);
	b.fail = true;
	CHECK(heap_alloc(&h, 10) == NULL);
	CHECK(heap_alloc(&h, 5000) == NULL);
	CHECK(heap_realloc(&h, NULL, 10) == NULL);
	check_stats(&h, 0, 0, 0);
	b.fail = false;
	p = heap_alloc(&h, 10);
	q = heap_alloc(&h, 5000);
	CHECK(p != NULL && q != NULL);
	check_stats(&h, 16 + 8192, 2, 3);
	CHECK_EQ(heap_free(&h, p), 0);
	CHECK_EQ(heap_free(&h, q), 0);
	check_stats(&h, 0, 0, 0);
	CHECK_EQ(b.pages, 0);
}

/* xorshift64: a fixed, portable pseudo-random sequence. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random alloc/free/realloc against a shadow of what each live block must hold.
 * With a finite arena allocations may fail; a failed realloc must keep the block.
 */
static void stress(struct heap *h, uint64_t seed, int ops)
{
	enum { SLOTS = 256 };
	void *p[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	unsigned tag[SLOTS] = { 0 };
	size_t bad = 0, fails = 0, blocks = 0;

	for (int op = 0; op < ops; op++) {
		int s = (int)(rnd(&seed) % SLOTS);
		uint64_t r = rnd(&seed);
		/* Mostly small, sometimes large. */
		size_t n = r % 8 == 0 ? (size_t)(r >> 8) % 20000 :
					(size_t)(r >> 8) % 1100;
		unsigned t = (unsigned)op;

		if (p[s] && r % 3 == 0) {
			bad += !intact(p[s], len[s], tag[s]);
			bad += heap_free(h, p[s]) != 0;
			p[s] = NULL;
			blocks--;
			continue;
		} else if (p[s]) {
			void *q = heap_realloc(h, p[s], n);

			if (n == 0) {
				bad += q != NULL;
				p[s] = NULL;
				blocks--;
				continue;
			}
			if (!q) {
				fails++;
				bad += !intact(p[s], len[s], tag[s]);
				continue;
			}
			bad += !intact(q, len[s] < n ? len[s] : n, tag[s]);
			p[s] = q;
		} else {
			p[s] = heap_alloc(h, n);
			if (!p[s]) {
				fails++;
				continue;
			}
			blocks++;
		}
		bad += (uintptr_t)p[s] % 16 != 0 || heap_usable_size(p[s]) < n;
		len[s] = n;
		tag[s] = t;
		fill(p[s], n, t);
		bad += h->blocks_in_use != blocks;
		if (op % 1000 == 0) {
			bad += !disjoint(p, SLOTS);
			for (int i = 0; i < SLOTS; i++)
				bad += p[i] && !intact(p[i], len[i], tag[i]);
		}
	}
	CHECK_EQ(bad, 0);
	for (int i = 0; i < SLOTS; i++)
		if (p[i]) {
			CHECK(intact(p[i], len[i], tag[i]));
			CHECK_EQ(heap_free(h, p[i]), 0);
		}
	check_stats(h, 0, 0, 0);
	printf("# stress: %zu failed allocations\n", fails);
}

TEST(heap_random_stress_system_pages)
{
	struct heap h;
	struct sysback b;

	sys_heap(&h, &b, 2);
	stress(&h, 0x2545f4914f6cdd1dull, 30000);
	CHECK_EQ(b.pages, 0);
}

TEST(heap_random_stress_small_arena)
{
	struct heap h;
	struct arena a;

	/* Small enough that allocations fail now and then. */
	arena_heap(&h, &a, 160, 5);
	stress(&h, 0x853c49e6748fea9bull, 30000);
	CHECK_EQ(pagealloc_used_pages(&a.pa), 0);
	arena_done(&a);
}
