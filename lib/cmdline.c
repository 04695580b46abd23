/* SPDX-License-Identifier: MIT */
/*
 * Tokenizer for the kernel command line. The line comes from the VMM (untrusted):
 * every byte is checked, nothing is written to it, and a malformed word is reported
 * instead of guessed at. Quoting follows Linux's next_arg(): a double quote either
 * opens the value (key="a b") or the whole word ("key=a b").
 */
#include "lib/cmdline.h"

#include "lib/kstring.h"
#include "toro/errno.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* End of a word starting at s: the first blank outside quotes, or the NUL. */
static const char *word_end(const char *s, bool *unterminated)
{
	bool quoted = false;

	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (!quoted && is_blank(*s))
			break;
	}
	*unterminated = quoted;
	return s;
}

int cmdline_next(const char **pos, struct cmdline_param *p)
{
	const char *s = skip_blanks(*pos);
	bool unterminated;

	if (!*s) {
		*pos = s;
		return 0;
	}
	const char *end = word_end(s, &unterminated);

	if (unterminated) {
		*pos = end;
		return -EINVAL;
	}
	*pos = end;
	if (end - s == 2 && s[0] == '-' && s[1] == '-')
		return 0;
	/* "key=value with blanks": drop the outer quotes of the whole word. */
	if (*s == '"') {
		s++;
		if (end[-1] == '"' && end - 1 >= s)
			end--;
	}
	const char *eq = s;

	while (eq < end && *eq != '=')
		eq++;
	p->key = s;
	p->key_len = (size_t)(eq - s);
	if (eq == end) {
		p->val = NULL;
		p->val_len = 0;
		return 1;
	}
	const char *v = eq + 1;

	if (v < end && *v == '"') {
		v++;
		if (end[-1] == '"' && end - 1 >= v)
			end--;
	}
	p->val = v;
	p->val_len = (size_t)(end - v);
	return 1;
}

bool cmdline_key_is(const struct cmdline_param *p, const char *key)
{
	return strlen(key) == p->key_len && memcmp(p->key, key, p->key_len) == 0;
}

int cmdline_next_arg(const char **pos, char *out, size_t size)
{
	const char *s = skip_blanks(*pos);
	bool unterminated;
	size_t n = 0;

	if (!*s) {
		*pos = s;
		return 0;
	}
	const char *end = word_end(s, &unterminated);

	*pos = end;
	if (unterminated)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s == '"')
			continue;
		if (n + 1 >= size)
			return -E2BIG;
		out[n++] = *s;
	}
	if (size == 0)
		return -E2BIG;
	out[n] = '\0';
	return (int)n;
}
