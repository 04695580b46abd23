/* SPDX-License-Identifier: MIT */
/*
 * The kernel's page tables: 4-level x86-64 paging (Intel SDM vol. 3, 4.5) with an
 * identity map. RAM is mapped with 2 MiB pages where alignment allows and 4 KiB
 * pages elsewhere; a 2 MiB page is split when part of it needs other rights (the
 * kernel image: text read-only and executable, the rest not executable) or must
 * go (guard pages under stacks). Table pages come from the page allocator.
 */
#include "kernel/kmem.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/kstring.h"
#include "platform/platform.h"
#include "toro/errno.h"

#define PTE_P (1ull << 0) /* present */
#define PTE_W (1ull << 1) /* writable */
#define PTE_PWT (1ull << 3) /* write-through */
#define PTE_PCD (1ull << 4) /* cache disable */
#define PTE_PS (1ull << 7) /* 2 MiB page (in a page directory) */
#define PTE_NX (1ull << 63) /* no execute (needs EFER.NXE) */
#define PTE_ADDR 0x000ffffffffff000ull
#define LARGE_PAGE (2ull << 20)
#define LOW_MEMORY (1ull << 20)

static uint64_t *pml4;
static bool vm_live; /* the kernel's tables are loaded: changes need a TLB flush */

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

static uint64_t pte_flags(unsigned flags)
{
	uint64_t f = PTE_P;

	if (flags & VM_W)
		f |= PTE_W;
	if (!(flags & VM_X) && boot_nx)
		f |= PTE_NX;
	if (flags & VM_UC)
		f |= PTE_PCD | PTE_PWT;
	return f;
}

static size_t table_pages; /* pages holding page tables (never freed) */

size_t vm_table_pages(void)
{
	return table_pages;
}

static uint64_t *table_alloc(void)
{
	uint64_t *t = kmem_pages_alloc(1);

	if (t) {
		memset(t, 0, PAGE_SIZE);
		table_pages++;
	}
	return t;
}

/* The table an entry points to, created if `create`; NULL if absent or no memory. */
static uint64_t *next_table(uint64_t *table, unsigned idx, bool create)
{
	if (table[idx] & PTE_P)
		return (uint64_t *)(uintptr_t)(table[idx] & PTE_ADDR);
	if (!create)
		return NULL;
	uint64_t *t = table_alloc();

	/* Rights are decided at the leaf: intermediate levels allow everything. */
	if (t)
		table[idx] = (uintptr_t)t | PTE_P | PTE_W;
	return t;
}

/* Replaces a 2 MiB page by a table of 512 small pages with the same rights. */
static int split_large(uint64_t *pde)
{
	uint64_t *pt = table_alloc();
	uint64_t base = *pde & PTE_ADDR & ~(LARGE_PAGE - 1);
	uint64_t flags = *pde & (PTE_P | PTE_W | PTE_PWT | PTE_PCD | PTE_NX);

	if (!pt)
		return -ENOMEM;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
	*pde = (uintptr_t)pt | PTE_P | PTE_W;
	return 0;
}

/* The page directory covering va, or NULL. */
static uint64_t *page_dir(uintptr_t va, bool create)
{
	uint64_t *pdpt = next_table(pml4, (va >> 39) & 511, create);

	return pdpt ? next_table(pdpt, (va >> 30) & 511, create) : NULL;
}

static void flush(uintptr_t va)
{
	if (vm_live)
		invlpg(va);
}

/* Page-table changes from several CPUs are serialised. */
static struct spinlock vm_lock = SPINLOCK_INIT;

static int map_locked(uintptr_t va, uint64_t pa, size_t size, unsigned flags);
static void unmap_locked(uintptr_t va, size_t size);

int vm_map(uintptr_t va, uint64_t pa, size_t size, unsigned flags)
{
	bool on = spin_lock(&vm_lock);
	int r = map_locked(va, pa, size, flags);

	spin_unlock(&vm_lock, on);
	return r;
}

void vm_unmap(uintptr_t va, size_t size)
{
	bool on = spin_lock(&vm_lock);

	unmap_locked(va, size);
	spin_unlock(&vm_lock, on);
}

static int map_locked(uintptr_t va, uint64_t pa, size_t size, unsigned flags)
{
	uint64_t f = pte_flags(flags);
	uintptr_t end = (va + size + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);

	va &= ~(uintptr_t)(PAGE_SIZE - 1);
	pa &= ~(uint64_t)(PAGE_SIZE - 1);
	while (va < end) {
		uint64_t *pd = page_dir(va, true);
		unsigned pdi = (va >> 21) & 511;

		if (!pd)
			return -ENOMEM;
		if (!(va & (LARGE_PAGE - 1)) && !(pa & (LARGE_PAGE - 1)) &&
		    end - va >= LARGE_PAGE &&
		    !((pd[pdi] & PTE_P) && !(pd[pdi] & PTE_PS))) {
			pd[pdi] = pa | f | PTE_PS;
			flush(va);
			va += LARGE_PAGE;
			pa += LARGE_PAGE;
			continue;
		}
		if ((pd[pdi] & PTE_PS) && split_large(&pd[pdi]))
			return -ENOMEM;
		uint64_t *pt = next_table(pd, pdi, true);
		/* The rest of this page table in one go. */
		uintptr_t stop = (va | (LARGE_PAGE - 1)) + 1;

		if (!pt)
			return -ENOMEM;
		if (stop > end || stop == 0)
			stop = end;
		for (; va < stop; va += PAGE_SIZE, pa += PAGE_SIZE) {
			pt[(va >> 12) & 511] = pa | f;
			flush(va);
		}
	}
	return 0;
}

static void unmap_locked(uintptr_t va, size_t size)
{
	uintptr_t end = va + size;

	for (va &= ~(uintptr_t)(PAGE_SIZE - 1); va < end; va += PAGE_SIZE) {
		uint64_t *pd = page_dir(va, false);
		unsigned pdi = (va >> 21) & 511;

		if (!pd || !(pd[pdi] & PTE_P))
			continue;
		if ((pd[pdi] & PTE_PS) && split_large(&pd[pdi]))
			panic("no memory to split a page for unmapping %#lx", va);
		uint64_t *pt = (uint64_t *)(uintptr_t)(pd[pdi] & PTE_ADDR);

		pt[(va >> 12) & 511] = 0;
		flush(va);
	}
}

bool vm_query(uintptr_t va, unsigned *flags)
{
	uint64_t *pd = page_dir(va, false);
	unsigned pdi = (va >> 21) & 511;
	uint64_t e;

	if (!pd || !(pd[pdi] & PTE_P))
		return false;
	e = pd[pdi];
	if (!(e & PTE_PS)) {
		e = ((uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 12) & 511];
		if (!(e & PTE_P))
			return false;
	}
	*flags = (e & PTE_W ? VM_W : 0) | (e & PTE_NX ? 0 : VM_X) |
		 (e & PTE_PCD ? VM_UC : 0);
	return true;
}

static void must_map(uintptr_t start, uintptr_t end, unsigned flags)
{
	if (start < end && vm_map(start, start, end - start, flags))
		panic("out of memory while building the page tables");
}

void vm_init(void)
{
	pml4 = table_alloc();
	if (!pml4)
		panic("out of memory while building the page tables");
	/* All RAM, not executable. Page 0 stays unmapped so NULL faults. */
	for (size_t i = 0; i < boot_info.memmap_entries; i++) {
		const struct hvm_memmap_table_entry *e = &boot_info.memmap[i];
		uint64_t s = e->addr, end = e->addr + e->size;

		if (e->type != HVM_MEMMAP_TYPE_RAM || end <= s)
			continue;
		must_map(s < PAGE_SIZE ? PAGE_SIZE : s, end, VM_W);
	}
	/* Low memory also holds firmware tables (ACPI, MP) outside RAM entries. */
	must_map(PAGE_SIZE, LOW_MEMORY, VM_W);
	/* The image: text read-only and executable, rodata read-only, the rest data. */
	must_map((uintptr_t)__image_start, (uintptr_t)__text_end, VM_X);
	must_map((uintptr_t)__text_end, (uintptr_t)__rodata_end, 0);
	must_map((uintptr_t)__rodata_end, (uintptr_t)__image_end, VM_W);
	/* Guard pages: an overflow faults instead of corrupting what lies below. */
	vm_unmap((uintptr_t)boot_stack_guard, PAGE_SIZE);
	vm_unmap(arch_ist_guard(), PAGE_SIZE);
	write_cr3((uintptr_t)pml4);
	vm_live = true;
}
