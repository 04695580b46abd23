/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (virtio 1.2, 5.10): the device driver and the stream sockets of
 * toro.h (toro_listen, toro_accept, toro_connect, toro_send, toro_recv, ...).
 *
 * Primer. The device has three queues: rx (0) carries packets from the host into
 * buffers we keep posted, tx (1) carries our packets out, event (2) reports a
 * transport reset (5.10.6.6: every connection is gone, reread the guest CID). A
 * packet is the 44-byte header, then for OP_RW the payload. Each connection is a
 * struct vsock_conn from lib/vsock_conn.c, which decides every reply and does the
 * credit accounting (5.10.6.3); this file moves bytes and wakes threads.
 *
 * Who does what. Only the CPU owning the device touches its queues, and there
 * only the service thread, started by the first socket call: it takes received
 * packets, hands out queued ones, and sends the RST of a close the peer never
 * acknowledged. The interrupt only wakes it. Socket calls run on the caller's
 * CPU: everything they share with the service thread (sockets, the queue of
 * packets to send) is under one spinlock; a caller that produced a packet pokes
 * the service thread (through a mailbox when it lives on another CPU), and a
 * caller that has to wait sleeps on the socket's waiter list. Wakes and pokes are
 * sent after the lock is released (vs_unlock): a mailbox send may wait for the
 * other CPU, which may be spinning on the lock.
 *
 * Bounds. A connection buffers at most VS_BUF_ALLOC received bytes (the credit we
 * offer); packets queued for the device are bounded by VS_TX_BUDGET bytes in all,
 * beyond which senders wait.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "drivers/virtio/virtio.h"
#include "kernel/mbox.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "lib/kstring.h"
#include "lib/vsock_conn.h"
#include "toro/errno.h"
#include "toro/toro.h"
#include "uapi/virtio_mmio.h"
#include "uapi/virtio_vsock.h"

#define VS_QUEUE_MAX 128 /* ring entries we ask for per queue */
#define VS_RX_BUF_PAGES 2 /* each receive buffer: header and up to 8148 bytes */
#define VS_RX_BUF (VS_RX_BUF_PAGES * PAGE_SIZE)
#define VS_EVENT_BUFS 4 /* event buffers kept posted */
#define VS_BUF_ALLOC (64u * 1024) /* receive buffer per connection: our credit */
#define VS_TX_MAX (16u * 1024) /* payload bytes per packet we send */
#define VS_TX_BUDGET (1u << 20) /* bytes queued for the device, all sockets */
#define VS_MAX_SOCKS 4096 /* open sockets */
#define VS_FD_GENS (1u << 18) /* socket numbers stay below 2^30 */
#define VS_HASH 1024 /* connection hash buckets */
#define VS_CLOSE_NS 2000000000ull /* a close waits this long for the peer's RST */
#define VS_PORT_FIRST 49152 /* local ports of outgoing connections */
#define VS_BACKLOG_MAX 1024

/* One packet waiting for the tx queue or in it; the device reads hdr + data. */
struct vs_pkt {
	struct vs_pkt *next; /* queue link */
	uint32_t len; /* payload bytes */
	struct virtio_vsock_hdr hdr; /* followed by the payload */
	uint8_t data[];
};

/* A thread waiting on one list; poll puts one per socket. On the waiter's stack. */
enum { W_LINKED, W_CLAIMED, W_DONE };
struct vs_waiter {
	struct thread *t; /* who waits */
	struct vs_waiter *next; /* list link while linked */
	struct vs_waiter **list; /* the list it is on */
	struct vs_waiter *dnext; /* deferred-wake chain once claimed */
	_Atomic int state; /* W_*: a waker claims it under the lock, DONE once woken */
};

enum vs_kind { VS_LISTEN = 1, VS_STREAM };

struct vs_sock {
	enum vs_kind kind;
	int fd; /* its number, 0 once the application closed it */
	struct vs_waiter *waiters; /* threads waiting for any change */
	struct vs_sock *qnext; /* accept queue, or the closing list */
	/* Listening. */
	uint32_t port; /* the port */
	int backlog; /* connections it may queue */
	int nqueued; /* connections queued, not yet accepted */
	struct vs_sock *acc_head, *acc_tail; /* the queue */
	/* Streams. */
	struct vsock_conn c; /* the state machine */
	struct vs_sock *hnext; /* hash chain */
	bool hashed; /* in the hash: packets reach it */
	bool queued; /* in a listener's accept queue */
	bool closing; /* on the closing list */
	uint64_t close_deadline; /* TSC: when to give up waiting for the peer's RST */
	int err; /* -ECONNRESET or -ECONNREFUSED once it failed */
	uint8_t *rx; /* VS_BUF_ALLOC bytes for received data, from the first byte on */
	uint32_t rx_head, rx_tail; /* free-running read and write positions */
};

static struct {
	struct virtio_dev *dev; /* the device, NULL if there is none */
	struct spinlock lock; /* everything below */
	uint64_t cid; /* our CID, from the configuration */
	_Atomic int started; /* 0, 1 being started, 2 the service thread exists */
	struct thread *_Atomic svc; /* the service thread */
	_Atomic int work; /* the service thread has something to do */
	struct vs_sock *fds[VS_MAX_SOCKS]; /* socket n is in slot vs_slot(n) */
	uint32_t fd_gen[VS_MAX_SOCKS]; /* times each slot was handed out */
	int fd_hint; /* where to look for a free slot */
	struct vs_sock *hash[VS_HASH]; /* connections by ports */
	struct vs_sock *closing; /* closed by the application, waiting for RST */
	struct vs_pkt *tx_head, *tx_tail; /* packets for the device, in order */
	uint32_t tx_bytes; /* bytes in queued and in-flight packets */
	struct vs_waiter *tx_waiters; /* senders waiting for the budget */
	uint32_t next_port; /* next local port to try */
	uint8_t *rxbuf[VS_QUEUE_MAX]; /* receive buffers, token i + 1 */
	struct virtio_vsock_event *evbuf; /* VS_EVENT_BUFS event buffers */
	unsigned long dropped; /* packets dropped: malformed or out of memory */
} vs = { .lock = SPINLOCK_INIT, .next_port = VS_PORT_FIRST };

/* Per CPU, touched with interrupts off: wakes and a poke to send after unlocking. */
static struct vs_waiter *deferred[PCPU_MAX];
static bool poke_due[PCPU_MAX];

/* ---- locking, waking, sleeping ---------------------------------------------- */

static bool vs_lock(void)
{
	return spin_lock(&vs.lock);
}

/* Claims every waiter of *list; vs_unlock wakes them. Lock held. */
static void vs_wake(struct vs_waiter **list)
{
	int cpu = pcpu_id();

	for (struct vs_waiter *w = *list, *nx; w; w = nx) {
		nx = w->next;
		atomic_store_explicit(&w->state, W_CLAIMED, memory_order_relaxed);
		w->dnext = deferred[cpu];
		deferred[cpu] = w;
	}
	*list = NULL;
}

static void vs_poke(void)
{
	poke_due[pcpu_id()] = true;
}

/* Releases the lock, keeping interrupts off, and sends the wakes and the poke. */
static void vs_release(void)
{
	int cpu = pcpu_id();
	struct vs_waiter *w = deferred[cpu];
	bool poke = poke_due[cpu];

	deferred[cpu] = NULL;
	poke_due[cpu] = false;
	spin_unlock(&vs.lock, false);
	while (w) {
		struct vs_waiter *nx = w->dnext;

		sched_wake_thread(w->t);
		/* Release: after this the waiter may return and its stack go away. */
		atomic_store_explicit(&w->state, W_DONE, memory_order_release);
		w = nx;
	}
	struct thread *svc = atomic_load(&vs.svc);

	if (poke && !atomic_exchange(&vs.work, 1) && svc)
		sched_wake_thread(svc);
}

static void vs_unlock(bool on)
{
	vs_release();
	irq_restore(on);
}

/*
 * Waits until a waker claims one of w[0..n) (each put on *lists[i]), or until the
 * TSC deadline (0: none). Lock held on entry and on return. False on timeout.
 * Wakes may be spurious: callers check their condition again.
 */
static bool vs_sleep(struct vs_waiter *w, struct vs_waiter **lists[], int n,
		     uint64_t deadline)
{
	struct thread *self = sched_current();
	bool woke = false, in_time = true;

	for (int i = 0; i < n; i++) {
		w[i].t = self;
		w[i].list = lists[i];
		w[i].next = *lists[i];
		atomic_init(&w[i].state, W_LINKED);
		*lists[i] = &w[i];
	}
	vs_release();
	/* Interrupts stay off from the check to the block: no wake falls between. */
	while (!woke && in_time) {
		for (int i = 0; i < n; i++)
			if (atomic_load_explicit(&w[i].state, memory_order_acquire) !=
			    W_LINKED)
				woke = true;
		if (!woke)
			in_time = sched_wait(NULL, deadline);
	}
	spin_lock(&vs.lock);
	bool claimed = false;

	for (int i = 0; i < n; i++) {
		if (atomic_load_explicit(&w[i].state, memory_order_acquire) != W_LINKED) {
			claimed = true;
			continue;
		}
		struct vs_waiter **pp = w[i].list;

		while (*pp != &w[i])
			pp = &(*pp)->next;
		*pp = w[i].next;
	}
	if (!claimed)
		return in_time;
	/*
	 * A waker claimed a node and is about to wake us: it must not find us gone.
	 * Wait for it without the lock (it may be sending to a CPU that spins on the
	 * lock), serving our mailbox (its wake may need room there).
	 */
	spin_unlock(&vs.lock, false);
	for (int i = 0; i < n; i++)
		while (atomic_load_explicit(&w[i].state, memory_order_acquire) ==
		       W_CLAIMED) {
			mbox_poll();
			cpu_relax();
		}
	spin_lock(&vs.lock);
	return in_time;
}

/*
 * Waits on one or two lists (b may be NULL): 0 when woken, -EAGAIN for a timeout
 * of 0 (no waiting), -ETIMEDOUT once the deadline passed. Lock held.
 */
static int vs_wait(struct vs_waiter **a, struct vs_waiter **b, int64_t timeout,
		   uint64_t deadline)
{
	struct vs_waiter w[2];
	struct vs_waiter **lists[2] = { a, b };

	if (timeout == 0)
		return -EAGAIN;
	return vs_sleep(w, lists, b ? 2 : 1, deadline) ? 0 : -ETIMEDOUT;
}

static uint64_t vs_deadline(int64_t timeout_ns)
{
	return timeout_ns < 0 ? 0 : sched_deadline((uint64_t)timeout_ns);
}

/* ---- packets ------------------------------------------------------------------ */

/* Appends packet p (header h, p->len payload bytes) to the device's queue. */
static void vs_push(struct vs_pkt *p, const struct virtio_vsock_hdr *h)
{
	uint32_t n = p->len;

	p->next = NULL;
	p->hdr = *h;
	if (vs.tx_tail)
		vs.tx_tail->next = p;
	else
		vs.tx_head = p;
	vs.tx_tail = p;
	vs.tx_bytes += (uint32_t)sizeof(*h) + n;
	vs_poke();
}

/*
 * Queues a header without payload (control packets: RESPONSE, RST, SHUTDOWN,
 * CREDIT_*). Senders of data stop at VS_TX_BUDGET; headers may take as much again,
 * beyond which a device that stopped taking packets loses them (counted, said once).
 */
static void vs_queue(const struct virtio_vsock_hdr *h)
{
	struct vs_pkt *p = NULL;

	if (vs.tx_bytes < 2 * VS_TX_BUDGET)
		p = malloc(sizeof(*p));
	if (!p) {
		if (vs.dropped++ == 0)
			printk("vsock: a control packet was dropped (out of memory, or "
			       "the device takes none)\n");
		return;
	}
	p->len = 0;
	vs_push(p, h);
}

static void vs_emit(const struct vsock_out *o)
{
	if (o->send)
		vs_queue(&o->pkt);
}

/* ---- sockets ------------------------------------------------------------------ */

static unsigned vs_hash(uint32_t lport, uint64_t pcid, uint32_t pport)
{
	return (unsigned)((lport * 2654435761u) ^ (pport * 40503u) ^ (uint32_t)pcid) %
	       VS_HASH;
}

static struct vs_sock *vs_lookup(uint32_t lport, uint64_t pcid, uint32_t pport)
{
	struct vs_sock *s = vs.hash[vs_hash(lport, pcid, pport)];

	while (s && (s->c.local_port != lport || s->c.peer_cid != pcid ||
		     s->c.peer_port != pport))
		s = s->hnext;
	return s;
}

static void vs_hash_add(struct vs_sock *s)
{
	struct vs_sock **b =
		&vs.hash[vs_hash(s->c.local_port, s->c.peer_cid, s->c.peer_port)];

	s->hnext = *b;
	*b = s;
	s->hashed = true;
}

static void vs_hash_del(struct vs_sock *s)
{
	struct vs_sock **pp =
		&vs.hash[vs_hash(s->c.local_port, s->c.peer_cid, s->c.peer_port)];

	if (!s->hashed)
		return;
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	s->hashed = false;
}

static struct vs_sock *vs_listener(uint32_t port)
{
	for (int i = 0; i < VS_MAX_SOCKS; i++) {
		struct vs_sock *s = vs.fds[i];

		if (s && s->kind == VS_LISTEN && s->port == port)
			return s;
	}
	return NULL;
}

/*
 * A socket number names a slot and how many times the slot was used, so a number
 * kept after its socket was closed never reaches the socket that took the slot.
 */
static int vs_fd_alloc(struct vs_sock *s)
{
	for (int k = 0; k < VS_MAX_SOCKS; k++) {
		int i = (vs.fd_hint + k) % VS_MAX_SOCKS;

		if (!vs.fds[i]) {
			vs.fd_gen[i] = (vs.fd_gen[i] + 1) % VS_FD_GENS;
			vs.fds[i] = s;
			vs.fd_hint = i + 1;
			s->fd = (int)(vs.fd_gen[i] * VS_MAX_SOCKS) + i + 1;
			return s->fd;
		}
	}
	return -EMFILE;
}

static int vs_slot(int fd)
{
	return (fd - 1) % VS_MAX_SOCKS;
}

static struct vs_sock *vs_get(int fd)
{
	struct vs_sock *s = fd >= 1 ? vs.fds[vs_slot(fd)] : NULL;

	return s && s->fd == fd ? s : NULL;
}

static struct vs_sock *vs_stream_new(uint32_t lport, uint64_t pcid, uint32_t pport)
{
	struct vs_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = VS_STREAM;
	vsock_conn_init(&s->c, vs.cid, lport, pcid, pport, VS_BUF_ALLOC);
	return s;
}

static void vs_free(struct vs_sock *s)
{
	vs_hash_del(s);
	free(s->rx);
	free(s);
}

/* The connection ended (CLOSED). Frees it if the application let go of it. */
static void vs_ended(struct vs_sock *s)
{
	vs_hash_del(s);
	if (s->fd == 0 && !s->closing && !s->queued)
		vs_free(s);
}

/* Applies the events of one state machine call to s. Lock held. */
static void vs_apply(struct vs_sock *s, const struct vsock_out *o)
{
	if (o->events & VSOCK_EV_REFUSED)
		s->err = -ECONNREFUSED;
	else if (o->events & VSOCK_EV_RESET)
		s->err = -ECONNRESET;
	if (o->events)
		vs_wake(&s->waiters);
	if (o->events & VSOCK_EV_CLOSED)
		vs_ended(s);
}

/* Copies n received bytes into s's ring (credit keeps them within it). */
static void vs_rx_copy(struct vs_sock *s, const uint8_t *p, uint32_t n)
{
	uint32_t at = s->rx_tail % VS_BUF_ALLOC, first = VS_BUF_ALLOC - at;

	if (first > n)
		first = n;
	memcpy(s->rx + at, p, first);
	memcpy(s->rx, p + first, n - first);
	s->rx_tail += n;
}

/* A REQUEST nobody has a connection for: a listener may take it. Lock held. */
static void vs_rx_request(const struct virtio_vsock_hdr *h)
{
	struct vs_sock *l = vs_listener(h->dst_port), *s;
	struct virtio_vsock_hdr rst;
	struct vsock_out o;

	if (!l || l->nqueued >= l->backlog ||
	    !(s = vs_stream_new(h->dst_port, h->src_cid, h->src_port))) {
		if (vsock_reply_rst(h, &rst) == 0)
			vs_queue(&rst);
		return;
	}
	if (vsock_conn_accept(&s->c, h, &o)) {
		vs_emit(&o);
		vs_free(s);
		return;
	}
	vs_emit(&o);
	vs_hash_add(s);
	if (l->acc_tail)
		l->acc_tail->qnext = s;
	else
		l->acc_head = s;
	l->acc_tail = s;
	s->queued = true;
	l->nqueued++;
	vs_wake(&l->waiters);
}

/* One packet from the host: header h, then h->len payload bytes at p. */
static void vs_rx_packet(const struct virtio_vsock_hdr *h, const uint8_t *p)
{
	struct virtio_vsock_hdr rst;
	struct vsock_out o;
	struct vs_sock *s;

	if (h->dst_cid != vs.cid) {
		vs.dropped++;
		return;
	}
	s = vs_lookup(h->dst_port, h->src_cid, h->src_port);
	if (!s) {
		if (h->op == VIRTIO_VSOCK_OP_REQUEST)
			vs_rx_request(h);
		else if (vsock_reply_rst(h, &rst) == 0)
			vs_queue(&rst);
		return;
	}
	vsock_conn_recv(&s->c, h, &o);
	vs_emit(&o);
	if (o.rx_len && !s->rx && !(s->rx = malloc(VS_BUF_ALLOC))) {
		vsock_conn_reset(&s->c, &o); /* no memory for what we promised */
		vs_emit(&o);
	} else if (o.rx_len) {
		vs_rx_copy(s, p, o.rx_len);
	}
	vs_apply(s, &o);
}

/* ---- the service thread ---------------------------------------------------------- */

static int vs_post_rx(int i)
{
	struct virtq_buf b = { vs.rxbuf[i], VS_RX_BUF };

	return virtq_add(&vs.dev->queues[VIRTIO_VSOCK_VQ_RX], NULL, 0, &b, 1,
			 (void *)(uintptr_t)(i + 1));
}

static int vs_post_event(int i)
{
	struct virtq_buf b = { &vs.evbuf[i], sizeof(vs.evbuf[i]) };

	return virtq_add(&vs.dev->queues[VIRTIO_VSOCK_VQ_EVENT], NULL, 0, &b, 1,
			 (void *)(uintptr_t)(i + 1));
}

static void vs_service_rx(void)
{
	struct virtq *q = &vs.dev->queues[VIRTIO_VSOCK_VQ_RX];
	struct virtio_vsock_hdr h;
	uint32_t len;
	void *token;
	bool any = false;

	while ((token = virtq_get_used(q, &len))) {
		int i = (int)(uintptr_t)token - 1;

		/* The length and the header are the host's word: check both. */
		if (len >= sizeof(h)) {
			memcpy(&h, vs.rxbuf[i], sizeof(h));
			if (h.len <= len - sizeof(h))
				vs_rx_packet(&h, vs.rxbuf[i] + sizeof(h));
			else
				vs.dropped++;
		} else {
			vs.dropped++;
		}
		vs_post_rx(i);
		any = true;
	}
	if (any)
		virtio_kick(vs.dev, VIRTIO_VSOCK_VQ_RX);
}

/* 5.10.6.6: every connection is gone; the CID may have changed. */
static void vs_transport_reset(void)
{
	struct vsock_out o;

	for (int b = 0; b < VS_HASH; b++)
		while (vs.hash[b]) {
			struct vs_sock *s = vs.hash[b];

			vs_hash_del(s); /* first: vs_apply may free it */
			vsock_conn_transport_reset(&s->c, &o);
			vs_apply(s, &o);
		}
	virtio_config_read(vs.dev, 0, &vs.cid, sizeof(vs.cid));
	printk("vsock: transport reset, CID %llu\n", (unsigned long long)vs.cid);
}

static void vs_service_events(void)
{
	struct virtq *q = &vs.dev->queues[VIRTIO_VSOCK_VQ_EVENT];
	uint32_t len;
	void *token;
	bool any = false;

	while ((token = virtq_get_used(q, &len))) {
		int i = (int)(uintptr_t)token - 1;

		if (len >= sizeof(vs.evbuf[i]) &&
		    vs.evbuf[i].id == VIRTIO_VSOCK_EVENT_TRANSPORT_RESET)
			vs_transport_reset();
		vs_post_event(i);
		any = true;
	}
	if (any)
		virtio_kick(vs.dev, VIRTIO_VSOCK_VQ_EVENT);
}

static void vs_service_tx(void)
{
	struct virtq *q = &vs.dev->queues[VIRTIO_VSOCK_VQ_TX];
	struct vs_pkt *p;
	bool freed = false, added = false;

	while ((p = virtq_get_used(q, NULL))) {
		vs.tx_bytes -= (uint32_t)sizeof(p->hdr) + p->len;
		free(p);
		freed = true;
	}
	while ((p = vs.tx_head)) {
		struct virtq_buf b = { &p->hdr, (uint32_t)sizeof(p->hdr) + p->len };

		if (virtq_add(q, &b, 1, NULL, 0, p))
			break; /* full: the next completion makes room */
		vs.tx_head = p->next;
		if (!vs.tx_head)
			vs.tx_tail = NULL;
		added = true;
	}
	if (added)
		virtio_kick(vs.dev, VIRTIO_VSOCK_VQ_TX);
	if (freed)
		vs_wake(&vs.tx_waiters);
}

/* Resets closes the peer never acknowledged; returns the next deadline (0: none). */
static uint64_t vs_service_closing(void)
{
	uint64_t now = rdtsc(), next = 0;
	struct vs_sock **pp = &vs.closing;
	struct vsock_out o;

	while (*pp) {
		struct vs_sock *s = *pp;

		if (s->c.state != VSOCK_CLOSED && now < s->close_deadline) {
			if (!next || s->close_deadline < next)
				next = s->close_deadline;
			pp = &s->qnext;
			continue;
		}
		*pp = s->qnext;
		s->closing = false;
		if (s->c.state != VSOCK_CLOSED) {
			vsock_conn_close(&s->c, &o); /* CLOSING: this sends the RST */
			vs_emit(&o);
		}
		vs_free(s);
	}
	return next;
}

static bool vs_broken(void)
{
	struct virtq *q = vs.dev->queues;

	return vs.dev->broken || virtq_is_broken(&q[VIRTIO_VSOCK_VQ_RX]) ||
	       virtq_is_broken(&q[VIRTIO_VSOCK_VQ_TX]) ||
	       virtq_is_broken(&q[VIRTIO_VSOCK_VQ_EVENT]);
}

/*
 * The device broke (it asked for a reset, or a queue caught it lying): every
 * connection fails with -EIO, every waiter wakes, and later calls get -EIO.
 * Lock held.
 */
static void vs_fail(void)
{
	struct vsock_out o;
	struct vs_pkt *p;

	if (!vs.dev->broken)
		virtio_mark_broken(vs.dev, "a vsock queue broke");
	for (int b = 0; b < VS_HASH; b++)
		while (vs.hash[b]) {
			struct vs_sock *s = vs.hash[b];

			bool kept = s->fd || s->closing || s->queued;

			vs_hash_del(s);
			vsock_conn_transport_reset(&s->c, &o);
			vs_apply(s, &o); /* frees it if nobody holds it */
			if (kept)
				s->err = -EIO;
		}
	for (int i = 0; i < VS_MAX_SOCKS; i++)
		if (vs.fds[i])
			vs_wake(&vs.fds[i]->waiters);
	while ((p = vs.tx_head)) {
		vs.tx_head = p->next;
		free(p);
	}
	vs.tx_tail = NULL;
	vs_wake(&vs.tx_waiters);
}

static int vs_service(void *arg)
{
	(void)arg;
	atomic_store(&vs.svc, sched_current());
	for (;;) {
		bool on = vs_lock();

		atomic_store(&vs.work, 0);
		vs_service_rx();
		vs_service_events();
		vs_service_tx();
		uint64_t deadline = vs_service_closing();
		bool broken = vs_broken();

		if (broken)
			vs_fail();
		vs_release();
		/* Interrupts off: a poke or an interrupt cannot fall between. A broken
		 * device has nothing more to say: wait for ever (spurious wakes too). */
		while (broken || !atomic_load(&vs.work))
			if (!sched_wait(NULL, broken ? 0 : deadline))
				break;
		irq_restore(on);
	}
	return 0;
}

/* Checks the device and starts the service thread on the first socket call. */
static int vs_start(void)
{
	int expected = 0;

	if (!vs.dev)
		return -ENODEV;
	if (vs.dev->broken)
		return -EIO;
	while (atomic_load(&vs.started) != 2) {
		expected = 0;
		if (atomic_compare_exchange_strong(&vs.started, &expected, 1)) {
			int id = toro_thread_create(vs_service, NULL, vs.dev->cpu, 0);

			if (id < 0) {
				atomic_store(&vs.started, 0);
				return id;
			}
			toro_thread_detach(id);
			atomic_store(&vs.started, 2);
			return 0;
		}
		toro_yield(); /* another thread is starting it */
	}
	return 0;
}

/* ---- the device ------------------------------------------------------------------ */

static void vs_interrupt(struct virtio_dev *d, uint32_t status)
{
	struct thread *svc = atomic_load(&vs.svc);

	(void)d;
	if (!(status & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)))
		return;
	atomic_store(&vs.work, 1);
	if (svc)
		sched_wake_thread(svc);
}

static bool vs_busy(struct virtio_dev *d)
{
	(void)d;
	return atomic_load(&vs.started) != 0;
}

static int vs_probe(struct virtio_dev *d)
{
	int r;

	if (vs.dev) {
		printk("virtio: a second vsock device at %#llx, ignored\n",
		       (unsigned long long)d->base);
		return -EBUSY;
	}
	r = virtio_negotiate(d, 0);
	for (unsigned q = 0; r == 0 && q < 3; q++)
		r = virtio_queue_setup(d, q, VS_QUEUE_MAX);
	if (r)
		return r;
	vs.dev = d;
	d->priv = &vs;
	virtio_config_read(d, 0, &vs.cid, sizeof(vs.cid));
	uint32_t nrx = d->queues[VIRTIO_VSOCK_VQ_RX].num;

	for (uint32_t i = 0; r == 0 && i < nrx; i++)
		r = (vs.rxbuf[i] = kmem_pages_alloc(VS_RX_BUF_PAGES)) ?
			    vs_post_rx((int)i) :
			    -ENOMEM;
	vs.evbuf = kmem_pages_alloc(1);
	for (int i = 0; r == 0 && i < VS_EVENT_BUFS; i++)
		r = vs.evbuf ? vs_post_event(i) : -ENOMEM;
	if (r == 0)
		r = virtio_driver_ok(d);
	if (r) {
		vs.dev = NULL;
		return r;
	}
	virtio_kick(d, VIRTIO_VSOCK_VQ_RX);
	virtio_kick(d, VIRTIO_VSOCK_VQ_EVENT);
	printk("vsock: CID %llu\n", (unsigned long long)vs.cid);
	return 0;
}

VIRTIO_DRIVER(vsock_driver) = {
	.device_id = VIRTIO_ID_VSOCK,
	.name = "vsock",
	.probe = vs_probe,
	.interrupt = vs_interrupt,
	.busy = vs_busy,
};

/* ---- the socket calls -------------------------------------------------------- */

int toro_listen(uint32_t port, int backlog)
{
	struct vs_sock *s;
	int r = vs_start();

	if (r)
		return r;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->kind = VS_LISTEN;
	s->port = port;
	s->backlog = backlog <= 0	      ? 128 :
		     backlog > VS_BACKLOG_MAX ? VS_BACKLOG_MAX :
						backlog;
	bool on = vs_lock();

	r = vs_listener(port) ? -EADDRINUSE : vs_fd_alloc(s);
	vs_unlock(on);
	if (r < 0)
		free(s);
	return r;
}

int toro_accept(int fd, uint64_t *cid, uint32_t *port, int64_t timeout_ns)
{
	uint64_t deadline = vs_deadline(timeout_ns);
	bool on = vs_lock();
	struct vs_sock *l = vs_get(fd), *s;
	int r;

	for (;;) {
		if (!l || vs_get(fd) != l) {
			r = -EBADF;
			break;
		}
		if (l->kind != VS_LISTEN) {
			r = -EINVAL;
			break;
		}
		if ((s = l->acc_head)) {
			if ((r = vs_fd_alloc(s)) < 0)
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
		if (vs.dev->broken) {
			r = -EIO;
			break;
		}
		if ((r = vs_wait(&l->waiters, NULL, timeout_ns, deadline))) {
			if (vs_get(fd) == l && l->acc_head)
				continue; /* it came with the deadline */
			break;
		}
	}
	vs_unlock(on);
	return r;
}

/* A local port no connection to cid:port and no listener uses. Lock held. */
static int vs_pick_port(uint64_t cid, uint32_t port)
{
	for (uint32_t k = 0; k < 65536 - VS_PORT_FIRST; k++) {
		uint32_t p = vs.next_port++;

		if (vs.next_port > 65535)
			vs.next_port = VS_PORT_FIRST;
		if (!vs_lookup(p, cid, port) && !vs_listener(p))
			return (int)p;
	}
	return -EADDRINUSE;
}

int toro_connect(uint64_t cid, uint32_t port, int64_t timeout_ns)
{
	uint64_t deadline = vs_deadline(timeout_ns);
	struct vsock_out o;
	struct vs_sock *s;
	int r = timeout_ns == 0 ? -EINVAL : vs_start(), fd;

	if (r)
		return r; /* a connection cannot be made without waiting */
	bool on = vs_lock();

	if ((r = vs_pick_port(cid, port)) < 0 ||
	    !(s = vs_stream_new((uint32_t)r, cid, port))) {
		vs_unlock(on);
		return r < 0 ? r : -ENOMEM;
	}
	if ((fd = vs_fd_alloc(s)) < 0) {
		vs_free(s);
		vs_unlock(on);
		return fd;
	}
	vsock_conn_connect(&s->c, &o);
	vs_emit(&o);
	vs_hash_add(s);
	while (s->c.state == VSOCK_CONNECTING) {
		r = vs_wait(&s->waiters, NULL, timeout_ns, deadline);
		if (vs_get(fd) != s) {
			/* Closed under us (by another thread): toro_close freed it. */
			vs_unlock(on);
			return -EBADF;
		}
		if (r && s->c.state == VSOCK_CONNECTING) {
			vsock_conn_reset(&s->c, &o);
			vs_emit(&o);
			s->err = -ETIMEDOUT;
		}
	}
	if (s->c.state == VSOCK_CLOSED) {
		r = s->err ? s->err : -ECONNRESET;
		vs.fds[vs_slot(fd)] = NULL;
		vs_wake(&s->waiters); /* a poller sees POLLNVAL */
		vs_free(s);
	} else {
		r = fd;
	}
	vs_unlock(on);
	return r;
}

/* The stream socket fd, or NULL with *r set. Lock held. */
static struct vs_sock *vs_stream(int fd, long *r)
{
	struct vs_sock *s = vs_get(fd);

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

long toro_send(int fd, const void *buf, size_t len, int64_t timeout_ns)
{
	uint64_t deadline = vs_deadline(timeout_ns);
	const uint8_t *p = buf;
	size_t sent = 0;
	long r = 0;
	bool on = vs_lock();
	struct vs_sock *s = vs_stream(fd, &r);

	while (s && sent < len) {
		struct vsock_out o;
		struct vs_pkt *pkt;
		uint32_t n, budget;

		if (vs_get(fd) != s) {
			r = -EBADF;
			break;
		}
		n = vsock_conn_tx_space(&s->c);
		budget = vs.tx_bytes < VS_TX_BUDGET ? VS_TX_BUDGET - vs.tx_bytes : 0;
		if (!vs_can_send(s)) {
			r = s->err ? s->err : -EPIPE;
			break;
		}
		if (n == 0) {
			/* No credit: ask for news (5.10.6.3), once until some comes. */
			if (vsock_conn_send(&s->c, 1, &o) == -EAGAIN)
				vs_emit(&o);
		}
		n = n < len - sent ? n : (uint32_t)(len - sent);
		n = n < VS_TX_MAX ? n : VS_TX_MAX;
		n = n < budget ? n : budget;
		if (n == 0) {
			/* Credit comes with the socket's wake, budget with the queue's. */
			if ((r = vs_wait(&s->waiters, &vs.tx_waiters, timeout_ns,
					 deadline)))
				break;
			continue;
		}
		/* Copy outside the lock: other CPUs and the service thread go on. */
		vs_unlock(on);
		pkt = malloc(sizeof(*pkt) + n);
		if (pkt)
			memcpy(pkt->data, p + sent, n);
		on = vs_lock();
		if (!pkt) {
			r = -ENOMEM;
			break;
		}
		/* Credit only grows meanwhile, unless the socket changed: look again. */
		if (vs_get(fd) != s || !vs_can_send(s) ||
		    vsock_conn_tx_space(&s->c) < n) {
			free(pkt);
			continue;
		}
		vsock_conn_send(&s->c, n, &o);
		pkt->len = n;
		vs_push(pkt, &o.pkt);
		sent += n;
	}
	vs_unlock(on);
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

long toro_recv(int fd, void *buf, size_t size, int64_t timeout_ns)
{
	uint64_t deadline = vs_deadline(timeout_ns);
	long r = 0;
	bool on = vs_lock();
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
				vs_emit(&o);
			r = n;
			break;
		}
		if (size == 0 || vs_readable(s)) {
			r = s->err ? s->err : 0; /* end of stream */
			break;
		}
		if ((r = vs_wait(&s->waiters, NULL, timeout_ns, deadline))) {
			if (vs_get(fd) == s && vs_readable(s))
				continue;
			break;
		}
		if (vs_get(fd) != s) {
			r = -EBADF;
			break;
		}
	}
	vs_unlock(on);
	return r;
}

int toro_shutdown(int fd, int how)
{
	struct vsock_out o;
	long r = 0;
	uint32_t flags = ((how & TORO_SHUT_RD) ? VIRTIO_VSOCK_SHUTDOWN_RCV : 0) |
			 ((how & TORO_SHUT_WR) ? VIRTIO_VSOCK_SHUTDOWN_SEND : 0);
	bool on = vs_lock();
	struct vs_sock *s = vs_stream(fd, &r);

	if (s && (!flags || how & ~TORO_SHUT_RDWR)) {
		r = -EINVAL;
	} else if (s && s->c.state == VSOCK_CLOSED) {
		r = s->err ? s->err : -ENOTCONN;
	} else if (s) {
		r = vsock_conn_shutdown(&s->c, flags, &o);
		vs_emit(&o);
		vs_apply(s, &o); /* unhashes it if that ended the connection */
		vs_wake(&s->waiters);
		if (r == -EINVAL)
			r = -ENOTCONN;
	}
	vs_unlock(on);
	return (int)r;
}

int toro_close(int fd)
{
	struct vsock_out o;
	bool on = vs_lock();
	struct vs_sock *s = vs_get(fd), *c;

	if (!s) {
		vs_unlock(on);
		return -EBADF;
	}
	vs.fds[vs_slot(fd)] = NULL;
	s->fd = 0;
	vs_wake(&s->waiters); /* threads waiting on it see -EBADF */
	if (s->kind == VS_LISTEN) {
		/* Connections nobody accepted are reset. */
		while ((c = s->acc_head)) {
			s->acc_head = c->qnext;
			vsock_conn_reset(&c->c, &o);
			vs_emit(&o);
			vs_free(c);
		}
		free(s);
	} else if (s->c.state == VSOCK_CLOSED) {
		vs_free(s);
	} else {
		vsock_conn_close(&s->c, &o);
		vs_emit(&o);
		if (s->c.state == VSOCK_CLOSED) {
			vs_free(s);
		} else {
			/* Wait for the peer's RST, but not for ever. Data still
			 * arriving is counted and dropped (CLOSING): no buffer. */
			free(s->rx);
			s->rx = NULL;
			s->rx_head = s->rx_tail;
			s->closing = true;
			s->close_deadline = sched_deadline(VS_CLOSE_NS);
			s->qnext = vs.closing;
			vs.closing = s;
			vs_poke();
		}
	}
	vs_unlock(on);
	return 0;
}

/* TORO_POLL* bits fd has now. Lock held. */
static short vs_revents(int fd)
{
	struct vs_sock *s = vs_get(fd);
	short ev = 0;

	if (!s)
		return TORO_POLLNVAL;
	if (s->kind == VS_LISTEN)
		return s->acc_head ? TORO_POLLIN : 0;
	if (vs_readable(s))
		ev |= TORO_POLLIN;
	if (vs_can_send(s) && vsock_conn_tx_space(&s->c) && vs.tx_bytes < VS_TX_BUDGET)
		ev |= TORO_POLLOUT;
	if (s->err)
		ev |= TORO_POLLERR;
	if (s->c.state == VSOCK_CLOSED || s->c.state == VSOCK_CLOSING)
		ev |= TORO_POLLHUP;
	return ev;
}

int toro_poll(struct toro_pollfd *fds, int n, int64_t timeout_ns)
{
	uint64_t deadline = vs_deadline(timeout_ns);
	struct vs_waiter *w;
	struct vs_waiter ***lists;
	int ready, r;

	if (n < 0 || n > VS_MAX_SOCKS || (n && !fds))
		return -EINVAL;
	if ((r = vs_start()))
		return r;
	/* One waiter per socket, and one for the send budget. */
	w = malloc(((size_t)n + 1) * sizeof(*w));
	lists = malloc(((size_t)n + 1) * sizeof(*lists));
	if (!w || !lists) {
		free(w);
		free(lists);
		return -ENOMEM;
	}
	bool on = vs_lock();

	for (;;) {
		bool out = false;
		int k = 0;

		ready = 0;
		for (int i = 0; i < n; i++) {
			struct vs_sock *s = vs_get(fds[i].sock);

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
			lists[k++] = &vs.tx_waiters;
		if (k == 0) {
			/* Nothing to wait on: wait out the timeout, like poll(2). */
			vs_unlock(on);
			if (timeout_ns > 0)
				toro_sleep_ns((uint64_t)timeout_ns);
			else
				for (;;)
					toro_sleep_ns(UINT64_MAX / 2);
			on = vs_lock();
			break;
		}
		if (!vs_sleep(w, lists, k, deadline))
			timeout_ns = 0; /* one last look */
	}
	vs_unlock(on);
	free(w);
	free(lists);
	return ready;
}
