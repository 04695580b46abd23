/* SPDX-License-Identifier: MIT */
/*
 * vsock-peer: plays QEMU and a guest for toro-vsockd, so the daemon can be tested
 * and benchmarked without a VM.
 *
 *   vsock-peer --socket SOCK [--mem MiB] [--misbehave MODE [--uds PATH]]
 *
 * As a vhost-user frontend it negotiates with the daemon on SOCK, shares a memfd
 * as "guest memory" (gpa 0, userspace_addr = our own mapping), and lays out the
 * three split rings in it with the driver-side ring code of lib/virtq.c. As the
 * guest it runs lib/vsock_conn and serves the ports the Toro bench image serves:
 *   7   echo: every byte comes back; after the peer's EOF, the rest, then close;
 *   9   discard: counts bytes until EOF, then sends "<count>\n" and closes;
 *   19  source: reads "<N>\n", sends N bytes (byte i = i & 0xff), closes.
 * It offers 256 KiB of receive buffer per connection and returns credit as the
 * services consume bytes (echo: only once echoed). Exits 0 when the daemon closes
 * the socket or on SIGTERM/SIGINT.
 *
 * --misbehave MODE plays a hostile or unusual frontend/guest once, checks what a
 * correct daemon must do (exit 1 with a message if it does not), then serves as
 * usual, so a test can check the daemon still works afterwards:
 *   reset-owner-under-load  (needs --uds) opens 50 echo connections, stops the
 *           daemon (SIGSTOP), sends RESET_OWNER and data on every connection,
 *           continues it: all of it lands in one epoll batch; then sets up again;
 *   zero-region-table  SET_MEM_TABLE with no regions, then the real table again:
 *           the rings must stop over the missing memory and resume after;
 *   short-region  a region larger than its memfd and a TX packet past the end of
 *           the file, then RESET_OWNER and set-up again;
 *   late-mem-table  configures the rings before the memory table;
 *   header-only-rx  every other RX buffer has room for a header only;
 *   nonstream-flood  after accepting a port 7 connection, sends 1000 packets of
 *           another socket type on its ports;
 *   refill-tx  keeps the TX ring full for 2 s (re-publishing one dropped packet)
 *           and requires vhost-user replies within a second meanwhile;
 *   bad-vring-index  GET_VRING_BASE for ring 5: requires a reply or the end of
 *           the session within 2 s (then exits 0 at once);
 *   nofd-kick  SET_VRING_KICK without an fd must be refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/virtq.h"
#include "lib/vsock_conn.h"
#include "uapi/vhost_user.h"
#include "uapi/virtio_vsock.h"

#define QSZ 256 /* entries per ring */
#define PKT_MAX (sizeof(struct virtio_vsock_hdr) + VSOCK_MAX_PKT)
#define NRX 64 /* RX buffers of PKT_MAX bytes */
#define NTX 128 /* TX slots of PKT_MAX bytes */
#define RING_AREA (64u * 1024) /* three rings at 16 KiB each, at gpa 0 */
#define BUF_ALLOC (256u * 1024) /* receive buffer we offer per connection */
#define NCTRL 16384 /* control headers waiting for a TX slot */
#define NHASH 1024
#define NHOSTILE 50 /* reset-owner-under-load: host connections */
#define NFLOOD 1000 /* nonstream-flood: packets per connection */

enum mode {
	M_NONE,
	M_RESET_OWNER,
	M_ZERO_REGIONS,
	M_SHORT_REGION,
	M_LATE_MEM,
	M_HDR_ONLY_RX,
	M_NONSTREAM,
	M_REFILL_TX,
	M_BAD_INDEX,
	M_NOFD_KICK,
};

static const char *const mode_names[] = {
	[M_RESET_OWNER] = "reset-owner-under-load",
	[M_ZERO_REGIONS] = "zero-region-table",
	[M_SHORT_REGION] = "short-region",
	[M_LATE_MEM] = "late-mem-table",
	[M_HDR_ONLY_RX] = "header-only-rx",
	[M_NONSTREAM] = "nonstream-flood",
	[M_REFILL_TX] = "refill-tx",
	[M_BAD_INDEX] = "bad-vring-index",
	[M_NOFD_KICK] = "nofd-kick",
};

struct pconn {
	struct vsock_conn vc;
	struct pconn *next; /* hash chain */
	uint8_t *ebuf; /* echo ring of BUF_ALLOC bytes */
	uint32_t ehead, elen;
	bool eof; /* the host sent SHUTDOWN(SEND) */
	bool closed; /* we called vsock_conn_close */
	uint64_t count; /* discard: bytes received */
	char line[32]; /* source: the request line */
	uint32_t linelen;
	uint64_t src_total, src_sent; /* source: bytes to send, sent */
	bool src_go;
	char reply[24]; /* discard: the count line */
	uint32_t rlen, roff;
};

static enum mode mode;
static uint8_t *mem;
static size_t memsz;
static int memfd = -1; /* the guest memory, kept for later memory tables */
static int vsock; /* vhost-user socket */
static struct virtq vq[3];
static struct virtq_desc_state vqst[3][QSZ];
static int kickfd[3] = { -1, -1, -1 }, callfd[3] = { -1, -1, -1 };
static uint64_t cid = 3;
static uint8_t *txslot[NTX];
static int txfree[NTX], ntxfree;
static struct virtio_vsock_hdr ctrlq[NCTRL];
static uint32_t chead, ccount;
static struct pconn *hash[NHASH];
static volatile sig_atomic_t stop;

static void die(const char *what)
{
	fprintf(stderr, "vsock-peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A check of --misbehave failed: the daemon did not do what it must. */
static void fail(const char *what)
{
	fprintf(stderr, "vsock-peer: %s: %s\n", mode_names[mode], what);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t to_gpa(void *ctx, const void *va)
{
	(void)ctx;
	return (uint64_t)((const uint8_t *)va - mem);
}

/* ---- vhost-user frontend ---- */

static void vu_send(uint32_t req, uint32_t flags, const void *p, uint32_t len,
		    const int *fds, int nfds)
{
	uint8_t buf[VHOST_USER_HDR_SIZE + sizeof(union vhost_user_payload)];
	struct vhost_user_hdr h = { req, VHOST_USER_VERSION | flags, len };
	struct iovec iov = { buf, VHOST_USER_HDR_SIZE + len };
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 8)];
	} cb;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + VHOST_USER_HDR_SIZE, p, len);
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(vsock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		die("vhost-user send");
}

static void vu_recv(uint32_t req, void *p, uint32_t len)
{
	struct vhost_user_hdr h;

	if (recv(vsock, &h, sizeof(h), MSG_WAITALL) != sizeof(h) || h.request != req ||
	    !(h.flags & VHOST_USER_REPLY_MASK) || h.size != len ||
	    recv(vsock, p, len, MSG_WAITALL) != (ssize_t)len) {
		fprintf(stderr, "vsock-peer: bad reply to request %u\n", req);
		exit(1);
	}
}

static uint64_t vu_get_u64(uint32_t req)
{
	uint64_t v;

	vu_send(req, 0, NULL, 0, NULL, 0);
	vu_recv(req, &v, sizeof(v));
	return v;
}

/* A request with NEED_REPLY: the daemon must ack it with 0. */
static void vu_acked(uint32_t req, const void *p, uint32_t len, const int *fds, int nfds)
{
	uint64_t ack;

	vu_send(req, VHOST_USER_NEED_REPLY_MASK, p, len, fds, nfds);
	vu_recv(req, &ack, sizeof(ack));
	if (ack != 0) {
		fprintf(stderr, "vsock-peer: request %u failed\n", req);
		exit(1);
	}
}

/* SET_MEM_TABLE of our memfd, declared `size` bytes long (0: no regions). */
static uint64_t mem_table(uint64_t size)
{
	struct vhost_user_mem_table mt = { .nregions = size ? 1 : 0 };
	uint64_t ack;

	mt.regions[0].guest_phys_addr = 0;
	mt.regions[0].memory_size = size;
	mt.regions[0].userspace_addr = (uint64_t)(uintptr_t)mem;
	mt.regions[0].mmap_offset = 0;
	vu_send(VHOST_USER_SET_MEM_TABLE, VHOST_USER_NEED_REPLY_MASK, &mt,
		8 + mt.nregions * (uint32_t)sizeof(mt.regions[0]), &memfd, size ? 1 : 0);
	vu_recv(VHOST_USER_SET_MEM_TABLE, &ack, sizeof(ack));
	return ack;
}

static void setup_rings(void)
{
	for (uint32_t i = 0; i < 3; i++) {
		struct virtq_config qc = { .num = QSZ,
					   .state = vqst[i],
					   .to_dma = to_gpa };
		uint8_t *base = mem + i * 16384u;
		struct vhost_vring_state st = { i, QSZ };
		struct vhost_vring_addr a = { .index = i };
		uint64_t idx = i;

		memset(base, 0, 16384);
		if (virtq_init(&vq[i], &qc, base, base + 4096, base + 8192) < 0) {
			fprintf(stderr, "vsock-peer: virtq_init\n");
			exit(1);
		}
		if (kickfd[i] >= 0)
			close(kickfd[i]);
		if (callfd[i] >= 0)
			close(callfd[i]);
		kickfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		callfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (kickfd[i] < 0 || callfd[i] < 0)
			die("eventfd");
		vu_send(VHOST_USER_SET_VRING_NUM, 0, &st, sizeof(st), NULL, 0);
		st.num = 0;
		vu_send(VHOST_USER_SET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
		a.desc_user_addr = (uint64_t)(uintptr_t)base;
		a.avail_user_addr = (uint64_t)(uintptr_t)(base + 4096);
		a.used_user_addr = (uint64_t)(uintptr_t)(base + 8192);
		vu_send(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
		vu_send(VHOST_USER_SET_VRING_KICK, 0, &idx, sizeof(idx), &kickfd[i], 1);
		vu_send(VHOST_USER_SET_VRING_CALL, 0, &idx, sizeof(idx), &callfd[i], 1);
	}
}

/* The session as QEMU sets it up (late: rings before the memory table). */
static void setup(bool late)
{
	struct vhost_user_config cfg = { .offset = 0, .size = 8 };
	uint64_t feat, proto;

	feat = vu_get_u64(VHOST_USER_GET_FEATURES);
	if (!(feat & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)) ||
	    !(feat & (1ull << VIRTIO_F_VERSION_1))) {
		fprintf(stderr, "vsock-peer: daemon lacks required features\n");
		exit(1);
	}
	vu_send(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	proto = vu_get_u64(VHOST_USER_GET_PROTOCOL_FEATURES);
	proto &= (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		 (1ull << VHOST_USER_PROTOCOL_F_MQ) |
		 (1ull << VHOST_USER_PROTOCOL_F_CONFIG);
	vu_send(VHOST_USER_SET_PROTOCOL_FEATURES, 0, &proto, sizeof(proto), NULL, 0);
	if (vu_get_u64(VHOST_USER_GET_QUEUE_NUM) < 3) {
		fprintf(stderr, "vsock-peer: fewer than 3 queues\n");
		exit(1);
	}
	vu_send(VHOST_USER_GET_CONFIG, 0, &cfg, VHOST_USER_CONFIG_HDR_SIZE + 8, NULL, 0);
	vu_recv(VHOST_USER_GET_CONFIG, &cfg, VHOST_USER_CONFIG_HDR_SIZE + 8);
	memcpy(&cid, cfg.payload, sizeof(cid));
	feat = (1ull << VHOST_USER_F_PROTOCOL_FEATURES) | (1ull << VIRTIO_F_VERSION_1);
	vu_send(VHOST_USER_SET_FEATURES, 0, &feat, sizeof(feat), NULL, 0);
	if (late)
		setup_rings();
	if (mem_table(memsz) != 0) {
		fprintf(stderr, "vsock-peer: SET_MEM_TABLE failed\n");
		exit(1);
	}
	if (!late)
		setup_rings();
	for (uint32_t i = 0; i < 3; i++) {
		struct vhost_vring_state st = { i, 1 };

		vu_acked(VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0);
	}
}

/* ---- the guest's vsock stack ---- */

static void kick(int q)
{
	uint64_t one = 1;

	if (virtq_kick_needed(&vq[q]) && write(kickfd[q], &one, sizeof(one)) < 0)
		die("kick");
}

static void ctrl_push(const struct vsock_out *o)
{
	if (!o->send)
		return;
	if (ccount == NCTRL) {
		fprintf(stderr, "vsock-peer: control queue overflow\n");
		exit(1);
	}
	ctrlq[(chead + ccount++) % NCTRL] = o->pkt;
}

/* Puts header h (+ n payload bytes already in the slot) on the TX ring. */
static bool tx_put(const struct virtio_vsock_hdr *h, const void *data, uint32_t n)
{
	struct virtq_buf b;
	uint8_t *slot;

	if (!ntxfree)
		return false;
	slot = txslot[txfree[--ntxfree]];
	memcpy(slot, h, sizeof(*h));
	if (n && data)
		memcpy(slot + sizeof(*h), data, n);
	b.addr = slot;
	b.len = (uint32_t)sizeof(*h) + n;
	if (virtq_add(&vq[VIRTIO_VSOCK_VQ_TX], &b, 1, NULL, 0, slot) < 0) {
		fprintf(stderr, "vsock-peer: TX ring full\n");
		exit(1);
	}
	return true;
}

static uint32_t hkey(uint32_t l, uint32_t p)
{
	return (l * 31u + p * 2654435761u) % NHASH;
}

static struct pconn *lookup(uint32_t l, uint32_t p)
{
	struct pconn *c = hash[hkey(l, p)];

	while (c && (c->vc.local_port != l || c->vc.peer_port != p))
		c = c->next;
	return c;
}

static void pconn_free(struct pconn *c)
{
	struct pconn **pp = &hash[hkey(c->vc.local_port, c->vc.peer_port)];

	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	free(c->ebuf);
	free(c);
}

/* Payload bytes arrived for c. */
static void app_data(struct pconn *c, const uint8_t *p, uint32_t n)
{
	struct vsock_out o;

	if (c->vc.local_port == 7) {
		/* Credit bounds elen + n by BUF_ALLOC; consumed only once echoed. */
		for (uint32_t i = 0; i < n; i++)
			c->ebuf[(c->ehead + c->elen + i) % BUF_ALLOC] = p[i];
		c->elen += n;
		return;
	}
	if (c->vc.local_port == 9) {
		c->count += n;
	} else {
		for (uint32_t i = 0; i < n && !c->src_go; i++) {
			if (p[i] == '\n') {
				c->line[c->linelen] = '\0';
				c->src_total = strtoull(c->line, NULL, 10);
				c->src_go = true;
			} else if (c->linelen < sizeof(c->line) - 1) {
				c->line[c->linelen++] = (char)p[i];
			}
		}
	}
	if (vsock_conn_consumed(&c->vc, n, &o) == 0)
		ctrl_push(&o);
}

static void app_eof(struct pconn *c)
{
	c->eof = true;
	if (c->vc.local_port == 9 && !c->rlen)
		c->rlen = (uint32_t)snprintf(c->reply, sizeof(c->reply), "%llu\n",
					     (unsigned long long)c->count);
}

static void handle_rx(const uint8_t *buf, uint32_t len)
{
	struct virtio_vsock_hdr h;
	struct vsock_out o;
	struct pconn *c;

	if (len < sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	if (h.dst_cid != cid || h.len > len - sizeof(h))
		return;
	c = lookup(h.dst_port, h.src_port);
	if (!c) {
		bool svc = h.dst_port == 7 || h.dst_port == 9 || h.dst_port == 19;

		if (h.op == VIRTIO_VSOCK_OP_REQUEST && svc) {
			c = calloc(1, sizeof(*c));
			if (!c || (h.dst_port == 7 && !(c->ebuf = malloc(BUF_ALLOC))))
				die("malloc");
			vsock_conn_init(&c->vc, cid, h.dst_port, h.src_cid, h.src_port,
					BUF_ALLOC);
			if (vsock_conn_accept(&c->vc, &h, &o) < 0) {
				ctrl_push(&o);
				free(c->ebuf);
				free(c);
				return;
			}
			c->next = hash[hkey(h.dst_port, h.src_port)];
			hash[hkey(h.dst_port, h.src_port)] = c;
			ctrl_push(&o);
			if (mode == M_NONSTREAM && h.dst_port == 7) {
				/* The same ports, another socket type: each gets an RST. */
				o.pkt.type = 2; /* VIRTIO_VSOCK_TYPE_SEQPACKET */
				o.pkt.op = VIRTIO_VSOCK_OP_CREDIT_REQUEST;
				for (int i = 0; i < NFLOOD; i++)
					ctrl_push(&o);
			}
		} else if (vsock_reply_rst(&h, &o.pkt) == 0) {
			o.send = true;
			ctrl_push(&o);
		}
		return;
	}
	vsock_conn_recv(&c->vc, &h, &o);
	ctrl_push(&o);
	if (o.rx_len)
		app_data(c, buf + sizeof(h), o.rx_len);
	if ((o.events & VSOCK_EV_PEER_SHUT) &&
	    (c->vc.peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND))
		app_eof(c);
	if (o.events & VSOCK_EV_CLOSED)
		pconn_free(c);
}

/* Sends what c has to send while slots and credit last; closes when done. */
static void app_output(struct pconn *c)
{
	struct vsock_out o;
	bool done = false;

	while (!c->closed && ntxfree) {
		uint32_t n, space = vsock_conn_tx_space(&c->vc);
		uint8_t *slot;

		if (c->vc.local_port == 7) {
			if (!c->elen) {
				done = c->eof;
				break;
			}
			n = c->elen < VSOCK_MAX_PKT ? c->elen : VSOCK_MAX_PKT;
			if (n > BUF_ALLOC - c->ehead)
				n = BUF_ALLOC - c->ehead;
		} else if (c->vc.local_port == 9) {
			if (!c->rlen) {
				break;
			}
			n = c->rlen - c->roff;
			if (n == 0) {
				done = true;
				break;
			}
		} else {
			if (!c->src_go) {
				done = c->eof;
				break;
			}
			if (c->src_sent == c->src_total) {
				done = true;
				break;
			}
			n = c->src_total - c->src_sent < VSOCK_MAX_PKT ?
				    (uint32_t)(c->src_total - c->src_sent) :
				    VSOCK_MAX_PKT;
		}
		if (n > space)
			n = space;
		if (vsock_conn_send(&c->vc, n ? n : 1, &o) < 0) {
			ctrl_push(&o); /* maybe a CREDIT_REQUEST */
			return;
		}
		slot = txslot[txfree[ntxfree - 1]] + sizeof(struct virtio_vsock_hdr);
		if (c->vc.local_port == 7) {
			memcpy(slot, c->ebuf + c->ehead, n);
			c->ehead = (c->ehead + n) % BUF_ALLOC;
			c->elen -= n;
		} else if (c->vc.local_port == 9) {
			memcpy(slot, c->reply + c->roff, n);
			c->roff += n;
		} else {
			for (uint32_t i = 0; i < n; i++)
				slot[i] = (uint8_t)(c->src_sent + i);
			c->src_sent += n;
		}
		tx_put(&o.pkt, NULL, n);
		if (c->vc.local_port == 7) {
			if (vsock_conn_consumed(&c->vc, n, &o) == 0)
				ctrl_push(&o);
		}
	}
	if (done && !c->closed) {
		c->closed = true;
		vsock_conn_close(&c->vc, &o);
		ctrl_push(&o);
	}
}

/* RX buffer i: header-only-rx makes every other one 44 bytes. */
static struct virtq_buf rx_buf(size_t i)
{
	struct virtq_buf b = { mem + RING_AREA + i * PKT_MAX, PKT_MAX };

	if (mode == M_HDR_ONLY_RX && i % 2 == 0)
		b.len = sizeof(struct virtio_vsock_hdr);
	return b;
}

static void pump(void)
{
	uint32_t len;
	void *tok;
	bool rx_reposted = false;

	while ((tok = virtq_get_used(&vq[VIRTIO_VSOCK_VQ_RX], &len))) {
		struct virtq_buf b =
			rx_buf((size_t)((uint8_t *)tok - mem - RING_AREA) / PKT_MAX);

		handle_rx(tok, len);
		virtq_add(&vq[VIRTIO_VSOCK_VQ_RX], NULL, 0, &b, 1, tok);
		rx_reposted = true;
	}
	while ((tok = virtq_get_used(&vq[VIRTIO_VSOCK_VQ_TX], &len)))
		txfree[ntxfree++] = (int)(((uint8_t *)tok - txslot[0]) / PKT_MAX);
	while (ccount && ntxfree) {
		tx_put(&ctrlq[chead], NULL, 0);
		chead = (chead + 1) % NCTRL;
		ccount--;
	}
	for (uint32_t i = 0; i < NHASH && !ccount; i++) {
		for (struct pconn *c = hash[i], *next; c; c = next) {
			next = c->next;
			app_output(c);
		}
	}
	while (ccount && ntxfree) {
		tx_put(&ctrlq[chead], NULL, 0);
		chead = (chead + 1) % NCTRL;
		ccount--;
	}
	if (rx_reposted)
		kick(VIRTIO_VSOCK_VQ_RX);
	kick(VIRTIO_VSOCK_VQ_TX);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Forgets every connection and posts fresh buffers on freshly set-up rings. */
static void guest_start(void)
{
	for (uint32_t i = 0; i < NHASH; i++)
		while (hash[i])
			pconn_free(hash[i]);
	chead = ccount = 0;
	ntxfree = 0;
	for (int i = 0; i < NRX; i++) {
		struct virtq_buf b = rx_buf((size_t)i);

		virtq_add(&vq[VIRTIO_VSOCK_VQ_RX], NULL, 0, &b, 1, (void *)b.addr);
	}
	for (int i = 0; i < NTX; i++) {
		txslot[i] = mem + RING_AREA + (size_t)(NRX + i) * PKT_MAX;
		txfree[ntxfree++] = NTX - 1 - i;
	}
	kick(VIRTIO_VSOCK_VQ_RX);
}

/* The daemon forgets the session; we set it up again from scratch. */
static void restart(void)
{
	vu_send(VHOST_USER_RESET_OWNER, 0, NULL, 0, NULL, 0);
	setup(false);
	guest_start();
}

/* One round of the guest: wait up to ms for the daemon, then pump. */
static bool serve_once(int ms)
{
	struct pollfd p[3] = { { vsock, POLLIN, 0 },
			       { callfd[VIRTIO_VSOCK_VQ_RX], POLLIN, 0 },
			       { callfd[VIRTIO_VSOCK_VQ_TX], POLLIN, 0 } };
	uint64_t v;
	char c;

	if (poll(p, 3, ms) < 0) {
		if (errno == EINTR)
			return true;
		die("poll");
	}
	if (p[0].revents) {
		if (recv(vsock, &c, 1, MSG_DONTWAIT) <= 0)
			return false; /* the daemon is gone */
	}
	if (read(callfd[VIRTIO_VSOCK_VQ_RX], &v, sizeof(v)) < 0 && errno != EAGAIN)
		die("call");
	if (read(callfd[VIRTIO_VSOCK_VQ_TX], &v, sizeof(v)) < 0 && errno != EAGAIN)
		die("call");
	pump();
	if (virtq_is_broken(&vq[0]) || virtq_is_broken(&vq[1])) {
		fprintf(stderr, "vsock-peer: the daemon broke a ring\n");
		exit(1);
	}
	return true;
}

/* Waits up to ms for the vhost-user socket to be readable; false on timeout. */
static bool vu_wait(int ms)
{
	struct pollfd p = { vsock, POLLIN, 0 };

	return poll(&p, 1, ms) > 0;
}

/* Waits (at most 2 s) until process pid is stopped. */
static void wait_stopped(pid_t pid)
{
	char path[64], buf[256], *st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 200; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		st = strrchr(buf, ')');
		if (st && st[1] == ' ' && (st[2] == 'T' || st[2] == 't'))
			return;
		usleep(10000);
	}
	fail("the daemon did not stop");
}

/* RESET_OWNER in the same epoll batch as events of NHOSTILE host connections. */
static void reset_owner_under_load(const char *uds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fds[NHOSTILE], ok = 0;
	bool got[NHOSTILE] = { false };
	double t0 = now_s();

	if (!uds)
		fail("needs --uds");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds);
	for (int i = 0; i < NHOSTILE; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    write(fds[i], "CONNECT 7\n", 10) != 10)
			die(uds);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	/* Serve until every connection has its OK line. */
	while (ok < NHOSTILE) {
		if (now_s() - t0 > 10)
			fail("connections not established");
		if (!serve_once(10))
			fail("the daemon went away");
		for (int i = 0; i < NHOSTILE; i++) {
			char line[32];

			if (!got[i] && recv(fds[i], line, sizeof(line), 0) > 0) {
				got[i] = true;
				ok++;
			}
		}
	}
	if (getsockopt(vsock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		die("SO_PEERCRED");
	kill(cred.pid, SIGSTOP);
	wait_stopped(cred.pid);
	vu_send(VHOST_USER_RESET_OWNER, 0, NULL, 0, NULL, 0);
	for (int i = 0; i < NHOSTILE; i++)
		if (write(fds[i], "hello", 5) != 5)
			die("write");
	kill(cred.pid, SIGCONT);
	setup(false);
	guest_start();
	for (int i = 0; i < NHOSTILE; i++)
		close(fds[i]);
}

/* Keeps TX full of one dropped packet; vhost-user replies must still come. */
static void refill_tx(void)
{
	struct virtq *q = &vq[VIRTIO_VSOCK_VQ_TX];
	struct virtio_vsock_hdr h = { .src_cid = cid + 1, .dst_cid = 2 };
	uint8_t *slot = txslot[0];
	double t0 = now_s(), asked = 0;
	uint64_t one = 1;
	int replies = 0;

	/* Descriptor 0 is one packet from a wrong CID: read and dropped. */
	memcpy(slot, &h, sizeof(h));
	q->desc[0].addr = (uint64_t)(slot - mem);
	q->desc[0].len = sizeof(h);
	q->desc[0].flags = 0;
	for (uint32_t i = 0; i < QSZ; i++)
		q->avail->ring[i] = 0;
	if (write(kickfd[VIRTIO_VSOCK_VQ_TX], &one, sizeof(one)) < 0)
		die("kick");
	while (now_s() - t0 < 2) {
		uint16_t used = atomic_load((_Atomic uint16_t *)&q->used->idx);

		/* The ring entries are written; publish QSZ beyond what was used. */
		atomic_thread_fence(memory_order_release);
		atomic_store((_Atomic uint16_t *)&q->avail->idx, (uint16_t)(used + QSZ));
		if (asked == 0) {
			vu_send(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0);
			asked = now_s();
		} else if (vu_wait(0)) {
			uint64_t v;

			vu_recv(VHOST_USER_GET_QUEUE_NUM, &v, sizeof(v));
			replies++;
			asked = 0;
		} else if (now_s() - asked > 1) {
			fail("no vhost-user reply within 1 s while TX was kept full");
		}
	}
	if (replies < 2)
		fail("too few vhost-user replies while TX was kept full");
	if (asked != 0 && !vu_wait(1000))
		fail("no vhost-user reply");
	if (asked != 0) {
		uint64_t v;

		vu_recv(VHOST_USER_GET_QUEUE_NUM, &v, sizeof(v));
	}
	restart();
}

static void misbehave(const char *uds)
{
	struct vhost_vring_state st = { 5, 0 };
	uint64_t v, idx = VIRTIO_VSOCK_VQ_TX | VHOST_USER_VRING_NOFD_MASK;

	switch (mode) {
	case M_NONE:
	case M_LATE_MEM:
	case M_HDR_ONLY_RX:
	case M_NONSTREAM:
		break;
	case M_RESET_OWNER:
		reset_owner_under_load(uds);
		break;
	case M_ZERO_REGIONS:
		/* Then make the daemon run a pass: rings must not be touched. */
		mem_table(0);
		kick(VIRTIO_VSOCK_VQ_TX);
		if (vu_get_u64(VHOST_USER_GET_QUEUE_NUM) < 3)
			fail("bad GET_QUEUE_NUM");
		if (mem_table(memsz) != 0)
			fail("the real memory table was refused afterwards");
		kick(VIRTIO_VSOCK_VQ_RX);
		break;
	case M_SHORT_REGION: {
		struct virtq *q = &vq[VIRTIO_VSOCK_VQ_TX];
		struct virtio_vsock_hdr h = { .src_cid = cid, .dst_cid = 2 };
		struct virtq_buf b = { txslot[0], sizeof(h) };
		uint64_t ack = mem_table(memsz * 2);

		/* A region twice its file, and a packet in the half past the end. */
		memcpy(txslot[0], &h, sizeof(h));
		virtq_add(q, &b, 1, NULL, 0, txslot[0]);
		q->desc[q->avail->ring[(uint16_t)(q->avail_idx - 1) % QSZ]].addr =
			memsz + memsz / 2;
		kick(VIRTIO_VSOCK_VQ_TX);
		if (vu_get_u64(VHOST_USER_GET_QUEUE_NUM) < 3)
			fail("bad GET_QUEUE_NUM");
		if (ack == 0)
			fail("a region past the end of its file was accepted");
		restart();
		break;
	}
	case M_REFILL_TX:
		refill_tx();
		break;
	case M_BAD_INDEX:
		vu_send(VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
		if (!vu_wait(2000))
			fail("no reply to GET_VRING_BASE for ring 5 and the session goes on");
		if (recv(vsock, &v, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
			fprintf(stderr, "vsock-peer: the daemon ended the session\n");
			exit(0);
		}
		vu_recv(VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
		break;
	case M_NOFD_KICK:
		vu_send(VHOST_USER_SET_VRING_KICK, VHOST_USER_NEED_REPLY_MASK, &idx,
			sizeof(idx), NULL, 0);
		vu_recv(VHOST_USER_SET_VRING_KICK, &v, sizeof(v));
		if (v == 0)
			fail("a kick without an fd was accepted");
		/* The ring keeps its real kick fd. */
		break;
	}
}

int main(int argc, char **argv)
{
	const char *path = NULL, *uds = NULL, *mname = NULL;
	size_t mib = 16;
	struct sigaction sa = { .sa_handler = on_signal };
	struct sockaddr_un su = { .sun_family = AF_UNIX };

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--socket"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--mem"))
			mib = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--uds"))
			uds = argv[i + 1];
		else if (!strcmp(argv[i], "--misbehave"))
			mname = argv[i + 1];
	}
	for (size_t m = 1; mname && m < sizeof(mode_names) / sizeof(mode_names[0]); m++)
		if (!strcmp(mname, mode_names[m]))
			mode = (enum mode)m;
	if (!path || mib < 16 || mib > 4096 || (mname && mode == M_NONE)) {
		fprintf(stderr, "usage: vsock-peer --socket SOCK [--mem MiB (>= 16)] "
				"[--misbehave MODE [--uds PATH]]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	vsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(su.sun_path, sizeof(su.sun_path), "%s", path);
	if (vsock < 0 || connect(vsock, (struct sockaddr *)&su, sizeof(su)) < 0)
		die(path);
	memsz = mib << 20;
	memfd = memfd_create("vsock-peer-mem", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)memsz) < 0)
		die("memfd");
	mem = mmap(NULL, memsz, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	setup(mode == M_LATE_MEM);
	guest_start();
	misbehave(uds);
	while (!stop && serve_once(-1))
		;
	return 0;
}
