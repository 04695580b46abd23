/* SPDX-License-Identifier: MIT */
/*
 * The FUSE client: one call per FUSE operation, over the virtio-fs transport
 * (drivers/virtio/fs.h), with every reply checked by lib/fuse.c. fs/vfs.c builds
 * the file API on it. All calls may sleep; any thread on any CPU may make them.
 * They return 0 (or a byte count) or -errno: the host's errno, or -EIO once the
 * device or its daemon broke or sent something malformed (the file system is
 * then marked broken and stays so).
 */
#ifndef FS_FUSEFS_H
#define FS_FUSEFS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/fuse.h"

struct virtiofs;

/* The mounted file system. */
struct fusefs {
	struct virtiofs *dev; /* its device */
	struct fuse_conn conn; /* what INIT settled */
	uint32_t io_max; /* data bytes per READ, WRITE or READDIR */
	bool plus; /* READDIRPLUS instead of READDIR */
};

/*
 * The file system, mounted on first use (INIT): the device tagged fs=TAG, or the
 * only one. NULL with *err = -ENODEV (no device, no such tag), -EIO or -EPROTO.
 */
struct fusefs *fusefs_get(int *err);

/* A reply to opcode was malformed (why): logs it and breaks the file system. */
void fusefs_refuse(struct fusefs *f, uint32_t opcode, const char *why);

int fusefs_lookup(struct fusefs *f, uint64_t parent, const char *name, size_t len,
		  struct fuse_entry_out *e);
/* Gives back n references of each node: forgets never fail from the caller's view. */
void fusefs_forget(struct fusefs *f, const uint64_t *nodes, uint32_t n);
/* GETATTR; fh is used when has_fh. */
int fusefs_getattr(struct fusefs *f, uint64_t nodeid, bool has_fh, uint64_t fh,
		   struct fuse_attr *a);
int fusefs_setattr(struct fusefs *f, uint64_t nodeid, const struct fuse_setattr_in *in,
		   struct fuse_attr *a);
/* opcode FUSE_OPEN or FUSE_OPENDIR. */
int fusefs_open(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint32_t flags,
		uint64_t *fh);
int fusefs_create(struct fusefs *f, uint64_t parent, const char *name, size_t len,
		  uint32_t flags, uint32_t mode, struct fuse_create_out *o);
/* opcode FUSE_READ, FUSE_READDIR or FUSE_READDIRPLUS; size <= io_max. Bytes read. */
long fusefs_read(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint64_t fh,
		 uint64_t off, void *buf, uint32_t size);
/* size <= io_max. Bytes written. */
long fusefs_write(struct fusefs *f, uint64_t nodeid, uint64_t fh, uint64_t off,
		  const void *buf, uint32_t size);
/* opcode FUSE_RELEASE or FUSE_RELEASEDIR. */
int fusefs_release(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint64_t fh,
		   uint32_t flags);
int fusefs_flush(struct fusefs *f, uint64_t nodeid, uint64_t fh);
/* opcode FUSE_FSYNC or FUSE_FSYNCDIR. */
int fusefs_fsync(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint64_t fh);
int fusefs_mkdir(struct fusefs *f, uint64_t parent, const char *name, size_t len,
		 uint32_t mode, struct fuse_entry_out *e);
/* opcode FUSE_UNLINK or FUSE_RMDIR. */
int fusefs_unlink(struct fusefs *f, uint32_t opcode, uint64_t parent, const char *name,
		  size_t len);
int fusefs_rename(struct fusefs *f, uint64_t olddir, const char *oldname, size_t oldlen,
		  uint64_t newdir, const char *newname, size_t newlen);

#endif
