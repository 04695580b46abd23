/* SPDX-License-Identifier: MIT */
/*
 * Trace records, as pure logic: the kernel's trace points (kernel/trace.c) fill
 * per-CPU rings of struct trace_rec and dump them as text lines; `toro trace`
 * (host/trace.c) reads those lines back, and the lines QEMU's `log` trace
 * backend writes, and merges both.
 *
 * The guest's dump, one record per line (all numbers decimal):
 *   toro-trace 1 cpus=N tsc_khz=K      once, first
 *   sync TSC                           the TSC just before this very write
 *   thread TID CPU NAME                a thread's name (NAME to the line's end)
 *   ev CPU TSC TYPE A B C              one record (TYPE by name, see below)
 *   end RECORDS LOST                   a dump's last line
 * Each `sync` line begins a write of its own to the trace port, so the
 * virtio_console_flush_buf event QEMU logs for that write gives the wall time
 * of that TSC: that is how the two logs get one time base.
 *
 * Everything parsed here is untrusted (the guest and QEMU's log are the
 * guest's to shape): a line that does not parse is reported, never trusted.
 */
#ifndef LIB_TRACE_H
#define LIB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_VERSION 1
#define TRACE_NAME_MAX 31 /* bytes of a thread name in a dump */

/* Record types; the comment says what A, B and C hold. */
enum trace_type {
	TRACE_SWITCH, /* A: the thread switched from, B: the one switched to */
	TRACE_SLEEP, /* A: the thread that blocks, B: its deadline TSC (0: none) */
	TRACE_WAKE, /* A: the thread woken, B: its CPU */
	TRACE_IRQ, /* A: vector, B: the TSC it began at (recorded at its end) */
	TRACE_IPI, /* A: the CPU sent to, B: vector */
	TRACE_MBOX_SEND, /* A: the CPU sent to, B: message type or length */
	TRACE_MBOX_RECV, /* A: messages taken from this CPU's mailboxes */
	TRACE_KICK, /* A: queue, B: the device's MMIO base */
	TRACE_VQ_IRQ, /* A: interrupt status, B: the device's MMIO base */
	TRACE_CALL, /* A: enum trace_call, B: the TSC it began at, C: result */
	TRACE_NTYPES
};

/* What TRACE_CALL records: the socket and file calls of <toro/toro.h>. */
enum trace_call {
	TRACE_CALL_LISTEN,
	TRACE_CALL_ACCEPT,
	TRACE_CALL_CONNECT,
	TRACE_CALL_SEND,
	TRACE_CALL_RECV,
	TRACE_CALL_SHUTDOWN,
	TRACE_CALL_POLL,
	TRACE_CALL_CLOSE, /* sockets and files: in both groups */
	TRACE_CALL_OPEN,
	TRACE_CALL_READ,
	TRACE_CALL_WRITE,
	TRACE_CALL_PREAD,
	TRACE_CALL_PWRITE,
	TRACE_CALL_STAT,
	TRACE_NCALLS
};

/* Groups, as the kernel parameter trace=GROUP,GROUP... names them. */
#define TRACE_G_SCHED (1u << 0) /* switches, sleeps, wakes */
#define TRACE_G_IRQ (1u << 1) /* interrupts */
#define TRACE_G_IPI (1u << 2) /* IPIs sent */
#define TRACE_G_MBOX (1u << 3) /* mailbox messages */
#define TRACE_G_VIRTQ (1u << 4) /* virtqueue kicks and device interrupts */
#define TRACE_G_SOCK (1u << 5) /* socket calls */
#define TRACE_G_FILE (1u << 6) /* file calls */
#define TRACE_G_ALL 0x7fu

struct trace_rec {
	uint64_t tsc; /* when (for IRQ and CALL: when it ended) */
	uint64_t b, c; /* see enum trace_type */
	uint32_t a;
	uint16_t type; /* enum trace_type */
	uint16_t cpu;
};

/* The groups a record belongs to (TRACE_CALL: by its call). */
unsigned trace_group_of(unsigned type, uint32_t a);
const char *trace_type_name(unsigned type); /* NULL if out of range */
const char *trace_call_name(uint32_t call); /* NULL if out of range */

/*
 * trace=WORDS: groups separated by ',' (sched irq ipi mbox virtq sock file,
 * or all). Returns the mask, or -1 for an unknown word (*bad: where it starts).
 */
int trace_parse_groups(const char *s, const char **bad);

/* One record as an `ev` line with its newline; the length, or 0 if it does not
 * fit in size bytes (64 always do). */
size_t trace_format_rec(char *buf, size_t size, const struct trace_rec *r);

/* A parsed line of the guest's dump. */
enum trace_line_kind {
	TRACE_LINE_HEADER,
	TRACE_LINE_SYNC,
	TRACE_LINE_THREAD,
	TRACE_LINE_EV,
	TRACE_LINE_END,
};

struct trace_line {
	enum trace_line_kind kind;
	struct trace_rec rec; /* EV */
	uint64_t tsc; /* SYNC */
	uint32_t cpus, tsc_khz; /* HEADER */
	uint32_t tid, cpu; /* THREAD */
	char name[TRACE_NAME_MAX + 1]; /* THREAD: printable ASCII only */
	uint64_t records, lost; /* END */
};

/* Parses one line (without its newline, len bytes); 0, or -1 with *why. */
int trace_parse_line(const char *s, size_t len, struct trace_line *out, const char **why);

/* A line of QEMU's log trace backend with -msg timestamp=on:
 *   TID@SECONDS.MICROSECONDS:EVENT ARGS */
struct trace_qemu_line {
	uint32_t tid; /* QEMU's thread */
	uint64_t us; /* wall time, microseconds since the epoch */
	const char *event; /* into the line; event_len bytes */
	size_t event_len;
	const char *args; /* into the line, after the blank; args_len bytes */
	size_t args_len;
};

/* Parses one line (len bytes, no newline); 0, or -1 if it is no trace line
 * (QEMU writes its other messages to the same log). */
int trace_parse_qemu(const char *s, size_t len, struct trace_qemu_line *out);

/*
 * The number after `key ` or `key=` in args (QEMU's formats: "vdev 0x55d0..",
 * "port 2, in_len 32, out_len 32"), decimal or 0x hex; 0 if found.
 */
int trace_qemu_arg(const struct trace_qemu_line *q, const char *key, uint64_t *val);

#endif
