/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: `virtio_mmio.device=` parsing. The input is used twice: as a whole
 * command line (NUL-terminated copy), where the collecting helper and the
 * iterator must agree and every reported bad value must lie inside the line; and
 * as one value in an exact-size heap buffer without a NUL (ASan catches a read
 * past it), where an accepted value must obey the rules and survive a round trip
 * through the canonical form `<size>@0x<base>:<irq>[:<id>]`.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/virtio_discover.h"
#include "toro/errno.h"

#define MAX 4 /* a small array, to reach -ENOSPC */

static void check_dev(const struct virtio_mmio_dev *d)
{
	if (d->size == 0 || d->size - 1 > UINT64_MAX - d->base)
		abort();
	if (d->irq == 0 || d->irq > VIRTIO_MMIO_IRQ_MAX)
		abort();
	if (d->has_id && d->id > VIRTIO_MMIO_ID_MAX)
		abort();
}

/* Field by field: struct copies need not carry the padding. */
static int same(const struct virtio_mmio_dev *a, const struct virtio_mmio_dev *b)
{
	return a->base == b->base && a->size == b->size && a->irq == b->irq &&
	       a->id == b->id && a->has_id == b->has_id;
}

static void whole_line(const char *line, size_t size)
{
	struct virtio_mmio_dev out[MAX + 1], d;
	const char *pos = line, *bad = NULL;
	size_t found = 99, nbad = 99, good = 0, bads = 0, bad_len;
	int r = virtio_mmio_parse_cmdline(line, out, MAX, &found, &nbad);

	if (r != 0 && r != -ENOSPC)
		abort();
	if (found > MAX || (r == -ENOSPC && found != MAX))
		abort();
	while ((r = virtio_mmio_cmdline_next(&pos, &d, &bad, &bad_len)) != 0) {
		if (pos < line || pos > line + size)
			abort();
		if (r == 1) {
			check_dev(&d);
			/* The helper stored the same devices in the same order. */
			if (good < found && !same(&out[good], &d))
				abort();
			good++;
		} else if (r == -EINVAL) {
			if (bad < line || bad + bad_len > line + size)
				abort();
			bads++;
		} else {
			abort();
		}
	}
	if (bads != nbad || (good > MAX ? found != MAX : found != good))
		abort();
}

static void one_value(const char *v, size_t size)
{
	struct virtio_mmio_dev d, e;
	char buf[128];
	int n;

	if (virtio_mmio_parse_cmdline_value(v, size, &d) != 0)
		return;
	check_dev(&d);
	if (d.has_id)
		n = snprintf(buf, sizeof(buf), "%llu@%#llx:%u:%u",
			     (unsigned long long)d.size, (unsigned long long)d.base,
			     d.irq, d.id);
	else
		n = snprintf(buf, sizeof(buf), "%llu@%#llx:%u",
			     (unsigned long long)d.size, (unsigned long long)d.base,
			     d.irq);
	/* %#llx prints 0 without "0x": still a number the parser reads as 0. */
	if (virtio_mmio_parse_cmdline_value(buf, (size_t)n, &e) != 0)
		abort();
	if (!same(&d, &e))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	char *val = malloc(size ? size : 1);

	memcpy(line, data, size);
	line[size] = '\0';
	whole_line(line, strlen(line));
	memcpy(val, data, size);
	one_value(val, size);
	free(line);
	free(val);
	return 0;
}
