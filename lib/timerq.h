/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU deadline queue of a tickless timer: a binary min-heap of entries that
 * live inside the caller's objects (a sleeping thread, a timeout). The caller supplies
 * the array of slots, so the queue never allocates; each entry remembers its slot, so
 * any entry can be removed in O(log n). Entries with equal deadlines come out in the
 * order they were added.
 *
 * Not thread-safe: one queue belongs to one CPU, like everything it holds.
 */
#ifndef LIB_TIMERQ_H
#define LIB_TIMERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMERQ_NOT_QUEUED UINT32_MAX /* timerq_entry.index of an entry in no queue */
#define TIMERQ_MAX_CAP (UINT32_MAX - 1) /* largest capacity (indices stay below) */

struct timerq_entry {
	uint64_t deadline; /* when it expires, in the caller's unit (TSC ticks, ns) */
	uint64_t seq; /* the queue's add counter at timerq_add: breaks deadline ties */
	void *owner; /* the caller's object; the queue never touches it */
	uint32_t index; /* slot in the heap, or TIMERQ_NOT_QUEUED */
};

struct timerq {
	struct timerq_entry **slots; /* cap slots from the caller; [0, n) is the heap */
	uint32_t cap; /* number of slots */
	uint32_t n; /* entries queued */
	uint64_t next_seq; /* seq of the next timerq_add; 2^64 adds never happen */
};

/*
 * Empty queue over slots[0..cap). -EINVAL if slots is NULL with cap > 0, or cap is
 * above TIMERQ_MAX_CAP.
 */
int timerq_init(struct timerq *q, struct timerq_entry **slots, uint32_t cap);

/* Marks e as queued nowhere and sets its owner. Call once before first use. */
void timerq_entry_init(struct timerq_entry *e, void *owner);

/* Whether e is in a queue. */
bool timerq_queued(const struct timerq_entry *e);

/*
 * Queues e to expire at deadline. -EBUSY if e is already queued (remove it first, or
 * use timerq_rearm), -ENOSPC if the queue is full; e is unchanged on error.
 */
int timerq_add(struct timerq *q, struct timerq_entry *e, uint64_t deadline);

/*
 * Takes e out of q. -ENOENT if e is not in q (never added, already removed or
 * popped, or in another queue). O(log n).
 */
int timerq_remove(struct timerq *q, struct timerq_entry *e);

/*
 * Moves e to a new deadline, queuing it if it was not queued (it then counts as
 * added last among equal deadlines). Errors as timerq_add; on error e keeps its old
 * place. -ENOENT if e is queued in another queue.
 */
int timerq_rearm(struct timerq *q, struct timerq_entry *e, uint64_t deadline);

/* The entry that expires first (earliest deadline, then earliest added), or NULL. */
struct timerq_entry *timerq_peek(const struct timerq *q);

/* Deadline of timerq_peek(q), or UINT64_MAX if the queue is empty. */
uint64_t timerq_next_deadline(const struct timerq *q);

/*
 * Removes and returns the first entry if its deadline is <= now, else NULL. Call it
 * until NULL to collect everything that has expired, in order.
 */
struct timerq_entry *timerq_pop_expired(struct timerq *q, uint64_t now);

/* Number of queued entries. */
uint32_t timerq_count(const struct timerq *q);

#endif
