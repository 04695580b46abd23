/* SPDX-License-Identifier: MIT */
/*
 * Device-side split virtqueue over guest memory shared by vhost-user: address
 * translation through the memory table, popping and walking available chains into
 * host-pointer segments, and completing them on the used ring. Pure: no system calls.
 */
#ifndef LIB_VRING_WALK_H
#define LIB_VRING_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toro/errno.h"
#include "uapi/vhost_user.h"
#include "uapi/virtio_ring.h"

/* One mapped guest RAM region. */
struct vring_mem_region {
	uint64_t gpa; /* guest-physical start */
	uint64_t size; /* bytes */
	uint64_t uva; /* frontend virtual start (SET_VRING_ADDR uses these) */
	uint8_t *hva; /* our mapping of the first byte (mmap base + mmap_offset) */
};

/* The guest memory map from the last SET_MEM_TABLE. */
struct vring_mem {
	uint32_t nregions; /* valid entries */
	struct vring_mem_region r[VHOST_MEMORY_MAX_NREGIONS]; /* no two overlap in gpa */
};

/* One translated buffer of a chain. */
struct vring_seg {
	uint8_t *addr; /* host pointer; [addr, addr + len) lies inside one region */
	uint32_t len; /* bytes */
	bool writable; /* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* A popped chain. The segments live in the caller's array. */
struct vring_chain {
	uint16_t head; /* head descriptor index, for vring_push_used() */
	uint32_t nseg; /* segments filled */
	uint32_t nread; /* the first nread segments are readable, the rest writable */
	uint64_t read_len; /* bytes in the readable segments */
	uint64_t write_len; /* bytes in the writable segments */
};

/* A queue as the device sees it. */
struct vring {
	uint32_t num; /* queue size, a power of two <= 32768 */
	const struct virtq_desc *desc; /* num entries, host pointer */
	const struct virtq_avail *avail; /* ring[num] (+ used_event) */
	struct virtq_used *used; /* ring[num] (+ avail_event) */
	uint16_t last_avail_idx; /* next avail slot to pop (free-running) */
	uint16_t used_idx; /* our copy of used->idx, never read back from the guest */
	bool broken; /* the guest broke the protocol; every call fails with -EIO */
	const char *err; /* static text: why the ring is broken */
};

/*
 * Fill *m from a validated SET_MEM_TABLE: maps[i] is where the daemon mmap'ed region
 * i's fd from offset 0 (mmap_offset + memory_size bytes). Returns 0 or -EINVAL.
 */
int vring_mem_set(struct vring_mem *m, const struct vhost_user_mem_table *t,
		  uint8_t *const maps[]);

/* Host pointer to [gpa, gpa + len) if it lies wholly inside one region, else NULL. */
void *vring_gpa_to_hva(const struct vring_mem *m, uint64_t gpa, uint64_t len);
/* The same for a frontend virtual address range. */
void *vring_uva_to_hva(const struct vring_mem *m, uint64_t uva, uint64_t len);

/*
 * Set up a ring from SET_VRING_NUM/ADDR/BASE: translates the three areas (frontend
 * addresses), checks their sizes fit one region each and their host alignment.
 * used_idx starts at the guest's used->idx. Returns 0 or -EINVAL.
 */
int vring_map(struct vring *vr, const struct vring_mem *m, uint32_t num,
	      uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva, uint16_t base);

/*
 * Pop the next available chain into segs[0..max_segs). Returns 0 and fills *chain,
 * -EAGAIN if the ring is empty, or -EIO if the guest broke the rules (vr->err says
 * how; the ring stays broken until vring_map() again).
 */
int vring_pop(struct vring *vr, const struct vring_mem *m, struct vring_seg *segs,
	      uint32_t max_segs, struct vring_chain *chain);

/* Complete chain `head` with `len` bytes written. Returns 0, -EINVAL or -EIO. */
int vring_push_used(struct vring *vr, uint16_t head, uint32_t len);

#endif
