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
	uint64_t root = load(data, size, &f), pa;
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
