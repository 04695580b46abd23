/* SPDX-License-Identifier: MIT */
/*
 * Physical page allocator over a bitmap: one bit per 4 KiB page, 1 = in use or not
 * RAM. The caller owns the struct and the bitmap storage, so several instances can
 * coexist (the host tests make many). Not thread-safe: the caller serialises.
 *
 * Address 0 is never handed out, so pagealloc_alloc() can return 0 for failure.
 */
#ifndef LIB_PAGEALLOC_H
#define LIB_PAGEALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGEALLOC_PAGE_SHIFT 12
#define PAGEALLOC_PAGE_SIZE ((uint64_t)1 << PAGEALLOC_PAGE_SHIFT)

struct pagealloc {
	uint64_t base; /* physical address of the first covered page, page aligned */
	size_t npages; /* pages covered by the bitmap */
	uint64_t *bitmap; /* caller's storage, pagealloc_bitmap_bytes(npages) bytes */
	size_t nwords; /* 64-bit words in bitmap */
	size_t total; /* pages made available by add_range, minus those reserved */
	size_t nfree; /* pages free right now */
	size_t hint; /* every bitmap word below this index is full (no free bit) */
};

/* Bytes of bitmap storage needed to cover npages pages (whole 64-bit words). */
size_t pagealloc_bitmap_bytes(size_t npages);

/*
 * Covers npages pages from base (page aligned; base + npages pages must not wrap)
 * with the bitmap at `bitmap`, and marks every page used: nothing is available
 * until pagealloc_add_range() says which pages are RAM.
 */
void pagealloc_init(struct pagealloc *pa, uint64_t base, size_t npages, uint64_t *bitmap);

/*
 * Makes the whole pages inside [start, end) free: start is rounded up and end down
 * to page boundaries, and the range is clipped to the covered span. Page 0 stays
 * used. Pages that are already free are not counted twice. Call it at boot, before
 * allocating: a page handed out by pagealloc_alloc() that lies in the range becomes
 * free again. Returns -EINVAL if no whole covered page lies inside the range.
 */
int pagealloc_add_range(struct pagealloc *pa, uint64_t start, uint64_t end);

/*
 * Marks every page overlapping [start, end) used, for the kernel image, the bitmap
 * itself and other memory that must never be handed out. Pages that were free leave
 * both counters; the others are unchanged. Parts outside the covered span are
 * ignored (they are never handed out anyway). Returns -EINVAL if start >= end.
 */
int pagealloc_reserve(struct pagealloc *pa, uint64_t start, uint64_t end);

/*
 * Returns the physical address of npages contiguous free pages, the lowest such
 * run whose address is a multiple of align_pages pages (a power of two; 0 or 1 means
 * no constraint), and marks them used. Returns 0 if there is none, if npages is 0 or
 * if align_pages is not a power of two.
 */
uint64_t pagealloc_alloc(struct pagealloc *pa, size_t npages, size_t align_pages);

/*
 * Up to n single pages, the lowest free ones, each marked used; their addresses
 * go to out[] in increasing order. Returns how many (fewer than n only when no
 * more are free). The same pages n calls of pagealloc_alloc(pa, 1, 1) would
 * give, at a fraction of the cost (a per-CPU cache refill).
 */
size_t pagealloc_alloc_pages(struct pagealloc *pa, uint64_t *out, size_t n);

/*
 * Gives back npages pages from addr. Returns -EINVAL and changes nothing if addr is
 * not page aligned or is 0, if a page lies outside the span, if any page is already
 * free (double free), or if more pages would be free than were ever added.
 */
int pagealloc_free(struct pagealloc *pa, uint64_t addr, size_t npages);

/* Pages free right now. */
size_t pagealloc_free_pages(const struct pagealloc *pa);

/* Pages handed out and not yet given back (added minus reserved minus free). */
size_t pagealloc_used_pages(const struct pagealloc *pa);

/* Whether the page holding addr is free (for tests and consistency checks). */
bool pagealloc_page_is_free(const struct pagealloc *pa, uint64_t addr);

#endif
