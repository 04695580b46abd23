/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/vhost_user.c: the input plays a hostile frontend.
 *
 * Byte 0 is the number of fds that "arrived" with the message (0..255); the rest is
 * the message as read from the socket (header and payload). The message is copied
 * into an exactly sized heap buffer so ASan sees any read past its end. Invariants
 * for an accepted message: the header's size is the payload length, versions and
 * flags are sane, the fd count is what the request implies, and a memory table's
 * regions neither exceed 8 nor wrap. A reply is built from the payload either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vhost_user.h"

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

static void fz_check_ok(const struct vhost_user_msg *m, size_t len, size_t nfds)
{
	FZ_ASSERT(m->hdr.size == len - VHOST_USER_HDR_SIZE);
	FZ_ASSERT((m->hdr.flags & VHOST_USER_VERSION_MASK) == VHOST_USER_VERSION);
	FZ_ASSERT(!(m->hdr.flags & VHOST_USER_REPLY_MASK));
	FZ_ASSERT(m->nfds == nfds);
	switch (m->hdr.request) {
	case VHOST_USER_SET_MEM_TABLE:
		FZ_ASSERT(m->payload.mem.nregions <= VHOST_MEMORY_MAX_NREGIONS);
		FZ_ASSERT(nfds == m->payload.mem.nregions);
		for (uint32_t i = 0; i < m->payload.mem.nregions; i++) {
			const struct vhost_user_mem_region *r =
				&m->payload.mem.regions[i];

			FZ_ASSERT(r->memory_size != 0);
			FZ_ASSERT(r->guest_phys_addr + r->memory_size >
				  r->guest_phys_addr);
			FZ_ASSERT(r->userspace_addr + r->memory_size > r->userspace_addr);
			FZ_ASSERT(r->mmap_offset + r->memory_size > r->mmap_offset);
		}
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		FZ_ASSERT((m->payload.u64 & 0xff) < VHOST_USER_MAX_QUEUES);
		FZ_ASSERT(nfds <= 1);
		break;
	case VHOST_USER_SET_VRING_NUM:
		FZ_ASSERT(m->payload.state.num && m->payload.state.num <= 32768);
		FZ_ASSERT(!(m->payload.state.num & (m->payload.state.num - 1)));
		/* fall through */
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		FZ_ASSERT(m->payload.state.index < VHOST_USER_MAX_QUEUES);
		FZ_ASSERT(nfds == 0);
		break;
	case VHOST_USER_GET_CONFIG:
	case VHOST_USER_SET_CONFIG:
		FZ_ASSERT(m->payload.config.size <= VHOST_USER_MAX_CONFIG_SIZE);
		FZ_ASSERT(m->payload.config.offset + m->payload.config.size <=
			  VHOST_USER_MAX_CONFIG_SIZE);
		FZ_ASSERT(nfds == 0);
		break;
	default:
		FZ_ASSERT(nfds == 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhost_user_msg m;
	uint8_t reply[VHOST_USER_HDR_SIZE + sizeof(union vhost_user_payload)];
	size_t nfds, len, n;
	uint8_t *buf;
	int err;

	if (size < 1)
		return 0;
	nfds = data[0];
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	err = vhost_user_parse(buf, len, nfds, &m);
	FZ_ASSERT(m.reason != NULL && strlen(m.reason) > 0);
	if (err == 0)
		fz_check_ok(&m, len, nfds);
	else
		FZ_ASSERT(err == -EINVAL || err == -E2BIG || err == -EPROTO);

	/* Echo the payload as a reply, sized by the message's own claim. */
	n = vhost_user_reply(m.hdr.request, &m.payload,
			     err == 0 ? m.hdr.size : len % (sizeof(m.payload) + 8), reply,
			     sizeof(reply));
	FZ_ASSERT(n == 0 || n >= VHOST_USER_HDR_SIZE);
	free(buf);
	return 0;
}
