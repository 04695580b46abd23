/* SPDX-License-Identifier: MIT */
#include "kernel/percpu.h"

#include "arch/x86_64/cpu.h"

struct pcpu pcpus[PCPU_MAX] __attribute__((aligned(64)));

void pcpu_init(int id)
{
	struct pcpu *p = &pcpus[id];

	p->self = p;
	p->id = id;
	wrmsr(MSR_GS_BASE, (uintptr_t)p);
}
