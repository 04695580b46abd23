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
#include "toro/errno.h"

struct chunk {
	uint64_t pa; /* physical address of b[0] */
	size_t len; /* bytes in b */
	const uint8_t *b; /* inside the input */
};

struct fake {
	struct chunk c[8]; /* readable ranges */
	size_t n; /* chunks in use */
};

static int fake_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct fake *f = ctx;

	for (size_t i = 0; i < f->n; i++) {
		const struct chunk *c = &f->c[i];

		if (pa >= c->pa && len <= c->len && pa - c->pa <= c->len - len) {
			memcpy(buf, c->b + (pa - c->pa), len);
			return 0;
		}
	}
	return -EFAULT;
}

/* Splits the input into chunks; returns the root address. */
static uint64_t load(const uint8_t *data, size_t size, struct fake *f)
{
	uint64_t root = 0;
	size_t off = 8;

	f->n = 0;
	if (size < 8)
		return 0;
	memcpy(&root, data, 8);
	while (off + 12 <= size && f->n < 8) {
		uint64_t pa;
		uint32_t len;

		memcpy(&pa, data + off, 8);
		memcpy(&len, data + off + 8, 4);
		off += 12;
		if (len > size - off)
			len = (uint32_t)(size - off);
		f->c[f->n++] = (struct chunk){ pa, len, data + off };
		off += len;
	}
	return root;
}

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
	uint64_t root = load(data, size, &f);
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
