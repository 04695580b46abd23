/* SPDX-License-Identifier: MIT */
/*
 * Memory map normalisation. The map comes from the VMM and is untrusted: entries
 * may be unsorted, overlap, wrap around, or claim the same bytes as RAM and as
 * reserved. The rule is the conservative one: a byte is usable only if some entry
 * says RAM, no entry says anything else, and the kernel has not reserved it.
 *
 * The work set is the output array itself: RAM ranges are inserted sorted and
 * merged, then each forbidden range is cut out (which may split a range in two).
 */
#include "lib/memmap.h"

struct set {
	struct mem_range *r; /* sorted, disjoint, non-empty ranges */
	size_t n; /* ranges in use */
	size_t cap; /* capacity of r */
	bool overflow; /* a range was dropped for lack of room */
};

/* Rounds an entry to [start, end) without wrapping; false if it is empty or bogus. */
static bool entry_range(const struct hvm_memmap_table_entry *e, struct mem_range *r)
{
	if (e->size == 0 || e->addr + e->size < e->addr)
		return false;
	r->start = e->addr;
	r->end = e->addr + e->size;
	return true;
}

/* Inserts [s, e) keeping the set sorted and merged. */
static void set_add(struct set *st, uint64_t s, uint64_t e)
{
	size_t i = 0;

	if (s >= e)
		return;
	while (i < st->n && st->r[i].end < s)
		i++;
	/* Merge every range that touches or overlaps [s, e). */
	size_t j = i;

	while (j < st->n && st->r[j].start <= e) {
		if (st->r[j].start < s)
			s = st->r[j].start;
		if (st->r[j].end > e)
			e = st->r[j].end;
		j++;
	}
	if (j > i) {
		/* Ranges i..j-1 collapse into one at i. */
		st->r[i].start = s;
		st->r[i].end = e;
		for (size_t k = j; k < st->n; k++)
			st->r[i + 1 + (k - j)] = st->r[k];
		st->n -= j - i - 1;
		return;
	}
	if (st->n == st->cap) {
		st->overflow = true;
		if (i == st->n)
			return; /* the highest range is the one dropped */
		st->n--;
	}
	for (size_t k = st->n; k > i; k--)
		st->r[k] = st->r[k - 1];
	st->r[i].start = s;
	st->r[i].end = e;
	st->n++;
}

/* Removes [s, e) from the set. */
static void set_cut(struct set *st, uint64_t s, uint64_t e)
{
	for (size_t i = 0; i < st->n && s < e; i++) {
		struct mem_range *r = &st->r[i];

		if (r->end <= s || r->start >= e)
			continue;
		if (r->start >= s && r->end <= e) {
			for (size_t k = i + 1; k < st->n; k++)
				st->r[k - 1] = st->r[k];
			st->n--;
			i--;
		} else if (r->start < s && r->end > e) {
			/* Split in two; the upper half is inserted after i. */
			uint64_t old_end = r->end;

			r->end = s;
			if (st->n == st->cap) {
				st->overflow = true;
				if (i + 1 == st->n)
					continue;
				st->n--;
			}
			for (size_t k = st->n; k > i + 1; k--)
				st->r[k] = st->r[k - 1];
			st->r[i + 1].start = e;
			st->r[i + 1].end = old_end;
			st->n++;
			i++;
		} else if (r->start < s) {
			r->end = s;
		} else {
			r->start = e;
		}
	}
}

static uint64_t page_up(uint64_t a)
{
	uint64_t r = (a + MEMMAP_PAGE - 1) & ~(uint64_t)(MEMMAP_PAGE - 1);

	return r < a ? ~(uint64_t)(MEMMAP_PAGE - 1) : r;
}

static uint64_t page_down(uint64_t a)
{
	return a & ~(uint64_t)(MEMMAP_PAGE - 1);
}

size_t memmap_usable(const struct hvm_memmap_table_entry *map, size_t n,
		     const struct mem_range *resv, size_t nresv, struct mem_range *out,
		     size_t cap, bool *truncated)
{
	struct set st = { out, 0, cap, false };
	struct mem_range r;

	for (size_t i = 0; i < n; i++)
		if (map[i].type == HVM_MEMMAP_TYPE_RAM && entry_range(&map[i], &r))
			set_add(&st, r.start, r.end);
	/* Anything a non-RAM entry claims is off limits, whole pages at a time. */
	for (size_t i = 0; i < n; i++)
		if (map[i].type != HVM_MEMMAP_TYPE_RAM && entry_range(&map[i], &r))
			set_cut(&st, page_down(r.start), page_up(r.end));
	for (size_t i = 0; i < nresv; i++)
		set_cut(&st, page_down(resv[i].start), page_up(resv[i].end));
	/* Only whole pages are usable. */
	size_t k = 0;

	for (size_t i = 0; i < st.n; i++) {
		uint64_t s = page_up(st.r[i].start), e = page_down(st.r[i].end);

		if (s < e) {
			out[k].start = s;
			out[k].end = e;
			k++;
		}
	}
	*truncated = st.overflow;
	return k;
}

uint64_t memmap_ram_bytes(const struct hvm_memmap_table_entry *map, size_t n)
{
	/* Count overlapping entries once: sum the merged set in small batches. */
	struct mem_range buf[64];
	struct set st = { buf, 0, 64, false };
	struct mem_range r;
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		if (map[i].type == HVM_MEMMAP_TYPE_RAM && entry_range(&map[i], &r))
			set_add(&st, r.start, r.end);
	for (size_t i = 0; i < st.n; i++)
		total += st.r[i].end - st.r[i].start;
	return total;
}
