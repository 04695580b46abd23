/* SPDX-License-Identifier: MIT */
/*
 * The descriptor table (see fd.h). Small and shared by every CPU, so it sits
 * behind one spinlock held only for a few loads and stores; the table itself is
 * allocated on first use, so an application without descriptors pays nothing.
 */
#include "kernel/fd.h"
#include "kernel/trace.h"

#include "kernel/kmem.h"
#include "kernel/spinlock.h"
#include "lib/kstring.h"
#include "toro/errno.h"
#include "toro/toro.h"

#define FD_GENS (1u << 17) /* descriptors stay below 2^30 */

struct fd_slot {
	struct fd_obj *obj; /* the object, or NULL for a free slot */
	uint32_t gen; /* times the slot was handed out */
};

static struct {
	struct spinlock lock; /* everything below */
	struct fd_slot *slots; /* FD_MAX slots, once the first descriptor exists */
	int hint; /* where to look for a free slot */
} fdt = { .lock = SPINLOCK_INIT };

void fd_obj_init(struct fd_obj *o, const struct fd_ops *ops)
{
	o->ops = ops;
	atomic_init(&o->refs, 1);
}

static int fd_number(int slot, uint32_t gen)
{
	return (int)(gen * FD_MAX) + slot + 1;
}

int fd_install(struct fd_obj *o)
{
	size_t bytes = FD_MAX * sizeof(struct fd_slot);
	size_t pages = (bytes + 4095) / 4096;
	struct fd_slot *fresh = NULL;
	bool on;

	if (!fdt.slots) {
		/* Allocated outside the lock; a racing CPU's copy is given back. */
		fresh = kmem_pages_alloc(pages);
		if (!fresh)
			return -ENOMEM;
		memset(fresh, 0, bytes);
	}
	on = spin_lock(&fdt.lock);
	if (!fdt.slots) {
		fdt.slots = fresh;
		fresh = NULL;
	}
	for (int k = 0; k < FD_MAX; k++) {
		int i = (fdt.hint + k) % FD_MAX;
		struct fd_slot *s = &fdt.slots[i];

		if (!s->obj) {
			s->gen = (s->gen + 1) % FD_GENS;
			s->obj = o;
			fdt.hint = i + 1;
			spin_unlock(&fdt.lock, on);
			if (fresh)
				kmem_pages_free(fresh, pages);
			return fd_number(i, s->gen);
		}
	}
	spin_unlock(&fdt.lock, on);
	if (fresh)
		kmem_pages_free(fresh, pages);
	return -EMFILE;
}

/* The slot of fd if fd names a live descriptor. Lock held. */
static struct fd_slot *fd_slot(int fd)
{
	struct fd_slot *s;

	if (fd < 1 || !fdt.slots)
		return NULL;
	s = &fdt.slots[(fd - 1) % FD_MAX];
	return s->obj && fd_number((fd - 1) % FD_MAX, s->gen) == fd ? s : NULL;
}

struct fd_obj *fd_get(int fd)
{
	bool on = spin_lock(&fdt.lock);
	struct fd_slot *s = fd_slot(fd);
	struct fd_obj *o = s ? s->obj : NULL;

	if (o)
		atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
	spin_unlock(&fdt.lock, on);
	return o;
}

struct fd_obj *fd_get_kind(int fd, const struct fd_ops *ops)
{
	struct fd_obj *o = fd_get(fd);

	if (o && o->ops != ops) {
		fd_put(o);
		return NULL;
	}
	return o;
}

void fd_put(struct fd_obj *o)
{
	/* Release: the object's last user is done with it before it is freed. */
	if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
		o->ops->release(o);
}

int fd_close(int fd)
{
	bool on = spin_lock(&fdt.lock);
	struct fd_slot *s = fd_slot(fd);
	struct fd_obj *o = s ? s->obj : NULL;
	int r = 0;

	if (s)
		s->obj = NULL;
	spin_unlock(&fdt.lock, on);
	if (!o)
		return -EBADF;
	if (o->ops->close)
		r = o->ops->close(o);
	fd_put(o);
	return r;
}

/* ---- calls that work on any descriptor ------------------------------------------ */

static int close_call(int fd)
{
	return fd_close(fd);
}

int toro_close(int fd)
{
	uint64_t t0 = trace_call_begin(TRACE_G_SOCK | TRACE_G_FILE);

	return (int)trace_call_end(TRACE_CALL_CLOSE, t0, close_call(fd));
}

static long read_call(int fd, void *buf, size_t size)
{
	struct fd_obj *o = fd_get(fd);
	long r;

	if (!o)
		return -EBADF;
	r = o->ops->read ? o->ops->read(o, buf, size) : -EINVAL;
	fd_put(o);
	return r;
}

long toro_read(int fd, void *buf, size_t size)
{
	uint64_t t0 = trace_call_begin(TRACE_G_FILE);

	return (long)trace_call_end(TRACE_CALL_READ, t0, read_call(fd, buf, size));
}

static long write_call(int fd, const void *buf, size_t size)
{
	struct fd_obj *o = fd_get(fd);
	long r;

	if (!o)
		return -EBADF;
	r = o->ops->write ? o->ops->write(o, buf, size) : -EINVAL;
	fd_put(o);
	return r;
}

long toro_write(int fd, const void *buf, size_t size)
{
	uint64_t t0 = trace_call_begin(TRACE_G_FILE);

	return (long)trace_call_end(TRACE_CALL_WRITE, t0, write_call(fd, buf, size));
}
