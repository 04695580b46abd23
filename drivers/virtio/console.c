/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, 5.3).
 *
 * Port 0 is the console: once it is up, the kernel log goes here instead of the
 * UART (panics and exception reports still go to the UART, which needs no
 * interrupts or memory), and toro_getc() reads from it. With VIRTIO_CONSOLE_F_
 * MULTIPORT, port 1 is a second byte stream for the kernel; when the host names it
 * org.toro.gdb it belongs to the GDB stub (debug/gdb.c), which drives it without
 * locks or interrupts while the machine is stopped. Port 2, when the host names
 * it org.toro.trace, takes the trace dump (kernel/trace.c).
 *
 * Queues: port 0 receives on 0 and transmits on 1; with multiport, 2 and 3 carry
 * control messages and port n uses 2n+2 and 2n+3 (5.3.2). The multiport handshake
 * (5.3.6.2): the driver sends DEVICE_READY; the device announces each port with
 * DEVICE_ADD, which the driver answers with PORT_READY, then PORT_OPEN for the
 * ports it uses; the device says PORT_OPEN when the host side connects.
 *
 * Transmit copies each write into one of a fixed set of page-sized buffers and
 * queues it; buffers come back when the device has used them, checked on every
 * write, so a slow host makes writers wait but never loses output. Receive keeps
 * every receive buffer posted; the interrupt moves what arrived into a byte ring.
 * The log is written from every CPU, so each port's transmit side and ring are
 * under a spinlock; the interrupt runs on the device's owner CPU.
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

#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define CTRL_RX_QUEUE 2
#define CTRL_TX_QUEUE 3
#define VCON_PORTS 3 /* port 0 (console), port 1, port 2 (written only) */
#define TX_BUFS 16 /* page-sized transmit buffers per port (at most) */
#define RX_BUFS 8 /* page-sized receive buffers per port (at most), all posted */
#define PORT_NAME_MAX 31 /* bytes of a port's name kept */
#define CTRL_BUFS 8 /* control receive buffers */
#define RX_RING 4096 /* bytes received and not yet read */
#define TX_SPINS 100000000 /* polls of a device that returns nothing: then broken */

/* Control messages (5.3.6.2). */
struct virtio_console_control {
	uint32_t id; /* port number */
	uint16_t event; /* VIRTIO_CONSOLE_* below */
	uint16_t value; /* meaning depends on the event */
};
_Static_assert(sizeof(struct virtio_console_control) == 8, "control message size");
_Static_assert(RX_RING >= PAGE_SIZE, "a whole receive buffer fits the ring");

#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

#define DEBUG_PORT 1
#define DEBUG_PORT_NAME "org.toro.gdb" /* what `toro run --gdb` names it */
#define TRACE_PORT 2 /* org.toro.trace: only written to, a failure stops only it */
#define TRACE_TX_BUFS 4
#define TRACE_RX_BUFS 1

struct vport {
	bool ready; /* queues set up */
	bool added; /* the device has the port (DEVICE_ADD, or port 0 without multiport) */
	bool host_open; /* the host side is connected (multiport only says) */
	bool debug; /* named DEBUG_PORT_NAME: the GDB stub's */
	char name[PORT_NAME_MAX + 1]; /* what the host named it ("" if nothing) */
	int ntx, nrx; /* transmit and receive buffers it has */
	unsigned rxq, txq; /* its queue numbers */
	char *tx[TX_BUFS]; /* transmit buffers */
	bool tx_busy[TX_BUFS]; /* queued to the device */
	char *rx[RX_BUFS]; /* receive buffers */
	char ring[RX_RING]; /* received bytes, not yet read */
	uint32_t ring_head; /* next byte to read (free-running) */
	uint32_t ring_tail; /* next byte to write (free-running) */
	struct waitq readers; /* threads waiting for bytes, on the owner CPU */
	struct spinlock lock; /* transmit side and ring */
};

struct vcon {
	struct virtio_dev *dev; /* the device */
	bool multiport; /* VIRTIO_CONSOLE_F_MULTIPORT negotiated */
	struct vport port[VCON_PORTS]; /* port 0, and port 1 with multiport */
	char *ctrl_rx[CTRL_BUFS]; /* control receive buffers */
	struct virtio_console_control *ctrl_tx; /* one control message in flight */
	struct spinlock ctrl_lock; /* the control transmit queue */
};

static struct vcon con;
static bool active; /* the kernel log goes to port 0 */
static void (*debug_hook)(void); /* the stub's: bytes or a connection change */

bool vcon_active(void)
{
	return active;
}

/* Takes back the transmit buffers the device has finished with. Lock held. */
static void tx_reclaim(struct vport *p)
{
	uint32_t len;
	void *token;

	while ((token = virtq_get_used(&con.dev->queues[p->txq], &len)))
		p->tx_busy[(uintptr_t)token - 1] = false;
}

static int tx_free_slot(struct vport *p)
{
	for (int i = 0; i < p->ntx; i++)
		if (!p->tx_busy[i])
			return i;
	return -1;
}

/* Queues s[0..n) (lock held, or the port is the stub's); returns the bytes not
 * sent, and in *why what went wrong. */
static size_t port_queue(struct vport *p, const char *s, size_t n, const char **why)
{
	while (n && !con.dev->broken) {
		int slot;
		long spins = 0;

		tx_reclaim(p);
		while ((slot = tx_free_slot(p)) < 0 && ++spins < TX_SPINS) {
			cpu_relax();
			tx_reclaim(p);
		}
		if (slot < 0) {
			*why = "transmit buffers never came back";
			break;
		}
		size_t k = n < PAGE_SIZE ? n : PAGE_SIZE;
		struct virtq_buf b = { p->tx[slot], (uint32_t)k };

		memcpy(p->tx[slot], s, k);
		if (virtq_add(&con.dev->queues[p->txq], &b, 1, NULL, 0,
			      (void *)(uintptr_t)(slot + 1))) {
			*why = "its transmit queue failed";
			break;
		}
		p->tx_busy[slot] = true;
		virtio_kick(con.dev, p->txq);
		s += k;
		n -= k;
	}
	return n;
}

/*
 * Queues s[0..n); returns the bytes not sent. A device that stops giving buffers
 * back, or whose queue broke, is marked broken after the lock is released: the
 * message that says so goes through the console too.
 */
static size_t port_write(struct vport *p, const char *s, size_t n)
{
	const char *why = NULL;
	bool on = spin_lock(&p->lock);

	n = port_queue(p, s, n, &why);
	spin_unlock(&p->lock, on);
	if (why && p == &con.port[TRACE_PORT]) {
		/* A trace dump the host stopped taking: only that port goes. */
		p->ready = false;
		printk("virtio: console port %d (%s) stopped: %s\n", TRACE_PORT, p->name,
		       why);
	} else if (why) {
		if (p == &con.port[0])
			active = false; /* the log goes back to the UART */
		virtio_mark_broken(con.dev, why);
	}
	return n;
}

void vcon_write(const char *s, size_t n)
{
	size_t left = con.dev->broken ? n : port_write(&con.port[0], s, n);

	/* A broken console must not swallow the log: the UART takes over. */
	if (left) {
		active = false;
		plat_uart_write(s + (n - left), left);
	}
}

static int post(unsigned q, char *buf, uint32_t len, int token)
{
	struct virtq_buf b = { buf, len };

	return virtq_add(&con.dev->queues[q], NULL, 0, &b, 1,
			 (void *)(uintptr_t)(token + 1));
}

/* Sends one control message and waits for the device to take it. */
static void ctrl_send(uint32_t id, uint16_t event, uint16_t value)
{
	struct virtio_console_control *m = con.ctrl_tx;
	struct virtq *q = &con.dev->queues[CTRL_TX_QUEUE];
	bool on = spin_lock(&con.ctrl_lock);
	uint32_t len;

	m->id = id;
	m->event = event;
	m->value = value;
	struct virtq_buf b = { m, sizeof(*m) };

	if (virtq_add(q, &b, 1, NULL, 0, m) == 0) {
		virtio_kick(con.dev, CTRL_TX_QUEUE);
		for (long i = 0; !virtq_get_used(q, &len) && !con.dev->broken; i++)
			if (i == TX_SPINS)
				virtio_mark_broken(con.dev,
						   "a control message never came back");
			else
				cpu_relax();
	}
	spin_unlock(&con.ctrl_lock, on);
}

static void ctrl_message(const struct virtio_console_control *m, uint32_t len)
{
	const char *name = (const char *)(m + 1);
	size_t name_len;

	if (len < sizeof(*m)) {
		virtio_mark_broken(con.dev, "a short control message");
		return;
	}
	name_len = len - sizeof(*m);
	switch (m->event) {
	case VIRTIO_CONSOLE_DEVICE_ADD:
		/* Ports beyond the ones we drive are refused, as the spec allows. */
		if (m->id < VCON_PORTS && con.port[m->id].ready) {
			con.port[m->id].added = true;
			ctrl_send(m->id, VIRTIO_CONSOLE_PORT_READY, 1);
			ctrl_send(m->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
		} else {
			ctrl_send(m->id, VIRTIO_CONSOLE_PORT_READY, 0);
		}
		break;
	case VIRTIO_CONSOLE_DEVICE_REMOVE:
		if (m->id < VCON_PORTS)
			con.port[m->id].added = false;
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (m->id < VCON_PORTS) {
			con.port[m->id].host_open = m->value;
			sched_wake_all(&con.port[m->id].readers);
			if (con.port[m->id].debug && debug_hook)
				debug_hook();
		}
		break;
	case VIRTIO_CONSOLE_PORT_NAME:
		/* The name follows the message (QEMU adds a NUL, the spec does not). */
		if (m->id >= VCON_PORTS)
			break;
		name_len = strnlen(name, name_len);
		if (name_len > PORT_NAME_MAX)
			name_len = 0; /* longer than any name we look for */
		memcpy(con.port[m->id].name, name, name_len);
		con.port[m->id].name[name_len] = '\0';
		if (m->id == DEBUG_PORT && !strcmp(con.port[m->id].name, DEBUG_PORT_NAME))
			con.port[m->id].debug = true;
		break;
	default:
		break; /* names, console port, resize: nothing to do */
	}
}

/* Moves what a port received into its ring and reposts the buffers (lock held,
 * or the port is the stub's). */
static bool port_pull(struct vport *p, int max)
{
	uint32_t len;
	void *token;
	bool got = false;

	while (max-- > 0 && (token = virtq_get_used(&con.dev->queues[p->rxq], &len))) {
		int i = (int)(uintptr_t)token - 1;

		/* Bytes beyond the ring's room are dropped, newest first. */
		for (uint32_t k = 0; k < len && p->ring_tail - p->ring_head < RX_RING;
		     k++)
			p->ring[p->ring_tail++ % RX_RING] = p->rx[i][k];
		post(p->rxq, p->rx[i], PAGE_SIZE, i);
		got = true;
	}
	if (got)
		virtio_kick(con.dev, p->rxq);
	return got;
}

static void port_receive(struct vport *p)
{
	bool on = spin_lock(&p->lock);
	bool got = port_pull(p, p->nrx);

	spin_unlock(&p->lock, on);
	if (got)
		sched_wake_all(&p->readers);
}

/*
 * The host hanging up the stub's port. While the machine is stopped the stub
 * cannot wait for the control message to be handled (that is the owner CPU's
 * interrupt, and that CPU is parked, maybe inside ctrl_receive), so it looks at
 * the control queue without taking from it (vcon_debug_hung_up); ctrl_taken and
 * ctrl_looked keep one message from counting twice.
 */
static uint16_t ctrl_taken; /* control messages handled by ctrl_receive */
static uint16_t ctrl_looked; /* how far the stub's look got (ahead of ctrl_taken) */
static bool debug_closed; /* the stub's host hung up since the stub last asked */

static bool is_debug_close(const void *buf, uint32_t len)
{
	const struct virtio_console_control *m = buf;

	return len >= sizeof(*m) && m->id == DEBUG_PORT &&
	       m->event == VIRTIO_CONSOLE_PORT_OPEN && !m->value;
}

static void ctrl_receive(void)
{
	uint32_t len;
	void *token;

	while ((token = virtq_get_used(&con.dev->queues[CTRL_RX_QUEUE], &len))) {
		int i = (int)(uintptr_t)token - 1;

		if ((int16_t)(ctrl_taken - ctrl_looked) >= 0 &&
		    is_debug_close(con.ctrl_rx[i], len))
			debug_closed = true;
		ctrl_taken++;
		ctrl_message((const struct virtio_console_control *)con.ctrl_rx[i], len);
		post(CTRL_RX_QUEUE, con.ctrl_rx[i], PAGE_SIZE, i);
	}
	virtio_kick(con.dev, CTRL_RX_QUEUE);
}

static void interrupt(struct virtio_dev *d, uint32_t status)
{
	(void)d;
	if (!(status & VIRTIO_MMIO_INT_VRING))
		return;
	/* Control first: the stub must know the host is there before it reads. */
	if (con.multiport)
		ctrl_receive();
	for (int i = 0; i < VCON_PORTS; i++)
		if (con.port[i].debug && debug_hook)
			debug_hook(); /* the stub reads its port itself */
		else if (con.port[i].ready)
			port_receive(&con.port[i]);
}

/* Reads what is there into buf (size 0: waits for the host to connect instead). */
static int port_read(struct vport *p, void *buf, size_t size)
{
	bool on = irq_save();

	for (;;) {
		bool l = spin_lock(&p->lock);
		size_t n = 0;

		while (n < size && p->ring_head != p->ring_tail)
			((char *)buf)[n++] = p->ring[p->ring_head++ % RX_RING];
		spin_unlock(&p->lock, l);
		if (n || (size == 0 && p->host_open)) {
			irq_restore(on);
			return (int)n;
		}
		if (con.dev->broken) {
			irq_restore(on);
			return -EIO;
		}
		/* Readers wait on the device's CPU, where its interrupt wakes them;
		 * elsewhere they let that CPU's threads run and look again. */
		if (pcpu_id() == con.dev->cpu) {
			sched_wait(&p->readers, 0);
		} else {
			irq_restore(on);
			toro_yield();
			on = irq_save();
		}
	}
}

int vcon_getc(void)
{
	unsigned char c;
	int r = port_read(&con.port[0], &c, 1);

	return r < 0 ? r : c;
}

/* Whether the port exists on both sides (and is not the stub's). */
static bool port_ok(int port)
{
	return con.dev && port >= 0 && port < VCON_PORTS && con.port[port].ready &&
	       con.port[port].added && !con.port[port].debug;
}

void vcon_flush(void)
{
	for (int i = 0; con.dev && i < VCON_PORTS; i++) {
		struct vport *p = &con.port[i];
		bool on = spin_lock(&p->lock);
		long spins = 0;

		while (p->ready && !con.dev->broken && ++spins < TX_SPINS) {
			bool busy = false;

			tx_reclaim(p);
			for (int k = 0; k < p->ntx; k++)
				busy |= p->tx_busy[k];
			if (!busy)
				break;
			cpu_relax();
		}
		spin_unlock(&p->lock, on);
	}
}

bool vcon_debug_port(void)
{
	struct vport *p = &con.port[DEBUG_PORT];

	return con.dev && !con.dev->broken && p->ready && p->added && p->debug;
}

void vcon_debug_hook(void (*fn)(void))
{
	debug_hook = fn;
}

size_t vcon_debug_read(void *buf, size_t size)
{
	struct vport *p = &con.port[DEBUG_PORT];
	size_t n = 0;

	if (!vcon_debug_port())
		return 0;
	/* One buffer (a page at most) into the empty ring: nothing is dropped. */
	if (p->ring_head == p->ring_tail)
		port_pull(p, 1);
	while (n < size && p->ring_head != p->ring_tail)
		((char *)buf)[n++] = p->ring[p->ring_head++ % RX_RING];
	return n;
}

bool vcon_debug_hung_up(void)
{
	struct vport *p = &con.port[DEBUG_PORT];
	uint16_t k = 0;
	uint32_t len;
	void *token;
	bool closed;

	if (!vcon_debug_port() || !con.multiport)
		return false;
	if ((int16_t)(ctrl_looked - ctrl_taken) > 0)
		k = (uint16_t)(ctrl_looked - ctrl_taken);
	for (; (token = virtq_peek_used(&con.dev->queues[CTRL_RX_QUEUE], k, &len)); k++) {
		if (is_debug_close(con.ctrl_rx[(uintptr_t)token - 1], len))
			debug_closed = true;
		ctrl_looked = (uint16_t)(ctrl_taken + k + 1);
	}
	closed = debug_closed;
	debug_closed = false;
	if (closed) /* what the old connection sent is not for the next one */
		do
			p->ring_head = p->ring_tail;
		while (port_pull(p, p->nrx));
	return closed;
}

void vcon_debug_write(const void *buf, size_t n)
{
	const char *why = NULL;

	if (vcon_debug_port())
		port_queue(&con.port[DEBUG_PORT], buf, n, &why);
}

long vcon_port_write(int port, const void *buf, size_t n)
{
	if (!port_ok(port))
		return -ENODEV;
	size_t left = port_write(&con.port[port], buf, n);

	return left == n && n ? -EIO : (long)(n - left);
}

long vcon_port_read(int port, void *buf, size_t size)
{
	if (!port_ok(port))
		return -ENODEV;
	return port_read(&con.port[port], buf, size);
}

int vcon_cpu(void)
{
	return con.dev ? con.dev->cpu : 0;
}

int vcon_port_find(const char *name)
{
	for (int i = 0; i < VCON_PORTS; i++)
		if (port_ok(i) && !strcmp(con.port[i].name, name))
			return i;
	return -ENODEV;
}

int vcon_port_wait_open(int port)
{
	if (!port_ok(port))
		return -ENODEV;
	if (!con.multiport)
		return 0; /* no way to know: assume connected */
	return port_read(&con.port[port], NULL, 0);
}

static int port_setup(struct virtio_dev *d, int n, int ntx, int nrx)
{
	struct vport *p = &con.port[n];
	int r;

	p->rxq = n == 0 ? 0 : 2u * (unsigned)n + 2;
	p->txq = p->rxq + 1;
	r = virtio_queue_setup(d, p->rxq, 64);
	if (r == 0)
		r = virtio_queue_setup(d, p->txq, 64);
	p->ntx = ntx;
	p->nrx = nrx;
	for (int i = 0; r == 0 && i < ntx; i++)
		if (!(p->tx[i] = kmem_pages_alloc(1)))
			r = -ENOMEM;
	for (int i = 0; r == 0 && i < nrx; i++)
		r = (p->rx[i] = kmem_pages_alloc(1)) ?
			    post(p->rxq, p->rx[i], PAGE_SIZE, i) :
			    -ENOMEM;
	p->ready = r == 0;
	return r;
}

static int probe(struct virtio_dev *d)
{
	uint32_t max_ports = 1;
	int r;

	if (con.dev) {
		printk("virtio: a second console at %#llx, ignored\n",
		       (unsigned long long)d->base);
		return -EBUSY;
	}
	con.dev = d;
	d->priv = &con;
	r = virtio_negotiate(d, 1ull << VIRTIO_CONSOLE_F_MULTIPORT);
	con.multiport = d->features & (1ull << VIRTIO_CONSOLE_F_MULTIPORT);
	if (r == 0 && con.multiport)
		virtio_config_read(d, 4, &max_ports, sizeof(max_ports));
	if (r == 0)
		r = port_setup(d, 0, TX_BUFS, RX_BUFS);
	/* Without multiport, port 0 simply exists; with it, the device says so. */
	con.port[0].added = !con.multiport;
	if (r == 0 && con.multiport) {
		r = virtio_queue_setup(d, CTRL_RX_QUEUE, 16);
		if (r == 0)
			r = virtio_queue_setup(d, CTRL_TX_QUEUE, 16);
		if (r == 0 && !(con.ctrl_tx = kmem_pages_alloc(1)))
			r = -ENOMEM;
		for (int i = 0; r == 0 && i < CTRL_BUFS; i++)
			r = (con.ctrl_rx[i] = kmem_pages_alloc(1)) ?
				    post(CTRL_RX_QUEUE, con.ctrl_rx[i], PAGE_SIZE, i) :
				    -ENOMEM;
		/* Ports 1 and 2 only if the device has room; a failure is not fatal.
		 * Port 2 is only written to (the trace dump): one receive buffer. */
		if (r == 0 && max_ports > 1 && port_setup(d, 1, TX_BUFS, RX_BUFS))
			printk("virtio: console port 1 unavailable\n");
		if (r == 0 && max_ports > TRACE_PORT &&
		    port_setup(d, TRACE_PORT, TRACE_TX_BUFS, TRACE_RX_BUFS))
			printk("virtio: console port %d unavailable\n", TRACE_PORT);
	}
	if (r == 0)
		r = virtio_driver_ok(d);
	if (r)
		return r;
	virtio_kick(d, con.port[0].rxq);
	if (con.multiport) {
		virtio_kick(d, CTRL_RX_QUEUE);
		ctrl_send(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
		/* The device answers DEVICE_READY with a DEVICE_ADD (then a name)
		 * per port before it gives the message back: take them now, so that
		 * the log moves here only if port 0 exists. */
		ctrl_receive();
	}
	/* `console=uart` keeps the log on the serial port (test images, whose KTAP
	 * output the runner reads there). */
	const char *where = toro_param("console");

	active = con.port[0].added && (!where || strcmp(where, "uart") != 0);
	return 0;
}

/* Readers sleep on the owner CPU's wait queues: it cannot change under them. */
static bool busy(struct virtio_dev *d)
{
	(void)d;
	for (int i = 0; i < VCON_PORTS; i++)
		if (con.port[i].readers.head)
			return true;
	return false;
}

VIRTIO_DRIVER(virtio_console_driver) = {
	.device_id = VIRTIO_ID_CONSOLE,
	.name = "console",
	.probe = probe,
	.interrupt = interrupt,
	.busy = busy,
};
