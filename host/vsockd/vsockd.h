/* SPDX-License-Identifier: MIT */
/*
 * toro-vsockd: a vhost-user backend for QEMU's vhost-user-vsock-device that ends
 * guest vsock connections on host sockets, Firecracker "hybrid" style.
 *
 * One thread, one epoll loop (main.c). Every fd in the epoll set carries a
 * struct vd_ev saying what it is. The pieces:
 *   main.c    options, start-up, signals, the loop, cleanup;
 *   vhost.c   the vhost-user session: messages, guest memory, rings, kick/call;
 *   pkt.c     the device's packet path: TX queue (guest -> host), RX queue
 *             (host -> guest), event queue;
 *   conn.c    the connection table and each connection's host socket;
 *   listen.c  listening sockets: the hybrid Unix socket, --publish TCP ports, and
 *             the CONNECT line of hybrid clients.
 */
#ifndef HOST_VSOCKD_H
#define HOST_VSOCKD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/vhost_user.h"
#include "lib/vring_walk.h"
#include "lib/vsock_conn.h"
#include "lib/vsock_hybrid.h"
#include "uapi/virtio_vsock.h"

#define VD_NQUEUES 3 /* rx, tx, event (virtio 1.2 section 5.10.2) */
#define VD_BUF_ALLOC (256u * 1024) /* receive buffer offered to the guest per conn */
#define VD_MAX_SEGS 64 /* segments of one chain we look at; more breaks the ring */
#define VD_CTRL_MAX 6 /* queued control headers per connection (see conn.c) */
#define VD_ORPHAN_MAX 4096 /* queued headers of no (more) connection */
#define VD_TIMEOUT_MS 2000 /* connect, CONNECT-line and close timeouts */
#define VD_DRAIN_MS 30000 /* default: time a host reader gets to take owed bytes */
#define VD_MAX_CONNS 4096 /* connections at once; beyond, no accept and RST */
#define VD_ACCEPT_RETRY_MS 1000 /* retry accept after EMFILE/ENFILE at the latest */
#define VD_MAX_PUBLISH 16 /* --publish options */
#define VD_HASH_SIZE 4096 /* connection hash buckets, a power of two */
#define VD_FIRST_LOCAL_PORT (1u << 30) /* host ports we choose, as Firecracker */

/* What an epoll event is about. */
enum vd_ev_kind {
	VD_EV_SIGNAL, /* signalfd: SIGTERM, SIGINT, SIGHUP */
	VD_EV_VHOST_LISTEN, /* --socket listener */
	VD_EV_VHOST, /* the frontend's session socket */
	VD_EV_KICK, /* a ring's kick eventfd; arg = queue index */
	VD_EV_UDS_LISTEN, /* --uds listener */
	VD_EV_TCP_LISTEN, /* a --publish listener; arg = index in vd.pub */
	VD_EV_CONN, /* a connection's host socket; the vd_ev is inside struct vd_conn */
};

struct vd_ev {
	enum vd_ev_kind kind; /* VD_EV_* */
	int fd; /* the fd, -1 when closed */
	uint32_t arg; /* per kind, see above */
};

/* One device ring as the daemon sees it. */
struct vd_vq {
	struct vring vr; /* the walker's state, valid while mapped */
	struct vd_ev kick; /* kick eventfd (kick.fd -1 if none) */
	int call_fd; /* call eventfd, -1 if none */
	uint32_t num; /* SET_VRING_NUM */
	uint64_t desc, avail, used; /* SET_VRING_ADDR, frontend addresses */
	uint16_t base; /* SET_VRING_BASE */
	bool have_num, have_addr; /* those were received */
	bool enabled; /* SET_VRING_ENABLE(1) (or no PROTOCOL_FEATURES) */
	bool mapped; /* vr is set up over the current memory table */
	bool need_call; /* used entries pushed since the last call */
};

struct vd_list {
	struct vd_conn *head, *tail;
};

/* A connection's phase in the daemon (its vsock state is in vc). */
enum vd_phase {
	VD_PH_LINE, /* hybrid client, CONNECT line not read yet; not in the table */
	VD_PH_VSOCK, /* in the table, vsock state machine running */
	VD_PH_DRAIN, /* vsock closed cleanly; flushing buffered bytes to the host */
};

struct vd_conn {
	struct vd_ev ev; /* VD_EV_CONN and the host socket */
	enum vd_phase phase; /* VD_PH_* */
	bool hybrid; /* answer "OK <port>\n" on connect (not for --publish) */
	bool readable; /* host socket may have data or EOF (edge-triggered) */
	bool credit_blocked; /* guest credit exhausted; waiting for WRITABLE */
	bool host_eof; /* host read side ended: SHUTDOWN(SEND) produced */
	bool shut_wr_pending; /* guest said SEND: shut the host write side when flushed */
	bool shut_wr_done; /* shutdown(SHUT_WR) done */
	struct vsock_conn vc; /* local = host (CID 2), peer = guest */
	uint64_t deadline; /* ms (CLOCK_MONOTONIC) while on the deadline list */
	struct vd_conn *hnext; /* hash chain */
	struct vd_conn *rprev, *rnext; /* ready list: wants an RX buffer */
	struct vd_conn *dprev, *dnext; /* deadline list, in deadline order */
	struct vd_conn *aprev, *anext; /* every connection, or the zombie list */
	struct vd_list *dlist; /* the deadline list c is on (deadlines or drains) */
	bool on_ready, on_deadline, in_hash; /* list memberships */
	bool dead; /* freed: closed, on the zombie list until the batch ends */
	struct virtio_vsock_hdr ctrl[VD_CTRL_MAX]; /* headers waiting for RX buffers */
	uint32_t nctrl; /* entries in ctrl */
	uint8_t *buf; /* guest -> host bytes the host socket did not take yet */
	uint32_t bhead, blen; /* ring buffer of VD_BUF_ALLOC bytes: start and length */
};

struct vsockd {
	/* Options. */
	const char *sock_path, *uds_path;
	uint64_t cid; /* guest CID for GET_CONFIG */
	bool verbose;
	bool stats; /* --stats: print each ring's kicks and calls at exit */
	int ready_fd;
	uint32_t drain_ms; /* --drain-timeout, in ms */
	struct vsock_publish pub[VD_MAX_PUBLISH];
	int npub;

	int epfd;
	struct vd_ev sig, vlisten, vsess, uds, tcp[VD_MAX_PUBLISH];
	bool sock_created, uds_created; /* we bound these paths: unlink at exit */
	bool quit; /* leave the loop */
	bool more_work; /* a ring pass stopped at its budget: poll again at once */
	int exit_code;

	/* vhost-user session. */
	bool session_seen; /* a frontend connected once: its end ends the daemon */
	bool broken; /* a ring was broken: nothing runs until rings are set up again */
	uint64_t features, proto; /* acked features and protocol features */
	struct vring_mem mem; /* current memory table */
	uint8_t *maps[VHOST_MEMORY_MAX_NREGIONS]; /* mmap bases */
	size_t map_len[VHOST_MEMORY_MAX_NREGIONS]; /* mmap lengths */
	struct vd_vq q[VD_NQUEUES];
	/* --stats, per ring over the daemon's life: the guest's kicks (eventfd
	 * counts), our wake-ups that read them, the calls (interrupts) we sent. */
	uint64_t kicks[VD_NQUEUES], kick_reads[VD_NQUEUES], calls[VD_NQUEUES];
	uint8_t msg[VHOST_USER_HDR_SIZE + sizeof(union vhost_user_payload)]; /* partial */
	size_t msglen; /* bytes of msg received */
	int fds[VHOST_MEMORY_MAX_NREGIONS]; /* fds received with the message */
	size_t nfds;
	bool too_many_fds; /* more fds than any message has: protocol error */
	bool event_reset_pending; /* send TRANSPORT_RESET when the event queue allows */

	/* Connections. */
	struct vd_conn *hash[VD_HASH_SIZE];
	struct vd_list ready, deadlines, drains, all;
	struct vd_list zombies; /* freed in this batch; free()d after it (see conn.c) */
	uint32_t nconns;
	bool accept_paused; /* listeners out of the epoll set: fd limit or VD_MAX_CONNS */
	bool accept_warned; /* the pause was reported (again once a backlog empties) */
	uint32_t paused_nconns; /* nconns when paused: resume once fewer */
	uint64_t accept_retry_at; /* ms: resume by then anyway (fd limit only) */
	uint32_t next_local_port; /* next host port for host-initiated connections */
	bool port_wrapped; /* next_local_port wrapped: check uniqueness */
	struct virtio_vsock_hdr orphan[VD_ORPHAN_MAX]; /* headers of no connection */
	uint32_t ohead, ocount;
	uint64_t orphans_dropped;
};

extern struct vsockd vd;

/* main.c */
void vd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t vd_now_ms(void);
int vd_epoll_add(struct vd_ev *ev, uint32_t events);
void vd_epoll_del(struct vd_ev *ev);
void vd_epoll_mod(struct vd_ev *ev, uint32_t events);

/* vhost.c */
void vhost_accept(void);
void vhost_readable(void);
void vhost_kick(uint32_t qi);
bool vhost_vq_running(uint32_t qi);
void vhost_break(const char *why);
void vhost_signal_calls(void);
void vhost_close(void);

/* pkt.c */
void pkt_tx_process(void);
void pkt_rx_fill(void);
void pkt_event_reset(void);
size_t pkt_seg_copy(struct vring_seg *segs, uint32_t nseg, size_t off, void *buf,
		    size_t len, bool to_segs);

/* conn.c */
struct vd_conn *conn_new(int fd, enum vd_phase phase);
void conn_free(struct vd_conn *c);
void conn_reap(void);
struct vd_conn *conn_lookup(uint32_t local_port, uint32_t peer_port);
void conn_hash_add(struct vd_conn *c);
void conn_apply(struct vd_conn *c, const struct vsock_out *o);
void conn_ctrl_push(struct vd_conn *c, const struct virtio_vsock_hdr *h);
void conn_update_ready(struct vd_conn *c);
void conn_ready_rotate(struct vd_conn *c);
void conn_deadline_set(struct vd_conn *c);
void conn_deadline_clear(struct vd_conn *c);
void conn_host_event(struct vd_conn *c, uint32_t events);
/* iov[] for len bytes from off in the segments (at most nseg entries); the count. */
struct iovec;
int vd_segs_iov(const struct vring_seg *segs, uint32_t nseg, size_t off, size_t len,
		struct iovec *iov);
bool conn_deliver(struct vd_conn *c, struct vring_seg *segs, uint32_t nseg, size_t off,
		  uint32_t len);
bool conn_can_send(const struct vd_conn *c);
void conn_drop_all(void);
void conn_timeouts(uint64_t now);
int conn_next_timeout(uint64_t now);
void orphan_push(const struct virtio_vsock_hdr *h);
bool orphan_pop(struct virtio_vsock_hdr *h);

/* listen.c */
int listen_unix(const char *path, bool *created);
int listen_tcp(const struct vsock_publish *p);
void listen_uds_accept(void);
void listen_tcp_accept(uint32_t i);
void listen_line(struct vd_conn *c);
void listen_connect_guest(struct vd_conn *c, uint32_t guest_port);
void listen_guest_request(const struct virtio_vsock_hdr *h);
void listen_resume_check(uint64_t now);
int listen_next_timeout(uint64_t now);

#endif
