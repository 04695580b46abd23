/* SPDX-License-Identifier: MIT */
/*
 * virtio-fs (virtio 1.2, 5.11): the transport under the FUSE client of fs/.
 *
 * Primer. The device has a high-priority queue (0, for FORGET, which has no
 * reply) and request queues (1.. num_request_queues; we use the first). A
 * request is one chain: the FUSE request (and WRITE's data) for the device to
 * read, then room for the reply (and READ's data) for it to write (5.11.6). The
 * configuration holds the tag the host gave the file system (5.11.4). The FUSE
 * server behind it is the host's virtiofsd, reached by QEMU through vhost-user.
 *
 * Who does what. As for vsock, only the CPU owning the device touches its
 * queues, and there only the service thread, started by the first request. A
 * caller on any CPU puts its request (struct vfs_call, on its own stack) on the
 * pending list under the lock, pokes the service thread and sleeps; the service
 * thread moves pending requests into the ring while descriptors last, takes
 * completions off the used ring and wakes their callers. Many requests are in
 * flight at once, up to the queue size; the rest wait their turn in order.
 *
 * Trust. The used ring is checked by lib/virtq.c (unknown IDs, lengths beyond
 * what was offered); what the reply says is checked by fs/ with lib/fuse.c. A
 * device that asks for a reset, or does not answer a request within the time
 * limit (its host daemon died: QEMU then never completes the request), is
 * marked broken: it is reset, so it can no longer write into a caller's buffer,
 * every request fails with -EIO, and nothing waits for ever.
 */
#include "drivers/virtio/fs.h"

#include "arch/x86_64/cpu.h"
#include "drivers/virtio/virtio.h"
#include "kernel/mbox.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "lib/kstring.h"
#include "toro/errno.h"
#include "toro/toro.h"
#include "uapi/fuse.h"
#include "uapi/virtio_mmio.h"

#define VFS_DEVICES 4 /* virtio-fs devices we drive */
#define VFS_QUEUE_MAX 128 /* ring entries we ask for */
#define VFS_TIMEOUT_S 30 /* default time limit of one request */
#define VFS_NQ 2 /* queues we use: high priority and the first request queue */

/* One request, on its caller's stack while it waits. */
enum { CALL_WAITING, CALL_CLAIMED, CALL_DONE };
struct vfs_call {
	struct vfs_call *next; /* pending list, in-flight list, or the wake chain */
	const struct virtq_buf *out, *in; /* the buffers */
	size_t nout, nin;
	struct thread *t; /* the caller */
	uint64_t deadline; /* TSC: when the device is declared dead */
	uint32_t written; /* out: bytes the device wrote */
	int err; /* out: 0 or -EIO */
	_Atomic int state; /* CALL_*: DONE once the service thread let go of it */
};

struct virtiofs {
	struct virtio_dev *dev; /* the device */
	char tag[sizeof(((struct virtio_fs_config *)0)->tag) + 1]; /* NUL-terminated */
	struct spinlock lock; /* everything below */
	struct vfs_call *pend_head[VFS_NQ], *pend_tail[VFS_NQ]; /* not yet in a ring */
	struct vfs_call *inflight; /* in a ring */
	_Atomic int started; /* 0, 1 being started, 2 the service thread exists */
	struct thread *_Atomic svc; /* the service thread */
	_Atomic int work; /* the service thread has something to do */
	_Atomic uint64_t unique; /* last request ID handed out */
	uint64_t timeout_ns; /* time limit of one request */
};

static struct virtiofs devs[VFS_DEVICES];
static int ndevs;

/* ---- completions ------------------------------------------------------------ */

/* Finishes c with err; the caller is woken after the lock is dropped. Lock held. */
static void vfs_finish(struct vfs_call *c, int err, struct vfs_call **wake)
{
	c->err = err;
	atomic_store_explicit(&c->state, CALL_CLAIMED, memory_order_relaxed);
	c->next = *wake;
	*wake = c;
}

/* Wakes the callers of the chain. Lock released; interrupts may be off. */
static void vfs_wake(struct vfs_call *c)
{
	while (c) {
		struct vfs_call *nx = c->next;

		sched_wake_thread(c->t);
		/* Release: after this the caller may return and its stack go away. */
		atomic_store_explicit(&c->state, CALL_DONE, memory_order_release);
		c = nx;
	}
}

static void vfs_unlink_inflight(struct virtiofs *fs, struct vfs_call *c)
{
	struct vfs_call **pp = &fs->inflight;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
}

/*
 * Broken: reset the device so it lets go of every buffer, then fail every
 * request. Lock held.
 */
static void vfs_fail_all(struct virtiofs *fs, const char *why, struct vfs_call **wake)
{
	struct vfs_call *c;

	if (!fs->dev->broken)
		virtio_mark_broken(fs->dev, why);
	virtio_reset(fs->dev);
	while ((c = fs->inflight)) {
		fs->inflight = c->next;
		vfs_finish(c, -EIO, wake);
	}
	for (int q = 0; q < VFS_NQ; q++) {
		while ((c = fs->pend_head[q])) {
			fs->pend_head[q] = c->next;
			vfs_finish(c, -EIO, wake);
		}
		fs->pend_tail[q] = NULL;
	}
}

/* ---- the service thread ---------------------------------------------------------- */

static bool vfs_dev_broken(const struct virtiofs *fs)
{
	const struct virtq *q = fs->dev->queues;

	return fs->dev->broken || virtq_is_broken(&q[VIRTIO_FS_VQ_HIPRIO]) ||
	       virtq_is_broken(&q[VIRTIO_FS_VQ_REQUEST]);
}

/* One pass: completions, time limits, new requests. Returns the next deadline. */
static uint64_t vfs_service_pass(struct virtiofs *fs, struct vfs_call **wake)
{
	uint64_t now = rdtsc(), next = 0;
	struct vfs_call *c;
	uint32_t len;

	for (unsigned q = 0; q < VFS_NQ; q++)
		while ((c = virtq_get_used(&fs->dev->queues[q], &len))) {
			vfs_unlink_inflight(fs, c);
			c->written = len;
			vfs_finish(c, 0, wake);
		}
	if (vfs_dev_broken(fs)) {
		vfs_fail_all(fs, "a queue broke", wake);
		return 0;
	}
	for (c = fs->inflight; c; c = c->next)
		if (c->deadline <= now) {
			printk("virtio-fs: no answer from the host within %llu s: the "
			       "file system is gone\n",
			       (unsigned long long)(fs->timeout_ns / 1000000000ull));
			vfs_fail_all(fs, "the host stopped answering", wake);
			return 0;
		}
	for (unsigned q = 0; q < VFS_NQ; q++) {
		bool added = false;

		while ((c = fs->pend_head[q])) {
			int r = virtq_add(&fs->dev->queues[q], c->out, c->nout, c->in,
					  c->nin, c);

			if (r == -ENOSPC)
				break; /* a completion makes room */
			fs->pend_head[q] = c->next;
			if (!fs->pend_head[q])
				fs->pend_tail[q] = NULL;
			if (r) {
				vfs_finish(c, r, wake);
				continue;
			}
			c->next = fs->inflight;
			fs->inflight = c;
			added = true;
		}
		if (added)
			virtio_kick(fs->dev, q);
	}
	for (c = fs->inflight; c; c = c->next)
		if (!next || c->deadline < next)
			next = c->deadline;
	return next;
}

static int vfs_service(void *arg)
{
	struct virtiofs *fs = arg;

	atomic_store(&fs->svc, sched_current());
	for (;;) {
		struct vfs_call *wake = NULL;
		bool on = spin_lock(&fs->lock);

		atomic_store(&fs->work, 0);
		uint64_t deadline = vfs_service_pass(fs, &wake);

		spin_unlock(&fs->lock, false);
		vfs_wake(wake);
		/* Interrupts off: a poke or an interrupt cannot fall in between. */
		while (!atomic_load(&fs->work))
			if (!sched_wait(NULL, deadline))
				break;
		irq_restore(on);
	}
	return 0;
}

/* Starts the service thread on the device's CPU, once. */
static int vfs_start(struct virtiofs *fs)
{
	int expected;

	while (atomic_load(&fs->started) != 2) {
		expected = 0;
		if (atomic_compare_exchange_strong(&fs->started, &expected, 1)) {
			int id = toro_thread_create(vfs_service, fs, fs->dev->cpu, 0);

			if (id < 0) {
				atomic_store(&fs->started, 0);
				return id;
			}
			toro_thread_detach(id);
			/* It runs later on its CPU; pokes wait until it is there. */
			while (!atomic_load(&fs->svc))
				toro_yield();
			atomic_store(&fs->started, 2);
			return 0;
		}
		toro_yield(); /* another thread is starting it */
	}
	return 0;
}

/* ---- requests ------------------------------------------------------------------ */

int virtiofs_call(struct virtiofs *fs, bool hiprio, const struct virtq_buf *out,
		  size_t nout, const struct virtq_buf *in, size_t nin, uint32_t *written)
{
	unsigned q = hiprio ? VIRTIO_FS_VQ_HIPRIO : VIRTIO_FS_VQ_REQUEST;
	struct vfs_call c = { .out = out, .in = in, .nout = nout, .nin = nin };
	int r;

	*written = 0;
	if (fs->dev->broken)
		return -EIO;
	if (nout + nin > fs->dev->queues[q].num)
		return -EINVAL;
	if ((r = vfs_start(fs)))
		return r;
	c.t = sched_current();
	c.deadline = sched_deadline(fs->timeout_ns);
	atomic_init(&c.state, CALL_WAITING);

	bool on = spin_lock(&fs->lock);

	if (fs->dev->broken) {
		spin_unlock(&fs->lock, on);
		return -EIO;
	}
	if (fs->pend_tail[q])
		fs->pend_tail[q]->next = &c;
	else
		fs->pend_head[q] = &c;
	fs->pend_tail[q] = &c;
	spin_unlock(&fs->lock, false);
	if (!atomic_exchange(&fs->work, 1))
		sched_wake_thread(atomic_load(&fs->svc));
	/*
	 * Interrupts stay off from each look at the state to the block, so the
	 * wake cannot come in between. Once claimed, the wake is on its way: wait
	 * for DONE without sleeping again (the wake may already have been spent),
	 * serving our mailbox in case the waker needs room there.
	 */
	for (;;) {
		int st = atomic_load_explicit(&c.state, memory_order_acquire);

		if (st == CALL_DONE)
			break;
		if (st == CALL_CLAIMED) {
			mbox_poll();
			cpu_relax();
		} else {
			sched_wait(NULL, 0);
		}
	}
	irq_restore(on);
	*written = c.written;
	return c.err;
}

uint64_t virtiofs_unique(struct virtiofs *fs)
{
	return atomic_fetch_add(&fs->unique, 1) + 1;
}

bool virtiofs_broken(const struct virtiofs *fs)
{
	return fs->dev->broken;
}

void virtiofs_mark_broken(struct virtiofs *fs, const char *why)
{
	struct vfs_call *wake = NULL;
	bool on = spin_lock(&fs->lock);

	vfs_fail_all(fs, why, &wake);
	spin_unlock(&fs->lock, false);
	vfs_wake(wake);
	irq_restore(on);
}

struct virtiofs *virtiofs_find(const char *tag)
{
	for (int i = 0; i < ndevs; i++)
		if (!tag || strcmp(devs[i].tag, tag) == 0)
			return &devs[i];
	return NULL;
}

const char *virtiofs_tag(const struct virtiofs *fs)
{
	return fs->tag;
}

/* ---- the device ------------------------------------------------------------------ */

static void vfs_interrupt(struct virtio_dev *d, uint32_t status)
{
	struct virtiofs *fs = d->priv;
	struct thread *svc = atomic_load(&fs->svc);

	if (!(status & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)))
		return;
	atomic_store(&fs->work, 1);
	if (svc)
		sched_wake_thread(svc);
}

static bool vfs_busy(struct virtio_dev *d)
{
	return atomic_load(&((struct virtiofs *)d->priv)->started) != 0;
}

/* fs_timeout=SECONDS (1..86400), or the default. */
static uint64_t vfs_timeout_ns(void)
{
	const char *v = toro_param("fs_timeout");
	uint64_t s = 0;

	for (; v && *v >= '0' && *v <= '9' && s <= 86400; v++)
		s = s * 10 + (uint64_t)(*v - '0');
	if (!v || *v || s == 0 || s > 86400) {
		if (v)
			printk("virtio-fs: fs_timeout=%s is not 1..86400 seconds, using "
			       "%d\n",
			       toro_param("fs_timeout"), VFS_TIMEOUT_S);
		s = VFS_TIMEOUT_S;
	}
	return s * 1000000000ull;
}

static int vfs_probe(struct virtio_dev *d)
{
	struct virtio_fs_config cfg;
	struct virtiofs *fs;
	int r;

	if (ndevs == VFS_DEVICES) {
		printk("virtio-fs: more than %d devices, %#llx ignored\n", VFS_DEVICES,
		       (unsigned long long)d->base);
		return -EBUSY;
	}
	if (d->version < 2) {
		/* virtiofsd (libvhost-user) refuses legacy devices outright. */
		printk("virtio-fs: device at %#llx is a legacy virtio-mmio one; virtio-fs "
		       "needs a modern transport (QEMU: -global "
		       "virtio-mmio.force-legacy=false), ignored\n",
		       (unsigned long long)d->base);
		return -ENODEV;
	}
	fs = &devs[ndevs];
	memset(fs, 0, sizeof(*fs));
	fs->dev = d;
	d->priv = fs;
	r = virtio_negotiate(d, 0);
	if (r)
		return r;
	virtio_config_read(d, 0, &cfg, sizeof(cfg));
	memcpy(fs->tag, cfg.tag, sizeof(cfg.tag));
	fs->tag[sizeof(cfg.tag)] = '\0';
	/* The host's text goes to the log: nothing but printable ASCII. */
	for (char *t = fs->tag; *t; t++)
		if (*t < 0x20 || *t > 0x7e)
			*t = '?';
	if (fs->tag[0] == '\0' || cfg.num_request_queues == 0) {
		printk("virtio-fs: device at %#llx has no tag or no request queue, "
		       "ignored\n",
		       (unsigned long long)d->base);
		return -EINVAL;
	}
	for (unsigned q = 0; r == 0 && q < VFS_NQ; q++)
		r = virtio_queue_setup(d, q, VFS_QUEUE_MAX);
	if (r == 0)
		r = virtio_driver_ok(d);
	if (r)
		return r;
	fs->timeout_ns = vfs_timeout_ns();
	ndevs++;
	printk("virtio-fs: tag \"%s\"\n", fs->tag);
	return 0;
}

VIRTIO_DRIVER(fs_driver) = {
	.device_id = VIRTIO_ID_FS,
	.name = "fs",
	.probe = vfs_probe,
	.interrupt = vfs_interrupt,
	.busy = vfs_busy,
};
