/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the DSDT scanner for virtio-mmio devices. The input is a DSDT (seeds:
 * the QEMU microvm dumps in tests/host/data). Each input is scanned twice: as is,
 * which exercises the header checks, and with its signature, length and checksum
 * made valid, so that mutations reach the AML walk instead of dying at the
 * checksum. Both copies are exact-size heap buffers: ASan catches any read past
 * them. Checked: only the documented results, found <= max, every device passes
 * the parser's own rules, and a smaller array gets a prefix of a larger one's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/virtio_discover.h"
#include "toro/errno.h"

#define SMALL 3 /* a small array, to reach -ENOSPC */
#define LARGE 64 /* more than any input of sensible size holds */

static void check_devs(const struct virtio_mmio_dev *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d[i].size == 0 || d[i].size - 1 > UINT64_MAX - d[i].base)
			abort();
		if (d[i].irq == 0 || d[i].irq > VIRTIO_MMIO_IRQ_MAX)
			abort();
		if (d[i].has_id && d[i].id > VIRTIO_MMIO_ID_MAX)
			abort();
	}
}

/* Field by field: struct copies need not carry the padding. */
static int same(const struct virtio_mmio_dev *a, const struct virtio_mmio_dev *b)
{
	return a->base == b->base && a->size == b->size && a->irq == b->irq &&
	       a->id == b->id && a->has_id == b->has_id;
}

static void scan(const uint8_t *t, size_t len, int valid_header)
{
	static struct virtio_mmio_dev small[SMALL], large[LARGE];
	size_t nsmall = 99, nlarge = 99;
	int rs = aml_find_virtio_mmio(t, len, small, SMALL, &nsmall);
	int rl = aml_find_virtio_mmio(t, len, large, LARGE, &nlarge);

	if (rs != 0 && rs != -ENOSPC && rs != -EINVAL && rs != -ENOENT && rs != -EIO)
		abort();
	if (valid_header && (rs == -ENOENT || rs == -EIO))
		abort();
	if (nsmall > SMALL || nlarge > LARGE)
		abort();
	/* On an error nothing is reported found. */
	if ((rs && rs != -ENOSPC && nsmall) || (rl && rl != -ENOSPC && nlarge))
		abort();
	/* The same table gives the same verdict, whatever the array size. */
	if ((rs == 0 || rs == -ENOSPC) != (rl == 0 || rl == -ENOSPC))
		abort();
	if (rs == -ENOSPC && nsmall != SMALL)
		abort();
	if (rl == 0 && (nlarge > SMALL ? rs != -ENOSPC || nsmall != SMALL :
					 rs != 0 || nsmall != nlarge))
		abort();
	check_devs(small, nsmall);
	check_devs(large, nlarge);
	for (size_t i = 0; i < nsmall; i++)
		if (!same(&small[i], &large[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *t = malloc(size ? size : 1);
	uint8_t sum = 0;

	memcpy(t, data, size);
	scan(t, size, 0);
	if (size >= 36 && size <= UINT32_MAX) {
		memcpy(t, "DSDT", 4);
		t[4] = (uint8_t)size;
		t[5] = (uint8_t)(size >> 8);
		t[6] = (uint8_t)(size >> 16);
		t[7] = (uint8_t)(size >> 24);
		t[9] = 0;
		for (size_t i = 0; i < size; i++)
			sum = (uint8_t)(sum + t[i]);
		t[9] = (uint8_t)-sum;
		scan(t, size, 1);
	}
	free(t);
	return 0;
}
