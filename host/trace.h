/* SPDX-License-Identifier: MIT */
/* `toro trace`: the summary and Chrome trace JSON of a `toro run --trace` run. */
#ifndef HOST_TRACE_H
#define HOST_TRACE_H

#define TRACE_USAGE                                                                     \
	"usage: toro trace FILE [--json OUT]\n"                                         \
	"Read what 'toro run --trace EVENTS --trace-file FILE' wrote: QEMU's events\n"  \
	"(FILE) and the kernel's trace dump (FILE.guest, if there is one). Print a\n"   \
	"summary (events by name, each virtio device's kicks and interrupts with the\n" \
	"time from a kick to the next interrupt, each CPU's records, the socket and\n"  \
	"file calls) and write Chrome trace JSON to OUT (default FILE.json), with\n"    \
	"guest and QEMU events on one time line, for ui.perfetto.dev.\n"

/* argv starts after `trace`; returns the exit status. */
int trace_main(int argc, char *const argv[]);

#endif
