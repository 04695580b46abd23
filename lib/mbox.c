/* SPDX-License-Identifier: MIT */
/*
 * Single-producer single-consumer message rings, and the sleep/wake handshake.
 *
 * Primer. The ring is a byte buffer of size 2^k and two free-running 64-bit byte
 * counters: tail (bytes the producer has published) and head (bytes the consumer has
 * released). tail - head bytes are in use, size - (tail - head) are free; neither
 * counter ever passes the other's limit, so head <= tail <= head + size always holds.
 * Byte counter c lives at buf[c & (size - 1)].
 *
 * A message is a 4-byte length header followed by the payload, padded with unused
 * bytes to a multiple of 8 (a "record", MBOX_ALIGN). Records start 8-aligned and the
 * size is a multiple of 8, so a header never straddles the end of the buffer; the
 * payload may, and is then copied in two pieces (wrap-around, no padding to the end,
 * so the whole buffer is usable: the largest payload is size - 4).
 *
 * Ordering. Only the producer writes tail and only the consumer writes head:
 *   producer: write record bytes; store tail (release)
 *   consumer: load tail (acquire); read record bytes; store head (release)
 *   producer: load head (acquire); overwrite the freed bytes
 * The release/acquire pairs make the payload visible before its index, and the
 * consumer's reads finish before the producer reuses the space. Each side keeps a
 * private copy of the other's counter (head_seen, tail_seen) and loads the shared one
 * only when its copy says "full" or "empty", so in steady state each side touches the
 * other's cache line once per batch, not once per message.
 *
 * Sleep/wake. A receiver with nothing to do wants to halt until an IPI. The race: it
 * checks its rings (empty), a sender then publishes and decides no IPI is needed
 * because the receiver is still awake, and the receiver halts with a message waiting.
 * The cure is Dekker's pattern with two variables, the ring's tail and the waiter's
 * sleeping flag:
 *   receiver: sleeping = 1; FENCE; load every tail -> halt only if all empty
 *   sender:   tail = t;     FENCE; load sleeping  -> IPI if 1
 * With a sequentially consistent fence between each side's store and its load, the
 * two fences are ordered one way or the other in the single total order of seq_cst
 * operations: if the sender's fence comes first, the receiver's re-check sees the new
 * tail; if the receiver's comes first, the sender sees sleeping == 1 (or a later
 * clear, which means the receiver woke and will run its next re-check after the
 * sender's fence, so it sees the tail then). Without the fences, x86's store buffer
 * alone lets both loads return the old values, which is exactly the lost wakeup.
 * Release/acquire is not enough here: it orders a store before later stores and a
 * load before later loads, never a store before a later load.
 *
 * The kernel must also not lose the IPI itself between the re-check and the halt:
 * it re-checks with interrupts off and halts with `sti; hlt`, which takes a pending
 * interrupt as the halt begins.
 */
#include "lib/mbox.h"

#include "lib/kstring.h"
#include "toro/errno.h"

/* Bytes one message of len payload bytes takes in the ring. */
static uint64_t mbox_record(uint64_t len)
{
	return (MBOX_HDR_SIZE + len + MBOX_ALIGN - 1) & ~(uint64_t)(MBOX_ALIGN - 1);
}

/* Copies src[0..n) into the ring at byte counter pos, wrapping at the end. */
static void mbox_copy_in(struct mbox_ring *r, uint64_t pos, const void *src, size_t n)
{
	size_t off = (size_t)(pos & (r->size - 1));
	size_t first = r->size - off < n ? r->size - off : n;

	if (n == 0) /* src may be NULL for an empty message */
		return;
	memcpy(r->buf + off, src, first);
	memcpy(r->buf, (const unsigned char *)src + first, n - first);
}

/* Copies n bytes out of the ring at byte counter pos into dst, wrapping at the end. */
static void mbox_copy_out(const struct mbox_ring *r, uint64_t pos, void *dst, size_t n)
{
	size_t off = (size_t)(pos & (r->size - 1));
	size_t first = r->size - off < n ? r->size - off : n;

	if (n == 0) /* dst may be NULL for an empty message */
		return;
	memcpy(dst, r->buf + off, first);
	memcpy((unsigned char *)dst + first, r->buf, n - first);
}

int mbox_ring_init(struct mbox_ring *r, void *buf, size_t size)
{
	if (!buf || size < MBOX_MIN_SIZE || size > MBOX_MAX_SIZE || (size & (size - 1)) ||
	    ((uintptr_t)buf & (MBOX_ALIGN - 1)))
		return -EINVAL;
	r->buf = buf;
	r->size = size;
	r->head_seen = 0;
	r->tail_seen = 0;
	/* Before the ring is shared: the caller publishes r itself (e.g. CPU bring-up). */
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	return 0;
}

size_t mbox_ring_max_msg(const struct mbox_ring *r)
{
	return r->size - MBOX_HDR_SIZE;
}

int mbox_ring_send(struct mbox_ring *r, const void *msg, size_t len)
{
	/* Relaxed: only this side writes tail. */
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t need;
	uint32_t hdr;

	if (len > mbox_ring_max_msg(r))
		return -E2BIG;
	need = mbox_record(len);
	if (tail - r->head_seen + need > r->size) {
		/*
		 * Acquire: pairs with the consumer's release of head, so its reads of the
		 * bytes it freed are done before we overwrite them below.
		 */
		r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail - r->head_seen + need > r->size)
			return -EAGAIN;
	}
	hdr = (uint32_t)len;
	mbox_copy_in(r, tail, &hdr, sizeof(hdr));
	mbox_copy_in(r, tail + MBOX_HDR_SIZE, msg, len);
	/*
	 * Release: the header and payload written above become visible to the consumer
	 * no later than the new tail that covers them.
	 */
	atomic_store_explicit(&r->tail, tail + need, memory_order_release);
	return 0;
}

/*
 * Consumer: the length of the message at head, or -EAGAIN / -EIO. *headp gets head.
 * On success the whole record is known to be published.
 */
static long mbox_front(struct mbox_ring *r, uint64_t *headp)
{
	/* Relaxed: only this side writes head. */
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t len;

	if (head == r->tail_seen) {
		/*
		 * Acquire: pairs with the producer's release of tail, so the record bytes
		 * it covers are visible before we read them.
		 */
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head == r->tail_seen)
			return -EAGAIN;
	}
	/* A producer that follows the protocol cannot make these false. */
	if (r->tail_seen - head > r->size || ((r->tail_seen - head) & (MBOX_ALIGN - 1)))
		return -EIO;
	mbox_copy_out(r, head, &len, sizeof(len));
	if (mbox_record(len) > r->tail_seen - head)
		return -EIO;
	*headp = head;
	return (long)len;
}

long mbox_ring_recv(struct mbox_ring *r, void *buf, size_t size)
{
	uint64_t head;
	long len = mbox_front(r, &head);

	if (len < 0)
		return len;
	if ((size_t)len > size)
		return -E2BIG;
	mbox_copy_out(r, head + MBOX_HDR_SIZE, buf, (size_t)len);
	/*
	 * Release: our reads of the record above complete before the producer can see
	 * the space as free and overwrite it.
	 */
	atomic_store_explicit(&r->head, head + mbox_record((uint64_t)len),
			      memory_order_release);
	return len;
}

long mbox_ring_peek_len(struct mbox_ring *r)
{
	uint64_t head;

	return mbox_front(r, &head);
}

bool mbox_ring_empty(struct mbox_ring *r)
{
	uint64_t head;

	/* A corrupt ring (-EIO) counts as not empty, so the receiver looks at it. */
	return mbox_front(r, &head) == -EAGAIN;
}

void mbox_waiter_init(struct mbox_waiter *w)
{
	/* Before the waiter is shared; the caller publishes it. */
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

void mbox_waiter_prepare_sleep(struct mbox_waiter *w)
{
	atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
	/*
	 * Dekker, receiver side: orders the store of the flag above before the loads of
	 * every ring's tail in the caller's re-check. Pairs with the fence in
	 * mbox_send_needs_ipi() (see the primer).
	 */
	atomic_thread_fence(memory_order_seq_cst);
}

void mbox_waiter_wake(struct mbox_waiter *w)
{
	/*
	 * Relaxed: the clear only saves senders an IPI. A sender that still sees 1 sends
	 * a spurious one; one that sees 0 relies on our next prepare_sleep fence.
	 */
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

bool mbox_send_needs_ipi(struct mbox_waiter *w)
{
	/*
	 * Dekker, sender side: orders the store of the tail in the preceding
	 * mbox_ring_send() before the load of the flag below. Pairs with the fence in
	 * mbox_waiter_prepare_sleep() (see the primer).
	 */
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&w->sleeping, memory_order_relaxed) != 0;
}
