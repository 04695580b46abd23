/* SPDX-License-Identifier: MIT */
/*
 * What the virtio-vsock driver (drivers/virtio/vsock.c) shares with the socket
 * calls built on it (net/vsock.c): the sockets, the lock over them, the waiting
 * and waking under that lock, and the packets queued for the device. Private to
 * those two files; applications use toro.h.
 */
#ifndef DRIVERS_VIRTIO_VSOCK_H
#define DRIVERS_VIRTIO_VSOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "lib/vsock_conn.h"
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

/* The driver's state: one device. */
struct vsock_driver_state {
	struct virtio_dev *dev; /* the device, NULL if there is none */
	struct spinlock lock; /* everything below */
	uint64_t cid; /* our CID, from the configuration */
	_Atomic int started; /* 0, 1 being started, 2 the service thread exists */
	struct thread *_Atomic svc; /* the service thread */
	_Atomic int work; /* the service thread has something to do */
	struct vs_sock *fds[VS_MAX_SOCKS]; /* socket n is in slot vsock_slot(n) */
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
};
extern struct vsock_driver_state vsock_dev;

/* Locking: the lock is taken with interrupts off; vsock_unlock releases it and
 * sends the wakes and the poke the holder queued (vsock_wake, vsock_poke). */
bool vsock_lock(void);
void vsock_wake(struct vs_waiter **list);
void vsock_poke(void);
void vsock_release(void);
void vsock_unlock(bool on);
bool vsock_sleep(struct vs_waiter *w, struct vs_waiter **lists[], int n,
		 uint64_t deadline);
int vsock_wait(struct vs_waiter **a, struct vs_waiter **b, int64_t timeout,
	       uint64_t deadline);
uint64_t vsock_deadline(int64_t timeout_ns);
void vsock_push(struct vs_pkt *p, const struct virtio_vsock_hdr *h);
void vsock_emit(const struct vsock_out *o);
struct vs_sock *vsock_lookup(uint32_t lport, uint64_t pcid, uint32_t pport);
void vsock_hash_add(struct vs_sock *s);
void vsock_hash_del(struct vs_sock *s);
struct vs_sock *vsock_listener(uint32_t port);
int vsock_fd_alloc(struct vs_sock *s);
int vsock_slot(int fd);
struct vs_sock *vsock_get(int fd);
struct vs_sock *vsock_stream_new(uint32_t lport, uint64_t pcid, uint32_t pport);
void vsock_free(struct vs_sock *s);
void vsock_apply(struct vs_sock *s, const struct vsock_out *o);
int vsock_start(void);

#endif
