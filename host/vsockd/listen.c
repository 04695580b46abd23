/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets and the two ways a connection starts.
 *
 * Host-initiated (Firecracker's hybrid vsock): a client of the --uds socket writes
 * `CONNECT <port>\n`; a client of a --publish TCP port is connected to its guest
 * port at once. Either way the daemon picks a host port unique among live
 * connections (from 2^30 upwards, like Firecracker), sends REQUEST and waits up to
 * VD_TIMEOUT_MS for RESPONSE; the hybrid client then reads `OK <host port>\n`. On
 * RST or timeout the client is closed without a word. The CONNECT line is read
 * with MSG_PEEK and only its own bytes are consumed, so data the client sent
 * behind it in the same write stays in the socket as stream data.
 *
 * Guest-initiated: a REQUEST to host port P connects (non-blocking) to the Unix
 * socket PATH_P; if that fails, the guest gets RST.
 *
 * Limits. At most VD_MAX_CONNS connections live at once: beyond that a guest
 * REQUEST gets RST and the listeners leave the epoll set (clients wait in the
 * backlog) until one closes. Running out of fds (EMFILE, ENFILE) pauses them the
 * same way, until a connection closes or VD_ACCEPT_RETRY_MS pass, so a full fd
 * table does not turn a level-triggered listener into a busy loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/vsockd/vsockd.h"

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int listen_unix(const char *path, bool *created)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, probe;

	if (unix_addr(path, &sa) < 0) {
		vd_warn("%s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vd_warn("%s: File exists and is not a socket", path);
			return -1;
		}
		/* A live listener keeps its path; a stale file is removed. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			vd_warn("%s: Address already in use", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vd_warn("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*created = true;
	if (listen(fd, SOMAXCONN) < 0) {
		vd_warn("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int listen_tcp(const struct vsock_publish *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char name[32];
	int one = 1, fd;

	sa.sin_addr.s_addr = htonl(p->addr);
	sa.sin_port = htons(p->host_port);
	snprintf(name, sizeof(name), "%u.%u.%u.%u:%u", p->addr >> 24,
		 (p->addr >> 16) & 255, (p->addr >> 8) & 255, p->addr & 255,
		 p->host_port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vd_warn("%s: %s", name, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		vd_warn("%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A host port no live connection uses (Firecracker: from 2^30, incrementing). */
static uint32_t alloc_local_port(uint32_t guest_port)
{
	for (;;) {
		uint32_t p = vd.next_local_port++;

		if (vd.next_local_port == 0) {
			vd.next_local_port = VD_FIRST_LOCAL_PORT;
			vd.port_wrapped = true;
		}
		if (!vd.port_wrapped)
			return p;
		/* After 3 billion connections: make sure p is really free. */
		bool used = false;

		for (struct vd_conn *c = vd.all.head; c && !used; c = c->anext)
			used = c->phase == VD_PH_VSOCK && c->vc.local_port == p;
		if (!used && !conn_lookup(p, guest_port))
			return p;
	}
}

void listen_connect_guest(struct vd_conn *c, uint32_t guest_port)
{
	struct vsock_out o;

	vsock_conn_init(&c->vc, VIRTIO_VSOCK_HOST_CID, alloc_local_port(guest_port),
			vd.cid, guest_port, VD_BUF_ALLOC);
	c->phase = VD_PH_VSOCK;
	conn_hash_add(c);
	vd_log("conn %u->%u: connecting to the guest", c->vc.local_port, guest_port);
	vsock_conn_connect(&c->vc, &o);
	conn_deadline_set(c);
	conn_apply(c, &o);
}

static void listeners_set(uint32_t events)
{
	vd_epoll_mod(&vd.uds, events);
	for (int i = 0; i < vd.npub; i++)
		vd_epoll_mod(&vd.tcp[i], events);
}

/* Stops accepting: at the connection limit, or (fd_limit) out of fds. */
static void listen_pause(bool fd_limit)
{
	if (!vd.accept_warned && fd_limit)
		vd_warn("accept: %s: not accepting until a connection closes",
			strerror(errno));
	else if (!vd.accept_warned)
		vd_warn("%u connections: not accepting until one closes", vd.nconns);
	vd.accept_warned = true;
	vd.paused_nconns = vd.nconns;
	vd.accept_retry_at = fd_limit ? vd_now_ms() + VD_ACCEPT_RETRY_MS : UINT64_MAX;
	if (!vd.accept_paused)
		listeners_set(0);
	vd.accept_paused = true;
}

void listen_resume_check(uint64_t now)
{
	if (!vd.accept_paused || vd.nconns >= VD_MAX_CONNS)
		return;
	if (vd.nconns >= vd.paused_nconns && now < vd.accept_retry_at)
		return;
	vd_log("accepting connections again");
	listeners_set(EPOLLIN);
	vd.accept_paused = false;
}

/* ms until a paused accept is retried anyway, -1 if none is due. */
int listen_next_timeout(uint64_t now)
{
	if (!vd.accept_paused || vd.accept_retry_at == UINT64_MAX)
		return -1;
	return vd.accept_retry_at <= now ? 0 : (int)(vd.accept_retry_at - now);
}

/* Accepts everything pending on a listener. */
static void accept_all(int lfd, bool hybrid, uint32_t guest_port)
{
	int fd;

	for (;;) {
		struct vd_conn *c;

		if (vd.nconns >= VD_MAX_CONNS) {
			listen_pause(false);
			return;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		if (!hybrid) {
			int one = 1;

			/*
			 * A forwarder must not add Nagle's delay: the guest's
			 * packets already are its segments, and a response sent in
			 * two writes would wait for the client's delayed ACK.
			 */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		c = conn_new(fd, hybrid ? VD_PH_LINE : VD_PH_VSOCK);
		if (!c)
			continue;
		if (hybrid) {
			c->hybrid = true;
			conn_deadline_set(c);
		} else {
			listen_connect_guest(c, guest_port);
		}
	}
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
		listen_pause(true);
	else if (errno == EAGAIN)
		vd.accept_warned = false; /* the backlog is empty: the episode is over */
	else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		vd_warn("accept: %s", strerror(errno));
}

void listen_uds_accept(void)
{
	accept_all(vd.uds.fd, true, 0);
}

void listen_tcp_accept(uint32_t i)
{
	accept_all(vd.tcp[i].fd, false, vd.pub[i].guest_port);
}

void listen_line(struct vd_conn *c)
{
	char buf[VSOCK_HYBRID_LINE_MAX];
	const char *why;
	uint32_t port;
	size_t used;
	ssize_t n = recv(c->ev.fd, buf, sizeof(buf), MSG_PEEK);
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	rc = vsock_hybrid_parse(buf, (size_t)n, &port, &used, &why);
	if (rc == -EAGAIN)
		return; /* the rest of the line comes with the next EPOLLIN edge */
	if (rc < 0) {
		vd_log("hybrid client: bad CONNECT line: %s", why);
		conn_free(c);
		return;
	}
	/* Consume the line only; what follows is stream data. */
	if (recv(c->ev.fd, buf, used, 0) != (ssize_t)used) {
		conn_free(c);
		return;
	}
	conn_deadline_clear(c);
	/*
	 * More data, or an EPOLLRDHUP edge that came with the line, may be waiting:
	 * look at the socket once connected (a read that finds nothing is cheap).
	 */
	c->readable = true;
	listen_connect_guest(c, port);
}

void listen_guest_request(const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path) + 16];
	struct virtio_vsock_hdr rst;
	struct vsock_out o;
	struct vd_conn *c;
	int fd;

	if (vd.nconns >= VD_MAX_CONNS) {
		vd_log("guest connect to port %u: %u connections already", h->dst_port,
		       vd.nconns);
		if (vsock_reply_rst(h, &rst) == 0)
			orphan_push(&rst);
		return;
	}
	snprintf(path, sizeof(path), "%s_%u", vd.uds_path, h->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || unix_addr(path, &sa) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vd_log("guest connect to %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (vsock_reply_rst(h, &rst) == 0)
			orphan_push(&rst);
		return;
	}
	c = conn_new(fd, VD_PH_VSOCK);
	if (!c) {
		if (vsock_reply_rst(h, &rst) == 0)
			orphan_push(&rst);
		return;
	}
	vsock_conn_init(&c->vc, VIRTIO_VSOCK_HOST_CID, h->dst_port, vd.cid, h->src_port,
			VD_BUF_ALLOC);
	conn_hash_add(c);
	if (vsock_conn_accept(&c->vc, h, &o) < 0) {
		if (o.send)
			orphan_push(&o.pkt);
		conn_free(c);
		return;
	}
	vd_log("conn %u<-%u: guest connected to %s", c->vc.local_port, c->vc.peer_port,
	       path);
	conn_apply(c, &o);
}
