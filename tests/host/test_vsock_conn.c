/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/vsock_conn.c. Two endpoints, "a" (guest-like, CID 3) and "b" (host,
 * CID 2), exchange the headers their state machines produce through wire(); the
 * payload is simulated by lengths only, plus a byte stream model in the random
 * simulation. Misbehaving-peer tests build headers by hand.
 */
#include "tests/host/check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/vsock_conn.h"
#include "toro/errno.h"
#include "uapi/virtio_vsock.h"

#define A_CID 3
#define A_PORT 1024
#define B_CID VIRTIO_VSOCK_HOST_CID
#define B_PORT 80

static void pair_init(struct vsock_conn *a, struct vsock_conn *b, uint32_t abuf,
		      uint32_t bbuf)
{
	vsock_conn_init(a, A_CID, A_PORT, B_CID, B_PORT, abuf);
	vsock_conn_init(b, B_CID, B_PORT, A_CID, A_PORT, bbuf);
}

/* Delivers out's packet (which must exist) to the other side; returns its result. */
static int wire(const struct vsock_out *out, struct vsock_conn *to, struct vsock_out *res)
{
	CHECK(out->send);
	return vsock_conn_recv(to, &out->pkt, res);
}

/* a connects to b, b accepts. */
static void handshake(struct vsock_conn *a, struct vsock_conn *b)
{
	struct vsock_out o, r;

	CHECK_EQ(vsock_conn_connect(a, &o), 0);
	CHECK_EQ(a->state, VSOCK_CONNECTING);
	CHECK_EQ(o.pkt.op, VIRTIO_VSOCK_OP_REQUEST);
	CHECK_EQ(vsock_conn_accept(b, &o.pkt, &r), 0);
	CHECK(r.events & VSOCK_EV_CONNECTED);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RESPONSE);
	CHECK_EQ(b->state, VSOCK_CONNECTED);
	CHECK_EQ(wire(&r, a, &o), 0);
	CHECK(o.events & VSOCK_EV_CONNECTED);
	CHECK(!o.send);
	CHECK_EQ(a->state, VSOCK_CONNECTED);
}

static struct virtio_vsock_hdr hdr_to(const struct vsock_conn *c, uint16_t op,
				      uint32_t len)
{
	struct virtio_vsock_hdr h = { 0 };

	h.src_cid = c->peer_cid;
	h.dst_cid = c->local_cid;
	h.src_port = c->peer_port;
	h.dst_port = c->local_port;
	h.type = VIRTIO_VSOCK_TYPE_STREAM;
	h.op = op;
	h.len = len;
	h.buf_alloc = c->peer_buf_alloc;
	h.fwd_cnt = c->peer_fwd_cnt;
	return h;
}

TEST(vsock_header_layout)
{
	struct virtio_vsock_hdr h;

	CHECK_EQ(sizeof(h), 44);
	CHECK_EQ(sizeof(struct virtio_vsock_config), 8);
	CHECK_EQ(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 7);
}

TEST(vsock_handshake_both_directions)
{
	struct vsock_conn a, b;

	pair_init(&a, &b, 4096, 8192);
	handshake(&a, &b);
	CHECK_EQ(vsock_conn_tx_space(&a), 8192);
	CHECK_EQ(vsock_conn_tx_space(&b), 4096);
	pair_init(&a, &b, 4096, 8192);
	handshake(&b, &a); /* the host connects to the guest */
	CHECK_EQ(b.state, VSOCK_CONNECTED);
	CHECK_EQ(vsock_conn_tx_space(&b), 4096);
	CHECK_STR(vsock_state_name(a.state), "CONNECTED");
}

TEST(vsock_connect_refused)
{
	struct vsock_conn a, b;
	struct vsock_out o, r;
	struct virtio_vsock_hdr rst;

	pair_init(&a, &b, 4096, 4096);
	CHECK_EQ(vsock_conn_connect(&a, &o), 0);
	CHECK_EQ(vsock_conn_connect(&a, &r), -EINVAL);
	/* No listener on b: the caller answers with a stateless RST. */
	CHECK_EQ(vsock_reply_rst(&o.pkt, &rst), 0);
	CHECK_EQ(vsock_reply_rst(&rst, &rst), -EINVAL);
	CHECK_EQ(vsock_conn_recv(&a, &rst, &r), 0);
	CHECK(r.events & VSOCK_EV_REFUSED);
	CHECK(r.events & VSOCK_EV_CLOSED);
	CHECK(!r.send);
	CHECK_EQ(a.state, VSOCK_CLOSED);
	CHECK_EQ(a.err, VSOCK_ERR_REFUSED);
	/* A closed connection can connect again. */
	CHECK_EQ(vsock_conn_connect(&a, &o), 0);
	CHECK_EQ(vsock_conn_close(&a, &o), 0);
	CHECK_EQ(o.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK_EQ(a.state, VSOCK_CLOSED);
}

/* Moves n bytes from s to d, with d's application consuming them; true if sent. */
static bool xfer(struct vsock_conn *s, struct vsock_conn *d, uint32_t n)
{
	struct vsock_out o, r, u;

	if (vsock_conn_send(s, n, &o) != 0)
		return false;
	CHECK_EQ(o.pkt.len, n);
	CHECK_EQ(wire(&o, d, &r), 0);
	CHECK_EQ(r.rx_len, n);
	CHECK(r.events & VSOCK_EV_READABLE);
	CHECK_EQ(vsock_conn_consumed(d, n, &r), 0);
	if (r.send) {
		CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
		CHECK_EQ(wire(&r, s, &u), 0);
	}
	return true;
}

TEST(vsock_data_both_ways_across_wrap)
{
	struct vsock_conn a, b;
	struct vsock_out o;
	uint64_t moved = 0;

	pair_init(&a, &b, 65536, 65536);
	/* Counters near 2^32: a sends REQUEST with fwd_cnt, b adopts it as tx_cnt. */
	a.fwd_cnt = a.rx_cnt = a.last_fwd_cnt = 0xffff0000u;
	b.fwd_cnt = b.rx_cnt = b.last_fwd_cnt = 0xfffff000u;
	handshake(&a, &b);
	CHECK_EQ(b.tx_cnt, 0xffff0000u);
	CHECK_EQ(a.tx_cnt, 0xfffff000u);
	for (int i = 0; i < 200; i++) {
		uint32_t n = 1000 + (uint32_t)i * 7;

		while (!xfer(&a, &b, n))
			CHECK(0);
		CHECK(xfer(&b, &a, n));
		moved += n;
		CHECK(vsock_conn_tx_space(&a) <= 65536);
		CHECK(vsock_conn_tx_space(&b) <= 65536);
	}
	CHECK(moved > 0x10000);
	CHECK(a.tx_cnt < 0x10000000u); /* wrapped */
	CHECK(b.tx_cnt < 0x10000000u);
	/* All consumed: the peer's view lags by less than half a buffer. */
	CHECK_EQ(vsock_conn_rx_pending(&b), 0);
	CHECK(vsock_conn_tx_space(&a) > 65536 / 2);
	CHECK_EQ(vsock_conn_send(&a, vsock_conn_tx_space(&a), &o), 0);
	CHECK_EQ(vsock_conn_tx_space(&a), 0);
}

TEST(vsock_window_fill_and_drain_over_wrap)
{
	struct vsock_conn a, b;
	struct vsock_out o, r, u;

	pair_init(&a, &b, 4096, 4096);
	b.fwd_cnt = b.rx_cnt = b.last_fwd_cnt = 0xfffffc00u;
	handshake(&a, &b);
	/* Four windows, each crossing the wrap point at some time. */
	for (int w = 0; w < 4; w++) {
		CHECK_EQ(vsock_conn_tx_space(&a), 4096);
		CHECK_EQ(vsock_conn_send(&a, 4096, &o), 0);
		CHECK_EQ(vsock_conn_tx_space(&a), 0);
		CHECK_EQ(wire(&o, &b, &r), 0);
		CHECK_EQ(vsock_conn_rx_pending(&b), 4096);
		CHECK_EQ(vsock_conn_send(&a, 1, &o), -EAGAIN);
		CHECK_EQ(vsock_conn_consumed(&b, 2047, &r), 0);
		CHECK(!r.send); /* less than half */
		CHECK_EQ(vsock_conn_consumed(&b, 1, &r), 0);
		CHECK(r.send);
		CHECK_EQ(wire(&r, &a, &u), 0);
		CHECK(u.events & VSOCK_EV_WRITABLE);
		CHECK_EQ(vsock_conn_tx_space(&a), 2048);
		CHECK_EQ(vsock_conn_consumed(&b, 2048, &r), 0);
		CHECK(r.send);
		CHECK_EQ(wire(&r, &a, &u), 0);
	}
	CHECK_EQ(b.fwd_cnt, (uint32_t)(0xfffffc00u + 4 * 4096)); /* wrapped */
	CHECK_EQ(vsock_conn_consumed(&b, 1, &r), -EINVAL);
}

TEST(vsock_credit_request_flow)
{
	struct vsock_conn a, b;
	struct vsock_out o, r, u;

	pair_init(&a, &b, 1024, 1024);
	handshake(&a, &b);
	CHECK_EQ(vsock_conn_send(&a, 1024, &o), 0);
	CHECK_EQ(wire(&o, &b, &r), 0);
	/* b's application reads a little: not enough for an update on its own. */
	CHECK_EQ(vsock_conn_consumed(&b, 100, &r), 0);
	CHECK(!r.send);
	/* a is out of credit: it asks once, not on every attempt. */
	CHECK_EQ(vsock_conn_send(&a, 10, &o), -EAGAIN);
	CHECK(o.send);
	CHECK_EQ(o.pkt.op, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
	CHECK_EQ(vsock_conn_send(&a, 10, &u), -EAGAIN);
	CHECK(!u.send);
	CHECK_EQ(wire(&o, &b, &r), 0);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
	CHECK_EQ(r.pkt.fwd_cnt, 100);
	CHECK_EQ(wire(&r, &a, &u), 0);
	CHECK(u.events & VSOCK_EV_WRITABLE);
	CHECK_EQ(vsock_conn_tx_space(&a), 100);
	CHECK_EQ(vsock_conn_send(&a, 101, &o), -EAGAIN);
	CHECK_EQ(vsock_conn_send(&a, 100, &o), 0);
	CHECK_EQ(vsock_conn_send(&a, 0, &o), -EINVAL);
	CHECK_EQ(vsock_conn_send(&a, VSOCK_MAX_PKT + 1, &o), -EINVAL);
}

TEST(vsock_half_close_local_send)
{
	struct vsock_conn a, b;
	struct vsock_out o, r, u;

	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	/* a is done sending; b still sends to a. */
	CHECK_EQ(vsock_conn_shutdown(&a, VIRTIO_VSOCK_SHUTDOWN_SEND, &o), 0);
	CHECK_EQ(a.state, VSOCK_LOCAL_SHUT);
	CHECK_EQ(vsock_conn_send(&a, 1, &r), -EINVAL);
	CHECK_EQ(wire(&o, &b, &r), 0);
	CHECK(r.events & VSOCK_EV_PEER_SHUT);
	CHECK(r.events & VSOCK_EV_READABLE); /* EOF */
	CHECK(!r.send);
	CHECK_EQ(b.state, VSOCK_PEER_SHUT);
	CHECK(xfer(&b, &a, 300));
	/* b finishes its direction too: a answers with RST, both CLOSED cleanly. */
	CHECK_EQ(vsock_conn_shutdown(&b, VIRTIO_VSOCK_SHUTDOWN_SEND, &o), 0);
	CHECK_EQ(b.state, VSOCK_CLOSING);
	CHECK_EQ(wire(&o, &a, &r), 0);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK(r.events & VSOCK_EV_CLOSED);
	CHECK_EQ(a.state, VSOCK_CLOSED);
	CHECK_EQ(a.err, VSOCK_ERR_NONE);
	CHECK_EQ(wire(&r, &b, &u), 0);
	CHECK(u.events & VSOCK_EV_CLOSED);
	CHECK(!(u.events & VSOCK_EV_RESET));
	CHECK_EQ(b.state, VSOCK_CLOSED);
	CHECK_EQ(b.err, VSOCK_ERR_NONE);
}

TEST(vsock_half_close_local_rcv)
{
	struct vsock_conn a, b;
	struct vsock_out o, r;

	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	/* b's data crosses a's SHUTDOWN(RCV): counted, dropped, no reset. */
	CHECK_EQ(vsock_conn_send(&b, 500, &o), 0);
	CHECK_EQ(vsock_conn_shutdown(&a, VIRTIO_VSOCK_SHUTDOWN_RCV, &r), 0);
	CHECK_EQ(a.state, VSOCK_PEER_SHUT);
	CHECK_EQ(wire(&o, &a, &r), 0);
	CHECK_EQ(r.rx_len, 0);
	CHECK_EQ(vsock_conn_rx_pending(&a), 0);
	CHECK(xfer(&a, &b, 100)); /* a still sends */
	CHECK_EQ(vsock_conn_shutdown(&a, 0, &r), -EINVAL);
	CHECK_EQ(vsock_conn_shutdown(&a, 4, &r), -EINVAL);
}

TEST(vsock_full_close_and_timeout)
{
	struct vsock_conn a, b;
	struct vsock_out o, r, u;

	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	CHECK_EQ(vsock_conn_close(&a, &o), 0);
	CHECK_EQ(o.pkt.op, VIRTIO_VSOCK_OP_SHUTDOWN);
	CHECK_EQ(o.pkt.flags, VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND);
	CHECK_EQ(a.state, VSOCK_CLOSING);
	CHECK_EQ(wire(&o, &b, &r), 0);
	CHECK_EQ(b.state, VSOCK_CLOSED);
	CHECK_EQ(wire(&r, &a, &u), 0);
	CHECK_EQ(a.state, VSOCK_CLOSED);
	CHECK_EQ(a.err, VSOCK_ERR_NONE);

	/* The peer never answers: the caller's timer closes again and forces RST. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	CHECK_EQ(vsock_conn_close(&a, &o), 0);
	CHECK_EQ(vsock_conn_close(&a, &o), 0);
	CHECK_EQ(o.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK_EQ(a.state, VSOCK_CLOSED);
	CHECK_EQ(vsock_conn_close(&a, &o), 0);
	CHECK(!o.send);

	/* Both close at once: each answers the other's SHUTDOWN with RST. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	CHECK_EQ(vsock_conn_close(&a, &o), 0);
	CHECK_EQ(vsock_conn_close(&b, &r), 0);
	CHECK_EQ(wire(&o, &b, &u), 0);
	CHECK_EQ(b.state, VSOCK_CLOSED);
	CHECK_EQ(wire(&r, &a, &u), 0);
	CHECK_EQ(a.state, VSOCK_CLOSED);
}

TEST(vsock_peer_reset_and_transport_reset)
{
	struct vsock_conn a, b;
	struct vsock_out o, r;

	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	CHECK_EQ(vsock_conn_reset(&b, &o), 0);
	CHECK_EQ(wire(&o, &a, &r), 0);
	CHECK(r.events & VSOCK_EV_RESET);
	CHECK(!r.send);
	CHECK_EQ(a.err, VSOCK_ERR_PEER_RESET);
	/* Packets for a closed connection get an RST, RSTs get nothing. */
	struct virtio_vsock_hdr h = hdr_to(&a, VIRTIO_VSOCK_OP_RW, 10);
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), -EIO);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RST);
	h.op = VIRTIO_VSOCK_OP_RST;
	h.len = 0;
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), -EIO);
	CHECK(!r.send);

	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	vsock_conn_transport_reset(&a, &r);
	CHECK(!r.send);
	CHECK(r.events & VSOCK_EV_RESET);
	CHECK_EQ(a.err, VSOCK_ERR_TRANSPORT_RESET);
}

/* Feeds h to a fresh connected a; expects a reset for reason err. */
static void expect_reset(struct vsock_conn *a, const struct virtio_vsock_hdr *h,
			 enum vsock_err err)
{
	struct vsock_out r;

	CHECK_EQ(vsock_conn_recv(a, h, &r), -EIO);
	CHECK(r.send);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK(r.events & VSOCK_EV_RESET);
	CHECK_EQ(r.err, err);
	CHECK_EQ(a->state, VSOCK_CLOSED);
}

TEST(vsock_misbehaving_peer)
{
	struct vsock_conn a, b;
	struct vsock_out r;
	struct virtio_vsock_hdr h;

	/* Over credit: a offered 4096. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RW, 4000);
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), 0);
	h.len = 97;
	expect_reset(&a, &h, VSOCK_ERR_OVER_CREDIT);
	CHECK_EQ(vsock_conn_rx_pending(&a), 4000);

	/* Unknown op, and op 0. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, 8, 0);
	expect_reset(&a, &h, VSOCK_ERR_BAD_OP);
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, 0, 0);
	expect_reset(&a, &h, VSOCK_ERR_BAD_OP);

	/* Bad type: an RST of that type, the stream survives. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RW, 10);
	h.type = 2;
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), -EIO);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK_EQ(r.pkt.type, 2);
	CHECK_EQ(r.err, VSOCK_ERR_BAD_TYPE);
	CHECK_EQ(a.state, VSOCK_CONNECTED);
	CHECK_EQ(vsock_conn_rx_pending(&a), 0);

	/* Duplicate RESPONSE, and REQUEST on a connected socket. */
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RESPONSE, 0);
	expect_reset(&a, &h, VSOCK_ERR_BAD_STATE);
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_REQUEST, 0);
	expect_reset(&a, &h, VSOCK_ERR_BAD_STATE);

	/* RW before connected. */
	pair_init(&a, &b, 4096, 4096);
	CHECK_EQ(vsock_conn_connect(&a, &r), 0);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RW, 1);
	expect_reset(&a, &h, VSOCK_ERR_BAD_STATE);

	/* Control op with a payload, and an oversized RW. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 4);
	expect_reset(&a, &h, VSOCK_ERR_BAD_LEN);
	pair_init(&a, &b, 1u << 20, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RW, VSOCK_MAX_PKT + 1);
	expect_reset(&a, &h, VSOCK_ERR_BAD_LEN);

	/* Data after the peer's SEND shutdown. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_SHUTDOWN, 0);
	h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), 0);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RW, 1);
	expect_reset(&a, &h, VSOCK_ERR_AFTER_SHUT);

	/* fwd_cnt claiming more consumed than we ever sent. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0);
	h.fwd_cnt += 1;
	expect_reset(&a, &h, VSOCK_ERR_BAD_CREDIT);

	/* SHUTDOWN with both flags: close with RST reply, no error. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_SHUTDOWN, 0);
	h.flags = 3;
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), 0);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK_EQ(a.state, VSOCK_CLOSED);

	/* Not our 4-tuple: ignored. */
	pair_init(&a, &b, 4096, 4096);
	handshake(&a, &b);
	h = hdr_to(&a, VIRTIO_VSOCK_OP_RST, 0);
	h.src_port++;
	CHECK_EQ(vsock_conn_recv(&a, &h, &r), -ENOENT);
	CHECK(!r.send);
	CHECK_EQ(a.state, VSOCK_CONNECTED);

	/* A malformed REQUEST is refused at accept. */
	pair_init(&a, &b, 4096, 4096);
	h = hdr_to(&b, VIRTIO_VSOCK_OP_REQUEST, 5);
	CHECK_EQ(vsock_conn_accept(&b, &h, &r), -EIO);
	CHECK_EQ(r.pkt.op, VIRTIO_VSOCK_OP_RST);
	CHECK_EQ(b.state, VSOCK_CLOSED);
}

/* ---- two endpoints, random operations -------------------------------------- */

#define SIM_QCAP 4096 /* packets in flight per direction */

struct sim_pkt {
	struct virtio_vsock_hdr h; /* header */
	uint64_t seq; /* stream offset of the first payload byte (RW) */
};

struct sim_end {
	struct vsock_conn c; /* the state machine */
	uint64_t sent; /* stream bytes produced (byte i has value i * 31 + 7) */
	uint64_t got; /* stream bytes received in order */
	uint64_t read; /* of those, consumed by the "application" */
	struct sim_pkt q[SIM_QCAP]; /* packets on the wire toward the other end */
	unsigned qh, qt; /* queue head and tail */
};

static uint64_t sim_rng = 0x9e3779b97f4a7c15ull;

static uint32_t sim_rand(void)
{
	sim_rng ^= sim_rng << 13;
	sim_rng ^= sim_rng >> 7;
	sim_rng ^= sim_rng << 17;
	return (uint32_t)sim_rng;
}

static void sim_push(struct sim_end *e, const struct vsock_out *o, uint64_t seq)
{
	if (!o->send)
		return;
	CHECK(e->qt - e->qh < SIM_QCAP);
	e->q[e->qt % SIM_QCAP].h = o->pkt;
	e->q[e->qt % SIM_QCAP].seq = seq;
	e->qt++;
}

/* Delivers one packet from s's queue to d; d's replies go on d's queue. */
static void sim_deliver(struct sim_end *s, struct sim_end *d)
{
	struct sim_pkt *p = &s->q[s->qh % SIM_QCAP];
	struct vsock_out r;

	s->qh++;
	CHECK_EQ(vsock_conn_recv(&d->c, &p->h, &r), 0);
	/* Receive buffer never above what was offered. */
	CHECK(vsock_conn_rx_pending(&d->c) <= d->c.buf_alloc);
	if (p->h.op == VIRTIO_VSOCK_OP_RW) {
		CHECK_EQ(p->seq, d->got); /* in order, nothing lost */
		CHECK_EQ(r.rx_len, p->h.len);
		d->got += r.rx_len;
	}
	sim_push(d, &r, 0);
}

static void sim_step(struct sim_end *e, struct sim_end *o)
{
	struct vsock_out r;
	uint32_t k = sim_rand() % 8;

	if (k < 3) {
		uint32_t n = 1 + sim_rand() % 3000, sp = vsock_conn_tx_space(&e->c);
		int rc;

		/* Like a socket: send what fits, or try and be told to wait. */
		if (sp && n > sp)
			n = sp;
		rc = vsock_conn_send(&e->c, n, &r);
		CHECK_EQ(rc, n <= sp ? 0 : -EAGAIN);
		sim_push(e, &r, e->sent);
		if (rc == 0)
			e->sent += n;
	} else if (k < 5) {
		uint32_t n = (uint32_t)(e->got - e->read);

		n = n ? sim_rand() % (n + 1) : 0;
		CHECK_EQ(vsock_conn_consumed(&e->c, n, &r), 0);
		e->read += n;
		sim_push(e, &r, 0);
	} else if (e->qt != e->qh) {
		sim_deliver(e, o);
	}
}

TEST(vsock_two_endpoint_random_sim)
{
	static struct sim_end a, b;
	struct vsock_out o, r;

	vsock_conn_init(&a.c, A_CID, A_PORT, B_CID, B_PORT, 10000);
	vsock_conn_init(&b.c, B_CID, B_PORT, A_CID, A_PORT, 7001);
	a.c.fwd_cnt = a.c.rx_cnt = a.c.last_fwd_cnt = 0xfff00000u;
	b.c.fwd_cnt = b.c.rx_cnt = b.c.last_fwd_cnt = 0xffffff00u;
	CHECK_EQ(vsock_conn_connect(&a.c, &o), 0);
	CHECK_EQ(vsock_conn_accept(&b.c, &o.pkt, &r), 0);
	CHECK_EQ(vsock_conn_recv(&a.c, &r.pkt, &o), 0);
	for (int i = 0; i < 400000; i++) {
		if (sim_rand() & 1)
			sim_step(&a, &b);
		else
			sim_step(&b, &a);
		CHECK(vsock_conn_tx_space(&a.c) <= b.c.buf_alloc);
		CHECK(vsock_conn_tx_space(&b.c) <= a.c.buf_alloc);
	}
	/* Drain: deliver everything and read it all, until quiet. */
	for (int round = 0; round < 100 && (a.qh != a.qt || b.qh != b.qt ||
					    a.read != a.got || b.read != b.got);
	     round++) {
		while (a.qh != a.qt)
			sim_deliver(&a, &b);
		while (b.qh != b.qt)
			sim_deliver(&b, &a);
		CHECK_EQ(vsock_conn_consumed(&a.c, (uint32_t)(a.got - a.read), &r), 0);
		a.read = a.got;
		sim_push(&a, &r, 0);
		CHECK_EQ(vsock_conn_consumed(&b.c, (uint32_t)(b.got - b.read), &r), 0);
		b.read = b.got;
		sim_push(&b, &r, 0);
	}
	CHECK_EQ(a.got, b.sent);
	CHECK_EQ(b.got, a.sent);
	fprintf(stderr, "# sim: a sent %llu, b sent %llu bytes\n",
		(unsigned long long)a.sent, (unsigned long long)b.sent);
	CHECK(a.sent > 1000000 && b.sent > 1000000); /* a meaningful amount moved */
	CHECK(a.c.state == VSOCK_CONNECTED && b.c.state == VSOCK_CONNECTED);
	/*
	 * Quiet and drained: each side's view of the other's buffer lags by less than
	 * the half buffer that triggers an update.
	 */
	CHECK(vsock_conn_tx_space(&a.c) > 7001 / 2);
	CHECK(vsock_conn_tx_space(&b.c) > 10000 / 2);
	/* Clean close. */
	CHECK_EQ(vsock_conn_close(&a.c, &o), 0);
	CHECK_EQ(vsock_conn_recv(&b.c, &o.pkt, &r), 0);
	CHECK_EQ(vsock_conn_recv(&a.c, &r.pkt, &o), 0);
	CHECK_EQ(a.c.state, VSOCK_CLOSED);
	CHECK_EQ(b.c.state, VSOCK_CLOSED);
}
