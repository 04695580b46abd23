/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data, reached through the GS base: %gs:0 holds the area's own address,
 * so this_cpu() is one load. Each CPU touches only its own area, except for the
 * fields documented as shared (mailboxes, the sleeping flag).
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PCPU_MAX 64

struct thread;
struct trap_frame;

struct pcpu {
	struct pcpu *self; /* this area's address: %gs:0 */
	int id; /* 0..ncpus-1; CPU 0 boots the others */
	uint32_t apic_id; /* local APIC ID, the target of IPIs */
	_Atomic bool online; /* set by the CPU itself once it runs its scheduler */
	struct thread *current; /* the running thread */
	struct thread *prev; /* the thread switched away from, for sched_after_switch */
	uint64_t spurious; /* spurious interrupts seen on this CPU */
	uint64_t unexpected; /* interrupts on vectors nobody registered */
	struct trap_frame *irq_frame; /* the interrupt being handled: what it stopped */
};

extern struct pcpu pcpus[PCPU_MAX];

/* Points GS at pcpus[id]; called first thing on every CPU. */
void pcpu_init(int id);

static inline struct pcpu *this_cpu(void)
{
	struct pcpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline int pcpu_id(void)
{
	return this_cpu()->id;
}

#endif
