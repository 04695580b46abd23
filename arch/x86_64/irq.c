/* SPDX-License-Identifier: MIT */
/*
 * Interrupt dispatch. The table is shared by all CPUs and written only during
 * set-up. An interrupt nobody registered is counted and reported once per vector,
 * never fatal: a device or the VMM may raise what it likes.
 */
#include "arch/x86_64/irq.h"

#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/trace.h"
#include "platform/lapic.h"
#include "toro/errno.h"

struct irq_entry {
	irq_handler fn; /* NULL: unexpected */
	void *arg; /* passed to fn */
	bool reported; /* an unexpected interrupt here was reported already */
};

static struct irq_entry irqs[256];

int irq_register(unsigned vector, irq_handler fn, void *arg)
{
	if (vector < IRQ_VECTOR_FIRST || vector > 255)
		return -EINVAL;
	if (irqs[vector].fn)
		return -EBUSY;
	irqs[vector].arg = arg;
	irqs[vector].fn = fn;
	return 0;
}

void irq_dispatch(struct trap_frame *f)
{
	struct irq_entry *e = &irqs[f->vector & 255];

	/* A spurious interrupt is not in service: it must not be acknowledged. */
	if (f->vector == IRQ_VECTOR_SPURIOUS) {
		this_cpu()->spurious++;
		return;
	}
	uint64_t t0 = trace_call_begin(TRACE_G_IRQ);

	this_cpu()->irq_frame = f;
	if (e->fn) {
		e->fn(f, e->arg);
	} else {
		this_cpu()->unexpected++;
		if (!e->reported) {
			e->reported = true;
			printk("irq: unexpected interrupt on vector %lu (CPU %d), ignored\n",
			       f->vector, pcpu_id());
		}
	}
	if (t0)
		trace_record(TRACE_IRQ, (uint32_t)f->vector, t0, 0);
	lapic_eoi();
}
