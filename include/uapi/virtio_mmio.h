/* SPDX-License-Identifier: MIT */
/*
 * virtio over MMIO: register layout and status bits (virtio 1.2, 4.2.2 "MMIO Device
 * Register Layout"; the legacy interface is 4.2.4). Offsets from the device base.
 */
#ifndef UAPI_VIRTIO_MMIO_H
#define UAPI_VIRTIO_MMIO_H

#define VIRTIO_MMIO_MAGIC_VALUE 0x000 /* R: 0x74726976 ("virt") */
#define VIRTIO_MMIO_VERSION 0x004 /* R: 2 modern, 1 legacy */
#define VIRTIO_MMIO_DEVICE_ID 0x008 /* R: 0 means no device here */
#define VIRTIO_MMIO_VENDOR_ID 0x00c /* R */
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010 /* R: 32 feature bits selected below */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 /* W: which 32 bits */
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020 /* W */
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024 /* W */
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028 /* W: legacy only */
#define VIRTIO_MMIO_QUEUE_SEL 0x030 /* W */
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034 /* R: 0 if the queue does not exist */
#define VIRTIO_MMIO_QUEUE_NUM 0x038 /* W */
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c /* W: legacy only */
#define VIRTIO_MMIO_QUEUE_PFN 0x040 /* R/W: legacy only, page number of the queue */
#define VIRTIO_MMIO_QUEUE_READY 0x044 /* R/W: modern only */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050 /* W: queue index */
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060 /* R */
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064 /* W */
#define VIRTIO_MMIO_STATUS 0x070 /* R/W */
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080 /* W: modern only */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084 /* W */
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090 /* W */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094 /* W */
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0 /* W */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4 /* W */
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc /* R: modern only */
#define VIRTIO_MMIO_CONFIG 0x100 /* device-specific configuration */

#define VIRTIO_MMIO_MAGIC 0x74726976u

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE (1u << 0)
#define VIRTIO_STATUS_DRIVER (1u << 1)
#define VIRTIO_STATUS_DRIVER_OK (1u << 2)
#define VIRTIO_STATUS_FEATURES_OK (1u << 3)
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET (1u << 6)
#define VIRTIO_STATUS_FAILED (1u << 7)

/* Interrupt status. */
#define VIRTIO_MMIO_INT_VRING (1u << 0) /* a used buffer */
#define VIRTIO_MMIO_INT_CONFIG (1u << 1) /* configuration changed */

/* Device IDs (5). */
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_FS 26

#endif
