/* SPDX-License-Identifier: MIT */
/*
 * vhost-user message validation.
 *
 * Primer. A session runs: SET_OWNER; GET_FEATURES / SET_FEATURES; GET/SET_PROTOCOL_
 * FEATURES; SET_MEM_TABLE (guest RAM as memfd regions); then per vring SET_VRING_NUM,
 * SET_VRING_BASE, SET_VRING_ADDR, SET_VRING_KICK, SET_VRING_CALL and SET_VRING_ENABLE.
 * GET_VRING_BASE stops a ring and returns where it stopped. Each request has one
 * payload shape, so `size` is checked exactly against it (only GET/SET_CONFIG carry a
 * variable amount: a 12-byte header plus the config bytes it announces).
 *
 * Trust. The frontend is QEMU, which we launched, but a buggy or hostile frontend
 * must still not make the daemon map, index or close the wrong thing: every index is
 * bounded, every region's arithmetic is checked for wrap-around, and the fd count
 * must be exactly what the request implies, so the daemon never has to guess which
 * fd belongs to what. Reserved flag bits are ignored (the spec keeps them for later
 * extensions; ignoring them is harmless), but a message with the REPLY bit set is
 * refused: a frontend never sends replies on this channel.
 */
#include "lib/vhost_user.h"

#include <stdbool.h>

#include "lib/kstring.h"

/* Record why a message was refused and return err. */
static int vu_fail(struct vhost_user_msg *out, int err, const char *why)
{
	out->reason = why;
	return err;
}

static bool vu_index_ok(uint32_t index)
{
	return index < VHOST_USER_MAX_QUEUES;
}

/* base + size must neither wrap nor be empty. */
static bool vu_range_ok(uint64_t base, uint64_t size)
{
	return size != 0 && size <= UINT64_MAX - base;
}

static int vu_check_mem_table(struct vhost_user_msg *m, size_t size, size_t nfds)
{
	const struct vhost_user_mem_table *t = &m->payload.mem;

	if (size < 8)
		return vu_fail(m, -EINVAL,
			       "SET_MEM_TABLE: payload shorter than nregions");
	if (t->nregions > VHOST_MEMORY_MAX_NREGIONS)
		return vu_fail(m, -E2BIG, "SET_MEM_TABLE: more than 8 regions");
	if (size != 8 + (size_t)t->nregions * sizeof(struct vhost_user_mem_region))
		return vu_fail(m, -EINVAL, "SET_MEM_TABLE: size does not match nregions");
	if (nfds != t->nregions)
		return vu_fail(m, -EINVAL, "SET_MEM_TABLE: need one fd per region");
	for (uint32_t i = 0; i < t->nregions; i++) {
		const struct vhost_user_mem_region *r = &t->regions[i];

		if (!vu_range_ok(r->guest_phys_addr, r->memory_size))
			return vu_fail(m, -EINVAL,
				       "SET_MEM_TABLE: guest range empty or wraps");
		if (!vu_range_ok(r->userspace_addr, r->memory_size))
			return vu_fail(m, -EINVAL, "SET_MEM_TABLE: user range wraps");
		if (!vu_range_ok(r->mmap_offset, r->memory_size))
			return vu_fail(m, -EINVAL,
				       "SET_MEM_TABLE: mmap_offset + size wraps");
		/* Overlapping guest ranges would make a translation ambiguous. */
		for (uint32_t j = 0; j < i; j++) {
			const struct vhost_user_mem_region *q = &t->regions[j];

			if (r->guest_phys_addr < q->guest_phys_addr + q->memory_size &&
			    q->guest_phys_addr < r->guest_phys_addr + r->memory_size)
				return vu_fail(m, -EINVAL,
					       "SET_MEM_TABLE: regions overlap");
		}
	}
	return 0;
}

/* GET_CONFIG / SET_CONFIG: 12-byte header, then exactly cfg.size bytes. */
static int vu_check_config(struct vhost_user_msg *m, size_t size)
{
	const struct vhost_user_config *c = &m->payload.config;

	if (size < VHOST_USER_CONFIG_HDR_SIZE)
		return vu_fail(m, -EINVAL, "CONFIG: payload shorter than its header");
	if (c->size > VHOST_USER_MAX_CONFIG_SIZE)
		return vu_fail(m, -E2BIG, "CONFIG: more than 256 bytes");
	if (size != VHOST_USER_CONFIG_HDR_SIZE + (size_t)c->size)
		return vu_fail(m, -EINVAL, "CONFIG: size does not match config size");
	if ((uint64_t)c->offset + c->size > VHOST_USER_MAX_CONFIG_SIZE)
		return vu_fail(m, -EINVAL, "CONFIG: offset + size beyond config space");
	return 0;
}

/* SET_VRING_KICK/CALL/ERR: u64 index | NOFD, one fd unless NOFD. */
static int vu_check_vring_fd(struct vhost_user_msg *m, size_t nfds)
{
	uint64_t v = m->payload.u64;

	if (v & ~(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK))
		return vu_fail(m, -EINVAL, "VRING fd: reserved bits set");
	if (!vu_index_ok((uint32_t)(v & VHOST_USER_VRING_IDX_MASK)))
		return vu_fail(m, -EINVAL, "VRING fd: vring index out of range");
	if (nfds != ((v & VHOST_USER_VRING_NOFD_MASK) ? 0u : 1u))
		return vu_fail(m, -EINVAL, "VRING fd: fd count does not match NOFD bit");
	return 0;
}

static int vu_check_vring_addr(struct vhost_user_msg *m)
{
	const struct vhost_vring_addr *a = &m->payload.addr;

	if (!vu_index_ok(a->index))
		return vu_fail(m, -EINVAL, "SET_VRING_ADDR: vring index out of range");
	if (a->flags & ~(1u << VHOST_VRING_F_LOG))
		return vu_fail(m, -EINVAL, "SET_VRING_ADDR: unknown flags");
	/* The split-ring alignments (virtio 2.7); the walker re-checks after mapping. */
	if ((a->desc_user_addr & 15) || (a->used_user_addr & 3) ||
	    (a->avail_user_addr & 1))
		return vu_fail(m, -EINVAL, "SET_VRING_ADDR: misaligned ring");
	return 0;
}

/* Checks on a vhost_vring_state payload, per request. */
static int vu_check_state(struct vhost_user_msg *m)
{
	const struct vhost_vring_state *s = &m->payload.state;

	if (!vu_index_ok(s->index))
		return vu_fail(m, -EINVAL, "VRING state: vring index out of range");
	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_NUM:
		/* Split rings: a power of two, 1..32768. */
		if (s->num == 0 || s->num > 32768 || (s->num & (s->num - 1)))
			return vu_fail(m, -EINVAL,
				       "SET_VRING_NUM: not a power of two <= 32768");
		break;
	case VHOST_USER_SET_VRING_BASE:
		/* A split ring's avail index is 16 bits; packed rings are not offered. */
		if (s->num > 0xffff)
			return vu_fail(m, -EINVAL, "SET_VRING_BASE: base beyond 16 bits");
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		if (s->num > 1)
			return vu_fail(m, -EINVAL, "SET_VRING_ENABLE: num not 0 or 1");
		break;
	default:
		break;
	}
	return 0;
}

/* Payload size a fixed-size request must have, or -1 for variable / unknown. */
static long vu_fixed_size(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_SET_OWNER:
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
		return 0;
	case VHOST_USER_SET_FEATURES:
	case VHOST_USER_SET_PROTOCOL_FEATURES:
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return sizeof(uint64_t);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		return sizeof(struct vhost_vring_state);
	case VHOST_USER_SET_VRING_ADDR:
		return sizeof(struct vhost_vring_addr);
	default:
		return -1;
	}
}

int vhost_user_parse(const void *buf, size_t len, size_t nfds, struct vhost_user_msg *out)
{
	size_t size;
	long fixed;
	int err;

	memset(out, 0, sizeof(*out));
	out->reason = "ok";
	if (len < VHOST_USER_HDR_SIZE)
		return vu_fail(out, -EINVAL, "message shorter than the header");
	memcpy(&out->hdr, buf, VHOST_USER_HDR_SIZE);
	out->nfds = nfds;
	if ((out->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		return vu_fail(out, -EPROTO, "wrong protocol version");
	if (out->hdr.flags & VHOST_USER_REPLY_MASK)
		return vu_fail(out, -EPROTO, "reply flag on a request");
	size = out->hdr.size;
	if (size > sizeof(out->payload))
		return vu_fail(out, -E2BIG, "payload larger than any request's");
	if (len - VHOST_USER_HDR_SIZE != size)
		return vu_fail(out, -EINVAL, "payload length differs from header size");
	memcpy(&out->payload, (const uint8_t *)buf + VHOST_USER_HDR_SIZE, size);

	switch (out->hdr.request) {
	case VHOST_USER_SET_MEM_TABLE:
		return vu_check_mem_table(out, size, nfds);
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_SET_CONFIG:
		err = vu_check_config(out, size);
		if (err)
			return err;
		break;
	default:
		fixed = vu_fixed_size(out->hdr.request);
		if (fixed < 0)
			return vu_fail(out, -EPROTO, "unknown or unsupported request");
		if (size != (size_t)fixed)
			return vu_fail(out, -EINVAL,
				       "payload size wrong for the request");
		break;
	}

	switch (out->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return vu_check_vring_fd(out, nfds);
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		err = vu_check_state(out);
		break;
	case VHOST_USER_SET_VRING_ADDR:
		err = vu_check_vring_addr(out);
		break;
	default:
		err = 0;
		break;
	}
	if (err)
		return err;
	/* Only SET_MEM_TABLE and the vring fd requests carry descriptors. */
	if (nfds != 0)
		return vu_fail(out, -EINVAL, "fds attached to a request that takes none");
	return 0;
}

size_t vhost_user_reply(uint32_t request, const void *payload, size_t len, void *buf,
			size_t cap)
{
	struct vhost_user_hdr h;

	if (len > sizeof(union vhost_user_payload) || cap < VHOST_USER_HDR_SIZE + len)
		return 0;
	h.request = request;
	h.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	h.size = (uint32_t)len;
	memcpy(buf, &h, VHOST_USER_HDR_SIZE);
	if (len)
		memcpy((uint8_t *)buf + VHOST_USER_HDR_SIZE, payload, len);
	return VHOST_USER_HDR_SIZE + len;
}

const char *vhost_user_request_name(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES:
		return "GET_FEATURES";
	case VHOST_USER_SET_FEATURES:
		return "SET_FEATURES";
	case VHOST_USER_SET_OWNER:
		return "SET_OWNER";
	case VHOST_USER_RESET_OWNER:
		return "RESET_OWNER";
	case VHOST_USER_SET_MEM_TABLE:
		return "SET_MEM_TABLE";
	case VHOST_USER_SET_LOG_BASE:
		return "SET_LOG_BASE";
	case VHOST_USER_SET_LOG_FD:
		return "SET_LOG_FD";
	case VHOST_USER_SET_VRING_NUM:
		return "SET_VRING_NUM";
	case VHOST_USER_SET_VRING_ADDR:
		return "SET_VRING_ADDR";
	case VHOST_USER_SET_VRING_BASE:
		return "SET_VRING_BASE";
	case VHOST_USER_GET_VRING_BASE:
		return "GET_VRING_BASE";
	case VHOST_USER_SET_VRING_KICK:
		return "SET_VRING_KICK";
	case VHOST_USER_SET_VRING_CALL:
		return "SET_VRING_CALL";
	case VHOST_USER_SET_VRING_ERR:
		return "SET_VRING_ERR";
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return "GET_PROTOCOL_FEATURES";
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		return "SET_PROTOCOL_FEATURES";
	case VHOST_USER_GET_QUEUE_NUM:
		return "GET_QUEUE_NUM";
	case VHOST_USER_SET_VRING_ENABLE:
		return "SET_VRING_ENABLE";
	case VHOST_USER_GET_CONFIG:
		return "GET_CONFIG";
	case VHOST_USER_SET_CONFIG:
		return "SET_CONFIG";
	default:
		return "UNKNOWN";
	}
}
