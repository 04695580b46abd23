/* SPDX-License-Identifier: MIT */
/*
 * KTAP version 1 parser. Primer:
 *
 * Lines are classified by what follows their indentation (spaces only):
 *   version  `KTAP version N` (also TAP's `TAP version N`)
 *   plan     `1..N`
 *   result   `ok N [description] [# directive]` or `not ok N ...`
 *   subtest  `# Subtest: name`
 * Everything else (diagnostics, banners, kernel messages) is ignored, so console
 * noise may come before, between and after the KTAP lines.
 *
 * The open levels form a stack, each remembering its column. A structural line at
 * the column of an open level belongs to it and closes every deeper level; one
 * indented 2 or 4 columns past the innermost level opens a child (so both 2- and
 * 4-space indentation work); any other column is noise. Closing a level compares
 * its results with its plan: each result promised but absent counts as missing and
 * failed.
 *
 * A result is a leaf when no child level opened since the previous result at its
 * level (or the child counted nothing). A suite's own result is not counted again,
 * except `not ok` over children that all passed: the suite failed by itself.
 */
#include "lib/ktap.h"

#include "lib/kstring.h"

/* Kinds of line; see the primer. */
enum ktap_kind {
	KT_OTHER, /* not a structural line */
	KT_VERSION,
	KT_PLAN,
	KT_RESULT,
	KT_SUBTEST,
};

/* Directive of a result line. */
enum ktap_dir {
	KD_NONE,
	KD_SKIP, /* not run: counted as skipped whatever the result */
	KD_TODO, /* expected to fail: `not ok` is not a failure */
};

/* A line once taken apart. */
struct ktap_parsed {
	enum ktap_kind kind; /* what the line is */
	uint32_t num; /* version, plan count or result number */
	bool ok; /* result: `ok` rather than `not ok` */
	enum ktap_dir dir; /* result: its directive */
	const char *rest; /* subtest: the name, untrimmed */
	size_t rest_len; /* its length */
};

/* Guest output can make counters huge; saturate rather than wrap to a pass. */
static uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static bool has_prefix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && memcmp(s, lit, l) == 0;
}

/*
 * Reads a decimal number at s[*pos]; at least one digit, at most `max`. Returns
 * false on no digits or a value over max (a garbled line, never a wrap).
 */
static bool parse_num(const char *s, size_t n, size_t *pos, uint32_t max, uint32_t *val)
{
	size_t i = *pos;
	uint64_t v = 0;

	if (i >= n || s[i] < '0' || s[i] > '9')
		return false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return false;
	}
	*pos = i;
	*val = (uint32_t)v;
	return true;
}

static bool only_spaces(const char *s, size_t n, size_t i)
{
	for (; i < n; i++)
		if (s[i] != ' ')
			return false;
	return true;
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Case-insensitive `word` at s[i], ending at the end of text or a non-letter. */
static bool word_at(const char *s, size_t n, size_t i, const char *word)
{
	size_t l = strlen(word);

	if (n - i < l)
		return false;
	for (size_t j = 0; j < l; j++)
		if (upper(s[i + j]) != word[j])
			return false;
	return i + l == n || upper(s[i + l]) < 'A' || upper(s[i + l]) > 'Z';
}

/*
 * The directive follows the first unescaped '#' after the number (TAP lets a
 * description carry "\#"). Only SKIP and TODO change how a result counts.
 */
static enum ktap_dir parse_directive(const char *s, size_t n, size_t i)
{
	for (; i < n; i++) {
		if (s[i] == '\\') {
			i++; /* the escaped character is description text */
			continue;
		}
		if (s[i] == '#')
			break;
	}
	if (i >= n)
		return KD_NONE;
	for (i++; i < n && s[i] == ' '; i++)
		;
	if (word_at(s, n, i, "SKIP"))
		return KD_SKIP;
	if (word_at(s, n, i, "TODO"))
		return KD_TODO;
	return KD_NONE;
}

/* Takes apart the text after the indentation; counts lines that almost parse. */
static void classify(struct ktap *k, const char *s, size_t n, struct ktap_parsed *p)
{
	size_t i = 0;

	p->kind = KT_OTHER;
	if (has_prefix(s, n, "KTAP version ") || has_prefix(s, n, "TAP version ")) {
		i = s[0] == 'K' ? 13 : 12;
		if (parse_num(s, n, &i, UINT32_MAX, &p->num) && only_spaces(s, n, i))
			p->kind = KT_VERSION;
		else
			k->malformed = sat_add(k->malformed, 1);
	} else if (has_prefix(s, n, "1..")) {
		/* TAP allows `1..0 # SKIP reason`: text after a space is fine. */
		i = 3;
		if (parse_num(s, n, &i, KTAP_MAX_PLAN, &p->num) &&
		    (i == n || s[i] == ' '))
			p->kind = KT_PLAN;
		else
			k->malformed = sat_add(k->malformed, 1);
	} else if (has_prefix(s, n, "ok") || has_prefix(s, n, "not ok")) {
		p->ok = s[0] == 'o';
		i = p->ok ? 2 : 6;
		if (i < n && s[i] != ' ')
			return; /* "okay", "not okay": prose, not KTAP */
		i++;
		if (parse_num(s, n, &i, UINT32_MAX, &p->num) && (i == n || s[i] == ' ')) {
			p->kind = KT_RESULT;
			p->dir = parse_directive(s, n, i);
		} else {
			k->malformed = sat_add(k->malformed, 1);
		}
	} else if (has_prefix(s, n, "# Subtest:")) {
		p->kind = KT_SUBTEST;
		p->rest = s + 10;
		p->rest_len = n - 10;
	}
}

/* Keeps a printable copy of a suite name: it ends up on a terminal. */
static void set_name(struct ktap_level *lvl, const char *s, size_t n)
{
	size_t j = 0;

	while (n > 0 && s[0] == ' ') {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n && j < KTAP_NAME_MAX - 1; i++)
		lvl->name[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	lvl->name[j] = '\0';
}

static void open_level(struct ktap *k, uint32_t indent)
{
	struct ktap_level *lvl = &k->levels[k->depth];

	memset(lvl, 0, sizeof(*lvl));
	lvl->indent = indent;
	if (k->depth > 0)
		k->levels[k->depth - 1].has_child = true;
	k->depth++;
}

/* Counts one outcome at level d and in k's totals. */
static void count(struct ktap *k, unsigned int d, uint32_t *total, bool fail, uint32_t n)
{
	*total = sat_add(*total, n);
	k->levels[d].counted = sat_add(k->levels[d].counted, n);
	if (fail)
		k->levels[d].failed = sat_add(k->levels[d].failed, n);
}

/* Closes the innermost level: its missing results fail, its tallies go up. */
static void close_level(struct ktap *k)
{
	unsigned int d = k->depth - 1;
	struct ktap_level *lvl = &k->levels[d];

	if (lvl->has_plan && lvl->results < lvl->plan) {
		uint32_t miss = lvl->plan - lvl->results;

		k->missing = sat_add(k->missing, miss);
		count(k, d, &k->failed, true, miss);
		if (k->event)
			k->event(k->event_ctx, KTAP_EV_MISSING, lvl->name, d, miss);
	}
	k->depth--;
	if (d > 0) {
		struct ktap_level *up = &k->levels[d - 1];

		up->counted = sat_add(up->counted, lvl->counted);
		up->failed = sat_add(up->failed, lvl->failed);
		up->child_counted = sat_add(up->child_counted, lvl->counted);
		up->child_failed = sat_add(up->child_failed, lvl->failed);
	}
}

/*
 * A result at level d, the innermost open level. See the primer for which
 * results count.
 */
static void on_result(struct ktap *k, unsigned int d, const struct ktap_parsed *p)
{
	struct ktap_level *lvl = &k->levels[d];

	if (p->num != lvl->results + 1)
		k->misnumbered = sat_add(k->misnumbered, 1);
	lvl->results = sat_add(lvl->results, 1);
	if (!lvl->has_child || lvl->child_counted == 0) {
		if (p->dir == KD_SKIP || (!p->ok && p->dir == KD_TODO))
			count(k, d, &k->skipped, false, 1);
		else if (p->ok)
			count(k, d, &k->passed, false, 1);
		else
			count(k, d, &k->failed, true, 1);
	} else if (!p->ok && p->dir == KD_NONE && lvl->child_failed == 0) {
		count(k, d, &k->failed, true, 1);
	}
	lvl->has_child = false;
	lvl->child_counted = 0;
	lvl->child_failed = 0;
}

/* True when a level already holds a suite, so a new header starts another. */
static bool level_used(const struct ktap_level *lvl)
{
	return lvl->has_plan || lvl->results > 0 || lvl->has_child;
}

/* Applies a structural line to level d, the innermost open level. */
static void apply(struct ktap *k, unsigned int d, const struct ktap_parsed *p)
{
	struct ktap_level *lvl = &k->levels[d];
	uint32_t indent = lvl->indent;

	switch (p->kind) {
	case KT_VERSION:
	case KT_SUBTEST:
		/*
		 * A header on a level that already ran a suite: the previous
		 * suite ended without its parent's result line (or, at level 0,
		 * a second document began). Close it and start afresh. A stray
		 * `# Subtest:` at level 0 is no reason to drop the document.
		 */
		if (level_used(lvl) && (d > 0 || p->kind == KT_VERSION)) {
			close_level(k);
			open_level(k, indent);
		}
		if (p->kind == KT_SUBTEST && !level_used(lvl))
			set_name(lvl, p->rest, p->rest_len);
		break;
	case KT_PLAN:
		if (lvl->has_plan) {
			k->malformed = sat_add(k->malformed, 1);
			break;
		}
		lvl->has_plan = true;
		lvl->plan = p->num;
		if (d == 0)
			k->saw_plan = true;
		break;
	case KT_RESULT:
		on_result(k, d, p);
		break;
	case KT_OTHER:
		break;
	}
}

void ktap_init(struct ktap *k, ktap_event_fn event, void *ctx)
{
	memset(k, 0, sizeof(*k));
	k->event = event;
	k->event_ctx = ctx;
}

void ktap_line(struct ktap *k, const char *line, size_t len)
{
	struct ktap_parsed p;
	size_t indent = 0;
	uint32_t top;

	if (k->finished)
		return;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	while (indent < len && line[indent] == ' ')
		indent++;
	if (indent > UINT32_MAX / 2)
		return; /* no sane level sits there; keeps the arithmetic small */
	memset(&p, 0, sizeof(p));
	classify(k, line + indent, len - indent, &p);
	if (p.kind == KT_OTHER)
		return;

	if (k->depth == 0) {
		/* Before the document starts, only its version line matters. */
		if (p.kind != KT_VERSION)
			return;
		k->saw_version = true;
		k->version = p.num;
		open_level(k, (uint32_t)indent);
		return;
	}

	for (unsigned int d = k->depth; d-- > 0;) {
		if (k->levels[d].indent == indent) {
			while (k->depth > d + 1)
				close_level(k);
			apply(k, d, &p);
			return;
		}
	}

	top = k->levels[k->depth - 1].indent;
	if (indent < top)
		return; /* between two open levels, or left of the document: noise */
	if (k->depth == KTAP_MAX_DEPTH) {
		k->too_deep = sat_add(k->too_deep, 1);
		if (!k->warned_deep && k->event)
			k->event(k->event_ctx, KTAP_EV_TOO_DEEP, "", k->depth, 1);
		k->warned_deep = true;
		return;
	}
	if (indent - top != 2 && indent - top != 4)
		return;
	open_level(k, (uint32_t)indent);
	apply(k, k->depth - 1, &p);
}

void ktap_finish(struct ktap *k)
{
	if (k->finished)
		return;
	while (k->depth > 0)
		close_level(k);
	k->finished = true;
}
