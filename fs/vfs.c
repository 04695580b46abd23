/* SPDX-License-Identifier: MIT */
/*
 * The file API of toro.h over the FUSE client (fusefs.h): paths, descriptors,
 * offsets, directories.
 *
 * Paths. Every path starts at the root of the shared directory (FUSE_ROOT_ID).
 * A walk looks up one component after the other, holding one lookup reference
 * per node on its stack; ".." steps back to the node below on that stack (at the
 * root it stays there, as "/.." does on Linux), so no name ever sent to the host
 * leads out of the shared directory. Symbolic links are never followed: one in
 * the middle of a path, or as the target of an open, is -ELOOP. Once the walk
 * is done, every reference but the target's is given back in one BATCH_FORGET.
 *
 * References. The host keeps an inode open for every lookup reference we hold,
 * so each is given back: a walk's intermediate nodes at once, an open file's
 * node when its descriptor is released, READDIRPLUS entries as soon as their
 * listing arrived. Nothing is cached: every call sees the host's current state.
 *
 * Offsets. Each descriptor has its own offset, read and advanced around the I/O
 * (not held during it): threads sharing one descriptor for read() and write()
 * at once may see overlapping ranges; pread/pwrite never touch it.
 */
#include <stdatomic.h>

#include "fs/fusefs.h"
#include "kernel/fd.h"
#include "kernel/spinlock.h"
#include "kernel/trace.h"
#include "lib/kstring.h"
#include "toro/errno.h"
#include "toro/toro.h"

#define VFS_DIRBUF 8192 /* bytes of one READDIR(PLUS) reply */
#define VFS_S_IFMT 0170000u
#define VFS_S_IFDIR 0040000u
#define VFS_S_IFLNK 0120000u
#define VFS_S_IFREG 0100000u
#define VFS_S_IFSOCK 0140000u
/* Flags the host sees at OPEN: the rest (O_CREAT, O_EXCL...) are ours. */
#define VFS_OPEN_PASS (TORO_O_ACCMODE | TORO_O_APPEND | TORO_O_TRUNC)
#define VFS_FLAGS_KNOWN                                                               \
	(TORO_O_ACCMODE | TORO_O_CREAT | TORO_O_EXCL | TORO_O_TRUNC | TORO_O_APPEND | \
	 TORO_O_DIRECTORY)

/* ---- walks -------------------------------------------------------------------- */

/* A walk in progress: the nodes from the root down, each but the root referenced. */
struct walk {
	uint64_t node[FUSE_PATH_DEPTH_MAX + 1]; /* node[0] is the root */
	int depth; /* node[depth] is where the walk stands */
	struct fuse_attr attr; /* of node[depth], if attr_ok */
	bool attr_ok; /* attr is current (false after "..") */
	const char *last; /* parent walks: the final name, or NULL if there is none */
	size_t last_len;
};

static bool vfs_is(const struct fuse_attr *a, uint32_t type)
{
	return (a->mode & VFS_S_IFMT) == type;
}

/* Gives back the references of node[from..depth]. */
static void walk_drop(struct fusefs *f, struct walk *w, int from)
{
	if (w->depth >= from)
		fusefs_forget(f, &w->node[from], (uint32_t)(w->depth - from + 1));
	w->depth = from - 1 < 0 ? 0 : from - 1;
}

/* Makes attr current for node[depth]. */
static int walk_attr(struct fusefs *f, struct walk *w)
{
	int r = 0;

	if (!w->attr_ok) {
		r = fusefs_getattr(f, w->node[w->depth], false, 0, &w->attr);
		w->attr_ok = r == 0;
	}
	return r;
}

/*
 * Walks path. parent: stop before the final component and leave its name in
 * w->last (NULL when the path ends in ".." or names the root). On success the
 * walk holds only node[depth] (unless it is the root): give it back with
 * walk_put. On failure it holds nothing.
 */
static int walk(struct fusefs *f, const char *path, bool parent, struct walk *w)
{
	struct fuse_path p;
	struct fuse_entry_out e;
	const char *name;
	size_t len;
	int r;

	w->depth = 0;
	w->node[0] = FUSE_ROOT_ID;
	w->attr_ok = false;
	w->last = NULL;
	w->last_len = 0;
	if ((r = fuse_path_init(&p, path)))
		return r;
	while (fuse_path_next(&p, &name, &len) == 0) {
		bool dotdot = len == 2 && name[0] == '.' && name[1] == '.';

		if (parent && fuse_path_at_last(&p) && !dotdot) {
			w->last = name;
			w->last_len = len;
			break;
		}
		if (w->attr_ok && !vfs_is(&w->attr, VFS_S_IFDIR)) {
			r = vfs_is(&w->attr, VFS_S_IFLNK) ? -ELOOP : -ENOTDIR;
			goto fail;
		}
		if (dotdot) {
			if (w->depth > 0) {
				fusefs_forget(f, &w->node[w->depth], 1);
				w->depth--;
			}
			w->attr_ok = false;
			continue;
		}
		if ((r = fusefs_lookup(f, w->node[w->depth], name, len, &e)))
			goto fail;
		w->node[++w->depth] = e.nodeid;
		w->attr = e.attr;
		w->attr_ok = true;
	}
	if (parent && w->depth == 0)
		return 0; /* the root is a directory: no need to ask */
	if ((r = walk_attr(f, w)))
		goto fail;
	if (!vfs_is(&w->attr, VFS_S_IFDIR) && (parent || p.dir_only)) {
		r = vfs_is(&w->attr, VFS_S_IFLNK) && !parent ? -ELOOP : -ENOTDIR;
		goto fail;
	}
	/* Only the node the walk ends on stays referenced. */
	if (w->depth > 1) {
		fusefs_forget(f, &w->node[1], (uint32_t)(w->depth - 1));
		w->node[1] = w->node[w->depth];
		w->depth = 1;
	}
	return 0;
fail:
	walk_drop(f, w, 1);
	return r;
}

static uint64_t walk_node(const struct walk *w)
{
	return w->node[w->depth];
}

static void walk_put(struct fusefs *f, struct walk *w)
{
	walk_drop(f, w, 1);
}

/* The mounted file system, or NULL with *err. */
static struct fusefs *vfs_fs(int *err)
{
	return fusefs_get(err);
}

/* A walk of path on the mounted file system (*f), as walk() has it. */
static int vfs_walk(const char *path, bool parent, struct fusefs **f, struct walk *w)
{
	int r;

	if (!path)
		return -EINVAL;
	if (!(*f = vfs_fs(&r)))
		return r;
	return walk(*f, path, parent, w);
}

/* ---- descriptors ---------------------------------------------------------------- */

struct vfs_file {
	struct fd_obj obj;
	struct fusefs *f; /* its file system */
	uint64_t node; /* its node: one lookup reference (none for the root) */
	uint64_t fh; /* the host's handle */
	uint32_t flags; /* open flags */
	bool dir; /* a directory (OPENDIR) */
	struct spinlock lock; /* pos */
	int64_t pos; /* the descriptor's offset */
	/* Directories. */
	_Atomic bool busy; /* a readdir is in progress */
	uint8_t *dbuf; /* the last listing, VFS_DIRBUF bytes once allocated */
	uint32_t dlen; /* its bytes */
	size_t doff; /* where the next record starts in it */
	uint64_t cookie; /* offset of the next listing */
	bool deof; /* the host said there is nothing more */
};

static const struct fd_ops vfs_file_ops, vfs_dir_ops;

static long vfs_fd_read(struct fd_obj *o, void *buf, size_t size);
static long vfs_fd_write(struct fd_obj *o, const void *buf, size_t size);

static int vfs_fd_close(struct fd_obj *o)
{
	struct vfs_file *vf = (struct vfs_file *)o;

	/* close(2) reports what the host says of writes it buffered. */
	if (!vf->dir && (vf->flags & TORO_O_ACCMODE) != TORO_O_RDONLY)
		return fusefs_flush(vf->f, vf->node, vf->fh);
	return 0;
}

static void vfs_fd_release(struct fd_obj *o)
{
	struct vfs_file *vf = (struct vfs_file *)o;

	fusefs_release(vf->f, vf->dir ? FUSE_RELEASEDIR : FUSE_RELEASE, vf->node, vf->fh,
		       vf->flags & VFS_OPEN_PASS);
	fusefs_forget(vf->f, &vf->node, 1);
	free(vf->dbuf);
	free(vf);
}

static const struct fd_ops vfs_file_ops = {
	.kind = "file",
	.read = vfs_fd_read,
	.write = vfs_fd_write,
	.close = vfs_fd_close,
	.release = vfs_fd_release,
};

static const struct fd_ops vfs_dir_ops = {
	.kind = "directory",
	.read = vfs_fd_read,
	.write = vfs_fd_write,
	.close = vfs_fd_close,
	.release = vfs_fd_release,
};

/* The file or directory behind fd with a reference, or NULL with *err. */
static struct vfs_file *vfs_get(int fd, int *err)
{
	struct fd_obj *o = fd_get(fd);

	if (o && o->ops != &vfs_file_ops && o->ops != &vfs_dir_ops) {
		fd_put(o);
		*err = -ESPIPE; /* a socket */
		return NULL;
	}
	*err = -EBADF;
	return (struct vfs_file *)o;
}

static void vfs_put(struct vfs_file *vf)
{
	fd_put(&vf->obj);
}

/* ---- open ------------------------------------------------------------------------ */

/* Opens node (whose attributes are a) for flags; takes over its reference. */
static int vfs_open_node(struct fusefs *f, uint64_t node, const struct fuse_attr *a,
			 int flags)
{
	bool dir = vfs_is(a, VFS_S_IFDIR), trunc_after = false;
	uint32_t pass = (uint32_t)flags & VFS_OPEN_PASS;
	struct vfs_file *vf;
	int r, fd;

	if (vfs_is(a, VFS_S_IFLNK))
		r = -ELOOP;
	else if (!dir && (flags & TORO_O_DIRECTORY))
		r = -ENOTDIR;
	else if (dir && ((flags & TORO_O_ACCMODE) != TORO_O_RDONLY ||
			 (flags & (TORO_O_CREAT | TORO_O_TRUNC))))
		r = -EISDIR;
	else if (!(vf = calloc(1, sizeof(*vf))))
		r = -ENOMEM;
	else
		r = 0;
	if (r) {
		fusefs_forget(f, &node, 1);
		return r;
	}
	if (!dir && (pass & TORO_O_TRUNC) && !(f->conn.flags & FUSE_ATOMIC_O_TRUNC)) {
		pass &= ~(uint32_t)TORO_O_TRUNC;
		trunc_after = true;
	}
	r = fusefs_open(f, dir ? FUSE_OPENDIR : FUSE_OPEN, node, dir ? 0 : pass, &vf->fh);
	if (r) {
		free(vf);
		fusefs_forget(f, &node, 1);
		return r;
	}
	fd_obj_init(&vf->obj, dir ? &vfs_dir_ops : &vfs_file_ops);
	vf->f = f;
	vf->node = node;
	vf->flags = (uint32_t)flags;
	vf->dir = dir;
	if (trunc_after && (flags & TORO_O_ACCMODE) != TORO_O_RDONLY) {
		struct fuse_setattr_in in = { .valid = FATTR_SIZE | FATTR_FH,
					      .fh = vf->fh };

		r = fusefs_setattr(f, node, &in, NULL);
	}
	fd = r ? r : fd_install(&vf->obj);
	if (fd < 0)
		vfs_fd_release(&vf->obj);
	return fd;
}

static int open_call(const char *path, int flags, int mode)
{
	struct fuse_create_out co;
	struct fuse_entry_out e;
	struct fusefs *f;
	struct walk w;
	int r;

	if (!path)
		return -EINVAL;
	if (flags & ~VFS_FLAGS_KNOWN)
		return -EINVAL;
	if (!(f = vfs_fs(&r)))
		return r;
	if (!(flags & TORO_O_CREAT)) {
		if ((r = walk(f, path, false, &w)))
			return r;
		return vfs_open_node(f, walk_node(&w), &w.attr, flags);
	}
	/* O_CREAT: look first, so that an existing link is never followed. */
	for (int tries = 0; tries < 3; tries++) {
		if ((r = walk(f, path, true, &w)))
			return r;
		if (!w.last) {
			/* "/" or ".../..": an existing directory. */
			walk_put(f, &w);
			return -EISDIR;
		}
		r = fusefs_lookup(f, walk_node(&w), w.last, w.last_len, &e);
		if (r == 0) {
			walk_put(f, &w);
			if (flags & TORO_O_EXCL) {
				fusefs_forget(f, &e.nodeid, 1);
				return -EEXIST;
			}
			return vfs_open_node(f, e.nodeid, &e.attr, flags);
		}
		if (r != -ENOENT) {
			walk_put(f, &w);
			return r;
		}
		/* Exclusive at the host too: a file made meanwhile is looked at again. */
		r = fusefs_create(f, walk_node(&w), w.last, w.last_len,
				  ((uint32_t)flags & VFS_OPEN_PASS) | TORO_O_CREAT |
					  TORO_O_EXCL,
				  (uint32_t)(mode & 07777) | VFS_S_IFREG, &co);
		walk_put(f, &w);
		if (r == -EEXIST && !(flags & TORO_O_EXCL))
			continue;
		if (r)
			return r;
		struct vfs_file *vf = calloc(1, sizeof(*vf));

		if (!vf) {
			fusefs_release(f, FUSE_RELEASE, co.entry.nodeid, co.open.fh, 0);
			fusefs_forget(f, &co.entry.nodeid, 1);
			return -ENOMEM;
		}
		fd_obj_init(&vf->obj, &vfs_file_ops);
		vf->f = f;
		vf->node = co.entry.nodeid;
		vf->fh = co.open.fh;
		vf->flags = (uint32_t)flags;
		r = fd_install(&vf->obj);
		if (r < 0)
			vfs_fd_release(&vf->obj);
		return r;
	}
	return -EEXIST; /* created and removed under us, again and again */
}

int toro_open(const char *path, int flags, int mode)
{
	uint64_t t0 = trace_call_begin(TRACE_G_FILE);

	return (int)trace_call_end(TRACE_CALL_OPEN, t0, open_call(path, flags, mode));
}

int toro_opendir(const char *path)
{
	return toro_open(path, TORO_O_RDONLY | TORO_O_DIRECTORY, 0);
}

int toro_closedir(int dir)
{
	struct fd_obj *o = fd_get(dir);
	bool is_dir = o && o->ops == &vfs_dir_ops;

	if (!o)
		return -EBADF;
	fd_put(o);
	return is_dir ? fd_close(dir) : -ENOTDIR;
}

/* ---- reading and writing ----------------------------------------------------- */

static long vfs_pread(struct vfs_file *vf, void *buf, size_t size, int64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (vf->dir)
		return -EISDIR;
	if ((vf->flags & TORO_O_ACCMODE) == TORO_O_WRONLY)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	while (done < size) {
		uint32_t n = size - done < vf->f->io_max ? (uint32_t)(size - done) :
							   vf->f->io_max;
		long r = fusefs_read(vf->f, FUSE_READ, vf->node, vf->fh,
				     (uint64_t)off + done, p + done, n);

		if (r < 0)
			return done ? (long)done : r;
		done += (size_t)r;
		if ((uint32_t)r < n)
			break; /* the end of the file */
	}
	return (long)done;
}

static long vfs_pwrite(struct vfs_file *vf, const void *buf, size_t size, int64_t off)
{
	const uint8_t *p = buf;
	size_t done = 0;

	if (vf->dir)
		return -EISDIR;
	if ((vf->flags & TORO_O_ACCMODE) == TORO_O_RDONLY)
		return -EBADF;
	if (off < 0 || (uint64_t)off + size > (uint64_t)INT64_MAX)
		return -EINVAL;
	while (done < size) {
		uint32_t n = size - done < vf->f->io_max ? (uint32_t)(size - done) :
							   vf->f->io_max;
		long r = fusefs_write(vf->f, vf->node, vf->fh, (uint64_t)off + done,
				      p + done, n);

		if (r < 0)
			return done ? (long)done : r;
		done += (size_t)r;
		if (r == 0)
			break; /* the host took nothing: do not spin */
	}
	return (long)done;
}

static int64_t vfs_pos(struct vfs_file *vf)
{
	bool on = spin_lock(&vf->lock);
	int64_t pos = vf->pos;

	spin_unlock(&vf->lock, on);
	return pos;
}

static void vfs_set_pos(struct vfs_file *vf, int64_t pos)
{
	bool on = spin_lock(&vf->lock);

	vf->pos = pos;
	spin_unlock(&vf->lock, on);
}

static long vfs_fd_read(struct fd_obj *o, void *buf, size_t size)
{
	struct vfs_file *vf = (struct vfs_file *)o;
	int64_t pos = vfs_pos(vf);
	long r = vfs_pread(vf, buf, size, pos);

	if (r > 0)
		vfs_set_pos(vf, pos + r);
	return r;
}

static long vfs_fd_write(struct fd_obj *o, const void *buf, size_t size)
{
	struct vfs_file *vf = (struct vfs_file *)o;
	int64_t pos = vfs_pos(vf);
	long r;

	if (!vf->dir && (vf->flags & TORO_O_APPEND)) {
		struct fuse_attr a;

		/* The host opened it O_APPEND too; this keeps our offset right. */
		if ((r = fusefs_getattr(vf->f, vf->node, true, vf->fh, &a)))
			return r;
		pos = (int64_t)a.size;
	}
	r = vfs_pwrite(vf, buf, size, pos);
	if (r > 0)
		vfs_set_pos(vf, pos + r);
	return r;
}

static long pread_call(int fd, void *buf, size_t size, int64_t offset)
{
	int err;
	struct vfs_file *vf = vfs_get(fd, &err);
	long r;

	if (!vf)
		return err;
	r = vfs_pread(vf, buf, size, offset);
	vfs_put(vf);
	return r;
}

long toro_pread(int fd, void *buf, size_t size, int64_t offset)
{
	uint64_t t0 = trace_call_begin(TRACE_G_FILE);

	return (long)trace_call_end(TRACE_CALL_PREAD, t0,
				    pread_call(fd, buf, size, offset));
}

static long pwrite_call(int fd, const void *buf, size_t size, int64_t offset)
{
	int err;
	struct vfs_file *vf = vfs_get(fd, &err);
	long r;

	if (!vf)
		return err;
	/* As Linux: with O_APPEND, pwrite appends too (the host's fd has it). */
	r = vfs_pwrite(vf, buf, size, offset);
	vfs_put(vf);
	return r;
}

long toro_pwrite(int fd, const void *buf, size_t size, int64_t offset)
{
	uint64_t t0 = trace_call_begin(TRACE_G_FILE);

	return (long)trace_call_end(TRACE_CALL_PWRITE, t0,
				    pwrite_call(fd, buf, size, offset));
}

int64_t toro_lseek(int fd, int64_t offset, int whence)
{
	int err;
	struct vfs_file *vf = vfs_get(fd, &err);
	struct fuse_attr a;
	int64_t base = 0, r;

	if (!vf)
		return err;
	if (vf->dir) {
		/* Directories rewind, nothing else. */
		r = -EINVAL;
		if (offset == 0 && whence == TORO_SEEK_SET && !atomic_load(&vf->busy)) {
			vf->dlen = 0;
			vf->doff = 0;
			vf->cookie = 0;
			vf->deof = false;
			r = 0;
		}
		vfs_put(vf);
		return r;
	}
	switch (whence) {
	case TORO_SEEK_SET:
		r = 0;
		break;
	case TORO_SEEK_CUR:
		base = vfs_pos(vf);
		r = 0;
		break;
	case TORO_SEEK_END:
		r = fusefs_getattr(vf->f, vf->node, true, vf->fh, &a);
		base = (int64_t)a.size;
		break;
	default:
		r = -EINVAL;
	}
	if (r == 0) {
		if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
			r = -EINVAL;
		else
			vfs_set_pos(vf, r = base + offset);
	}
	vfs_put(vf);
	return r;
}

/* ---- attributes ---------------------------------------------------------------- */

static void vfs_fill_stat(const struct fuse_attr *a, struct toro_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->ino = a->ino;
	st->size = a->size;
	st->blocks = a->blocks;
	st->mode = a->mode;
	st->nlink = a->nlink;
	st->uid = a->uid;
	st->gid = a->gid;
	st->atime_ns = (int64_t)a->atime * 1000000000 + a->atimensec;
	st->mtime_ns = (int64_t)a->mtime * 1000000000 + a->mtimensec;
	st->ctime_ns = (int64_t)a->ctime * 1000000000 + a->ctimensec;
}

static int stat_call(const char *path, struct toro_stat *st)
{
	struct fusefs *f;
	struct walk w;
	int r;

	if (!st)
		return -EINVAL;
	if ((r = vfs_walk(path, false, &f, &w)))
		return r;
	vfs_fill_stat(&w.attr, st);
	walk_put(f, &w);
	return 0;
}

int toro_stat(const char *path, struct toro_stat *st)
{
	uint64_t t0 = trace_call_begin(TRACE_G_FILE);

	return (int)trace_call_end(TRACE_CALL_STAT, t0, stat_call(path, st));
}

int toro_fstat(int fd, struct toro_stat *st)
{
	int err;
	struct vfs_file *vf = vfs_get(fd, &err);
	struct fuse_attr a;
	int r;

	if (!vf && err == -ESPIPE) {
		/* A socket: what Linux says of one, a type and nothing else. */
		memset(st, 0, sizeof(*st));
		st->mode = VFS_S_IFSOCK | 0777;
		return 0;
	}
	if (!vf)
		return err;
	r = fusefs_getattr(vf->f, vf->node, !vf->dir, vf->fh, &a);
	if (r == 0)
		vfs_fill_stat(&a, st);
	vfs_put(vf);
	return r;
}

int toro_fsync(int fd)
{
	int err;
	struct vfs_file *vf = vfs_get(fd, &err);
	int r;

	if (!vf)
		return err == -ESPIPE ? -EINVAL : err;
	r = fusefs_fsync(vf->f, vf->dir ? FUSE_FSYNCDIR : FUSE_FSYNC, vf->node, vf->fh);
	vfs_put(vf);
	return r;
}

static int vfs_truncate_node(struct fusefs *f, uint64_t node, bool has_fh, uint64_t fh,
			     int64_t length)
{
	struct fuse_setattr_in in = { .valid = FATTR_SIZE, .size = (uint64_t)length };

	if (length < 0)
		return -EINVAL;
	if (has_fh) {
		in.valid |= FATTR_FH;
		in.fh = fh;
	}
	return fusefs_setattr(f, node, &in, NULL);
}

int toro_truncate(const char *path, int64_t length)
{
	struct fusefs *f;
	struct walk w;
	int r;

	if ((r = vfs_walk(path, false, &f, &w)))
		return r;
	if (vfs_is(&w.attr, VFS_S_IFDIR))
		r = -EISDIR;
	else if (vfs_is(&w.attr, VFS_S_IFLNK))
		r = -ELOOP;
	else
		r = vfs_truncate_node(f, walk_node(&w), false, 0, length);
	walk_put(f, &w);
	return r;
}

int toro_ftruncate(int fd, int64_t length)
{
	int err;
	struct vfs_file *vf = vfs_get(fd, &err);
	int r;

	if (!vf)
		return err == -ESPIPE ? -EINVAL : err;
	if (vf->dir || (vf->flags & TORO_O_ACCMODE) == TORO_O_RDONLY)
		r = -EINVAL;
	else
		r = vfs_truncate_node(vf->f, vf->node, true, vf->fh, length);
	vfs_put(vf);
	return r;
}

/* ---- names ------------------------------------------------------------------------ */

int toro_mkdir(const char *path, int mode)
{
	struct fuse_entry_out e;
	struct fusefs *f;
	struct walk w;
	int r;

	if ((r = vfs_walk(path, true, &f, &w)))
		return r;
	if (!w.last)
		r = -EEXIST; /* the root, or "..": there already */
	else if ((r = fusefs_mkdir(f, walk_node(&w), w.last, w.last_len,
				   (uint32_t)(mode & 07777), &e)) == 0)
		fusefs_forget(f, &e.nodeid, 1);
	walk_put(f, &w);
	return r;
}

/*
 * UNLINK, RMDIR or RENAME of name in dir, with a lookup reference to it held
 * meanwhile: virtiofsd finds the victim among the nodes the guest holds, and
 * answers -EIO for one it never handed out.
 */
static int vfs_held(struct fusefs *f, uint64_t dir, const char *name, size_t len,
		    uint32_t opcode, uint64_t newdir, const char *newname, size_t newlen)
{
	struct fuse_entry_out e;
	int r = fusefs_lookup(f, dir, name, len, &e);

	if (r)
		return r;
	if (opcode == FUSE_RENAME)
		r = fusefs_rename(f, dir, name, len, newdir, newname, newlen);
	else
		r = fusefs_unlink(f, opcode, dir, name, len);
	fusefs_forget(f, &e.nodeid, 1);
	return r;
}

static int vfs_unlink(const char *path, uint32_t opcode)
{
	struct fusefs *f;
	struct walk w;
	int r;

	if ((r = vfs_walk(path, true, &f, &w)))
		return r;
	if (!w.last)
		r = opcode == FUSE_RMDIR ? -EBUSY : -EISDIR;
	else
		r = vfs_held(f, walk_node(&w), w.last, w.last_len, opcode, 0, NULL, 0);
	walk_put(f, &w);
	return r;
}

int toro_unlink(const char *path)
{
	return vfs_unlink(path, FUSE_UNLINK);
}

int toro_rmdir(const char *path)
{
	return vfs_unlink(path, FUSE_RMDIR);
}

int toro_rename(const char *oldpath, const char *newpath)
{
	struct fusefs *f;
	struct walk a, b;
	int r;

	if (!newpath)
		return -EINVAL;
	if ((r = vfs_walk(oldpath, true, &f, &a)))
		return r;
	if ((r = walk(f, newpath, true, &b))) {
		walk_put(f, &a);
		return r;
	}
	if (!a.last || !b.last)
		r = -EBUSY; /* the root or ".." cannot move, nor be replaced */
	else
		r = vfs_held(f, walk_node(&a), a.last, a.last_len, FUSE_RENAME,
			     walk_node(&b), b.last, b.last_len);
	walk_put(f, &b);
	walk_put(f, &a);
	return r;
}

/* ---- directories ------------------------------------------------------------------ */

/*
 * Checks a READDIRPLUS listing of len bytes and gives back the references it
 * carries; *why says what was wrong with a refused one.
 */
static int vfs_listing_forget(struct vfs_file *vf, uint32_t len, const char **why)
{
	uint64_t nodes[FUSE_BATCH_FORGET_MAX];
	struct fuse_dir_entry e;
	uint32_t n = 0;
	size_t off = 0;
	int r;

	while ((r = fuse_direntplus_next(vf->dbuf, len, &off, &e)) != -ENOENT) {
		/* A refused record may still hold a reference (see fuse.h). */
		if (e.entry.nodeid && e.entry.nodeid != FUSE_ROOT_ID)
			nodes[n++] = e.entry.nodeid;
		if (n == FUSE_BATCH_FORGET_MAX) {
			fusefs_forget(vf->f, nodes, n);
			n = 0;
		}
		if (r) {
			*why = e.reason;
			break;
		}
	}
	if (n)
		fusefs_forget(vf->f, nodes, n);
	return r == -ENOENT ? 0 : r;
}

static int vfs_readdir(struct vfs_file *vf, struct toro_dirent *out)
{
	uint32_t op = vf->f->plus ? FUSE_READDIRPLUS : FUSE_READDIR;
	struct fuse_dir_entry e;
	long n;
	int r;

	for (;;) {
		if (vf->doff < vf->dlen) {
			r = vf->f->plus ?
				    fuse_direntplus_next(vf->dbuf, vf->dlen, &vf->doff,
							 &e) :
				    fuse_dirent_next(vf->dbuf, vf->dlen, &vf->doff, &e);
			if (r)
				return -EIO; /* checked when it arrived */
			out->ino = e.ino;
			out->type = e.type;
			memcpy(out->name, e.name, e.namelen);
			out->name[e.namelen] = '\0';
			vf->cookie = e.off;
			return 1;
		}
		if (vf->deof)
			return 0;
		if (!vf->dbuf && !(vf->dbuf = malloc(VFS_DIRBUF)))
			return -ENOMEM;
		n = fusefs_read(vf->f, op, vf->node, vf->fh, vf->cookie, vf->dbuf,
				VFS_DIRBUF);
		if (n < 0)
			return (int)n;
		vf->dlen = (uint32_t)n;
		vf->doff = 0;
		vf->deof = n == 0;
		/* Check the whole listing now (and give back its references). */
		const char *why = "ok";

		r = vf->f->plus ? vfs_listing_forget(vf, vf->dlen, &why) : 0;
		for (size_t off = 0; r == 0 && !vf->f->plus && off < vf->dlen;) {
			r = fuse_dirent_next(vf->dbuf, vf->dlen, &off, &e);
			why = e.reason;
		}
		if (r && r != -ENOENT) {
			fusefs_refuse(vf->f, op, why);
			vf->dlen = 0;
			vf->deof = true;
			return -EIO;
		}
	}
}

int toro_readdir(int dir, struct toro_dirent *e)
{
	struct fd_obj *o = fd_get_kind(dir, &vfs_dir_ops);
	bool idle = false;
	int r;

	if (!o) {
		o = fd_get(dir);
		if (o)
			fd_put(o);
		return o ? -ENOTDIR : -EBADF;
	}
	struct vfs_file *vf = (struct vfs_file *)o;

	/* One reader at a time per descriptor. */
	if (!atomic_compare_exchange_strong(&vf->busy, &idle, true)) {
		fd_put(o);
		return -EBUSY;
	}
	r = e ? vfs_readdir(vf, e) : -EINVAL;
	atomic_store(&vf->busy, false);
	fd_put(o);
	return r;
}
