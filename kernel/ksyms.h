/* SPDX-License-Identifier: MIT */
/* The image's own function symbols, embedded at link time (scripts/mksyms.sh). */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Finds the function containing `addr`. Returns its name and sets *offset (from
 * the function's start) and *size (0 when unknown); NULL if no function matches.
 */
const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset, size_t *size);

/* The address of a function by name, 0 if there is none. */
uintptr_t ksyms_address(const char *name);

/* Formats "name+0xoff/0xsize" (or "?") into buf. */
void ksyms_format(uintptr_t addr, char *buf, size_t size);

#endif
