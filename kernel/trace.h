/* SPDX-License-Identifier: MIT */
/*
 * Guest trace points: a per-CPU ring of lib/trace.h records, off unless the
 * kernel parameter trace=GROUPS turns groups on (trace=all: every one). Off, a
 * trace point costs a load and a branch not taken. The rings are dumped as
 * text to the virtio-console port named org.toro.trace (`toro run --trace`
 * adds it) when the application exits, and whenever it calls
 * toro_trace_dump(); `toro trace` merges the dump with QEMU's own events.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "lib/trace.h"

extern unsigned trace_mask; /* groups on (TRACE_G_*); 0: tracing is off */

/* Reads trace= and sets up CPU 0's ring (after the heap, before devices). */
void trace_init(void);
/* The other CPUs' rings, once they are known (after smp_init). */
void trace_init_cpus(void);
/* Writes the dump's header and first sync once the trace port exists. */
void trace_start(void);
/* Dumps every ring to the trace port (at exit, or on request). */
void trace_dump(void);

void trace_record(unsigned type, uint32_t a, uint64_t b, uint64_t c);

static inline void trace(unsigned group, unsigned type, uint32_t a, uint64_t b,
			 uint64_t c)
{
	if (__builtin_expect(trace_mask & group, 0))
		trace_record(type, a, b, c);
}

/* A socket or file call: begin gives its start (0 when its group is off), end
 * records it with its result and passes the result on. */
static inline uint64_t trace_call_begin(unsigned group)
{
	return __builtin_expect(trace_mask & group, 0) ? rdtsc() : 0;
}

static inline long trace_call_end(unsigned call, uint64_t t0, long result)
{
	if (__builtin_expect(t0 != 0, 0))
		trace_record(TRACE_CALL, call, t0, (uint64_t)result);
	return result;
}

#endif
