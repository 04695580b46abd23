/* SPDX-License-Identifier: MIT */
/*
 * The parsed command line, kept as NUL-terminated copies so that toro_param() and
 * main()'s argv can hand out plain C strings. Storage is static: the command line
 * is at most BOOT_CMDLINE_MAX bytes, and every copy is no longer than its source.
 */
#include "kernel/params.h"

#include "kernel/printk.h"
#include "lib/cmdline.h"
#include "lib/kstring.h"
#include "platform/platform.h"
#include "toro/toro.h"

#define PARAMS_MAX 128
#define ARGS_MAX 64

struct param {
	const char *key; /* NUL-terminated copy */
	const char *val; /* NUL-terminated copy, "" for a bare key */
};

static char store[BOOT_CMDLINE_MAX + 2 * PARAMS_MAX];
static size_t used;
static struct param params[PARAMS_MAX];
static int nparams;
static char *argv[ARGS_MAX + 2] = { "toro" };
static int argc = 1;

static const char *keep(const char *s, size_t n)
{
	char *d = store + used;

	memcpy(d, s, n);
	d[n] = '\0';
	used += n + 1;
	return d;
}

void params_init(const char *cmdline)
{
	const char *pos = cmdline;
	struct cmdline_param p;
	int r;

	while ((r = cmdline_next(&pos, &p)) == 1) {
		if (nparams == PARAMS_MAX) {
			printk("warning: more than %d kernel parameters, rest ignored\n",
			       PARAMS_MAX);
			return;
		}
		params[nparams].key = keep(p.key, p.key_len);
		params[nparams].val = p.val ? keep(p.val, p.val_len) : keep("", 0);
		nparams++;
	}
	if (r < 0) {
		printk("warning: unterminated quote in the command line, rest ignored\n");
		return;
	}
	/* After `--`: the application's arguments, quotes removed. */
	for (;;) {
		size_t room = sizeof(store) - used;
		int n = cmdline_next_arg(&pos, store + used, room);

		if (n == 0)
			break;
		if (n < 0 || argc == ARGS_MAX + 1) {
			printk("warning: bad or too many application arguments, rest ignored\n");
			break;
		}
		argv[argc++] = store + used;
		used += (size_t)n + 1;
	}
	argv[argc] = NULL;
}

int params_argc(void)
{
	return argc;
}

char **params_argv(void)
{
	return argv;
}

const char *toro_param(const char *key)
{
	for (int i = nparams - 1; i >= 0; i--)
		if (strcmp(params[i].key, key) == 0)
			return params[i].val;
	return NULL;
}
