/* SPDX-License-Identifier: MIT */
/*
 * Inside the GDB stub: what debug/gdb.c (stopping and resuming the CPUs, the
 * session) and debug/target.c (registers, memory, breakpoints, threads) share.
 * Everything here runs only while every CPU is stopped in the stub.
 */
#ifndef DEBUG_TARGET_H
#define DEBUG_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "lib/gdb_rsp.h"

struct thread;
struct trap_frame;

/* A stopped CPU: its frame (what it was running) and what the frame lacks. */
struct gdb_cpu {
	struct trap_frame *frame; /* NULL while the CPU runs */
	uint64_t fs_base, gs_base;
	uint16_t ds, es, fs, gs;
};

extern struct gdb_cpu gdb_cpus[PCPU_MAX];
extern const struct gdb_target_ops gdb_target_ops;

/* Writes a framed reply towards gdb (the transport). */
void gdb_send(void *ctx, const char *buf, size_t n);

/* Thread ids as gdb sees them: main is 1, toro_thread_create's id k is k + 1,
 * CPU c's idle thread is GDB_TID_IDLE + c. */
#define GDB_TID_IDLE (SCHED_THREADS_MAX + 2)
int gdb_tid_of(struct thread *t);
struct thread *gdb_thread_of(int tid);
/* The frame of tid if it is running on a stopped CPU, else NULL. */
struct trap_frame *gdb_frame_of(int tid);

/* An int3 of ours at addr. */
bool gdb_sw_point_at(uintptr_t addr);
/* Which hardware point DR6 names: fills st->why and st->addr; false if none. */
bool gdb_hw_hit(uint64_t dr6, struct gdb_stop *st);
/* Loads the calling CPU's debug registers from the table. */
void gdb_points_load(void);
/* Takes every breakpoint and watchpoint out (the debugger left). */
void gdb_points_clear(void);

#endif
