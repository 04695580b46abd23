/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/heap.c over a small lib/pagealloc arena.
 *
 * The input is a list of 4-byte operations: [op, slot, size lo, size hi]. op % 8
 * picks alloc, free, realloc, calloc, a bad free (misaligned or interior pointer,
 * which must be refused) or a double free of a slot's last block (refused while the
 * page is still a slab or large block of ours). A shadow table remembers what each
 * slot must hold; every operation checks the blocks it touches, and at the end all
 * blocks are checked for overlap and contents, freed, and the heap and arena
 * counters must be back at zero. Any broken invariant aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/heap.h"
#include "lib/pagealloc.h"
#include "toro/errno.h"

#define FZ_PAGES 48 /* arena size: small, so allocations run out */
#define FZ_SLOTS 32 /* blocks live at once */

struct fz_slot {
	uint8_t *p; /* the block, or NULL */
	size_t n; /* bytes the caller asked for */
	uint8_t tag; /* fill byte seed */
};

/* The arena. Freed pages stay readable, so stale pointers can be handed back. */
static uint8_t fz_mem[FZ_PAGES * 4096] __attribute__((aligned(4096)));
static uint64_t fz_bitmap[(FZ_PAGES + 63) / 64]; /* for fz_pa */
static struct pagealloc fz_pa; /* hands out fz_mem's pages */

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

static void *fz_page_alloc(void *ctx, size_t npages)
{
	return (void *)(uintptr_t)pagealloc_alloc(ctx, npages, 1);
}

static void fz_page_free(void *ctx, void *p, size_t npages)
{
	FZ_ASSERT(pagealloc_free(ctx, (uint64_t)(uintptr_t)p, npages) == 0);
}

static uint8_t fz_byte(uint8_t tag, size_t i)
{
	return (uint8_t)(tag + i * 13 + (i >> 9));
}

static void fz_fill(struct fz_slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->p[i] = fz_byte(s->tag, i);
}

static void fz_verify(const struct fz_slot *s, size_t n)
{
	for (size_t i = 0; i < n && i < s->n; i++)
		FZ_ASSERT(s->p[i] == fz_byte(s->tag, i));
}

/* A new block must be aligned, big enough, ours, and clear of every other block. */
static void fz_check_new(const struct fz_slot *slots, int self, const uint8_t *p,
			 size_t n)
{
	size_t u = heap_usable_size(p);

	FZ_ASSERT((uintptr_t)p % HEAP_ALIGN == 0);
	FZ_ASSERT(u >= n);
	FZ_ASSERT(heap_block_owner(p) == 1);
	FZ_ASSERT((uintptr_t)p >= (uintptr_t)fz_mem &&
		  (uintptr_t)p + u <= (uintptr_t)fz_mem + FZ_PAGES * 4096);
	for (int i = 0; i < FZ_SLOTS; i++) {
		const uint8_t *q = slots[i].p;

		if (i == self || !q)
			continue;
		FZ_ASSERT(p + u <= q || q + heap_usable_size(q) <= p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_slot slots[FZ_SLOTS] = { 0 };
	uint8_t *last_freed = NULL;
	struct heap_ops ops = { fz_page_alloc, fz_page_free, &fz_pa };
	struct heap h;
	struct heap_stats st;
	uint64_t base;

	base = (uint64_t)(uintptr_t)fz_mem;
	pagealloc_init(&fz_pa, base, FZ_PAGES, fz_bitmap);
	FZ_ASSERT(pagealloc_add_range(&fz_pa, base, base + FZ_PAGES * 4096) == 0);
	heap_init(&h, &ops, 1);

	for (size_t off = 0; off + 4 <= size; off += 4) {
		uint8_t op = data[off] % 8;
		int k = data[off + 1] % FZ_SLOTS;
		struct fz_slot *s = &slots[k];
		/* Sizes up to 16 KiB (4 pages), half of the time up to 2 KiB. */
		size_t n = ((size_t)data[off + 2] | (size_t)data[off + 3] << 8) & 0x3fff;
		uint8_t *q;

		if (data[off + 1] & 0x80)
			n &= 0x7ff;
		switch (op) {
		case 0: /* alloc */
		case 1:
		case 6: /* calloc */
			if (s->p)
				break;
			q = op == 6 ? heap_calloc(&h, n % 7 + 1, n / 7) :
				      heap_alloc(&h, n);
			if (op == 6)
				n = (n % 7 + 1) * (n / 7);
			if (!q)
				break;
			fz_check_new(slots, k, q, n);
			for (size_t i = 0; op == 6 && i < n; i++)
				FZ_ASSERT(q[i] == 0);
			s->p = q;
			s->n = n;
			s->tag = data[off + 2];
			fz_fill(s);
			break;
		case 2: /* free */
			if (!s->p)
				break;
			fz_verify(s, s->n);
			FZ_ASSERT(heap_free(&h, s->p) == 0);
			last_freed = s->p;
			s->p = NULL;
			break;
		case 3: /* realloc */
		case 7:
			if (!s->p)
				break;
			fz_verify(s, s->n);
			q = heap_realloc(&h, s->p, n);
			if (n == 0) {
				FZ_ASSERT(!q);
				last_freed = s->p;
				s->p = NULL;
				break;
			}
			if (!q) {
				/* Failure keeps the block; shrinking never fails. */
				FZ_ASSERT(n > heap_usable_size(s->p));
				fz_verify(s, s->n);
				break;
			}
			if (q != s->p)
				last_freed = s->p;
			s->p = q;
			fz_check_new(slots, k, q, n);
			fz_verify(s, n);
			s->n = n;
			s->tag = data[off + 3];
			fz_fill(s);
			break;
		case 4: /* pointers that are not a block start are refused */
			if (!s->p)
				break;
			FZ_ASSERT(heap_free(&h, s->p + 1 + n % 15) == -EINVAL);
			if (heap_usable_size(s->p) > HEAP_MAX_SMALL)
				FZ_ASSERT(heap_free(&h, s->p + 16 * (1 + n % 8)) ==
					  -EINVAL);
			fz_verify(s, s->n);
			break;
		case 5: /* double free: refused unless the spot was handed out again */
			if (!last_freed)
				break;
			{
				bool live = false;

				for (int i = 0; i < FZ_SLOTS; i++)
					live |= slots[i].p == last_freed;
				if (!live)
					FZ_ASSERT(heap_free(&h, last_freed) == -EINVAL);
			}
			break;
		}
		heap_stats(&h, &st);
		FZ_ASSERT(st.pages_held == pagealloc_used_pages(&fz_pa));
	}

	for (int i = 0; i < FZ_SLOTS; i++) {
		if (!slots[i].p)
			continue;
		fz_check_new(slots, i, slots[i].p, slots[i].n);
		fz_verify(&slots[i], slots[i].n);
	}
	for (int i = 0; i < FZ_SLOTS; i++)
		FZ_ASSERT(heap_free(&h, slots[i].p) == 0);
	heap_stats(&h, &st);
	FZ_ASSERT(st.bytes_in_use == 0 && st.blocks_in_use == 0 && st.pages_held == 0);
	FZ_ASSERT(pagealloc_used_pages(&fz_pa) == 0);
	FZ_ASSERT(pagealloc_free_pages(&fz_pa) == FZ_PAGES);
	return 0;
}
