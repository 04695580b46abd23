/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the GDB stub on arbitrary bytes from "gdb", against a fake target
 * (a page of memory with a hole, up to seven threads whose names hold bytes
 * that need escaping, breakpoints that succeed, are refused or unsupported).
 *
 * The input is fed twice: byte by byte through gdb_rsp_input(), as the serial
 * line delivers it, and then every "$...#" stretch of it straight to
 * gdb_rsp_command(), so that mutations of a command are not all lost to a
 * checksum that no longer matches.
 *
 * Invariants checked, beyond "no crash, no read or write out of bounds":
 * - everything sent is a lone '+'/'-' ack, or one framed packet "$...#xx"
 *   with the right checksum, no raw '$', '#' or '*' inside, no dangling '}',
 *   at most GDB_PACKET_MAX payload bytes once unescaped, and equal to s->out;
 * - no ack goes out for a byte received while no-ack mode was on;
 * - s->len never exceeds GDB_PACKET_MAX, s->out_len never exceeds out[];
 * - a resume is well-formed (a known kind, a thread > 0, one that exists for
 *   a step) and is never accompanied by a reply, except D and vKill's "OK";
 * - the ops get sane arguments: memory ranges that do not wrap and fit the
 *   scratch buffers, register sets without bits past GDB_REGS, Z types 0-4.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/gdb_rsp.h"
#include "toro/errno.h"

#define FZ_ASSERT(e)             \
	do {                     \
		if (!(e))        \
			abort(); \
	} while (0)

#define FZ_BASE 0x1000u
#define FZ_SIZE 0x1000u
#define FZ_HOLE 0x1800u /* [FZ_HOLE, FZ_HOLE + 0x100) is unmapped */

static struct fz {
	struct gdb_rsp s;
	uint8_t mem[FZ_SIZE];
	int nthreads;
	char names[8][32];
	bool no_ack_before; /* no-ack mode was on when the current byte came */
	int replies; /* framed packets sent for the current byte or command */
} Z;

static void fz_send(void *ctx, const char *buf, size_t n)
{
	struct fz *z = ctx;
	size_t i, payload = 0;
	unsigned sum = 0, want;

	FZ_ASSERT(n >= 1);
	if (n == 1 && (buf[0] == '+' || buf[0] == '-')) {
		FZ_ASSERT(!z->no_ack_before);
		return;
	}
	z->replies++;
	FZ_ASSERT(buf == z->s.out && n == z->s.out_len);
	FZ_ASSERT(n >= 4 && buf[0] == '$' && buf[n - 3] == '#');
	for (i = 1; i < n - 3; i++) {
		FZ_ASSERT(buf[i] != '$' && buf[i] != '#' && buf[i] != '*');
		sum += (uint8_t)buf[i];
		if (buf[i] == '}') {
			FZ_ASSERT(i + 1 < n - 3); /* the escaped byte is inside */
			i++;
			sum += (uint8_t)buf[i];
		}
		payload++;
	}
	FZ_ASSERT(payload <= GDB_PACKET_MAX);
	want = 0;
	for (i = n - 2; i < n; i++) {
		char c = buf[i];

		FZ_ASSERT((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
		want = want * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	FZ_ASSERT(want == (sum & 0xff));
}

static bool fz_thread(const struct fz *z, int tid)
{
	return tid >= 1 && tid <= z->nthreads;
}

static int fz_get_regs(void *ctx, int tid, struct gdb_regs *r)
{
	struct fz *z = ctx;

	if (!fz_thread(z, tid))
		return -ESRCH;
	memset(r, tid, sizeof(*r));
	r->avail = ((1ull << GDB_REGS) - 1) & ~(0x5ull << (tid * 7));
	return 0;
}

static int fz_set_regs(void *ctx, int tid, const struct gdb_regs *r)
{
	struct fz *z = ctx;

	FZ_ASSERT(!(r->avail >> GDB_REGS));
	if (!fz_thread(z, tid))
		return -ESRCH;
	return r->gpr[0] == 0x4141414141414141ull ? -EPERM : 0;
}

/* The fake's memory: whether [addr, addr + 1) is mapped. */
static bool fz_mapped(uint64_t a)
{
	return a >= FZ_BASE && a < FZ_BASE + FZ_SIZE &&
	       !(a >= FZ_HOLE && a < FZ_HOLE + 0x100);
}

static size_t fz_read_mem(void *ctx, uint64_t addr, void *buf, size_t n)
{
	struct fz *z = ctx;
	size_t i;

	FZ_ASSERT(n > 0 && n <= sizeof(z->s.data) && buf == z->s.data);
	FZ_ASSERT(addr + (n - 1) >= addr);
	for (i = 0; i < n && fz_mapped(addr + i); i++)
		((uint8_t *)buf)[i] = z->mem[addr + i - FZ_BASE];
	return i;
}

static int fz_write_mem(void *ctx, uint64_t addr, const void *buf, size_t n)
{
	struct fz *z = ctx;

	FZ_ASSERT(n > 0 && n <= GDB_PACKET_MAX && addr + (n - 1) >= addr);
	for (size_t i = 0; i < n; i++)
		if (!fz_mapped(addr + i))
			return -EFAULT;
	memcpy(z->mem + (addr - FZ_BASE), buf, n);
	return 0;
}

static int fz_point(void *ctx, enum gdb_point type, uint64_t addr, unsigned kind,
		    bool insert)
{
	(void)ctx;
	(void)kind;
	(void)insert;
	FZ_ASSERT(type >= GDB_POINT_SW && type <= GDB_POINT_ACCESS);
	return (addr & 3) == 1 ? -EOPNOTSUPP : (addr & 3) == 2 ? -EBUSY : 0;
}

static int fz_thread_next(void *ctx, int after)
{
	struct fz *z = ctx;

	FZ_ASSERT(after >= 0);
	return after < z->nthreads ? after + 1 : 0;
}

static int fz_thread_info(void *ctx, int tid, struct gdb_thread *t)
{
	struct fz *z = ctx;

	if (!fz_thread(z, tid))
		return -ESRCH;
	t->cpu = tid - 1;
	memcpy(t->name, z->names[tid], sizeof(t->name)); /* no NUL, maybe */
	memcpy(t->state, tid & 1 ? "running" : "blocked", 8);
	return 0;
}

static const struct gdb_target_ops fz_ops = {
	.send = fz_send,
	.get_regs = fz_get_regs,
	.set_regs = fz_set_regs,
	.read_mem = fz_read_mem,
	.write_mem = fz_write_mem,
	.point = fz_point,
	.thread_next = fz_thread_next,
	.thread_info = fz_thread_info,
};

/* Checks a resume and answers it with a stop, as the target would. */
static void fz_resumed(const struct gdb_resume *r, uint8_t seed)
{
	struct gdb_stop st = { .signal = seed, .tid = 1 + seed % Z.nthreads };

	FZ_ASSERT(r->how == GDB_RESUME_CONTINUE || r->how == GDB_RESUME_STEP ||
		  r->how == GDB_RESUME_DETACH || r->how == GDB_RESUME_KILL);
	FZ_ASSERT(r->how != GDB_RESUME_STEP || fz_thread(&Z, r->tid));
	FZ_ASSERT(r->how > GDB_RESUME_STEP || r->tid > 0);
	/* D and vKill say OK first, k says nothing; the others leave the reply to
	 * the stop */
	if (r->how == GDB_RESUME_DETACH)
		FZ_ASSERT(Z.replies == 1);
	else
		FZ_ASSERT(Z.replies <= (r->how == GDB_RESUME_KILL));
	st.why = seed % 7;
	st.addr = (uint64_t)seed << 40;
	Z.replies = 0;
	gdb_rsp_stopped(&Z.s, &st);
	FZ_ASSERT(Z.replies == 1);
}

static void fz_setup(const uint8_t *data, size_t size)
{
	memset(Z.mem, 0xcc, sizeof(Z.mem));
	Z.nthreads = size ? 1 + data[0] % 7 : 3;
	/* odd threads: every byte that needs an escape; even ones: the input's */
	for (int t = 0; t < 8; t++)
		for (size_t i = 0; i < sizeof(Z.names[t]); i++)
			Z.names[t][i] = t & 1 ? "n*}#$<&>'\"\x01"[i % 11] :
						(char)(size > i ? data[i] : 'a' + t);
	gdb_rsp_init(&Z.s, &fz_ops, &Z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gdb_resume r;
	enum gdb_rsp_event ev;

	/* 1. The stream, byte by byte. */
	fz_setup(data, size);
	for (size_t i = 0; i < size; i++) {
		Z.no_ack_before = Z.s.no_ack;
		Z.replies = 0;
		ev = gdb_rsp_input(&Z.s, data[i], &r);
		FZ_ASSERT(Z.s.len <= GDB_PACKET_MAX && Z.s.out_len <= sizeof(Z.s.out));
		FZ_ASSERT(Z.replies <= 1);
		if (ev == GDB_RSP_INTERRUPT)
			FZ_ASSERT(data[i] == 0x03 && Z.replies == 0);
		else if (ev == GDB_RSP_REPLIED)
			FZ_ASSERT(Z.replies == 1);
		else if (ev == GDB_RSP_RESUME)
			fz_resumed(&r, data[i]);
	}

	/* 2. Each "$...#" stretch as a command, checksum or not. */
	fz_setup(data, size);
	for (size_t i = 0; i < size; i++) {
		const uint8_t *end;
		size_t n;

		if (data[i] != '$')
			continue;
		end = memchr(data + i + 1, '#', size - i - 1);
		n = (end ? (size_t)(end - data) : size) - i - 1;
		if (n > GDB_PACKET_MAX)
			n = GDB_PACKET_MAX;
		Z.no_ack_before = true; /* no acks from gdb_rsp_command */
		Z.replies = 0;
		ev = gdb_rsp_command(&Z.s, (const char *)data + i + 1, n, &r);
		FZ_ASSERT(ev == GDB_RSP_REPLIED || ev == GDB_RSP_RESUME);
		FZ_ASSERT(Z.s.len <= GDB_PACKET_MAX);
		if (ev == GDB_RSP_REPLIED)
			FZ_ASSERT(Z.replies == 1);
		else
			fz_resumed(&r, data[i + 1 < size ? i + 1 : i]);
	}
	return 0;
}
