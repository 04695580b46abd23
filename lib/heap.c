/* SPDX-License-Identifier: MIT */
/*
 * A malloc-style heap with size classes, one instance per CPU.
 *
 * Primer. Memory comes from ops->page_alloc in 4 KiB pages, and every page the heap
 * holds starts with a 64-byte struct heap_page, so the header of any block p is at
 * (p & ~4095). There are two kinds of page:
 *
 *   slab   one page cut into objects of one size class (16 to 1024 bytes, all
 *          multiples of 16), starting right after the header. A 256-bit map in the
 *          header has a 1 per allocated object; it is both the free list (allocation
 *          takes the lowest 0 bit) and the double-free check. Keeping it out of the
 *          objects means a write after free cannot corrupt the heap's own state.
 *   large  a request above 1024 bytes gets whole pages: header, then the block.
 *
 * A slab with both free and allocated objects sits on its class's partial list;
 * allocation takes from the head of that list, and only when it is empty gets a new
 * page. A slab that fills up leaves the list; one that empties goes back to
 * ops->page_free at once, so after everything is freed the heap holds no pages.
 *
 * Every header carries the owner id, which a later step uses to send a block freed
 * on another CPU back to the heap that owns it. When a page goes back to ops its
 * magic is cleared, so a stale pointer into it is rejected while the page is unused.
 */
#include "lib/heap.h"

#include <stdbool.h>

#include "lib/kstring.h"
#include "toro/errno.h"

#define HEAP_MAGIC_SLAB 0x51ab7070u /* header of a page of small objects */
#define HEAP_MAGIC_LARGE 0x1a4e7070u /* header of a large block's first page */
#define HEAP_MAP_WORDS 4 /* 64-bit words of the object map: 256 objects */

struct heap_page {
	uint32_t magic; /* HEAP_MAGIC_SLAB or HEAP_MAGIC_LARGE; 0 once given back */
	uint32_t owner; /* id of the heap that owns every block in here */
	uint32_t npages; /* large: pages of the block, this one included; slab: 1 */
	uint8_t class_idx; /* slab: size class of the objects */
	uint8_t nobj; /* slab: objects in the page */
	uint8_t nfree; /* slab: objects not allocated */
	uint8_t unused; /* padding, kept 0 */
	struct heap_page *next; /* slab: partial list, towards the tail */
	struct heap_page *prev; /* slab: partial list, towards the head */
	uint64_t map[HEAP_MAP_WORDS]; /* slab: bit i set = object i allocated */
};

_Static_assert(sizeof(struct heap_page) == HEAP_HDR_SIZE, "page header size");
_Static_assert((HEAP_PAGE_SIZE - HEAP_HDR_SIZE) / HEAP_ALIGN <= HEAP_MAP_WORDS * 64,
	       "object map too small for the smallest class");
_Static_assert((HEAP_PAGE_SIZE - HEAP_HDR_SIZE) / HEAP_ALIGN <= 255, "nobj is 8 bits");
_Static_assert(HEAP_MAX_ALLOC / HEAP_PAGE_SIZE + 1 <= UINT32_MAX, "npages is 32 bits");

/*
 * Sizes grow by 16 up to 128, then by a quarter of the power of two below them.
 * clang-format is off so that each step size keeps its own line.
 */
/* clang-format off */
static const uint16_t heap_classes[HEAP_NCLASSES] = {
	16, 32, 48, 64, 80, 96, 112, 128,	/* steps of 16 */
	160, 192, 224, 256,			/* steps of 32 */
	320, 384, 448, 512,			/* steps of 64 */
	640, 768, 896, 1024,			/* steps of 128 */
};
/* clang-format on */

size_t heap_class_size(unsigned i)
{
	return i < HEAP_NCLASSES ? heap_classes[i] : 0;
}

/* Index of the smallest class holding n bytes, 1 <= n <= HEAP_MAX_SMALL. */
static unsigned heap_class_of(size_t n)
{
	unsigned k;

	if (n <= 128)
		return (unsigned)((n - 1) >> 4);
	/* 2^k < n <= 2^(k+1), k in 7..9; four classes per power of two. */
	k = 63 - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	return 8 + (k - 7) * 4 + (unsigned)((n - 1 - ((size_t)1 << k)) >> (k - 2));
}

/* Pages of a large block of n bytes, header included; n <= HEAP_MAX_ALLOC. */
static size_t heap_large_pages(size_t n)
{
	return (n + HEAP_HDR_SIZE + HEAP_PAGE_SIZE - 1) / HEAP_PAGE_SIZE;
}

static struct heap_page *heap_page_of(const void *p)
{
	return (struct heap_page *)((uintptr_t)p & ~(uintptr_t)(HEAP_PAGE_SIZE - 1));
}

/*
 * The header of p if p is where a block starts (live or not) in a page that looks
 * like one of ours, with the object index in *idx for slabs; NULL otherwise. Reads
 * only fields that stay fixed while the page is held, so other CPUs may call it.
 */
static struct heap_page *heap_lookup(const void *p, size_t *idx)
{
	struct heap_page *pg = heap_page_of(p);
	uintptr_t off = (uintptr_t)p - (uintptr_t)pg;
	size_t size;

	if (!p || (off & (HEAP_ALIGN - 1)) || off < HEAP_HDR_SIZE)
		return NULL;
	if (pg->magic == HEAP_MAGIC_LARGE) {
		if (off != HEAP_HDR_SIZE || pg->npages == 0)
			return NULL;
		*idx = 0;
		return pg;
	}
	if (pg->magic != HEAP_MAGIC_SLAB || pg->class_idx >= HEAP_NCLASSES)
		return NULL;
	size = heap_classes[pg->class_idx];
	off -= HEAP_HDR_SIZE;
	if (off % size || off / size >= pg->nobj)
		return NULL;
	*idx = off / size;
	return pg;
}

static bool heap_obj_live(const struct heap_page *pg, size_t idx)
{
	return pg->map[idx / 64] & ((uint64_t)1 << (idx % 64));
}

/* As heap_lookup(), but also requires a live block owned by h. */
static struct heap_page *heap_lookup_live(const struct heap *h, const void *p,
					  size_t *idx)
{
	struct heap_page *pg = heap_lookup(p, idx);

	if (!pg || pg->owner != h->owner)
		return NULL;
	if (pg->magic == HEAP_MAGIC_SLAB && !heap_obj_live(pg, *idx))
		return NULL;
	return pg;
}

/* Pages from ops; memory that breaks the alignment promise is refused, not used. */
static struct heap_page *heap_get_pages(struct heap *h, size_t npages)
{
	void *p = h->ops.page_alloc(h->ops.ctx, npages);

	if (!p)
		return NULL;
	if ((uintptr_t)p & (HEAP_PAGE_SIZE - 1)) {
		h->ops.page_free(h->ops.ctx, p, npages);
		return NULL;
	}
	h->pages_held += npages;
	return p;
}

static void heap_put_pages(struct heap *h, struct heap_page *pg, size_t npages)
{
	/* A stale pointer into the page must not pass for a block any more. */
	pg->magic = 0;
	h->pages_held -= npages;
	h->ops.page_free(h->ops.ctx, pg, npages);
}

static void heap_partial_add(struct heap *h, struct heap_page *pg)
{
	struct heap_page **head = &h->partial[pg->class_idx];

	pg->prev = NULL;
	pg->next = *head;
	if (*head)
		(*head)->prev = pg;
	*head = pg;
}

static void heap_partial_del(struct heap *h, struct heap_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		h->partial[pg->class_idx] = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->next = pg->prev = NULL;
}

/* A fresh slab of class c with no object allocated, or NULL. */
static struct heap_page *heap_new_slab(struct heap *h, unsigned c)
{
	struct heap_page *pg = heap_get_pages(h, 1);
	size_t nobj = (HEAP_PAGE_SIZE - HEAP_HDR_SIZE) / heap_classes[c];

	if (!pg)
		return NULL;
	memset(pg, 0, sizeof(*pg));
	pg->magic = HEAP_MAGIC_SLAB;
	pg->owner = h->owner;
	pg->npages = 1;
	pg->class_idx = (uint8_t)c;
	pg->nobj = (uint8_t)nobj;
	pg->nfree = (uint8_t)nobj;
	/* Bits past the last object read as allocated, so the scan never picks them. */
	for (size_t i = nobj; i < HEAP_MAP_WORDS * 64; i++)
		pg->map[i / 64] |= (uint64_t)1 << (i % 64);
	return pg;
}

static void *heap_alloc_small(struct heap *h, size_t n)
{
	unsigned c = heap_class_of(n);
	struct heap_page *pg = h->partial[c];
	size_t idx = 0;

	if (!pg) {
		pg = heap_new_slab(h, c);
		if (!pg)
			return NULL;
		heap_partial_add(h, pg);
	}
	/* nfree > 0, so some word has a 0 bit below nobj. */
	for (unsigned w = 0; w < HEAP_MAP_WORDS; w++) {
		if (~pg->map[w]) {
			idx = w * 64 + (size_t)__builtin_ctzll(~pg->map[w]);
			break;
		}
	}
	pg->map[idx / 64] |= (uint64_t)1 << (idx % 64);
	if (--pg->nfree == 0)
		heap_partial_del(h, pg);
	h->bytes_in_use += heap_classes[c];
	h->blocks_in_use++;
	return (char *)pg + HEAP_HDR_SIZE + idx * heap_classes[c];
}

static void *heap_alloc_large(struct heap *h, size_t n)
{
	size_t npages = heap_large_pages(n);
	struct heap_page *pg = heap_get_pages(h, npages);

	if (!pg)
		return NULL;
	memset(pg, 0, sizeof(*pg));
	pg->magic = HEAP_MAGIC_LARGE;
	pg->owner = h->owner;
	pg->npages = (uint32_t)npages;
	h->bytes_in_use += npages * HEAP_PAGE_SIZE;
	h->blocks_in_use++;
	return (char *)pg + HEAP_HDR_SIZE;
}

void heap_init(struct heap *h, const struct heap_ops *ops, unsigned owner)
{
	memset(h, 0, sizeof(*h));
	h->ops = *ops;
	h->owner = owner;
}

void *heap_alloc(struct heap *h, size_t n)
{
	/* Like glibc, 0 bytes still gets a distinct block, one that can be freed. */
	if (n == 0)
		n = 1;
	if (n <= HEAP_MAX_SMALL)
		return heap_alloc_small(h, n);
	if (n > HEAP_MAX_ALLOC)
		return NULL;
	return heap_alloc_large(h, n);
}

void *heap_calloc(struct heap *h, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = heap_alloc(h, n * size);
	/* Pages come from ops in any state, and slab objects may have been used before. */
	if (p)
		memset(p, 0, n * size);
	return p;
}

int heap_free(struct heap *h, void *p)
{
	struct heap_page *pg;
	size_t idx;

	if (!p)
		return 0;
	pg = heap_lookup_live(h, p, &idx);
	if (!pg)
		return -EINVAL;
	if (pg->magic == HEAP_MAGIC_LARGE) {
		h->bytes_in_use -= (size_t)pg->npages * HEAP_PAGE_SIZE;
		h->blocks_in_use--;
		heap_put_pages(h, pg, pg->npages);
		return 0;
	}
	pg->map[idx / 64] &= ~((uint64_t)1 << (idx % 64));
	h->bytes_in_use -= heap_classes[pg->class_idx];
	h->blocks_in_use--;
	if (++pg->nfree == pg->nobj) {
		/* Empty: it was on the partial list (nobj > 1); give the page back. */
		heap_partial_del(h, pg);
		heap_put_pages(h, pg, 1);
	} else if (pg->nfree == 1) {
		/* It was full, so off the list; now it has room again. */
		heap_partial_add(h, pg);
	}
	return 0;
}

size_t heap_usable_size(const void *p)
{
	size_t idx;
	const struct heap_page *pg = heap_lookup(p, &idx);

	if (!pg)
		return 0;
	if (pg->magic == HEAP_MAGIC_LARGE)
		return (size_t)pg->npages * HEAP_PAGE_SIZE - HEAP_HDR_SIZE;
	return heap_classes[pg->class_idx];
}

int heap_block_owner(const void *p)
{
	size_t idx;
	const struct heap_page *pg = heap_lookup(p, &idx);

	if (!pg || pg->owner > INT32_MAX)
		return -EINVAL;
	return (int)pg->owner;
}

void *heap_realloc(struct heap *h, void *p, size_t n)
{
	struct heap_page *pg;
	size_t idx, old;
	void *q;

	if (!p)
		return heap_alloc(h, n);
	if (n == 0) {
		heap_free(h, p);
		return NULL;
	}
	pg = heap_lookup_live(h, p, &idx);
	if (!pg || n > HEAP_MAX_ALLOC)
		return NULL;
	old = heap_usable_size(p);
	/* Same class, or same page count: the block already is what a new one would be. */
	if (pg->magic == HEAP_MAGIC_SLAB && n <= HEAP_MAX_SMALL &&
	    heap_class_of(n) == pg->class_idx)
		return p;
	if (pg->magic == HEAP_MAGIC_LARGE && n > HEAP_MAX_SMALL &&
	    heap_large_pages(n) == pg->npages)
		return p;
	q = heap_alloc(h, n);
	if (!q)
		/* Shrinking never fails: the old block still holds n bytes. */
		return n <= old ? p : NULL;
	memcpy(q, p, n < old ? n : old);
	heap_free(h, p);
	return q;
}

void heap_stats(const struct heap *h, struct heap_stats *out)
{
	out->bytes_in_use = h->bytes_in_use;
	out->blocks_in_use = h->blocks_in_use;
	out->pages_held = h->pages_held;
}
