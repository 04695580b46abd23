/* SPDX-License-Identifier: MIT */
/* virtio-console as the kernel's log and the application's console input. */
#ifndef DRIVERS_VIRTIO_CONSOLE_H
#define DRIVERS_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a virtio console is up and takes the log. */
bool vcon_active(void);
void vcon_write(const char *s, size_t n);
/* Waits until the device has taken everything written (the VM is ending: QEMU
 * may handle a notification after the guest's last instruction, or never). */
void vcon_flush(void);
/* The next received byte, waiting for it; -EIO if the device broke. */
int vcon_getc(void);

/* Port n's byte stream (ports 1 and 2 exist with multiport): the bytes written, or
 * -ENODEV (no such port) or -EIO; read waits for at least one byte. */
long vcon_port_write(int port, const void *buf, size_t n);
long vcon_port_read(int port, void *buf, size_t size);
/* The CPU that takes the console's interrupt (where its readers wait). */
int vcon_cpu(void);
/* The port the host named so (and the driver has), or -ENODEV. */
int vcon_port_find(const char *name);
/* Waits until the host side of the port is connected; 0 or -errno. */
int vcon_port_wait_open(int port);

/*
 * Port 1 when the host named it org.toro.gdb: the GDB stub's. Read and write
 * take no locks and need no interrupts; only the stub calls them, from one CPU
 * at a time. The hook runs in the device's interrupt when the port may have
 * bytes or its host side connected or left; it reads them itself.
 */
bool vcon_debug_port(void);
void vcon_debug_hook(void (*fn)(void));
/* Whether the host hung up the port since the last call (also while the machine
 * is stopped, without the interrupt); if so, what it had sent is dropped. */
bool vcon_debug_hung_up(void);
/* What arrived, up to size bytes; 0 if nothing (never waits). */
size_t vcon_debug_read(void *buf, size_t size);
/* Queues all n bytes (waits for transmit buffers). */
void vcon_debug_write(const void *buf, size_t n);

#endif
