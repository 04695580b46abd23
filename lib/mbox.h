/* SPDX-License-Identifier: MIT */
/*
 * Mailboxes: lock-free single-producer single-consumer rings of variable-length
 * messages, one per ordered pair of CPUs. The kernel keeps an N x N array of them;
 * CPU s only ever sends on ring [s][d] and CPU d only ever receives from it, so no
 * ring has two writers of the same counter and none needs a lock.
 *
 * A receiver that finds nothing to do may halt; a sender then has to wake it with an
 * IPI. struct mbox_waiter holds the "I am about to halt" flag and the functions
 * around it close the race between the last check and the halt (see mbox.c).
 *
 * All functions here are for the one side named in their comment; calling them from
 * the other side, or from two CPUs at once on the same side, breaks the ring.
 */
#ifndef LIB_MBOX_H
#define LIB_MBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBOX_CACHELINE 64 /* x86-64 cache line: the unit of false sharing */
#define MBOX_HDR_SIZE 4 /* length header in front of every message */
#define MBOX_ALIGN 8 /* every message (header + payload) is padded to this */
#define MBOX_MIN_SIZE 16 /* smallest ring buffer, bytes */
#define MBOX_MAX_SIZE ((size_t)1 << 30) /* largest ring buffer, bytes */

/*
 * One ring. The two counters are free-running byte offsets that never wrap in
 * practice (2^64 bytes); the position in buf is the counter masked by size - 1. Each
 * side's counter sits on its own cache line together with that side's private copy
 * of the other counter, so the lines ping-pong only when a side has to look.
 * The struct must be placed 64-byte aligned (static arrays are; dynamic storage must
 * ask for it).
 */
struct mbox_ring {
	/* Producer's line. tail: bytes ever written; only the producer stores it. */
	_Alignas(MBOX_CACHELINE) _Atomic uint64_t tail;
	uint64_t head_seen; /* producer's last reading of head, to skip loading it */

	/* Consumer's line. head: bytes ever consumed; only the consumer stores it. */
	_Alignas(MBOX_CACHELINE) _Atomic uint64_t head;
	uint64_t tail_seen; /* consumer's last reading of tail, to skip loading it */

	/* Read-only after init, shared by both. */
	_Alignas(MBOX_CACHELINE) unsigned char *buf; /* size bytes, from the caller */
	size_t size; /* power of two, MBOX_MIN_SIZE..MBOX_MAX_SIZE */
};

/*
 * The receiver's sleep flag, one per receiving CPU, on its own cache line because
 * every sender reads it after every send.
 */
struct mbox_waiter {
	_Alignas(MBOX_CACHELINE) _Atomic int sleeping; /* 1 from prepare_sleep to wake */
};

/*
 * Sets up r over buf[0..size). size must be a power of two between MBOX_MIN_SIZE and
 * MBOX_MAX_SIZE and buf must be 8-byte aligned, else -EINVAL. Not concurrent with
 * anything else on r.
 */
int mbox_ring_init(struct mbox_ring *r, void *buf, size_t size);

/* Largest payload a ring of this buffer size can carry: size - MBOX_HDR_SIZE. */
size_t mbox_ring_max_msg(const struct mbox_ring *r);

/*
 * Producer. Copies msg[0..len) in as one message. -EAGAIN if there is not room now
 * (nothing is written; try again after the consumer has made progress), -E2BIG if
 * len > mbox_ring_max_msg(r) (it never fits). A zero-length message is allowed.
 * After a successful send, call mbox_send_needs_ipi() on the receiver's waiter.
 */
int mbox_ring_send(struct mbox_ring *r, const void *msg, size_t len);

/*
 * Consumer. Takes the oldest message into buf and returns its length. -EAGAIN if the
 * ring is empty; -E2BIG if the message is longer than size (it stays in the ring, so
 * the caller can ask mbox_ring_peek_len() and retry); -EIO if the ring holds a
 * header that cannot be right (memory corruption: the ring is then unusable).
 */
long mbox_ring_recv(struct mbox_ring *r, void *buf, size_t size);

/* Consumer. Length of the oldest message without taking it; -EAGAIN or -EIO as recv. */
long mbox_ring_peek_len(struct mbox_ring *r);

/* Consumer. Whether no message is waiting (what the pre-sleep re-check asks). */
bool mbox_ring_empty(struct mbox_ring *r);

/* Receiver. Clears the flag: starts awake. */
void mbox_waiter_init(struct mbox_waiter *w);

/*
 * Receiver, about to halt. Sets the flag; afterwards the receiver must re-check every
 * ring aimed at it (and anything else that can wake it), and halt only if all are
 * empty. If it finds work it calls mbox_waiter_wake() and does not halt.
 */
void mbox_waiter_prepare_sleep(struct mbox_waiter *w);

/* Receiver, after the halt (or the aborted halt). Clears the flag. */
void mbox_waiter_wake(struct mbox_waiter *w);

/*
 * Sender, after a successful mbox_ring_send() to the waiter's CPU. True if the
 * receiver may be halted or about to halt without having seen the message: the
 * sender must then send the wake-up IPI. False means the receiver is guaranteed to
 * see the message without one. Several senders may all get true: extra IPIs are
 * harmless.
 */
bool mbox_send_needs_ipi(struct mbox_waiter *w);

#endif
