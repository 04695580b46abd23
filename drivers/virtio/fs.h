/* SPDX-License-Identifier: MIT */
/*
 * The virtio-fs transport as the file system (fs/) sees it: a way to hand one
 * FUSE request to the device and wait for its reply, from a thread on any CPU.
 * What the request says is fs/'s business; this driver moves buffers.
 */
#ifndef DRIVERS_VIRTIO_FS_H
#define DRIVERS_VIRTIO_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/virtq.h"

struct virtiofs;

/* The device whose tag is tag, or the first one found when tag is NULL. */
struct virtiofs *virtiofs_find(const char *tag);

/* Its tag (NUL-terminated). */
const char *virtiofs_tag(const struct virtiofs *fs);

/* A fresh request ID (never 0). */
uint64_t virtiofs_unique(struct virtiofs *fs);

/*
 * Offers out[0..nout) for the device to read and in[0..nin) for it to write,
 * on the high-priority queue (FORGET) or the request queue, and waits until the
 * device gives them back. *written gets the bytes it wrote. 0, or -EIO when the
 * device is broken, breaks meanwhile, or has not answered within its time limit
 * (fs_timeout=SECONDS, default 30; the device is then reset, so it cannot touch
 * the buffers afterwards), -EINVAL for more buffers than a queue holds.
 */
int virtiofs_call(struct virtiofs *fs, bool hiprio, const struct virtq_buf *out,
		  size_t nout, const struct virtq_buf *in, size_t nin, uint32_t *written);

/* Whether the device is broken; and a way for fs/ to say a reply was garbage. */
bool virtiofs_broken(const struct virtiofs *fs);
void virtiofs_mark_broken(struct virtiofs *fs, const char *why);

#endif
