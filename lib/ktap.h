/* SPDX-License-Identifier: MIT */
/*
 * A KTAP version 1 parser (Linux Documentation/dev-tools/ktap.rst), fed one line
 * at a time. It counts leaf test cases (results that had no subtests of their own)
 * as passed, failed or skipped, and the results that a plan promised but that never
 * arrived as missing (and failed).
 *
 *   KTAP version 1                     <- starts the document (level 0)
 *   1..1                               <- plan of level 0
 *     KTAP version 1                   <- a child level, indented
 *     # Subtest: heap                  <- its name
 *     1..2
 *     ok 1 alloc_free                  <- leaf: passed
 *     ok 2 huge # SKIP needs 512M      <- leaf: skipped
 *   ok 1 heap                          <- result of the child: not a leaf
 *
 * The input is untrusted (guest console output): any bytes, any length, bad numbers,
 * absurd indentation. The state is fixed-size; nesting beyond KTAP_MAX_DEPTH levels
 * is ignored and flagged. Nothing is allocated.
 */
#ifndef LIB_KTAP_H
#define LIB_KTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTAP_MAX_DEPTH 8 /* nesting levels kept; deeper lines are ignored */
#define KTAP_NAME_MAX 64 /* bytes kept of a suite name, with the NUL */
#define KTAP_MAX_PLAN 1000000u /* larger plans are malformed (a garbled line) */

/* What the parser tells its caller about, besides the counters. */
enum ktap_event {
	KTAP_EV_MISSING, /* a level ended `count` results short of its plan */
	KTAP_EV_TOO_DEEP, /* first line nested deeper than KTAP_MAX_DEPTH */
};

/*
 * Called for each event. `suite` is the name from `# Subtest:` ("" when the level
 * had none, always for level 0), `depth` the level (0 = top).
 */
typedef void (*ktap_event_fn)(void *ctx, enum ktap_event ev, const char *suite,
			      unsigned int depth, uint32_t count);

/* One open nesting level. */
struct ktap_level {
	uint32_t indent; /* column of this level's lines */
	uint32_t plan; /* results promised by `1..N`, if has_plan */
	uint32_t results; /* result lines seen at this level */
	uint32_t counted; /* outcomes counted in this level's subtree */
	uint32_t failed; /* of which failures (missing results included) */
	uint32_t child_counted; /* outcomes counted by children since our last result */
	uint32_t child_failed; /* of which failures */
	bool has_plan; /* a plan line was seen */
	bool has_child; /* a child level opened since our last result */
	char name[KTAP_NAME_MAX]; /* from `# Subtest:`, printable ASCII only */
};

/* Parser state; callers read the counters, everything else is private. */
struct ktap {
	struct ktap_level levels[KTAP_MAX_DEPTH]; /* the open levels, 0 = top */
	unsigned int depth; /* number of open levels; 0 before `KTAP version` */
	ktap_event_fn event; /* optional event callback */
	void *event_ctx; /* its argument */

	bool saw_version; /* a `KTAP version N` (or `TAP version N`) line was seen */
	bool saw_plan; /* level 0 had a plan */
	bool finished; /* ktap_finish() ran; further lines are ignored */
	bool warned_deep; /* KTAP_EV_TOO_DEEP was reported */
	uint32_t version; /* N of the first version line */
	uint32_t passed; /* leaf results `ok` */
	uint32_t failed; /* leaf results `not ok`, failed suites, missing results */
	uint32_t skipped; /* results with a SKIP directive, and `not ok # TODO` */
	uint32_t missing; /* results promised by plans that never arrived */
	uint32_t too_deep; /* structural lines ignored for being nested too deep */
	uint32_t malformed; /* lines that looked like KTAP but did not parse */
	uint32_t misnumbered; /* results whose number was not the expected one */
};

/* Resets the parser; `event` may be NULL. */
void ktap_init(struct ktap *k, ktap_event_fn event, void *ctx);

/*
 * Feeds one line, without its newline; a trailing "\r" (or "\n") is dropped. The
 * line need not be NUL-terminated and may contain any bytes.
 */
void ktap_line(struct ktap *k, const char *line, size_t len);

/*
 * Ends the input: closes every open level, counting the results their plans still
 * owe as missing and failed. Call once, after the last line.
 */
void ktap_finish(struct ktap *k);

#endif
