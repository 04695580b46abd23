/* SPDX-License-Identifier: MIT */
/*
 * Firecracker-style "hybrid" vsock text that toro-vsockd reads from untrusted host
 * clients, and its --publish option. Pure: no system calls, no allocation.
 *
 * A host client connects to the daemon's Unix socket and writes one line
 *     CONNECT <port>\n
 * (exactly one space, a decimal port 0..2^32-1 without sign or leading spaces, at
 * most VSOCK_HYBRID_LINE_MAX bytes with the newline); once the guest accepts, the
 * daemon answers `OK <host_port>\n` and the socket becomes the byte stream. Bytes
 * the client wrote after the newline are stream data: the parser reports how many
 * bytes the line took so the caller keeps the rest.
 */
#ifndef LIB_VSOCK_HYBRID_H
#define LIB_VSOCK_HYBRID_H

#include <stddef.h>
#include <stdint.h>

#include "toro/errno.h"

#define VSOCK_HYBRID_LINE_MAX 32 /* longest CONNECT line accepted, newline included */
#define VSOCK_HYBRID_OK_MAX 16 /* "OK 4294967295\n" plus a NUL fits */

/*
 * Parses the start of buf[0..len). Returns
 *   0        a complete line: *port is the port, *used the bytes of the line;
 *   -EAGAIN  a valid prefix without its newline yet (read more);
 *   -EINVAL  not a CONNECT line; *reason (static text) says why.
 * reason may be NULL.
 */
int vsock_hybrid_parse(const char *buf, size_t len, uint32_t *port, size_t *used,
		       const char **reason);

/* Writes "OK <port>\n" (no NUL) into buf; returns its length, or 0 if cap is short. */
size_t vsock_hybrid_format_ok(uint32_t port, char *buf, size_t cap);

/* One --publish [ADDR:]HOSTPORT:GUESTPORT. */
struct vsock_publish {
	uint32_t addr; /* IPv4 address, host byte order (127.0.0.1 = 0x7f000001) */
	uint16_t host_port; /* TCP port to listen on, 1..65535 */
	uint32_t guest_port; /* vsock port in the guest */
};

/*
 * Parses a NUL-terminated --publish argument. ADDR is a dotted quad (four decimal
 * parts 0..255) and defaults to 127.0.0.1. Returns 0 or -EINVAL with *reason set.
 */
int vsock_publish_parse(const char *s, struct vsock_publish *out, const char **reason);

#endif
