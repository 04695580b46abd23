/* SPDX-License-Identifier: MIT */
/* Per-CPU identity. Only CPU 0 runs for now; SMP bring-up will read it from GS. */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

static inline int pcpu_id(void)
{
	return 0;
}

#endif
