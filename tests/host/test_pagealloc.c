/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/pagealloc.c: the bitmap page allocator seen from its callers. Only
 * addresses are handed around, so no memory is behind them.
 */
#include "tests/host/check.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/pagealloc.h"
#include "toro/errno.h"

#define PG 4096ull

/* A fresh allocator over npages pages from base, with all of it added as RAM. */
static uint64_t *make(struct pagealloc *pa, uint64_t base, size_t npages, bool add)
{
	uint64_t *bm = malloc(pagealloc_bitmap_bytes(npages) + 8);

	pagealloc_init(pa, base, npages, bm);
	if (add)
		CHECK_EQ(pagealloc_add_range(pa, base, base + npages * PG), 0);
	return bm;
}

TEST(pagealloc_bitmap_bytes)
{
	CHECK_EQ(pagealloc_bitmap_bytes(0), 0);
	CHECK_EQ(pagealloc_bitmap_bytes(1), 8);
	CHECK_EQ(pagealloc_bitmap_bytes(64), 8);
	CHECK_EQ(pagealloc_bitmap_bytes(65), 16);
	CHECK_EQ(pagealloc_bitmap_bytes(32768), 4096);
	/* No wrap-around for absurd counts. */
	CHECK(pagealloc_bitmap_bytes(SIZE_MAX) == (SIZE_MAX / 64 + 1) * 8);
}

TEST(pagealloc_init_marks_everything_used)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x100000, 100, false);

	CHECK_EQ(pagealloc_free_pages(&pa), 0);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), 0);
	for (uint64_t a = 0x100000; a < 0x100000 + 100 * PG; a += PG)
		CHECK(!pagealloc_page_is_free(&pa, a));
	free(bm);
}

TEST(pagealloc_add_range_rounds_to_whole_pages)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x100000, 16, false);

	/* Start rounds up to 0x101000, end rounds down to 0x104000. */
	CHECK_EQ(pagealloc_add_range(&pa, 0x100001, 0x104fff), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 3);
	CHECK(!pagealloc_page_is_free(&pa, 0x100000));
	CHECK(pagealloc_page_is_free(&pa, 0x101000));
	CHECK(pagealloc_page_is_free(&pa, 0x103000));
	CHECK(!pagealloc_page_is_free(&pa, 0x104000));
	/* Less than one whole page inside the range. */
	CHECK_EQ(pagealloc_add_range(&pa, 0x105001, 0x106fff), -EINVAL);
	CHECK_EQ(pagealloc_add_range(&pa, 0x105800, 0x105900), -EINVAL);
	CHECK_EQ(pagealloc_free_pages(&pa), 3);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), 0x101000);
	free(bm);
}

TEST(pagealloc_add_range_clips_to_span)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x100000, 64, false);

	CHECK_EQ(pagealloc_add_range(&pa, 0, 0x100000), -EINVAL); /* below */
	CHECK_EQ(pagealloc_add_range(&pa, 0x140000, 0x200000), -EINVAL); /* above */
	CHECK_EQ(pagealloc_add_range(&pa, 0x5000, 0x5000), -EINVAL); /* empty */
	CHECK_EQ(pagealloc_add_range(&pa, 0x9000, 0x5000), -EINVAL); /* reversed */
	CHECK_EQ(pagealloc_add_range(&pa, UINT64_MAX - 10, UINT64_MAX), -EINVAL);
	CHECK_EQ(pagealloc_free_pages(&pa), 0);
	/* Overlapping both ends: exactly the span becomes free. */
	CHECK_EQ(pagealloc_add_range(&pa, 0x1000, 0x10000000), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 64);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK(!pagealloc_page_is_free(&pa, 0xff000));
	CHECK(!pagealloc_page_is_free(&pa, 0x140000));
	free(bm);
}

TEST(pagealloc_add_range_counts_overlap_once)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x100000, 64, false);

	CHECK_EQ(pagealloc_add_range(&pa, 0x100000, 0x110000), 0); /* 16 pages */
	CHECK_EQ(pagealloc_add_range(&pa, 0x108000, 0x118000), 0); /* 8 more */
	CHECK_EQ(pagealloc_free_pages(&pa), 24);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	free(bm);
}

TEST(pagealloc_never_hands_out_address_zero)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0, 16, false);

	CHECK_EQ(pagealloc_add_range(&pa, 0, 16 * PG), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 15);
	CHECK(!pagealloc_page_is_free(&pa, 0));
	CHECK_EQ(pagealloc_add_range(&pa, 0, PG), -EINVAL); /* only page 0 */
	for (int i = 1; i < 16; i++)
		CHECK_EQ(pagealloc_alloc(&pa, 1, 0), i * PG);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), 0);
	CHECK_EQ(pagealloc_free(&pa, 0, 1), -EINVAL);
	CHECK_EQ(pagealloc_free_pages(&pa), 0);
	free(bm);
}

TEST(pagealloc_alloc_lowest_first_and_contiguous)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x200000, 100, true);
	uint64_t a, b, c;

	a = pagealloc_alloc(&pa, 1, 0);
	b = pagealloc_alloc(&pa, 3, 1);
	c = pagealloc_alloc(&pa, 1, 0);
	CHECK_EQ(a, 0x200000);
	CHECK_EQ(b, 0x201000);
	CHECK_EQ(c, 0x204000);
	for (uint64_t x = 0x200000; x < 0x205000; x += PG)
		CHECK(!pagealloc_page_is_free(&pa, x));
	CHECK(pagealloc_page_is_free(&pa, 0x205000));
	CHECK_EQ(pagealloc_used_pages(&pa), 5);
	CHECK_EQ(pagealloc_free_pages(&pa), 95);
	CHECK_EQ(pagealloc_free(&pa, b, 3), 0);
	CHECK_EQ(pagealloc_free(&pa, a, 1), 0);
	CHECK_EQ(pagealloc_free(&pa, c, 1), 0);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 100);
	free(bm);
}

TEST(pagealloc_first_fit_reuses_low_hole)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x200000, 200, true);
	uint64_t p[10];

	for (int i = 0; i < 10; i++)
		p[i] = pagealloc_alloc(&pa, 1, 0);
	CHECK_EQ(pagealloc_free(&pa, p[3], 1), 0);
	CHECK_EQ(pagealloc_free(&pa, p[4], 1), 0);
	CHECK_EQ(pagealloc_free(&pa, p[7], 1), 0);
	/* Three pages do not fit in the 2-page hole: they go after p[9]. */
	CHECK_EQ(pagealloc_alloc(&pa, 3, 0), p[9] + PG);
	CHECK_EQ(pagealloc_alloc(&pa, 2, 0), p[3]);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), p[7]);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), p[9] + 4 * PG);
	free(bm);
}

TEST(pagealloc_alloc_skips_holes_too_small)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x200000, 300, true);
	uint64_t base = 0x200000;

	/* Runs of 1, 2 and 3 free pages separated by used ones, across a word edge. */
	CHECK_EQ(pagealloc_reserve(&pa, base, base + 300 * PG), 0);
	CHECK_EQ(pagealloc_add_range(&pa, base + 10 * PG, base + 11 * PG), 0);
	CHECK_EQ(pagealloc_add_range(&pa, base + 30 * PG, base + 32 * PG), 0);
	CHECK_EQ(pagealloc_add_range(&pa, base + 62 * PG, base + 65 * PG), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 6);
	CHECK_EQ(pagealloc_alloc(&pa, 4, 0), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 3, 0), base + 62 * PG);
	CHECK_EQ(pagealloc_alloc(&pa, 2, 0), base + 30 * PG);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), base + 10 * PG);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), 0);
	free(bm);
}

TEST(pagealloc_alloc_alignment_of_physical_address)
{
	struct pagealloc pa;
	/* The span starts off any large alignment, so index and address differ. */
	uint64_t *bm = make(&pa, 0x101000, 256, true);
	uint64_t a, b, c;

	a = pagealloc_alloc(&pa, 1, 16);
	CHECK_EQ(a, 0x110000);
	b = pagealloc_alloc(&pa, 1, 0);
	CHECK_EQ(b, 0x101000);
	c = pagealloc_alloc(&pa, 20, 64);
	CHECK_EQ(c, 0x140000);
	CHECK_EQ(pagealloc_alloc(&pa, 2, 2), 0x102000);
	CHECK_EQ(pagealloc_alloc(&pa, 4, 4), 0x104000);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 1), 0x108000);
	/* Not a power of two, or no aligned spot in the span. */
	CHECK_EQ(pagealloc_alloc(&pa, 1, 3), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 1024), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 1, (size_t)1 << 62), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 0, 0), 0);
	CHECK_EQ(pagealloc_used_pages(&pa), 29);
	free(bm);
}

TEST(pagealloc_exhaustion_and_recovery)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x200000, 40, true);
	uint64_t p[40];

	CHECK_EQ(pagealloc_alloc(&pa, 41, 0), 0);
	for (int i = 0; i < 40; i++) {
		p[i] = pagealloc_alloc(&pa, 1, 0);
		CHECK_EQ(p[i], 0x200000 + i * PG);
	}
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 0);
	CHECK_EQ(pagealloc_free(&pa, p[17], 1), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 2, 0), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), p[17]);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(pagealloc_free(&pa, p[i], 1), 0);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 40, 0), 0x200000);
	free(bm);
}

TEST(pagealloc_free_rejects_bad_calls)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x200000, 64, true);
	uint64_t a = pagealloc_alloc(&pa, 2, 0);
	uint64_t b = pagealloc_alloc(&pa, 1, 0);

	CHECK_EQ(pagealloc_free(&pa, a + 8, 1), -EINVAL); /* misaligned */
	CHECK_EQ(pagealloc_free(&pa, 0x1ff000, 1), -EINVAL); /* below the span */
	CHECK_EQ(pagealloc_free(&pa, 0x240000, 1), -EINVAL); /* above */
	CHECK_EQ(pagealloc_free(&pa, 0x23f000, 2), -EINVAL); /* crosses the end */
	CHECK_EQ(pagealloc_free(&pa, a, 0), -EINVAL);
	CHECK_EQ(pagealloc_free(&pa, a, SIZE_MAX), -EINVAL);
	CHECK_EQ(pagealloc_free(&pa, b + PG, 1), -EINVAL); /* never allocated */
	CHECK_EQ(pagealloc_free(&pa, b, 2), -EINVAL); /* runs into a free page */
	CHECK_EQ(pagealloc_used_pages(&pa), 3);
	CHECK_EQ(pagealloc_free(&pa, a, 1), 0);
	/* Double free of one page of the pair: nothing changes. */
	CHECK_EQ(pagealloc_free(&pa, a, 2), -EINVAL);
	CHECK(!pagealloc_page_is_free(&pa, a + PG));
	CHECK_EQ(pagealloc_used_pages(&pa), 2);
	CHECK_EQ(pagealloc_free(&pa, a, 1), -EINVAL);
	CHECK_EQ(pagealloc_free(&pa, a + PG, 1), 0);
	CHECK_EQ(pagealloc_free(&pa, b, 1), 0);
	CHECK_EQ(pagealloc_free(&pa, b, 1), -EINVAL);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 64);
	free(bm);
}

TEST(pagealloc_free_rejects_more_than_allocated)
{
	struct pagealloc pa;
	uint64_t *bm = make(&pa, 0x200000, 64, false);

	/* Pages that are not RAM read as used, but nobody holds them. */
	CHECK_EQ(pagealloc_add_range(&pa, 0x210000, 0x220000), 0);
	CHECK_EQ(pagealloc_free(&pa, 0x200000, 1), -EINVAL);
	CHECK_EQ(pagealloc_free_pages(&pa), 16);
	free(bm);
}

TEST(pagealloc_reserve_carves_and_fixes_counters)
{
	struct pagealloc pa;
	uint64_t base = 0x200000;
	uint64_t *bm = make(&pa, base, 64, true);
	uint64_t a;

	/* Pages 1..3: the range's partial first and last pages count too. */
	CHECK_EQ(pagealloc_reserve(&pa, base + 0x1800, base + 0x3001), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 61);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK(pagealloc_page_is_free(&pa, base));
	CHECK(!pagealloc_page_is_free(&pa, base + 0x1000));
	CHECK(!pagealloc_page_is_free(&pa, base + 0x3000));
	CHECK(pagealloc_page_is_free(&pa, base + 0x4000));
	/* Again: nothing was free, nothing changes. */
	CHECK_EQ(pagealloc_reserve(&pa, base + 0x1000, base + 0x4000), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 61);
	/* Allocations step around the reserved pages. */
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), base);
	a = pagealloc_alloc(&pa, 2, 0);
	CHECK_EQ(a, base + 0x4000);
	/* Reserving a held page leaves the counters alone. */
	CHECK_EQ(pagealloc_reserve(&pa, a, a + 1), 0);
	CHECK_EQ(pagealloc_used_pages(&pa), 3);
	CHECK_EQ(pagealloc_free_pages(&pa), 58);
	/* Partly and wholly outside the span, and empty ranges. */
	CHECK_EQ(pagealloc_reserve(&pa, base + 62 * PG, base + 100 * PG), 0);
	CHECK_EQ(pagealloc_free_pages(&pa), 56);
	CHECK_EQ(pagealloc_reserve(&pa, 0x1000, 0x2000), 0);
	CHECK_EQ(pagealloc_reserve(&pa, UINT64_MAX - 5, UINT64_MAX), 0);
	CHECK_EQ(pagealloc_reserve(&pa, base, base), -EINVAL);
	CHECK_EQ(pagealloc_free_pages(&pa), 56);
	CHECK_EQ(pagealloc_used_pages(&pa), 3);
	free(bm);
}

TEST(pagealloc_big_bitmap_single_pages)
{
	struct pagealloc pa;
	size_t n = 32768;
	uint64_t base = 0x100000;
	uint64_t *bm = make(&pa, base, n, true);
	bool ok = true;

	/* Thanks to the hint this is linear overall, not quadratic. */
	for (size_t i = 0; i < n; i++)
		ok &= pagealloc_alloc(&pa, 1, 0) == base + i * PG;
	CHECK(ok);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), 0);
	CHECK_EQ(pagealloc_free(&pa, base + 20000 * PG, 1), 0);
	CHECK_EQ(pagealloc_free(&pa, base + 30000 * PG, 1), 0);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), base + 20000 * PG);
	CHECK_EQ(pagealloc_alloc(&pa, 1, 0), base + 30000 * PG);
	for (size_t i = 0; i < n; i++)
		ok &= pagealloc_free(&pa, base + i * PG, 1) == 0;
	CHECK(ok);
	CHECK_EQ(pagealloc_used_pages(&pa), 0);
	CHECK_EQ(pagealloc_alloc(&pa, n, 0), base);
	free(bm);
}

/* xorshift64: a fixed, portable pseudo-random sequence. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The lowest aligned run of n free pages in the model, as an address, or 0. */
static uint64_t model_fit(const bool *used, size_t npages, uint64_t base, size_t n,
			  size_t align)
{
	for (size_t s = 0; s + n <= npages; s++) {
		size_t k = 0;

		if (((base / PG) + s) % align)
			continue;
		while (k < n && !used[s + k])
			k++;
		if (k == n)
			return base + s * PG;
	}
	return 0;
}

/* A batch of single pages is what as many single allocations would give. */
TEST(pagealloc_alloc_pages_matches_single_allocations)
{
	enum { NPAGES = 200 };
	struct pagealloc a, b;
	uint64_t *bma = make(&a, 0x10000, NPAGES, true);
	uint64_t *bmb = make(&b, 0x10000, NPAGES, true);
	uint64_t out[NPAGES + 8];
	size_t got, bad = 0;

	/* Holes and used runs across word boundaries, the same in both. */
	for (int i = 0; i < 2; i++) {
		struct pagealloc *p = i ? &b : &a;

		CHECK(pagealloc_alloc(p, 70, 1) != 0);
		CHECK_EQ(pagealloc_free(p, 0x10000 + 3 * PG, 2), 0);
		CHECK_EQ(pagealloc_free(p, 0x10000 + 63 * PG, 3), 0);
	}
	got = pagealloc_alloc_pages(&a, out, 4);
	CHECK_EQ(got, 4);
	for (size_t k = 0; k < got; k++)
		bad += out[k] != pagealloc_alloc(&b, 1, 1);
	got = pagealloc_alloc_pages(&a, out, 100);
	CHECK_EQ(got, 100);
	for (size_t k = 0; k < got; k++)
		bad += out[k] != pagealloc_alloc(&b, 1, 1);
	CHECK_EQ(bad, 0);
	CHECK_EQ(pagealloc_free_pages(&a), pagealloc_free_pages(&b));
	/* The rest, then nothing: fewer than asked, never a page past the span. */
	got = pagealloc_alloc_pages(&a, out, NPAGES + 8);
	CHECK_EQ(got, NPAGES - 70 + 5 - 104);
	for (size_t k = 0; k < got; k++)
		bad += out[k] != pagealloc_alloc(&b, 1, 1) ||
		       out[k] >= 0x10000 + NPAGES * PG;
	CHECK_EQ(bad, 0);
	CHECK_EQ(pagealloc_alloc(&b, 1, 1), 0);
	CHECK_EQ(pagealloc_alloc_pages(&a, out, 1), 0);
	CHECK_EQ(pagealloc_free_pages(&a), 0);
	/* Freed pages come back from the batch call too (the hint moves down). */
	CHECK_EQ(pagealloc_free(&a, 0x10000 + 5 * PG, 1), 0);
	CHECK_EQ(pagealloc_alloc_pages(&a, out, 8), 1);
	CHECK_EQ(out[0], 0x10000 + 5 * PG);
	free(bma);
	free(bmb);
}

TEST(pagealloc_random_against_model)
{
	enum { NPAGES = 300, NLIVE = 64 };
	struct pagealloc pa;
	uint64_t base = 0x7000; /* off every alignment above 8 pages */
	uint64_t *bm = make(&pa, base, NPAGES, true);
	bool used[NPAGES] = { false };
	uint64_t live[NLIVE] = { 0 };
	size_t len[NLIVE] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t nused = 0, bad = 0;

	for (int op = 0; op < 20000; op++) {
		int slot = (int)(rnd(&seed) % NLIVE);

		if (!live[slot]) {
			size_t n = 1 + rnd(&seed) % 8;
			size_t align = (size_t)1 << (rnd(&seed) % 5);
			uint64_t want = model_fit(used, NPAGES, base, n, align);
			uint64_t got = pagealloc_alloc(&pa, n, align);

			bad += got != want;
			if (got) {
				for (size_t k = 0; k < n; k++)
					used[(got - base) / PG + k] = true;
				live[slot] = got;
				len[slot] = n;
				nused += n;
			}
		} else {
			size_t r = rnd(&seed) % NPAGES;

			/* Freeing a free page, in the middle of things, must fail. */
			if (!used[r])
				bad += pagealloc_free(&pa, base + r * PG, 1) != -EINVAL;
			bad += pagealloc_free(&pa, live[slot], len[slot]) != 0;
			bad += pagealloc_free(&pa, live[slot], 1) != -EINVAL;
			for (size_t k = 0; k < len[slot]; k++)
				used[(live[slot] - base) / PG + k] = false;
			nused -= len[slot];
			live[slot] = 0;
		}
		bad += pagealloc_used_pages(&pa) != nused;
		bad += pagealloc_free_pages(&pa) != NPAGES - nused;
	}
	CHECK_EQ(bad, 0);
	free(bm);
}
