/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock stream connection state machine (virtio 1.2 section 5.10).
 *
 * Primer. A connection is named by (local cid, local port, peer cid, peer port).
 * Handshake: the connecting side sends REQUEST; the other side answers RESPONSE
 * (accepted) or RST (refused: no listener, backlog full). Data flows as RW packets
 * whose payload follows the 44-byte header. Closing: a side sends SHUTDOWN with the
 * directions it gives up (RCV: "I will receive no more", SEND: "I will send no
 * more"; flags are cumulative); once both directions are finished, the side that
 * receives the SHUTDOWN finishing them answers RST, and both are CLOSED. A side
 * that waits for that RST too long sends RST itself (the caller's timer, then
 * vsock_conn_close() again). An RST in any state ends the connection at once.
 *
 * A direction is finished when its sender said SEND or its receiver said RCV:
 *   local -> peer finished:  local_shut & SEND  or  peer_shut & RCV
 *   peer -> local finished:  peer_shut & SEND   or  local_shut & RCV
 * Both ends compute this from the same two flag sets, so they agree on who
 * finished the connection (the one who answers with RST) without extra messages.
 *
 * Credit. Every header carries the sender's buf_alloc (its receive buffer for this
 * connection) and fwd_cnt (bytes its application ever consumed, mod 2^32). The
 * sender of data keeps tx_cnt (bytes ever sent, mod 2^32) and may send at most
 *
 *     peer_free = peer_buf_alloc - (tx_cnt - peer_fwd_cnt)
 *
 * where the subtraction in parentheses is done in uint32_t, so it is right across
 * the 2^32 wrap as long as fewer than 2^32 bytes are in flight (always: the buffer
 * is a u32). The receiver enforces the same bound on its side: bytes buffered
 * (rx_cnt - fwd_cnt) plus the new packet's len must fit buf_alloc, otherwise the
 * peer cheats and gets an RST; nothing is ever buffered beyond buf_alloc.
 * The receiver tells the sender about consumed bytes in any header it sends, and
 * in a CREDIT_UPDATE when fwd_cnt moved by at least half of buf_alloc since the
 * last header, or at once when the peer asks with CREDIT_REQUEST. Half the buffer
 * cannot stall: a sender blocked on a full buffer means buf_alloc bytes were
 * unannounced, and the application draining half of them triggers the update.
 *
 * Transitions ("-> X / P" = go to X and send P; "RST!" = send RST, go CLOSED,
 * report RESET with the reason; "-" = stay, nothing sent):
 *
 *  state      | REQUEST | RESPONSE  | RST             | SHUTDOWN f    | RW         | CREDIT_*
 *  -----------+---------+-----------+-----------------+---------------+------------+---------
 *  CLOSED     | caller: accept or RST; any other op: stateless RST (never to an RST)
 *  CONNECTING | RST!    | CONNECTED | CLOSED, REFUSED | RST!          | RST!       | RST!
 *  CONNECTED  | RST!    | RST!      | CLOSED, RESET   | *_SHUT or     | deliver    | UPDATE
 *  LOCAL_SHUT | RST!    | RST!      | CLOSED, RESET   |  CLOSED / RST | deliver    | on
 *  PEER_SHUT  | RST!    | RST!      | CLOSED, RESET   |  (both done)  | RST!       | REQUEST
 *  CLOSING    | RST!    | RST!      | CLOSED (clean)  | CLOSED / RST  | discard    | -
 *
 *  local call | connect: CLOSED -> CONNECTING / REQUEST
 *             | accept: CLOSED -> CONNECTED / RESPONSE
 *             | send: CONNECTED, PEER_SHUT -> same / RW (within credit)
 *             | shutdown f: CONNECTED, *_SHUT -> *_SHUT or CLOSING / SHUTDOWN
 *             | close: CONNECTED, *_SHUT -> CLOSING / SHUTDOWN(RCV|SEND);
 *             |        CONNECTING, CLOSING -> CLOSED / RST
 *             | reset: any -> CLOSED / RST;  transport reset: any -> CLOSED
 *
 * RW in PEER_SHUT is an error only if the peer itself said SEND; if the direction
 * is finished because we said RCV, its data may have crossed our SHUTDOWN and is
 * counted for credit and discarded (same in CLOSING). A header with a type other
 * than STREAM belongs to another socket type: it gets an RST of that type and the
 * stream is untouched. Every other malformed header resets the connection.
 */
#include "lib/vsock_conn.h"

#include "lib/kstring.h"
#include "toro/errno.h"

#define VSOCK_SHUT_MASK (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)

static bool vsock_local_dir_done(const struct vsock_conn *c)
{
	return (c->local_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
	       (c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV);
}

static bool vsock_peer_dir_done(const struct vsock_conn *c)
{
	return (c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
	       (c->local_shut & VIRTIO_VSOCK_SHUTDOWN_RCV);
}

/* The established state the shutdown flags mean; CLOSING when both are done. */
static enum vsock_state vsock_shut_state(const struct vsock_conn *c)
{
	bool l = vsock_local_dir_done(c), p = vsock_peer_dir_done(c);

	if (l && p)
		return VSOCK_CLOSING;
	if (l)
		return VSOCK_LOCAL_SHUT;
	if (p)
		return VSOCK_PEER_SHUT;
	return VSOCK_CONNECTED;
}

static bool vsock_established(const struct vsock_conn *c)
{
	return c->state == VSOCK_CONNECTED || c->state == VSOCK_LOCAL_SHUT ||
	       c->state == VSOCK_PEER_SHUT;
}

static void vsock_out_clear(struct vsock_out *out)
{
	memset(out, 0, sizeof(*out));
}

/*
 * Fills out->pkt with op from c. Every header carries our credit, so producing one
 * is announcing fwd_cnt: last_fwd_cnt follows (the caller must send it).
 */
static void vsock_emit(struct vsock_conn *c, uint16_t op, uint32_t flags, uint32_t len,
		       struct vsock_out *out)
{
	struct virtio_vsock_hdr *h = &out->pkt;

	h->src_cid = c->local_cid;
	h->dst_cid = c->peer_cid;
	h->src_port = c->local_port;
	h->dst_port = c->peer_port;
	h->len = len;
	h->type = VIRTIO_VSOCK_TYPE_STREAM;
	h->op = op;
	h->flags = flags;
	h->buf_alloc = c->buf_alloc;
	h->fwd_cnt = c->fwd_cnt;
	out->send = true;
	c->last_fwd_cnt = c->fwd_cnt;
}

static void vsock_close_now(struct vsock_conn *c, enum vsock_err err,
			    struct vsock_out *out)
{
	c->state = VSOCK_CLOSED;
	c->err = err;
	out->events |= VSOCK_EV_CLOSED;
	if (err != VSOCK_ERR_NONE)
		out->err = err;
}

/* Resets the connection for reason err: RST to the peer, CLOSED, RESET event. */
static int vsock_rst(struct vsock_conn *c, enum vsock_err err, struct vsock_out *out)
{
	vsock_emit(c, VIRTIO_VSOCK_OP_RST, 0, 0, out);
	out->events |= VSOCK_EV_RESET;
	vsock_close_now(c, err, out);
	return -EIO;
}

void vsock_conn_init(struct vsock_conn *c, uint64_t local_cid, uint32_t local_port,
		     uint64_t peer_cid, uint32_t peer_port, uint32_t buf_alloc)
{
	memset(c, 0, sizeof(*c));
	c->state = VSOCK_CLOSED;
	c->local_cid = local_cid;
	c->local_port = local_port;
	c->peer_cid = peer_cid;
	c->peer_port = peer_port;
	/* A zero buffer would never let data through and never send an update. */
	c->buf_alloc = buf_alloc ? buf_alloc : 1;
}

uint32_t vsock_conn_tx_space(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt; /* mod 2^32 on purpose */

	/* The peer may shrink buf_alloc below what is already in flight. */
	if (in_flight >= c->peer_buf_alloc)
		return 0;
	return c->peer_buf_alloc - in_flight;
}

uint32_t vsock_conn_rx_pending(const struct vsock_conn *c)
{
	return c->rx_cnt - c->fwd_cnt;
}

/* Whether enough was consumed since the last header to be worth a CREDIT_UPDATE. */
static bool vsock_credit_due(const struct vsock_conn *c)
{
	uint32_t half = c->buf_alloc / 2 ? c->buf_alloc / 2 : 1;

	return c->fwd_cnt - c->last_fwd_cnt >= half;
}

/*
 * Takes the peer's credit from h. fwd_cnt may only move forward and never past the
 * bytes we sent: tx_cnt - fwd_cnt (in flight) must not grow. false if it does.
 */
static bool vsock_take_credit(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
			      struct vsock_out *out)
{
	uint32_t before = vsock_conn_tx_space(c);
	uint32_t fwd = h->fwd_cnt;

	if ((uint32_t)(c->tx_cnt - fwd) > (uint32_t)(c->tx_cnt - c->peer_fwd_cnt))
		return false;
	c->peer_fwd_cnt = fwd;
	c->peer_buf_alloc = h->buf_alloc;
	/* Any header answers a CREDIT_REQUEST: it carries the news, if any. */
	c->credit_req_sent = false;
	if (vsock_conn_tx_space(c) > before)
		out->events |= VSOCK_EV_WRITABLE;
	return true;
}

/* true if h is addressed to c (from the peer to us). */
static bool vsock_is_mine(const struct vsock_conn *c, const struct virtio_vsock_hdr *h)
{
	return h->src_cid == c->peer_cid && h->dst_cid == c->local_cid &&
	       h->src_port == c->peer_port && h->dst_port == c->local_port;
}

int vsock_reply_rst(const struct virtio_vsock_hdr *in, struct virtio_vsock_hdr *rst)
{
	if (in->op == VIRTIO_VSOCK_OP_RST)
		return -EINVAL;
	memset(rst, 0, sizeof(*rst));
	rst->src_cid = in->dst_cid;
	rst->dst_cid = in->src_cid;
	rst->src_port = in->dst_port;
	rst->dst_port = in->src_port;
	rst->type = in->type;
	rst->op = VIRTIO_VSOCK_OP_RST;
	return 0;
}

int vsock_conn_connect(struct vsock_conn *c, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (c->state != VSOCK_CLOSED)
		return -EINVAL;
	c->state = VSOCK_CONNECTING;
	c->err = VSOCK_ERR_NONE;
	c->local_shut = c->peer_shut = 0;
	vsock_emit(c, VIRTIO_VSOCK_OP_REQUEST, 0, 0, out);
	return 0;
}

/* Adopts the peer's counters from its first header: nothing was sent before it. */
static void vsock_first_credit(struct vsock_conn *c, const struct virtio_vsock_hdr *h)
{
	c->peer_fwd_cnt = h->fwd_cnt;
	c->tx_cnt = h->fwd_cnt;
	c->peer_buf_alloc = h->buf_alloc;
	c->credit_req_sent = false;
}

int vsock_conn_accept(struct vsock_conn *c, const struct virtio_vsock_hdr *req,
		      struct vsock_out *out)
{
	vsock_out_clear(out);
	if (c->state != VSOCK_CLOSED)
		return -EINVAL;
	if (!vsock_is_mine(c, req)) {
		out->err = VSOCK_ERR_NOT_MINE;
		return -ENOENT;
	}
	if (req->type != VIRTIO_VSOCK_TYPE_STREAM || req->op != VIRTIO_VSOCK_OP_REQUEST ||
	    req->len != 0) {
		/* Not a stream connect: refuse it, mirroring its type. */
		if (vsock_reply_rst(req, &out->pkt) == 0)
			out->send = true;
		out->err = req->type != VIRTIO_VSOCK_TYPE_STREAM ? VSOCK_ERR_BAD_TYPE :
			   req->len != 0			 ? VSOCK_ERR_BAD_LEN :
								   VSOCK_ERR_BAD_OP;
		return -EIO;
	}
	c->local_shut = c->peer_shut = 0;
	c->err = VSOCK_ERR_NONE;
	vsock_first_credit(c, req);
	c->state = VSOCK_CONNECTED;
	vsock_emit(c, VIRTIO_VSOCK_OP_RESPONSE, 0, 0, out);
	out->events |= VSOCK_EV_CONNECTED;
	if (vsock_conn_tx_space(c))
		out->events |= VSOCK_EV_WRITABLE;
	return 0;
}

/* Received SHUTDOWN in an established or CLOSING state. */
static int vsock_recv_shutdown(struct vsock_conn *c, uint32_t flags,
			       struct vsock_out *out)
{
	uint32_t news = flags & VSOCK_SHUT_MASK & ~c->peer_shut;

	c->peer_shut |= flags & VSOCK_SHUT_MASK;
	if (news)
		out->events |= VSOCK_EV_PEER_SHUT;
	/* EOF is something a reader waits for. */
	if (news & VIRTIO_VSOCK_SHUTDOWN_SEND)
		out->events |= VSOCK_EV_READABLE;
	if (c->state == VSOCK_CLOSING || vsock_shut_state(c) == VSOCK_CLOSING) {
		/* Both directions finished by this packet (or a crossed close): ack. */
		vsock_emit(c, VIRTIO_VSOCK_OP_RST, 0, 0, out);
		vsock_close_now(c, VSOCK_ERR_NONE, out);
		return 0;
	}
	c->state = vsock_shut_state(c);
	return 0;
}

/* Received RW of len bytes in an established or CLOSING state. */
static int vsock_recv_rw(struct vsock_conn *c, uint32_t len, struct vsock_out *out)
{
	if (c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)
		return vsock_rst(c, VSOCK_ERR_AFTER_SHUT, out);
	/* buffered <= buf_alloc always holds, so the subtraction cannot wrap. */
	if (len > c->buf_alloc - vsock_conn_rx_pending(c))
		return vsock_rst(c, VSOCK_ERR_OVER_CREDIT, out);
	c->rx_cnt += len;
	if (vsock_peer_dir_done(c)) {
		/* We said RCV (or are closing): the data crossed that; drop it. */
		c->fwd_cnt += len;
		if (c->state != VSOCK_CLOSING && vsock_credit_due(c))
			vsock_emit(c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0, out);
		return 0;
	}
	out->rx_len = len;
	if (len)
		out->events |= VSOCK_EV_READABLE;
	return 0;
}

int vsock_conn_recv(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
		    struct vsock_out *out)
{
	uint16_t op = h->op;
	uint32_t len = h->len;

	vsock_out_clear(out);
	if (!vsock_is_mine(c, h)) {
		out->err = VSOCK_ERR_NOT_MINE;
		return -ENOENT;
	}
	if (c->state == VSOCK_CLOSED) {
		/* No connection: answer anything but an RST with an RST. */
		if (vsock_reply_rst(h, &out->pkt) == 0)
			out->send = true;
		out->err = VSOCK_ERR_BAD_STATE;
		return -EIO;
	}
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM) {
		/* Another socket type on the same ports: refuse it, keep the stream. */
		if (vsock_reply_rst(h, &out->pkt) == 0)
			out->send = true;
		out->err = VSOCK_ERR_BAD_TYPE;
		return -EIO;
	}
	if (op == VIRTIO_VSOCK_OP_RST) {
		/*
		 * Never answered, even when malformed (len != 0): an RST for an RST
		 * could ping-pong. In CLOSING it is the expected acknowledgement.
		 */
		if (c->state == VSOCK_CONNECTING) {
			out->events |= VSOCK_EV_REFUSED;
			vsock_close_now(c, VSOCK_ERR_REFUSED, out);
		} else if (c->state == VSOCK_CLOSING) {
			vsock_close_now(c, VSOCK_ERR_NONE, out);
		} else {
			out->events |= VSOCK_EV_RESET;
			vsock_close_now(c, VSOCK_ERR_PEER_RESET, out);
		}
		return 0;
	}
	if (op == VIRTIO_VSOCK_OP_INVALID || op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return vsock_rst(c, VSOCK_ERR_BAD_OP, out);
	if ((op != VIRTIO_VSOCK_OP_RW && len != 0) || len > VSOCK_MAX_PKT)
		return vsock_rst(c, VSOCK_ERR_BAD_LEN, out);

	if (c->state == VSOCK_CONNECTING) {
		if (op != VIRTIO_VSOCK_OP_RESPONSE)
			return vsock_rst(c, VSOCK_ERR_BAD_STATE, out);
		vsock_first_credit(c, h);
		c->state = VSOCK_CONNECTED;
		out->events |= VSOCK_EV_CONNECTED;
		if (vsock_conn_tx_space(c))
			out->events |= VSOCK_EV_WRITABLE;
		return 0;
	}

	/* Established or CLOSING from here on. */
	if (op == VIRTIO_VSOCK_OP_REQUEST || op == VIRTIO_VSOCK_OP_RESPONSE)
		return vsock_rst(c, VSOCK_ERR_BAD_STATE, out);
	if (!vsock_take_credit(c, h, out))
		return vsock_rst(c, VSOCK_ERR_BAD_CREDIT, out);

	switch (op) {
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		return vsock_recv_shutdown(c, h->flags, out);
	case VIRTIO_VSOCK_OP_RW:
		return vsock_recv_rw(c, len, out);
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		if (c->state != VSOCK_CLOSING)
			vsock_emit(c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0, out);
		return 0;
	default: /* CREDIT_UPDATE: the credit above was all of it */
		return 0;
	}
}

int vsock_conn_send(struct vsock_conn *c, uint32_t len, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (len == 0 || len > VSOCK_MAX_PKT)
		return -EINVAL;
	if (c->state != VSOCK_CONNECTED && c->state != VSOCK_PEER_SHUT)
		return -EINVAL;
	if (len > vsock_conn_tx_space(c)) {
		/* Ask once; the next header from the peer re-arms the request. */
		if (!c->credit_req_sent) {
			c->credit_req_sent = true;
			vsock_emit(c, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, 0, out);
		}
		return -EAGAIN;
	}
	vsock_emit(c, VIRTIO_VSOCK_OP_RW, 0, len, out);
	c->tx_cnt += len;
	return 0;
}

int vsock_conn_consumed(struct vsock_conn *c, uint32_t n, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (n > vsock_conn_rx_pending(c))
		return -EINVAL;
	c->fwd_cnt += n;
	if ((vsock_established(c) || c->state == VSOCK_CONNECTING) && vsock_credit_due(c))
		vsock_emit(c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0, out);
	return 0;
}

int vsock_conn_shutdown(struct vsock_conn *c, uint32_t how, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (how == 0 || (how & ~VSOCK_SHUT_MASK))
		return -EINVAL;
	if (!vsock_established(c))
		return -EINVAL;
	c->local_shut |= how;
	/* Flags are cumulative on the wire: resend the ones already given. */
	vsock_emit(c, VIRTIO_VSOCK_OP_SHUTDOWN, c->local_shut, 0, out);
	c->state = vsock_shut_state(c);
	return 0;
}

int vsock_conn_close(struct vsock_conn *c, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (c->state == VSOCK_CLOSED)
		return 0;
	if (vsock_established(c))
		return vsock_conn_shutdown(c, VSOCK_SHUT_MASK, out);
	/* CONNECTING, or CLOSING past the caller's timeout: force it. */
	vsock_emit(c, VIRTIO_VSOCK_OP_RST, 0, 0, out);
	vsock_close_now(c, VSOCK_ERR_LOCAL_RESET, out);
	return 0;
}

int vsock_conn_reset(struct vsock_conn *c, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (c->state == VSOCK_CLOSED)
		return 0;
	vsock_emit(c, VIRTIO_VSOCK_OP_RST, 0, 0, out);
	vsock_close_now(c, VSOCK_ERR_LOCAL_RESET, out);
	return 0;
}

void vsock_conn_transport_reset(struct vsock_conn *c, struct vsock_out *out)
{
	vsock_out_clear(out);
	if (c->state == VSOCK_CLOSED)
		return;
	out->events |= VSOCK_EV_RESET;
	vsock_close_now(c, VSOCK_ERR_TRANSPORT_RESET, out);
}

const char *vsock_state_name(enum vsock_state s)
{
	static const char *const names[VSOCK_NSTATES] = {
		[VSOCK_CLOSED] = "CLOSED",	 [VSOCK_CONNECTING] = "CONNECTING",
		[VSOCK_CONNECTED] = "CONNECTED", [VSOCK_LOCAL_SHUT] = "LOCAL_SHUT",
		[VSOCK_PEER_SHUT] = "PEER_SHUT", [VSOCK_CLOSING] = "CLOSING",
	};

	if ((unsigned)s >= VSOCK_NSTATES)
		return "?";
	return names[s];
}

const char *vsock_err_name(enum vsock_err e)
{
	static const char *const names[] = {
		[VSOCK_ERR_NONE] = "none",
		[VSOCK_ERR_NOT_MINE] = "not mine",
		[VSOCK_ERR_BAD_TYPE] = "bad type",
		[VSOCK_ERR_BAD_OP] = "bad op",
		[VSOCK_ERR_BAD_LEN] = "bad len",
		[VSOCK_ERR_BAD_STATE] = "bad state",
		[VSOCK_ERR_BAD_CREDIT] = "bad credit",
		[VSOCK_ERR_OVER_CREDIT] = "over credit",
		[VSOCK_ERR_AFTER_SHUT] = "data after shutdown",
		[VSOCK_ERR_REFUSED] = "refused",
		[VSOCK_ERR_PEER_RESET] = "peer reset",
		[VSOCK_ERR_LOCAL_RESET] = "local reset",
		[VSOCK_ERR_TRANSPORT_RESET] = "transport reset",
	};

	if ((unsigned)e >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[e];
}
