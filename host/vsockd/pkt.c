/* SPDX-License-Identifier: MIT */
/*
 * The device's packet path (virtio 1.2 section 5.10.6): the TX queue carries
 * driver -> device packets, the RX queue device -> driver packets, the event
 * queue TRANSPORT_RESET.
 *
 * TX. Each chain is one packet: the 44-byte header then len payload bytes, both
 * possibly split across segments in any way, so the header is gathered into a
 * local copy first and the payload is handed on as (segments, offset). A packet
 * for a known connection goes through its state machine; the payload it accepts
 * goes to the host socket. A REQUEST for no connection opens one to PATH_P.
 * Anything else for no connection is answered with RST (never an RST to an RST).
 * Malformed chains (short header, len that disagrees with the chain) are dropped
 * or reset the connection; a chain the walker refuses breaks the device.
 *
 * RX. The guest posts writable buffers; each gets exactly one packet: the header
 * at offset 0 and, for OP_RW, up to min(buffer - 44, VSOCK_MAX_PKT, guest credit)
 * payload bytes read straight from the host socket into guest memory. Who gets the
 * next buffer: first the orphan queue (headers of connections that are gone), then
 * the ready list round-robin (connections with a queued control header or data
 * the guest can take). A buffer popped for a connection that turns out to have
 * nothing (its socket said EAGAIN) is given back by stepping last_avail_idx back:
 * we consumed nothing from it and the guest cannot have reused it. A buffer with
 * no room behind the header carries an orphan or a queued control header, or,
 * when nobody has one, goes back used with length 0 (the guest drops and reposts
 * it, as it does for a buffer shorter than a header).
 *
 * Budget. One pass handles at most a ring's size of chains per queue and then
 * sets vd.more_work, so a guest that refills a ring as fast as we empty it
 * cannot keep the loop from vhost-user messages and host sockets.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host/vsockd/vsockd.h"

/* Copies between buf and the byte range [off, off + len) of the segments. */
size_t pkt_seg_copy(struct vring_seg *segs, uint32_t nseg, size_t off, void *buf,
		    size_t len, bool to_segs)
{
	size_t done = 0;

	for (uint32_t i = 0; i < nseg && done < len; i++) {
		size_t n;

		if (off >= segs[i].len) {
			off -= segs[i].len;
			continue;
		}
		n = segs[i].len - off;
		if (n > len - done)
			n = len - done;
		if (to_segs)
			memcpy(segs[i].addr + off, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, segs[i].addr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

static bool warned_short_tx, warned_short_rx, warned_hdr_rx, warned_cid;

/* One TX packet. */
static void tx_packet(struct vring_seg *segs, const struct vring_chain *ch)
{
	struct virtio_vsock_hdr h, rst;
	struct vsock_out o;
	struct vd_conn *c;

	if (ch->read_len < sizeof(h)) {
		if (!warned_short_tx)
			vd_warn("TX chain shorter than a packet header: dropped");
		warned_short_tx = true;
		return;
	}
	pkt_seg_copy(segs, ch->nread, 0, &h, sizeof(h), false);
	/* Packets must come from the guest's CID to the host (5.10.6.3.1). */
	if (h.src_cid != vd.cid || h.dst_cid != VIRTIO_VSOCK_HOST_CID) {
		if (!warned_cid)
			vd_warn("TX packet from CID %llu to CID %llu: dropped",
				(unsigned long long)h.src_cid,
				(unsigned long long)h.dst_cid);
		warned_cid = true;
		return;
	}
	c = conn_lookup(h.dst_port, h.src_port);
	if (h.len != ch->read_len - sizeof(h)) {
		/* The header lies about the chain: that connection cannot go on. */
		vd_log("TX packet len %u but chain carries %llu bytes", h.len,
		       (unsigned long long)(ch->read_len - sizeof(h)));
		if (c) {
			vsock_conn_reset(&c->vc, &o);
			conn_apply(c, &o);
		} else if (vsock_reply_rst(&h, &rst) == 0) {
			orphan_push(&rst);
		}
		return;
	}
	if (!c) {
		if (h.op == VIRTIO_VSOCK_OP_REQUEST &&
		    h.type == VIRTIO_VSOCK_TYPE_STREAM && h.len == 0)
			listen_guest_request(&h);
		else if (vsock_reply_rst(&h, &rst) == 0)
			orphan_push(&rst);
		return;
	}
	if (vsock_conn_recv(&c->vc, &h, &o) < 0 && o.err == VSOCK_ERR_BAD_TYPE) {
		/*
		 * Another socket type on the stream's ports: the stream goes on and
		 * the RST is not its business, so it must not fill c's queue.
		 */
		if (o.send)
			orphan_push(&o.pkt);
		return;
	}
	/* Payload first: the host sees it before any close the packet causes. */
	if (o.rx_len && !conn_deliver(c, segs, ch->nread, sizeof(h), o.rx_len))
		return; /* the host write failed: c was reset and freed */
	conn_apply(c, &o);
}

void pkt_tx_process(void)
{
	struct vd_vq *q = &vd.q[VIRTIO_VSOCK_VQ_TX];
	struct vring_seg segs[VD_MAX_SEGS];
	struct vring_chain ch;
	uint32_t budget;
	int rc = 0;

	if (!vhost_vq_running(VIRTIO_VSOCK_VQ_TX))
		return;
	for (budget = q->vr.num; budget; budget--) {
		rc = vring_pop(&q->vr, &vd.mem, segs, VD_MAX_SEGS, &ch);
		if (rc < 0)
			break;
		tx_packet(segs, &ch);
		if (vd.broken)
			return;
		if (vring_push_used(&q->vr, ch.head, 0) < 0)
			break;
		q->need_call = true;
	}
	if (!budget)
		vd.more_work = true;
	if (rc == -EIO || q->vr.broken)
		vhost_break(q->vr.err);
}

/* Writes header h at the start of the writable segments; refreshes its credit. */
static void rx_put_hdr(struct vring_seg *w, uint32_t nw, struct virtio_vsock_hdr *h)
{
	pkt_seg_copy(w, nw, 0, h, sizeof(*h), true);
}

/* A queued control header of c: the credit fields are refreshed at send time. */
static uint32_t rx_ctrl(struct vd_conn *c, struct vring_seg *w, uint32_t nw)
{
	struct virtio_vsock_hdr h = c->ctrl[0];

	/* Any header carries credit; announce the newest (coalescing updates). */
	h.buf_alloc = c->vc.buf_alloc;
	h.fwd_cnt = c->vc.fwd_cnt;
	c->vc.last_fwd_cnt = c->vc.fwd_cnt;
	memmove(&c->ctrl[0], &c->ctrl[1], (c->nctrl - 1) * sizeof(c->ctrl[0]));
	c->nctrl--;
	rx_put_hdr(w, nw, &h);
	conn_ready_rotate(c);
	return sizeof(h);
}

/*
 * Reads host bytes for c into the buffer behind the header. Returns the bytes put
 * in the buffer (header included), 0 if c had nothing (it left the ready list or
 * was freed).
 */
static uint32_t rx_data(struct vd_conn *c, struct vring_seg *w, uint32_t nw,
			uint64_t space)
{
	struct iovec iov[VD_MAX_SEGS];
	struct vsock_out o;
	uint32_t want = vsock_conn_tx_space(&c->vc), niov = 0;
	size_t off = sizeof(struct virtio_vsock_hdr);
	ssize_t n;

	if (want == 0) {
		/* Out of guest credit: ask once, wait for WRITABLE. */
		c->credit_blocked = true;
		if (vsock_conn_send(&c->vc, 1, &o) == -EAGAIN && o.send)
			conn_apply(c, &o);
		else
			conn_update_ready(c);
		return 0;
	}
	if (want > VSOCK_MAX_PKT)
		want = VSOCK_MAX_PKT;
	if (want > space - sizeof(struct virtio_vsock_hdr))
		want = (uint32_t)(space - sizeof(struct virtio_vsock_hdr));
	niov = (uint32_t)vd_segs_iov(w, nw, off, want, iov);
	n = readv(c->ev.fd, iov, (int)niov);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->readable = false;
		conn_update_ready(c);
		return 0;
	}
	if (n < 0) {
		vd_log("conn %u<-%u: host read: %s", c->vc.local_port, c->vc.peer_port,
		       strerror(errno));
		vsock_conn_reset(&c->vc, &o);
		conn_apply(c, &o);
		return 0;
	}
	if (n == 0) {
		/* Host EOF: the guest hears SHUTDOWN(SEND) (5.10.6.5). */
		c->host_eof = true;
		c->readable = false;
		if (vsock_conn_shutdown(&c->vc, VIRTIO_VSOCK_SHUTDOWN_SEND, &o) == 0)
			conn_apply(c, &o);
		else
			conn_update_ready(c);
		return 0;
	}
	if (vsock_conn_send(&c->vc, (uint32_t)n, &o) < 0 || !o.send) {
		/* Cannot happen: n is within the credit checked above. */
		vd_warn("conn %u<-%u: send refused", c->vc.local_port, c->vc.peer_port);
		vsock_conn_reset(&c->vc, &o);
		conn_apply(c, &o);
		return 0;
	}
	rx_put_hdr(w, nw, &o.pkt);
	conn_ready_rotate(c);
	return sizeof(struct virtio_vsock_hdr) + (uint32_t)n;
}

/* Fills a buffer with room for a header only: an orphan or any queued header. */
static uint32_t rx_hdr_only(struct vring_seg *w, uint32_t nw)
{
	struct virtio_vsock_hdr h;

	if (orphan_pop(&h)) {
		rx_put_hdr(w, nw, &h);
		return sizeof(h);
	}
	for (struct vd_conn *c = vd.ready.head; c; c = c->rnext)
		if (c->nctrl)
			return rx_ctrl(c, w, nw);
	return 0;
}

/* Fills one RX buffer for c; 0 if c had nothing after all. */
static uint32_t rx_conn(struct vd_conn *c, struct vring_seg *w, uint32_t nw,
			uint64_t space)
{
	if (c->nctrl)
		return rx_ctrl(c, w, nw);
	if (c->readable && !c->credit_blocked && conn_can_send(c))
		return rx_data(c, w, nw, space);
	conn_update_ready(c);
	return 0;
}

void pkt_rx_fill(void)
{
	struct vd_vq *q = &vd.q[VIRTIO_VSOCK_VQ_RX];
	struct vring_seg segs[VD_MAX_SEGS];
	struct vring_chain ch;
	uint32_t budget = q->vr.num;
	int rc = 0;

	if (!vhost_vq_running(VIRTIO_VSOCK_VQ_RX))
		return;
	while (vd.ocount || vd.ready.head) {
		struct vring_seg *w;
		uint32_t nw, n = 0;
		struct virtio_vsock_hdr h;

		if (!budget--) {
			vd.more_work = true;
			break;
		}
		rc = vring_pop(&q->vr, &vd.mem, segs, VD_MAX_SEGS, &ch);
		if (rc < 0)
			break;
		/* Readable segments have no business on the RX queue: skip them. */
		w = segs + ch.nread;
		nw = ch.nseg - ch.nread;
		if (ch.write_len < sizeof(h)) {
			if (!warned_short_rx)
				vd_warn("RX buffer shorter than a packet header: skipped");
			warned_short_rx = true;
			if (vring_push_used(&q->vr, ch.head, 0) < 0)
				break;
			q->need_call = true;
			continue;
		}
		if (ch.write_len == sizeof(h)) {
			/* No room for payload: never read the host into it. */
			n = rx_hdr_only(w, nw);
			if (n == 0 && !warned_hdr_rx)
				vd_warn("RX buffer with no room for payload: skipped");
			warned_hdr_rx = true;
			if (vring_push_used(&q->vr, ch.head, n) < 0)
				break;
			q->need_call = true;
			continue;
		}
		while (n == 0 && (vd.ocount || vd.ready.head)) {
			if (orphan_pop(&h)) {
				rx_put_hdr(w, nw, &h);
				n = sizeof(h);
			} else {
				n = rx_conn(vd.ready.head, w, nw, ch.write_len);
			}
		}
		if (n == 0) {
			/* Nothing to say after all: give the buffer back unused. */
			q->vr.last_avail_idx--;
			break;
		}
		if (vring_push_used(&q->vr, ch.head, n) < 0)
			break;
		q->need_call = true;
	}
	if (rc == -EIO || q->vr.broken)
		vhost_break(q->vr.err);
}

/* TRANSPORT_RESET after the device was stopped with connections (5.10.6.6). */
void pkt_event_reset(void)
{
	struct vd_vq *q = &vd.q[VIRTIO_VSOCK_VQ_EVENT];
	struct vring_seg segs[VD_MAX_SEGS];
	struct vring_chain ch;
	struct virtio_vsock_event ev = { .id = VIRTIO_VSOCK_EVENT_TRANSPORT_RESET };
	int rc;

	if (!vd.event_reset_pending || !vhost_vq_running(VIRTIO_VSOCK_VQ_EVENT))
		return;
	rc = vring_pop(&q->vr, &vd.mem, segs, VD_MAX_SEGS, &ch);
	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		vhost_break(q->vr.err);
		return;
	}
	vd.event_reset_pending = false;
	if (ch.write_len < sizeof(ev)) {
		vring_push_used(&q->vr, ch.head, 0);
	} else {
		pkt_seg_copy(segs + ch.nread, ch.nseg - ch.nread, 0, &ev, sizeof(ev),
			     true);
		vring_push_used(&q->vr, ch.head, sizeof(ev));
		vd_log("TRANSPORT_RESET sent");
	}
	q->need_call = true;
}
