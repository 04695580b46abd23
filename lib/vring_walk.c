/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, device side, over guest memory shared through vhost-user.
 *
 * Primer. The driver (the guest) offers a request by writing a chain of descriptors,
 * putting the head index in avail->ring[avail->idx % N] and bumping avail->idx; the
 * device pops heads in order from last_avail_idx, walks each chain (NEXT links within
 * one table; an INDIRECT descriptor names a separate table of descriptors in guest
 * memory), does the work, and answers by writing {head, bytes written} into
 * used->ring[used_idx % N] and then bumping used->idx. Indices are free-running 16-bit
 * counters; at most N heads can be outstanding, so avail->idx - last_avail_idx > N is
 * a guest bug.
 *
 * Trust. All of guest memory is guest input, and the guest can change it while we
 * read it. So each shared field (avail->idx, a ring slot, a descriptor) is loaded
 * once into a local and only the local is checked and used. Every address is
 * translated through the memory table as a whole range ([gpa, gpa + len) in one
 * region, no wrap-around), so a segment can never reach outside our mappings. A
 * chain is bounded: at most N descriptors in the main table (a longer walk is a
 * loop), an indirect table holds a whole number of descriptors, at most N, and
 * cannot itself contain INDIRECT. The virtio spec puts all device-readable buffers
 * before the writable ones; a readable one after a writable one is refused. On any
 * violation the ring is marked broken and every later call fails with -EIO: the
 * daemon then stops the device (or resets the connection), never crashes.
 *
 * Ordering. The guest runs on other CPUs. After reading avail->idx we need an
 * acquire fence before reading the slots and descriptors it publishes; before
 * storing used->idx a release fence, so the guest that sees the new index also sees
 * the entry (on x86-TSO both compile to compiler barriers only).
 */
#include "lib/vring_walk.h"

#include <stdatomic.h>

#include "lib/kstring.h"

/* Load-once / store-once accessors for shared ring fields (naturally aligned). */
static inline uint16_t vw_load16(const le16 *p)
{
	return *(const volatile le16 *)p;
}

static inline void vw_store16(le16 *p, uint16_t v)
{
	*(volatile le16 *)p = v;
}

static inline void vw_store32(le32 *p, uint32_t v)
{
	*(volatile le32 *)p = v;
}

/* Mark the ring broken and say why; returns -EIO for the caller to pass on. */
static int vw_break(struct vring *vr, const char *why)
{
	vr->broken = true;
	vr->err = why;
	return -EIO;
}

/* Region-relative check: [base, base + len) inside [start, start + size)? */
static bool vw_inside(uint64_t start, uint64_t size, uint64_t base, uint64_t len,
		      uint64_t *off)
{
	if (base < start)
		return false;
	/* Subtractions only: no sum can wrap. */
	if (base - start > size || len > size - (base - start))
		return false;
	*off = base - start;
	return true;
}

int vring_mem_set(struct vring_mem *m, const struct vhost_user_mem_table *t,
		  uint8_t *const maps[])
{
	m->nregions = 0;
	if (t->nregions > VHOST_MEMORY_MAX_NREGIONS)
		return -EINVAL;
	for (uint32_t i = 0; i < t->nregions; i++) {
		if (!maps[i])
			return -EINVAL;
		m->r[i].gpa = t->regions[i].guest_phys_addr;
		m->r[i].size = t->regions[i].memory_size;
		m->r[i].uva = t->regions[i].userspace_addr;
		/* The region starts mmap_offset bytes into the fd's mapping. */
		m->r[i].hva = maps[i] + t->regions[i].mmap_offset;
	}
	m->nregions = t->nregions;
	return 0;
}

/* The host address of [addr, addr+len) in one region, addr being a guest physical
 * address (by_uva false) or a front-end virtual one (by_uva true). */
static void *translate(const struct vring_mem *m, uint64_t addr, uint64_t len,
		       bool by_uva)
{
	uint64_t off;
	uint32_t n = m->nregions < VHOST_MEMORY_MAX_NREGIONS ? m->nregions :
							       VHOST_MEMORY_MAX_NREGIONS;

	for (uint32_t i = 0; i < n; i++)
		if (vw_inside(by_uva ? m->r[i].uva : m->r[i].gpa, m->r[i].size, addr, len,
			      &off))
			return m->r[i].hva + off;
	return NULL;
}

void *vring_gpa_to_hva(const struct vring_mem *m, uint64_t gpa, uint64_t len)
{
	return translate(m, gpa, len, false);
}

void *vring_uva_to_hva(const struct vring_mem *m, uint64_t uva, uint64_t len)
{
	return translate(m, uva, len, true);
}

int vring_map(struct vring *vr, const struct vring_mem *m, uint32_t num,
	      uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva, uint16_t base)
{
	void *d, *a, *u;

	memset(vr, 0, sizeof(*vr));
	vr->broken = true;
	vr->err = "ring not mapped";
	if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	/* Sizes include the event-index words so EVENT_IDX can be added later. */
	d = vring_uva_to_hva(m, desc_uva, 16ull * num);
	a = vring_uva_to_hva(m, avail_uva, 6ull + 2ull * num);
	u = vring_uva_to_hva(m, used_uva, 6ull + 8ull * num);
	if (!d || !a || !u)
		return -EINVAL;
	/* Host alignment, not just frontend alignment: mmap_offset could shift it. */
	if (((uintptr_t)d & (VIRTQ_DESC_ALIGN - 1)) ||
	    ((uintptr_t)a & (VIRTQ_AVAIL_ALIGN - 1)) ||
	    ((uintptr_t)u & (VIRTQ_USED_ALIGN - 1)))
		return -EINVAL;
	vr->num = num;
	vr->desc = d;
	vr->avail = a;
	vr->used = u;
	vr->last_avail_idx = base;
	vr->used_idx = vw_load16(&vr->used->idx);
	vr->broken = false;
	vr->err = "ok";
	return 0;
}

/* Copy descriptor i of a table once; the guest may rewrite it under us. */
static void vw_read_desc(const struct virtq_desc *table, uint32_t i, struct virtq_desc *d)
{
	/* memcpy: indirect tables need not be 16-aligned in host memory. */
	memcpy(d, (const uint8_t *)table + (size_t)i * sizeof(*d), sizeof(*d));
}

int vring_pop(struct vring *vr, const struct vring_mem *m, struct vring_seg *segs,
	      uint32_t max_segs, struct vring_chain *chain)
{
	const struct virtq_desc *table;
	struct virtq_desc d;
	uint32_t n, i, visited = 0;
	uint16_t avail_idx, head;
	bool indirect = false;

	if (vr->broken)
		return -EIO;
	avail_idx = vw_load16(&vr->avail->idx);
	if (avail_idx == vr->last_avail_idx)
		return -EAGAIN;
	if ((uint16_t)(avail_idx - vr->last_avail_idx) > vr->num)
		return vw_break(vr, "avail idx moved by more than the queue size");
	/* The slot and the chain were written before avail->idx: read them after it. */
	atomic_thread_fence(memory_order_acquire);
	head = vw_load16(&vr->avail->ring[vr->last_avail_idx & (vr->num - 1)]);
	if (head >= vr->num)
		return vw_break(vr, "avail ring head out of range");

	memset(chain, 0, sizeof(*chain));
	chain->head = head;
	table = vr->desc;
	n = vr->num;
	i = head;
	for (;;) {
		/* A chain visits each descriptor of its table at most once. */
		if (++visited > n)
			return vw_break(vr, "descriptor chain loops or is too long");
		vw_read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return vw_break(vr, "nested indirect descriptor");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return vw_break(vr, "indirect descriptor with NEXT");
			if (d.len == 0 || d.len % sizeof(struct virtq_desc))
				return vw_break(
					vr, "indirect table length not a multiple of 16");
			if (d.len / sizeof(struct virtq_desc) > vr->num)
				return vw_break(vr,
						"indirect table longer than the queue");
			table = vring_gpa_to_hva(m, d.addr, d.len);
			if (!table)
				return vw_break(vr,
						"indirect table outside guest memory");
			n = d.len / sizeof(struct virtq_desc);
			i = 0;
			visited = 0;
			indirect = true;
			continue;
		}
		if (chain->nseg == max_segs)
			return vw_break(vr,
					"chain has more segments than the device takes");
		segs[chain->nseg].addr = vring_gpa_to_hva(m, d.addr, d.len);
		if (!segs[chain->nseg].addr)
			return vw_break(vr, "buffer outside guest memory");
		segs[chain->nseg].len = d.len;
		segs[chain->nseg].writable = d.flags & VIRTQ_DESC_F_WRITE;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			chain->write_len += d.len;
		} else {
			if (chain->nread != chain->nseg)
				return vw_break(vr,
						"readable buffer after a writable one");
			chain->nread++;
			chain->read_len += d.len;
		}
		chain->nseg++;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= n)
			return vw_break(vr, "next descriptor out of range");
		i = d.next;
	}
	vr->last_avail_idx++;
	return 0;
}

int vring_push_used(struct vring *vr, uint16_t head, uint32_t len)
{
	struct virtq_used_elem *e;

	if (vr->broken)
		return -EIO;
	if (head >= vr->num)
		return -EINVAL;
	e = &vr->used->ring[vr->used_idx & (vr->num - 1)];
	vw_store32(&e->id, head);
	vw_store32(&e->len, len);
	vr->used_idx++;
	/* The entry must be visible before the index that publishes it. */
	atomic_thread_fence(memory_order_release);
	vw_store16(&vr->used->idx, vr->used_idx);
	return 0;
}
