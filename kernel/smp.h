/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

/* Finds the CPUs and starts every one of them; toro_ncpus() then counts them. */
void smp_init(void);
/* Where the CPU list came from: "ACPI MADT", "MP table" or "none". */
const char *smp_cpu_source(void);

#endif
