/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue wire format, virtio 1.2 section 2.7. Wire format: do not change.
 *
 * A split virtqueue of N entries (N a power of two, at most 32768) is three areas of
 * guest memory:
 *   descriptor table  16 * N bytes,     16-aligned, written by the driver
 *   available ring     6 + 2 * N bytes,  2-aligned, written by the driver
 *   used ring          6 + 8 * N bytes,  4-aligned, written by the device
 * The two rings end with a 16-bit field behind their flexible array (used_event
 * behind avail->ring[N], avail_event behind used->ring[N]) that C cannot declare;
 * virtq_used_event() and virtq_avail_event() below find them.
 *
 * Byte order: every field is little-endian in a modern (VIRTIO_F_VERSION_1) device
 * and guest-native in a legacy one. Toro only runs on x86-64, which is little-endian,
 * so both are the same and the leNN types are plain integers; a big-endian port
 * would have to add conversions at every access.
 */
#ifndef UAPI_VIRTIO_RING_H
#define UAPI_VIRTIO_RING_H

#include <stdbool.h>
#include <stdint.h>

typedef uint16_t le16; /* little-endian 16-bit field (x86 native) */
typedef uint32_t le32; /* little-endian 32-bit field (x86 native) */
typedef uint64_t le64; /* little-endian 64-bit field (x86 native) */

/* Feature bits (virtio 1.2 section 6, "Reserved Feature Bits"). */
#define VIRTIO_F_INDIRECT_DESC 28 /* descriptors may point at indirect tables */
#define VIRTIO_F_EVENT_IDX 29 /* used_event / avail_event replace the flags */
#define VIRTIO_F_VERSION_1 32 /* modern device: this spec, little-endian */

#define VIRTQ_MAX_SIZE 32768 /* largest queue size: a power of two that fits in le16 */

/* Alignment of each area (2.7, table "Virtqueue Part"). */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN 4

/* virtq_desc.flags */
#define VIRTQ_DESC_F_NEXT 1 /* the chain continues at .next */
#define VIRTQ_DESC_F_WRITE 2 /* device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT 4 /* addr/len name a table of descriptors */

/* virtq_avail.flags: the driver asks for no used-buffer notifications. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* virtq_used.flags: the device asks for no available-buffer notifications. */
#define VIRTQ_USED_F_NO_NOTIFY 1

/* One buffer (or one indirect table). */
struct virtq_desc {
	le64 addr; /* guest-physical address of the buffer */
	le32 len; /* length in bytes */
	le16 flags; /* VIRTQ_DESC_F_* */
	le16 next; /* next descriptor of the chain if flags & VIRTQ_DESC_F_NEXT */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc size");
_Static_assert(__builtin_offsetof(struct virtq_desc, addr) == 0, "desc addr");
_Static_assert(__builtin_offsetof(struct virtq_desc, len) == 8, "desc len");
_Static_assert(__builtin_offsetof(struct virtq_desc, flags) == 12, "desc flags");
_Static_assert(__builtin_offsetof(struct virtq_desc, next) == 14, "desc next");

/* Driver area: heads of the chains offered to the device. */
struct virtq_avail {
	le16 flags; /* VIRTQ_AVAIL_F_NO_INTERRUPT, or 0 with EVENT_IDX */
	le16 idx; /* free-running count of heads ever offered */
	le16 ring[]; /* N heads, slot idx % N; then le16 used_event (EVENT_IDX only) */
};
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail size");
_Static_assert(__builtin_offsetof(struct virtq_avail, idx) == 2, "avail idx");
_Static_assert(__builtin_offsetof(struct virtq_avail, ring) == 4, "avail ring");

/* One completed chain. */
struct virtq_used_elem {
	le32 id; /* head index of the chain (le32 for padding) */
	le32 len; /* bytes the device wrote, from the first device-writable buffer on */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem size");
_Static_assert(__builtin_offsetof(struct virtq_used_elem, len) == 4, "used_elem len");

/* Device area: chains the device has finished with. */
struct virtq_used {
	le16 flags; /* VIRTQ_USED_F_NO_NOTIFY, or 0 with EVENT_IDX */
	le16 idx; /* free-running count of chains ever completed */
	struct virtq_used_elem ring[]; /* N entries; then le16 avail_event (EVENT_IDX) */
};
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used size");
_Static_assert(__builtin_offsetof(struct virtq_used, idx) == 2, "used idx");
_Static_assert(__builtin_offsetof(struct virtq_used, ring) == 4, "used ring");

/* used_event: the driver wants a notification once used->idx passes this value. */
static inline le16 *virtq_used_event(struct virtq_avail *avail, uint32_t num)
{
	return &avail->ring[num];
}

/* avail_event: the device wants a notification once avail->idx passes this value. */
static inline le16 *virtq_avail_event(struct virtq_used *used, uint32_t num)
{
	return (le16 *)(void *)((unsigned char *)used + sizeof(*used) +
				num * sizeof(struct virtq_used_elem));
}

/*
 * The spec's event test (2.7.10, virtio_queue.h): having moved an index from old_idx
 * to new_idx, must we notify a peer that asked to hear once the index passes
 * event_idx? True when event_idx lies in [old_idx, new_idx) modulo 2^16, i.e. when
 * the entry numbered event_idx was among those just published.
 */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx,
				    uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
