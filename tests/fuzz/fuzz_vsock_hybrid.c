/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the hybrid CONNECT-line parser and the --publish parser on arbitrary
 * bytes. A parsed line must lie inside the input, end with its newline, and print
 * back (as "CONNECT <port>\n") to the same bytes; a line that needs more input must
 * be shorter than the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vsock_hybrid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	uint32_t port = 0;
	size_t used = 0;
	char ok[VSOCK_HYBRID_OK_MAX];
	int r;

	/* Copy so reads past size are caught by ASan. */
	char *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	r = vsock_hybrid_parse(buf, size, &port, &used, &why);
	if (r == 0) {
		size_t n = vsock_hybrid_format_ok(port, ok, sizeof(ok)), d = 8;

		if (used > size || used > VSOCK_HYBRID_LINE_MAX || buf[used - 1] != '\n')
			abort();
		/* Leading zeros are accepted; the OK line prints none. */
		while (d + 2 < used && buf[d] == '0')
			d++;
		/* "OK <digits>\n" has the digits of "CONNECT <digits>\n". */
		if (n == 0 || n - 3 != used - d || memcmp(ok + 3, buf + d, n - 3) != 0)
			abort();
	} else if (r == -EAGAIN) {
		if (size >= VSOCK_HYBRID_LINE_MAX)
			abort();
	} else if (r != -EINVAL || !why) {
		abort();
	}
	free(buf);

	/* --publish takes a NUL-terminated string. */
	char *s = malloc(size + 1);
	struct vsock_publish p;

	memcpy(s, data, size);
	s[size] = '\0';
	if (vsock_publish_parse(s, &p, &why) == 0 && p.host_port == 0)
		abort();
	free(s);
	return 0;
}
