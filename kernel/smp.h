/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stddef.h>
#include <stdint.h>

struct acpi_tables;

/* Finds the CPUs and starts every one of them; toro_ncpus() then counts them. */
void smp_init(void);
/* Where the CPU list came from: "ACPI MADT", "MP table" or "none". */
const char *smp_cpu_source(void);
/* The ACPI tables found at boot, or NULL without ACPI. */
const struct acpi_tables *smp_acpi_tables(void);
/* Copies physical memory (firmware tables), mapping it read-only if needed. */
int smp_phys_read(uint64_t pa, void *buf, size_t len);

#endif
