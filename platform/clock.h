/* SPDX-License-Identifier: MIT */
/* The TSC as the kernel's clock: its frequency, and nanoseconds since boot. */
#ifndef PLATFORM_CLOCK_H
#define PLATFORM_CLOCK_H

#include <stdint.h>

/* The TSC frequency, found (and its source printed) on first use. */
uint64_t clock_tsc_hz(void);
uint64_t clock_ticks_to_ns(uint64_t ticks);
uint64_t clock_ns_to_ticks(uint64_t ns);

#endif
