/* SPDX-License-Identifier: MIT */
/*
 * Kernel memory: the physical page allocator, the per-CPU heaps, the kernel's page
 * tables (identity map: virtual == physical), and the registry of stacks that
 * exception reports and backtraces rely on.
 */
#ifndef KERNEL_KMEM_H
#define KERNEL_KMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/memmap.h"

#define KMEM_MAX_RANGES 64 /* usable RAM ranges tracked */

/* Builds the page allocator from the memory map, the page tables and CPU 0's heap.
 * Ends the VM with "not enough memory: need N KiB, have M KiB" when RAM is short. */
void kmem_init(void);

/* Sets up the calling CPU's heap. */
void kmem_cpu_init(int cpu);
/* Frees the blocks other CPUs gave back to this CPU's heap. */
void kmem_drain_remote(void);

/* Usable RAM ranges as the page allocator got them (sorted, disjoint). */
size_t kmem_ranges(const struct mem_range **out);

/* Pages for kernel use; NULL when memory is exhausted. */
void *kmem_pages_alloc(size_t npages);
void kmem_pages_free(void *p, size_t npages);

/* Mapping flags for vm_map (present and not executable unless VM_X). */
#define VM_W (1u << 0) /* writable */
#define VM_X (1u << 1) /* executable */
#define VM_UC (1u << 2) /* uncached: device registers (MMIO) */

/* Maps [pa, pa+size) at va == pa (identity), page-granular. 0 or -ENOMEM. */
int vm_map(uintptr_t va, uint64_t pa, size_t size, unsigned flags);
/* Removes the mapping of whole pages in [va, va+size). */
void vm_unmap(uintptr_t va, size_t size);
/* Pages the page tables take; they grow when a 2 MiB page is split, never shrink. */
size_t vm_table_pages(void);
/* Whether va is mapped, and if so with which VM_ flags. */
bool vm_query(uintptr_t va, unsigned *flags);
/* Builds the kernel's page tables and switches to them (called by kmem_init). */
void vm_init(void);

/* A stack known to the kernel: frames inside it can be walked, and its guard page
 * (the page just below lo, left unmapped) identifies overflows. */
struct kstack {
	uintptr_t lo; /* lowest usable address */
	uintptr_t hi; /* one past the highest */
	const char *name; /* shown in reports */
};
void kmem_stack_register(uintptr_t lo, uintptr_t hi, const char *name);
const struct kstack *kmem_stack_containing(uintptr_t addr);
const struct kstack *kmem_stack_guard_hit(uintptr_t addr);

#endif
