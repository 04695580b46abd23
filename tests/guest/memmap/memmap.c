/* SPDX-License-Identifier: MIT */
/*
 * The memory map as QEMU gives it and as the kernel uses it. The runner boots
 * this image with --mem 96M (tests/guest/memmap/args).
 */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "kernel/kmem.h"
#include "platform/platform.h"

extern char __image_start[], __image_end[];

KTEST(memmap, ram_matches_mem_option)
{
	uint64_t ram = memmap_ram_bytes(boot_info.memmap, boot_info.memmap_entries);

	/* QEMU keeps the top of the first 640 KiB (EBDA) and the BIOS area. */
	KEXPECT_LE(ram, 96ull << 20);
	KEXPECT_GE(ram, (96ull << 20) - (512ull << 10));
}

KTEST(memmap, image_lies_in_ram)
{
	bool found = false;

	for (size_t i = 0; i < boot_info.memmap_entries; i++) {
		const struct hvm_memmap_table_entry *e = &boot_info.memmap[i];

		if (e->type == HVM_MEMMAP_TYPE_RAM &&
		    e->addr <= (uintptr_t)__image_start &&
		    e->addr + e->size >= (uintptr_t)__image_end)
			found = true;
	}
	KEXPECT_TRUE(found);
}

KTEST(memmap, usable_ranges_sorted_aligned_disjoint)
{
	const struct mem_range *r;
	size_t n = kmem_ranges(&r);

	KEXPECT_GE(n, 1);
	for (size_t i = 0; i < n; i++) {
		KEXPECT_LT(r[i].start, r[i].end);
		KEXPECT_EQ(r[i].start % 4096, 0);
		KEXPECT_EQ(r[i].end % 4096, 0);
		if (i)
			KEXPECT_GT(r[i].start, r[i - 1].end - 1);
	}
}

KTEST(memmap, usable_excludes_low_memory_and_image)
{
	const struct mem_range *r;
	size_t n = kmem_ranges(&r);

	for (size_t i = 0; i < n; i++) {
		KEXPECT_GE(r[i].start, 1u << 20);
		KEXPECT_TRUE(r[i].end <= (uintptr_t)__image_start ||
			     r[i].start >= (uintptr_t)__image_end);
	}
}

KTEST(memmap, usable_pages_are_ram)
{
	const struct mem_range *r;
	size_t n = kmem_ranges(&r);

	for (size_t i = 0; i < n; i++) {
		bool inside = false;

		for (size_t j = 0; j < boot_info.memmap_entries; j++) {
			const struct hvm_memmap_table_entry *e = &boot_info.memmap[j];

			if (e->type == HVM_MEMMAP_TYPE_RAM && e->addr <= r[i].start &&
			    e->addr + e->size >= r[i].end)
				inside = true;
		}
		KEXPECT_TRUE(inside);
	}
}

KTEST(memmap, rsdp_present_with_acpi)
{
	/* microvm's default is acpi=on, which gives an RSDP in low memory. */
	KEXPECT_NE(boot_info.rsdp, 0);
	KEXPECT_LT(boot_info.rsdp, 1u << 20);
}

KTEST(memmap, page_tables_protect_the_image)
{
	extern char __text_end[], __rodata_end[], boot_stack_guard[];
	unsigned f;

	KEXPECT_FALSE(vm_query(0, &f)); /* NULL faults */
	KEXPECT_FALSE(vm_query((uintptr_t)boot_stack_guard, &f));
	KEXPECT_TRUE(vm_query((uintptr_t)__image_start, &f));
	KEXPECT_EQ(f & (VM_W | VM_X), VM_X); /* text: read-only, executable */
	KEXPECT_TRUE(vm_query((uintptr_t)__text_end, &f));
	KEXPECT_EQ(f & (VM_W | VM_X), 0); /* rodata */
	KEXPECT_TRUE(vm_query((uintptr_t)__rodata_end, &f));
	KEXPECT_EQ(f & (VM_W | VM_X), VM_W); /* data */
	KEXPECT_TRUE(vm_query((95u << 20), &f)); /* top of RAM */
	KEXPECT_EQ(f & (VM_W | VM_X), VM_W);
}
