/* SPDX-License-Identifier: MIT */
/*
 * Interrupt vectors and their handlers. Vectors 0..31 are CPU exceptions (trap.c);
 * 32..255 are interrupts: device IRQs through the IOAPIC, the LAPIC timer, IPIs.
 * Handlers run with interrupts disabled on the CPU that took the interrupt.
 */
#ifndef ARCH_X86_64_IRQ_H
#define ARCH_X86_64_IRQ_H

#include <stdbool.h>

#include "arch/x86_64/arch.h"

#define IRQ_VECTOR_FIRST 32 /* first vector free for interrupts */
#define IRQ_VECTOR_DEVICE 48 /* device IRQs start here (GSI n -> 48 + n) */
#define IRQ_VECTOR_TIMER 0xf0 /* LAPIC timer */
#define IRQ_VECTOR_WAKE 0xf1 /* IPI: look at your mailboxes */
#define IRQ_VECTOR_SPURIOUS 0xff /* LAPIC spurious vector (no EOI) */

typedef void (*irq_handler)(struct trap_frame *f, void *arg);

/* Sets the handler of a vector (for every CPU). 0, or -EBUSY if it has one. */
int irq_register(unsigned vector, irq_handler fn, void *arg);

/* Called by trap_dispatch for vectors 32..255. */
void irq_dispatch(struct trap_frame *f);

static inline void irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* Disables interrupts and returns whether they were on, for irq_restore. */
static inline bool irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(flags) : : "memory");
	return flags & (1u << 9);
}

static inline void irq_restore(bool on)
{
	if (on)
		irq_enable();
}

#endif
