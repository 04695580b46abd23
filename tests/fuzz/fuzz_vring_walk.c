/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/vring_walk.c: the input is a hostile guest's memory.
 *
 * Byte 0 picks the queue size (1 << (b % 7): 1..64), bytes 1-2 the starting avail
 * index (SET_VRING_BASE), byte 3 the caller's segment array size (1..32). The rest
 * fills guest RAM: region A (16 KiB at gpa 0, the rings at fixed offsets) and then
 * region B (8 KiB at gpa 0x10000, after a 48 KiB hole). Each region is its own
 * exactly sized heap block, so ASan flags any access outside the guest's memory.
 * The device pops and completes chains until the ring is empty or broken. For every
 * chain: each segment lies wholly inside one region, readable segments come first,
 * the lengths add up, and every byte is touched (read, and written if writable).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vring_walk.h"

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

#define FZ_A_SIZE 0x4000u /* region A bytes */
#define FZ_B_GPA 0x10000u /* region B guest-physical start */
#define FZ_B_SIZE 0x2000u /* region B bytes */
#define FZ_UVA 0x7f0000000000ull /* frontend virtual base of region A */
#define FZ_DESC 0x0000u /* ring offsets in region A; room for 64 entries each */
#define FZ_AVAIL 0x0400u
#define FZ_USED 0x0600u
#define FZ_MAX_SEGS 32

/* Does [p, p + len) lie inside the block [base, base + size)? */
static int fz_inside(const uint8_t *p, uint32_t len, const uint8_t *base, size_t size)
{
	return p >= base && (size_t)(p - base) <= size &&
	       len <= size - (size_t)(p - base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static volatile uint8_t sink; /* keeps the reads */
	struct vring_seg segs[FZ_MAX_SEGS];
	struct vring_chain c;
	struct vring_mem mem;
	struct vring vr;
	uint8_t *a, *b;
	uint32_t num, max_segs;
	uint16_t base;
	size_t n;

	if (size < 4)
		return 0;
	num = 1u << (data[0] % 7);
	base = (uint16_t)(data[1] | data[2] << 8);
	max_segs = 1 + data[3] % FZ_MAX_SEGS;
	data += 4;
	size -= 4;

	a = calloc(1, FZ_A_SIZE);
	b = calloc(1, FZ_B_SIZE);
	if (!a || !b)
		goto out;
	n = size < FZ_A_SIZE ? size : FZ_A_SIZE;
	memcpy(a, data, n);
	data += n;
	size -= n;
	memcpy(b, data, size < FZ_B_SIZE ? size : FZ_B_SIZE);

	mem.nregions = 2;
	mem.r[0] = (struct vring_mem_region){ 0, FZ_A_SIZE, FZ_UVA, a };
	mem.r[1] = (struct vring_mem_region){ FZ_B_GPA, FZ_B_SIZE, FZ_UVA + FZ_B_GPA, b };
	if (vring_map(&vr, &mem, num, FZ_UVA + FZ_DESC, FZ_UVA + FZ_AVAIL,
		      FZ_UVA + FZ_USED, base) != 0)
		__builtin_trap(); /* the layout is valid for every num */

	/* At most 2^16 + 1 pops: more than any avail idx jump allows. */
	for (int iter = 0; iter < 70000; iter++) {
		uint64_t rd = 0, wr = 0;
		int err = vring_pop(&vr, &mem, segs, max_segs, &c);

		if (err == -EAGAIN || err == -EIO)
			break;
		FZ_ASSERT(err == 0);
		FZ_ASSERT(c.head < num && c.nseg <= max_segs && c.nread <= c.nseg);
		for (uint32_t i = 0; i < c.nseg; i++) {
			const struct vring_seg *s = &segs[i];

			FZ_ASSERT(fz_inside(s->addr, s->len, a, FZ_A_SIZE) ||
				  fz_inside(s->addr, s->len, b, FZ_B_SIZE));
			FZ_ASSERT(s->writable == (i >= c.nread));
			if (s->writable)
				wr += s->len;
			else
				rd += s->len;
			if (s->len) {
				sink = s->addr[0];
				sink = s->addr[s->len - 1];
				if (s->writable)
					s->addr[s->len - 1] = 0;
			}
		}
		FZ_ASSERT(rd == c.read_len && wr == c.write_len);
		FZ_ASSERT(vring_push_used(&vr, c.head, (uint32_t)wr) == 0);
	}
out:
	free(a);
	free(b);
	return 0;
}
