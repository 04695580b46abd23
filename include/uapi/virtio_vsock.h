/* SPDX-License-Identifier: MIT */
/*
 * virtio socket device wire format, virtio 1.2 section 5.10. Wire format: do not
 * change.
 *
 * Every packet on the rx and tx queues starts with struct virtio_vsock_hdr; an
 * OP_RW packet is followed by len payload bytes, every other op has len 0. The
 * header is 44 bytes and packed: every field sits at its natural offset, but 44 is
 * not a multiple of 8, so without packing the compiler would pad the struct to 48.
 * All fields are little-endian (x86-64 native; see uapi/virtio_ring.h).
 */
#ifndef UAPI_VIRTIO_VSOCK_H
#define UAPI_VIRTIO_VSOCK_H

#include <stdint.h>

#include "uapi/virtio_ring.h"

#define VIRTIO_ID_VSOCK 19 /* device ID */

#define VIRTIO_VSOCK_VQ_RX 0 /* device -> driver packets */
#define VIRTIO_VSOCK_VQ_TX 1 /* driver -> device packets */
#define VIRTIO_VSOCK_VQ_EVENT 2 /* device -> driver events */

#define VIRTIO_VSOCK_HOST_CID 2 /* well-known CID of the host */

#define VIRTIO_VSOCK_TYPE_STREAM 1 /* connection-oriented byte stream */

#define VIRTIO_VSOCK_OP_INVALID 0 /* never valid on the wire */
#define VIRTIO_VSOCK_OP_REQUEST 1 /* connect */
#define VIRTIO_VSOCK_OP_RESPONSE 2 /* connection accepted */
#define VIRTIO_VSOCK_OP_RST 3 /* refused, reset, or close acknowledged */
#define VIRTIO_VSOCK_OP_SHUTDOWN 4 /* flags: directions the sender shuts */
#define VIRTIO_VSOCK_OP_RW 5 /* len payload bytes follow */
#define VIRTIO_VSOCK_OP_CREDIT_UPDATE 6 /* only buf_alloc/fwd_cnt carry news */
#define VIRTIO_VSOCK_OP_CREDIT_REQUEST 7 /* please send a CREDIT_UPDATE */

/* OP_SHUTDOWN flags; once sent a flag stays set in every later SHUTDOWN. */
#define VIRTIO_VSOCK_SHUTDOWN_RCV (1u << 0) /* sender will receive no more data */
#define VIRTIO_VSOCK_SHUTDOWN_SEND (1u << 1) /* sender will send no more data */

struct __attribute__((packed)) virtio_vsock_hdr {
	le64 src_cid; /* sender's context ID */
	le64 dst_cid; /* receiver's context ID */
	le32 src_port; /* sender's port */
	le32 dst_port; /* receiver's port */
	le32 len; /* payload bytes after the header (OP_RW only) */
	le16 type; /* VIRTIO_VSOCK_TYPE_* */
	le16 op; /* VIRTIO_VSOCK_OP_* */
	le32 flags; /* op-specific: VIRTIO_VSOCK_SHUTDOWN_* for OP_SHUTDOWN */
	le32 buf_alloc; /* sender's receive buffer size for this connection */
	le32 fwd_cnt; /* bytes the sender's application ever consumed (mod 2^32) */
};
_Static_assert(sizeof(struct virtio_vsock_hdr) == 44, "virtio_vsock_hdr size");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, dst_cid) == 8, "hdr dst_cid");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, src_port) == 16,
	       "hdr src_port");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, dst_port) == 20,
	       "hdr dst_port");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, len) == 24, "hdr len");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, type) == 28, "hdr type");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, op) == 30, "hdr op");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, flags) == 32, "hdr flags");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, buf_alloc) == 36,
	       "hdr buf_alloc");
_Static_assert(__builtin_offsetof(struct virtio_vsock_hdr, fwd_cnt) == 40, "hdr fwd_cnt");

/* Event queue. The only event: all connections are gone (e.g. after migration). */
#define VIRTIO_VSOCK_EVENT_TRANSPORT_RESET 0 /* drop every connection, reread guest_cid */

struct virtio_vsock_event {
	le32 id; /* VIRTIO_VSOCK_EVENT_* */
};
_Static_assert(sizeof(struct virtio_vsock_event) == 4, "virtio_vsock_event size");

/* Device configuration space. */
struct virtio_vsock_config {
	le64 guest_cid; /* the guest's CID; only the low 32 bits are used today */
};
_Static_assert(sizeof(struct virtio_vsock_config) == 8, "virtio_vsock_config size");
_Static_assert(__builtin_offsetof(struct virtio_vsock_config, guest_cid) == 0,
	       "config cid");

#endif
