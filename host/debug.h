/* SPDX-License-Identifier: MIT */
/*
 * `toro debug IMAGE [options] [-- kernel args]`: the VM of `toro run` with the
 * kernel's GDB stub waiting for gdb (gdb=wait), and gdb started already
 * connected to it.
 */
#ifndef HOST_DEBUG_H
#define HOST_DEBUG_H

#include "lib/runopts.h"

#define DEBUG_GDB "gdb" /* the debugger, unless TORO_GDB names another */

/*
 * Runs the VM and gdb (o parsed with o->debug set, its daemons started) until
 * gdb exits; stops the VM then if it still runs, and removes the stub's socket.
 * Returns gdb's exit status (128 + signal if one killed it), or the code of
 * `toro run` when gdb did not get to run (127 if it could not be started).
 */
int debug_run(struct run_opts *o);

#endif
