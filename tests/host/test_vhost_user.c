/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/vhost_user.c: a good and several bad messages of every request the
 * backend handles, built byte by byte the way QEMU puts them on the socket.
 */
#include "tests/host/check.h"

#include <stdint.h>

#include "lib/vhost_user.h"
#include "uapi/vhost_user.h"

/* A message being built: header then payload, as on the wire. */
struct tmsg {
	uint8_t b[VHOST_USER_HDR_SIZE + sizeof(union vhost_user_payload) + 16]; /* bytes */
	size_t len; /* bytes in use */
};

static void tmsg_init(struct tmsg *t, uint32_t req, uint32_t flags, const void *p,
		      uint32_t size)
{
	struct vhost_user_hdr h = { req, flags, size };

	memset(t, 0, sizeof(*t));
	memcpy(t->b, &h, sizeof(h));
	if (size)
		memcpy(t->b + VHOST_USER_HDR_SIZE, p, size);
	t->len = VHOST_USER_HDR_SIZE + size;
}

/* Parse a request with payload p of size bytes and nfds fds. */
static int parse(uint32_t req, const void *p, uint32_t size, size_t nfds,
		 struct vhost_user_msg *m)
{
	struct tmsg t;

	tmsg_init(&t, req, VHOST_USER_VERSION, p, size);
	return vhost_user_parse(t.b, t.len, nfds, m);
}

static int parse_u64(uint32_t req, uint64_t v, size_t nfds, struct vhost_user_msg *m)
{
	return parse(req, &v, sizeof(v), nfds, m);
}

static int parse_state(uint32_t req, uint32_t index, uint32_t num,
		       struct vhost_user_msg *m)
{
	struct vhost_vring_state s = { index, num };

	return parse(req, &s, sizeof(s), 0, m);
}

TEST(vu_header_checks)
{
	struct vhost_user_msg m;
	struct tmsg t;
	uint64_t v = 1;

	tmsg_init(&t, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, NULL, 0);
	CHECK_EQ(vhost_user_parse(t.b, t.len, 0, &m), 0);
	CHECK_EQ(m.hdr.request, VHOST_USER_GET_FEATURES);
	CHECK_STR(m.reason, "ok");
	CHECK_EQ(vhost_user_parse(t.b, 11, 0, &m), -EINVAL);
	CHECK_STR(m.reason, "message shorter than the header");

	tmsg_init(&t, VHOST_USER_GET_FEATURES, 0, NULL, 0);
	CHECK_EQ(vhost_user_parse(t.b, t.len, 0, &m), -EPROTO);
	tmsg_init(&t, VHOST_USER_GET_FEATURES, 2, NULL, 0);
	CHECK_EQ(vhost_user_parse(t.b, t.len, 0, &m), -EPROTO);
	tmsg_init(&t, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
		  NULL, 0);
	CHECK_EQ(vhost_user_parse(t.b, t.len, 0, &m), -EPROTO);
	CHECK_STR(m.reason, "reply flag on a request");

	/* NEED_REPLY is passed through for the daemon to honour. */
	tmsg_init(&t, VHOST_USER_SET_FEATURES,
		  VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, &v, 8);
	CHECK_EQ(vhost_user_parse(t.b, t.len, 0, &m), 0);
	CHECK(m.hdr.flags & VHOST_USER_NEED_REPLY_MASK);
	CHECK_EQ(m.payload.u64, 1);

	/* Length on the socket must agree with the header. */
	CHECK_EQ(vhost_user_parse(t.b, t.len - 1, 0, &m), -EINVAL);
	CHECK_EQ(vhost_user_parse(t.b, t.len + 1, 0, &m), -EINVAL);

	/* Larger than any payload. */
	tmsg_init(&t, VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, NULL, 0);
	((struct vhost_user_hdr *)t.b)->size = 100000;
	CHECK_EQ(vhost_user_parse(t.b, t.len, 0, &m), -E2BIG);

	/* Unknown and unsupported requests. */
	CHECK_EQ(parse(0, NULL, 0, 0, &m), -EPROTO);
	CHECK_EQ(parse(VHOST_USER_SET_LOG_BASE, NULL, 0, 0, &m), -EPROTO);
	CHECK_EQ(parse(1000, NULL, 0, 0, &m), -EPROTO);
	CHECK_STR(m.reason, "unknown or unsupported request");
}

TEST(vu_no_payload_requests)
{
	static const uint32_t reqs[] = { VHOST_USER_GET_FEATURES, VHOST_USER_SET_OWNER,
					 VHOST_USER_RESET_OWNER,
					 VHOST_USER_GET_PROTOCOL_FEATURES,
					 VHOST_USER_GET_QUEUE_NUM };
	struct vhost_user_msg m;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		CHECK_EQ(parse(reqs[i], NULL, 0, 0, &m), 0);
		CHECK_EQ(parse_u64(reqs[i], 0, 0, &m), -EINVAL);
		CHECK_EQ(parse(reqs[i], NULL, 0, 1, &m), -EINVAL);
		CHECK_STR(m.reason, "fds attached to a request that takes none");
	}
}

TEST(vu_u64_requests)
{
	struct vhost_user_msg m;
	uint32_t four = 7;

	CHECK_EQ(parse_u64(VHOST_USER_SET_FEATURES, 1ull << 32, 0, &m), 0);
	CHECK_EQ(m.payload.u64, 1ull << 32);
	CHECK_EQ(parse_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 0x201, 0, &m), 0);
	CHECK_EQ(parse(VHOST_USER_SET_FEATURES, &four, 4, 0, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_SET_PROTOCOL_FEATURES, NULL, 0, 0, &m), -EINVAL);
	CHECK_EQ(parse_u64(VHOST_USER_SET_FEATURES, 0, 2, &m), -EINVAL);
}

TEST(vu_mem_table)
{
	struct vhost_user_mem_table t;
	struct vhost_user_msg m;
	uint32_t size = 8 + 2 * 32;

	memset(&t, 0, sizeof(t));
	t.nregions = 2;
	t.regions[0] = (struct vhost_user_mem_region){ 0, 0xa0000, 0x7f0000000000, 0 };
	t.regions[1] = (struct vhost_user_mem_region){ 0x100000, 0x7f00000,
						       0x7f0000100000, 0x100000 };
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), 0);
	CHECK_EQ(m.payload.mem.nregions, 2);
	CHECK_EQ(m.payload.mem.regions[1].mmap_offset, 0x100000);

	/* fds must match regions one to one. */
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 1, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 3, &m), -EINVAL);
	CHECK_STR(m.reason, "SET_MEM_TABLE: need one fd per region");
	/* Size must be exactly 8 + 32 * nregions. */
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size + 32, 2, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size - 1, 2, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, 4, 0, &m), -EINVAL);
	/* Empty table is well formed. */
	t.nregions = 0;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, 8, 0, &m), 0);
	t.nregions = 9;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, sizeof(t), 8, &m), -E2BIG);
	t.nregions = 2;

	/* Overflowing ranges, one field at a time. */
	t.regions[1].guest_phys_addr = UINT64_MAX - 0x1000;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), -EINVAL);
	CHECK_STR(m.reason, "SET_MEM_TABLE: guest range empty or wraps");
	t.regions[1].guest_phys_addr = 0x100000;
	t.regions[1].userspace_addr = UINT64_MAX;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), -EINVAL);
	t.regions[1].userspace_addr = 0x7f0000100000;
	t.regions[1].mmap_offset = UINT64_MAX - 5;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), -EINVAL);
	t.regions[1].mmap_offset = 0;
	t.regions[1].memory_size = 0;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), -EINVAL);
	/* Overlapping guest ranges. */
	t.regions[1].memory_size = 0x1000;
	t.regions[1].guest_phys_addr = 0x9f000;
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), -EINVAL);
	CHECK_STR(m.reason, "SET_MEM_TABLE: regions overlap");
	t.regions[1].guest_phys_addr = 0xa0000; /* adjacent is fine */
	CHECK_EQ(parse(VHOST_USER_SET_MEM_TABLE, &t, size, 2, &m), 0);
}

TEST(vu_vring_state_requests)
{
	struct vhost_user_msg m;

	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, 0, 256, &m), 0);
	CHECK_EQ(m.payload.state.num, 256);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, 2, 1, &m), 0);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, 2, 32768, &m), 0);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, 0, 0, &m), -EINVAL);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, 0, 3, &m), -EINVAL);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, 0, 65536, &m), -EINVAL);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_NUM, VHOST_USER_MAX_QUEUES, 8, &m),
		 -EINVAL);
	CHECK_STR(m.reason, "VRING state: vring index out of range");

	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_BASE, 1, 0xffff, &m), 0);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_BASE, 1, 0x10000, &m), -EINVAL);
	CHECK_EQ(parse_state(VHOST_USER_GET_VRING_BASE, 1, 0, &m), 0);
	CHECK_EQ(parse_state(VHOST_USER_GET_VRING_BASE, 99, 0, &m), -EINVAL);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_ENABLE, 2, 1, &m), 0);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_ENABLE, 2, 0, &m), 0);
	CHECK_EQ(parse_state(VHOST_USER_SET_VRING_ENABLE, 2, 2, &m), -EINVAL);
	/* Wrong size: a u64 where a state belongs is 8 bytes too, a u32 is not. */
	CHECK_EQ(parse(VHOST_USER_SET_VRING_NUM, &m, 4, 0, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_SET_VRING_NUM, &m, 16, 0, &m), -EINVAL);
}

TEST(vu_vring_addr)
{
	struct vhost_vring_addr a = {
		1, 0, 0x7f0000001000, 0x7f0000003000, 0x7f0000002000, 0
	};
	struct vhost_user_msg m;

	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), 0);
	CHECK_EQ(m.payload.addr.avail_user_addr, 0x7f0000002000);
	a.flags = 1u << VHOST_VRING_F_LOG;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), 0);
	a.flags = 2;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), -EINVAL);
	a.flags = 0;
	a.desc_user_addr += 8;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), -EINVAL);
	CHECK_STR(m.reason, "SET_VRING_ADDR: misaligned ring");
	a.desc_user_addr -= 8;
	a.used_user_addr += 2;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), -EINVAL);
	a.used_user_addr -= 2;
	a.avail_user_addr += 1;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), -EINVAL);
	a.avail_user_addr -= 1;
	a.index = 8;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), 0, &m), -EINVAL);
	a.index = 0;
	CHECK_EQ(parse(VHOST_USER_SET_VRING_ADDR, &a, 32, 0, &m), -EINVAL);
}

TEST(vu_vring_fd_requests)
{
	static const uint32_t reqs[] = { VHOST_USER_SET_VRING_KICK,
					 VHOST_USER_SET_VRING_CALL,
					 VHOST_USER_SET_VRING_ERR };
	struct vhost_user_msg m;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		CHECK_EQ(parse_u64(reqs[i], 2, 1, &m), 0);
		CHECK_EQ(m.nfds, 1);
		CHECK_EQ(parse_u64(reqs[i], 2 | VHOST_USER_VRING_NOFD_MASK, 0, &m), 0);
		CHECK_EQ(parse_u64(reqs[i], 2 | VHOST_USER_VRING_NOFD_MASK, 1, &m),
			 -EINVAL);
		CHECK_EQ(parse_u64(reqs[i], 2, 0, &m), -EINVAL);
		CHECK_STR(m.reason, "VRING fd: fd count does not match NOFD bit");
		CHECK_EQ(parse_u64(reqs[i], 2, 2, &m), -EINVAL);
		CHECK_EQ(parse_u64(reqs[i], 8, 1, &m), -EINVAL);
		CHECK_EQ(parse_u64(reqs[i], 2 | (1ull << 9), 1, &m), -EINVAL);
		CHECK_EQ(parse_u64(reqs[i], 2 | (1ull << 63), 1, &m), -EINVAL);
	}
}

TEST(vu_config)
{
	struct vhost_user_config c;
	struct vhost_user_msg m;

	memset(&c, 0, sizeof(c));
	c.size = 8; /* vsock: u64 guest_cid */
	CHECK_EQ(parse(VHOST_USER_GET_CONFIG, &c, 12 + 8, 0, &m), 0);
	CHECK_EQ(m.payload.config.size, 8);
	CHECK_EQ(parse(VHOST_USER_SET_CONFIG, &c, 12 + 8, 0, &m), 0);
	CHECK_EQ(parse(VHOST_USER_GET_CONFIG, &c, 12 + 4, 0, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_GET_CONFIG, &c, 8, 0, &m), -EINVAL);
	CHECK_EQ(parse(VHOST_USER_GET_CONFIG, &c, 12 + 8, 1, &m), -EINVAL);
	c.offset = 252;
	CHECK_EQ(parse(VHOST_USER_GET_CONFIG, &c, 12 + 8, 0, &m), -EINVAL);
	CHECK_STR(m.reason, "CONFIG: offset + size beyond config space");
	c.offset = 0xfffffffc;
	CHECK_EQ(parse(VHOST_USER_GET_CONFIG, &c, 12 + 8, 0, &m), -EINVAL);
	c.offset = 0;
	c.size = 256;
	CHECK_EQ(parse(VHOST_USER_SET_CONFIG, &c, 12 + 256, 0, &m), 0);
	c.size = 257;
	CHECK_EQ(parse(VHOST_USER_SET_CONFIG, &c, 12 + 256, 0, &m), -E2BIG);
}

TEST(vu_reply)
{
	uint8_t buf[64];
	uint64_t v = 0x123456789ull;
	struct vhost_user_hdr h;

	CHECK_EQ(vhost_user_reply(VHOST_USER_GET_FEATURES, &v, 8, buf, sizeof(buf)), 20);
	memcpy(&h, buf, sizeof(h));
	CHECK_EQ(h.request, VHOST_USER_GET_FEATURES);
	CHECK_EQ(h.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	CHECK_EQ(h.size, 8);
	CHECK(memcmp(buf + 12, &v, 8) == 0);
	CHECK_EQ(vhost_user_reply(VHOST_USER_GET_FEATURES, &v, 8, buf, 19), 0);
	CHECK_EQ(vhost_user_reply(VHOST_USER_SET_OWNER, NULL, 0, buf, 12), 12);
	CHECK_EQ(vhost_user_reply(VHOST_USER_GET_CONFIG, buf, 1000, buf, 2000), 0);
	CHECK_STR(vhost_user_request_name(VHOST_USER_SET_MEM_TABLE), "SET_MEM_TABLE");
	CHECK_STR(vhost_user_request_name(77), "UNKNOWN");
}
