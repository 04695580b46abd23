/* SPDX-License-Identifier: MIT */
/*
 * From the VMM's memory map to the ranges the page allocator may use.
 */
#ifndef LIB_MEMMAP_H
#define LIB_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/pvh.h"

#define MEMMAP_PAGE 4096u

/* A half-open physical range [start, end). */
struct mem_range {
	uint64_t start; /* first byte */
	uint64_t end; /* one past the last byte */
};

/*
 * Computes the usable memory: every RAM entry, minus every byte that a non-RAM
 * entry also claims, minus the `resv` ranges, shrunk to whole pages, sorted and
 * merged. Entries with a zero size or that wrap around 2^64 are ignored. Writes at
 * most `cap` ranges to `out` and returns how many; *truncated tells whether more
 * would have been found (the highest ones are then missing).
 */
size_t memmap_usable(const struct hvm_memmap_table_entry *map, size_t n,
		     const struct mem_range *resv, size_t nresv, struct mem_range *out,
		     size_t cap, bool *truncated);

/*
 * Sum of the sizes of the RAM entries, overlaps counted once (exact for maps of up
 * to 64 disjoint RAM ranges, a lower bound beyond), in bytes.
 */
uint64_t memmap_ram_bytes(const struct hvm_memmap_table_entry *map, size_t n);

#endif
