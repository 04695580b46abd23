/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport as drivers see it: a device, its negotiated features,
 * its queues, and the CPU that owns it (whose interrupt it gets).
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_H
#define DRIVERS_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/virtq.h"

#define VIRTIO_MAX_DEVICES 16
#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

/* A driver, registered with VIRTIO_DRIVER(); probe returns 0 or -errno. */
struct virtio_driver {
	uint32_t device_id; /* VIRTIO_ID_* */
	const char *name; /* for the boot log */
	int (*probe)(struct virtio_dev *d);
	void (*interrupt)(struct virtio_dev *d, uint32_t status); /* on the owner CPU */
	bool (*busy)(struct virtio_dev *d); /* threads wait on the owner: no moving */
};

#define VIRTIO_DRIVER(n)                    \
	static const struct virtio_driver n \
		__attribute__((used, section("virtio_drivers"), aligned(8)))

struct virtio_dev {
	volatile uint8_t *regs; /* mapped registers */
	uint64_t base; /* physical base, for messages */
	uint32_t gsi; /* interrupt line */
	uint32_t device_id; /* VIRTIO_ID_* */
	uint32_t version; /* 1 legacy, 2 modern */
	uint64_t features; /* negotiated */
	int cpu; /* owner: gets the interrupt, runs the driver */
	bool broken; /* misbehaved or failed: requests fail with -EIO */
	const struct virtio_driver *driver; /* bound driver, or NULL */
	void *priv; /* the driver's state */
	struct virtq queues[VIRTIO_MAX_QUEUES]; /* set up by virtio_queue_setup */
};

/* Reads device-specific configuration [off, off+len), consistently (modern devices
 * bump a generation counter while it changes). */
void virtio_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);

/* Feature negotiation: offers `wanted` (VIRTIO_F_VERSION_1 is added for modern
 * devices); returns 0 with d->features set, or -EIO if the device refuses. */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

/* Sets up queue `idx` with up to `max` entries (the device may offer fewer). */
int virtio_queue_setup(struct virtio_dev *d, unsigned idx, uint32_t max);

/* Tells the device the driver is ready; routes its interrupt to its owner. */
int virtio_driver_ok(struct virtio_dev *d);

/* Notifies the device about new buffers in queue idx if it wants to know. */
void virtio_kick(struct virtio_dev *d, unsigned idx);

/* Resets the device (status 0): it stops using every buffer it was given. */
void virtio_reset(struct virtio_dev *d);

/* Marks the device broken (with a reason in the log); later requests get -EIO. */
void virtio_mark_broken(struct virtio_dev *d, const char *why);

/* Adds one device from discovery; probes it and binds its driver. */
void virtio_mmio_add(uint64_t base, uint64_t size, uint32_t gsi, const char *source);

/* The device bound to the named driver ("console"), or NULL. */
const struct virtio_dev *virtio_find(const char *driver);

/* Finds and starts every device (command line, then ACPI DSDT). */
void virtio_init(void);

#endif
