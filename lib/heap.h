/* SPDX-License-Identifier: MIT */
/*
 * A malloc-style heap with size classes. The kernel makes one per CPU; the caller
 * owns the struct and supplies pages through struct heap_ops. Not thread-safe: one
 * heap is used by one CPU at a time, and a block freed elsewhere goes back to its
 * owner, which heap_block_owner() names.
 *
 * Every block p has its page header at (p & ~4095): small blocks live in one-page
 * slabs, large ones in whole pages after a header. All blocks are 16-byte aligned.
 */
#ifndef LIB_HEAP_H
#define LIB_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE_SIZE 4096 /* what ops->page_alloc hands out, and its alignment */
#define HEAP_ALIGN 16 /* alignment of every block */
#define HEAP_HDR_SIZE 64 /* page header; blocks start at a multiple of 64 after it */
#define HEAP_NCLASSES 20 /* small size classes, 16 to 1024 bytes */
#define HEAP_MAX_SMALL 1024 /* largest request served from a slab */
#define HEAP_MAX_ALLOC ((size_t)1 << 40) /* largest request at all */

struct heap_ops {
	/* npages contiguous pages, 4096-byte aligned, or NULL */
	void *(*page_alloc)(void *ctx, size_t npages);
	/* gives back exactly what one page_alloc call returned */
	void (*page_free)(void *ctx, void *p, size_t npages);
	void *ctx; /* passed to both */
};

struct heap_page; /* page header, private to heap.c */

struct heap {
	struct heap_ops ops; /* a copy of the caller's, so theirs may go away */
	unsigned owner; /* id written in every header (the CPU); at most INT32_MAX */
	struct heap_page *partial[HEAP_NCLASSES]; /* slabs with free and used objects */
	size_t bytes_in_use; /* class size of each small block, page bytes of large ones */
	size_t blocks_in_use; /* blocks allocated and not freed */
	size_t pages_held; /* pages obtained from ops and not given back */
};

struct heap_stats {
	size_t bytes_in_use; /* as in struct heap */
	size_t blocks_in_use; /* as in struct heap */
	size_t pages_held; /* as in struct heap */
};

void heap_init(struct heap *h, const struct heap_ops *ops, unsigned owner);

/* A block of at least n bytes, or NULL. n == 0 gives a unique minimal block. */
void *heap_alloc(struct heap *h, size_t n);

/* A zeroed block of n * size bytes, or NULL (also if the product overflows). */
void *heap_calloc(struct heap *h, size_t n, size_t size);

/*
 * Resizes p to n bytes, keeping the first min(old, n) bytes. p == NULL allocates;
 * n == 0 frees p and returns NULL. Stays in place when the size class (or the page
 * count) does not change, and when shrinking cannot get a smaller block. Returns NULL
 * and leaves p untouched if memory runs out or p is not a block of this heap.
 */
void *heap_realloc(struct heap *h, void *p, size_t n);

/*
 * Frees p; NULL is a no-op. Returns -EINVAL and changes nothing if p is not the
 * start of a live block of this heap (bad header, other owner, misaligned, past the
 * objects, or a small block freed twice). A large block freed twice, or a small one
 * whose slab was already returned, is caught only while its page is still mapped
 * and not reused.
 */
int heap_free(struct heap *h, void *p);

/* Bytes usable in block p (at least what was asked), or 0 if p is not a heap block. */
size_t heap_usable_size(const void *p);

/*
 * Owner id of block p, or -EINVAL if p is not the start of a heap block. Reads only
 * what stays fixed while the block's page is held, not whether p is live, so any CPU
 * may ask before sending p back to its owner, whose heap_free() checks the rest.
 */
int heap_block_owner(const void *p);

void heap_stats(const struct heap *h, struct heap_stats *out);

/* Usable size of size class i (0 <= i < HEAP_NCLASSES), for tests. */
size_t heap_class_size(unsigned i);

#endif
