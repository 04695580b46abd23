/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user session (QEMU docs/interop/vhost-user.rst): one frontend at a
 * time on --socket; its messages set up guest memory and the three vsock rings.
 *
 * Ring life cycle. A ring is mapped (vring_map over the memory table) once it has
 * a size, addresses, a memory table and a kick fd ("ring starts when the kick fd is
 * received", vhost-user.rst "Starting and stopping rings"), whichever comes last,
 * and it runs while it is also enabled: with VHOST_USER_F_PROTOCOL_FEATURES
 * negotiated rings start disabled until SET_VRING_ENABLE(1), without it they are
 * enabled at once. A kick without an fd (NOFD: the backend would have to poll the
 * ring) is refused. GET_VRING_BASE stops a ring and reports where it stopped;
 * RESET_OWNER and a new SET_MEM_TABLE stop the device. Stopping a running ring
 * drops every connection: the guest is being reset or its memory is changing, and
 * its connections are gone with it. An unmapped ring keeps its position in `base`.
 * A new memory table unmaps every ring before the old memory goes and maps them
 * again only if the new table is usable.
 *
 * Replies. A frontend blocks on the reply to a GET_* request; one we cannot give
 * (a bad index, a failed send) ends the session with a log line instead.
 *
 * Message reading. QEMU sends each message (header and payload) with one sendmsg
 * and its fds as SCM_RIGHTS, but the stream may still hand it over in pieces, so
 * bytes accumulate in vd.msg until header + size are complete; we never read past
 * one message, so the fds collected belong to the message being assembled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/vsockd/vsockd.h"

#define VD_FEATURES \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
#define VD_PROTO_FEATURES                            \
	((1ull << VHOST_USER_PROTOCOL_F_MQ) |        \
	 (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 (1ull << VHOST_USER_PROTOCOL_F_CONFIG))

static bool proto_negotiated(void)
{
	return vd.features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

bool vhost_vq_running(uint32_t qi)
{
	const struct vd_vq *q = &vd.q[qi];

	return !vd.broken && q->mapped && (q->enabled || !proto_negotiated());
}

/* Drops every connection; the guest will be told with TRANSPORT_RESET if it can. */
static void device_stop(const char *why)
{
	if (vd.nconns) {
		vd_log("device stopped (%s): dropping %u connections", why, vd.nconns);
		vd.event_reset_pending = true;
	}
	conn_drop_all();
}

void vhost_break(const char *why)
{
	if (vd.broken)
		return;
	vd_warn("guest broke a ring (%s): device stopped", why);
	vd.broken = true;
	device_stop("broken ring");
}

/* Stops using ring q; where it stopped is kept in q->base. */
static void vq_unmap(struct vd_vq *q)
{
	if (q->mapped)
		q->base = q->vr.last_avail_idx;
	q->mapped = false;
}

/* (Re)maps ring qi at q->base if it has everything it needs; logs why not. */
static void vq_try_map(uint32_t qi)
{
	struct vd_vq *q = &vd.q[qi];

	vq_unmap(q);
	if (!q->have_num || !q->have_addr || !vd.mem.nregions || q->kick.fd < 0)
		return;
	if (vring_map(&q->vr, &vd.mem, q->num, q->desc, q->avail, q->used, q->base) < 0) {
		vd_warn("ring %u: addresses outside guest memory or misaligned", qi);
		q->mapped = false;
		return;
	}
	q->mapped = true;
	/* A ring set up afresh ends an earlier breakage. */
	vd.broken = false;
	vd_log("ring %u mapped: %u entries, base %u", qi, q->num, q->base);
}

static void vq_close_fds(struct vd_vq *q)
{
	vd_epoll_del(&q->kick);
	if (q->kick.fd >= 0)
		close(q->kick.fd);
	if (q->call_fd >= 0)
		close(q->call_fd);
	q->kick.fd = q->call_fd = -1;
}

static void mem_unmap(void)
{
	for (uint32_t i = 0; i < VHOST_MEMORY_MAX_NREGIONS; i++) {
		if (vd.maps[i])
			munmap(vd.maps[i], vd.map_len[i]);
		vd.maps[i] = NULL;
	}
	vd.mem.nregions = 0;
}

static void session_reset(void)
{
	device_stop("reset");
	for (uint32_t i = 0; i < VD_NQUEUES; i++) {
		struct vd_vq *q = &vd.q[i];

		vq_close_fds(q);
		memset(q, 0, sizeof(*q));
		q->kick.kind = VD_EV_KICK;
		q->kick.arg = i;
		q->kick.fd = q->call_fd = -1;
	}
	mem_unmap();
	vd.broken = false;
}

void vhost_close(void)
{
	session_reset();
	for (size_t i = 0; i < vd.nfds; i++)
		close(vd.fds[i]);
	vd.nfds = 0;
	vd.msglen = 0;
	if (vd.vsess.fd >= 0) {
		vd_epoll_del(&vd.vsess);
		close(vd.vsess.fd);
		vd.vsess.fd = -1;
	}
}

void vhost_accept(void)
{
	int fd;

	while ((fd = accept4(vd.vlisten.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	       0) {
		if (vd.vsess.fd >= 0) {
			vd_warn("%s: a frontend is already connected; refusing another",
				vd.sock_path);
			close(fd);
			continue;
		}
		vd.vsess.kind = VD_EV_VHOST;
		vd.vsess.fd = fd;
		vd.session_seen = true;
		if (vd_epoll_add(&vd.vsess, EPOLLIN) < 0) {
			vd_warn("epoll: %s", strerror(errno));
			vd.exit_code = 1;
			vd.quit = true;
			return;
		}
		vd_log("frontend connected");
	}
}

/* Sends a reply; the socket is non-blocking and replies are tiny. */
static int send_reply(uint32_t request, const void *payload, size_t len)
{
	uint8_t buf[sizeof(vd.msg)];
	size_t n = vhost_user_reply(request, payload, len, buf, sizeof(buf));

	if (n == 0 ||
	    send(vd.vsess.fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n) {
		vd_warn("cannot reply to %s", vhost_user_request_name(request));
		return -1;
	}
	return 0;
}

static int do_mem_table(const struct vhost_user_msg *m)
{
	const struct vhost_user_mem_table *t = &m->payload.mem;
	uint8_t *maps[VHOST_MEMORY_MAX_NREGIONS] = { 0 };

	/*
	 * The memory moves under the rings: connections go, and no ring may point
	 * into the old mappings, whatever becomes of the new table.
	 */
	device_stop("new memory table");
	for (uint32_t i = 0; i < VD_NQUEUES; i++)
		vq_unmap(&vd.q[i]);
	mem_unmap();
	for (uint32_t i = 0; i < t->nregions; i++) {
		size_t len = t->regions[i].mmap_offset + t->regions[i].memory_size;
		struct stat st;
		void *p;

		/* Pages past the end of a file raise SIGBUS when touched. */
		if (fstat(vd.fds[i], &st) < 0 ||
		    (S_ISREG(st.st_mode) && (uint64_t)st.st_size < len)) {
			vd_warn("SET_MEM_TABLE: region %u ends past the end of its file",
				i);
			mem_unmap();
			return -1;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vd.fds[i], 0);
		if (p == MAP_FAILED) {
			vd_warn("SET_MEM_TABLE: mmap region %u: %s", i, strerror(errno));
			mem_unmap();
			return -1;
		}
		vd.maps[i] = maps[i] = p;
		vd.map_len[i] = len;
		vd_log("region %u: gpa 0x%llx size 0x%llx uva 0x%llx", i,
		       (unsigned long long)t->regions[i].guest_phys_addr,
		       (unsigned long long)t->regions[i].memory_size,
		       (unsigned long long)t->regions[i].userspace_addr);
	}
	if (vring_mem_set(&vd.mem, t, maps) < 0) {
		mem_unmap();
		return -1;
	}
	if (!t->nregions)
		vd_log("SET_MEM_TABLE without regions: rings stopped");
	/* Including rings configured before any memory table. */
	for (uint32_t i = 0; i < VD_NQUEUES; i++)
		vq_try_map(i);
	return 0;
}

/* GET_CONFIG: struct virtio_vsock_config {le64 guest_cid} (virtio 1.2 5.10.4). */
static int do_get_config(const struct vhost_user_msg *m)
{
	struct vhost_user_config cfg = m->payload.config;
	struct virtio_vsock_config space = { .guest_cid = vd.cid };

	memset(cfg.payload, 0, sizeof(cfg.payload));
	for (uint32_t i = 0; i < cfg.size; i++)
		if (cfg.offset + i < sizeof(space))
			cfg.payload[i] = ((const uint8_t *)&space)[cfg.offset + i];
	return send_reply(VHOST_USER_GET_CONFIG, &cfg,
			  VHOST_USER_CONFIG_HDR_SIZE + cfg.size);
}

/* SET_VRING_KICK / CALL / ERR. Takes ownership of the fd (if any). */
static int do_vring_fd(const struct vhost_user_msg *m)
{
	uint32_t qi = (uint32_t)(m->payload.u64 & VHOST_USER_VRING_IDX_MASK);
	int fd = m->nfds ? vd.fds[0] : -1;
	struct vd_vq *q;

	vd.nfds = 0;
	if (qi >= VD_NQUEUES || m->hdr.request == VHOST_USER_SET_VRING_ERR) {
		/* We never report ring errors through it. */
		if (fd >= 0)
			close(fd);
		return qi < VD_NQUEUES ? 0 : -1;
	}
	q = &vd.q[qi];
	if (m->hdr.request == VHOST_USER_SET_VRING_KICK && fd < 0) {
		vd_warn("ring %u: a kick without an fd (polling) is not supported", qi);
		return -1;
	}
	if (m->hdr.request == VHOST_USER_SET_VRING_CALL) {
		if (q->call_fd >= 0)
			close(q->call_fd);
		q->call_fd = fd;
		return 0;
	}
	vd_epoll_del(&q->kick);
	if (q->kick.fd >= 0)
		close(q->kick.fd);
	q->kick.fd = fd;
	/* We drain it until EAGAIN: make sure it cannot block. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (vd_epoll_add(&q->kick, EPOLLIN) < 0) {
		close(fd);
		q->kick.fd = -1;
		vq_unmap(q);
		return -1;
	}
	vq_try_map(qi);
	return 0;
}

static int do_get_vring_base(const struct vhost_user_msg *m)
{
	struct vhost_vring_state st = m->payload.state;
	struct vd_vq *q;

	if (st.index >= VD_NQUEUES)
		return -1;
	q = &vd.q[st.index];
	if (q->mapped)
		device_stop("GET_VRING_BASE");
	vq_unmap(q);
	st.num = q->base;
	q->enabled = false;
	vd_epoll_del(&q->kick);
	if (q->kick.fd >= 0)
		close(q->kick.fd);
	q->kick.fd = -1;
	q->base = (uint16_t)st.num;
	return send_reply(VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
}

/* Acts on a validated message; returns 0, or -1 to report failure (NEED_REPLY). */
static int handle(const struct vhost_user_msg *m, bool *replied)
{
	const struct vhost_vring_state *st = &m->payload.state;
	uint64_t v;

	*replied = false;
	switch (m->hdr.request) {
	case VHOST_USER_GET_FEATURES:
		v = VD_FEATURES;
		*replied = true;
		return send_reply(m->hdr.request, &v, sizeof(v));
	case VHOST_USER_SET_FEATURES:
		vd.features = m->payload.u64 & VD_FEATURES;
		for (uint32_t i = 0; i < VD_NQUEUES && !proto_negotiated(); i++)
			vd.q[i].enabled = true;
		return 0;
	case VHOST_USER_SET_OWNER:
		return 0;
	case VHOST_USER_RESET_OWNER:
		session_reset();
		return 0;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		v = VD_PROTO_FEATURES;
		*replied = true;
		return send_reply(m->hdr.request, &v, sizeof(v));
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		vd.proto = m->payload.u64 & VD_PROTO_FEATURES;
		return 0;
	case VHOST_USER_GET_QUEUE_NUM:
		v = VD_NQUEUES;
		*replied = true;
		return send_reply(m->hdr.request, &v, sizeof(v));
	case VHOST_USER_SET_MEM_TABLE:
		return do_mem_table(m);
	case VHOST_USER_SET_VRING_NUM:
		if (st->index >= VD_NQUEUES)
			return -1;
		vd.q[st->index].num = st->num;
		vd.q[st->index].have_num = true;
		return 0;
	case VHOST_USER_SET_VRING_ADDR:
		if (m->payload.addr.index >= VD_NQUEUES)
			return -1;
		vd.q[m->payload.addr.index].desc = m->payload.addr.desc_user_addr;
		vd.q[m->payload.addr.index].avail = m->payload.addr.avail_user_addr;
		vd.q[m->payload.addr.index].used = m->payload.addr.used_user_addr;
		vd.q[m->payload.addr.index].have_addr = true;
		if (vd.q[m->payload.addr.index].mapped)
			vq_try_map(m->payload.addr.index);
		return 0;
	case VHOST_USER_SET_VRING_BASE:
		if (st->index >= VD_NQUEUES)
			return -1;
		vd.q[st->index].base = (uint16_t)st->num;
		return 0;
	case VHOST_USER_GET_VRING_BASE:
		*replied = true;
		return do_get_vring_base(m);
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return do_vring_fd(m);
	case VHOST_USER_SET_VRING_ENABLE:
		if (st->index >= VD_NQUEUES)
			return -1;
		vd.q[st->index].enabled = st->num == 1;
		return 0;
	case VHOST_USER_GET_CONFIG:
		*replied = true;
		return do_get_config(m);
	case VHOST_USER_SET_CONFIG:
		/* vsock's config space is read-only for the driver. */
		return 0;
	default:
		return -1;
	}
}

static void session_end(int code, const char *why);

/* Requests the frontend waits for an answer to, whatever the protocol features. */
static bool wants_reply(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_GET_CONFIG:
		return true;
	default:
		return false;
	}
}

/* One complete message in vd.msg with vd.fds: validate, act, ack. */
static void process_msg(void)
{
	struct vhost_user_msg m;
	bool replied = false;
	int rc = vhost_user_parse(vd.msg, vd.msglen, vd.nfds, &m);

	if (rc == 0) {
		vd_log("%s", vhost_user_request_name(m.hdr.request));
		rc = handle(&m, &replied);
		if (rc < 0)
			vd_warn("%s failed", vhost_user_request_name(m.hdr.request));
	} else {
		vd_warn("bad vhost-user message %u (%s): %s", m.hdr.request,
			vhost_user_request_name(m.hdr.request), m.reason);
	}
	if (rc < 0 && wants_reply(m.hdr.request)) {
		/* Silence would leave the frontend blocked on its read forever. */
		session_end(1, "cannot answer a request that needs a reply");
		return;
	}
	/* Whatever handle() did not take over is closed. */
	for (size_t i = 0; i < vd.nfds; i++)
		close(vd.fds[i]);
	vd.nfds = 0;
	vd.msglen = 0;
	if (!replied && (m.hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
	    (vd.proto & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK))) {
		uint64_t status = rc < 0; /* REPLY_ACK: 0 success, non-zero failure */

		send_reply(m.hdr.request, &status, sizeof(status));
	}
}

/* Keeps the fds of one recvmsg; more than a message may carry is an error. */
static void take_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;
		int fds[VHOST_MEMORY_MAX_NREGIONS + 1];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > VHOST_MEMORY_MAX_NREGIONS + 1)
			n = VHOST_MEMORY_MAX_NREGIONS + 1;
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (size_t i = 0; i < n; i++) {
			if (vd.nfds < VHOST_MEMORY_MAX_NREGIONS) {
				vd.fds[vd.nfds++] = fds[i];
			} else {
				close(fds[i]);
				vd.too_many_fds = true;
			}
		}
	}
}

/* The frontend went away or broke the protocol: the daemon's work is done. */
static void session_end(int code, const char *why)
{
	if (code)
		vd_warn("vhost-user session: %s", why);
	else
		vd_log("vhost-user session: %s", why);
	vhost_close();
	vd.exit_code = code;
	vd.quit = true;
}

void vhost_readable(void)
{
	for (;;) {
		struct vhost_user_hdr *h = (struct vhost_user_hdr *)vd.msg;
		size_t want = VHOST_USER_HDR_SIZE;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int) *
					    (VHOST_MEMORY_MAX_NREGIONS + 1))];
		} cbuf;
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (vd.msglen >= VHOST_USER_HDR_SIZE) {
			if (h->size > sizeof(union vhost_user_payload)) {
				session_end(1, "message payload too large");
				return;
			}
			want += h->size;
		}
		iov.iov_base = vd.msg + vd.msglen;
		iov.iov_len = want - vd.msglen;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(vd.vsess.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* QEMU exiting is the normal end of the daemon's life. */
			session_end(n == 0 ? 0 : 1,
				    n == 0 ? "frontend disconnected" : strerror(errno));
			return;
		}
		take_fds(&mh);
		if (vd.too_many_fds || (mh.msg_flags & MSG_CTRUNC)) {
			session_end(1, "too many file descriptors in one message");
			return;
		}
		vd.msglen += (size_t)n;
		if (vd.msglen == want && (want > VHOST_USER_HDR_SIZE || h->size == 0)) {
			process_msg();
			if (vd.quit)
				return;
		}
	}
}

void vhost_kick(uint32_t qi)
{
	uint64_t v;

	/* Drain the eventfd; the loop processes every running ring afterwards.
	 * Its value is the number of kicks since the last read. */
	while (read(vd.q[qi].kick.fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
		vd.kicks[qi] += v;
		vd.kick_reads[qi]++;
	}
}

void vhost_signal_calls(void)
{
	for (uint32_t i = 0; i < VD_NQUEUES; i++) {
		struct vd_vq *q = &vd.q[i];
		uint64_t one = 1;
		uint16_t flags;

		if (!q->need_call || !q->mapped)
			continue;
		q->need_call = false;
		/*
		 * Orders our used->idx store before the load of avail->flags (a store
		 * -> load order: a full fence even on x86), so a driver that clears
		 * NO_INTERRUPT and then checks used->idx cannot miss both.
		 */
		atomic_thread_fence(memory_order_seq_cst);
		flags = *(const volatile le16 *)&q->vr.avail->flags;
		/* virtio 1.2 2.7.7: without EVENT_IDX the flag is a hint we honour. */
		if ((flags & VIRTQ_AVAIL_F_NO_INTERRUPT) || q->call_fd < 0)
			continue;
		if (write(q->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			vd_warn("ring %u: call eventfd: %s", i, strerror(errno));
		else
			vd.calls[i]++;
	}
}
