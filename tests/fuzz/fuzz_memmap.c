/* SPDX-License-Identifier: MIT */
/* libFuzzer: memory map normalisation on arbitrary entries and reservations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/memmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvm_memmap_table_entry map[32];
	struct mem_range resv[4], out[16];
	size_t n = size / sizeof(map[0]);
	bool trunc;

	if (n > 32)
		n = 32;
	memcpy(map, data, n * sizeof(map[0]));
	/* The first reservations come from the tail of the input. */
	size_t nresv = (size - n * sizeof(map[0])) / sizeof(resv[0]);

	if (nresv > 4)
		nresv = 4;
	memcpy(resv, data + n * sizeof(map[0]), nresv * sizeof(resv[0]));
	size_t k = memmap_usable(map, n, resv, nresv, out, 16, &trunc);

	if (k > 16)
		abort();
	for (size_t i = 0; i < k; i++) {
		/* Sorted, disjoint, whole pages, inside some RAM entry, outside resv. */
		if (out[i].start >= out[i].end ||
		    (out[i].start | out[i].end) % MEMMAP_PAGE)
			abort();
		if (i && out[i].start <= out[i - 1].end - 1)
			abort();
		for (size_t j = 0; j < nresv; j++)
			if (resv[j].start < out[i].end && resv[j].end > out[i].start &&
			    resv[j].start < resv[j].end)
				abort();
		for (size_t j = 0; j < n; j++) {
			uint64_t s = map[j].addr, e = map[j].addr + map[j].size;

			if (map[j].type != HVM_MEMMAP_TYPE_RAM && map[j].size && e > s &&
			    s < out[i].end && e > out[i].start)
				abort();
		}
	}
	(void)memmap_ram_bytes(map, n);
	return 0;
}
