/* SPDX-License-Identifier: MIT */
/*
 * A spinlock for the few structures every CPU shares (the page allocator, the page
 * tables). It is held with interrupts off, so an interrupt handler on the same CPU
 * can never spin on a lock its CPU already holds. Hot paths use per-CPU data.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"

struct spinlock {
	atomic_flag held; /* set while a CPU is inside */
};

#define SPINLOCK_INIT            \
	{                        \
		ATOMIC_FLAG_INIT \
	}

/* Returns whether interrupts were on, for spin_unlock. */
static inline bool spin_lock(struct spinlock *l)
{
	bool on = irq_save();

	/* Acquire: what the previous holder wrote is visible inside. */
	while (atomic_flag_test_and_set_explicit(&l->held, memory_order_acquire))
		cpu_relax();
	return on;
}

static inline void spin_unlock(struct spinlock *l, bool irq_on)
{
	/* Release: our writes are visible to the next holder. */
	atomic_flag_clear_explicit(&l->held, memory_order_release);
	irq_restore(irq_on);
}

#endif
