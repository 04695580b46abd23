/* SPDX-License-Identifier: MIT */
/*
 * The FUSE client over virtio-fs (see fusefs.h). Each call builds its request
 * with lib/fuse.c on the caller's stack, hands it to the device, and checks the
 * reply before a single field of it is used. Data moves without a copy: READ
 * and READDIR replies land in the caller's buffer right behind a 16-byte reply
 * header of our own, WRITE data is read by the device from the caller's buffer.
 *
 * INIT (FUSE 7.31 offered, 7.23 at least accepted) happens on the first call;
 * max_write and max_pages bound the size of every data request.
 */
#include "fs/fusefs.h"

#include <stdatomic.h>

#include "drivers/virtio/fs.h"
#include "kernel/printk.h"
#include "lib/kstring.h"
#include "toro/errno.h"
#include "toro/toro.h"

#define FF_IO_MAX (1u << 20) /* our own bound on one data request */
#define FF_PAGES_DEFAULT 32 /* data pages per request without FUSE_MAX_PAGES */

/* One exchange: the request and room for the fixed-size part of the reply. */
struct ff_msg {
	uint8_t req[FUSE_REQ_MAX] __attribute__((aligned(8)));
	uint8_t rep[sizeof(struct fuse_out_header) + sizeof(struct fuse_create_out)]
		__attribute__((aligned(8)));
	struct fuse_req r;
	struct fuse_reply reply;
	uint64_t unique;
};

static struct fusefs mnt;
static _Atomic int mnt_state; /* 0 not yet, 1 mounting, 2 mounted, 3 failed */
static int mnt_err; /* why it failed */

static void ff_msg_init(struct fusefs *f, struct ff_msg *m)
{
	m->r.buf = m->req;
	m->r.cap = sizeof(m->req);
	m->r.uid = 0;
	m->r.gid = 0;
	m->r.pid = 1;
	m->unique = virtiofs_unique(f->dev);
}

/*
 * Sends the request built in m (with WRITE data wdata, or READ data going to
 * rdata of rcap bytes) and checks the reply. A malformed reply breaks the file
 * system: the host is not to be trusted after it lied once.
 */
static int ff_send(struct fusefs *f, struct ff_msg *m, uint32_t opcode, const void *wdata,
		   void *rdata, uint32_t rcap)
{
	struct virtq_buf out[2] = { { m->req, (uint32_t)m->r.len },
				    { wdata, m->r.payload_len } };
	struct virtq_buf in[2] = { { m->rep,
				     rdata ? (uint32_t)sizeof(struct fuse_out_header) :
					     (uint32_t)sizeof(m->rep) },
				   { rdata, rcap } };
	uint32_t written;
	int r;

	r = virtiofs_call(f->dev, false, out, m->r.payload_len ? 2 : 1, in,
			  rdata && rcap ? 2 : 1, &written);
	if (r)
		return r;
	r = fuse_reply_check(m->rep, written, m->unique, opcode, &m->reply);
	if (r == -EIO && m->reply.error != -EIO)
		fusefs_refuse(f, opcode, m->reply.reason);
	return r;
}

void fusefs_refuse(struct fusefs *f, uint32_t opcode, const char *why)
{
	printk("virtio-fs: bad %s reply: %s\n", fuse_opcode_name(opcode), why);
	virtiofs_mark_broken(f->dev, "a malformed FUSE reply");
}

/* Builder results: a request that cannot be built is the caller's mistake. */
#define FF_BUILD(call)                \
	do {                          \
		int ff_r_ = (call);   \
		if (ff_r_)            \
			return ff_r_; \
	} while (0)

static int ff_mount(struct virtiofs *dev)
{
	struct fusefs *f = &mnt;
	struct ff_msg m;
	int r;

	f->dev = dev;
	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_init(&m.r, m.unique, 0, FUSE_TORO_INIT_FLAGS));
	r = ff_send(f, &m, FUSE_INIT, NULL, NULL, 0);
	if (r == 0)
		r = fuse_init_negotiate(&m.reply.out.init, FUSE_TORO_INIT_FLAGS,
					&f->conn);
	if (r) {
		printk("virtio-fs: INIT with \"%s\" failed (%d)\n", virtiofs_tag(dev), r);
		return r == -EPROTO ? r : -EIO;
	}
	uint64_t pages = f->conn.max_pages ? f->conn.max_pages : FF_PAGES_DEFAULT;

	f->io_max = f->conn.max_write;
	if (f->io_max > pages * 4096)
		f->io_max = (uint32_t)(pages * 4096);
	if (f->io_max > FF_IO_MAX)
		f->io_max = FF_IO_MAX;
	f->plus = f->conn.flags & FUSE_DO_READDIRPLUS;
	return 0;
}

struct fusefs *fusefs_get(int *err)
{
	int expected = 0;

	for (;;) {
		int st = atomic_load(&mnt_state);

		if (st == 2)
			return &mnt;
		if (st == 3) {
			*err = mnt_err;
			return NULL;
		}
		expected = 0;
		if (st == 0 && atomic_compare_exchange_strong(&mnt_state, &expected, 1)) {
			const char *tag = toro_param("fs");
			struct virtiofs *dev = virtiofs_find(tag && *tag ? tag : NULL);

			if (!dev) {
				if (tag && *tag)
					printk("virtio-fs: no device tagged \"%s\"\n",
					       tag);
				mnt_err = -ENODEV;
			} else {
				mnt_err = ff_mount(dev);
			}
			atomic_store(&mnt_state, mnt_err ? 3 : 2);
			continue;
		}
		toro_yield(); /* another thread mounts it */
	}
}

int fusefs_lookup(struct fusefs *f, uint64_t parent, const char *name, size_t len,
		  struct fuse_entry_out *e)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_lookup(&m.r, m.unique, parent, name, len));
	r = ff_send(f, &m, FUSE_LOOKUP, NULL, NULL, 0);
	if (r == 0)
		*e = m.reply.out.entry;
	return r;
}

void fusefs_forget(struct fusefs *f, const uint64_t *nodes, uint32_t n)
{
	uint8_t buf[FUSE_BATCH_FORGET_BYTES] __attribute__((aligned(8)));
	struct fuse_forget_one items[FUSE_BATCH_FORGET_MAX];
	struct fuse_req r = { .buf = buf, .cap = sizeof(buf), .pid = 1 };
	uint32_t k = 0, written;

	while (n || k) {
		if (n && nodes[0] != FUSE_ROOT_ID && nodes[0] != 0) {
			items[k].nodeid = nodes[0];
			items[k].nlookup = 1;
			k++;
		}
		if (n) {
			nodes++;
			n--;
		}
		if (k && (k == FUSE_BATCH_FORGET_MAX || n == 0)) {
			struct virtq_buf out = { buf, 0 };

			if (fuse_req_batch_forget(&r, virtiofs_unique(f->dev), items,
						  k) == 0) {
				out.len = (uint32_t)r.len;
				/* No reply: the device only gives the buffer back. */
				virtiofs_call(f->dev, true, &out, 1, NULL, 0, &written);
			}
			k = 0;
		}
	}
}

int fusefs_getattr(struct fusefs *f, uint64_t nodeid, bool has_fh, uint64_t fh,
		   struct fuse_attr *a)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_getattr(&m.r, m.unique, nodeid, has_fh ? FUSE_GETATTR_FH : 0,
				  fh));
	r = ff_send(f, &m, FUSE_GETATTR, NULL, NULL, 0);
	if (r == 0)
		*a = m.reply.out.attr.attr;
	return r;
}

int fusefs_setattr(struct fusefs *f, uint64_t nodeid, const struct fuse_setattr_in *in,
		   struct fuse_attr *a)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_setattr(&m.r, m.unique, nodeid, in));
	r = ff_send(f, &m, FUSE_SETATTR, NULL, NULL, 0);
	if (r == 0 && a)
		*a = m.reply.out.attr.attr;
	return r;
}

int fusefs_open(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint32_t flags,
		uint64_t *fh)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_open(&m.r, m.unique, opcode, nodeid, flags));
	r = ff_send(f, &m, opcode, NULL, NULL, 0);
	if (r == 0)
		*fh = m.reply.out.open.fh;
	return r;
}

int fusefs_create(struct fusefs *f, uint64_t parent, const char *name, size_t len,
		  uint32_t flags, uint32_t mode, struct fuse_create_out *o)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_create(&m.r, m.unique, parent, name, len, flags, mode, 0));
	r = ff_send(f, &m, FUSE_CREATE, NULL, NULL, 0);
	if (r == 0)
		*o = m.reply.out.create;
	return r;
}

long fusefs_read(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint64_t fh,
		 uint64_t off, void *buf, uint32_t size)
{
	struct ff_msg m;
	int r;

	if (size == 0)
		return 0;
	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_read(&m.r, m.unique, opcode, nodeid, fh, off, size, 0));
	r = ff_send(f, &m, opcode, NULL, buf, size);
	if (r)
		return r;
	/* virtq bounds what the device wrote by what we offered; say it anyway. */
	if (m.reply.data_len > size) {
		fusefs_refuse(f, opcode, "more data than asked for");
		return -EIO;
	}
	return m.reply.data_len;
}

long fusefs_write(struct fusefs *f, uint64_t nodeid, uint64_t fh, uint64_t off,
		  const void *buf, uint32_t size)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_write(&m.r, m.unique, nodeid, fh, off, size, 0, 0));
	r = ff_send(f, &m, FUSE_WRITE, buf, NULL, 0);
	if (r)
		return r;
	if (m.reply.out.write.size > size) {
		fusefs_refuse(f, FUSE_WRITE, "more bytes written than sent");
		return -EIO;
	}
	return m.reply.out.write.size;
}

/* Requests whose reply is the header alone. */
static int ff_simple(struct fusefs *f, struct ff_msg *m, uint32_t opcode)
{
	return ff_send(f, m, opcode, NULL, NULL, 0);
}

int fusefs_release(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint64_t fh,
		   uint32_t flags)
{
	struct ff_msg m;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_release(&m.r, m.unique, opcode, nodeid, fh, flags));
	return ff_simple(f, &m, opcode);
}

int fusefs_flush(struct fusefs *f, uint64_t nodeid, uint64_t fh)
{
	struct ff_msg m;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_flush(&m.r, m.unique, nodeid, fh, 0));
	return ff_simple(f, &m, FUSE_FLUSH);
}

int fusefs_fsync(struct fusefs *f, uint32_t opcode, uint64_t nodeid, uint64_t fh)
{
	struct ff_msg m;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_fsync(&m.r, m.unique, opcode, nodeid, fh, false));
	return ff_simple(f, &m, opcode);
}

int fusefs_mkdir(struct fusefs *f, uint64_t parent, const char *name, size_t len,
		 uint32_t mode, struct fuse_entry_out *e)
{
	struct ff_msg m;
	int r;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_mkdir(&m.r, m.unique, parent, name, len, mode, 0));
	r = ff_send(f, &m, FUSE_MKDIR, NULL, NULL, 0);
	if (r == 0)
		*e = m.reply.out.entry;
	return r;
}

int fusefs_unlink(struct fusefs *f, uint32_t opcode, uint64_t parent, const char *name,
		  size_t len)
{
	struct ff_msg m;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_unlink(&m.r, m.unique, opcode, parent, name, len));
	return ff_simple(f, &m, opcode);
}

int fusefs_rename(struct fusefs *f, uint64_t olddir, const char *oldname, size_t oldlen,
		  uint64_t newdir, const char *newname, size_t newlen)
{
	struct ff_msg m;

	ff_msg_init(f, &m);
	FF_BUILD(fuse_req_rename(&m.r, m.unique, olddir, oldname, oldlen, newdir, newname,
				 newlen, 0));
	return ff_simple(f, &m, FUSE_RENAME);
}
