/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/trace.c: the input, cut at '\n', goes line by line
 * to both parsers, as `toro trace` reads a guest dump and QEMU's log. A line
 * taken as a record must format back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(n ? n : 1); /* exactly n bytes: ASan sees overreads */
		struct trace_line l;
		struct trace_qemu_line q;
		const char *why;
		uint64_t v;

		if (!line)
			return 0;
		memcpy(line, p, n);
		if (trace_parse_line(line, n, &l, &why) == 0) {
			if (l.kind == TRACE_LINE_THREAD &&
			    strlen(l.name) > TRACE_NAME_MAX)
				abort();
			if (l.kind == TRACE_LINE_EV) {
				char buf[96];
				size_t k = trace_format_rec(buf, sizeof(buf), &l.rec);

				if (k == 0 || k != n + 1 || memcmp(buf, line, n))
					abort();
			}
		}
		if (trace_parse_qemu(line, n, &q) == 0) {
			if (q.event < line || q.event + q.event_len > line + n ||
			    q.args < line || q.args + q.args_len > line + n)
				abort();
			trace_qemu_arg(&q, "vdev", &v);
			trace_qemu_arg(&q, "port", &v);
		}
		free(line);
		p += n + 1;
	}
	return 0;
}
