/* SPDX-License-Identifier: MIT */
/*
 * Reading trace logs back (lib/trace.h): the kernel's dump and QEMU's log lines,
 * for `toro trace`. Host only: the kernel writes dumps, it never reads them.
 */
#include "lib/trace.h"

#include "lib/kstring.h"

struct cursor {
	const char *s, *end;
};

static bool at_end(const struct cursor *c)
{
	return c->s == c->end;
}

/* One blank, then a word: [*w, *w + *n). */
static bool word(struct cursor *c, const char **w, size_t *n)
{
	if (at_end(c) || *c->s != ' ')
		return false;
	c->s++;
	*w = c->s;
	while (!at_end(c) && *c->s != ' ')
		c->s++;
	*n = (size_t)(c->s - *w);
	return *n > 0;
}

/* A decimal number of at most 20 digits that fits max. */
static bool number(const char *w, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	/* Canonical only (no leading zeros): a record reads back as it was written. */
	if (n == 0 || n > 20 || (w[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(w[i] - '0');

		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static bool num_word(struct cursor *c, uint64_t max, uint64_t *v)
{
	const char *w;
	size_t n;

	return word(c, &w, &n) && number(w, n, max, v);
}

/* ` key=NUMBER` */
static bool key_num(struct cursor *c, const char *key, uint64_t max, uint64_t *v)
{
	const char *w;
	size_t n, k = strlen(key);

	return word(c, &w, &n) && n > k + 1 && !memcmp(w, key, k) && w[k] == '=' &&
	       number(w + k + 1, n - k - 1, max, v);
}

static bool first_word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->s) < n || memcmp(c->s, w, n))
		return false;
	if (c->s + n != c->end && c->s[n] != ' ')
		return false;
	c->s += n;
	return true;
}

static int fail(const char **why, const char *what)
{
	*why = what;
	return -1;
}

int trace_parse_line(const char *s, size_t len, struct trace_line *out, const char **why)
{
	struct cursor c = { s, s + len };
	uint64_t v[6];
	const char *w;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (first_word(&c, "toro-trace")) {
		out->kind = TRACE_LINE_HEADER;
		if (!num_word(&c, 0xffffffffu, &v[0]) || v[0] != TRACE_VERSION)
			return fail(why, "not a dump of this version");
		if (!key_num(&c, "cpus", 0xffffu, &v[1]) ||
		    !key_num(&c, "tsc_khz", 0xffffffffu, &v[2]))
			return fail(why, "a header without cpus= and tsc_khz=");
		out->cpus = (uint32_t)v[1];
		out->tsc_khz = (uint32_t)v[2];
	} else if (first_word(&c, "sync")) {
		out->kind = TRACE_LINE_SYNC;
		if (!num_word(&c, UINT64_MAX, &out->tsc))
			return fail(why, "a sync line without its TSC");
	} else if (first_word(&c, "thread")) {
		out->kind = TRACE_LINE_THREAD;
		if (!num_word(&c, 0xffffffffu, &v[0]) || !num_word(&c, 0xffffu, &v[1]))
			return fail(why, "a thread line without its id and CPU");
		out->tid = (uint32_t)v[0];
		out->cpu = (uint32_t)v[1];
		if (at_end(&c) || *c.s != ' ')
			return fail(why, "a thread line without a name");
		c.s++;
		n = (size_t)(c.end - c.s);
		if (n == 0 || n > TRACE_NAME_MAX)
			return fail(why, "a thread name empty or too long");
		for (size_t i = 0; i < n; i++) {
			if (c.s[i] < 0x20 || c.s[i] > 0x7e)
				return fail(why,
					    "a thread name with a byte not printable");
			out->name[i] = c.s[i];
		}
		c.s = c.end;
	} else if (first_word(&c, "ev")) {
		unsigned t;

		out->kind = TRACE_LINE_EV;
		if (!num_word(&c, 0xffffu, &v[0]) || !num_word(&c, UINT64_MAX, &v[1]) ||
		    !word(&c, &w, &n))
			return fail(why, "an ev line without CPU, TSC and type");
		for (t = 0; t < TRACE_NTYPES; t++)
			if (strlen(trace_type_name(t)) == n &&
			    !memcmp(trace_type_name(t), w, n))
				break;
		if (t == TRACE_NTYPES)
			return fail(why, "an ev line of an unknown type");
		if (!num_word(&c, 0xffffffffu, &v[2]) ||
		    !num_word(&c, UINT64_MAX, &v[3]) || !num_word(&c, UINT64_MAX, &v[4]))
			return fail(why, "an ev line without A, B and C");
		out->rec = (struct trace_rec){ .tsc = v[1],
					       .b = v[3],
					       .c = v[4],
					       .a = (uint32_t)v[2],
					       .type = (uint16_t)t,
					       .cpu = (uint16_t)v[0] };
	} else if (first_word(&c, "end")) {
		out->kind = TRACE_LINE_END;
		if (!num_word(&c, UINT64_MAX, &out->records) ||
		    !num_word(&c, UINT64_MAX, &out->lost))
			return fail(why, "an end line without its counts");
	} else {
		return fail(why, "not a line of a trace dump");
	}
	if (!at_end(&c))
		return fail(why, "more on the line than its kind has");
	return 0;
}

int trace_parse_qemu(const char *s, size_t len, struct trace_qemu_line *out)
{
	const char *end = s + len, *p = s;
	uint64_t tid = 0, sec = 0, usec = 0;
	size_t digits;

	for (digits = 0; p < end && *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
		tid = tid * 10 + (uint64_t)(*p - '0');
	if (!digits || tid > 0xffffffffu || p == end || *p++ != '@')
		return -1;
	for (digits = 0; p < end && *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
		sec = sec * 10 + (uint64_t)(*p - '0');
	if (!digits || p == end || *p++ != '.')
		return -1;
	/* QEMU prints the microseconds with %06ld: exactly six digits. */
	for (digits = 0; p < end && *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
		usec = usec * 10 + (uint64_t)(*p - '0');
	if (digits != 6 || p == end || *p++ != ':')
		return -1;
	out->tid = (uint32_t)tid;
	out->us = sec * 1000000 + usec;
	out->event = p;
	while (p < end &&
	       ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
		p++;
	out->event_len = (size_t)(p - out->event);
	if (!out->event_len || (p < end && *p != ' '))
		return -1;
	if (p < end)
		p++;
	out->args = p;
	out->args_len = (size_t)(end - p);
	return 0;
}

int trace_qemu_arg(const struct trace_qemu_line *q, const char *key, uint64_t *val)
{
	size_t k = strlen(key);
	const char *p = q->args, *end = q->args + q->args_len;

	for (; (size_t)(end - p) > k; p++) {
		uint64_t v = 0;
		bool hex;
		size_t digits = 0;
		const char *d;

		if ((p != q->args && p[-1] != ' ' && p[-1] != ',') || memcmp(p, key, k) ||
		    (p[k] != ' ' && p[k] != '='))
			continue;
		d = p + k + 1;
		hex = end - d > 2 && d[0] == '0' && d[1] == 'x';
		if (hex)
			d += 2;
		for (; d < end && digits < (hex ? 16u : 19u); d++, digits++) {
			unsigned x;

			if (*d >= '0' && *d <= '9')
				x = (unsigned)(*d - '0');
			else if (hex && *d >= 'a' && *d <= 'f')
				x = (unsigned)(*d - 'a' + 10);
			else
				break;
			v = v * (hex ? 16 : 10) + x;
		}
		if (!digits)
			continue;
		*val = v;
		return 0;
	}
	return -1;
}
