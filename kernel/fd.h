/* SPDX-License-Identifier: MIT */
/*
 * One descriptor space for everything an application opens: sockets (net/) and
 * files and directories (fs/). A descriptor names an object that embeds a struct
 * fd_obj; the subsystem that made it provides the operations.
 *
 * Lifetime. The table holds one reference to each object; every call working on
 * a descriptor takes another with fd_get() and drops it with fd_put(), so an
 * object outlives any call still using it after another thread closed its
 * descriptor. fd_close() takes the descriptor out of the table at once (later
 * calls get -EBADF), calls ops->close so that waiters learn of it, and drops the
 * table's reference; ops->release frees the object once the last one is gone.
 *
 * Numbers carry the slot and how many times the slot was used, so a number kept
 * after its descriptor was closed never reaches the object that took the slot.
 */
#ifndef KERNEL_FD_H
#define KERNEL_FD_H

#include <stdatomic.h>
#include <stddef.h>

#define FD_MAX 8192 /* open descriptors, all kinds together */

struct fd_obj;

struct fd_ops {
	const char *kind; /* "socket", "file", "directory": for messages */
	/* toro_read / toro_write; NULL: -EINVAL. */
	long (*read)(struct fd_obj *o, void *buf, size_t size);
	long (*write)(struct fd_obj *o, const void *buf, size_t size);
	/* At toro_close, before the table's reference is dropped; may be NULL. */
	int (*close)(struct fd_obj *o);
	/* The last reference is gone: free the object. */
	void (*release)(struct fd_obj *o);
};

struct fd_obj {
	const struct fd_ops *ops; /* what the descriptor is */
	_Atomic int refs; /* the table's reference and one per call in progress */
};

/* Sets o's operations and its first reference (the one fd_install hands over). */
void fd_obj_init(struct fd_obj *o, const struct fd_ops *ops);

/* Puts o in the table: its descriptor (> 0), or -EMFILE / -ENOMEM (o untouched). */
int fd_install(struct fd_obj *o);

/* The object of fd with a reference taken, or NULL (-EBADF for the caller). */
struct fd_obj *fd_get(int fd);

/* The same, only if it has operations ops. */
struct fd_obj *fd_get_kind(int fd, const struct fd_ops *ops);

void fd_put(struct fd_obj *o);

/* Closes fd: 0, -EBADF, or what ops->close returned. */
int fd_close(int fd);

#endif
