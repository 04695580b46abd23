/* SPDX-License-Identifier: MIT */
/* lib/cksum.c against values printed by the host's `cksum`. */
#include "tests/host/check.h"

#include <stdlib.h>

#include "lib/cksum.h"

static uint32_t ck(const char *s, size_t n)
{
	return cksum_final(cksum_update(0, s, n), n);
}

TEST(cksum_known_values)
{
	/* printf '' | cksum; printf a | cksum; printf 123456789 | cksum */
	CHECK_EQ(ck("", 0), 4294967295u);
	CHECK_EQ(ck("a", 1), 1220704766u);
	CHECK_EQ(ck("123456789", 9), 930766865u);
}

TEST(cksum_in_pieces)
{
	char *buf = malloc(70000);
	uint32_t whole, parts = 0;

	for (int i = 0; i < 70000; i++)
		buf[i] = (char)(i * 7 + (i >> 8));
	whole = cksum_final(cksum_update(0, buf, 70000), 70000);
	for (size_t at = 0, step = 1; at < 70000; at += step, step = step * 3 + 1)
		parts = cksum_update(parts, buf + at,
				     at + step > 70000 ? 70000 - at : step);
	CHECK_EQ(cksum_final(parts, 70000), whole);
	/* 70000 bytes span three length bytes: 0x70 0x11 0x01. */
	CHECK(whole != cksum_final(cksum_update(0, buf, 70000), 69999));
	free(buf);
}
