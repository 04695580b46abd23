/* SPDX-License-Identifier: MIT */
/* Mailboxes between CPUs: the kernel's control messages and the application's. */
#ifndef KERNEL_MBOX_H
#define KERNEL_MBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched.h"

enum {
	MBOX_CTL_CREATE = 1, /* arg: a new thread to run on the receiving CPU */
	MBOX_CTL_WAKE_JOIN, /* arg: a thread of the receiver, joining one that exited */
	MBOX_CTL_WAKE, /* arg: a blocked thread of the receiver to make runnable */
};

/* Runs on the receiving CPU, interrupts off, for each control message. */
typedef void (*mbox_ctl_handler)(unsigned type, void *arg);

/* Builds the rings for ncpus CPUs and registers the wake-up IPI. */
int mbox_init(int ncpus, mbox_ctl_handler handler);

/* Sends a control message to cpu, waiting for room; never fails. */
void mbox_send_ctl(int cpu, unsigned type, void *arg);

/* Handles pending control messages of this CPU and wakes threads waiting for
 * application messages. Returns whether it did any of that. Interrupts off. */
bool mbox_poll(void);

/* Idle: announce the halt (then poll once more before halting). */
void mbox_idle_prepare(void);
void mbox_idle_done(void);

#endif
