/* SPDX-License-Identifier: MIT */
/*
 * Physical page allocator over a bitmap.
 *
 * Primer. Page i of the span (address base + i * 4096) owns bit i % 64 of word
 * i / 64; a 1 means the page is in use or is not RAM, a 0 that it is free. The bits
 * past npages in the last word are kept at 1 so that a word scan never reports them
 * free. Everything starts at 1; pagealloc_add_range() clears the RAM the boot memory
 * map describes, pagealloc_reserve() sets what must stay out of reach.
 *
 * Allocation is first fit from the low end, so early kernel allocations stay low.
 * The scan works a 64-bit word at a time: a full word (all ones) is skipped whole,
 * and inside a word the lowest free bit is found with a count-trailing-zeros. `hint`
 * remembers the first word that may still have a free bit, so a run of one-page
 * allocations costs O(1) words each rather than rescanning the full low words.
 *
 * Counters: `total` is what was added minus what was reserved out of it, `nfree` what
 * is free now; total - nfree is what callers hold, which tests use as a leak check.
 */
#include "lib/pagealloc.h"

#include "lib/kstring.h"
#include "toro/errno.h"

#define PA_WORD_BITS 64

/* Count of set bits; written out because __builtin_popcountll may call libgcc. */
static unsigned pa_popcount(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Mask of bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t pa_mask(unsigned lo, unsigned hi)
{
	uint64_t m = ~0ull << lo;

	if (hi < PA_WORD_BITS)
		m &= ~(~0ull << hi);
	return m;
}

/* First page index in [from, to) whose bit equals `want`, or `to` if there is none. */
static size_t pa_find(const struct pagealloc *pa, size_t from, size_t to, bool want)
{
	while (from < to) {
		size_t w = from / PA_WORD_BITS;
		uint64_t word = want ? pa->bitmap[w] : ~pa->bitmap[w];

		word &= ~0ull << (from % PA_WORD_BITS);
		if (word) {
			size_t i = w * PA_WORD_BITS + (size_t)__builtin_ctzll(word);

			return i < to ? i : to;
		}
		from = (w + 1) * PA_WORD_BITS;
	}
	return to;
}

/* Sets (or clears) the bits of pages [from, to); returns how many bits changed. */
static size_t pa_update(struct pagealloc *pa, size_t from, size_t to, bool set)
{
	size_t changed = 0;

	while (from < to) {
		size_t w = from / PA_WORD_BITS;

		/* Whole words, the common case (a RAM range): no masks. */
		if (from % PA_WORD_BITS == 0 && to - from >= PA_WORD_BITS) {
			for (; to - from >= PA_WORD_BITS; from += PA_WORD_BITS, w++) {
				uint64_t flip = set ? ~pa->bitmap[w] : pa->bitmap[w];

				pa->bitmap[w] ^= flip;
				changed += flip == ~0ull ? PA_WORD_BITS :
							   pa_popcount(flip);
			}
			continue;
		}
		unsigned lo = from % PA_WORD_BITS;
		unsigned hi = to - w * PA_WORD_BITS < PA_WORD_BITS ?
				      (unsigned)(to - w * PA_WORD_BITS) :
				      PA_WORD_BITS;
		uint64_t m = pa_mask(lo, hi);
		uint64_t flip = (set ? ~pa->bitmap[w] : pa->bitmap[w]) & m;

		pa->bitmap[w] ^= flip;
		changed += pa_popcount(flip);
		from = (w + 1) * PA_WORD_BITS;
	}
	return changed;
}

/* Lowers the hint so that the word holding page index i is scanned again. */
static void pa_lower_hint(struct pagealloc *pa, size_t i)
{
	if (i / PA_WORD_BITS < pa->hint)
		pa->hint = i / PA_WORD_BITS;
}

size_t pagealloc_bitmap_bytes(size_t npages)
{
	/* Written so that npages near SIZE_MAX does not wrap. */
	size_t words = npages / PA_WORD_BITS + (npages % PA_WORD_BITS != 0);

	return words * sizeof(uint64_t);
}

void pagealloc_init(struct pagealloc *pa, uint64_t base, size_t npages, uint64_t *bitmap)
{
	pa->base = base;
	pa->npages = npages;
	pa->bitmap = bitmap;
	pa->nwords = pagealloc_bitmap_bytes(npages) / sizeof(uint64_t);
	pa->total = 0;
	pa->nfree = 0;
	pa->hint = 0;
	/* All ones: also covers the tail bits past npages, which must never read free. */
	memset(pa->bitmap, 0xff, pa->nwords * sizeof(uint64_t));
}

/*
 * Clips the page-frame range [lo, hi) to the span and turns it into page indices.
 * Returns false if nothing is left.
 */
static bool pa_clip(const struct pagealloc *pa, uint64_t lo, uint64_t hi, size_t *from,
		    size_t *to)
{
	uint64_t first = pa->base >> PAGEALLOC_PAGE_SHIFT;
	uint64_t last = first + pa->npages; /* one past the span */

	if (lo < first)
		lo = first;
	if (hi > last)
		hi = last;
	if (lo >= hi)
		return false;
	*from = (size_t)(lo - first);
	*to = (size_t)(hi - first);
	return true;
}

int pagealloc_add_range(struct pagealloc *pa, uint64_t start, uint64_t end)
{
	/* Whole pages only: round the start up and the end down (no overflow this way). */
	uint64_t lo = (start >> PAGEALLOC_PAGE_SHIFT) +
		      ((start & (PAGEALLOC_PAGE_SIZE - 1)) != 0);
	uint64_t hi = end >> PAGEALLOC_PAGE_SHIFT;
	size_t from, to, n;

	if (start >= end)
		return -EINVAL;
	/* Page 0 must stay used so that address 0 can mean "no memory". */
	if (lo == 0)
		lo = 1;
	if (!pa_clip(pa, lo, hi, &from, &to))
		return -EINVAL;
	n = pa_update(pa, from, to, false);
	pa->total += n;
	pa->nfree += n;
	pa_lower_hint(pa, from);
	return 0;
}

int pagealloc_reserve(struct pagealloc *pa, uint64_t start, uint64_t end)
{
	/* Every page the range touches: round the start down and the end up. */
	uint64_t lo = start >> PAGEALLOC_PAGE_SHIFT;
	uint64_t hi =
		(end >> PAGEALLOC_PAGE_SHIFT) + ((end & (PAGEALLOC_PAGE_SIZE - 1)) != 0);
	size_t from, to, n;

	if (start >= end)
		return -EINVAL;
	if (!pa_clip(pa, lo, hi, &from, &to))
		return 0;
	/* Only pages that were free change hands; used ones stay as they were. */
	n = pa_update(pa, from, to, true);
	pa->total -= n;
	pa->nfree -= n;
	return 0;
}

uint64_t pagealloc_alloc(struct pagealloc *pa, size_t npages, size_t align_pages)
{
	uint64_t first = pa->base >> PAGEALLOC_PAGE_SHIFT;
	size_t i;

	if (npages == 0 || npages > pa->nfree)
		return 0;
	if (align_pages == 0)
		align_pages = 1;
	if (align_pages & (align_pages - 1))
		return 0;

	i = pa_find(pa, pa->hint * PA_WORD_BITS, pa->npages, false);
	/* The words below i's are full: the scan started at the hint and found none. */
	pa->hint = i / PA_WORD_BITS;

	while (i < pa->npages) {
		/* Alignment is of the physical address, not of the index in the span. */
		uint64_t pfn = first + i;
		uint64_t apfn, c;
		size_t used;

		if (align_pages - 1 > UINT64_MAX - pfn)
			return 0;
		apfn = (pfn + align_pages - 1) & ~((uint64_t)align_pages - 1);
		c = apfn - first;
		if (c >= pa->npages || npages > pa->npages - c)
			return 0; /* candidates only move up: nothing further fits */
		used = pa_find(pa, (size_t)c, (size_t)c + npages, true);
		if (used == c + npages) {
			pa_update(pa, (size_t)c, (size_t)c + npages, true);
			pa->nfree -= npages;
			return apfn << PAGEALLOC_PAGE_SHIFT;
		}
		/*
		 * Every start from c up to `used` overlaps the used page; the next
		 * candidate is the first free page after it.
		 */
		i = pa_find(pa, used + 1, pa->npages, false);
	}
	return 0;
}

size_t pagealloc_alloc_pages(struct pagealloc *pa, uint64_t *out, size_t n)
{
	uint64_t first = pa->base >> PAGEALLOC_PAGE_SHIFT;
	size_t got = 0;

	/* Words below the hint are full; the tail bits past npages are never free. */
	for (size_t w = pa->hint; w < pa->nwords && got < n; w++) {
		uint64_t free_bits = ~pa->bitmap[w];

		for (; free_bits && got < n; free_bits &= free_bits - 1) {
			unsigned b = (unsigned)__builtin_ctzll(free_bits);

			pa->bitmap[w] |= 1ull << b;
			out[got++] = (first + w * PA_WORD_BITS + b)
				     << PAGEALLOC_PAGE_SHIFT;
		}
		if (!free_bits && w == pa->hint && pa->bitmap[w] == ~0ull)
			pa->hint = w + 1;
	}
	pa->nfree -= got;
	return got;
}

int pagealloc_free(struct pagealloc *pa, uint64_t addr, size_t npages)
{
	uint64_t first = pa->base >> PAGEALLOC_PAGE_SHIFT;
	uint64_t pfn = addr >> PAGEALLOC_PAGE_SHIFT;
	size_t i;

	if (npages == 0 || addr == 0 || (addr & (PAGEALLOC_PAGE_SIZE - 1)))
		return -EINVAL;
	if (pfn < first || pfn - first >= pa->npages ||
	    npages > pa->npages - (pfn - first))
		return -EINVAL;
	/* More pages than callers hold: some were never allocated. */
	if (npages > pa->total - pa->nfree)
		return -EINVAL;
	i = (size_t)(pfn - first);
	/* A free page in the range is a double free; check before changing anything. */
	if (pa_find(pa, i, i + npages, false) != i + npages)
		return -EINVAL;
	pa_update(pa, i, i + npages, false);
	pa->nfree += npages;
	pa_lower_hint(pa, i);
	return 0;
}

size_t pagealloc_free_pages(const struct pagealloc *pa)
{
	return pa->nfree;
}

size_t pagealloc_used_pages(const struct pagealloc *pa)
{
	return pa->total - pa->nfree;
}

bool pagealloc_page_is_free(const struct pagealloc *pa, uint64_t addr)
{
	uint64_t first = pa->base >> PAGEALLOC_PAGE_SHIFT;
	uint64_t pfn = addr >> PAGEALLOC_PAGE_SHIFT;
	size_t i;

	if (pfn < first || pfn - first >= pa->npages)
		return false;
	i = (size_t)(pfn - first);
	return !(pa->bitmap[i / PA_WORD_BITS] & ((uint64_t)1 << (i % PA_WORD_BITS)));
}
