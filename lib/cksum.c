/* SPDX-License-Identifier: MIT */
/* POSIX cksum, a byte at a time through a table (see cksum.h). */
#include "lib/cksum.h"

#include <stdbool.h>

static uint32_t cksum_table[256];
static bool cksum_ready;

/* The CRC of each byte value, shifted in from the top. */
static void cksum_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i << 24;

		for (int k = 0; k < 8; k++)
			c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
		cksum_table[i] = c;
	}
	cksum_ready = true;
}

uint32_t cksum_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Racing first users compute the same table: harmless. */
	if (!cksum_ready)
		cksum_init();
	for (size_t i = 0; i < len; i++)
		crc = (crc << 8) ^ cksum_table[(crc >> 24) ^ p[i]];
	return crc;
}

uint32_t cksum_final(uint32_t crc, uint64_t total_len)
{
	for (; total_len; total_len >>= 8) {
		uint8_t b = (uint8_t)total_len;

		crc = cksum_update(crc, &b, 1);
	}
	return ~crc;
}
