/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line, Linux style: words separated by blanks, each `key` or
 * `key=value`; a value may be double-quoted to hold blanks (msg="hello world"), or
 * the whole word may be ("msg=hello world"). The word `--` ends the kernel's part;
 * the words after it are the application's arguments.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

struct cmdline_param {
	const char *key; /* start of the key, inside the command line */
	size_t key_len; /* its length */
	const char *val; /* start of the value (quotes removed), or NULL without '=' */
	size_t val_len; /* its length, 0 without a value */
};

/*
 * Reads the next word at *pos and advances *pos past it. Returns 1 with *p filled,
 * 0 at the end of the kernel's part (the end of the string, or the word `--`, in
 * which case *pos points just after it), or -EINVAL for a word with an unterminated
 * quote (*pos then points at the end: nothing after it can be trusted).
 */
int cmdline_next(const char **pos, struct cmdline_param *p);

/* Whether the parameter's key is exactly `key`. */
bool cmdline_key_is(const struct cmdline_param *p, const char *key);

/*
 * Copies the next application argument at *pos (a blank-separated word, quotes
 * removed) into out[0..size) with a NUL. Returns its length, 0 at the end, -EINVAL
 * for an unterminated quote, -E2BIG when it does not fit.
 */
int cmdline_next_arg(const char **pos, char *out, size_t size);

#endif
