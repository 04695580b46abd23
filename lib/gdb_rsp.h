/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote serial protocol, stub side, as pure logic: framing, acks,
 * escapes, hex, and the command set of an all-stop x86-64 target. No I/O: bytes
 * come in through gdb_rsp_input(), replies leave through ops->send, and the
 * target (registers, memory, threads, breakpoints) is reached only through
 * struct gdb_target_ops. debug/gdb.c is the kernel's target; the host tests and
 * the fuzzer drive the same code with a fake one.
 *
 * Everything gdb sends is untrusted: a bad checksum is answered '-', a packet
 * longer than GDB_PACKET_MAX is dropped and answered '-', a malformed command
 * gets "E01" (or "E02" when the target refused), an unknown one the empty reply
 * the protocol asks for. Nothing gdb says makes the stub read or write outside
 * its own buffers; addresses and lengths go to the target ops, which check them.
 */
#ifndef LIB_GDB_RSP_H
#define LIB_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Payload bytes of one packet, either way (announced as PacketSize, in hex). */
#define GDB_PACKET_MAX 4096

/*
 * The register file of target.xml (gdb's amd64 numbering, features
 * org.gnu.gdb.i386.core, .sse and .segments): what 'g' carries, in this order.
 */
enum gdb_regno {
	GDB_REG_RAX,
	GDB_REG_RBX,
	GDB_REG_RCX,
	GDB_REG_RDX,
	GDB_REG_RSI,
	GDB_REG_RDI,
	GDB_REG_RBP,
	GDB_REG_RSP,
	GDB_REG_R8,
	GDB_REG_R9,
	GDB_REG_R10,
	GDB_REG_R11,
	GDB_REG_R12,
	GDB_REG_R13,
	GDB_REG_R14,
	GDB_REG_R15,
	GDB_REG_RIP, /* 16, 8 bytes */
	GDB_REG_EFLAGS, /* 17, 4 bytes, as are the six segments */
	GDB_REG_CS,
	GDB_REG_SS,
	GDB_REG_DS,
	GDB_REG_ES,
	GDB_REG_FS,
	GDB_REG_GS,
	GDB_REG_ST0 = 24, /* st0..st7: 10 bytes each */
	GDB_REG_FCTRL = 32, /* fctrl fstat ftag fiseg fioff foseg fooff fop: 4 each */
	GDB_REG_XMM0 = 40, /* xmm0..xmm15: 16 bytes each */
	GDB_REG_MXCSR = 56, /* 4 bytes */
	GDB_REG_FS_BASE = 57, /* 8 bytes */
	GDB_REG_GS_BASE = 58, /* 8 bytes */
	GDB_REGS /* 59 registers */
};

/* The values of one thread's registers; `avail` bit n: register n is known
 * (others are sent as "xx..", which gdb shows as <unavailable>). */
struct gdb_regs {
	uint64_t gpr[16]; /* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	uint64_t rip;
	uint32_t eflags;
	uint32_t seg[6]; /* cs ss ds es fs gs */
	uint8_t st[8][10]; /* x87 registers */
	uint32_t fpu[8]; /* fctrl fstat ftag fiseg fioff foseg fooff fop */
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint64_t fs_base, gs_base;
	uint64_t avail; /* bit n: register n (enum gdb_regno) is known */
};

/* Z/z types (the protocol's numbers). */
enum gdb_point {
	GDB_POINT_SW = 0, /* software breakpoint (int3) */
	GDB_POINT_HW = 1, /* hardware breakpoint */
	GDB_POINT_WRITE = 2, /* write watchpoint */
	GDB_POINT_READ = 3, /* read watchpoint */
	GDB_POINT_ACCESS = 4, /* access watchpoint */
};

/* Why the target stopped, for the stop reply ("T05thread:3;swbreak:;"). */
struct gdb_stop {
	int signal; /* GDB signal number: 5 SIGTRAP, 2 SIGINT, 11 SIGSEGV, ... */
	int tid; /* the thread that stopped (> 0) */
	enum {
		GDB_STOP_SIGNAL, /* just the signal */
		GDB_STOP_SWBREAK, /* a software breakpoint; pc already at it */
		GDB_STOP_HWBREAK, /* a hardware breakpoint */
		GDB_STOP_WATCH, /* a watchpoint hit at `addr` */
		GDB_STOP_RWATCH,
		GDB_STOP_AWATCH,
		GDB_STOP_EXITED, /* the program ended: "W<code>", `signal` is the code */
	} why;
	uint64_t addr; /* the watched address, for the WATCH kinds */
};

/* One thread, as `info threads` shows it. */
struct gdb_thread {
	int cpu; /* the CPU it is pinned to ("core" in qXfer:threads) */
	char name[32]; /* its name ("main", "idle", the entry function) */
	char state[32]; /* "running", "runnable", "blocked", ... */
};

/* What the target does once a command asks it to run again. */
struct gdb_resume {
	enum {
		GDB_RESUME_CONTINUE, /* every CPU runs on */
		GDB_RESUME_STEP, /* thread `tid` runs one instruction, the rest stay */
		GDB_RESUME_DETACH, /* breakpoints gone, the debugger leaves; run on */
		GDB_RESUME_KILL, /* end the VM */
	} how;
	int tid; /* for STEP: the thread to step */
	bool set_pc; /* "c ADDR" / "s ADDR": resume at `pc` */
	uint64_t pc;
};

/*
 * The target. Every op gets the ctx given to gdb_rsp_init. Thread ids are > 0.
 * Return conventions: 0 or a negative errno unless said otherwise.
 */
struct gdb_target_ops {
	/* Writes n bytes towards gdb (a whole reply, already framed). */
	void (*send)(void *ctx, const char *buf, size_t n);
	/* Registers of thread tid; -ESRCH if there is no such thread. */
	int (*get_regs)(void *ctx, int tid, struct gdb_regs *r);
	/* Stores the registers whose avail bit is set; -EPERM where it cannot. */
	int (*set_regs)(void *ctx, int tid, const struct gdb_regs *r);
	/* Copies up to n bytes at addr: how many could be read (stops at the first
	 * unmapped byte), 0 if none. */
	size_t (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t n);
	/* Writes all n bytes at addr, or nothing and -EFAULT. */
	int (*write_mem)(void *ctx, uint64_t addr, const void *buf, size_t n);
	/* Inserts (insert) or removes a point of type at addr with gdb's kind (the
	 * length for watchpoints). 0, -EOPNOTSUPP (answered with the empty reply:
	 * gdb then knows the type is unsupported), or another -errno (E02). */
	int (*point)(void *ctx, enum gdb_point type, uint64_t addr, unsigned kind,
		     bool insert);
	/* The thread after `after` in a fixed order (after = 0: the first), 0 at
	 * the end. Threads do not change while the target is stopped. */
	int (*thread_next)(void *ctx, int after);
	/* -ESRCH if tid is not a thread. */
	int (*thread_info)(void *ctx, int tid, struct gdb_thread *t);
};

struct gdb_rsp {
	const struct gdb_target_ops *ops;
	void *ctx;
	/* Receiving. */
	int state; /* where in "$payload#xx" the next byte falls */
	size_t len; /* payload bytes in in[] */
	bool overflow; /* the packet is longer than GDB_PACKET_MAX: it is dropped */
	bool escape; /* the last payload byte was '}' */
	uint8_t sum; /* running checksum of the payload as sent */
	uint8_t check; /* checksum digits seen so far */
	char in[GDB_PACKET_MAX + 1]; /* the payload, escapes undone, NUL-terminated */
	/* Session. */
	bool no_ack; /* QStartNoAckMode was accepted */
	int g_tid; /* thread for g/G/p/P/m (Hg), 0 = the stopped one */
	int c_tid; /* thread for c/s (Hc), 0 or -1 = any */
	int list_after; /* qsThreadInfo: the last thread listed */
	struct gdb_stop stop; /* the last stop, for '?' */
	/* Sending. */
	char out[2 * GDB_PACKET_MAX + 8]; /* the last framed reply, for a '-' */
	size_t out_len;
	/* Scratch, here rather than on the stack (the kernel stub runs on 16 KiB). */
	char reply[GDB_PACKET_MAX]; /* the reply being built, before framing */
	uint8_t data[GDB_PACKET_MAX / 2]; /* memory read for 'm', decoded for 'M' */
	struct gdb_regs regs; /* registers for g/G/p/P */
};

/* Starts a session: ack mode, no threads selected, stop = SIGTRAP in thread 1. */
void gdb_rsp_init(struct gdb_rsp *s, const struct gdb_target_ops *ops, void *ctx);

/* What gdb_rsp_input makes of one byte. */
enum gdb_rsp_event {
	GDB_RSP_NONE, /* nothing yet (inside a packet, an ack, noise) */
	GDB_RSP_INTERRUPT, /* 0x03 outside a packet: gdb wants the target stopped */
	GDB_RSP_REPLIED, /* a packet was handled and answered; stay stopped */
	GDB_RSP_RESUME, /* a packet asks the target to run: see *r; no reply sent
			 * yet (the stop reply comes later through gdb_rsp_stopped) */
};

/*
 * Feeds one received byte. Acks ('+') are sent for good packets unless no_ack;
 * '-' for bad ones; a '-' from gdb resends the last reply. While the target is
 * running only INTERRUPT matters to the caller; a whole packet received then is
 * handled too (gdb sends nothing but 0x03 while it waits, so the caller treats
 * any event other than NONE as a reason to stop).
 */
enum gdb_rsp_event gdb_rsp_input(struct gdb_rsp *s, uint8_t byte, struct gdb_resume *r);

/* Reports a stop to gdb (the reply to the c/s/vCont that resumed, or to a
 * Ctrl-C) and remembers it for '?'. */
void gdb_rsp_stopped(struct gdb_rsp *s, const struct gdb_stop *stop);

/*
 * Handles one payload as if it had been received (no acks involved): exposed for
 * the tests and the fuzzer. Returns GDB_RSP_REPLIED or GDB_RSP_RESUME.
 */
enum gdb_rsp_event gdb_rsp_command(struct gdb_rsp *s, const char *payload, size_t len,
				   struct gdb_resume *r);

/* Sends payload[0..n) framed ("$...#xx", with '}' escapes for '$', '#', '}', '*'). */
void gdb_rsp_send(struct gdb_rsp *s, const char *payload, size_t n);

/* The target description served as qXfer:features:read:target.xml. */
extern const char gdb_target_xml[];

#endif
