/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/vsock_conn.c. The first byte picks the starting state
 * (CLOSED, CONNECTING, CONNECTED by either handshake, half-closed either way,
 * CLOSING) and the local buffer size; the rest is a sequence of 12-byte records,
 * each either a received header (op, type, len, flags, buf_alloc, fwd_cnt from the
 * bytes, addresses mostly right) or a local call (send, consume, shutdown, close,
 * reset). After every step the invariants must hold, or the harness traps:
 *   - the state is a valid one, and CLOSED once an RST was sent or received;
 *   - bytes buffered (rx_cnt - fwd_cnt) never exceed buf_alloc;
 *   - tx space never exceeds what the peer offered, and sends never exceed it;
 *   - an accepted RW delivers exactly its len (or 0 when discarded);
 *   - nothing is ever answered to an RST.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/vsock_conn.h"
#include "toro/errno.h"

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

static uint32_t fz_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void fz_check(const struct vsock_conn *c, const struct vsock_out *o)
{
	FZ_ASSERT((unsigned)c->state < VSOCK_NSTATES);
	FZ_ASSERT(vsock_conn_rx_pending(c) <= c->buf_alloc);
	FZ_ASSERT(vsock_conn_tx_space(c) <= c->peer_buf_alloc);
	if (o->send && o->pkt.op == VIRTIO_VSOCK_OP_RST &&
	    o->pkt.type == VIRTIO_VSOCK_TYPE_STREAM)
		FZ_ASSERT(c->state == VSOCK_CLOSED);
	if (o->events & VSOCK_EV_CLOSED)
		FZ_ASSERT(c->state == VSOCK_CLOSED);
	FZ_ASSERT(o->rx_len <= VSOCK_MAX_PKT);
	FZ_ASSERT(c->local_shut <= 3 && c->peer_shut <= 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsock_conn c;
	struct vsock_out o, r;
	struct virtio_vsock_hdr h;
	uint32_t bufs[4] = { 1, 4096, 65536, 0xffffffffu };

	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;

	vsock_conn_init(&c, 3, 1024, 2, 80, bufs[(mode >> 4) & 3]);
	c.fwd_cnt = c.rx_cnt = c.last_fwd_cnt = (mode & 0x40) ? 0xfffff000u : 0;
	memset(&h, 0, sizeof(h));
	h.src_cid = 2;
	h.dst_cid = 3;
	h.src_port = 80;
	h.dst_port = 1024;
	h.type = VIRTIO_VSOCK_TYPE_STREAM;
	h.buf_alloc = 8192;
	h.fwd_cnt = (mode & 0x80) ? 0xffffff00u : 0;
	switch (mode & 7) {
	case 0: /* CLOSED */
		break;
	case 1: /* CONNECTING */
		FZ_ASSERT(vsock_conn_connect(&c, &o) == 0);
		break;
	default: /* connected by our connect, or by accept, then maybe shut */
		if (mode & 8) {
			FZ_ASSERT(vsock_conn_connect(&c, &o) == 0);
			h.op = VIRTIO_VSOCK_OP_RESPONSE;
			FZ_ASSERT(vsock_conn_recv(&c, &h, &o) == 0);
		} else {
			h.op = VIRTIO_VSOCK_OP_REQUEST;
			FZ_ASSERT(vsock_conn_accept(&c, &h, &o) == 0);
		}
		FZ_ASSERT(c.state == VSOCK_CONNECTED);
		if ((mode & 7) == 3)
			vsock_conn_shutdown(&c, VIRTIO_VSOCK_SHUTDOWN_SEND, &o);
		if ((mode & 7) == 4)
			vsock_conn_shutdown(&c, VIRTIO_VSOCK_SHUTDOWN_RCV, &o);
		if ((mode & 7) == 5)
			vsock_conn_close(&c, &o);
		break;
	}

	while (size >= 12) {
		const uint8_t *p = data;
		uint8_t kind = p[0];

		data += 12;
		size -= 12;
		memset(&o, 0, sizeof(o));
		if (kind < 0xc0) {
			/* A received header, mostly well-addressed. */
			struct virtio_vsock_hdr in = h;
			uint32_t pend = vsock_conn_rx_pending(&c);
			int rc;

			in.op = kind & 7 ? kind & 7 : p[1];
			in.type = (p[1] & 0xf0) == 0xf0 ? p[2] : VIRTIO_VSOCK_TYPE_STREAM;
			in.len = (p[1] & 8) ? fz_u32(p + 4) :
					      (uint32_t)p[2] << (p[3] & 15);
			if (in.op != VIRTIO_VSOCK_OP_RW && !(p[1] & 4))
				in.len = 0;
			in.flags = p[3] >> 4;
			in.buf_alloc = (p[1] & 2) ? fz_u32(p + 8) : 8192;
			/* fwd_cnt near what we sent, sometimes wild. */
			in.fwd_cnt = (p[1] & 1) ? fz_u32(p + 8) :
						  c.tx_cnt - (p[5] & 0x3f);
			if (kind & 0x80)
				in.src_port++;
			rc = vsock_conn_recv(&c, &in, &o);
			FZ_ASSERT(rc == 0 || rc == -EIO || rc == -ENOENT);
			if (in.op == VIRTIO_VSOCK_OP_RST)
				FZ_ASSERT(!o.send);
			if (rc == -ENOENT)
				FZ_ASSERT(!o.send && o.events == 0);
			if (rc == 0 && in.op == VIRTIO_VSOCK_OP_RW) {
				FZ_ASSERT(o.rx_len == 0 || o.rx_len == in.len);
				FZ_ASSERT(in.len <= c.buf_alloc - pend);
			}
		} else {
			uint32_t n = fz_u32(p + 4) % (VSOCK_MAX_PKT + 2);
			uint32_t sp = vsock_conn_tx_space(&c);
			int rc = 0;

			switch (kind & 7) {
			case 0:
			case 1:
				rc = vsock_conn_send(&c, n, &o);
				if (rc == 0)
					FZ_ASSERT(n <= sp && o.pkt.len == n);
				break;
			case 2:
				n = n % (vsock_conn_rx_pending(&c) + 1);
				FZ_ASSERT(vsock_conn_consumed(&c, n, &o) == 0);
				break;
			case 3:
				rc = vsock_conn_shutdown(&c, p[1] & 7, &o);
				break;
			case 4:
				rc = vsock_conn_close(&c, &o);
				break;
			case 5:
				rc = vsock_conn_reset(&c, &o);
				break;
			case 6:
				vsock_conn_transport_reset(&c, &o);
				break;
			default:
				rc = vsock_conn_connect(&c, &o);
				break;
			}
			FZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -EAGAIN);
		}
		fz_check(&c, &o);
		(void)r;
	}
	return 0;
}
