/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: ACPI discovery and MADT parsing over a fake physical memory made of
 * the input. Input format (the same as tests/host/data/microvm-*.bin): u64 RSDP
 * address, then up to 8 records {u64 physical address, u32 length, bytes}; a read
 * succeeds only inside one record, so any read outside what the input defines is
 * refused, and ASan catches a parser that reads past what read() copied.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/acpi.h"
#include "tests/host/fakemem.h"
#include "toro/errno.h"

static void check_madt(const struct acpi_madt *md)
{
	if (md->ncpus > ACPI_MAX_CPUS || md->nioapics > ACPI_MAX_IOAPICS ||
	    md->novr > ACPI_MAX_OVERRIDES || md->nnmis > ACPI_MAX_NMIS)
		abort();
	for (size_t i = 0; i < md->ncpus; i++)
		for (size_t j = 0; j < i; j++)
			if (md->cpu[i].apic_id == md->cpu[j].apic_id)
				abort();
	for (unsigned irq = 0; irq < 256; irq++) {
		uint16_t flags;

		(void)acpi_irq_to_gsi(md, (uint8_t)irq, &flags);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f;
	const struct acpi_mem m = { fake_read, &f };
	static struct acpi_tables t;
	static struct acpi_madt md;
	uint64_t root = fake_load(data, size, &f);
	int r = acpi_find_tables(&m, root, &t);

	if (r > 0 || (r && r != -EFAULT && r != -ENOENT && r != -EIO && r != -EINVAL))
		abort();
	if (r == 0) {
		if (t.ntables > ACPI_MAX_TABLES)
			abort();
		if (t.madt_pa && acpi_parse_madt(&m, t.madt_pa, &md) == 0)
			check_madt(&md);
	}
	/* The MADT parser on its own, so that it is reached without a valid RSDP. */
	for (size_t i = 0; i < f.n; i++)
		if (acpi_parse_madt(&m, f.c[i].pa, &md) == 0)
			check_madt(&md);
	return 0;
}
