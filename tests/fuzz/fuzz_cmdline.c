/* SPDX-License-Identifier: MIT */
/* libFuzzer: the command-line tokenizer on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct cmdline_param p;
	char arg[64];
	int r;

	memcpy(line, data, size);
	line[size] = '\0';
	const char *pos = line;

	while ((r = cmdline_next(&pos, &p)) == 1) {
		/* Every slice lies inside the line. */
		if (p.key < line || p.key + p.key_len > line + size)
			abort();
		if (p.val && (p.val < line || p.val + p.val_len > line + size))
			abort();
	}
	if (r == 0)
		while (cmdline_next_arg(&pos, arg, sizeof(arg)) != 0)
			if (pos < line || pos > line + size)
				abort();
	free(line);
	return 0;
}
