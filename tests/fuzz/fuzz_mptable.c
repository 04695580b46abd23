/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: MP table search and parsing over a fake physical memory made of the
 * input, in the format of fuzz_acpi.c (u64 floating pointer address, then up to 8
 * records {u64 physical address, u32 length, bytes}).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mptable.h"
#include "tests/host/fakemem.h"
#include "toro/errno.h"

static void parse(const struct acpi_mem *m, uint64_t pa)
{
	static struct mptable_info mi;
	int r = mptable_parse(m, pa, &mi);

	if (r > 0 || (r && r != -EFAULT && r != -ENOENT && r != -EIO && r != -EINVAL &&
		      r != -ENOSYS))
		abort();
	if (r)
		return;
	if (mi.ncpus > MPTABLE_MAX_CPUS || mi.nioapics > MPTABLE_MAX_IOAPICS ||
	    mi.nirqs > MPTABLE_MAX_IRQS)
		abort();
	for (unsigned irq = 0; irq < 256; irq++) {
		size_t io;
		uint8_t pin;
		uint16_t flags;

		if (mptable_isa_irq(&mi, (uint8_t)irq, &io, &pin, &flags) == 0 &&
		    io >= mi.nioapics)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f;
	const struct acpi_mem m = { fake_read, &f };
	struct mptable_range r[MPTABLE_MAX_RANGES + 1];
	uint64_t root = fake_load(data, size, &f), pa;
	/* The BDA fields come from the root's top bytes; the root's page is searched. */
	size_t n = mptable_std_ranges((uint16_t)(root >> 48),
				      (uint16_t)(root >> 32) & 0x3ff, r);

	r[n].start = root & ~0xfffull;
	r[n].end = r[n].start + 0x1000;
	if (mptable_find(&m, r, n + 1, &pa) == 0) {
		if (pa % 16)
			abort();
		parse(&m, pa);
	}
	parse(&m, root);
	return 0;
}
