/* SPDX-License-Identifier: MIT */
/* virtio-console as the kernel's log and the application's console input. */
#ifndef DRIVERS_VIRTIO_CONSOLE_H
#define DRIVERS_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a virtio console is up and takes the log. */
bool vcon_active(void);
void vcon_write(const char *s, size_t n);
/* The next received byte, waiting for it; -EIO if the device broke. */
int vcon_getc(void);

/* Port n's byte stream (port 1 exists with multiport): the bytes written, or
 * -ENODEV (no such port) or -EIO; read waits for at least one byte. */
long vcon_port_write(int port, const void *buf, size_t n);
long vcon_port_read(int port, void *buf, size_t size);
/* Waits until the host side of the port is connected; 0 or -errno. */
int vcon_port_wait_open(int port);

#endif
