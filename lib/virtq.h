/* SPDX-License-Identifier: MIT */
/*
 * Driver side of a split virtqueue (virtio 1.2 section 2.7), over memory the caller
 * provides: the kernel passes DMA-able pages and the identity address translation,
 * host tests pass malloc'd memory and whatever translation their simulated device
 * understands. Nothing here touches a register: the transport writes the ring
 * addresses to the device (virtq_*_dma()) and sends the notification when
 * virtq_kick_needed() says so.
 *
 * Typical use, all from the one CPU that owns the device:
 *   virtq_init(&q, &cfg, desc, avail, used)        or virtq_init_legacy(...)
 *   virtq_add(&q, out, nout, in, nin, req)         any number of times, then
 *   if (virtq_kick_needed(&q)) notify the device
 *   interrupt: do { while ((req = virtq_get_used(&q, &len))) finish(req, len); }
 *              while (!virtq_enable_cb(&q));
 *
 * Not thread-safe: one owner per queue, like every device in Toro.
 */
#ifndef LIB_VIRTQ_H
#define LIB_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/virtio_ring.h"

/* One buffer of a request, as the driver sees it (a virtual address). */
struct virtq_buf {
	const void *addr; /* start; device-writable for the "in" list despite const */
	uint32_t len; /* bytes */
};

/* Driver-private bookkeeping for one descriptor; the caller provides num of them. */
struct virtq_desc_state {
	void *token; /* head of an outstanding chain: the caller's token; else NULL */
	uint64_t in_cap; /* head: device-writable bytes of the chain, bound on used len */
	uint16_t next; /* next descriptor of the chain, or of the free list */
	uint16_t ndesc; /* head: ring descriptors the chain holds (1 if indirect) */
};

/* Virtual -> device ("guest-physical") address. NULL means identity. */
typedef uint64_t (*virtq_to_dma_fn)(void *ctx, const void *va);

/* What virtq_init needs besides the ring areas. */
struct virtq_config {
	uint32_t num; /* queue size: a power of two, 1..VIRTQ_MAX_SIZE */
	bool event_idx; /* VIRTIO_F_EVENT_IDX was negotiated */
	bool indirect; /* VIRTIO_F_INDIRECT_DESC was negotiated and a pool is given */
	struct virtq_desc_state *state; /* num entries, driver-private memory */
	/*
	 * Indirect tables: num * indirect_max descriptors, 16-aligned, DMA-able; the
	 * table of a request whose ring descriptor is d is indirect_pool[d *
	 * indirect_max ...]. Used only if indirect.
	 */
	struct virtq_desc *indirect_pool;
	uint32_t indirect_max; /* descriptors per indirect table, 2..num */
	virtq_to_dma_fn to_dma; /* address translation, NULL for identity */
	void *dma_ctx; /* first argument of to_dma */
};

/* One queue. All fields are private to lib/virtq.c. */
struct virtq {
	uint32_t num; /* queue size N, a power of two */
	struct virtq_desc *desc; /* descriptor table, N entries */
	struct virtq_avail *avail; /* driver area */
	struct virtq_used *used; /* device area: untrusted */
	le16 *used_event; /* avail->ring[N] */
	le16 *avail_event; /* behind used->ring[N]: untrusted */
	struct virtq_desc_state *state; /* shadow of each descriptor, never shared */
	struct virtq_desc *indirect_pool; /* indirect tables, or NULL */
	uint32_t indirect_max; /* descriptors per indirect table; 0 if no indirect */
	uint32_t num_free; /* descriptors on the free list */
	uint16_t free_head; /* first free descriptor, valid while num_free > 0 */
	uint16_t avail_idx; /* our copy of avail->idx; the device never writes it */
	uint16_t last_used; /* used entries consumed: the next one is ring[last_used % N] */
	uint32_t num_added; /* heads added since the last virtq_kick_needed, saturating */
	bool event_idx; /* VIRTIO_F_EVENT_IDX in use */
	bool cb_disabled; /* virtq_disable_cb is in force */
	bool broken; /* the device misbehaved: everything fails from now on */
	virtq_to_dma_fn to_dma; /* address translation, NULL for identity */
	void *dma_ctx; /* first argument of to_dma */
};

/*
 * Sizes of the three areas for a queue of num entries, or 0 if num is not a power
 * of two in 1..VIRTQ_MAX_SIZE. The avail and used sizes include the EVENT_IDX fields.
 */
size_t virtq_desc_bytes(uint32_t num);
size_t virtq_avail_bytes(uint32_t num);
size_t virtq_used_bytes(uint32_t num);

/*
 * Legacy (virtio-mmio version 1) layout, 2.7.2: one contiguous block, the avail
 * ring right behind the descriptor table, the used ring at the next multiple of
 * align (QueueAlign, usually 4096). Byte offset of the used ring, and total bytes
 * (used ring rounded up to align too, as the spec's formula has it). 0 if num is
 * invalid or align is not a power of two >= 16. The legacy layout also satisfies
 * the modern alignments, so it is a fine way to carve one allocation for both.
 */
size_t virtq_legacy_used_offset(uint32_t num, size_t align);
size_t virtq_legacy_bytes(uint32_t num, size_t align);

/*
 * Sets up q over three separate areas (modern devices), each at least
 * virtq_*_bytes(num) long and aligned to VIRTQ_*_ALIGN. Zeroes them, so the used
 * ring's flags start at 0 as the spec asks. -EINVAL on a bad size, alignment or
 * indirect setup. Before the device is told about the queue.
 */
int virtq_init(struct virtq *q, const struct virtq_config *cfg, void *desc, void *avail,
	       void *used);

/*
 * Sets up q over one block of virtq_legacy_bytes(num, align) bytes at base, which
 * must be aligned to align (legacy devices take base / GuestPageSize as QueuePFN).
 */
int virtq_init_legacy(struct virtq *q, const struct virtq_config *cfg, void *base,
		      size_t align);

/* Device addresses of the three areas, for QueueDesc / QueueDriver / QueueDevice. */
uint64_t virtq_desc_dma(const struct virtq *q);
uint64_t virtq_avail_dma(const struct virtq *q);
uint64_t virtq_used_dma(const struct virtq *q);

/*
 * Offers one request: out[0..nout) for the device to read, then in[0..nin) for it
 * to write. token (not NULL) comes back from virtq_get_used when the device is done.
 * A request of more than one buffer takes one descriptor and an indirect table
 * when indirect is in use and it fits in indirect_max, else one descriptor per
 * buffer. The head is visible to the device on return; call virtq_kick_needed.
 *   -EINVAL  no buffers, a NULL token, more than num buffers, more than 2^32 bytes
 *   -ENOSPC  not enough free descriptors now (retry after completions)
 *   -EIO     the queue is broken
 */
int virtq_add(struct virtq *q, const struct virtq_buf *out, size_t nout,
	      const struct virtq_buf *in, size_t nin, void *token);

/*
 * After one or more virtq_add: whether the device wants a notification, according
 * to avail_event (EVENT_IDX) or VIRTQ_USED_F_NO_NOTIFY. Resets the count of added
 * heads, so call it once per batch and notify when it says true. False once broken.
 */
bool virtq_kick_needed(struct virtq *q);

/*
 * Takes the next completed request: returns its token and stores in *len (if len is
 * not NULL) the bytes the device wrote into its "in" buffers. NULL if there is none
 * or the queue is broken. A used entry that names no outstanding chain, a length
 * beyond the chain's writable bytes or a used index that runs ahead of what was
 * offered marks the queue broken.
 */
void *virtq_get_used(struct virtq *q, uint32_t *len);

/*
 * Looks at the k-th completed request not yet taken (0: the one virtq_get_used
 * would return next) without taking it: its token and *len, or NULL if there is
 * none or the entry is not valid (which virtq_get_used will then report). For a
 * look from a context that must not change the queue.
 */
void *virtq_peek_used(const struct virtq *q, uint16_t k, uint32_t *len);

/* Asks the device not to interrupt for completions (a hint: spurious ones happen). */
void virtq_disable_cb(struct virtq *q);

/*
 * Asks for interrupts again, from the next completion on. Returns false if
 * completions are already waiting (they would raise no interrupt), so the caller
 * must poll again; true if the ring is empty and the caller can sleep.
 * A broken queue returns true: nothing more will come.
 */
bool virtq_enable_cb(struct virtq *q);

/* Free descriptors (a request takes one if indirect, else one per buffer). */
uint32_t virtq_num_free(const struct virtq *q);

/* Whether the device was caught misbehaving, and a way for the transport to say so. */
bool virtq_is_broken(const struct virtq *q);
void virtq_mark_broken(struct virtq *q);

/*
 * After the device was reset (or given up on): takes back one outstanding request
 * and returns its token, NULL when none is left, so the driver can fail them all
 * with -EIO. Re-initialise the queue before using it again.
 */
void *virtq_detach_unused(struct virtq *q);

#endif
