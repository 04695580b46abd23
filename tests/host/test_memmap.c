/* SPDX-License-Identifier: MIT */
#include "tests/host/check.h"

#include "lib/memmap.h"

#define RAM HVM_MEMMAP_TYPE_RAM
#define RES HVM_MEMMAP_TYPE_RESERVED
#define KiB 1024ull
#define MiB (1024ull * KiB)

/* QEMU microvm with -m 128M, as its PVH start info reports it. */
static const struct hvm_memmap_table_entry microvm_128m[] = {
	{ 0, 0x9fc00, RAM, 0 },		{ 0x9fc00, 0x400, RES, 0 },
	{ 0xf0000, 0x10000, RES, 0 },	{ 0x100000, 127 * MiB, RAM, 0 },
	{ 0xfeffc000, 0x4000, RES, 0 },
};

TEST(microvm_map)
{
	struct mem_range out[8];
	struct mem_range resv[] = { { 0, 1 * MiB },
				    { 1 * MiB, 1 * MiB + 300 * KiB + 5 } };
	bool trunc;

	size_t n = memmap_usable(microvm_128m, 5, resv, 2, out, 8, &trunc);

	CHECK_EQ(n, 1);
	CHECK(!trunc);
	CHECK_EQ(out[0].start, 1 * MiB + 304 * KiB);
	CHECK_EQ(out[0].end, 128 * MiB);
	CHECK_EQ(memmap_ram_bytes(microvm_128m, 5), 0x9fc00 + 127 * MiB);
}

TEST(partial_pages_dropped)
{
	struct hvm_memmap_table_entry map[] = { { 0x1800, 0x3000, RAM, 0 } };
	struct mem_range out[4];
	bool trunc;

	CHECK_EQ(memmap_usable(map, 1, NULL, 0, out, 4, &trunc), 1);
	CHECK_EQ(out[0].start, 0x2000);
	CHECK_EQ(out[0].end, 0x4000);
	map[0].size = 0x1000;
	CHECK_EQ(memmap_usable(map, 1, NULL, 0, out, 4, &trunc), 0);
}

TEST(unsorted_overlapping_ram_merges)
{
	struct hvm_memmap_table_entry map[] = {
		{ 8 * MiB, 4 * MiB, RAM, 0 },
		{ 1 * MiB, 2 * MiB, RAM, 0 },
		{ 2 * MiB, 7 * MiB, RAM, 0 },
	};
	struct mem_range out[4];
	bool trunc;

	CHECK_EQ(memmap_usable(map, 3, NULL, 0, out, 4, &trunc), 1);
	CHECK_EQ(out[0].start, 1 * MiB);
	CHECK_EQ(out[0].end, 12 * MiB);
	CHECK_EQ(memmap_ram_bytes(map, 3), 11 * MiB);
}

TEST(reserved_wins_over_ram)
{
	struct hvm_memmap_table_entry map[] = {
		{ 0, 16 * MiB, RAM, 0 },
		{ 4 * MiB + 10, 1, RES, 0 },
		{ 15 * MiB, 4 * MiB, HVM_MEMMAP_TYPE_ACPI, 0 },
	};
	struct mem_range out[4];
	bool trunc;

	CHECK_EQ(memmap_usable(map, 3, NULL, 0, out, 4, &trunc), 2);
	CHECK_EQ(out[0].start, 0);
	CHECK_EQ(out[0].end, 4 * MiB);
	CHECK_EQ(out[1].start, 4 * MiB + 4096);
	CHECK_EQ(out[1].end, 15 * MiB);
}

TEST(bogus_entries_ignored)
{
	struct hvm_memmap_table_entry map[] = {
		{ 0xfffffffffffff000ull, 0x2000, RAM, 0 }, /* wraps */
		{ 1 * MiB, 0, RAM, 0 }, /* empty */
		{ 2 * MiB, 1 * MiB, RAM, 0 },
		{ 0xfffffffffffff000ull, 0x2000, RES, 0 },
	};
	struct mem_range out[4];
	bool trunc;

	CHECK_EQ(memmap_usable(map, 4, NULL, 0, out, 4, &trunc), 1);
	CHECK_EQ(out[0].start, 2 * MiB);
	CHECK_EQ(out[0].end, 3 * MiB);
}

TEST(too_many_ranges_keeps_lowest)
{
	struct hvm_memmap_table_entry map[10];
	struct mem_range out[4];
	bool trunc;

	for (int i = 0; i < 10; i++) {
		map[i].addr = (uint64_t)(9 - i) * 2 * MiB;
		map[i].size = 1 * MiB;
		map[i].type = RAM;
		map[i].reserved = 0;
	}
	CHECK_EQ(memmap_usable(map, 10, NULL, 0, out, 4, &trunc), 4);
	CHECK(trunc);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(out[i].start, (uint64_t)i * 2 * MiB);
}

TEST(split_when_full)
{
	struct hvm_memmap_table_entry map[] = { { 0, 8 * MiB, RAM, 0 },
						{ 10 * MiB, 1 * MiB, RAM, 0 } };
	struct mem_range resv[] = { { 1 * MiB, 2 * MiB } };
	struct mem_range out[2];
	bool trunc;

	CHECK_EQ(memmap_usable(map, 2, resv, 1, out, 2, &trunc), 2);
	CHECK(trunc);
	CHECK_EQ(out[0].end, 1 * MiB);
	CHECK_EQ(out[1].start, 2 * MiB);
	CHECK_EQ(out[1].end, 8 * MiB);
}
