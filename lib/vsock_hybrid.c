/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the hybrid vsock CONNECT line and for --publish (see the header).
 *
 * Both read untrusted text, so they are strict: every byte is checked against what
 * may come next, decimal numbers are accumulated in 64 bits with an explicit bound
 * before every step (no overflow, no more than 10 digits), and nothing is read past
 * len (the CONNECT line is not NUL-terminated: it comes straight from a socket).
 */
#include "lib/vsock_hybrid.h"

#include <stdbool.h>

static const char vh_prefix[] = "CONNECT ";
#define VH_PREFIX_LEN (sizeof(vh_prefix) - 1)

static int vh_fail(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return -EINVAL;
}

static bool vh_digit(char c)
{
	return c >= '0' && c <= '9';
}

int vsock_hybrid_parse(const char *buf, size_t len, uint32_t *port, size_t *used,
		       const char **reason)
{
	uint64_t v = 0;
	size_t i, ndig = 0;

	if (reason)
		*reason = "ok";
	/* The fixed prefix, possibly not all here yet. */
	for (i = 0; i < VH_PREFIX_LEN; i++) {
		if (i == len)
			return -EAGAIN;
		if (buf[i] != vh_prefix[i])
			return vh_fail(reason, "line does not start with \"CONNECT \"");
	}
	for (; i < len && i < VSOCK_HYBRID_LINE_MAX; i++) {
		char c = buf[i];

		if (c == '\n') {
			if (ndig == 0)
				return vh_fail(reason, "no port number");
			*port = (uint32_t)v;
			*used = i + 1;
			return 0;
		}
		if (!vh_digit(c))
			return vh_fail(reason, "port is not a decimal number");
		if (++ndig > 10)
			return vh_fail(reason, "port has too many digits");
		v = v * 10 + (uint64_t)(c - '0');
		if (v > UINT32_MAX)
			return vh_fail(reason, "port larger than 2^32-1");
	}
	if (i >= VSOCK_HYBRID_LINE_MAX)
		return vh_fail(reason, "line too long");
	return -EAGAIN;
}

size_t vsock_hybrid_format_ok(uint32_t port, char *buf, size_t cap)
{
	char digits[10];
	size_t n = 0, len;

	do {
		digits[n++] = (char)('0' + port % 10);
		port /= 10;
	} while (port);
	len = 3 + n + 1;
	if (cap < len)
		return 0;
	buf[0] = 'O';
	buf[1] = 'K';
	buf[2] = ' ';
	for (size_t i = 0; i < n; i++)
		buf[3 + i] = digits[n - 1 - i];
	buf[3 + n] = '\n';
	return len;
}

/*
 * Reads a decimal number of at most max (and at most 10 digits) at *s, which must
 * start with a digit; advances *s. false if there is no digit or it is too big.
 */
static bool vh_number(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	int n = 0;

	while (vh_digit(*p)) {
		if (++n > 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return false;
		p++;
	}
	if (n == 0)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* Counts ':' in s. */
static int vh_colons(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == ':';
	return n;
}

int vsock_publish_parse(const char *s, struct vsock_publish *out, const char **reason)
{
	uint64_t v;
	uint32_t addr = 0x7f000001u;
	int colons = vh_colons(s);

	if (reason)
		*reason = "ok";
	if (colons != 1 && colons != 2)
		return vh_fail(reason, "expected [ADDR:]HOSTPORT:GUESTPORT");
	if (colons == 2) {
		addr = 0;
		for (int part = 0; part < 4; part++) {
			if (!vh_number(&s, 255, &v))
				return vh_fail(reason, "address is not a dotted quad");
			addr = addr << 8 | (uint32_t)v;
			if (*s != (part == 3 ? ':' : '.'))
				return vh_fail(reason, "address is not a dotted quad");
			s++;
		}
	}
	if (!vh_number(&s, 65535, &v) || v == 0)
		return vh_fail(reason, "host port is not a number in 1..65535");
	if (*s++ != ':')
		return vh_fail(reason, "host port is not a number in 1..65535");
	out->host_port = (uint16_t)v;
	if (!vh_number(&s, UINT32_MAX, &v) || *s != '\0')
		return vh_fail(reason, "guest port is not a number in 0..4294967295");
	out->guest_port = (uint32_t)v;
	out->addr = addr;
	return 0;
}
