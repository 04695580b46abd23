/* SPDX-License-Identifier: MIT */
/*
 * FUSE messages for virtio-fs (virtio 1.2 section 5.11, Linux uapi/linux/fuse.h).
 *
 * Primer. virtio-fs carries FUSE unchanged: each request is one virtqueue chain
 * whose device-readable part is the request (in_header, op struct, names, WRITE
 * data) and whose device-writable part receives the reply (out_header, then the
 * reply struct or data). The host daemon (virtiofsd) is the FUSE server. A session
 * starts with INIT (versions and limits), then:
 *
 *   LOOKUP(parent, name)  -> entry_out: node ID + attributes; one lookup reference
 *   GETATTR / SETATTR     -> attr_out
 *   OPEN / OPENDIR        -> open_out: file handle fh
 *   CREATE(parent, name)  -> entry_out + open_out (a reference and an fh)
 *   READ / WRITE(fh)      -> data / write_out
 *   READDIR(PLUS)(fh)     -> packed dirent records (PLUS: each with an entry_out)
 *   FLUSH, FSYNC, RELEASE(DIR), UNLINK, RMDIR, RENAME -> header only
 *   FORGET(node, n)       -> no reply: drops n lookup references
 *
 * Node IDs are the server's: every successful LOOKUP, MKDIR, CREATE and every
 * READDIRPLUS entry with a non-zero nodeid adds one reference, which the driver
 * returns with FORGET when it drops the inode. The root, FUSE_ROOT_ID, is never
 * looked up or forgotten. unique pairs a reply with its request; the driver picks
 * it (never 0: unique 0 is the server's notification channel).
 *
 * Trust. The reply is written by the host into guest memory. This file reads only
 * the bytes the device reported, copies every fixed-size part out before checking
 * it (so a later change by the host cannot bypass a check), accepts exactly the
 * sizes Linux accepts (fixed replies exact, READ/READDIR data variable, INIT short
 * only for old minors), rejects what Linux rejects with -EIO (impossible node IDs,
 * file types, sizes; names with '/'), and bounds every loop by the reply length.
 */
#include "lib/fuse.h"

#include "lib/kstring.h"

#define FUSE_HDR_IN sizeof(struct fuse_in_header)
#define FUSE_HDR_OUT sizeof(struct fuse_out_header)
#define FUSE_ERRNO_MAX 4095 /* largest errno a reply may carry */
#define FUSE_NSEC_PER_SEC 1000000000u

/* File types in fuse_attr.mode (Linux S_IF* values). */
#define FUSE_S_IFMT 0170000u
#define FUSE_S_IFSOCK 0140000u
#define FUSE_S_IFLNK 0120000u
#define FUSE_S_IFREG 0100000u
#define FUSE_S_IFBLK 0060000u
#define FUSE_S_IFDIR 0040000u
#define FUSE_S_IFCHR 0020000u
#define FUSE_S_IFIFO 0010000u

/* ---- names and request building ------------------------------------------- */

int fuse_name_check(const char *name, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > FUSE_NAME_MAX)
		return -ENAMETOOLONG;
	/* "." and ".." would let a name step outside the node it is looked up in. */
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\0')
			return -EINVAL;
	return 0;
}

/* A name to append after the op struct; ptr NULL means none. */
struct fuse_name {
	const char *ptr;
	size_t len;
};

/* A refused request leaves nothing to send. */
static int fuse_refuse(struct fuse_req *r, int err)
{
	r->len = 0;
	r->payload_len = 0;
	return err;
}

/*
 * Writes in_header + arg + names into r->buf. payload is WRITE's data length,
 * counted in in_header.len but not copied.
 */
static int fuse_build(struct fuse_req *r, uint32_t opcode, uint64_t unique,
		      uint64_t nodeid, const void *arg, size_t arglen,
		      const struct fuse_name *n1, const struct fuse_name *n2,
		      uint32_t payload)
{
	const struct fuse_name *names[2] = { n1, n2 };
	struct fuse_in_header h;
	uint8_t *p = r->buf;
	size_t need = FUSE_HDR_IN + arglen;
	int err;

	if (unique == 0)
		return fuse_refuse(r, -EINVAL);
	/* Only INIT and DESTROY address no node. */
	if (nodeid == 0 && opcode != FUSE_INIT && opcode != FUSE_DESTROY)
		return fuse_refuse(r, -EINVAL);
	for (int i = 0; i < 2; i++) {
		if (!names[i])
			continue;
		err = fuse_name_check(names[i]->ptr, names[i]->len);
		if (err)
			return fuse_refuse(r, err);
		need += names[i]->len + 1;
	}
	if (need > r->cap)
		return fuse_refuse(r, -E2BIG);
	/* in_header.len is 32 bits and counts WRITE's data too. */
	if ((uint64_t)need + payload > UINT32_MAX)
		return fuse_refuse(r, -EINVAL);

	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)(need + payload);
	h.opcode = opcode;
	h.unique = unique;
	h.nodeid = nodeid;
	h.uid = r->uid;
	h.gid = r->gid;
	h.pid = r->pid;
	memcpy(p, &h, FUSE_HDR_IN);
	p += FUSE_HDR_IN;
	if (arglen) {
		memcpy(p, arg, arglen);
		p += arglen;
	}
	for (int i = 0; i < 2; i++) {
		if (!names[i])
			continue;
		memcpy(p, names[i]->ptr, names[i]->len);
		p += names[i]->len;
		*p++ = '\0';
	}
	r->len = need;
	r->payload_len = payload;
	return 0;
}

int fuse_req_init(struct fuse_req *r, uint64_t unique, uint32_t max_readahead,
		  uint32_t flags)
{
	struct fuse_init_in in = { FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION,
				   max_readahead, flags };

	/* Without the 7.36 extension the 16-byte init_in is the whole request. */
	if (flags & FUSE_INIT_EXT)
		return fuse_refuse(r, -EINVAL);
	return fuse_build(r, FUSE_INIT, unique, 0, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_lookup(struct fuse_req *r, uint64_t unique, uint64_t parent,
		    const char *name, size_t len)
{
	struct fuse_name n = { name, len };

	return fuse_build(r, FUSE_LOOKUP, unique, parent, NULL, 0, &n, NULL, 0);
}

int fuse_req_getattr(struct fuse_req *r, uint64_t unique, uint64_t nodeid,
		     uint32_t getattr_flags, uint64_t fh)
{
	struct fuse_getattr_in in;

	if (getattr_flags & ~FUSE_GETATTR_FH)
		return fuse_refuse(r, -EINVAL);
	memset(&in, 0, sizeof(in));
	in.getattr_flags = getattr_flags;
	in.fh = fh;
	return fuse_build(r, FUSE_GETATTR, unique, nodeid, &in, sizeof(in), NULL, NULL,
			  0);
}

int fuse_req_setattr(struct fuse_req *r, uint64_t unique, uint64_t nodeid,
		     const struct fuse_setattr_in *in)
{
	const uint32_t known = FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_SIZE |
			       FATTR_ATIME | FATTR_MTIME | FATTR_FH | FATTR_ATIME_NOW |
			       FATTR_MTIME_NOW | FATTR_LOCKOWNER | FATTR_CTIME;

	if (in->valid == 0 || (in->valid & ~known))
		return fuse_refuse(r, -EINVAL);
	if (in->size > (uint64_t)INT64_MAX)
		return fuse_refuse(r, -EINVAL);
	return fuse_build(r, FUSE_SETATTR, unique, nodeid, in, sizeof(*in), NULL, NULL,
			  0);
}

int fuse_req_open(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t nodeid,
		  uint32_t flags)
{
	struct fuse_open_in in = { flags, 0 };

	if (opcode != FUSE_OPEN && opcode != FUSE_OPENDIR)
		return fuse_refuse(r, -EINVAL);
	return fuse_build(r, opcode, unique, nodeid, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_create(struct fuse_req *r, uint64_t unique, uint64_t parent,
		    const char *name, size_t len, uint32_t flags, uint32_t mode,
		    uint32_t umask)
{
	struct fuse_create_in in = { flags, mode, umask, 0 };
	struct fuse_name n = { name, len };

	return fuse_build(r, FUSE_CREATE, unique, parent, &in, sizeof(in), &n, NULL, 0);
}

int fuse_req_read(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t nodeid,
		  uint64_t fh, uint64_t offset, uint32_t size, uint32_t flags)
{
	struct fuse_read_in in;

	if (opcode != FUSE_READ && opcode != FUSE_READDIR && opcode != FUSE_READDIRPLUS)
		return fuse_refuse(r, -EINVAL);
	/* A file offset is an off_t on the host; a directory offset is opaque. */
	if (opcode == FUSE_READ && offset > (uint64_t)INT64_MAX)
		return fuse_refuse(r, -EINVAL);
	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.offset = offset;
	in.size = size;
	in.flags = flags;
	return fuse_build(r, opcode, unique, nodeid, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_write(struct fuse_req *r, uint64_t unique, uint64_t nodeid, uint64_t fh,
		   uint64_t offset, uint32_t size, uint32_t write_flags, uint32_t flags)
{
	struct fuse_write_in in;

	if (offset > (uint64_t)INT64_MAX || size > (uint64_t)INT64_MAX - offset)
		return fuse_refuse(r, -EINVAL);
	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.offset = offset;
	in.size = size;
	in.write_flags = write_flags;
	in.flags = flags;
	return fuse_build(r, FUSE_WRITE, unique, nodeid, &in, sizeof(in), NULL, NULL,
			  size);
}

int fuse_req_release(struct fuse_req *r, uint64_t unique, uint32_t opcode,
		     uint64_t nodeid, uint64_t fh, uint32_t flags)
{
	struct fuse_release_in in;

	if (opcode != FUSE_RELEASE && opcode != FUSE_RELEASEDIR)
		return fuse_refuse(r, -EINVAL);
	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.flags = flags;
	return fuse_build(r, opcode, unique, nodeid, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_flush(struct fuse_req *r, uint64_t unique, uint64_t nodeid, uint64_t fh,
		   uint64_t lock_owner)
{
	struct fuse_flush_in in;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.lock_owner = lock_owner;
	return fuse_build(r, FUSE_FLUSH, unique, nodeid, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_fsync(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t nodeid,
		   uint64_t fh, bool datasync)
{
	struct fuse_fsync_in in;

	if (opcode != FUSE_FSYNC && opcode != FUSE_FSYNCDIR)
		return fuse_refuse(r, -EINVAL);
	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0;
	return fuse_build(r, opcode, unique, nodeid, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_mkdir(struct fuse_req *r, uint64_t unique, uint64_t parent, const char *name,
		   size_t len, uint32_t mode, uint32_t umask)
{
	struct fuse_mkdir_in in = { mode, umask };
	struct fuse_name n = { name, len };

	return fuse_build(r, FUSE_MKDIR, unique, parent, &in, sizeof(in), &n, NULL, 0);
}

int fuse_req_unlink(struct fuse_req *r, uint64_t unique, uint32_t opcode, uint64_t parent,
		    const char *name, size_t len)
{
	struct fuse_name n = { name, len };

	if (opcode != FUSE_UNLINK && opcode != FUSE_RMDIR)
		return fuse_refuse(r, -EINVAL);
	return fuse_build(r, opcode, unique, parent, NULL, 0, &n, NULL, 0);
}

int fuse_req_rename(struct fuse_req *r, uint64_t unique, uint64_t olddir,
		    const char *oldname, size_t oldlen, uint64_t newdir,
		    const char *newname, size_t newlen, uint32_t flags)
{
	struct fuse_name o = { oldname, oldlen }, n = { newname, newlen };
	struct fuse_rename2_in in2 = { newdir, flags, 0 };
	struct fuse_rename_in in = { newdir };

	if (newdir == 0)
		return fuse_refuse(r, -EINVAL);
	if (flags == 0)
		return fuse_build(r, FUSE_RENAME, unique, olddir, &in, sizeof(in), &o, &n,
				  0);
	return fuse_build(r, FUSE_RENAME2, unique, olddir, &in2, sizeof(in2), &o, &n, 0);
}

int fuse_req_forget(struct fuse_req *r, uint64_t unique, uint64_t nodeid,
		    uint64_t nlookup)
{
	struct fuse_forget_in in = { nlookup };

	/* The root is never looked up, so it is never forgotten either. */
	if (nlookup == 0 || nodeid == FUSE_ROOT_ID)
		return fuse_refuse(r, -EINVAL);
	return fuse_build(r, FUSE_FORGET, unique, nodeid, &in, sizeof(in), NULL, NULL, 0);
}

int fuse_req_batch_forget(struct fuse_req *r, uint64_t unique,
			  const struct fuse_forget_one *items, uint32_t n)
{
	struct fuse_batch_forget_in in = { n, 0 };
	struct fuse_in_header h;
	size_t need = FUSE_HDR_IN + sizeof(in) + (size_t)n * sizeof(*items);
	uint8_t *p = r->buf;

	if (unique == 0 || n == 0 || n > FUSE_BATCH_FORGET_MAX)
		return fuse_refuse(r, -EINVAL);
	for (uint32_t i = 0; i < n; i++)
		if (items[i].nodeid == 0 || items[i].nodeid == FUSE_ROOT_ID ||
		    items[i].nlookup == 0)
			return fuse_refuse(r, -EINVAL);
	if (need > r->cap)
		return fuse_refuse(r, -E2BIG);
	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)need;
	h.opcode = FUSE_BATCH_FORGET;
	h.unique = unique;
	h.uid = r->uid;
	h.gid = r->gid;
	h.pid = r->pid;
	memcpy(p, &h, FUSE_HDR_IN);
	memcpy(p + FUSE_HDR_IN, &in, sizeof(in));
	memcpy(p + FUSE_HDR_IN + sizeof(in), items, (size_t)n * sizeof(*items));
	r->len = need;
	r->payload_len = 0;
	return 0;
}

int fuse_req_statfs(struct fuse_req *r, uint64_t unique, uint64_t nodeid)
{
	return fuse_build(r, FUSE_STATFS, unique, nodeid, NULL, 0, NULL, NULL, 0);
}

int fuse_req_destroy(struct fuse_req *r, uint64_t unique)
{
	return fuse_build(r, FUSE_DESTROY, unique, 0, NULL, 0, NULL, NULL, 0);
}

/* ---- replies ----------------------------------------------------------------- */

/* What a successful reply to an opcode carries. */
enum fuse_reply_kind {
	FUSE_RK_NONE, /* no reply at all (FORGET), or an opcode Toro never sends */
	FUSE_RK_EMPTY, /* the header alone */
	FUSE_RK_INIT, /* fuse_init_out, 8, 24 or 64 bytes */
	FUSE_RK_ENTRY, /* fuse_entry_out */
	FUSE_RK_ATTR, /* fuse_attr_out */
	FUSE_RK_OPEN, /* fuse_open_out */
	FUSE_RK_CREATE, /* fuse_entry_out + fuse_open_out */
	FUSE_RK_WRITE, /* fuse_write_out */
	FUSE_RK_STATFS, /* fuse_statfs_out */
	FUSE_RK_DATA, /* any number of bytes (READ, READDIR, READDIRPLUS) */
};

static enum fuse_reply_kind fuse_reply_kind(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_INIT:
		return FUSE_RK_INIT;
	case FUSE_LOOKUP:
	case FUSE_MKDIR:
	case FUSE_MKNOD:
		return FUSE_RK_ENTRY;
	case FUSE_GETATTR:
	case FUSE_SETATTR:
		return FUSE_RK_ATTR;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		return FUSE_RK_OPEN;
	case FUSE_CREATE:
		return FUSE_RK_CREATE;
	case FUSE_WRITE:
		return FUSE_RK_WRITE;
	case FUSE_STATFS:
		return FUSE_RK_STATFS;
	case FUSE_READ:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		return FUSE_RK_DATA;
	case FUSE_UNLINK:
	case FUSE_RMDIR:
	case FUSE_RENAME:
	case FUSE_RENAME2:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_DESTROY:
		return FUSE_RK_EMPTY;
	default:
		return FUSE_RK_NONE;
	}
}

static int fuse_reply_fail(struct fuse_reply *rep, const char *why)
{
	rep->reason = why;
	return -EIO;
}

/* The checks Linux applies to attributes (fuse_invalid_attr), plus sane nsec. */
static const char *fuse_attr_problem(const struct fuse_attr *a)
{
	switch (a->mode & FUSE_S_IFMT) {
	case FUSE_S_IFREG:
	case FUSE_S_IFDIR:
	case FUSE_S_IFLNK:
	case FUSE_S_IFCHR:
	case FUSE_S_IFBLK:
	case FUSE_S_IFIFO:
	case FUSE_S_IFSOCK:
		break;
	default:
		return "attributes: not a file type";
	}
	if (a->size > (uint64_t)INT64_MAX)
		return "attributes: size beyond 2^63 - 1";
	if (a->atimensec >= FUSE_NSEC_PER_SEC || a->mtimensec >= FUSE_NSEC_PER_SEC ||
	    a->ctimensec >= FUSE_NSEC_PER_SEC)
		return "attributes: nanoseconds beyond a second";
	return NULL;
}

/*
 * An entry_out that creates a reference. want_type is the S_IF* type the new
 * node must have (0: any).
 */
static int fuse_check_entry(struct fuse_reply *rep, const struct fuse_entry_out *e,
			    uint32_t opcode, uint32_t want_type)
{
	const char *why;

	if (e->nodeid == 0) {
		/* A negative entry: the name does not exist (and may be cached). */
		if (opcode == FUSE_LOOKUP) {
			rep->error = -ENOENT;
			return -ENOENT;
		}
		return fuse_reply_fail(rep, "new entry with node ID 0");
	}
	if (e->nodeid == FUSE_ROOT_ID && opcode != FUSE_LOOKUP)
		return fuse_reply_fail(rep, "new entry claims the root's node ID");
	why = fuse_attr_problem(&e->attr);
	if (why)
		return fuse_reply_fail(rep, why);
	if (want_type && (e->attr.mode & FUSE_S_IFMT) != want_type)
		return fuse_reply_fail(rep, "new entry has the wrong file type");
	return 0;
}

/* INIT: short layouts only from servers whose minor predates the fields. */
static int fuse_check_init(struct fuse_reply *rep, const uint8_t *p, size_t plen)
{
	const struct fuse_init_out *o = &rep->out.init;

	/* The sizes that were sizeof(fuse_init_out) at some minor; nothing between. */
	if (plen != FUSE_COMPAT_INIT_OUT_SIZE && plen != FUSE_COMPAT_22_INIT_OUT_SIZE &&
	    plen != sizeof(struct fuse_init_out))
		return fuse_reply_fail(rep, "INIT reply of a size no minor uses");
	memcpy(&rep->out.init, p, plen); /* the rest stays zero */
	/* Another major answers with its own layout; fuse_init_negotiate() refuses. */
	if (o->major == FUSE_KERNEL_VERSION) {
		if (plen == FUSE_COMPAT_INIT_OUT_SIZE && o->minor >= 5)
			return fuse_reply_fail(rep, "INIT reply too short for its minor");
		if (plen == FUSE_COMPAT_22_INIT_OUT_SIZE && o->minor >= 23)
			return fuse_reply_fail(rep, "INIT reply too short for its minor");
	}
	return 0;
}

/* Copies a fixed-size reply struct of exactly size bytes. */
static int fuse_copy_exact(struct fuse_reply *rep, const uint8_t *p, size_t plen,
			   size_t size)
{
	if (plen != size)
		return fuse_reply_fail(rep, "payload size wrong for the opcode");
	memcpy(&rep->out, p, size);
	return 0;
}

int fuse_reply_check(const void *buf, size_t len, uint64_t unique, uint32_t opcode,
		     struct fuse_reply *rep)
{
	enum fuse_reply_kind kind = fuse_reply_kind(opcode);
	const uint8_t *p = (const uint8_t *)buf + FUSE_HDR_OUT;
	struct fuse_out_header h;
	const char *why;
	size_t plen;
	int err;

	memset(rep, 0, sizeof(*rep));
	rep->reason = "ok";
	if (kind == FUSE_RK_NONE || unique == 0) {
		rep->reason = "unique 0, or an opcode without a reply";
		return -EINVAL;
	}
	if (len < FUSE_HDR_OUT)
		return fuse_reply_fail(rep, "reply shorter than its header");
	memcpy(&h, buf, FUSE_HDR_OUT);
	if (h.len != len)
		return fuse_reply_fail(rep,
				       "header length differs from the bytes received");
	if (h.unique != unique)
		return fuse_reply_fail(rep, "unique does not match the request");
	/* Linux allows less (> -512); -4095 is the widest errno anyone returns. */
	if (h.error > 0 || h.error < -FUSE_ERRNO_MAX)
		return fuse_reply_fail(rep, "error outside -4095..0");
	plen = len - FUSE_HDR_OUT;
	rep->data_len = (uint32_t)plen;
	/* virtiofsd answers an error with the header alone; anything more is junk. */
	if (h.error) {
		if (plen)
			return fuse_reply_fail(rep, "error reply with a payload");
		rep->error = h.error;
		return h.error;
	}

	switch (kind) {
	case FUSE_RK_EMPTY:
		if (plen)
			return fuse_reply_fail(rep, "payload on a reply that takes none");
		return 0;
	case FUSE_RK_INIT:
		return fuse_check_init(rep, p, plen);
	case FUSE_RK_ENTRY:
		err = fuse_copy_exact(rep, p, plen, sizeof(struct fuse_entry_out));
		if (err)
			return err;
		return fuse_check_entry(rep, &rep->out.entry, opcode,
					opcode == FUSE_MKDIR ? FUSE_S_IFDIR : 0);
	case FUSE_RK_CREATE:
		err = fuse_copy_exact(rep, p, plen, sizeof(struct fuse_create_out));
		if (err)
			return err;
		return fuse_check_entry(rep, &rep->out.create.entry, opcode,
					FUSE_S_IFREG);
	case FUSE_RK_ATTR:
		err = fuse_copy_exact(rep, p, plen, sizeof(struct fuse_attr_out));
		if (err)
			return err;
		why = fuse_attr_problem(&rep->out.attr.attr);
		return why ? fuse_reply_fail(rep, why) : 0;
	case FUSE_RK_OPEN:
		return fuse_copy_exact(rep, p, plen, sizeof(struct fuse_open_out));
	case FUSE_RK_WRITE:
		return fuse_copy_exact(rep, p, plen, sizeof(struct fuse_write_out));
	case FUSE_RK_STATFS:
		return fuse_copy_exact(rep, p, plen, sizeof(struct fuse_statfs_out));
	case FUSE_RK_DATA:
		rep->data = p;
		return 0;
	default:
		return fuse_reply_fail(rep, "no reply expected for this request");
	}
}

int fuse_init_negotiate(const struct fuse_init_out *o, uint32_t sent_flags,
			struct fuse_conn *c)
{
	memset(c, 0, sizeof(*c));
	if (o->major != FUSE_KERNEL_VERSION)
		return -EPROTO;
	c->minor = o->minor < FUSE_KERNEL_MINOR_VERSION ? o->minor :
							  FUSE_KERNEL_MINOR_VERSION;
	if (c->minor < FUSE_MIN_MINOR)
		return -EPROTO;
	/* A flag is on only if we offered it and the server took it. */
	c->flags = o->flags & sent_flags;
	c->max_write = o->max_write < FUSE_MIN_MAX_WRITE ? FUSE_MIN_MAX_WRITE :
							   o->max_write;
	c->max_readahead = o->max_readahead;
	c->max_pages = (c->flags & FUSE_MAX_PAGES) ? o->max_pages : 0;
	c->time_gran =
		(o->time_gran && o->time_gran <= FUSE_NSEC_PER_SEC) ? o->time_gran : 1;
	return 0;
}

/* ---- directory listings ----------------------------------------------------- */

static int fuse_dir_fail(struct fuse_dir_entry *e, int err, const char *why)
{
	e->reason = why;
	return err;
}

/*
 * One record at *off: for plus, an entry_out first. Record sizes are at least
 * FUSE_DIRENT_ALIGN(hdr + 1) > 0, so *off strictly grows and the loop ends.
 */
static int fuse_dirent_common(const void *buf, size_t len, size_t *off,
			      struct fuse_dir_entry *e, bool plus)
{
	const size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	const uint8_t *p;
	struct fuse_dirent d;
	const char *why;
	size_t rem, rec;

	memset(e, 0, sizeof(*e));
	e->reason = "ok";
	if (*off > len || (*off & 7))
		return fuse_dir_fail(e, -EINVAL, "offset not at a record boundary");
	if (*off == len)
		return -ENOENT;
	rem = len - *off;
	p = (const uint8_t *)buf + *off;
	if (rem < hdr)
		return fuse_dir_fail(e, -EIO, "record header truncated");
	if (plus) {
		memcpy(&e->entry, p, sizeof(e->entry));
		p += sizeof(e->entry);
	}
	memcpy(&d, p, sizeof(d));
	if (d.namelen == 0)
		return fuse_dir_fail(e, -EIO, "record with an empty name");
	if (d.namelen > FUSE_NAME_MAX)
		return fuse_dir_fail(e, -EIO, "record name longer than 255 bytes");
	/* namelen <= 255 here, so this cannot wrap; virtiofsd pads the last record too. */
	rec = FUSE_DIRENT_ALIGN(hdr + d.namelen);
	if (rec > rem)
		return fuse_dir_fail(e, -EIO, "record overruns the reply");
	e->name = (const char *)p + FUSE_NAME_OFFSET;
	for (uint32_t i = 0; i < d.namelen; i++)
		if (e->name[i] == '/' || e->name[i] == '\0')
			return fuse_dir_fail(e, -EIO, "record name contains '/' or NUL");
	/* virtiofsd sends (st_mode & S_IFMT) >> 12, so 4 bits at most. */
	if (d.type > 15)
		return fuse_dir_fail(e, -EIO, "record type beyond DT_*");
	if (plus && e->entry.nodeid != 0) {
		if (e->entry.nodeid == FUSE_ROOT_ID)
			return fuse_dir_fail(e, -EIO, "record claims the root's node ID");
		why = fuse_attr_problem(&e->entry.attr);
		if (why)
			return fuse_dir_fail(e, -EIO, why);
	}
	e->ino = d.ino;
	e->off = d.off;
	e->type = d.type;
	e->namelen = d.namelen;
	*off += rec;
	return 0;
}

int fuse_dirent_next(const void *buf, size_t len, size_t *off, struct fuse_dir_entry *e)
{
	return fuse_dirent_common(buf, len, off, e, false);
}

int fuse_direntplus_next(const void *buf, size_t len, size_t *off,
			 struct fuse_dir_entry *e)
{
	return fuse_dirent_common(buf, len, off, e, true);
}

/* ---- paths ---------------------------------------------------------------- */

/* The component at or after *pos, skipping '/' and "."; false at the end. */
static bool fuse_path_scan(const char *path, size_t len, size_t *pos, size_t *start,
			   size_t *clen)
{
	size_t i = *pos;

	for (;;) {
		while (i < len && path[i] == '/')
			i++;
		if (i == len) {
			*pos = i;
			return false;
		}
		*start = i;
		while (i < len && path[i] != '/')
			i++;
		*clen = i - *start;
		if (!(*clen == 1 && path[*start] == '.'))
			break;
	}
	*pos = i;
	return true;
}

int fuse_path_init(struct fuse_path *w, const char *path)
{
	size_t n = strnlen(path, FUSE_PATH_MAX), pos = 0, start = 0, clen = 0;

	memset(w, 0, sizeof(*w));
	if (n == FUSE_PATH_MAX)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	while (fuse_path_scan(path, n, &pos, &start, &clen)) {
		if (clen > FUSE_NAME_MAX)
			return -ENAMETOOLONG;
		if (++w->depth > FUSE_PATH_DEPTH_MAX)
			return -ENAMETOOLONG;
	}
	w->path = path;
	w->len = n;
	/* "a/", "a/.", ".", "a/.." and ".." name a directory; so does the root. */
	w->dir_only = path[n - 1] == '/' ||
		      (path[n - 1] == '.' && (n == 1 || path[n - 2] == '/')) ||
		      (n >= 2 && path[n - 1] == '.' && path[n - 2] == '.' &&
		       (n == 2 || path[n - 3] == '/'));
	return 0;
}

int fuse_path_next(struct fuse_path *w, const char **name, size_t *len)
{
	size_t start = 0, clen = 0;

	if (w->index >= w->depth ||
	    !fuse_path_scan(w->path, w->len, &w->pos, &start, &clen))
		return -ENOENT;
	w->index++;
	*name = w->path + start;
	*len = clen;
	return 0;
}

bool fuse_path_at_last(const struct fuse_path *w)
{
	return w->depth > 0 && w->index == w->depth;
}

/* Names of the opcodes Toro sends, for logs. */
static const char *const fuse_opcode_names[] = {
	[FUSE_LOOKUP] = "LOOKUP",     [FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR",   [FUSE_SETATTR] = "SETATTR",
	[FUSE_MKNOD] = "MKNOD",	      [FUSE_MKDIR] = "MKDIR",
	[FUSE_UNLINK] = "UNLINK",     [FUSE_RMDIR] = "RMDIR",
	[FUSE_RENAME] = "RENAME",     [FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ",	      [FUSE_WRITE] = "WRITE",
	[FUSE_STATFS] = "STATFS",     [FUSE_RELEASE] = "RELEASE",
	[FUSE_FSYNC] = "FSYNC",	      [FUSE_FLUSH] = "FLUSH",
	[FUSE_INIT] = "INIT",	      [FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR",   [FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR", [FUSE_CREATE] = "CREATE",
	[FUSE_DESTROY] = "DESTROY",   [FUSE_READDIRPLUS] = "READDIRPLUS",
	[FUSE_RENAME2] = "RENAME2",   [FUSE_BATCH_FORGET] = "BATCH_FORGET",
};

const char *fuse_opcode_name(uint32_t opcode)
{
	if (opcode >= sizeof(fuse_opcode_names) / sizeof(fuse_opcode_names[0]) ||
	    !fuse_opcode_names[opcode])
		return "UNKNOWN";
	return fuse_opcode_names[opcode];
}
