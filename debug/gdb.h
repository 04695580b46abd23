/* SPDX-License-Identifier: MIT */
/*
 * The built-in GDB stub (docs/debugging.md). It serves on virtio-console port 1
 * when the host named it org.toro.gdb (`toro run --gdb`), or on COM2 with
 * gdb=uart; without either it does nothing and exceptions are reported as
 * always.
 */
#ifndef DEBUG_GDB_H
#define DEBUG_GDB_H

#include <stdbool.h>

struct trap_frame;

/* Reads gdb= (wait, crash, uart) and finds the transport; after virtio_init. */
void gdb_init(void);
/* With gdb=wait: stops here, before main, until a debugger attaches. */
void gdb_wait(void);

/* #DB, NMI and #BP: true if they were the stub's (the frame is then resumed). */
bool gdb_debug_trap(struct trap_frame *f);
/* A fatal exception (vector < 32) or a panic (f from arch_capture_registers,
 * vector 0 and panic set): with a debugger attached, or gdb=crash, stops in the
 * stub with the signal a process would get, and returns when gdb lets it go
 * (the caller then ends the VM, and gdb hears "terminated"). */
void gdb_fatal(struct trap_frame *f, bool panic);
/* The VM is about to end with this exit code: gdb hears "exited". */
void gdb_exit(int code);
/* Whether a debugger is attached (its last session did not end). */
bool gdb_attached(void);

#endif
