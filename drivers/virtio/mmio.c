/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport (virtio 1.2, 4.2), modern (version 2) and legacy
 * (version 1, QEMU's default).
 *
 * Start-up of a device (3.1.1): reset, ACKNOWLEDGE, DRIVER, read the device's
 * features and write ours, FEATURES_OK (modern only) and check it stuck, set up
 * the queues, DRIVER_OK. A legacy device has 32 feature bits, no FEATURES_OK and
 * queues at a page frame number with a fixed layout (2.7.2).
 *
 * The registers are untrusted like the rest of the device: a queue size is
 * checked against what we asked, a status that reads back wrong fails the device
 * with a message, and nothing here asserts on a value the device controls.
 */
#include "drivers/virtio/virtio.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "kernel/kmem.h"
#include "kernel/printk.h"
#include "kernel/trace.h"
#include "lib/kstring.h"
#include "platform/ioapic.h"
#include "platform/platform.h"
#include "toro/errno.h"
#include "toro/toro.h"
#include "uapi/virtio_mmio.h"
#include "uapi/virtio_ring.h"

extern const struct virtio_driver __virtio_drivers_start[], __virtio_drivers_end[];

static struct virtio_dev devices[VIRTIO_MAX_DEVICES];
static int ndevices;

static uint32_t rd(struct virtio_dev *d, uint32_t reg)
{
	return *(volatile uint32_t *)(d->regs + reg);
}

static void wr(struct virtio_dev *d, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(d->regs + reg) = v;
}

static const char *id_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_CONSOLE:
		return "console";
	case VIRTIO_ID_VSOCK:
		return "vsock";
	case VIRTIO_ID_FS:
		return "fs";
	default:
		return "unknown";
	}
}

void virtio_mark_broken(struct virtio_dev *d, const char *why)
{
	bool was = d->broken;

	/* Broken first: the message below may go through this very device. */
	d->broken = true;
	for (int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_mark_broken(&d->queues[i]);
	if (!was)
		printk("virtio: %s at %#llx is broken: %s\n", id_name(d->device_id),
		       (unsigned long long)d->base, why);
}

void virtio_reset(struct virtio_dev *d)
{
	/* 4.2.3.1: writing 0 resets; a modern device reads 0 back once done. */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < 1000 && d->version >= 2 && rd(d, VIRTIO_MMIO_STATUS); i++)
		cpu_relax();
}

void virtio_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *out = buf;
	uint32_t gen;

	/* Modern devices count configuration changes: read until none happened
	 * during the read (4.2.2, ConfigGeneration). Bounded: a device that changes
	 * forever gets what was read last. */
	for (int tries = 0; tries < 100; tries++) {
		gen = d->version >= 2 ? rd(d, VIRTIO_MMIO_CONFIG_GENERATION) : 0;
		for (uint32_t i = 0; i < len; i++)
			out[i] = d->regs[VIRTIO_MMIO_CONFIG + off + i];
		if (d->version < 2 || rd(d, VIRTIO_MMIO_CONFIG_GENERATION) == gen)
			return;
	}
}

static void set_status(struct virtio_dev *d, uint32_t bits)
{
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | bits);
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t offered;

	wr(d, VIRTIO_MMIO_STATUS, 0); /* reset */
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	if (d->version >= 2) {
		wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
		offered |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
		wanted |= 1ull << VIRTIO_F_VERSION_1;
	} else {
		wanted &= 0xffffffffull; /* legacy: 32 feature bits */
	}
	d->features = offered & wanted;
	if (d->version >= 2 && !(d->features & (1ull << VIRTIO_F_VERSION_1))) {
		virtio_mark_broken(d, "a modern device without VIRTIO_F_VERSION_1");
		return -EIO;
	}
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	if (d->version >= 2) {
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
		set_status(d, VIRTIO_STATUS_FEATURES_OK);
		if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
			virtio_mark_broken(d, "it refused our features");
			return -EIO;
		}
	} else {
		wr(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE_SIZE);
	}
	return 0;
}

static void *zeroed_pages(size_t bytes)
{
	size_t n = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	void *p = kmem_pages_alloc(n);

	if (p)
		memset(p, 0, n * PAGE_SIZE);
	return p;
}

int virtio_queue_setup(struct virtio_dev *d, unsigned idx, uint32_t max)
{
	struct virtq *q = &d->queues[idx];
	struct virtq_config cfg = { 0 };
	uint32_t num;
	int r;

	if (idx >= VIRTIO_MAX_QUEUES)
		return -EINVAL;
	wr(d, VIRTIO_MMIO_QUEUE_SEL, idx);
	num = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (num == 0)
		return -ENOENT;
	if (num > max)
		num = max;
	/* The largest power of two the device allows (the split ring needs one). */
	while (num & (num - 1))
		num &= num - 1;
	cfg.num = num;
	cfg.event_idx = d->features & (1ull << VIRTIO_F_EVENT_IDX);
	cfg.state = zeroed_pages(num * sizeof(*cfg.state));
	if (!cfg.state)
		return -ENOMEM;
	wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	if (d->version >= 2) {
		uint8_t *desc =
			zeroed_pages(virtq_desc_bytes(num) + virtq_avail_bytes(num) + 4 +
				     virtq_used_bytes(num));

		if (!desc)
			return -ENOMEM;
		uint8_t *avail = desc + virtq_desc_bytes(num);
		/* The used ring needs 4-byte alignment (2.7). */
		uint8_t *used =
			(uint8_t *)(((uintptr_t)avail + virtq_avail_bytes(num) + 3) &
				    ~(uintptr_t)3);

		r = virtq_init(q, &cfg, desc, avail, used);
		if (r)
			return r;
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)virtq_desc_dma(q));
		wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(virtq_desc_dma(q) >> 32));
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)virtq_avail_dma(q));
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
		   (uint32_t)(virtq_avail_dma(q) >> 32));
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)virtq_used_dma(q));
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(virtq_used_dma(q) >> 32));
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	} else {
		void *ring = zeroed_pages(virtq_legacy_bytes(num, PAGE_SIZE));

		if (!ring)
			return -ENOMEM;
		r = virtq_init_legacy(q, &cfg, ring, PAGE_SIZE);
		if (r)
			return r;
		wr(d, VIRTIO_MMIO_QUEUE_ALIGN, PAGE_SIZE);
		wr(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((uintptr_t)ring / PAGE_SIZE));
	}
	return 0;
}

void virtio_kick(struct virtio_dev *d, unsigned idx)
{
	if (virtq_kick_needed(&d->queues[idx])) {
		trace(TRACE_G_VIRTQ, TRACE_KICK, idx, d->base, 0);
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, idx);
	}
}

static void irq(struct trap_frame *f, void *arg)
{
	struct virtio_dev *d = arg;
	uint32_t status;

	(void)f;
	status = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	trace(TRACE_G_VIRTQ, TRACE_VQ_IRQ, status, d->base, 0);
	/* Acknowledge before handling: a buffer used meanwhile raises it again. */
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, status);
	if (rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		virtio_mark_broken(d, "it needs a reset");
	if (d->driver && d->driver->interrupt)
		d->driver->interrupt(d, status);
}

int virtio_driver_ok(struct virtio_dev *d)
{
	unsigned vector;
	int r;

	if (d->gsi >= IRQ_VECTOR_TIMER - IRQ_VECTOR_DEVICE)
		return -EINVAL; /* no vector for it */
	vector = IRQ_VECTOR_DEVICE + d->gsi;
	r = irq_register(vector, irq, d);
	if (r == 0)
		/* virtio-mmio raises its line while InterruptStatus is not zero. */
		r = ioapic_route(d->gsi, (uint8_t)vector, d->cpu, IOAPIC_LEVEL);
	if (r)
		return r;
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

void virtio_mmio_add(uint64_t base, uint64_t size, uint32_t gsi, const char *source)
{
	struct virtio_dev *d;
	uint32_t magic, version, id;

	for (int i = 0; i < ndevices; i++)
		if (devices[i].base == base)
			return; /* listed twice (command line and ACPI) */
	if (ndevices == VIRTIO_MAX_DEVICES) {
		printk("virtio: more than %d devices, %#llx ignored\n",
		       VIRTIO_MAX_DEVICES, (unsigned long long)base);
		return;
	}
	if (size < 0x200 || vm_map((uintptr_t)base, base, size, VM_W | VM_UC)) {
		printk("virtio: cannot map %#llx (%s), ignored\n",
		       (unsigned long long)base, source);
		return;
	}
	d = &devices[ndevices];
	d->regs = (volatile uint8_t *)(uintptr_t)base;
	d->base = base;
	d->gsi = gsi;
	magic = rd(d, VIRTIO_MMIO_MAGIC_VALUE);
	version = rd(d, VIRTIO_MMIO_VERSION);
	id = rd(d, VIRTIO_MMIO_DEVICE_ID);
	if (magic != VIRTIO_MMIO_MAGIC || (version != 1 && version != 2)) {
		printk("virtio: no virtio-mmio device at %#llx (%s): magic %#x version %u, "
		       "ignored\n",
		       (unsigned long long)base, source, magic, version);
		return;
	}
	if (id == 0)
		return; /* a transport with nothing plugged in: normal on microvm */
	d->version = version;
	d->device_id = id;
	size_t ndrivers =
		((uintptr_t)__virtio_drivers_end - (uintptr_t)__virtio_drivers_start) /
		sizeof(struct virtio_driver);

	for (size_t i = 0; i < ndrivers; i++)
		if (__virtio_drivers_start[i].device_id == id)
			d->driver = &__virtio_drivers_start[i];
	if (!d->driver) {
		printk("virtio: unknown device ID %u at %#llx (%s), ignored\n", id,
		       (unsigned long long)base, source);
		return;
	}
	ndevices++;
	int r = d->driver->probe(d);

	if (r) {
		printk("virtio: %s at %#llx failed to start (%d), ignored\n",
		       d->driver->name, (unsigned long long)base, r);
		wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
		d->broken = true;
	}
	boot_mark(d->driver->name, (int)ndevices - 1);
}

int toro_dedicate(const char *device, int cpu)
{
	if (cpu < 0 || cpu >= toro_ncpus())
		return -EINVAL;
	for (int i = 0; i < ndevices; i++) {
		struct virtio_dev *d = &devices[i];

		if (!d->driver || strcmp(d->driver->name, device) != 0)
			continue;
		if (d->broken)
			return -EIO;
		if (d->driver->busy && d->driver->busy(d))
			return -EBUSY;
		/* From the next interrupt on, the new owner runs the driver. */
		int r = ioapic_route(d->gsi, (uint8_t)(IRQ_VECTOR_DEVICE + d->gsi), cpu,
				     IOAPIC_LEVEL);

		if (r == 0)
			d->cpu = cpu;
		return r;
	}
	return -ENODEV;
}

const struct virtio_dev *virtio_find(const char *driver)
{
	for (int i = 0; i < ndevices; i++)
		if (devices[i].driver && strcmp(devices[i].driver->name, driver) == 0)
			return &devices[i];
	return NULL;
}
