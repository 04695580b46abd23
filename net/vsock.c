/* SPDX-License-Identifier: MIT */
/*
 * The stream sockets of toro.h over the virtio-vsock driver. The sk_* functions
 * work on the driver's own socket numbers (slot and generation, vsock_get); the
 * toro_* calls at the end give each socket a descriptor of the shared space of
 * kernel/fd.h, so files and sockets have one numbering, and translate.
 *
 * See drivers/virtio/vsock.c for who does what: these calls run on the caller's
 * CPU under the driver's lock, queue packets and poke the service thread, and
 * sleep on the socket's waiter list.
 */
#include "drivers/virtio/vsock.h"
#include "kernel/fd.h"
#include "kernel/trace.h"
#include "lib/kstring.h"
#include "toro/errno.h"
#include "toro/toro.h"

static int sk_listen(uint32_t port, int backlog)
{
	struct vs_sock *s;
	int r = vsock_start();

	if (r)
		return r;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->kind = VS_LISTEN;
	s->port = port;
	s->backlog = backlog <= 0	      ? 128 :
		     backlog > VS_BACKLOG_MAX ? VS_BACKLOG_MAX :
						backlog;
	bool on = vsock_lock();

	r = vsock_listener(port) ? -EADDRINUSE : vsock_fd_alloc(s);
	vsock_unlock(on);
	if (r < 0)
		free(s);
	return r;
}

static int sk_accept(int fd, uint64_t *cid, uint32_t *port, int64_t timeout_ns)
{
	uint64_t deadline = vsock_deadline(timeout_ns);
	bool on = vsock_lock();
	struct vs_sock *l = vsock_get(fd), *s;
	int r;

	for (;;) {
		if (!l || vsock_get(fd) != l) {
			r = -EBADF;
			break;
		}
		if (l->kind != VS_LISTEN) {
			r = -EINVAL;
			break;
		}
		if ((s = l->acc_head)) {
			if ((r = vsock_fd_alloc(s)) < 0)
				break; /* it stays queued: the next accept may take it */
			l->acc_head = s->qnext;
			if (!l->acc_head)
				l->acc_tail = NULL;
			l->nqueued--;
			s->qnext = NULL;
			s->queued = false;
			if (cid)
				*cid = s->c.peer_cid;
			if (port)
				*port = s->c.peer_port;
			break;
		}
		if (vsock_dev.dev->broken) {
			r = -EIO;
			break;
		}
		if ((r = vsock_wait(&l->waiters, NULL, timeout_ns, deadline))) {
			if (vsock_get(fd) == l && l->acc_head)
				continue; /* it came with the deadline */
			break;
		}
	}
	vsock_unlock(on);
	return r;
}

/* A local port no connection to cid:port and no listener uses. Lock held. */
static int vs_pick_port(uint64_t cid, uint32_t port)
{
	for (uint32_t k = 0; k < 65536 - VS_PORT_FIRST; k++) {
		uint32_t p = vsock_dev.next_port++;

		if (vsock_dev.next_port > 65535)
			vsock_dev.next_port = VS_PORT_FIRST;
		if (!vsock_lookup(p, cid, port) && !vsock_listener(p))
			return (int)p;
	}
	return -EADDRINUSE;
}

static int sk_connect(uint64_t cid, uint32_t port, int64_t timeout_ns)
{
	uint64_t deadline = vsock_deadline(timeout_ns);
	struct vsock_out o;
	struct vs_sock *s;
	int r = timeout_ns == 0 ? -EINVAL : vsock_start(), fd;

	if (r)
		return r; /* a connection cannot be made without waiting */
	bool on = vsock_lock();

	if ((r = vs_pick_port(cid, port)) < 0 ||
	    !(s = vsock_stream_new((uint32_t)r, cid, port))) {
		vsock_unlock(on);
		return r < 0 ? r : -ENOMEM;
	}
	if ((fd = vsock_fd_alloc(s)) < 0) {
		vsock_free(s);
		vsock_unlock(on);
		return fd;
	}
	vsock_conn_connect(&s->c, &o);
	vsock_emit(&o);
	vsock_hash_add(s);
	while (s->c.state == VSOCK_CONNECTING) {
		r = vsock_wait(&s->waiters, NULL, timeout_ns, deadline);
		if (vsock_get(fd) != s) {
			/* Closed under us (by another thread): toro_close freed it. */
			vsock_unlock(on);
			return -EBADF;
		}
		if (r && s->c.state == VSOCK_CONNECTING) {
			vsock_conn_reset(&s->c, &o);
			vsock_emit(&o);
			s->err = -ETIMEDOUT;
		}
	}
	if (s->c.state == VSOCK_CLOSED) {
		r = s->err ? s->err : -ECONNRESET;
		vsock_dev.fds[vsock_slot(fd)] = NULL;
		vsock_wake(&s->waiters); /* a poller sees POLLNVAL */
		vsock_free(s);
	} else {
		r = fd;
	}
	vsock_unlock(on);
	return r;
}

/* The stream socket fd, or NULL with *r set. Lock held. */
static struct vs_sock *vs_stream(int fd, long *r)
{
	struct vs_sock *s = vsock_get(fd);

	if (!s)
		*r = -EBADF;
	else if (s->kind != VS_STREAM)
		*r = -ENOTCONN;
	return s && s->kind == VS_STREAM ? s : NULL;
}

static bool vs_can_send(const struct vs_sock *s)
{
	return s->c.state == VSOCK_CONNECTED || s->c.state == VSOCK_PEER_SHUT;
}

static long sk_send(int fd, const void *buf, size_t len, int64_t timeout_ns)
{
	uint64_t deadline = vsock_deadline(timeout_ns);
	const uint8_t *p = buf;
	size_t sent = 0;
	long r = 0;
	bool on = vsock_lock();
	struct vs_sock *s = vs_stream(fd, &r);

	while (s && sent < len) {
		struct vsock_out o;
		struct vs_pkt *pkt;
		uint32_t n, budget;

		if (vsock_get(fd) != s) {
			r = -EBADF;
			break;
		}
		n = vsock_conn_tx_space(&s->c);
		budget = vsock_dev.tx_bytes < VS_TX_BUDGET ?
				 VS_TX_BUDGET - vsock_dev.tx_bytes :
				 0;
		if (!vs_can_send(s)) {
			r = s->err ? s->err : -EPIPE;
			break;
		}
		if (n == 0) {
			/* No credit: ask for news (5.10.6.3), once until some comes. */
			if (vsock_conn_send(&s->c, 1, &o) == -EAGAIN)
				vsock_emit(&o);
		}
		n = n < len - sent ? n : (uint32_t)(len - sent);
		n = n < VS_TX_MAX ? n : VS_TX_MAX;
		n = n < budget ? n : budget;
		if (n == 0) {
			/* Credit comes with the socket's wake, budget with the queue's. */
			if ((r = vsock_wait(&s->waiters, &vsock_dev.tx_waiters,
					    timeout_ns, deadline)))
				break;
			continue;
		}
		/* Copy outside the lock: other CPUs and the service thread go on. */
		vsock_unlock(on);
		pkt = malloc(sizeof(*pkt) + n);
		if (pkt)
			memcpy(pkt->data, p + sent, n);
		on = vsock_lock();
		if (!pkt) {
			r = -ENOMEM;
			break;
		}
		/* Credit only grows meanwhile, unless the socket changed: look again. */
		if (vsock_get(fd) != s || !vs_can_send(s) ||
		    vsock_conn_tx_space(&s->c) < n) {
			free(pkt);
			continue;
		}
		vsock_conn_send(&s->c, n, &o);
		pkt->len = n;
		vsock_push(pkt, &o.pkt);
		sent += n;
	}
	vsock_unlock(on);
	return sent ? (long)sent : r;
}

/* Whether a reader would get something now (data, end, error). Lock held. */
static bool vs_readable(const struct vs_sock *s)
{
	return s->rx_tail != s->rx_head || s->err ||
	       (s->c.peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
	       (s->c.local_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) ||
	       s->c.state == VSOCK_CLOSED;
}

static long sk_recv(int fd, void *buf, size_t size, int64_t timeout_ns)
{
	uint64_t deadline = vsock_deadline(timeout_ns);
	long r = 0;
	bool on = vsock_lock();
	struct vs_sock *s = vs_stream(fd, &r);

	while (s) {
		uint32_t n = s->rx_tail - s->rx_head;

		if (n) {
			struct vsock_out o;
			uint32_t at = s->rx_head % VS_BUF_ALLOC, first;

			if (n > size)
				n = (uint32_t)size;
			first = VS_BUF_ALLOC - at < n ? VS_BUF_ALLOC - at : n;
			memcpy(buf, s->rx + at, first);
			memcpy((uint8_t *)buf + first, s->rx, n - first);
			s->rx_head += n;
			if (vsock_conn_consumed(&s->c, n, &o) == 0)
				vsock_emit(&o);
			r = n;
			break;
		}
		if (size == 0 || vs_readable(s)) {
			r = s->err ? s->err : 0; /* end of stream */
			break;
		}
		if ((r = vsock_wait(&s->waiters, NULL, timeout_ns, deadline))) {
			if (vsock_get(fd) == s && vs_readable(s))
				continue;
			break;
		}
		if (vsock_get(fd) != s) {
			r = -EBADF;
			break;
		}
	}
	vsock_unlock(on);
	return r;
}

static int sk_shutdown(int fd, int how)
{
	struct vsock_out o;
	long r = 0;
	uint32_t flags = ((how & TORO_SHUT_RD) ? VIRTIO_VSOCK_SHUTDOWN_RCV : 0) |
			 ((how & TORO_SHUT_WR) ? VIRTIO_VSOCK_SHUTDOWN_SEND : 0);
	bool on = vsock_lock();
	struct vs_sock *s = vs_stream(fd, &r);

	if (s && (!flags || how & ~TORO_SHUT_RDWR)) {
		r = -EINVAL;
	} else if (s && s->c.state == VSOCK_CLOSED) {
		r = s->err ? s->err : -ENOTCONN;
	} else if (s) {
		r = vsock_conn_shutdown(&s->c, flags, &o);
		vsock_emit(&o);
		vsock_apply(s, &o); /* unhashes it if that ended the connection */
		vsock_wake(&s->waiters);
		if (r == -EINVAL)
			r = -ENOTCONN;
	}
	vsock_unlock(on);
	return (int)r;
}

static int sk_close(int fd)
{
	struct vsock_out o;
	bool on = vsock_lock();
	struct vs_sock *s = vsock_get(fd), *c;

	if (!s) {
		vsock_unlock(on);
		return -EBADF;
	}
	vsock_dev.fds[vsock_slot(fd)] = NULL;
	s->fd = 0;
	vsock_wake(&s->waiters); /* threads waiting on it see -EBADF */
	if (s->kind == VS_LISTEN) {
		/* Connections nobody accepted are reset. */
		while ((c = s->acc_head)) {
			s->acc_head = c->qnext;
			vsock_conn_reset(&c->c, &o);
			vsock_emit(&o);
			vsock_free(c);
		}
		free(s);
	} else if (s->c.state == VSOCK_CLOSED) {
		vsock_free(s);
	} else {
		vsock_conn_close(&s->c, &o);
		vsock_emit(&o);
		if (s->c.state == VSOCK_CLOSED) {
			vsock_free(s);
		} else {
			/* Wait for the peer's RST, but not for ever. Data still
			 * arriving is counted and dropped (CLOSING): no buffer. */
			free(s->rx);
			s->rx = NULL;
			s->rx_head = s->rx_tail;
			s->closing = true;
			s->close_deadline = sched_deadline(VS_CLOSE_NS);
			s->qnext = vsock_dev.closing;
			vsock_dev.closing = s;
			vsock_poke();
		}
	}
	vsock_unlock(on);
	return 0;
}

/* TORO_POLL* bits fd has now. Lock held. */
static short vs_revents(int fd)
{
	struct vs_sock *s = vsock_get(fd);
	short ev = 0;

	if (!s)
		return TORO_POLLNVAL;
	if (s->kind == VS_LISTEN)
		return s->acc_head ? TORO_POLLIN : 0;
	if (vs_readable(s))
		ev |= TORO_POLLIN;
	if (vs_can_send(s) && vsock_conn_tx_space(&s->c) &&
	    vsock_dev.tx_bytes < VS_TX_BUDGET)
		ev |= TORO_POLLOUT;
	if (s->err)
		ev |= TORO_POLLERR;
	if (s->c.state == VSOCK_CLOSED || s->c.state == VSOCK_CLOSING)
		ev |= TORO_POLLHUP;
	return ev;
}

static int sk_poll(struct toro_pollfd *fds, int n, int64_t timeout_ns)
{
	uint64_t deadline = vsock_deadline(timeout_ns);
	struct vs_waiter *w;
	struct vs_waiter ***lists;
	int ready, r;

	if (n < 0 || n > VS_MAX_SOCKS || (n && !fds))
		return -EINVAL;
	if ((r = vsock_start()))
		return r;
	/* One waiter per socket, and one for the send budget. */
	w = malloc(((size_t)n + 1) * sizeof(*w));
	lists = malloc(((size_t)n + 1) * sizeof(*lists));
	if (!w || !lists) {
		free(w);
		free(lists);
		return -ENOMEM;
	}
	bool on = vsock_lock();

	for (;;) {
		bool out = false;
		int k = 0;

		ready = 0;
		for (int i = 0; i < n; i++) {
			struct vs_sock *s = vsock_get(fds[i].sock);

			fds[i].revents = 0;
			if (fds[i].sock < 0)
				continue; /* skipped, as poll(2) does */
			fds[i].revents = vs_revents(fds[i].sock) &
					 (fds[i].events | TORO_POLLERR | TORO_POLLHUP |
					  TORO_POLLNVAL);
			ready += fds[i].revents != 0;
			out |= (fds[i].events & TORO_POLLOUT) != 0;
			if (s)
				lists[k++] = &s->waiters;
		}
		if (ready || timeout_ns == 0)
			break;
		if (out)
			lists[k++] = &vsock_dev.tx_waiters;
		if (k == 0) {
			/* Nothing to wait on: wait out the timeout, like poll(2). */
			vsock_unlock(on);
			if (timeout_ns > 0)
				toro_sleep_ns((uint64_t)timeout_ns);
			else
				for (;;)
					toro_sleep_ns(UINT64_MAX / 2);
			on = vsock_lock();
			break;
		}
		if (!vsock_sleep(w, lists, k, deadline))
			timeout_ns = 0; /* one last look */
	}
	vsock_unlock(on);
	free(w);
	free(lists);
	return ready;
}

/* ---- descriptors ------------------------------------------------------------- */

/* A socket as a descriptor of kernel/fd.h: the driver's socket number. */
struct sk_fd {
	struct fd_obj obj;
	int id; /* the driver's number for it (vsock_get) */
};

static long skf_read(struct fd_obj *o, void *buf, size_t size)
{
	return sk_recv(((struct sk_fd *)o)->id, buf, size, -1);
}

static long skf_write(struct fd_obj *o, const void *buf, size_t size)
{
	return sk_send(((struct sk_fd *)o)->id, buf, size, -1);
}

static int skf_close(struct fd_obj *o)
{
	return sk_close(((struct sk_fd *)o)->id);
}

static void skf_release(struct fd_obj *o)
{
	free(o);
}

static const struct fd_ops sk_ops = {
	.kind = "socket",
	.read = skf_read,
	.write = skf_write,
	.close = skf_close,
	.release = skf_release,
};

/* Gives the driver's socket id a descriptor; closes it if there is none. */
static int sk_install(int id)
{
	struct sk_fd *h;
	int fd;

	if (id < 0)
		return id;
	h = malloc(sizeof(*h));
	if (!h) {
		sk_close(id);
		return -ENOMEM;
	}
	fd_obj_init(&h->obj, &sk_ops);
	h->id = id;
	fd = fd_install(&h->obj);
	if (fd < 0) {
		sk_close(id);
		free(h);
	}
	return fd;
}

/* The socket behind fd with a reference (fd_put it), or NULL with *err set. */
static struct sk_fd *sk_hold(int fd, int *err)
{
	struct fd_obj *o = fd_get(fd);

	if (o && o->ops != &sk_ops) {
		fd_put(o);
		*err = -ENOTSOCK;
		return NULL;
	}
	*err = -EBADF;
	return (struct sk_fd *)o;
}

static int listen_call(uint32_t port, int backlog)
{
	return sk_install(sk_listen(port, backlog));
}

int toro_listen(uint32_t port, int backlog)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (int)trace_call_end(TRACE_CALL_LISTEN, t0, listen_call(port, backlog));
}

static int accept_call(int fd, uint64_t *cid, uint32_t *port, int64_t timeout_ns)
{
	int err, id;
	struct sk_fd *h = sk_hold(fd, &err);

	if (!h)
		return err;
	id = sk_accept(h->id, cid, port, timeout_ns);
	fd_put(&h->obj);
	return sk_install(id);
}

int toro_accept(int fd, uint64_t *cid, uint32_t *port, int64_t timeout_ns)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (int)trace_call_end(TRACE_CALL_ACCEPT, t0,
				   accept_call(fd, cid, port, timeout_ns));
}

static int connect_call(uint64_t cid, uint32_t port, int64_t timeout_ns)
{
	return sk_install(sk_connect(cid, port, timeout_ns));
}

int toro_connect(uint64_t cid, uint32_t port, int64_t timeout_ns)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (int)trace_call_end(TRACE_CALL_CONNECT, t0,
				   connect_call(cid, port, timeout_ns));
}

static long send_call(int fd, const void *buf, size_t len, int64_t timeout_ns)
{
	int err;
	struct sk_fd *h = sk_hold(fd, &err);
	long r;

	if (!h)
		return err;
	r = sk_send(h->id, buf, len, timeout_ns);
	fd_put(&h->obj);
	return r;
}

long toro_send(int fd, const void *buf, size_t len, int64_t timeout_ns)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (long)trace_call_end(TRACE_CALL_SEND, t0,
				    send_call(fd, buf, len, timeout_ns));
}

static long recv_call(int fd, void *buf, size_t size, int64_t timeout_ns)
{
	int err;
	struct sk_fd *h = sk_hold(fd, &err);
	long r;

	if (!h)
		return err;
	r = sk_recv(h->id, buf, size, timeout_ns);
	fd_put(&h->obj);
	return r;
}

long toro_recv(int fd, void *buf, size_t size, int64_t timeout_ns)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (long)trace_call_end(TRACE_CALL_RECV, t0,
				    recv_call(fd, buf, size, timeout_ns));
}

static int shutdown_call(int fd, int how)
{
	int err, r;
	struct sk_fd *h = sk_hold(fd, &err);

	if (!h)
		return err;
	r = sk_shutdown(h->id, how);
	fd_put(&h->obj);
	return r;
}

int toro_shutdown(int fd, int how)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (int)trace_call_end(TRACE_CALL_SHUTDOWN, t0, shutdown_call(fd, how));
}

/*
 * Sockets wait in sk_poll; any other descriptor (a file) is always ready, as
 * poll(2) has it for regular files, and then nobody waits; a number that is no
 * descriptor is POLLNVAL, and counts as ready, as in poll(2).
 */
static int poll_call(struct toro_pollfd *fds, int n, int64_t timeout_ns)
{
	struct toro_pollfd *t;
	struct sk_fd **held;
	int ready = 0, files = 0, r;

	if (n < 0 || n > VS_MAX_SOCKS || (n && !fds))
		return -EINVAL;
	t = malloc(((size_t)n + 1) * sizeof(*t));
	held = malloc(((size_t)n + 1) * sizeof(*held));
	if (!t || !held) {
		free(t);
		free(held);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct fd_obj *o = fds[i].sock < 0 ? NULL : fd_get(fds[i].sock);

		t[i] = fds[i];
		held[i] = NULL;
		if (fds[i].sock < 0)
			continue;
		if (o && o->ops == &sk_ops) {
			held[i] = (struct sk_fd *)o;
			t[i].sock = held[i]->id;
			continue;
		}
		/* Not a socket: answered here, at once. */
		t[i].sock = -1;
		files++;
		if (o)
			fd_put(o);
	}
	r = sk_poll(t, n, files ? 0 : timeout_ns);
	if (r == -ENODEV && files)
		r = 0; /* files alone need no vsock device */
	for (int i = 0; i < n; i++) {
		if (held[i])
			fd_put(&held[i]->obj);
		if (r < 0)
			continue;
		fds[i].revents = t[i].revents;
		if (fds[i].sock >= 0 && t[i].sock == -1) {
			struct fd_obj *o = fd_get(fds[i].sock);

			fds[i].revents = o ? fds[i].events &
							 (TORO_POLLIN | TORO_POLLOUT) :
					     TORO_POLLNVAL;
			if (o)
				fd_put(o);
		}
		ready += fds[i].revents != 0;
	}
	free(t);
	free(held);
	return r < 0 ? r : ready;
}

int toro_poll(struct toro_pollfd *fds, int n, int64_t timeout_ns)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK);

	return (int)trace_call_end(TRACE_CALL_POLL, t0, poll_call(fds, n, timeout_ns));
}
