/* SPDX-License-Identifier: MIT */
/*
 * Kernel memory set-up and the allocation entry points.
 *
 * Physical pages: one bitmap allocator (lib/pagealloc) over the usable RAM the
 * memory map describes, minus low memory (firmware tables live there) and the
 * image. Heaps: one lib/heap per CPU, fed with pages from that allocator, so that
 * malloc never takes a lock; each block records its owner CPU for remote frees.
 */
#include "kernel/kmem.h"

#include <stdatomic.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "lib/heap.h"
#include "lib/kstring.h"
#include "lib/pagealloc.h"
#include "platform/platform.h"
#include "toro/toro.h"

/* Below this much free memory after set-up, the kernel refuses to boot. */
#define KMEM_MIN_FREE (256 * 1024)
#define LOW_MEMORY (1ull << 20)
#define EARLY_MAPPED (1ull << 30) /* what entry.S maps */

static struct pagealloc pages;
static struct heap heaps[PCPU_MAX];
static struct mem_range ranges[KMEM_MAX_RANGES];
static size_t nranges;
static struct kstack stacks[PCPU_MAX + 8];
static size_t nstacks;

extern char __image_start[], __image_end[];

size_t kmem_ranges(const struct mem_range **out)
{
	*out = ranges;
	return nranges;
}

/*
 * Pages. The bitmap allocator is shared by every CPU behind a lock; in front of
 * it each CPU keeps a small stack of single pages (what heap slabs, page tables
 * and thread stacks mostly take), refilled and drained in batches, so that a CPU
 * rarely takes the lock. Runs of pages go to the shared allocator directly.
 */
#define PAGE_CACHE_MAX 64 /* pages a CPU keeps */
#define PAGE_CACHE_BATCH 16 /* pages moved to or from the shared allocator at once */

struct page_cache {
	uint64_t page[PAGE_CACHE_MAX]; /* free pages, most recently freed last */
	int n; /* pages in page[] */
};

static struct spinlock pages_lock = SPINLOCK_INIT;
static struct page_cache caches[PCPU_MAX];

static void *shared_alloc(size_t npages)
{
	bool on = spin_lock(&pages_lock);
	uint64_t pa = pagealloc_alloc(&pages, npages, 1);

	spin_unlock(&pages_lock, on);
	return (void *)(uintptr_t)pa;
}

static void shared_free(uint64_t pa, size_t npages)
{
	bool on = spin_lock(&pages_lock);
	int r = pagealloc_free(&pages, pa, npages);

	spin_unlock(&pages_lock, on);
	if (r)
		panic("freeing %zu pages at %#lx that are not allocated", npages, pa);
}

void *kmem_pages_alloc(size_t npages)
{
	if (npages != 1)
		return shared_alloc(npages);
	bool on = irq_save();
	struct page_cache *c = &caches[pcpu_id()];

	if (c->n == 0) {
		bool l = spin_lock(&pages_lock);

		c->n = (int)pagealloc_alloc_pages(&pages, c->page, PAGE_CACHE_BATCH);
		spin_unlock(&pages_lock, l);
	}
	uint64_t pa = c->n ? c->page[--c->n] : 0;

	irq_restore(on);
	return (void *)(uintptr_t)pa;
}

void kmem_pages_free(void *p, size_t npages)
{
	uint64_t pa = (uintptr_t)p;

	if (!p)
		return;
	if (npages != 1 || (pa & (PAGE_SIZE - 1))) {
		shared_free(pa, npages);
		return;
	}
	bool on = irq_save();
	struct page_cache *c = &caches[pcpu_id()];

	/* A page freed twice in a row would be handed out twice: catch that much. */
	for (int i = 0; i < c->n; i++)
		if (c->page[i] == pa)
			panic("freeing the page at %p twice", p);
	if (c->n == PAGE_CACHE_MAX) {
		bool l = spin_lock(&pages_lock);

		while (c->n > PAGE_CACHE_MAX - PAGE_CACHE_BATCH)
			if (pagealloc_free(&pages, c->page[--c->n], 1))
				panic("a cached page at %#lx was not allocated",
				      c->page[c->n]);
		spin_unlock(&pages_lock, l);
	}
	c->page[c->n++] = pa;
	irq_restore(on);
}

/* Pages sitting in the CPUs' caches: free, although the shared allocator lent them. */
static size_t cached_pages(void)
{
	size_t n = 0;

	for (int i = 0; i < PCPU_MAX; i++)
		n += (size_t)caches[i].n;
	return n;
}

static void *heap_page_alloc(void *ctx, size_t npages)
{
	(void)ctx;
	return kmem_pages_alloc(npages);
}

static void heap_page_free(void *ctx, void *p, size_t npages)
{
	(void)ctx;
	kmem_pages_free(p, npages);
}

static _Noreturn void not_enough_memory(uint64_t need)
{
	uint64_t have = memmap_ram_bytes(boot_info.memmap, boot_info.memmap_entries);

	printk("not enough memory: need %llu KiB, have %llu KiB\n",
	       (unsigned long long)(need / 1024), (unsigned long long)(have / 1024));
	plat_exit(TORO_EXIT_PANIC);
}

void kmem_init(void)
{
	const struct mem_range resv[] = {
		{ 0, LOW_MEMORY },
		{ (uintptr_t)__image_start, (uintptr_t)__image_end },
	};
	uint64_t image_need = (uintptr_t)__image_end + KMEM_MIN_FREE;
	bool cut;

	nranges = memmap_usable(boot_info.memmap, boot_info.memmap_entries, resv, 2,
				ranges, KMEM_MAX_RANGES, &cut);
	if (cut)
		printk("kmem: more than %d RAM ranges, using the lowest\n",
		       KMEM_MAX_RANGES);
	if (nranges == 0)
		not_enough_memory(image_need);

	/* The bitmap covers lowest to highest usable page; it goes in the first range
	 * with room, which must be reachable through the early page tables. */
	uint64_t base = ranges[0].start, end = ranges[nranges - 1].end;
	size_t npages = (size_t)((end - base) / PAGE_SIZE);
	uint64_t bytes = (pagealloc_bitmap_bytes(npages) + PAGE_SIZE - 1) &
			 ~(uint64_t)4095;
	uint64_t *bitmap = NULL;

	for (size_t i = 0; i < nranges && !bitmap; i++)
		if (ranges[i].end - ranges[i].start >= bytes &&
		    ranges[i].start + bytes <= EARLY_MAPPED)
			bitmap = (uint64_t *)(uintptr_t)ranges[i].start;
	if (!bitmap)
		not_enough_memory(image_need + bytes);
	pagealloc_init(&pages, base, npages, bitmap);
	for (size_t i = 0; i < nranges; i++)
		pagealloc_add_range(&pages, ranges[i].start, ranges[i].end);
	pagealloc_reserve(&pages, (uintptr_t)bitmap, (uintptr_t)bitmap + bytes);
	if (pagealloc_free_pages(&pages) * PAGE_SIZE < KMEM_MIN_FREE)
		not_enough_memory(image_need + bytes);
	boot_mark("pages", -1);

	kmem_stack_register((uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top,
			    "boot stack");
	vm_init();
	boot_mark("pagetables", -1);
	kmem_cpu_init(0);
	boot_mark("heap", -1);
}

void kmem_cpu_init(int cpu)
{
	const struct heap_ops ops = { heap_page_alloc, heap_page_free, NULL };

	heap_init(&heaps[cpu], &ops, (unsigned)cpu);
}

void kmem_stack_register(uintptr_t lo, uintptr_t hi, const char *name)
{
	KASSERT(nstacks < sizeof(stacks) / sizeof(stacks[0]));
	stacks[nstacks].lo = lo;
	stacks[nstacks].hi = hi;
	stacks[nstacks].name = name;
	nstacks++;
}

static bool in_stack(const struct kstack *s, uintptr_t a)
{
	return a >= s->lo && a < s->hi;
}

/* The guard page is the unmapped page just below the stack. */
static bool in_guard(const struct kstack *s, uintptr_t a)
{
	return a >= s->lo - PAGE_SIZE && a < s->lo;
}

/* The registered stacks, then the running thread's. */
static const struct kstack *stack_find(uintptr_t a,
				       bool (*match)(const struct kstack *, uintptr_t))
{
	const struct kstack *t = sched_current_stack();

	for (size_t i = 0; i < nstacks; i++)
		if (match(&stacks[i], a))
			return &stacks[i];
	return t && match(t, a) ? t : NULL;
}

const struct kstack *kmem_stack_containing(uintptr_t addr)
{
	return stack_find(addr, in_stack);
}

const struct kstack *kmem_stack_guard_hit(uintptr_t addr)
{
	return stack_find(addr, in_guard);
}

/* ---- the application's view -------------------------------------------------- */

/*
 * Remote frees. A block freed on a CPU that does not own it is pushed on its
 * owner's lock-free list (a Treiber stack: the block's first word links it; every
 * block has at least 16 bytes). The owner takes the whole list with one exchange
 * and frees the blocks into its heap when it next allocates or frees, or idles.
 * Only the owner pops, and it pops everything at once, so there is no ABA.
 */
static void *_Atomic remote_free[PCPU_MAX];

static void own_free(void *p)
{
	/* glibc aborts on a bad free; a unikernel stops with a report instead. */
	if (heap_free(&heaps[pcpu_id()], p))
		panic("free(): invalid pointer %p", p);
}

void kmem_drain_remote(void)
{
	void *p = atomic_exchange_explicit(&remote_free[pcpu_id()], NULL,
					   memory_order_acquire);

	while (p) {
		void *next = *(void **)p;

		own_free(p);
		p = next;
	}
}

void *malloc(size_t n)
{
	kmem_drain_remote();
	return heap_alloc(&heaps[pcpu_id()], n);
}

void *calloc(size_t n, size_t size)
{
	kmem_drain_remote();
	return heap_calloc(&heaps[pcpu_id()], n, size);
}

void *realloc(void *p, size_t n)
{
	int owner = p ? heap_block_owner(p) : pcpu_id();

	if (owner < 0 || owner >= toro_ncpus())
		panic("realloc(): invalid pointer %p", p);
	if (owner == pcpu_id())
		return heap_realloc(&heaps[owner], p, n);
	/* Another CPU's block: move it into this CPU's heap. */
	void *q = n ? malloc(n) : NULL;

	if (n && !q)
		return NULL;
	if (q)
		memcpy(q, p, heap_usable_size(p) < n ? heap_usable_size(p) : n);
	free(p);
	return q;
}

void free(void *p)
{
	int owner;

	if (!p)
		return;
	owner = heap_block_owner(p);
	if (owner < 0 || owner >= toro_ncpus())
		panic("free(): invalid pointer %p", p);
	if (owner == pcpu_id()) {
		kmem_drain_remote();
		own_free(p);
		return;
	}
	void *head = atomic_load_explicit(&remote_free[owner], memory_order_relaxed);

	/* Release: the owner must see the link written before the block is reachable. */
	do
		*(void **)p = head;
	while (!atomic_compare_exchange_weak_explicit(&remote_free[owner], &head, p,
						      memory_order_release,
						      memory_order_relaxed));
}

void *toro_page_alloc(size_t npages)
{
	return kmem_pages_alloc(npages);
}

void toro_page_free(void *p, size_t npages)
{
	kmem_pages_free(p, npages);
}

void toro_memstats(struct toro_memstats *st)
{
	struct heap_stats hs;

	st->pages_total = pagealloc_free_pages(&pages) + pagealloc_used_pages(&pages);
	/* Page tables are the kernel's, not a leak of whoever split a large page. */
	st->pages_used = pagealloc_used_pages(&pages) - vm_table_pages() - cached_pages();
	st->pages_tables = vm_table_pages();
	st->heap_bytes = 0;
	st->heap_blocks = 0;
	for (int cpu = 0; cpu < toro_ncpus(); cpu++) {
		heap_stats(&heaps[cpu], &hs);
		st->heap_bytes += hs.bytes_in_use;
		st->heap_blocks += hs.blocks_in_use;
	}
}
