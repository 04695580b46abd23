/* SPDX-License-Identifier: MIT */
/*
 * vhost-user message validation for toro-vsockd. Pure: no system calls. The daemon
 * reads a header and its payload from the socket, collects the SCM_RIGHTS fds, and
 * asks vhost_user_parse() whether the message is well formed before acting on it.
 */
#ifndef LIB_VHOST_USER_H
#define LIB_VHOST_USER_H

#include <stddef.h>
#include <stdint.h>

#include "toro/errno.h"
#include "uapi/vhost_user.h"

/* Vring indices the parser accepts (vsock uses 3: rx, tx, event). */
#define VHOST_USER_MAX_QUEUES 8

/* A validated message. payload is zero beyond hdr.size. */
struct vhost_user_msg {
	struct vhost_user_hdr hdr; /* as received */
	union vhost_user_payload payload; /* copied, zero-filled past hdr.size */
	size_t nfds; /* fds the request carries (equals the count received) */
	const char *reason; /* static text: why parsing failed, or "ok" */
};

/*
 * Validate buf[0..len) = header + payload, received with nfds descriptors.
 * Returns 0 and fills *out, or
 *   -EPROTO  bad version, a reply where a request belongs, or an unknown request;
 *   -E2BIG   payload larger than any request's, or more regions than 8;
 *   -EINVAL  size, index, queue size, region or fd count wrong for the request.
 * On failure out->reason says why (for the log); the caller closes the fds.
 */
int vhost_user_parse(const void *buf, size_t len, size_t nfds,
		     struct vhost_user_msg *out);

/*
 * Build a reply to `request` in buf: header (version 1, REPLY) then len payload
 * bytes. Returns the bytes to send, or 0 if cap is too small or len too large.
 */
size_t vhost_user_reply(uint32_t request, const void *payload, size_t len, void *buf,
			size_t cap);

/* Name of a request number for logs ("SET_MEM_TABLE"), "UNKNOWN" otherwise. */
const char *vhost_user_request_name(uint32_t request);

#endif
