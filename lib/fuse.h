/* SPDX-License-Identifier: MIT */
/*
 * FUSE messages for the virtio-fs client, as pure functions: building requests,
 * validating replies from the host, walking directory listings and splitting
 * paths. No I/O, no allocation; the driver owns the queues, the buffers and the
 * unique IDs. See fuse.c for the primer and uapi/fuse.h for the wire layouts.
 *
 * Everything the host sends is untrusted: fuse_reply_check() and the dirent
 * iterators read a reply only within the length the device reported, copy the
 * fixed-size parts out (the host could change shared memory later), and refuse
 * anything malformed with -EIO and a reason for the log.
 */
#ifndef LIB_FUSE_H
#define LIB_FUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toro/errno.h"
#include "uapi/fuse.h"

#define FUSE_NAME_MAX 255 /* bytes of one name, without NUL (NAME_MAX) */
#define FUSE_PATH_MAX 4096 /* bytes of a path, NUL included (PATH_MAX) */
#define FUSE_PATH_DEPTH_MAX 128 /* components of a path, at most */
#define FUSE_MIN_MINOR 23 /* oldest minor Toro accepts: 64-byte init_out, RENAME2 */
#define FUSE_MIN_MAX_WRITE 4096 /* max_write below this is raised to it (as Linux) */

/* INIT flags Toro asks for: large writes, O_TRUNC in OPEN, READDIRPLUS, max_pages. */
#define FUSE_TORO_INIT_FLAGS \
	(FUSE_BIG_WRITES | FUSE_ATOMIC_O_TRUNC | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES)

/* Request bytes: header + op struct + up to two names with their NULs. */
#define FUSE_REQ_MAX                                                      \
	(sizeof(struct fuse_in_header) + sizeof(struct fuse_setattr_in) + \
	 2 * (FUSE_NAME_MAX + 1))

/*
 * Where a request is built. The caller sets buf, cap and the credentials once and
 * reuses the struct; each fuse_req_*() call overwrites buf from the start and sets
 * len. WRITE data is not copied: the caller queues it as a second device-readable
 * segment of payload_len bytes right after the first len bytes.
 */
struct fuse_req {
	void *buf; /* caller's buffer, any alignment */
	size_t cap; /* its size; FUSE_REQ_MAX always suffices */
	uint32_t uid, gid, pid; /* stamped into every in_header */
	size_t len; /* out: bytes of buf that form the request */
	uint32_t payload_len; /* out: WRITE data bytes after buf (0 otherwise) */
};

/*
 * Checks one name for a request: 1..255 bytes, no '/' or NUL, not "." or "..".
 * -EINVAL for an empty or forbidden name, -ENAMETOOLONG past 255 bytes.
 */
int fuse_name_check(const char *name, size_t len);

/*
 * Request builders. Each returns 0 and fills r->buf, or -EINVAL (unique or node
 * ID 0, an opcode the builder does not make, a bad name or argument),
 * -ENAMETOOLONG (a name past 255 bytes) or -E2BIG (r->cap too small). Names are
 * (pointer, length) pairs, need not be NUL-terminated, and are copied with a NUL.
 * "parent", "dir" and "nodeid" are node IDs from LOOKUP (FUSE_ROOT_ID for the root).
 */
int fuse_req_init(struct fuse_req *r, uint64_t unique, uint32_t max_readahead,
		  uint32_t flags);
int fuse_req_lookup(struct fuse_req *r, uint64_t unique, uint64_t parent,
		    const char *name, size_t len);
/* FUSE_GETATTR_FH in getattr_flags asks about open file fh. */
int fuse_req_getattr(struct fuse_req *r, uint64_t unique, uint64_t nodeid,
		     uint32_t getattr_flags, uint64_t fh);
/* in->valid holds FATTR_* bits (FATTR_SIZE for a truncate); other bits: -EINVAL. */
int fuse_req_setattr(struct fuse_req *r, uint64_t unique, uint64_t nodeid,
		     const struct fuse_setattr_in *in);
/* opcode FUSE_OPEN or FUSE_OPENDIR; flags are open(2) flags (Linux values). */
int fuse_req_open(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t nodeid,
		  uint32_t flags);
int fuse_req_create(struct fuse_req *r, uint64_t unique, uint64_t parent,
		    const char *name, size_t len, uint32_t flags, uint32_t mode,
		    uint32_t umask);
/* opcode FUSE_READ, FUSE_READDIR or FUSE_READDIRPLUS; the reply has <= size bytes. */
int fuse_req_read(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t nodeid,
		  uint64_t fh, uint64_t offset, uint32_t size, uint32_t flags);
/* Header part of a WRITE of size bytes; sets r->payload_len = size. */
int fuse_req_write(struct fuse_req *r, uint64_t unique, uint64_t nodeid, uint64_t fh,
		   uint64_t offset, uint32_t size, uint32_t write_flags, uint32_t flags);
/* opcode FUSE_RELEASE or FUSE_RELEASEDIR; flags are fh's open(2) flags. */
int fuse_req_release(struct fuse_req *r, uint64_t unique, uint32_t opcode,
		     uint64_t nodeid, uint64_t fh, uint32_t flags);
int fuse_req_flush(struct fuse_req *r, uint64_t unique, uint64_t nodeid, uint64_t fh,
		   uint64_t lock_owner);
/* opcode FUSE_FSYNC or FUSE_FSYNCDIR; datasync sets FUSE_FSYNC_FDATASYNC. */
int fuse_req_fsync(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t nodeid,
		   uint64_t fh, bool datasync);
int fuse_req_mkdir(struct fuse_req *r, uint64_t unique, uint64_t parent, const char *name,
		   size_t len, uint32_t mode, uint32_t umask);
/* opcode FUSE_UNLINK or FUSE_RMDIR. */
int fuse_req_unlink(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t parent,
		    const char *name, size_t len);
/* RENAME when flags is 0, else RENAME2 with renameat2(2) flags. */
int fuse_req_rename(struct fuse_req *r, uint64_t unique, uint64_t olddir,
		    const char *oldname, size_t oldlen, uint64_t newdir,
		    const char *newname, size_t newlen, uint32_t flags);
/* nlookup >= 1. FORGET has no reply: the driver must not wait for one. */
int fuse_req_forget(struct fuse_req *r, uint64_t unique, uint64_t nodeid,
		    uint64_t nlookup);
/*
 * BATCH_FORGET of n records (1..FUSE_BATCH_FORGET_MAX), each with nodeid not 0 or
 * the root and nlookup >= 1. No reply, as for FORGET.
 */
#define FUSE_BATCH_FORGET_MAX 32
#define FUSE_BATCH_FORGET_BYTES                                                \
	(sizeof(struct fuse_in_header) + sizeof(struct fuse_batch_forget_in) + \
	 FUSE_BATCH_FORGET_MAX * sizeof(struct fuse_forget_one))
int fuse_req_batch_forget(struct fuse_req *r, uint64_t unique,
			  const struct fuse_forget_one *items, uint32_t n);
int fuse_req_statfs(struct fuse_req *r, uint64_t unique, uint64_t nodeid);
int fuse_req_destroy(struct fuse_req *r, uint64_t unique);

/* CREATE's reply: a new entry and an open file. */
struct fuse_create_out {
	struct fuse_entry_out entry;
	struct fuse_open_out open;
};
_Static_assert(sizeof(struct fuse_create_out) == 144, "fuse_create_out size");

/* A checked reply. */
struct fuse_reply {
	int error; /* 0, or the host's negative errno */
	const char *reason; /* static text: why the reply is malformed, or "ok" */
	const uint8_t *data; /* READ, READDIR(PLUS): the data, inside the caller's buf */
	uint32_t data_len; /* payload bytes after the out header (INIT: as received) */
	union {
		struct fuse_init_out init; /* INIT, zero-extended if short */
		struct fuse_entry_out entry; /* LOOKUP, MKDIR */
		struct fuse_attr_out attr; /* GETATTR, SETATTR */
		struct fuse_open_out open; /* OPEN, OPENDIR */
		struct fuse_create_out create; /* CREATE */
		struct fuse_write_out write; /* WRITE */
		struct fuse_statfs_out statfs; /* STATFS */
	} out; /* copied from buf; all zero when nothing of this kind */
};

/*
 * Validates the reply buf[0..len) (len = bytes the device reports written) to the
 * request (unique, opcode). Returns
 *   0        a success reply with the payload the opcode calls for, copied to
 *            rep->out (fixed size) or pointed to by rep->data (READ, READDIR*);
 *   -errno   the host's error (an error reply is the header alone), rep->error;
 *            LOOKUP's negative entry (nodeid 0) is reported as -ENOENT;
 *   -EIO     the reply is malformed (rep->reason says how): length disagreeing
 *            with len, wrong unique, error outside -4095..0, a payload of the
 *            wrong size, a node ID that cannot be, attributes with a bad type;
 *   -EINVAL  the opcode has no reply (FORGET) or is one Toro does not send.
 * READ and READDIR* data may be up to what the device wrote; the caller also
 * checks data_len against the size it asked for, and WRITE's out.write.size.
 * When an entry reply (LOOKUP, MKDIR, MKNOD, CREATE) is refused with -EIO but
 * rep->out holds a non-zero nodeid, the server counted a lookup: FORGET it.
 * For READ and READDIR*, no byte after the out header is read: a driver that had
 * the device write the data into a buffer of its own may pass the header alone
 * with len = all bytes written (rep->data then points past the header, unusable).
 */
int fuse_reply_check(const void *buf, size_t len, uint64_t unique, uint32_t opcode,
		     struct fuse_reply *rep);

/* The session parameters INIT settled. */
struct fuse_conn {
	uint32_t minor; /* min(ours, server's) */
	uint32_t flags; /* FUSE_* flags both sides enabled */
	uint32_t max_write; /* largest WRITE data, >= FUSE_MIN_MAX_WRITE */
	uint32_t max_readahead; /* as the server set it */
	uint32_t max_pages; /* if FUSE_MAX_PAGES, else 0 */
	uint32_t time_gran; /* ns, 1..10^9 (1 if the server gave none) */
};

/*
 * Settles the session from a checked INIT reply and the flags we sent. -EPROTO if
 * the server's major is not 7 or the common minor is below FUSE_MIN_MINOR.
 */
int fuse_init_negotiate(const struct fuse_init_out *o, uint32_t sent_flags,
			struct fuse_conn *c);

/* One directory entry from a READDIR or READDIRPLUS reply. */
struct fuse_dir_entry {
	uint64_t ino; /* host inode number */
	uint64_t off; /* cookie: READDIR from here continues after this entry */
	uint32_t type; /* DT_* (0..15) */
	uint32_t namelen; /* 1..255 */
	const char *name; /* inside the caller's buf, NOT NUL-terminated */
	struct fuse_entry_out entry; /* READDIRPLUS: the lookup; zero for READDIR */
	const char *reason; /* static text: why the record is malformed, or "ok" */
};

/*
 * Reads the record at *off of a READDIR reply buf[0..len) (rep->data, data_len)
 * and advances *off past it (start with *off = 0). Returns 0 with *e filled,
 * -ENOENT at the clean end (*off == len), or -EIO if the record is malformed
 * (truncated, misaligned, namelen 0 or > 255, '/' or NUL in the name, bad type);
 * *off does not move then. Every record is at least 32 bytes, so a loop over a
 * reply ends after len / 32 entries whatever the host sent.
 */
int fuse_dirent_next(const void *buf, size_t len, size_t *off, struct fuse_dir_entry *e);

/*
 * The same for READDIRPLUS; e->entry is the record's entry_out. A record with a
 * non-zero nodeid must also have a valid one (not the root) and valid attributes,
 * and it holds a lookup reference the caller must FORGET, also when that record
 * is refused with -EIO for its node ID or attributes (e->entry is filled then).
 */
int fuse_direntplus_next(const void *buf, size_t len, size_t *off,
			 struct fuse_dir_entry *e);

/*
 * Splits a path into names for successive LOOKUPs from the root. "/" and "//"
 * separate, "." is skipped, ".." is returned as a component of its own: the caller
 * steps back to the node it came from (and stays at the root at the root), since
 * ".." is never sent to the host (fuse_name_check refuses it) and no name may lead
 * out of the shared directory. A relative path starts at the root too (Toro has
 * no working directory).
 */
struct fuse_path {
	const char *path; /* the whole path */
	size_t len; /* its length without NUL */
	size_t pos; /* where the next component search starts */
	uint32_t depth; /* components in the path (0 for the root) */
	uint32_t index; /* components returned so far */
	bool dir_only; /* the path ends in '/' or "/.": the target must be a directory */
};

/*
 * Checks the whole path first: -ENOENT if it is empty, -ENAMETOOLONG if it has no
 * NUL within FUSE_PATH_MAX bytes, a component is longer than 255 bytes or there
 * are more than FUSE_PATH_DEPTH_MAX components.
 */
int fuse_path_init(struct fuse_path *w, const char *path);

/* Next component as (*name, *len): 0, or -ENOENT after the last one. */
int fuse_path_next(struct fuse_path *w, const char **name, size_t *len);

/* True once the component just returned is the last one (the target itself). */
bool fuse_path_at_last(const struct fuse_path *w);

/* Name of an opcode for logs ("LOOKUP"), "UNKNOWN" otherwise. */
const char *fuse_opcode_name(uint32_t opcode);

#endif
