/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, 5.3), port 0: queue 0 receives, queue 1 transmits.
 *
 * Once it is up, the kernel log goes here instead of the UART (panics and
 * exception reports still go to the UART, which needs no interrupts or memory).
 * Transmit copies each write into one of a fixed set of page-sized buffers and
 * queues it; buffers come back when the device has used them, which is checked
 * on every write, so a slow host makes writers wait but never loses output.
 * Receive keeps every receive buffer posted; the interrupt moves what arrived
 * into a byte ring that toro_getc() reads.
 *
 * The log is written from every CPU, so the transmit side is under a spinlock;
 * receiving runs on the device's owner CPU.
 */
#include "drivers/virtio/console.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "drivers/virtio/virtio.h"
#include "kernel/kmem.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "lib/kstring.h"
#include "platform/platform.h"
#include "toro/errno.h"
#include "toro/toro.h"
#include "uapi/virtio_mmio.h"

#define RX_QUEUE 0
#define TX_QUEUE 1
#define TX_BUFS 16 /* page-sized transmit buffers */
#define RX_BUFS 8 /* page-sized receive buffers, all posted */
#define RX_RING 4096 /* bytes received and not yet read */
#define TX_SPINS 100000000 /* polls of a device that returns nothing: then broken */

struct vcon {
	struct virtio_dev *dev; /* the device */
	char *tx[TX_BUFS]; /* transmit buffers */
	bool tx_busy[TX_BUFS]; /* queued to the device */
	char *rx[RX_BUFS]; /* receive buffers */
	char ring[RX_RING]; /* received bytes, read by vcon_getc */
	uint32_t ring_head; /* next byte to read (free-running) */
	uint32_t ring_tail; /* next byte to write (free-running) */
	struct waitq readers; /* threads in vcon_getc, on the owner CPU */
	struct spinlock lock; /* the transmit side and the ring */
};

static struct vcon con;
static bool active; /* the kernel log goes here */

bool vcon_active(void)
{
	return active;
}

/* Takes back the transmit buffers the device has finished with. Lock held. */
static void tx_reclaim(void)
{
	uint32_t len;
	void *token;

	while ((token = virtq_get_used(&con.dev->queues[TX_QUEUE], &len)))
		con.tx_busy[(uintptr_t)token - 1] = false;
}

static int tx_free_slot(void)
{
	for (int i = 0; i < TX_BUFS; i++)
		if (!con.tx_busy[i])
			return i;
	return -1;
}

void vcon_write(const char *s, size_t n)
{
	bool on = spin_lock(&con.lock);

	while (n && !con.dev->broken) {
		int slot;
		long spins = 0;

		tx_reclaim();
		while ((slot = tx_free_slot()) < 0) {
			cpu_relax();
			tx_reclaim();
			if (++spins == TX_SPINS)
				virtio_mark_broken(con.dev,
						   "transmit buffers never came back");
			if (con.dev->broken)
				break;
		}
		if (slot < 0)
			break;
		size_t k = n < PAGE_SIZE ? n : PAGE_SIZE;
		struct virtq_buf b = { con.tx[slot], (uint32_t)k };

		memcpy(con.tx[slot], s, k);
		if (virtq_add(&con.dev->queues[TX_QUEUE], &b, 1, NULL, 0,
			      (void *)(uintptr_t)(slot + 1)))
			break;
		con.tx_busy[slot] = true;
		virtio_kick(con.dev, TX_QUEUE);
		s += k;
		n -= k;
	}
	spin_unlock(&con.lock, on);
	/* A broken console must not swallow the log: the UART takes over. */
	if (con.dev->broken) {
		active = false;
		plat_uart_write(s, n);
	}
}

static int rx_post(int i)
{
	struct virtq_buf b = { con.rx[i], PAGE_SIZE };

	return virtq_add(&con.dev->queues[RX_QUEUE], NULL, 0, &b, 1,
			 (void *)(uintptr_t)(i + 1));
}

static void interrupt(struct virtio_dev *d, uint32_t status)
{
	uint32_t len;
	void *token;
	bool got = false;

	(void)d;
	if (!(status & VIRTIO_MMIO_INT_VRING))
		return;
	bool on = spin_lock(&con.lock);

	while ((token = virtq_get_used(&con.dev->queues[RX_QUEUE], &len))) {
		int i = (int)(uintptr_t)token - 1;

		/* Bytes beyond the ring's room are dropped, newest first. */
		for (uint32_t k = 0; k < len && con.ring_tail - con.ring_head < RX_RING;
		     k++)
			con.ring[con.ring_tail++ % RX_RING] = con.rx[i][k];
		rx_post(i);
		got = true;
	}
	if (got)
		virtio_kick(con.dev, RX_QUEUE);
	spin_unlock(&con.lock, on);
	if (got)
		sched_wake_all(&con.readers);
}

int vcon_getc(void)
{
	bool on = irq_save();

	for (;;) {
		bool l = spin_lock(&con.lock);

		if (con.ring_head != con.ring_tail) {
			int c = (unsigned char)con.ring[con.ring_head++ % RX_RING];

			spin_unlock(&con.lock, l);
			irq_restore(on);
			return c;
		}
		spin_unlock(&con.lock, l);
		if (con.dev->broken) {
			irq_restore(on);
			return -EIO;
		}
		/* Readers wait on the device's CPU, where its interrupt wakes them;
		 * elsewhere they let that CPU's threads run and look again. */
		if (pcpu_id() == con.dev->cpu) {
			sched_wait(&con.readers, 0);
		} else {
			irq_restore(on);
			toro_yield();
			on = irq_save();
		}
	}
}

static int probe(struct virtio_dev *d)
{
	int r;

	if (con.dev) {
		printk("virtio: a second console at %#llx, ignored\n",
		       (unsigned long long)d->base);
		return -EBUSY;
	}
	con.dev = d;
	d->priv = &con;
	r = virtio_negotiate(d, 0);
	if (r == 0)
		r = virtio_queue_setup(d, RX_QUEUE, 64);
	if (r == 0)
		r = virtio_queue_setup(d, TX_QUEUE, 64);
	for (int i = 0; r == 0 && i < TX_BUFS; i++)
		if (!(con.tx[i] = kmem_pages_alloc(1)))
			r = -ENOMEM;
	for (int i = 0; r == 0 && i < RX_BUFS; i++) {
		if (!(con.rx[i] = kmem_pages_alloc(1)))
			r = -ENOMEM;
		else
			r = rx_post(i);
	}
	if (r == 0)
		r = virtio_driver_ok(d);
	if (r)
		return r;
	virtio_kick(d, RX_QUEUE);
	active = true;
	return 0;
}

VIRTIO_DRIVER(virtio_console_driver) = {
	.device_id = VIRTIO_ID_CONSOLE,
	.name = "console",
	.probe = probe,
	.interrupt = interrupt,
};
