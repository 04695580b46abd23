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

#endif
