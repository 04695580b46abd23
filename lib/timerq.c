/* SPDX-License-Identifier: MIT */
/*
 * Deadline queue: an intrusive binary min-heap.
 *
 * Primer. slots[0..n) is a binary heap: the children of slot i are 2i+1 and 2i+2,
 * and no entry comes before its parent. "Comes before" is the key (deadline, seq):
 * seq is a per-queue counter stamped by timerq_add, so equal deadlines keep the order
 * they were added in (a plain heap is not stable) and no two keys are ever equal,
 * which makes the order the heap yields unique. Invariant kept by every operation:
 * slots[e->index] == e for each queued e, so remove and rearm find an entry's slot
 * without searching, and an entry not in the queue has index TIMERQ_NOT_QUEUED.
 *
 * Removing slot i moves the last entry into it and sifts that entry up or down,
 * whichever the key asks; both are O(log n).
 */
#include "lib/timerq.h"

#include "toro/errno.h"

/* Whether a expires before b. */
static bool tq_before(const struct timerq_entry *a, const struct timerq_entry *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

/* Puts e in slot i and records it there. */
static void tq_place(struct timerq *q, uint32_t i, struct timerq_entry *e)
{
	q->slots[i] = e;
	e->index = i;
}

/* Moves e, which belongs at slot i or above, up to where its parent precedes it. */
static void tq_sift_up(struct timerq *q, uint32_t i, struct timerq_entry *e)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!tq_before(e, q->slots[parent]))
			break;
		tq_place(q, i, q->slots[parent]);
		i = parent;
	}
	tq_place(q, i, e);
}

/* Moves e, which belongs at slot i or below, down to where it precedes its children. */
static void tq_sift_down(struct timerq *q, uint32_t i, struct timerq_entry *e)
{
	for (;;) {
		/* 64-bit: 2i + 1 overflows 32 bits near the largest capacity. */
		uint64_t child = 2 * (uint64_t)i + 1;

		if (child >= q->n)
			break;
		if (child + 1 < q->n && tq_before(q->slots[child + 1], q->slots[child]))
			child++;
		if (!tq_before(q->slots[child], e))
			break;
		tq_place(q, i, q->slots[child]);
		i = (uint32_t)child;
	}
	tq_place(q, i, e);
}

/* Whether e sits in q (and so index is a valid slot of q). */
static bool tq_holds(const struct timerq *q, const struct timerq_entry *e)
{
	return e->index < q->n && q->slots[e->index] == e;
}

/* Takes the entry at slot i out of the heap. */
static void tq_remove_at(struct timerq *q, uint32_t i)
{
	struct timerq_entry *gone = q->slots[i];
	struct timerq_entry *last = q->slots[--q->n];

	gone->index = TIMERQ_NOT_QUEUED;
	q->slots[q->n] = NULL;
	if (i == q->n)
		return;
	/* last came from the bottom; it may belong above slot i's parent or below i. */
	if (i > 0 && tq_before(last, q->slots[(i - 1) / 2]))
		tq_sift_up(q, i, last);
	else
		tq_sift_down(q, i, last);
}

int timerq_init(struct timerq *q, struct timerq_entry **slots, uint32_t cap)
{
	if ((!slots && cap > 0) || cap > TIMERQ_MAX_CAP)
		return -EINVAL;
	q->slots = slots;
	q->cap = cap;
	q->n = 0;
	q->next_seq = 0;
	return 0;
}

void timerq_entry_init(struct timerq_entry *e, void *owner)
{
	e->deadline = 0;
	e->seq = 0;
	e->owner = owner;
	e->index = TIMERQ_NOT_QUEUED;
}

bool timerq_queued(const struct timerq_entry *e)
{
	return e->index != TIMERQ_NOT_QUEUED;
}

int timerq_add(struct timerq *q, struct timerq_entry *e, uint64_t deadline)
{
	if (timerq_queued(e))
		return -EBUSY;
	if (q->n == q->cap)
		return -ENOSPC;
	e->deadline = deadline;
	e->seq = q->next_seq++;
	q->n++;
	tq_sift_up(q, q->n - 1, e);
	return 0;
}

int timerq_remove(struct timerq *q, struct timerq_entry *e)
{
	if (!tq_holds(q, e))
		return -ENOENT;
	tq_remove_at(q, e->index);
	return 0;
}

int timerq_rearm(struct timerq *q, struct timerq_entry *e, uint64_t deadline)
{
	if (!timerq_queued(e))
		return timerq_add(q, e, deadline);
	if (!tq_holds(q, e))
		return -ENOENT;
	/* Same as remove then add, without the window where a full queue could refuse. */
	tq_remove_at(q, e->index);
	e->deadline = deadline;
	e->seq = q->next_seq++;
	q->n++;
	tq_sift_up(q, q->n - 1, e);
	return 0;
}

struct timerq_entry *timerq_peek(const struct timerq *q)
{
	return q->n ? q->slots[0] : NULL;
}

uint64_t timerq_next_deadline(const struct timerq *q)
{
	return q->n ? q->slots[0]->deadline : UINT64_MAX;
}

struct timerq_entry *timerq_pop_expired(struct timerq *q, uint64_t now)
{
	struct timerq_entry *e = timerq_peek(q);

	if (!e || e->deadline > now)
		return NULL;
	tq_remove_at(q, 0);
	return e;
}

uint32_t timerq_count(const struct timerq *q)
{
	return q->n;
}
