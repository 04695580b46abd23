/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the KTAP parser: the input is a console transcript, cut
 * at '\n' and fed line by line, as `toro test` does with guest output. The
 * counters must stay consistent whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ktap.h"

static void on_event(void *ctx, enum ktap_event ev, const char *suite, unsigned int depth,
		     uint32_t count)
{
	uint32_t *events = ctx;

	/* Names must be NUL-terminated and printable; depth in range. */
	if (strlen(suite) >= KTAP_NAME_MAX || depth > KTAP_MAX_DEPTH || count == 0)
		abort();
	for (const char *s = suite; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			abort();
	(void)ev;
	(*events)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ktap k;
	const char *p = (const char *)data, *end = p + size;
	uint32_t events = 0;

	ktap_init(&k, on_event, &events);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* A copy of exactly n bytes, so ASan sees any read past the line. */
		char *line = malloc(n ? n : 1);

		if (!line)
			return 0;
		memcpy(line, p, n);
		ktap_line(&k, line, n);
		free(line);
		if (k.depth > KTAP_MAX_DEPTH)
			abort();
		p += n + (nl ? 1 : 0);
	}
	ktap_finish(&k);
	if (k.depth != 0 || k.missing > k.failed)
		abort();
	return 0;
}
