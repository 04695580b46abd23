/* SPDX-License-Identifier: MIT */
/*
 * POSIX cksum (IEEE Std 1003.1, cksum utility): CRC-32 with polynomial
 * 0x04c11db7, most significant bit first, over the data and then its length
 * (least significant byte first, without trailing zeros), complemented. What
 * `cksum` prints on the host, so a test can compare a guest's view of a file
 * with the host's.
 */
#ifndef LIB_CKSUM_H
#define LIB_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed the data in any number of pieces. */
uint32_t cksum_update(uint32_t crc, const void *buf, size_t len);

/* The value cksum prints for the data fed so far, of total_len bytes. */
uint32_t cksum_final(uint32_t crc, uint64_t total_len);

#endif
