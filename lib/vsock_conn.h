/* SPDX-License-Identifier: MIT */
/*
 * One virtio-vsock stream connection as a pure state machine, shared by the guest
 * driver and the host daemon toro-vsockd. It does no I/O and allocates nothing: the
 * caller feeds it received headers and local API calls, and it answers with at most
 * one header to send and a set of events (struct vsock_out). It never sees payload
 * bytes, only their lengths; the caller moves the bytes. See vsock_conn.c for the
 * primer, the states and the credit rules.
 *
 * "local" is the side that owns this struct, "peer" the other end; which of them is
 * the guest does not matter here. Listening is the caller's business: on a REQUEST
 * for a listening port it sets up a struct with vsock_conn_init() and calls
 * vsock_conn_accept().
 *
 * Calling convention: every function that takes a struct vsock_out clears it first
 * and may fill out->pkt; when out->send is true the caller MUST queue that header
 * (it carries credit the other side relies on) in the order it was produced.
 */
#ifndef LIB_VSOCK_CONN_H
#define LIB_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "uapi/virtio_vsock.h"

#define VSOCK_MAX_PKT (64u * 1024) /* largest OP_RW payload accepted or sent */

enum vsock_state {
	VSOCK_CLOSED, /* no connection: before connect/accept and after the end */
	VSOCK_CONNECTING, /* REQUEST sent, waiting for RESPONSE or RST */
	VSOCK_CONNECTED, /* both directions open */
	VSOCK_LOCAL_SHUT, /* local -> peer finished (we sent SEND or peer sent RCV) */
	VSOCK_PEER_SHUT, /* peer -> local finished (peer sent SEND or we sent RCV) */
	VSOCK_CLOSING, /* we finished both directions with SHUTDOWN; waiting for RST */
	VSOCK_NSTATES /* number of states, not a state */
};

/* Events of one call, a bit set in vsock_out.events. */
#define VSOCK_EV_CONNECTED (1u << 0) /* handshake done (either side) */
#define VSOCK_EV_REFUSED (1u << 1) /* peer answered our REQUEST with RST */
#define VSOCK_EV_READABLE (1u << 2) /* rx_len bytes arrived, or peer sent EOF */
#define VSOCK_EV_WRITABLE (1u << 3) /* tx space grew */
#define VSOCK_EV_PEER_SHUT (1u << 4) /* peer shut a direction (see peer_shut) */
#define VSOCK_EV_RESET (1u << 5) /* connection torn down abnormally (see err) */
#define VSOCK_EV_CLOSED (1u << 6) /* now CLOSED: the caller may free it */

/* Why a packet was rejected or a connection ended: one line per reason. */
enum vsock_err {
	VSOCK_ERR_NONE, /* no error; a clean close */
	VSOCK_ERR_NOT_MINE, /* header addresses another connection; ignored */
	VSOCK_ERR_BAD_TYPE, /* type is not STREAM; RST sent, connection untouched */
	VSOCK_ERR_BAD_OP, /* op unknown */
	VSOCK_ERR_BAD_LEN, /* len != 0 on a control op, or len > VSOCK_MAX_PKT */
	VSOCK_ERR_BAD_STATE, /* op not allowed in this state (e.g. RW while connecting) */
	VSOCK_ERR_BAD_CREDIT, /* peer's fwd_cnt went backwards or past our tx_cnt */
	VSOCK_ERR_OVER_CREDIT, /* peer sent more than the buffer space we offered */
	VSOCK_ERR_AFTER_SHUT, /* data after the peer said it would send no more */
	VSOCK_ERR_REFUSED, /* peer refused our REQUEST */
	VSOCK_ERR_PEER_RESET, /* peer sent RST on an established connection */
	VSOCK_ERR_LOCAL_RESET, /* local side reset (API call, timeout) */
	VSOCK_ERR_TRANSPORT_RESET, /* the device reported TRANSPORT_RESET */
};

/* What one call produced. */
struct vsock_out {
	bool send; /* pkt is a header the caller must queue */
	struct virtio_vsock_hdr pkt; /* complete header; payload follows for OP_RW */
	uint32_t events; /* VSOCK_EV_* */
	uint32_t rx_len; /* payload bytes of the received RW the app may read */
	enum vsock_err err; /* reason for a rejection, RST or reset event */
};

struct vsock_conn {
	enum vsock_state state; /* VSOCK_* above */
	enum vsock_err err; /* why the connection ended, once CLOSED */
	uint64_t local_cid, peer_cid; /* addresses, fixed at init */
	uint32_t local_port, peer_port;
	uint32_t local_shut; /* SHUTDOWN flags we sent (cumulative) */
	uint32_t peer_shut; /* SHUTDOWN flags the peer sent (cumulative) */
	bool credit_req_sent; /* CREDIT_REQUEST out, no credit news since */

	/* Receive side: counters free-running mod 2^32. */
	uint32_t buf_alloc; /* receive buffer we offer the peer, bytes */
	uint32_t rx_cnt; /* payload bytes ever accepted from the peer */
	uint32_t fwd_cnt; /* of those, bytes the application consumed */
	uint32_t last_fwd_cnt; /* fwd_cnt in the last header we produced */

	/* Send side. */
	uint32_t tx_cnt; /* payload bytes ever sent */
	uint32_t peer_buf_alloc; /* peer's receive buffer, from its last header */
	uint32_t peer_fwd_cnt; /* bytes the peer's application consumed */
};

/* Sets up c in CLOSED for the given 4-tuple and receive buffer size (>= 1). */
void vsock_conn_init(struct vsock_conn *c, uint64_t local_cid, uint32_t local_port,
		     uint64_t peer_cid, uint32_t peer_port, uint32_t buf_alloc);

/* CLOSED -> CONNECTING; out->pkt is the REQUEST. -EINVAL in any other state. */
int vsock_conn_connect(struct vsock_conn *c, struct vsock_out *out);

/*
 * Accepts the peer's REQUEST req (already matched to a listener; c initialised with
 * the addresses from req). CLOSED -> CONNECTED with out->pkt the RESPONSE, or -EIO
 * with out->pkt an RST if req is malformed, or -ENOENT if it is not for c.
 */
int vsock_conn_accept(struct vsock_conn *c, const struct virtio_vsock_hdr *req,
		      struct vsock_out *out);

/*
 * Handles one received header h (payload of h->len bytes, not seen here). Returns 0
 * if the packet was accepted (out->rx_len payload bytes go to the application), -EIO
 * if it was rejected (out->err says why; out->pkt is usually an RST), -ENOENT if it
 * addresses another connection (nothing changed, nothing to send).
 */
int vsock_conn_recv(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
		    struct vsock_out *out);

/*
 * Sends len payload bytes: out->pkt is the RW header, to be followed by the bytes.
 * -EAGAIN if len > vsock_conn_tx_space() (out->pkt may be a CREDIT_REQUEST),
 * -EINVAL if len is 0 or > VSOCK_MAX_PKT or the state does not allow sending.
 */
int vsock_conn_send(struct vsock_conn *c, uint32_t len, struct vsock_out *out);

/*
 * The application consumed n received bytes; out->pkt may be a CREDIT_UPDATE.
 * -EINVAL if n is more than is buffered.
 */
int vsock_conn_consumed(struct vsock_conn *c, uint32_t n, struct vsock_out *out);

/* Shuts directions (VIRTIO_VSOCK_SHUTDOWN_* bits); out->pkt is the SHUTDOWN. */
int vsock_conn_shutdown(struct vsock_conn *c, uint32_t how, struct vsock_out *out);

/*
 * Graceful close: SHUTDOWN both ways and CLOSING, or RST and CLOSED if connecting or
 * already CLOSING (the caller's close timeout). 0 and nothing to send when CLOSED.
 */
int vsock_conn_close(struct vsock_conn *c, struct vsock_out *out);

/* Aborts: RST and CLOSED from any other state. */
int vsock_conn_reset(struct vsock_conn *c, struct vsock_out *out);

/* The device reported TRANSPORT_RESET: CLOSED with no packet (the peer forgot us). */
void vsock_conn_transport_reset(struct vsock_conn *c, struct vsock_out *out);

/* Bytes the peer can take now: peer_buf_alloc - (tx_cnt - peer_fwd_cnt), or 0. */
uint32_t vsock_conn_tx_space(const struct vsock_conn *c);

/* Received bytes the application has not consumed yet. */
uint32_t vsock_conn_rx_pending(const struct vsock_conn *c);

/*
 * For a packet that no connection claims (no listener, or no state): fills rst with
 * the RST reply and returns 0, or returns -EINVAL if in is itself an RST (an RST is
 * never answered). The reply mirrors in's type, as an unknown-type reply must.
 */
int vsock_reply_rst(const struct virtio_vsock_hdr *in, struct virtio_vsock_hdr *rst);

/* Name of a state or error, for logs and test diagnostics. */
const char *vsock_state_name(enum vsock_state s);
const char *vsock_err_name(enum vsock_err e);

#endif
