/* SPDX-License-Identifier: MIT */
/*
 * A fake physical memory for the host tests and fuzzers of the firmware-table
 * parsers: a few readable chunks behind the read op of struct acpi_mem. A read
 * must fit inside one chunk, as a read of unmapped memory would fail.
 */
#ifndef TESTS_HOST_FAKEMEM_H
#define TESTS_HOST_FAKEMEM_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "toro/errno.h"

struct chunk {
	uint64_t pa; /* physical address of b[0] */
	size_t len; /* bytes in b */
	const uint8_t *b; /* contents */
};

struct fake {
	struct chunk c[8]; /* readable ranges */
	size_t n; /* chunks in use */
	size_t reads; /* read() calls, to bound the work done */
};

static inline int fake_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct fake *f = ctx;

	f->reads++;
	for (size_t i = 0; i < f->n; i++) {
		const struct chunk *c = &f->c[i];

		if (pa >= c->pa && len <= c->len && pa - c->pa <= c->len - len) {
			memcpy(buf, c->b + (pa - c->pa), len);
			return 0;
		}
	}
	return -EFAULT;
}

/*
 * Fills f from a dump (the format of tests/host/data/microvm-*.bin and of the fuzz
 * inputs): a u64 root address, then records of {u64 address, u32 length, bytes}.
 * Returns the root address; a record cut short keeps what is there.
 */
static inline uint64_t fake_load(const uint8_t *data, size_t size, struct fake *f)
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

/* Loads a dump file into f (replacing it); returns its root address, 0 when the
 * file cannot be read. The contents stay in a buffer of the calling file. */
static inline uint64_t fake_load_file(const char *path, struct fake *f)
{
	static uint8_t buf[16384];
	FILE *fp = fopen(path, "rb");
	size_t n;

	memset(f, 0, sizeof(*f));
	if (!fp)
		return 0;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return fake_load(buf, n, f);
}

#endif
