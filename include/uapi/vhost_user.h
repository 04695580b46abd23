/* SPDX-License-Identifier: MIT */
/*
 * vhost-user wire format, QEMU docs/interop/vhost-user.rst. Wire format: do not change.
 *
 * A vhost-user frontend (QEMU) drives a backend (toro-vsockd) over a Unix stream
 * socket. Every message is a 12-byte header {request, flags, size} followed by
 * `size` bytes of payload; file descriptors (memfd regions, eventfds) ride along as
 * SCM_RIGHTS ancillary data of the same sendmsg. The frontend sends requests; the
 * backend answers only the GET_* requests (and any request with NEED_REPLY once
 * REPLY_ACK is negotiated) with the same request number, the REPLY flag set and the
 * answer as payload.
 *
 * All fields are in the host's byte order (both ends run on the same machine), so
 * on x86-64 they are little-endian plain integers. The structs are naturally
 * aligned; none needs `packed`.
 */
#ifndef UAPI_VHOST_USER_H
#define UAPI_VHOST_USER_H

#include <stdint.h>

/* Request numbers (frontend -> backend). Only the ones the backend handles. */
#define VHOST_USER_GET_FEATURES 1 /* -> u64 virtio + vhost-user feature bits */
#define VHOST_USER_SET_FEATURES 2 /* u64 acked feature bits */
#define VHOST_USER_SET_OWNER 3 /* no payload: session starts */
#define VHOST_USER_RESET_OWNER 4 /* no payload: deprecated, treat as a reset */
#define VHOST_USER_SET_MEM_TABLE 5 /* vhost_user_mem_table, one fd per region */
#define VHOST_USER_SET_LOG_BASE 6 /* live migration log (not supported) */
#define VHOST_USER_SET_LOG_FD 7 /* live migration log fd (not supported) */
#define VHOST_USER_SET_VRING_NUM 8 /* vhost_vring_state: queue size */
#define VHOST_USER_SET_VRING_ADDR 9 /* vhost_vring_addr: ring addresses (frontend VAs) */
#define VHOST_USER_SET_VRING_BASE 10 /* vhost_vring_state: next avail index to read */
#define VHOST_USER_GET_VRING_BASE 11 /* vhost_vring_state -> same; stops the ring */
#define VHOST_USER_SET_VRING_KICK 12 /* u64 index [| NOFD], eventfd the guest kicks */
#define VHOST_USER_SET_VRING_CALL 13 /* u64 index [| NOFD], eventfd to interrupt guest */
#define VHOST_USER_SET_VRING_ERR 14 /* u64 index [| NOFD], eventfd to report errors */
#define VHOST_USER_GET_PROTOCOL_FEATURES 15 /* -> u64 protocol feature bits */
#define VHOST_USER_SET_PROTOCOL_FEATURES 16 /* u64 acked protocol feature bits */
#define VHOST_USER_GET_QUEUE_NUM 17 /* -> u64 queues supported (with PROTOCOL_F_MQ) */
#define VHOST_USER_SET_VRING_ENABLE 18 /* vhost_vring_state: num 1 enable, 0 disable */
#define VHOST_USER_GET_CONFIG 24 /* vhost_user_config -> same with the bytes filled */
#define VHOST_USER_SET_CONFIG 25 /* vhost_user_config: frontend writes config space */

/* vhost_user_hdr.flags */
#define VHOST_USER_VERSION_MASK 0x3u /* bits 0-1: protocol version */
#define VHOST_USER_VERSION 0x1u /* the only version there is */
#define VHOST_USER_REPLY_MASK (1u << 2) /* this message is a reply */
#define VHOST_USER_NEED_REPLY_MASK (1u << 3) /* sender wants a u64 ack (REPLY_ACK) */

/* u64 payload of SET_VRING_KICK/CALL/ERR */
#define VHOST_USER_VRING_IDX_MASK 0xffull /* bits 0-7: vring index */
#define VHOST_USER_VRING_NOFD_MASK (1ull << 8) /* no fd attached: poll / no signalling */

/* Feature bit in GET/SET_FEATURES that enables GET/SET_PROTOCOL_FEATURES. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VHOST_USER_PROTOCOL_F_MQ 0 /* GET_QUEUE_NUM exists */
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3 /* NEED_REPLY is honoured */
#define VHOST_USER_PROTOCOL_F_CONFIG 9 /* GET/SET_CONFIG exist */

#define VHOST_MEMORY_MAX_NREGIONS 8 /* regions in one SET_MEM_TABLE */
#define VHOST_USER_MAX_CONFIG_SIZE 256 /* largest config space QEMU exchanges */
#define VHOST_VRING_F_LOG 0 /* vhost_vring_addr.flags bit: log_guest_addr valid */

/* Every message starts with this. */
struct vhost_user_hdr {
	uint32_t request; /* VHOST_USER_* request number */
	uint32_t flags; /* VHOST_USER_VERSION | REPLY / NEED_REPLY bits */
	uint32_t size; /* payload bytes that follow */
};
_Static_assert(sizeof(struct vhost_user_hdr) == 12, "vhost_user_hdr size");
_Static_assert(__builtin_offsetof(struct vhost_user_hdr, size) == 8, "hdr size");
#define VHOST_USER_HDR_SIZE 12

/* SET_VRING_NUM / SET_VRING_BASE / GET_VRING_BASE / SET_VRING_ENABLE */
struct vhost_vring_state {
	uint32_t index; /* vring index */
	uint32_t num; /* size, base index or enable flag, per request */
};
_Static_assert(sizeof(struct vhost_vring_state) == 8, "vhost_vring_state size");

/* SET_VRING_ADDR. Addresses are frontend (QEMU) virtual addresses, not guest-physical. */
struct vhost_vring_addr {
	uint32_t index; /* vring index */
	uint32_t flags; /* bit VHOST_VRING_F_LOG */
	uint64_t desc_user_addr; /* descriptor table, 16-aligned */
	uint64_t used_user_addr; /* used ring, 4-aligned */
	uint64_t avail_user_addr; /* available ring, 2-aligned */
	uint64_t log_guest_addr; /* used-ring dirty log (migration), guest-physical */
};
_Static_assert(sizeof(struct vhost_vring_addr) == 40, "vhost_vring_addr size");
_Static_assert(__builtin_offsetof(struct vhost_vring_addr, desc_user_addr) == 8, "desc");
_Static_assert(__builtin_offsetof(struct vhost_vring_addr, used_user_addr) == 16, "used");
_Static_assert(__builtin_offsetof(struct vhost_vring_addr, avail_user_addr) == 24,
	       "avail");
_Static_assert(__builtin_offsetof(struct vhost_vring_addr, log_guest_addr) == 32, "log");

/* One guest RAM region; the matching fd is mmap'ed at offset 0 with
 * mmap_offset + memory_size bytes, and the region starts mmap_offset bytes in. */
struct vhost_user_mem_region {
	uint64_t guest_phys_addr; /* guest-physical start */
	uint64_t memory_size; /* bytes */
	uint64_t userspace_addr; /* frontend virtual start (ring addresses use these) */
	uint64_t mmap_offset; /* offset of the region inside the fd */
};
_Static_assert(sizeof(struct vhost_user_mem_region) == 32, "mem_region size");
_Static_assert(__builtin_offsetof(struct vhost_user_mem_region, mmap_offset) == 24,
	       "mmap_off");

/* SET_MEM_TABLE. On the wire only nregions entries follow: size = 8 + 32 * nregions. */
struct vhost_user_mem_table {
	uint32_t nregions; /* valid entries, at most VHOST_MEMORY_MAX_NREGIONS */
	uint32_t padding; /* alignment of regions[] */
	struct vhost_user_mem_region regions[VHOST_MEMORY_MAX_NREGIONS]; /* nregions used */
};
_Static_assert(sizeof(struct vhost_user_mem_table) == 8 + 32 * 8, "mem_table size");
_Static_assert(__builtin_offsetof(struct vhost_user_mem_table, regions) == 8, "regions");

/* GET_CONFIG / SET_CONFIG. On the wire: size = 12 + config size. */
struct vhost_user_config {
	uint32_t offset; /* first byte of device config space */
	uint32_t size; /* bytes of payload[] in use */
	uint32_t flags; /* 0 writable, 1 live migration */
	uint8_t payload[VHOST_USER_MAX_CONFIG_SIZE]; /* config bytes */
};
_Static_assert(__builtin_offsetof(struct vhost_user_config, payload) == 12,
	       "config payload");
_Static_assert(sizeof(struct vhost_user_config) == 12 + 256, "config size");
#define VHOST_USER_CONFIG_HDR_SIZE 12

/* Payload of any message the backend accepts; the largest member bounds `size`. */
union vhost_user_payload {
	uint64_t u64; /* features, kick/call/err index, queue count, acks */
	struct vhost_vring_state state; /* SET_VRING_NUM/BASE/ENABLE, GET_VRING_BASE */
	struct vhost_vring_addr addr; /* SET_VRING_ADDR */
	struct vhost_user_mem_table mem; /* SET_MEM_TABLE */
	struct vhost_user_config config; /* GET_CONFIG / SET_CONFIG */
};
_Static_assert(sizeof(union vhost_user_payload) == 272,
	       "payload size (config, 8-aligned)");

#endif
