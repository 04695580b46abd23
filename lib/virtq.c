/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, driver side.
 *
 * Primer. The driver owns the descriptor table and the available ring; the device
 * owns the used ring. Both rings carry a free-running 16-bit index (avail->idx,
 * used->idx) that counts entries ever published; entry i sits in slot i % N. The
 * driver offers a request by writing a chain of descriptors, putting the chain's
 * first ("head") descriptor index in avail->ring[avail_idx % N] and then bumping
 * avail->idx. The device answers by writing {head, bytes written} into
 * used->ring[used_idx % N] and bumping used->idx. Heads in flight, i.e. offered and
 * not yet consumed by the driver, are avail_idx - last_used (mod 2^16), at most N,
 * so 16 bits always tell a full ring from an empty one.
 *
 * Free list. Free descriptors are linked through state[d].next, our private shadow,
 * never through the shared table: a device can scribble over the descriptor table
 * and the avail ring (it has DMA access to them) without ever corrupting the free
 * list, because we only write those areas, never read them back. A chain keeps the
 * same links, so freeing it is walking state[].next for ndesc steps from the head
 * and splicing the chain in front of the free list.
 *
 * Trust. Everything in the used ring is device input: used->idx, each entry's id
 * and len, used->flags and avail_event. An entry is accepted only if its id is the
 * head of a chain in flight (state[id].token != NULL; tokens are cleared when a
 * chain is freed, so a repeated id fails too) and its len fits the chain's
 * device-writable bytes; used->idx may run ahead of last_used by at most the heads
 * in flight. Each field is loaded once into a local, so the device cannot change it
 * between the check and the use. On any violation the queue is marked broken: every
 * later call fails (-EIO, NULL) and nothing in our state is touched, so the driver
 * can still take its requests back with virtq_detach_unused after a reset.
 *
 * Notifications. Both directions have the same two mechanisms. Without EVENT_IDX a
 * side sets a "don't bother" flag (avail->flags NO_INTERRUPT, used->flags
 * NO_NOTIFY). With EVENT_IDX a side publishes the index whose arrival it wants to
 * hear about (used_event behind the avail ring, avail_event behind the used ring),
 * and the other side notifies when its index steps over it: vring_need_event().
 *
 * Ordering on x86-64 (TSO), with the device running on another CPU of the host:
 *   - stores are not reordered with older stores, and loads not with older loads,
 *     so "descriptors and ring slot, then avail->idx" (virtq_wmb) and "used->idx,
 *     then the used entry" (virtq_rmb) need only stop the compiler;
 *   - a store followed by a load of another location CAN be reordered (the store
 *     waits in the store buffer), so "publish avail->idx, then read the device's
 *     suppression hint" and "publish used_event/flags, then re-read used->idx" need
 *     a real fence (virtq_mb). Both are Dekker patterns: without the fence
 *     each side may read the other's old value and skip the notification, and the
 *     queue stalls with work in it.
 * The shared fields are accessed through volatile pointers (load-once/store-once),
 * naturally aligned, so each access is a single untorn machine access.
 */
#include "lib/virtq.h"

#include <stdatomic.h>

#include "lib/kstring.h"
#include "toro/errno.h"

#if defined(__x86_64__)
/* Compiler barrier: x86-TSO already keeps stores after stores, loads after loads. */
#define virtq_wmb() __asm__ __volatile__("" ::: "memory")
#define virtq_rmb() __asm__ __volatile__("" ::: "memory")
#else
#define virtq_wmb() atomic_thread_fence(memory_order_release)
#define virtq_rmb() atomic_thread_fence(memory_order_acquire)
#endif
/*
 * Full fence: orders an older store before a younger load. GCC emits `lock or` on
 * the stack (as strong as mfence for ordinary write-back memory, which rings are).
 */
#define virtq_mb() atomic_thread_fence(memory_order_seq_cst)

static inline uint16_t vq_load16(const le16 *p)
{
	return *(const volatile le16 *)p;
}

static inline uint32_t vq_load32(const le32 *p)
{
	return *(const volatile le32 *)p;
}

static inline void vq_store16(le16 *p, uint16_t v)
{
	*(volatile le16 *)p = v;
}

static bool vq_valid_num(uint32_t num)
{
	return num >= 1 && num <= VIRTQ_MAX_SIZE && (num & (num - 1)) == 0;
}

static size_t vq_align_up(size_t x, size_t align)
{
	return (x + align - 1) & ~(align - 1);
}

static uint64_t vq_dma(const struct virtq *q, const void *va)
{
	if (q->to_dma)
		return q->to_dma(q->dma_ctx, va);
	return (uint64_t)(uintptr_t)va;
}

size_t virtq_desc_bytes(uint32_t num)
{
	return vq_valid_num(num) ? sizeof(struct virtq_desc) * num : 0;
}

size_t virtq_avail_bytes(uint32_t num)
{
	/* flags, idx, ring[num], used_event */
	return vq_valid_num(num) ? sizeof(le16) * (3 + (size_t)num) : 0;
}

size_t virtq_used_bytes(uint32_t num)
{
	/* flags, idx, avail_event, ring[num] */
	return vq_valid_num(num) ?
		       sizeof(le16) * 3 + sizeof(struct virtq_used_elem) * num :
		       0;
}

static bool vq_valid_align(size_t align)
{
	return align >= VIRTQ_DESC_ALIGN && (align & (align - 1)) == 0;
}

size_t virtq_legacy_used_offset(uint32_t num, size_t align)
{
	if (!vq_valid_num(num) || !vq_valid_align(align))
		return 0;
	return vq_align_up(virtq_desc_bytes(num) + virtq_avail_bytes(num), align);
}

size_t virtq_legacy_bytes(uint32_t num, size_t align)
{
	if (!vq_valid_num(num) || !vq_valid_align(align))
		return 0;
	return virtq_legacy_used_offset(num, align) +
	       vq_align_up(virtq_used_bytes(num), align);
}

int virtq_init(struct virtq *q, const struct virtq_config *cfg, void *desc, void *avail,
	       void *used)
{
	uint32_t num = cfg->num;

	if (!vq_valid_num(num) || !cfg->state || !desc || !avail || !used)
		return -EINVAL;
	if ((uintptr_t)desc % VIRTQ_DESC_ALIGN || (uintptr_t)avail % VIRTQ_AVAIL_ALIGN ||
	    (uintptr_t)used % VIRTQ_USED_ALIGN)
		return -EINVAL;
	/*
	 * An indirect table of one descriptor saves nothing; one longer than the queue
	 * is forbidden (2.7.5.3.1: no chain longer than the queue size).
	 */
	if (cfg->indirect &&
	    (!cfg->indirect_pool || (uintptr_t)cfg->indirect_pool % VIRTQ_DESC_ALIGN ||
	     cfg->indirect_max < 2 || cfg->indirect_max > num))
		return -EINVAL;

	memset(q, 0, sizeof(*q));
	q->num = num;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->used_event = virtq_used_event(q->avail, num);
	q->avail_event = virtq_avail_event(q->used, num);
	q->state = cfg->state;
	if (cfg->indirect) {
		q->indirect_pool = cfg->indirect_pool;
		q->indirect_max = cfg->indirect_max;
	}
	q->event_idx = cfg->event_idx;
	q->to_dma = cfg->to_dma;
	q->dma_ctx = cfg->dma_ctx;

	/* All zero: no heads, flags 0 (interrupts wanted), used_event 0. */
	memset(desc, 0, virtq_desc_bytes(num));
	memset(avail, 0, virtq_avail_bytes(num));
	memset(used, 0, virtq_used_bytes(num));

	/* Every descriptor free, linked in order; the last link is never followed. */
	for (uint32_t i = 0; i < num; i++) {
		q->state[i].token = NULL;
		q->state[i].in_cap = 0;
		q->state[i].ndesc = 0;
		q->state[i].next = (uint16_t)((i + 1) & (num - 1));
	}
	q->free_head = 0;
	q->num_free = num;
	return 0;
}

int virtq_init_legacy(struct virtq *q, const struct virtq_config *cfg, void *base,
		      size_t align)
{
	unsigned char *p = base;
	size_t used_off = virtq_legacy_used_offset(cfg->num, align);

	if (!used_off || !base || (uintptr_t)base % align)
		return -EINVAL;
	return virtq_init(q, cfg, p, p + virtq_desc_bytes(cfg->num), p + used_off);
}

uint64_t virtq_desc_dma(const struct virtq *q)
{
	return vq_dma(q, q->desc);
}

uint64_t virtq_avail_dma(const struct virtq *q)
{
	return vq_dma(q, q->avail);
}

uint64_t virtq_used_dma(const struct virtq *q)
{
	return vq_dma(q, q->used);
}

/* Fills descriptor d for buffer b; chains to next unless last. */
static void vq_fill(const struct virtq *q, struct virtq_desc *d,
		    const struct virtq_buf *b, bool writable, bool last, uint16_t next)
{
	d->addr = vq_dma(q, b->addr);
	d->len = b->len;
	d->flags = (uint16_t)((writable ? VIRTQ_DESC_F_WRITE : 0) |
			      (last ? 0 : VIRTQ_DESC_F_NEXT));
	d->next = last ? 0 : next;
}

/* Buffer i of the request: the out list first, then the in list. */
static const struct virtq_buf *vq_buf(const struct virtq_buf *out, size_t nout,
				      const struct virtq_buf *in, size_t i)
{
	return i < nout ? &out[i] : &in[i - nout];
}

int virtq_add(struct virtq *q, const struct virtq_buf *out, size_t nout,
	      const struct virtq_buf *in, size_t nin, void *token)
{
	uint64_t bytes = 0, in_cap = 0;
	size_t total, need;
	bool indirect;
	uint16_t head, d;

	if (q->broken)
		return -EIO;
	/* nout and nin are checked alone first so that their sum cannot wrap. */
	if (!token || nout > q->num || nin > q->num || nout + nin == 0 ||
	    nout + nin > q->num)
		return -EINVAL;
	if ((nout && !out) || (nin && !in))
		return -EINVAL;
	total = nout + nin;
	for (size_t i = 0; i < total; i++) {
		uint32_t len = vq_buf(out, nout, in, i)->len;

		bytes += len;
		if (i >= nout)
			in_cap += len;
	}
	/* 2.7.5.3.1: a chain may not exceed 2^32 bytes in total. */
	if (bytes > ((uint64_t)1 << 32))
		return -EINVAL;

	indirect = q->indirect_max && total > 1 && total <= q->indirect_max;
	need = indirect ? 1 : total;
	if (need > q->num_free)
		return -ENOSPC;

	head = q->free_head;
	if (indirect) {
		/* Each ring descriptor owns one table, so the head picks it. */
		struct virtq_desc *t = q->indirect_pool + (size_t)head * q->indirect_max;

		for (size_t i = 0; i < total; i++)
			vq_fill(q, &t[i], vq_buf(out, nout, in, i), i >= nout,
				i + 1 == total, (uint16_t)(i + 1));
		q->desc[head].addr = vq_dma(q, t);
		q->desc[head].len = (uint32_t)(total * sizeof(struct virtq_desc));
		q->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
		q->desc[head].next = 0;
		q->free_head = q->state[head].next;
	} else {
		d = head;
		for (size_t i = 0; i < total; i++) {
			vq_fill(q, &q->desc[d], vq_buf(out, nout, in, i), i >= nout,
				i + 1 == total, q->state[d].next);
			d = q->state[d].next;
		}
		/* d is now the first descriptor after the chain on the free list. */
		q->free_head = d;
	}
	q->num_free -= (uint32_t)need;
	q->state[head].token = token;
	q->state[head].in_cap = in_cap;
	q->state[head].ndesc = (uint16_t)need;

	q->avail->ring[q->avail_idx & (q->num - 1)] = head;
	/*
	 * Write barrier: the descriptors (and indirect table) and the ring slot above
	 * must be visible to the device before the index that hands them over.
	 */
	virtq_wmb();
	q->avail_idx++;
	vq_store16(&q->avail->idx, q->avail_idx);
	if (q->num_added < UINT32_MAX)
		q->num_added++;
	return 0;
}

bool virtq_kick_needed(struct virtq *q)
{
	uint16_t new_idx = q->avail_idx;
	uint16_t old_idx = (uint16_t)(new_idx - q->num_added);
	uint32_t added = q->num_added;

	q->num_added = 0;
	if (q->broken || added == 0)
		return false;
	/*
	 * Full barrier: our store of avail->idx must be globally visible before we read
	 * the device's hint. The device does the mirror image (store the hint, fence,
	 * re-read avail->idx before sleeping); without the fence x86 may let our load
	 * pass our store and both sides read stale values: no kick, device asleep.
	 */
	virtq_mb();
	if (q->event_idx) {
		/* 2^16 or more adds make the 16-bit window ambiguous: just notify. */
		if (added > 0xffff)
			return true;
		return vring_need_event(vq_load16(q->avail_event), new_idx, old_idx);
	}
	return !(vq_load16(&q->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
}

/* Puts the chain starting at head back on the free list. */
static void vq_free_chain(struct virtq *q, uint16_t head)
{
	struct virtq_desc_state *s = &q->state[head];
	uint16_t last = head;

	/* Our private links, so the walk is exactly ndesc long and stays in range. */
	for (uint16_t i = 1; i < s->ndesc; i++)
		last = q->state[last].next;
	q->state[last].next = q->free_head;
	q->free_head = head;
	q->num_free += s->ndesc;
	s->token = NULL;
	s->in_cap = 0;
	s->ndesc = 0;
}

void *virtq_peek_used(const struct virtq *q, uint16_t k, uint32_t *len)
{
	uint16_t used_idx, in_flight, pos = (uint16_t)(q->last_used + k);
	uint32_t id, n;
	const struct virtq_used_elem *e;

	if (q->broken)
		return NULL;
	used_idx = vq_load16(&q->used->idx);
	in_flight = (uint16_t)(q->avail_idx - q->last_used);
	if ((uint16_t)(used_idx - q->last_used) > in_flight ||
	    (uint16_t)(used_idx - q->last_used) <= k)
		return NULL;
	virtq_rmb(); /* as in virtq_get_used */
	e = &q->used->ring[pos & (q->num - 1)];
	id = vq_load32(&e->id);
	n = vq_load32(&e->len);
	if (id >= q->num || !q->state[id].token || n > q->state[id].in_cap)
		return NULL;
	if (len)
		*len = n;
	return q->state[id].token;
}

void *virtq_get_used(struct virtq *q, uint32_t *len)
{
	uint16_t used_idx, in_flight;
	uint32_t id, n;
	const struct virtq_used_elem *e;
	void *token;

	if (q->broken)
		return NULL;
	used_idx = vq_load16(&q->used->idx);
	if (used_idx == q->last_used)
		return NULL;
	in_flight = (uint16_t)(q->avail_idx - q->last_used);
	if ((uint16_t)(used_idx - q->last_used) > in_flight)
		goto broken; /* completes more than we ever offered */
	/*
	 * Read barrier: the entry below must be read after used->idx that covers it,
	 * else we could see the slot's previous contents.
	 */
	virtq_rmb();
	e = &q->used->ring[q->last_used & (q->num - 1)];
	id = vq_load32(&e->id);
	n = vq_load32(&e->len);
	if (id >= q->num || !q->state[id].token)
		goto broken; /* not the head of a chain in flight (or a repeat) */
	if (n > q->state[id].in_cap)
		goto broken; /* claims to have written more than we gave it */

	token = q->state[id].token;
	vq_free_chain(q, (uint16_t)id);
	q->last_used++;
	if (q->event_idx && !q->cb_disabled) {
		vq_store16(q->used_event, q->last_used);
		/*
		 * Full barrier: the new used_event must be visible before the caller's
		 * next look at used->idx, or a completion landing in between would be
		 * judged against the old used_event, raise no interrupt, and be missed.
		 */
		virtq_mb();
	}
	if (len)
		*len = n;
	return token;

broken:
	q->broken = true;
	return NULL;
}

void virtq_disable_cb(struct virtq *q)
{
	q->cb_disabled = true;
	if (q->event_idx) {
		/*
		 * With EVENT_IDX the flags must stay 0; ask instead for an index the
		 * device can only reach after a full 2^16 lap (a spurious interrupt then
		 * is allowed and harmless).
		 */
		vq_store16(q->used_event, (uint16_t)(q->last_used - 1));
	} else {
		vq_store16(&q->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
}

bool virtq_enable_cb(struct virtq *q)
{
	q->cb_disabled = false;
	if (q->broken)
		return true;
	if (q->event_idx)
		vq_store16(q->used_event, q->last_used);
	else
		vq_store16(&q->avail->flags, 0);
	/*
	 * Full barrier: the request for interrupts must be visible before we re-read
	 * used->idx. Otherwise a completion could slip in, see interrupts still off,
	 * stay silent, and our stale read would let the caller sleep on it.
	 */
	virtq_mb();
	return vq_load16(&q->used->idx) == q->last_used;
}

uint32_t virtq_num_free(const struct virtq *q)
{
	return q->num_free;
}

bool virtq_is_broken(const struct virtq *q)
{
	return q->broken;
}

void virtq_mark_broken(struct virtq *q)
{
	q->broken = true;
}

void *virtq_detach_unused(struct virtq *q)
{
	for (uint32_t i = 0; i < q->num; i++) {
		void *token = q->state[i].token;

		if (token) {
			vq_free_chain(q, (uint16_t)i);
			return token;
		}
	}
	return NULL;
}
