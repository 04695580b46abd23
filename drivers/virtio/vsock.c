/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (virtio 1.2, 5.10): the device driver under the stream sockets of
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
 * sent after the lock is released (vsock_unlock): a mailbox send may wait for the
 * other CPU, which may be spinning on the lock.
 *
 * The socket calls themselves are in net/vsock.c; drivers/virtio/vsock.h is
 * what the two files share.
 *
 * Bounds. A connection buffers at most VS_BUF_ALLOC received bytes (the credit we
 * offer); packets queued for the device are bounded by VS_TX_BUDGET bytes in all,
 * beyond which senders wait.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/vsock.h"
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

struct vsock_driver_state vsock_dev = { .lock = SPINLOCK_INIT,
					.next_port = VS_PORT_FIRST };

/* Per CPU, touched with interrupts off: wakes and a poke to send after unlocking. */
static struct vs_waiter *deferred[PCPU_MAX];
static bool poke_due[PCPU_MAX];

/* ---- locking, waking, sleeping ---------------------------------------------- */

bool vsock_lock(void)
{
	return spin_lock(&vsock_dev.lock);
}

/* Claims every waiter of *list; vsock_unlock wakes them. Lock held. */
void vsock_wake(struct vs_waiter **list)
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

void vsock_poke(void)
{
	poke_due[pcpu_id()] = true;
}

/* Releases the lock, keeping interrupts off, and sends the wakes and the poke. */
void vsock_release(void)
{
	int cpu = pcpu_id();
	struct vs_waiter *w = deferred[cpu];
	bool poke = poke_due[cpu];

	deferred[cpu] = NULL;
	poke_due[cpu] = false;
	spin_unlock(&vsock_dev.lock, false);
	while (w) {
		struct vs_waiter *nx = w->dnext;

		sched_wake_thread(w->t);
		/* Release: after this the waiter may return and its stack go away. */
		atomic_store_explicit(&w->state, W_DONE, memory_order_release);
		w = nx;
	}
	struct thread *svc = atomic_load(&vsock_dev.svc);

	if (poke && !atomic_exchange(&vsock_dev.work, 1) && svc)
		sched_wake_thread(svc);
}

void vsock_unlock(bool on)
{
	vsock_release();
	irq_restore(on);
}

/*
 * Waits until a waker claims one of w[0..n) (each put on *lists[i]), or until the
 * TSC deadline (0: none). Lock held on entry and on return. False on timeout.
 * Wakes may be spurious: callers check their condition again.
 */
bool vsock_sleep(struct vs_waiter *w, struct vs_waiter **lists[], int n,
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
	vsock_release();
	/* Interrupts stay off from the check to the block: no wake falls between. */
	while (!woke && in_time) {
		for (int i = 0; i < n; i++)
			if (atomic_load_explicit(&w[i].state, memory_order_acquire) !=
			    W_LINKED)
				woke = true;
		if (!woke)
			in_time = sched_wait(NULL, deadline);
	}
	spin_lock(&vsock_dev.lock);
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
	spin_unlock(&vsock_dev.lock, false);
	for (int i = 0; i < n; i++)
		while (atomic_load_explicit(&w[i].state, memory_order_acquire) ==
		       W_CLAIMED) {
			mbox_poll();
			cpu_relax();
		}
	spin_lock(&vsock_dev.lock);
	return in_time;
}

/*
 * Waits on one or two lists (b may be NULL): 0 when woken, -EAGAIN for a timeout
 * of 0 (no waiting), -ETIMEDOUT once the deadline passed. Lock held.
 */
int vsock_wait(struct vs_waiter **a, struct vs_waiter **b, int64_t timeout,
	       uint64_t deadline)
{
	struct vs_waiter w[2];
	struct vs_waiter **lists[2] = { a, b };

	if (timeout == 0)
		return -EAGAIN;
	return vsock_sleep(w, lists, b ? 2 : 1, deadline) ? 0 : -ETIMEDOUT;
}

uint64_t vsock_deadline(int64_t timeout_ns)
{
	return timeout_ns < 0 ? 0 : sched_deadline((uint64_t)timeout_ns);
}

/* ---- packets ------------------------------------------------------------------ */

/* Appends packet p (header h, p->len payload bytes) to the device's queue. */
void vsock_push(struct vs_pkt *p, const struct virtio_vsock_hdr *h)
{
	uint32_t n = p->len;

	p->next = NULL;
	p->hdr = *h;
	if (vsock_dev.tx_tail)
		vsock_dev.tx_tail->next = p;
	else
		vsock_dev.tx_head = p;
	vsock_dev.tx_tail = p;
	vsock_dev.tx_bytes += (uint32_t)sizeof(*h) + n;
	vsock_poke();
}

/*
 * Queues a header without payload (control packets: RESPONSE, RST, SHUTDOWN,
 * CREDIT_*). Senders of data stop at VS_TX_BUDGET; headers may take as much again,
 * beyond which a device that stopped taking packets loses them (counted, said once).
 */
static void vs_queue(const struct virtio_vsock_hdr *h)
{
	struct vs_pkt *p = NULL;

	if (vsock_dev.tx_bytes < 2 * VS_TX_BUDGET)
		p = malloc(sizeof(*p));
	if (!p) {
		if (vsock_dev.dropped++ == 0)
			printk("vsock: a control packet was dropped (out of memory, or "
			       "the device takes none)\n");
		return;
	}
	p->len = 0;
	vsock_push(p, h);
}

void vsock_emit(const struct vsock_out *o)
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

struct vs_sock *vsock_lookup(uint32_t lport, uint64_t pcid, uint32_t pport)
{
	struct vs_sock *s = vsock_dev.hash[vs_hash(lport, pcid, pport)];

	while (s && (s->c.local_port != lport || s->c.peer_cid != pcid ||
		     s->c.peer_port != pport))
		s = s->hnext;
	return s;
}

void vsock_hash_add(struct vs_sock *s)
{
	struct vs_sock **b =
		&vsock_dev.hash[vs_hash(s->c.local_port, s->c.peer_cid, s->c.peer_port)];

	s->hnext = *b;
	*b = s;
	s->hashed = true;
}

void vsock_hash_del(struct vs_sock *s)
{
	struct vs_sock **pp =
		&vsock_dev.hash[vs_hash(s->c.local_port, s->c.peer_cid, s->c.peer_port)];

	if (!s->hashed)
		return;
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	s->hashed = false;
}

struct vs_sock *vsock_listener(uint32_t port)
{
	for (int i = 0; i < VS_MAX_SOCKS; i++) {
		struct vs_sock *s = vsock_dev.fds[i];

		if (s && s->kind == VS_LISTEN && s->port == port)
			return s;
	}
	return NULL;
}

/*
 * A socket number names a slot and how many times the slot was used, so a number
 * kept after its socket was closed never reaches the socket that took the slot.
 */
int vsock_fd_alloc(struct vs_sock *s)
{
	for (int k = 0; k < VS_MAX_SOCKS; k++) {
		int i = (vsock_dev.fd_hint + k) % VS_MAX_SOCKS;

		if (!vsock_dev.fds[i]) {
			vsock_dev.fd_gen[i] = (vsock_dev.fd_gen[i] + 1) % VS_FD_GENS;
			vsock_dev.fds[i] = s;
			vsock_dev.fd_hint = i + 1;
			s->fd = (int)(vsock_dev.fd_gen[i] * VS_MAX_SOCKS) + i + 1;
			return s->fd;
		}
	}
	return -EMFILE;
}

int vsock_slot(int fd)
{
	return (fd - 1) % VS_MAX_SOCKS;
}

struct vs_sock *vsock_get(int fd)
{
	struct vs_sock *s = fd >= 1 ? vsock_dev.fds[vsock_slot(fd)] : NULL;

	return s && s->fd == fd ? s : NULL;
}

struct vs_sock *vsock_stream_new(uint32_t lport, uint64_t pcid, uint32_t pport)
{
	struct vs_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = VS_STREAM;
	vsock_conn_init(&s->c, vsock_dev.cid, lport, pcid, pport, VS_BUF_ALLOC);
	return s;
}

void vsock_free(struct vs_sock *s)
{
	vsock_hash_del(s);
	free(s->rx);
	free(s);
}

/* The connection ended (CLOSED). Frees it if the application let go of it. */
static void vs_ended(struct vs_sock *s)
{
	vsock_hash_del(s);
	if (s->fd == 0 && !s->closing && !s->queued)
		vsock_free(s);
}

/* Applies the events of one state machine call to s. Lock held. */
void vsock_apply(struct vs_sock *s, const struct vsock_out *o)
{
	if (o->events & VSOCK_EV_REFUSED)
		s->err = -ECONNREFUSED;
	else if (o->events & VSOCK_EV_RESET)
		s->err = -ECONNRESET;
	if (o->events)
		vsock_wake(&s->waiters);
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
	struct vs_sock *l = vsock_listener(h->dst_port), *s;
	struct virtio_vsock_hdr rst;
	struct vsock_out o;

	if (!l || l->nqueued >= l->backlog ||
	    !(s = vsock_stream_new(h->dst_port, h->src_cid, h->src_port))) {
		if (vsock_reply_rst(h, &rst) == 0)
			vs_queue(&rst);
		return;
	}
	if (vsock_conn_accept(&s->c, h, &o)) {
		vsock_emit(&o);
		vsock_free(s);
		return;
	}
	vsock_emit(&o);
	vsock_hash_add(s);
	if (l->acc_tail)
		l->acc_tail->qnext = s;
	else
		l->acc_head = s;
	l->acc_tail = s;
	s->queued = true;
	l->nqueued++;
	vsock_wake(&l->waiters);
}

/* One packet from the host: header h, then h->len payload bytes at p. */
static void vs_rx_packet(const struct virtio_vsock_hdr *h, const uint8_t *p)
{
	struct virtio_vsock_hdr rst;
	struct vsock_out o;
	struct vs_sock *s;

	if (h->dst_cid != vsock_dev.cid) {
		vsock_dev.dropped++;
		return;
	}
	s = vsock_lookup(h->dst_port, h->src_cid, h->src_port);
	if (!s) {
		if (h->op == VIRTIO_VSOCK_OP_REQUEST)
			vs_rx_request(h);
		else if (vsock_reply_rst(h, &rst) == 0)
			vs_queue(&rst);
		return;
	}
	vsock_conn_recv(&s->c, h, &o);
	vsock_emit(&o);
	if (o.rx_len && !s->rx && !(s->rx = malloc(VS_BUF_ALLOC))) {
		vsock_conn_reset(&s->c, &o); /* no memory for what we promised */
		vsock_emit(&o);
	} else if (o.rx_len) {
		vs_rx_copy(s, p, o.rx_len);
	}
	vsock_apply(s, &o);
}

/* ---- the service thread ---------------------------------------------------------- */

static int vs_post_rx(int i)
{
	struct virtq_buf b = { vsock_dev.rxbuf[i], VS_RX_BUF };

	return virtq_add(&vsock_dev.dev->queues[VIRTIO_VSOCK_VQ_RX], NULL, 0, &b, 1,
			 (void *)(uintptr_t)(i + 1));
}

static int vs_post_event(int i)
{
	struct virtq_buf b = { &vsock_dev.evbuf[i], sizeof(vsock_dev.evbuf[i]) };

	return virtq_add(&vsock_dev.dev->queues[VIRTIO_VSOCK_VQ_EVENT], NULL, 0, &b, 1,
			 (void *)(uintptr_t)(i + 1));
}

static void vs_service_rx(void)
{
	struct virtq *q = &vsock_dev.dev->queues[VIRTIO_VSOCK_VQ_RX];
	struct virtio_vsock_hdr h;
	uint32_t len;
	void *token;
	bool any = false;

	while ((token = virtq_get_used(q, &len))) {
		int i = (int)(uintptr_t)token - 1;

		/* The length and the header are the host's word: check both. */
		if (len >= sizeof(h)) {
			memcpy(&h, vsock_dev.rxbuf[i], sizeof(h));
			if (h.len <= len - sizeof(h))
				vs_rx_packet(&h, vsock_dev.rxbuf[i] + sizeof(h));
			else
				vsock_dev.dropped++;
		} else {
			vsock_dev.dropped++;
		}
		vs_post_rx(i);
		any = true;
	}
	if (any)
		virtio_kick(vsock_dev.dev, VIRTIO_VSOCK_VQ_RX);
}

/* 5.10.6.6: every connection is gone; the CID may have changed. */
static void vs_transport_reset(void)
{
	struct vsock_out o;

	for (int b = 0; b < VS_HASH; b++)
		while (vsock_dev.hash[b]) {
			struct vs_sock *s = vsock_dev.hash[b];

			vsock_hash_del(s); /* first: vsock_apply may free it */
			vsock_conn_transport_reset(&s->c, &o);
			vsock_apply(s, &o);
		}
	virtio_config_read(vsock_dev.dev, 0, &vsock_dev.cid, sizeof(vsock_dev.cid));
	printk("vsock: transport reset, CID %llu\n", (unsigned long long)vsock_dev.cid);
}

static void vs_service_events(void)
{
	struct virtq *q = &vsock_dev.dev->queues[VIRTIO_VSOCK_VQ_EVENT];
	uint32_t len;
	void *token;
	bool any = false;

	while ((token = virtq_get_used(q, &len))) {
		int i = (int)(uintptr_t)token - 1;

		if (len >= sizeof(vsock_dev.evbuf[i]) &&
		    vsock_dev.evbuf[i].id == VIRTIO_VSOCK_EVENT_TRANSPORT_RESET)
			vs_transport_reset();
		vs_post_event(i);
		any = true;
	}
	if (any)
		virtio_kick(vsock_dev.dev, VIRTIO_VSOCK_VQ_EVENT);
}

static void vs_service_tx(void)
{
	struct virtq *q = &vsock_dev.dev->queues[VIRTIO_VSOCK_VQ_TX];
	struct vs_pkt *p;
	bool freed = false, added = false;

	while ((p = virtq_get_used(q, NULL))) {
		vsock_dev.tx_bytes -= (uint32_t)sizeof(p->hdr) + p->len;
		free(p);
		freed = true;
	}
	while ((p = vsock_dev.tx_head)) {
		struct virtq_buf b = { &p->hdr, (uint32_t)sizeof(p->hdr) + p->len };

		if (virtq_add(q, &b, 1, NULL, 0, p))
			break; /* full: the next completion makes room */
		vsock_dev.tx_head = p->next;
		if (!vsock_dev.tx_head)
			vsock_dev.tx_tail = NULL;
		added = true;
	}
	if (added)
		virtio_kick(vsock_dev.dev, VIRTIO_VSOCK_VQ_TX);
	if (freed)
		vsock_wake(&vsock_dev.tx_waiters);
}

/* Resets closes the peer never acknowledged; returns the next deadline (0: none). */
static uint64_t vs_service_closing(void)
{
	uint64_t now = rdtsc(), next = 0;
	struct vs_sock **pp = &vsock_dev.closing;
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
			vsock_emit(&o);
		}
		vsock_free(s);
	}
	return next;
}

static bool vs_broken(void)
{
	struct virtq *q = vsock_dev.dev->queues;

	return vsock_dev.dev->broken || virtq_is_broken(&q[VIRTIO_VSOCK_VQ_RX]) ||
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

	if (!vsock_dev.dev->broken)
		virtio_mark_broken(vsock_dev.dev, "a vsock queue broke");
	for (int b = 0; b < VS_HASH; b++)
		while (vsock_dev.hash[b]) {
			struct vs_sock *s = vsock_dev.hash[b];

			bool kept = s->fd || s->closing || s->queued;

			vsock_hash_del(s);
			vsock_conn_transport_reset(&s->c, &o);
			vsock_apply(s, &o); /* frees it if nobody holds it */
			if (kept)
				s->err = -EIO;
		}
	for (int i = 0; i < VS_MAX_SOCKS; i++)
		if (vsock_dev.fds[i])
			vsock_wake(&vsock_dev.fds[i]->waiters);
	while ((p = vsock_dev.tx_head)) {
		vsock_dev.tx_head = p->next;
		free(p);
	}
	vsock_dev.tx_tail = NULL;
	vsock_wake(&vsock_dev.tx_waiters);
}

static int vs_service(void *arg)
{
	(void)arg;
	atomic_store(&vsock_dev.svc, sched_current());
	for (;;) {
		bool on = vsock_lock();

		atomic_store(&vsock_dev.work, 0);
		vs_service_rx();
		vs_service_events();
		vs_service_tx();
		uint64_t deadline = vs_service_closing();
		bool broken = vs_broken();

		if (broken)
			vs_fail();
		vsock_release();
		/* Interrupts off: a poke or an interrupt cannot fall between. A broken
		 * device has nothing more to say: wait for ever (spurious wakes too). */
		while (broken || !atomic_load(&vsock_dev.work))
			if (!sched_wait(NULL, broken ? 0 : deadline))
				break;
		irq_restore(on);
	}
	return 0;
}

/* Checks the device and starts the service thread on the first socket call. */
int vsock_start(void)
{
	int expected = 0;

	if (!vsock_dev.dev)
		return -ENODEV;
	if (vsock_dev.dev->broken)
		return -EIO;
	while (atomic_load(&vsock_dev.started) != 2) {
		expected = 0;
		if (atomic_compare_exchange_strong(&vsock_dev.started, &expected, 1)) {
			int id = toro_thread_create(vs_service, NULL, vsock_dev.dev->cpu,
						    0);

			if (id < 0) {
				atomic_store(&vsock_dev.started, 0);
				return id;
			}
			toro_thread_detach(id);
			atomic_store(&vsock_dev.started, 2);
			return 0;
		}
		toro_yield(); /* another thread is starting it */
	}
	return 0;
}

/* ---- the device ------------------------------------------------------------------ */

static void vs_interrupt(struct virtio_dev *d, uint32_t status)
{
	struct thread *svc = atomic_load(&vsock_dev.svc);

	(void)d;
	if (!(status & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)))
		return;
	atomic_store(&vsock_dev.work, 1);
	if (svc)
		sched_wake_thread(svc);
}

static bool vs_busy(struct virtio_dev *d)
{
	(void)d;
	return atomic_load(&vsock_dev.started) != 0;
}

static int vs_probe(struct virtio_dev *d)
{
	int r;

	if (vsock_dev.dev) {
		printk("virtio: a second vsock device at %#llx, ignored\n",
		       (unsigned long long)d->base);
		return -EBUSY;
	}
	r = virtio_negotiate(d, 0);
	for (unsigned q = 0; r == 0 && q < 3; q++)
		r = virtio_queue_setup(d, q, VS_QUEUE_MAX);
	if (r)
		return r;
	vsock_dev.dev = d;
	d->priv = &vsock_dev;
	virtio_config_read(d, 0, &vsock_dev.cid, sizeof(vsock_dev.cid));
	uint32_t nrx = d->queues[VIRTIO_VSOCK_VQ_RX].num;

	for (uint32_t i = 0; r == 0 && i < nrx; i++)
		r = (vsock_dev.rxbuf[i] = kmem_pages_alloc(VS_RX_BUF_PAGES)) ?
			    vs_post_rx((int)i) :
			    -ENOMEM;
	vsock_dev.evbuf = kmem_pages_alloc(1);
	for (int i = 0; r == 0 && i < VS_EVENT_BUFS; i++)
		r = vsock_dev.evbuf ? vs_post_event(i) : -ENOMEM;
	if (r == 0)
		r = virtio_driver_ok(d);
	if (r) {
		vsock_dev.dev = NULL;
		return r;
	}
	virtio_kick(d, VIRTIO_VSOCK_VQ_RX);
	virtio_kick(d, VIRTIO_VSOCK_VQ_EVENT);
	printk("vsock: CID %llu\n", (unsigned long long)vsock_dev.cid);
	return 0;
}

VIRTIO_DRIVER(vsock_driver) = {
	.device_id = VIRTIO_ID_VSOCK,
	.name = "vsock",
	.probe = vs_probe,
	.interrupt = vs_interrupt,
	.busy = vs_busy,
};
