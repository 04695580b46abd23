/* SPDX-License-Identifier: MIT */
/*
 * The connection table and the host-socket side of each connection.
 *
 * A connection is keyed by (local port, peer port): local is the host side (CID
 * 2), peer the guest. The hash table gives O(1) lookup for TX packets; intrusive
 * lists order the rest: `ready` (wants an RX buffer: a queued control header, or
 * host data the guest has credit for), `deadlines` (connect, CONNECT line and close
 * timeouts; all are VD_TIMEOUT_MS long, so appending keeps the list sorted),
 * `drains` (the same for the one, longer, DRAIN timeout), and `all`.
 *
 * Freeing. conn_free() closes the socket and unlinks the connection from every
 * list at once, but the memory goes to `zombies` and is only free()d by
 * conn_reap() after the epoll batch: later events of the same epoll_wait() still
 * point at it (a vhost-user message may drop every connection), and callers up
 * the stack may still look at it. Events of a dead connection are ignored.
 *
 * Flow control, guest -> host. We offer the guest VD_BUF_ALLOC bytes of credit.
 * Its payload is written straight from guest memory to the host socket; what the
 * socket does not take is copied to the connection's ring buffer (allocated on
 * demand, VD_BUF_ALLOC bytes: the guest can never have more in flight, vsock_conn
 * enforces it) and written on EPOLLOUT. Bytes count as consumed - and return
 * credit through vsock_conn_consumed() - only once the host socket took them, so a
 * slow host reader stops the guest instead of growing our memory.
 *
 * Host -> guest. Host sockets are registered edge-triggered; an EPOLLIN edge only
 * sets `readable`, and we read (directly into an RX buffer) only while the guest
 * has credit and has posted buffers. Without credit or buffers nothing is read, the
 * socket's kernel buffer fills and the host writer blocks: the same effect as
 * removing EPOLLIN interest, without an epoll_ctl per change.
 *
 * Control headers for the guest wait in a per-connection queue of VD_CTRL_MAX.
 * It cannot overflow: vsock_conn produces at most one REQUEST or RESPONSE, one
 * CREDIT_REQUEST until the guest answers, SHUTDOWNs (a queued one is updated in
 * place: flags are cumulative), one RST; and a CREDIT_UPDATE is only queued when
 * nothing else is, because every header carries fresh credit when it is sent.
 * When a connection closes, its queued headers move to the orphan queue. RSTs that
 * answer another socket type on a stream's ports do not belong to the stream and go
 * to the orphan queue too (see pkt.c), so a guest cannot grow this queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host/vsockd/vsockd.h"

static uint32_t hash_key(uint32_t local_port, uint32_t peer_port)
{
	uint64_t k = (uint64_t)local_port << 32 | peer_port;

	k *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 52) & (VD_HASH_SIZE - 1);
}

/* ---- intrusive lists ---- */
#define LIST_ADD(l, c, prev, next)             \
	do {                                   \
		(c)->prev = (l)->tail;         \
		(c)->next = NULL;              \
		if ((l)->tail)                 \
			(l)->tail->next = (c); \
		else                           \
			(l)->head = (c);       \
		(l)->tail = (c);               \
	} while (0)
#define LIST_DEL(l, c, prev, next)                   \
	do {                                         \
		if ((c)->prev)                       \
			(c)->prev->next = (c)->next; \
		else                                 \
			(l)->head = (c)->next;       \
		if ((c)->next)                       \
			(c)->next->prev = (c)->prev; \
		else                                 \
			(l)->tail = (c)->prev;       \
		(c)->prev = (c)->next = NULL;        \
	} while (0)

struct vd_conn *conn_lookup(uint32_t local_port, uint32_t peer_port)
{
	struct vd_conn *c = vd.hash[hash_key(local_port, peer_port)];

	while (c && (c->vc.local_port != local_port || c->vc.peer_port != peer_port))
		c = c->hnext;
	return c;
}

void conn_hash_add(struct vd_conn *c)
{
	uint32_t k = hash_key(c->vc.local_port, c->vc.peer_port);

	c->hnext = vd.hash[k];
	vd.hash[k] = c;
	c->in_hash = true;
}

static void conn_hash_del(struct vd_conn *c)
{
	struct vd_conn **pp = &vd.hash[hash_key(c->vc.local_port, c->vc.peer_port)];

	if (!c->in_hash)
		return;
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	c->in_hash = false;
}

struct vd_conn *conn_new(int fd, enum vd_phase phase)
{
	struct vd_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		vd_warn("out of memory for a connection");
		close(fd);
		return NULL;
	}
	c->ev.kind = VD_EV_CONN;
	c->ev.fd = fd;
	c->phase = phase;
	if (vd_epoll_add(&c->ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
		vd_warn("epoll: %s", strerror(errno));
		close(fd);
		free(c);
		return NULL;
	}
	LIST_ADD(&vd.all, c, aprev, anext);
	vd.nconns++;
	return c;
}

void conn_free(struct vd_conn *c)
{
	if (c->dead)
		return;
	vd_log("conn %u<->%u closed (%s)", c->vc.local_port, c->vc.peer_port,
	       vsock_err_name(c->vc.err));
	conn_hash_del(c);
	if (c->on_ready)
		LIST_DEL(&vd.ready, c, rprev, rnext);
	c->on_ready = false;
	conn_deadline_clear(c);
	LIST_DEL(&vd.all, c, aprev, anext);
	vd.nconns--;
	close(c->ev.fd); /* also leaves the epoll set */
	c->ev.fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->blen = 0;
	c->nctrl = 0;
	c->dead = true;
	LIST_ADD(&vd.zombies, c, aprev, anext);
}

/* Frees the connections conn_free() released; only between epoll batches. */
void conn_reap(void)
{
	while (vd.zombies.head) {
		struct vd_conn *c = vd.zombies.head;

		LIST_DEL(&vd.zombies, c, aprev, anext);
		free(c);
	}
}

void conn_ready_rotate(struct vd_conn *c)
{
	/* Round-robin: whoever was served goes to the back. */
	if (c->on_ready && vd.ready.tail != c) {
		LIST_DEL(&vd.ready, c, rprev, rnext);
		LIST_ADD(&vd.ready, c, rprev, rnext);
	}
	conn_update_ready(c);
}

bool conn_can_send(const struct vd_conn *c)
{
	return (c->vc.state == VSOCK_CONNECTED || c->vc.state == VSOCK_PEER_SHUT) &&
	       !c->host_eof;
}

void conn_update_ready(struct vd_conn *c)
{
	bool want = c->phase == VD_PH_VSOCK &&
		    (c->nctrl || (c->readable && !c->credit_blocked && conn_can_send(c)));

	if (want && !c->on_ready)
		LIST_ADD(&vd.ready, c, rprev, rnext);
	else if (!want && c->on_ready)
		LIST_DEL(&vd.ready, c, rprev, rnext);
	c->on_ready = want;
}

void conn_deadline_clear(struct vd_conn *c)
{
	if (c->on_deadline)
		LIST_DEL(c->dlist, c, dprev, dnext);
	c->on_deadline = false;
	c->dlist = NULL;
}

/* Every deadline on list l is ms long: appending keeps l sorted. */
static void deadline_add(struct vd_conn *c, struct vd_list *l, uint32_t ms)
{
	conn_deadline_clear(c);
	c->deadline = vd_now_ms() + ms;
	LIST_ADD(l, c, dprev, dnext);
	c->dlist = l;
	c->on_deadline = true;
}

void conn_deadline_set(struct vd_conn *c)
{
	deadline_add(c, &vd.deadlines, VD_TIMEOUT_MS);
}

void orphan_push(const struct virtio_vsock_hdr *h)
{
	if (vd.ocount == VD_ORPHAN_MAX) {
		if (vd.orphans_dropped++ == 0)
			vd_warn("too many packets waiting for RX buffers: dropping RSTs");
		return;
	}
	vd.orphan[(vd.ohead + vd.ocount) % VD_ORPHAN_MAX] = *h;
	vd.ocount++;
}

bool orphan_pop(struct virtio_vsock_hdr *h)
{
	if (!vd.ocount)
		return false;
	*h = vd.orphan[vd.ohead];
	vd.ohead = (vd.ohead + 1) % VD_ORPHAN_MAX;
	vd.ocount--;
	return true;
}

void conn_ctrl_push(struct vd_conn *c, const struct virtio_vsock_hdr *h)
{
	if (h->op == VIRTIO_VSOCK_OP_CREDIT_UPDATE && c->nctrl)
		return; /* the queued header will carry the credit */
	if (h->op == VIRTIO_VSOCK_OP_SHUTDOWN) {
		for (uint32_t i = 0; i < c->nctrl; i++) {
			if (c->ctrl[i].op == VIRTIO_VSOCK_OP_SHUTDOWN) {
				c->ctrl[i].flags = h->flags;
				return;
			}
		}
	}
	if (c->nctrl == VD_CTRL_MAX) {
		static bool warned;

		/* Cannot happen (see the primer); an RST still ends things. */
		if (!warned)
			vd_warn("conn %u<->%u: control queue full", c->vc.local_port,
				c->vc.peer_port);
		warned = true;
		c->nctrl--;
	}
	c->ctrl[c->nctrl++] = *h;
}

/* The vsock connection is CLOSED: release it, or drain it first. */
static void conn_closed(struct vd_conn *c)
{
	for (uint32_t i = 0; i < c->nctrl; i++)
		orphan_push(&c->ctrl[i]);
	c->nctrl = 0;
	conn_hash_del(c);
	conn_deadline_clear(c);
	if (c->vc.err == VSOCK_ERR_NONE && c->blen && !c->shut_wr_done) {
		/*
		 * A clean end with bytes still owed to the host: write them first,
		 * but a reader that never reads does not keep the fd and buffer.
		 */
		c->phase = VD_PH_DRAIN;
		c->shut_wr_pending = true;
		deadline_add(c, &vd.drains, vd.drain_ms);
		conn_update_ready(c);
		return;
	}
	conn_free(c);
}

/* Writes the ring buffer to the host socket; false if the connection is gone. */
static bool conn_flush(struct vd_conn *c)
{
	struct vsock_out o;

	while (c->blen) {
		struct iovec iov[2];
		uint32_t first = VD_BUF_ALLOC - c->bhead;
		int niov = 1;
		ssize_t n;

		iov[0].iov_base = c->buf + c->bhead;
		iov[0].iov_len = first < c->blen ? first : c->blen;
		if (first < c->blen) {
			iov[1].iov_base = c->buf;
			iov[1].iov_len = c->blen - first;
			niov = 2;
		}
		n = writev(c->ev.fd, iov, niov);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n < 0) {
			vd_log("conn %u<->%u: host write: %s", c->vc.local_port,
			       c->vc.peer_port, strerror(errno));
			if (c->phase == VD_PH_DRAIN) {
				conn_free(c);
				return false;
			}
			vsock_conn_reset(&c->vc, &o);
			conn_apply(c, &o);
			return false;
		}
		c->bhead = (c->bhead + (uint32_t)n) % VD_BUF_ALLOC;
		c->blen -= (uint32_t)n;
		if (c->phase == VD_PH_VSOCK &&
		    vsock_conn_consumed(&c->vc, (uint32_t)n, &o) == 0)
			conn_apply(c, &o);
	}
	free(c->buf);
	c->buf = NULL;
	c->bhead = 0;
	if (c->shut_wr_pending && !c->shut_wr_done) {
		/* The guest's SHUTDOWN(SEND) reaches the host after its data. */
		shutdown(c->ev.fd, SHUT_WR);
		c->shut_wr_done = true;
	}
	if (c->phase == VD_PH_DRAIN) {
		conn_free(c);
		return false;
	}
	return true;
}

int vd_segs_iov(const struct vring_seg *segs, uint32_t nseg, size_t off, size_t len,
		struct iovec *iov)
{
	int niov = 0;

	for (uint32_t i = 0; i < nseg && len; i++) {
		size_t l;

		if (off >= segs[i].len) {
			off -= segs[i].len;
			continue;
		}
		l = segs[i].len - off < len ? segs[i].len - off : len;
		iov[niov].iov_base = segs[i].addr + off;
		iov[niov++].iov_len = l;
		len -= l;
		off = 0;
	}
	return niov;
}

/*
 * Writes len payload bytes at off in the segments to c's host socket, buffering
 * what it does not take. False if that failed and c is gone (freed).
 */
bool conn_deliver(struct vd_conn *c, struct vring_seg *segs, uint32_t nseg, size_t off,
		  uint32_t len)
{
	struct vsock_out o;
	struct iovec iov[VD_MAX_SEGS];
	ssize_t n = 0;

	if (c->blen == 0) {
		n = writev(c->ev.fd, iov, vd_segs_iov(segs, nseg, off, len, iov));
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			vd_log("conn %u<->%u: host write: %s", c->vc.local_port,
			       c->vc.peer_port, strerror(errno));
			vsock_conn_reset(&c->vc, &o);
			conn_apply(c, &o);
			return false;
		}
		if (n < 0)
			n = 0;
	}
	if ((uint32_t)n < len) {
		uint32_t rest = len - (uint32_t)n, tail;

		if (!c->buf && !(c->buf = malloc(VD_BUF_ALLOC))) {
			vd_warn("out of memory for a connection buffer");
			vsock_conn_reset(&c->vc, &o);
			conn_apply(c, &o);
			return false;
		}
		/* vsock_conn keeps buffered + new <= VD_BUF_ALLOC; check anyway. */
		if (rest > VD_BUF_ALLOC - c->blen) {
			vsock_conn_reset(&c->vc, &o);
			conn_apply(c, &o);
			return false;
		}
		tail = (c->bhead + c->blen) % VD_BUF_ALLOC;
		for (uint32_t done = 0; done < rest;) {
			uint32_t chunk = VD_BUF_ALLOC - tail < rest - done ?
						 VD_BUF_ALLOC - tail :
						 rest - done;

			pkt_seg_copy(segs, nseg, off + (size_t)n + done, c->buf + tail,
				     chunk, false);
			done += chunk;
			tail = (tail + chunk) % VD_BUF_ALLOC;
		}
		c->blen += rest;
	}
	/* A credit update never closes the connection. */
	if (n > 0 && vsock_conn_consumed(&c->vc, (uint32_t)n, &o) == 0)
		conn_apply(c, &o);
	return true;
}

void conn_apply(struct vd_conn *c, const struct vsock_out *o)
{
	if (o->send)
		conn_ctrl_push(c, &o->pkt);
	if (o->events & VSOCK_EV_CONNECTED) {
		conn_deadline_clear(c);
		vd_log("conn %u<->%u connected", c->vc.local_port, c->vc.peer_port);
		if (c->hybrid) {
			char line[VSOCK_HYBRID_OK_MAX];
			size_t n = vsock_hybrid_format_ok(c->vc.local_port, line,
							  sizeof(line));
			struct vsock_out r;

			/* A fresh socket's buffer always takes these few bytes. */
			if (send(c->ev.fd, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
				vsock_conn_reset(&c->vc, &r);
				conn_apply(c, &r);
				return;
			}
		}
	}
	if (o->events & VSOCK_EV_WRITABLE)
		c->credit_blocked = false;
	if (o->events & VSOCK_EV_CLOSED) {
		conn_closed(c);
		return;
	}
	if ((o->events & VSOCK_EV_PEER_SHUT) &&
	    (c->vc.peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)) {
		c->shut_wr_pending = true;
		if (!conn_flush(c))
			return;
	}
	/* CLOSING waits for the guest's RST, but not forever. */
	if (c->vc.state == VSOCK_CLOSING && !c->on_deadline)
		conn_deadline_set(c);
	conn_update_ready(c);
}

void conn_host_event(struct vd_conn *c, uint32_t events)
{
	if (c->phase == VD_PH_LINE) {
		listen_line(c);
		return;
	}
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
		if (!conn_flush(c))
			return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
		c->readable = true;
		conn_update_ready(c);
	}
}

void conn_drop_all(void)
{
	while (vd.all.head)
		conn_free(vd.all.head);
	vd.ohead = vd.ocount = 0;
}

void conn_timeouts(uint64_t now)
{
	struct vsock_out o;

	while (vd.drains.head && vd.drains.head->deadline <= now) {
		struct vd_conn *c = vd.drains.head;

		vd_log("conn %u<->%u: host did not read %u owed bytes in time",
		       c->vc.local_port, c->vc.peer_port, c->blen);
		conn_free(c);
	}

	while (vd.deadlines.head && vd.deadlines.head->deadline <= now) {
		struct vd_conn *c = vd.deadlines.head;

		conn_deadline_clear(c);
		if (c->phase == VD_PH_LINE) {
			vd_log("hybrid client sent no CONNECT line in time");
			conn_free(c);
			continue;
		}
		/* CONNECTING: no RESPONSE; CLOSING: no RST. Both end with an RST. */
		vd_log("conn %u<->%u: timeout in %s", c->vc.local_port, c->vc.peer_port,
		       vsock_state_name(c->vc.state));
		vsock_conn_close(&c->vc, &o);
		conn_apply(c, &o);
	}
}

/* ms until the earliest connection deadline, -1 if none. */
int conn_next_timeout(uint64_t now)
{
	uint64_t t = UINT64_MAX;

	if (vd.deadlines.head)
		t = vd.deadlines.head->deadline;
	if (vd.drains.head && vd.drains.head->deadline < t)
		t = vd.drains.head->deadline;
	if (t == UINT64_MAX)
		return -1;
	return t <= now ? 0 : (int)(t - now);
}
