/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/gdb_rsp.c. The stub is driven byte by byte through
 * gdb_rsp_input(), the way the kernel's serial loop drives it, against a fake
 * target: memory at [0x1000, 0x4000) with an unmapped hole at [0x2000, 0x2100),
 * three threads (one with a name that needs XML and framing escapes), a
 * register file with st0-st7 and fs_base unavailable, and recorders for
 * set_regs, write_mem and point. Everything the stub sends lands in one
 * buffer, and the tests compare those exact bytes, acks and checksums
 * included; ask() checks the framing and checksum of every reply it unwraps.
 */
#include "tests/host/check.h"

#include <stdlib.h>

#include "lib/gdb_rsp.h"
#include "toro/errno.h"

#define MEM_BASE 0x1000u
#define MEM_SIZE 0x3000u
#define HOLE_BASE 0x2000u
#define HOLE_END 0x2100u

/* The registers the fake does not know: st0-st7 and fs_base. */
#define UNAVAIL ((0xffull << GDB_REG_ST0) | (1ull << GDB_REG_FS_BASE))
#define ALL_REGS ((1ull << GDB_REGS) - 1)

static struct fake {
	struct gdb_rsp s;
	char sent[8 * GDB_PACKET_MAX]; /* every byte the stub sent */
	size_t nsent;
	uint8_t mem[MEM_SIZE];
	int nthreads; /* threads 1..nthreads; past 3 their info is generated */
	struct gdb_thread th[4];
	struct gdb_regs regs[4];
	int set_calls, set_tid, set_ret; /* set_regs */
	struct gdb_regs set;
	int write_calls; /* write_mem */
	int point_calls, point_ret; /* point */
	enum gdb_point point_type;
	uint64_t point_addr;
	unsigned point_kind;
	bool point_insert;
	struct gdb_resume r; /* the last resume */
} F;

static void f_send(void *ctx, const char *buf, size_t n)
{
	struct fake *f = ctx;

	if (n > sizeof(f->sent) - f->nsent - 1) {
		check_fail(__FILE__, __LINE__, "sent buffer full");
		return;
	}
	memcpy(f->sent + f->nsent, buf, n);
	f->nsent += n;
	f->sent[f->nsent] = '\0';
}

static bool f_thread(struct fake *f, int tid)
{
	return tid >= 1 && tid <= f->nthreads;
}

static int f_get_regs(void *ctx, int tid, struct gdb_regs *r)
{
	struct fake *f = ctx;

	if (!f_thread(f, tid))
		return -ESRCH;
	*r = f->regs[tid <= 3 ? tid : 1];
	return 0;
}

static int f_set_regs(void *ctx, int tid, const struct gdb_regs *r)
{
	struct fake *f = ctx;

	f->set_calls++;
	if (!f_thread(f, tid))
		return -ESRCH;
	f->set_tid = tid;
	f->set = *r;
	return f->set_ret;
}

static bool f_mapped(uint64_t a)
{
	return a >= MEM_BASE && a < MEM_BASE + MEM_SIZE &&
	       !(a >= HOLE_BASE && a < HOLE_END);
}

static size_t f_read_mem(void *ctx, uint64_t addr, void *buf, size_t n)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < n && addr + i >= addr && f_mapped(addr + i); i++)
		((uint8_t *)buf)[i] = f->mem[addr + i - MEM_BASE];
	return i;
}

static int f_write_mem(void *ctx, uint64_t addr, const void *buf, size_t n)
{
	struct fake *f = ctx;

	f->write_calls++;
	for (size_t i = 0; i < n; i++)
		if (addr + i < addr || !f_mapped(addr + i))
			return -EFAULT;
	memcpy(f->mem + (addr - MEM_BASE), buf, n);
	return 0;
}

static int f_point(void *ctx, enum gdb_point type, uint64_t addr, unsigned kind,
		   bool insert)
{
	struct fake *f = ctx;

	f->point_calls++;
	f->point_type = type;
	f->point_addr = addr;
	f->point_kind = kind;
	f->point_insert = insert;
	return f->point_ret;
}

static int f_thread_next(void *ctx, int after)
{
	struct fake *f = ctx;

	return after < f->nthreads ? after + 1 : 0;
}

static int f_thread_info(void *ctx, int tid, struct gdb_thread *t)
{
	struct fake *f = ctx;

	if (!f_thread(f, tid))
		return -ESRCH;
	if (tid <= 3) {
		*t = f->th[tid];
		return 0;
	}
	memset(t, 0, sizeof(*t));
	t->cpu = tid % 4;
	snprintf(t->name, sizeof(t->name), "worker%d", tid);
	strcpy(t->state, "blocked");
	return 0;
}

static const struct gdb_target_ops f_ops = {
	.send = f_send,
	.get_regs = f_get_regs,
	.set_regs = f_set_regs,
	.read_mem = f_read_mem,
	.write_mem = f_write_mem,
	.point = f_point,
	.thread_next = f_thread_next,
	.thread_info = f_thread_info,
};

static void fill_regs(struct gdb_regs *r, int tid)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 16; i++)
		r->gpr[i] = 0x0123456789abcdefull + (uint64_t)(tid - 1) * 0x1000 +
			    (uint64_t)i;
	r->rip = 0x101000 + (uint64_t)tid;
	r->eflags = 0x246;
	for (int i = 0; i < 6; i++)
		r->seg[i] = 0x10 + 8 * (uint32_t)i;
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 10; k++)
			r->st[i][k] = (uint8_t)(i * 16 + k);
	for (int i = 0; i < 8; i++)
		r->fpu[i] = 0x37f + (uint32_t)i;
	for (int i = 0; i < 16; i++)
		for (int k = 0; k < 16; k++)
			r->xmm[i][k] = (uint8_t)(i << 4 | k);
	r->mxcsr = 0x1f80;
	r->fs_base = 0xdead0000;
	r->gs_base = 0xffff800000000000ull + (uint64_t)tid;
	r->avail = ALL_REGS & ~UNAVAIL;
}

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	for (size_t i = 0; i < MEM_SIZE; i++)
		F.mem[i] = (uint8_t)(i * 3);
	F.nthreads = 3;
	F.th[1] = (struct gdb_thread){ .cpu = 0, .name = "main", .state = "running" };
	F.th[2] = (struct gdb_thread){ .cpu = 1, .name = "idle", .state = "runnable" };
	F.th[3] = (struct gdb_thread){ .cpu = 2,
				       .name = "a<b&\"c'*}#$",
				       .state = "blocked" };
	for (int t = 1; t <= 3; t++)
		fill_regs(&F.regs[t], t);
	gdb_rsp_init(&F.s, &f_ops, &F);
}

/* Feeds n bytes; returns the last event other than NONE (NONE if none). */
static enum gdb_rsp_event feed_n(const char *b, size_t n)
{
	enum gdb_rsp_event ev = GDB_RSP_NONE, e;

	for (size_t i = 0; i < n; i++) {
		e = gdb_rsp_input(&F.s, (uint8_t)b[i], &F.r);
		CHECK(F.s.len <= GDB_PACKET_MAX);
		if (e != GDB_RSP_NONE)
			ev = e;
	}
	return ev;
}

static enum gdb_rsp_event feed(const char *b)
{
	return feed_n(b, strlen(b));
}

/* Sends payload[0..n) as gdb would: framed, with its checksum (no escaping). */
static enum gdb_rsp_event pkt_n(const char *payload, size_t n)
{
	unsigned sum = 0;
	char tail[4];

	for (size_t i = 0; i < n; i++)
		sum += (uint8_t)payload[i];
	snprintf(tail, sizeof(tail), "#%02x", sum & 0xff);
	feed("$");
	feed_n(payload, n);
	return feed(tail);
}

static enum gdb_rsp_event pkt(const char *payload)
{
	return pkt_n(payload, strlen(payload));
}

/* What the stub sent since the last call (and forgets it). */
static const char *sent(void)
{
	static char copy[sizeof(F.sent)];

	memcpy(copy, F.sent, F.nsent + 1);
	F.nsent = 0;
	F.sent[0] = '\0';
	return copy;
}

/*
 * Sends a command and returns the payload of the one reply, escapes undone,
 * after checking that it came as "+$...#xx" with the right checksum (just
 * "$...#xx" in no-ack mode) and that nothing else was sent. *ev: the event.
 */
static const char *ask_ev(const char *cmd, enum gdb_rsp_event *ev)
{
	static char out[GDB_PACKET_MAX + 1];
	bool acks = !F.s.no_ack; /* as it was when the command came */
	const char *b;
	size_t n = 0, i;
	unsigned sum = 0, want;

	sent();
	*ev = pkt(cmd);
	b = sent();
	if (acks && *b++ != '+') {
		check_fail(__FILE__, __LINE__, "%s: no ack in \"%s\"", cmd, b - 1);
		return "<no ack>";
	}
	if (*b++ != '$') {
		check_fail(__FILE__, __LINE__, "%s: no reply", cmd);
		return "<no reply>";
	}
	for (i = 0; b[i] && b[i] != '#'; i++) {
		char c = b[i];

		sum += (uint8_t)c;
		if (c == '$' || c == '*')
			check_fail(__FILE__, __LINE__, "%s: unescaped %c", cmd, c);
		if (c == '}' && b[i + 1]) {
			c = (char)(b[++i] ^ 0x20);
			sum += (uint8_t)b[i];
		}
		if (n == GDB_PACKET_MAX) {
			check_fail(__FILE__, __LINE__, "%s: reply too long", cmd);
			return "<too long>";
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (b[i] != '#' || sscanf(b + i + 1, "%2x", &want) != 1 || want != (sum & 0xff) ||
	    b[i + 3] != '\0')
		check_fail(__FILE__, __LINE__, "%s: bad framing \"%s\"", cmd, b);
	return out;
}

static const char *ask(const char *cmd)
{
	enum gdb_rsp_event ev;
	const char *r = ask_ev(cmd, &ev);

	CHECK_EQ(ev, GDB_RSP_REPLIED);
	return r;
}

/* A resume command: acked, nothing else sent, RESUME returned. */
static bool resume(const char *cmd)
{
	bool acks = !F.s.no_ack;
	enum gdb_rsp_event ev;

	sent();
	ev = pkt(cmd);
	if (ev != GDB_RSP_RESUME || strcmp(sent(), acks ? "+" : "") != 0) {
		check_fail(__FILE__, __LINE__, "%s: not a resume (event %d)", cmd, ev);
		return false;
	}
	return true;
}

/* Little-endian hex of the low n bytes of v, as gdb expects registers. */
static char *le(char *o, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		o += sprintf(o, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
	return o;
}

static char *raw(char *o, const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		o += sprintf(o, "%02x", b[i]);
	return o;
}

static char *xs(char *o, int n)
{
	memset(o, 'x', 2 * (size_t)n);
	o[2 * n] = '\0';
	return o + 2 * n;
}

/* The g reply for r, built from the field values, not from memory layout. */
static void expect_g(char *o, const struct gdb_regs *r)
{
	for (int i = 0; i < 16; i++)
		o = le(o, r->gpr[i], 8);
	o = le(o, r->rip, 8);
	o = le(o, r->eflags, 4);
	for (int i = 0; i < 6; i++)
		o = le(o, r->seg[i], 4);
	for (int i = 0; i < 8; i++)
		o = xs(o, 10);
	for (int i = 0; i < 8; i++)
		o = le(o, r->fpu[i], 4);
	for (int i = 0; i < 16; i++)
		o = raw(o, r->xmm[i], 16);
	o = le(o, r->mxcsr, 4);
	o = xs(o, 8);
	le(o, r->gs_base, 8);
}

/* The ASCII s in hex, as qThreadExtraInfo answers. */
static const char *hexstr(const char *s)
{
	static char o[512];

	raw(o, (const uint8_t *)s, (int)strlen(s));
	return o;
}

/* ---- framing ----------------------------------------------------------------- */

TEST(gdb_rsp_ack_and_reply)
{
	setup();
	CHECK_EQ(feed("$?#3f"), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$T05thread:1;#d7");
	/* gdb's first packet as gdb 13 sends it, checksum and all */
	CHECK_EQ(feed("+$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;"
		      "fork-events+;vfork-events+;exec-events+;vContSupported+;"
		      "QThreadEvents+;no-resumed+;xmlRegisters=i386#6a"),
		 GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$PacketSize=1000;qXfer:features:read+;qXfer:threads:read+;"
			  "swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+#1e");
}

TEST(gdb_rsp_checksum_either_case)
{
	setup();
	feed("$qAttached#8f");
	CHECK_STR(sent(), "+$1#31");
	feed("$m1000,1#8B");
	CHECK_STR(sent(), "+$00#60");
	feed("$m1000,1#8b");
	CHECK_STR(sent(), "+$00#60");
}

TEST(gdb_rsp_bad_checksum_naks)
{
	setup();
	CHECK_EQ(feed("$?#3e"), GDB_RSP_NONE);
	CHECK_STR(sent(), "-");
	CHECK_EQ(feed("$?#g3"), GDB_RSP_NONE); /* not a hex digit */
	CHECK_STR(sent(), "-");
	CHECK_EQ(feed("$?#3"), GDB_RSP_NONE);
	CHECK_STR(sent(), "");
	CHECK_EQ(feed("z"), GDB_RSP_NONE);
	CHECK_STR(sent(), "-");
	/* the machine is back in IDLE: the next good packet works */
	CHECK_EQ(feed("$?#3f"), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$T05thread:1;#d7");
}

TEST(gdb_rsp_nak_resends_last_reply)
{
	setup();
	CHECK_STR(sent(), "");
	feed("-"); /* nothing sent yet: nothing to resend */
	CHECK_STR(sent(), "");
	feed("$qC#b4");
	CHECK_STR(sent(), "+$QC1#c5");
	CHECK_EQ(feed("-"), GDB_RSP_NONE);
	CHECK_STR(sent(), "$QC1#c5");
	feed("--");
	CHECK_STR(sent(), "$QC1#c5$QC1#c5");
	/* acks and noise between packets are ignored */
	CHECK_EQ(feed("+++\r\nhello"), GDB_RSP_NONE);
	CHECK_STR(sent(), "");
}

TEST(gdb_rsp_interrupt)
{
	setup();
	CHECK_EQ(feed("\x03"), GDB_RSP_INTERRUPT);
	CHECK_STR(sent(), "");
	/* inside a packet 0x03 is data (here X binary data) */
	CHECK_STR(ask("X1000,2:\x03\x03"), "OK");
	CHECK_EQ(F.mem[0], 3);
	CHECK_EQ(F.mem[1], 3);
}

TEST(gdb_rsp_dollar_restarts_packet)
{
	setup();
	CHECK_EQ(feed("$m10$?#3f"), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$T05thread:1;#d7");
	CHECK_EQ(feed("$?#$?#3f"), GDB_RSP_REPLIED); /* even in the checksum */
	CHECK_STR(sent(), "+$T05thread:1;#d7");
}

TEST(gdb_rsp_empty_packet)
{
	setup();
	CHECK_EQ(feed("$#00"), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$#00");
}

TEST(gdb_rsp_overflow)
{
	static char p[GDB_PACKET_MAX + 2];

	setup();
	memset(p, 'a', sizeof(p) - 1);
	/* exactly GDB_PACKET_MAX: taken (and unknown, so the empty reply) */
	CHECK_EQ(pkt_n(p, GDB_PACKET_MAX), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$#00");
	CHECK_EQ(F.s.len, GDB_PACKET_MAX);
	/* one more: refused, not handled */
	CHECK_EQ(pkt_n(p, GDB_PACKET_MAX + 1), GDB_RSP_NONE);
	CHECK_STR(sent(), "-");
	CHECK(F.s.len <= GDB_PACKET_MAX);
	/* far more still ends with one '-' */
	for (int i = 0; i < 5; i++)
		feed_n(p, sizeof(p) - 1);
	feed("$");
	for (int i = 0; i < 5; i++)
		feed_n(p, sizeof(p) - 1);
	feed("#00");
	CHECK_STR(sent(), "-");
	/* the limit is on the payload after unescaping */
	{
		static char e[2 * GDB_PACKET_MAX + 16];
		size_t n = 0;

		/* "X1000,ff6:" and 0xff6 data bytes: 4096 once unescaped */
		n += (size_t)sprintf(e, "X1000,%x:", GDB_PACKET_MAX - 10);
		for (int i = 0; i < GDB_PACKET_MAX - 10; i++) {
			e[n++] = '}';
			e[n++] = 0x5d; /* '}' escaped */
		}
		CHECK_EQ(pkt_n(e, n), GDB_RSP_REPLIED);
		CHECK_STR(sent(), "+$OK#9a");
		CHECK_EQ(F.s.len, GDB_PACKET_MAX);
		CHECK_EQ(F.mem[0], '}');
		CHECK_EQ(F.mem[GDB_PACKET_MAX - 11], '}');
	}
}

TEST(gdb_rsp_escapes_in)
{
	setup();
	/* '#', '$', '}' and '*' as gdb escapes them in X data */
	CHECK_STR(ask("X1000,5:}\x03}\x04}]}\x0a!"), "OK");
	CHECK_EQ(F.mem[0], '#');
	CHECK_EQ(F.mem[1], '$');
	CHECK_EQ(F.mem[2], '}');
	CHECK_EQ(F.mem[3], '*');
	CHECK_EQ(F.mem[4], '!');
	/* a packet ending inside an escape is noise */
	CHECK_EQ(feed("$?}#bc"), GDB_RSP_NONE);
	CHECK_STR(sent(), "-");
}

TEST(gdb_rsp_escapes_out)
{
	setup();
	gdb_rsp_send(&F.s, "a$b#c}d*e", 9);
	CHECK_STR(sent(), "$a}\x04"
			  "b}\x03"
			  "c}]d}\x0a"
			  "e#51");
	CHECK_EQ(F.s.out_len, 17);
	gdb_rsp_send(&F.s, "", 0);
	CHECK_STR(sent(), "$#00");
	CHECK_EQ(F.s.out_len, 4);
	/* a payload past the limit is cut to it, escapes and all */
	{
		static char big[GDB_PACKET_MAX + 100];

		memset(big, '*', sizeof(big));
		gdb_rsp_send(&F.s, big, sizeof(big));
		CHECK_EQ(F.nsent, 2 * GDB_PACKET_MAX + 4);
		CHECK_EQ(F.s.out_len, 2 * GDB_PACKET_MAX + 4);
		CHECK_EQ(memcmp(sent() + 2 * GDB_PACKET_MAX - 1, "}\x0a#00", 6), 0);
	}
}

TEST(gdb_rsp_no_ack_mode)
{
	setup();
	feed("$QStartNoAckMode#b0");
	CHECK_STR(sent(), "+$OK#9a"); /* the last ack */
	CHECK(F.s.no_ack);
	feed("+"); /* gdb's ack of that OK */
	feed("$?#3f");
	CHECK_STR(sent(), "$T05thread:1;#d7");
	feed("$?#00"); /* bad: dropped without a word */
	CHECK_STR(sent(), "");
	feed("-"); /* no acks either way: not a request to resend */
	CHECK_STR(sent(), "");
	CHECK_STR(ask("qC"), "QC1");
	/* after a detach the next gdb starts with acks again */
	CHECK_EQ(feed("$D#44"), GDB_RSP_RESUME);
	CHECK_STR(sent(), "$OK#9a");
	CHECK(!F.s.no_ack);
	feed("$?#3f");
	CHECK_STR(sent(), "+$T05thread:1;#d7");
}

/* A gdb that died in no-ack mode leaves it set; the next one's qSupported is
 * acked again, as that gdb expects. */
TEST(gdb_rsp_new_gdb_after_no_ack)
{
	setup();
	feed("$QStartNoAckMode#b0");
	feed("+");
	sent();
	CHECK(F.s.no_ack);
	feed("+$qSupported:swbreak+#8b");
	CHECK(!F.s.no_ack);
	CHECK(!strncmp(sent(), "+$PacketSize=1000;", 18));
}

TEST(gdb_rsp_command_too_long)
{
	static char p[GDB_PACKET_MAX + 1];

	setup();
	memset(p, '?', sizeof(p));
	CHECK_EQ(gdb_rsp_command(&F.s, p, sizeof(p), &F.r), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "$E01#a6");
	/* and the same bytes given directly work like a received packet */
	CHECK_EQ(gdb_rsp_command(&F.s, "qC", 2, &F.r), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "$QC1#c5");
}

/* ---- stop replies -------------------------------------------------------------- */

TEST(gdb_rsp_stop_replies)
{
	struct gdb_stop st = { .signal = 5, .tid = 2, .why = GDB_STOP_SWBREAK };

	setup();
	CHECK_STR(ask("?"), "T05thread:1;");
	gdb_rsp_stopped(&F.s, &st);
	CHECK_STR(sent(), "$T05thread:2;swbreak:;#3c");
	CHECK_STR(ask("?"), "T05thread:2;swbreak:;");
	st.why = GDB_STOP_HWBREAK;
	st.tid = 0x1a;
	gdb_rsp_stopped(&F.s, &st);
	CHECK_STR(sent(), "$T05thread:1a;hwbreak:;#91");
	st.why = GDB_STOP_WATCH;
	st.addr = 0x3008;
	gdb_rsp_stopped(&F.s, &st);
	CHECK_STR(sent(), "$T05thread:1a;watch:3008;#8f");
	st.why = GDB_STOP_RWATCH;
	st.addr = 0xffffffff80001000ull;
	CHECK_STR((gdb_rsp_stopped(&F.s, &st), ask("?")),
		  "T05thread:1a;rwatch:ffffffff80001000;");
	st.why = GDB_STOP_AWATCH;
	st.addr = 0;
	CHECK_STR((gdb_rsp_stopped(&F.s, &st), ask("?")), "T05thread:1a;awatch:0;");
	st = (struct gdb_stop){ .signal = 2, .tid = 3, .why = GDB_STOP_SIGNAL };
	CHECK_STR((gdb_rsp_stopped(&F.s, &st), ask("?")), "T02thread:3;");
	st = (struct gdb_stop){ .signal = 11, .tid = 3, .why = GDB_STOP_SIGNAL };
	CHECK_STR((gdb_rsp_stopped(&F.s, &st), ask("?")), "T0bthread:3;");
	st = (struct gdb_stop){ .signal = 3, .tid = 1, .why = GDB_STOP_EXITED };
	gdb_rsp_stopped(&F.s, &st);
	CHECK_STR(sent(), "$W03#ba");
	CHECK_STR(ask("?"), "W03");
}

TEST(gdb_rsp_stop_selects_thread)
{
	struct gdb_stop st = { .signal = 5, .tid = 3, .why = GDB_STOP_SIGNAL };
	char want[32];

	setup();
	CHECK_STR(ask("Hg2"), "OK");
	le(want, F.regs[2].gpr[0], 8);
	CHECK_STR(ask("p0"), want);
	/* gdb takes the stopped thread as the selected one after a stop */
	gdb_rsp_stopped(&F.s, &st);
	sent();
	le(want, F.regs[3].gpr[0], 8);
	CHECK_STR(ask("p0"), want);
	CHECK_STR(ask("qC"), "QC3");
}

/* ---- registers ----------------------------------------------------------------- */

TEST(gdb_rsp_g)
{
	static char want[2 * 600];

	setup();
	expect_g(want, &F.regs[1]);
	CHECK_EQ(strlen(want), 2 * 552);
	CHECK_STR(ask("g"), want);
	CHECK_STR(ask("Hg3"), "OK");
	expect_g(want, &F.regs[3]);
	CHECK_STR(ask("g"), want);
	CHECK_STR(ask("Hgp1.2"), "OK");
	expect_g(want, &F.regs[2]);
	CHECK_STR(ask("g"), want);
	CHECK_STR(ask("Hg0"), "OK");
	expect_g(want, &F.regs[1]);
	CHECK_STR(ask("g"), want);
	CHECK_STR(ask("gx"), "E01");
	/* a thread that went away */
	CHECK_STR(ask("Hg3"), "OK");
	F.nthreads = 2;
	CHECK_STR(ask("g"), "E01");
}

TEST(gdb_rsp_p)
{
	setup();
	CHECK_STR(ask("p0"), "efcdab8967452301");
	CHECK_STR(ask("p10"), "0110100000000000"); /* rip */
	CHECK_STR(ask("p11"), "46020000"); /* eflags */
	CHECK_STR(ask("p12"), "10000000"); /* cs */
	CHECK_STR(ask("p18"), "xxxxxxxxxxxxxxxxxxxx"); /* st0 */
	CHECK_STR(ask("p20"), "7f030000"); /* fctrl */
	CHECK_STR(ask("p29"), "101112131415161718191a1b1c1d1e1f"); /* xmm1 */
	CHECK_STR(ask("p38"), "801f0000"); /* mxcsr */
	CHECK_STR(ask("p39"), "xxxxxxxxxxxxxxxx"); /* fs_base */
	CHECK_STR(ask("p3a"), "010000000080ffff"); /* gs_base */
	CHECK_STR(ask("p3b"), "E01");
	CHECK_STR(ask("p"), "E01");
	CHECK_STR(ask("pz"), "E01");
	CHECK_STR(ask("p0x"), "E01");
	CHECK_STR(ask("p10000000000000000"), "E01");
}

TEST(gdb_rsp_G)
{
	static char g[2 * 600], cmd[2 * 600 + 2];

	setup();
	strcpy(g, ask("g"));
	memcpy(g, "1111111111111111", 16); /* rax */
	memset(g + 16, 'x', 16); /* rbx: left alone */
	snprintf(cmd, sizeof(cmd), "G%s", g);
	CHECK_STR(ask(cmd), "OK");
	CHECK_EQ(F.set_calls, 1);
	CHECK_EQ(F.set_tid, 1);
	CHECK_EQ(F.set.gpr[0], 0x1111111111111111ull);
	CHECK_EQ(F.set.gpr[2], F.regs[1].gpr[2]);
	CHECK_EQ(F.set.rip, F.regs[1].rip);
	CHECK_EQ(F.set.mxcsr, 0x1f80);
	CHECK_EQ(F.set.gs_base, F.regs[1].gs_base);
	CHECK(memcmp(F.set.xmm, F.regs[1].xmm, sizeof(F.set.xmm)) == 0);
	CHECK_EQ(F.set.avail, ALL_REGS & ~UNAVAIL & ~(1ull << GDB_REG_RBX));
	/* a short G sets the registers it has */
	CHECK_STR(ask("G00000000000000000100000000000000"), "OK");
	CHECK_EQ(F.set.avail, 3);
	CHECK_EQ(F.set.gpr[1], 1);
	/* the target refuses */
	F.set_ret = -EPERM;
	CHECK_STR(ask(cmd), "E02");
	F.set_ret = 0;
	/* malformed */
	CHECK_STR(ask("G"), "E01");
	CHECK_STR(ask("G123"), "E01"); /* not a whole register */
	CHECK_STR(ask("G000000000000000z"), "E01");
	CHECK_STR(ask("Gx0xxxxxxxxxxxxxx"), "E01"); /* half x */
	cmd[2 * 552 + 1] = '0'; /* one digit more than all registers */
	cmd[2 * 552 + 2] = '\0';
	F.set_calls = 0;
	CHECK_STR(ask(cmd), "E01");
	CHECK_EQ(F.set_calls, 0);
}

TEST(gdb_rsp_P)
{
	setup();
	CHECK_STR(ask("P0=1111111111111111"), "OK");
	CHECK_EQ(F.set.gpr[0], 0x1111111111111111ull);
	CHECK_EQ(F.set.avail, 1);
	CHECK_STR(ask("P11=47020000"), "OK");
	CHECK_EQ(F.set.eflags, 0x247);
	CHECK_EQ(F.set.avail, 1ull << GDB_REG_EFLAGS);
	CHECK_STR(ask("P18=0102030405060708090a"), "OK");
	CHECK_EQ(F.set.st[0][9], 10);
	CHECK_STR(ask("P3a=0800000000000000"), "OK");
	CHECK_EQ(F.set.gs_base, 8);
	CHECK_STR(ask("P18=xxxxxxxxxxxxxxxxxxxx"), "OK");
	CHECK_EQ(F.set.avail, 0);
	CHECK_STR(ask("Hg2"), "OK");
	CHECK_STR(ask("P7=0800000000000000"), "OK");
	CHECK_EQ(F.set_tid, 2);
	CHECK_EQ(F.set.gpr[7], 8);
	F.set_ret = -EPERM;
	CHECK_STR(ask("P7=0800000000000000"), "E02");
	F.set_calls = 0;
	CHECK_STR(ask("P3b=00000000"), "E01");
	CHECK_STR(ask("P0=11"), "E01");
	CHECK_STR(ask("P0=111111111111111111"), "E01");
	CHECK_STR(ask("P0"), "E01");
	CHECK_STR(ask("P=00"), "E01");
	CHECK_STR(ask("P0=zz11111111111111"), "E01");
	CHECK_EQ(F.set_calls, 0);
}

/* ---- memory -------------------------------------------------------------------- */

TEST(gdb_rsp_m)
{
	const char *r;

	setup();
	CHECK_STR(ask("m1000,4"), "00030609");
	CHECK_STR(ask("m1001,1"), "03");
	CHECK_STR(ask("m1ffe,4"), "fafd"); /* up to the hole */
	CHECK_STR(ask("m2000,4"), "E14");
	CHECK_STR(ask("m3ffe,10"), "fafd"); /* up to the end */
	CHECK_STR(ask("m4000,1"), "E14");
	CHECK_STR(ask("m1000,0"), "");
	CHECK_STR(ask("mffffffffffffffff,1"), "E14");
	/* huge: clamped to what one reply holds */
	r = ask("m1000,ffffff");
	CHECK_EQ(strlen(r), GDB_PACKET_MAX);
	CHECK_EQ(strncmp(r, "00030609", 8), 0);
	r = ask("m2100,1000");
	CHECK_EQ(strlen(r), GDB_PACKET_MAX);
	/* malformed */
	CHECK_STR(ask("mffffffffffffffff,10"), "E01"); /* wraps */
	CHECK_STR(ask("m1000,ffffffffffffffff"), "E01");
	CHECK_STR(ask("m1000"), "E01");
	CHECK_STR(ask("m1000,"), "E01");
	CHECK_STR(ask("m,4"), "E01");
	CHECK_STR(ask("m"), "E01");
	CHECK_STR(ask("m1000,zz"), "E01");
	CHECK_STR(ask("m1000,4x"), "E01");
	CHECK_STR(ask("m1000;4"), "E01");
	CHECK_STR(ask("m10000000000000000,4"), "E01"); /* 65 bits */
	CHECK_STR(ask("m00000000000000001000,1"), "00"); /* leading zeros are fine */
}

TEST(gdb_rsp_M)
{
	setup();
	CHECK_STR(ask("M1000,2:abCD"), "OK");
	CHECK_EQ(F.mem[0], 0xab);
	CHECK_EQ(F.mem[1], 0xcd);
	CHECK_STR(ask("M1000,0:"), "OK");
	F.write_calls = 0;
	CHECK_STR(ask("M1fff,2:0000"), "E14"); /* runs into the hole */
	CHECK_EQ(F.mem[0xfff], (uint8_t)(0xfff * 3)); /* all or nothing */
	CHECK_STR(ask("M2000,1:00"), "E14");
	CHECK_EQ(F.write_calls, 2);
	F.write_calls = 0;
	CHECK_STR(ask("M1000,2:abc"), "E01");
	CHECK_STR(ask("M1000,2:abcdef"), "E01");
	CHECK_STR(ask("M1000,2:zzzz"), "E01");
	CHECK_STR(ask("M1000,2"), "E01");
	CHECK_STR(ask("M1000:2:0000"), "E01");
	CHECK_STR(ask("Mffffffffffffffff,2:0000"), "E01");
	CHECK_STR(ask("M1000,801:00"), "E01"); /* more than could ever come */
	CHECK_EQ(F.write_calls, 0);
}

TEST(gdb_rsp_X)
{
	setup();
	F.write_calls = 0;
	CHECK_STR(ask("X1000,0:"), "OK"); /* gdb's probe */
	CHECK_EQ(F.write_calls, 0);
	CHECK_STR(ask("X1004,4:abcd"), "OK");
	CHECK_EQ(memcmp(F.mem + 4, "abcd", 4), 0);
	/* NUL bytes in the data */
	sent();
	CHECK_EQ(pkt_n("X1008,3:\0\0\0", 11), GDB_RSP_REPLIED);
	CHECK_STR(sent(), "+$OK#9a");
	CHECK_EQ(F.mem[8] | F.mem[9] | F.mem[10], 0);
	CHECK_STR(ask("X1000,4:ab"), "E01");
	CHECK_STR(ask("X1000,1:ab"), "E01");
	CHECK_STR(ask("X2000,1:a"), "E14");
	CHECK_STR(ask("X1000,1"), "E01");
	CHECK_STR(ask("Xffffffffffffffff,2:ab"), "E01");
	CHECK_STR(ask("X,1:a"), "E01");
}

/* ---- running ------------------------------------------------------------------- */

TEST(gdb_rsp_continue_and_step)
{
	setup();
	CHECK(resume("c"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	CHECK(!F.r.set_pc);
	CHECK(resume("c101000"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	CHECK(F.r.set_pc);
	CHECK_EQ(F.r.pc, 0x101000);
	CHECK(resume("s"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.tid, 1);
	CHECK(!F.r.set_pc);
	CHECK(resume("sffffffff80001000"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.pc, 0xffffffff80001000ull);
	CHECK(resume("C05"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	CHECK(!F.r.set_pc);
	CHECK(resume("C0b;1234"));
	CHECK(F.r.set_pc);
	CHECK_EQ(F.r.pc, 0x1234);
	CHECK(resume("S05"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK(resume("S05;10"));
	CHECK_EQ(F.r.pc, 0x10);
	/* Hc picks the thread that s steps */
	CHECK_STR(ask("Hc3"), "OK");
	CHECK(resume("s"));
	CHECK_EQ(F.r.tid, 3);
	CHECK_STR(ask("Hc-1"), "OK");
	CHECK(resume("s"));
	CHECK_EQ(F.r.tid, 1);
	/* malformed: answered, not run */
	CHECK_STR(ask("cxyz"), "E01");
	CHECK_STR(ask("c12x"), "E01");
	CHECK_STR(ask("C"), "E01");
	CHECK_STR(ask("C05;"), "E01");
	CHECK_STR(ask("C05x"), "E01");
	CHECK_STR(ask("S;10"), "E01");
	CHECK_STR(ask("s10000000000000000"), "E01");
}

TEST(gdb_rsp_vcont)
{
	enum gdb_rsp_event ev;

	setup();
	CHECK_STR(ask("vCont?"), "vCont;c;C;s;S;t");
	CHECK(resume("vCont;c"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	CHECK(resume("vCont;C05"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	CHECK(resume("vCont;c:-1"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	CHECK(resume("vCont;s:2;c"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.tid, 2);
	CHECK(!F.r.set_pc);
	CHECK(resume("vCont;c;s:3"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.tid, 3);
	CHECK(resume("vCont;s:2;s:3;c"));
	CHECK_EQ(F.r.tid, 2); /* the leftmost */
	CHECK(resume("vCont;S05:p1.3;c"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.tid, 3);
	CHECK(resume("vCont;s"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.tid, 1); /* the stopped thread */
	CHECK(resume("vCont;s:-1"));
	CHECK_EQ(F.r.tid, 1);
	CHECK_STR(ask("Hc2"), "OK");
	CHECK(resume("vCont;s:0"));
	CHECK_EQ(F.r.tid, 2); /* any: Hc's */
	/* t alone: we are stopped already */
	CHECK_STR(ask_ev("vCont;t", &ev), "T05thread:1;");
	CHECK_EQ(ev, GDB_RSP_REPLIED);
	CHECK_STR(ask_ev("vCont;t:2;t:3", &ev), "T05thread:1;");
	CHECK_EQ(ev, GDB_RSP_REPLIED);
	CHECK(resume("vCont;t:2;c"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	/* malformed */
	CHECK_STR(ask("vCont;s:9"), "E01"); /* no such thread */
	CHECK_STR(ask("vCont;"), "E01");
	CHECK_STR(ask("vCont;c;"), "E01");
	CHECK_STR(ask("vCont;x"), "E01");
	CHECK_STR(ask("vCont;r1000,2000"), "E01"); /* range stepping: not offered */
	CHECK_STR(ask("vCont;c:"), "E01");
	CHECK_STR(ask("vCont;c:zz"), "E01");
	CHECK_STR(ask("vCont;C"), "E01");
	CHECK_STR(ask("vCont;C05:"), "E01");
	CHECK_STR(ask("vCont;cc"), "E01");
	CHECK_STR(ask("vCont;c:1x"), "E01");
	CHECK_STR(ask("vCont"), "");
	CHECK_STR(ask("vContX"), "");
}

TEST(gdb_rsp_points)
{
	setup();
	CHECK_STR(ask("Z0,101000,1"), "OK");
	CHECK_EQ(F.point_calls, 1);
	CHECK_EQ(F.point_type, GDB_POINT_SW);
	CHECK_EQ(F.point_addr, 0x101000);
	CHECK_EQ(F.point_kind, 1);
	CHECK(F.point_insert);
	CHECK_STR(ask("z0,101000,1"), "OK");
	CHECK(!F.point_insert);
	CHECK_STR(ask("Z1,ffffffff80001000,1"), "OK");
	CHECK_EQ(F.point_type, GDB_POINT_HW);
	CHECK_EQ(F.point_addr, 0xffffffff80001000ull);
	CHECK_STR(ask("Z2,3000,8"), "OK");
	CHECK_EQ(F.point_type, GDB_POINT_WRITE);
	CHECK_EQ(F.point_kind, 8);
	CHECK_STR(ask("Z3,3000,4"), "OK");
	CHECK_EQ(F.point_type, GDB_POINT_READ);
	CHECK_STR(ask("z4,3000,2"), "OK");
	CHECK_EQ(F.point_type, GDB_POINT_ACCESS);
	CHECK(!F.point_insert);
	F.point_ret = -EOPNOTSUPP;
	CHECK_STR(ask("Z3,3000,4"), "");
	F.point_ret = -EBUSY;
	CHECK_STR(ask("Z1,3000,1"), "E02");
	F.point_ret = 0;
	F.point_calls = 0;
	CHECK_STR(ask("Z5,1000,1"), ""); /* a type we do not know */
	CHECK_STR(ask("Z0,1000"), "E01");
	CHECK_STR(ask("Z0,1000,"), "E01");
	CHECK_STR(ask("Z0,zz,1"), "E01");
	CHECK_STR(ask("Z0,1000,100000000"), "E01");
	CHECK_STR(ask("Z0,1000,1;X2,ab"), "E01"); /* conditions: not offered */
	CHECK_STR(ask("Z"), "E01");
	CHECK_STR(ask("z"), "E01");
	CHECK_STR(ask("Zffffffffffffffffff,1,1"), "E01");
	CHECK_EQ(F.point_calls, 0);
}

TEST(gdb_rsp_detach_and_kill)
{
	enum gdb_rsp_event ev;

	setup();
	CHECK_STR(ask_ev("D", &ev), "OK");
	CHECK_EQ(ev, GDB_RSP_RESUME);
	CHECK_EQ(F.r.how, GDB_RESUME_DETACH);
	CHECK_STR(ask_ev("D;1", &ev), "OK");
	CHECK_EQ(ev, GDB_RSP_RESUME);
	CHECK_EQ(F.r.how, GDB_RESUME_DETACH);
	CHECK_STR(ask("D;zz"), "E01");
	CHECK_STR(ask("Dx"), "E01");
	CHECK_STR(ask("D;"), "E01");
	/* k gets no reply at all */
	CHECK(resume("k"));
	CHECK_EQ(F.r.how, GDB_RESUME_KILL);
	CHECK_STR(ask_ev("vKill;1", &ev), "OK");
	CHECK_EQ(ev, GDB_RSP_RESUME);
	CHECK_EQ(F.r.how, GDB_RESUME_KILL);
}

/* ---- threads ------------------------------------------------------------------- */

TEST(gdb_rsp_thread_select)
{
	setup();
	CHECK_STR(ask("T1"), "OK");
	CHECK_STR(ask("T3"), "OK");
	CHECK_STR(ask("Tp1.2"), "OK");
	CHECK_STR(ask("T4"), "E01");
	CHECK_STR(ask("T0"), "E01");
	CHECK_STR(ask("T-1"), "E01");
	CHECK_STR(ask("T"), "E01");
	CHECK_STR(ask("T1x"), "E01");
	CHECK_STR(ask("T80000000"), "E01");
	CHECK_STR(ask("Hg9"), "E01");
	CHECK_STR(ask("Hc9"), "E01");
	CHECK_STR(ask("Hg-1"), "OK");
	CHECK_STR(ask("Hgp1.-1"), "OK");
	CHECK_STR(ask("Hgp-1.-1"), "OK");
	CHECK_STR(ask("Hgp1"), "OK");
	CHECK_STR(ask("Hg"), "E01");
	CHECK_STR(ask("Hx1"), "E01");
	CHECK_STR(ask("H"), "E01");
	CHECK_STR(ask("Hg1x"), "E01");
	CHECK_STR(ask("Hgp1."), "E01");
	CHECK_STR(ask("Hg-2"), "E01");
}

TEST(gdb_rsp_thread_list)
{
	static char all[64 * 1024], want[64 * 1024];
	const char *r;
	size_t n = 0, w = 0;

	setup();
	CHECK_STR(ask("qfThreadInfo"), "m1,2,3");
	CHECK_STR(ask("qsThreadInfo"), "l");
	CHECK_STR(ask("qsThreadInfo"), "l");
	CHECK_STR(ask("qfThreadInfo"), "m1,2,3");
	CHECK_STR(ask("qsThreadInfo"), "l");
	/* more than one reply holds */
	F.nthreads = 3000;
	r = ask("qfThreadInfo");
	for (int pages = 0; *r == 'm' && pages < 100; pages++) {
		CHECK(strlen(r) <= GDB_PACKET_MAX);
		n += (size_t)sprintf(all + n, "%s%s", n ? "," : "", r + 1);
		r = ask("qsThreadInfo");
	}
	CHECK_STR(r, "l");
	CHECK(n > GDB_PACKET_MAX);
	for (int t = 1; t <= 3000; t++)
		w += (size_t)sprintf(want + w, "%s%x", t > 1 ? "," : "", t);
	CHECK_STR(all, want);
	/* no threads at all */
	F.nthreads = 0;
	CHECK_STR(ask("qfThreadInfo"), "l");
}

TEST(gdb_rsp_thread_extra_info)
{
	setup();
	CHECK_STR(ask("qThreadExtraInfo,1"), hexstr("main, CPU 0, running"));
	CHECK_STR(ask("qThreadExtraInfo,2"), hexstr("idle, CPU 1, runnable"));
	CHECK_STR(ask("qThreadExtraInfo,p1.3"), hexstr("a<b&\"c'*}#$, CPU 2, blocked"));
	F.nthreads = 10;
	CHECK_STR(ask("qThreadExtraInfo,a"), hexstr("worker10, CPU 2, blocked"));
	/* a name that fills its field, without a NUL */
	memset(F.th[1].name, 'n', sizeof(F.th[1].name));
	CHECK_STR(ask("qThreadExtraInfo,1"),
		  hexstr("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn, CPU 0, running"));
	CHECK_STR(ask("qThreadExtraInfo,b"), "E01");
	CHECK_STR(ask("qThreadExtraInfo,0"), "E01");
	CHECK_STR(ask("qThreadExtraInfo,-1"), "E01");
	CHECK_STR(ask("qThreadExtraInfo,zz"), "E01");
	CHECK_STR(ask("qThreadExtraInfo,"), "E01");
	CHECK_STR(ask("qThreadExtraInfo,1,"), "E01");
	CHECK_STR(ask("qThreadExtraInfo"), "");
}

/* Reads a qXfer object in slices of len; returns its bytes. */
static const char *xfer(const char *object, unsigned len, size_t *total)
{
	static char doc[256 * 1024];
	char cmd[128];
	size_t n = 0;

	for (int i = 0; i < 100000; i++) {
		const char *r;

		snprintf(cmd, sizeof(cmd), "qXfer:%s:%zx,%x", object, n, len);
		r = ask(cmd);
		if ((r[0] != 'm' && r[0] != 'l') || strlen(r + 1) > len ||
		    n + strlen(r + 1) >= sizeof(doc)) {
			check_fail(__FILE__, __LINE__, "%s: bad slice \"%.20s\"", cmd, r);
			break;
		}
		memcpy(doc + n, r + 1, strlen(r + 1));
		n += strlen(r + 1);
		if (r[0] == 'l')
			break;
		CHECK(strlen(r + 1) > 0); /* 'm' always moves forward */
	}
	doc[n] = '\0';
	*total = n;
	return doc;
}

TEST(gdb_rsp_qxfer_features)
{
	size_t n, len = strlen(gdb_target_xml);
	unsigned sizes[] = { 1, 7, 0x37, 0x100, 0xfff, 0x1000, 0xffff };
	char cmd[80];

	setup();
	CHECK(len > GDB_PACKET_MAX); /* so that one reply cannot hold it */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_STR(xfer("features:read:target.xml", sizes[i], &n), gdb_target_xml);
		CHECK_EQ(n, len);
	}
	/* the first slice of a big read: 'm' and as much as a reply holds */
	CHECK_EQ(strlen(ask("qXfer:features:read:target.xml:0,ffff")), GDB_PACKET_MAX);
	CHECK_STR(ask("qXfer:features:read:target.xml:0,5"), "m<?xml");
	snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,5", len - 3);
	CHECK_STR(ask(cmd), "lt>\n");
	snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,3", len - 3);
	CHECK_STR(ask(cmd), "lt>\n");
	snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,5", len);
	CHECK_STR(ask(cmd), "l");
	snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,5", len + 1);
	CHECK_STR(ask(cmd), "E01");
	CHECK_STR(ask("qXfer:features:read:target.xml:ffffffffffffffff,5"), "E01");
	/* malformed, and other annexes and objects */
	CHECK_STR(ask("qXfer:features:read:i386-64bit.xml:0,fff"), "E00");
	CHECK_STR(ask("qXfer:features:read:target.xml:0"), "E00");
	CHECK_STR(ask("qXfer:features:read:target.xml:0,"), "E00");
	CHECK_STR(ask("qXfer:features:read:target.xml:0,0"), "E00");
	CHECK_STR(ask("qXfer:features:read:target.xml:,10"), "E00");
	CHECK_STR(ask("qXfer:features:read:target.xml:0,10x"), "E00");
	CHECK_STR(ask("qXfer:features:read:target.xml"), "E00");
	CHECK_STR(ask("qXfer:threads:read:x:0,10"), "E00");
	CHECK_STR(ask("qXfer:auxv:read::0,10"), "");
	CHECK_STR(ask("qXfer:features:write:target.xml:0:abc"), "");
	CHECK_STR(ask("qXfer:"), "");
}

TEST(gdb_rsp_target_xml)
{
	const char *x = gdb_target_xml;
	const char *names[] = { "rax",	"rip",	 "eflags", "gs",      "st0",	"fop",
				"xmm0", "xmm15", "mxcsr",  "fs_base", "gs_base" };
	int regs = 0;

	/* What gdb relies on: the architecture, the three features, 59 registers
	 * numbered from 0 with xmm0 at 40 and fs_base at 57, the types defined. */
	CHECK(strstr(x, "<architecture>i386:x86-64</architecture>"));
	CHECK(strstr(x, "<feature name=\"org.gnu.gdb.i386.core\">"));
	CHECK(strstr(x, "<feature name=\"org.gnu.gdb.i386.sse\">"));
	CHECK(strstr(x, "<feature name=\"org.gnu.gdb.i386.segments\">"));
	for (const char *p = x; (p = strstr(p, "<reg ")); p++)
		regs++;
	CHECK_EQ(regs, GDB_REGS);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), "name=\"%s\"", names[i]);
		CHECK(strstr(x, want));
	}
	CHECK(strstr(x,
		     "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"));
	CHECK(strstr(
		x, "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/>"));
	CHECK(strstr(
		x,
		"<reg name=\"fs_base\" bitsize=\"64\" type=\"int64\" regnum=\"57\"/>"));
	CHECK(strstr(x, "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"));
	CHECK(strstr(x, "<flags id=\"i386_eflags\" size=\"4\">"));
	CHECK(strstr(x, "<flags id=\"i386_mxcsr\" size=\"4\">"));
	CHECK(strstr(x, "<union id=\"vec128\">"));
	CHECK(strstr(x, "type=\"i387_ext\""));
	CHECK(strstr(x, "group=\"float\""));
	/* nothing in it needs a framing escape, and it ends the document */
	CHECK(!strpbrk(x, "$#}*"));
	CHECK_STR(x + strlen(x) - 10, "</target>\n");
}

/* The threads document as the stub must generate it for F. */
static const char *threads_doc(void)
{
	static char doc[256 * 1024];
	size_t n = 0;
	struct gdb_thread t;

	n += (size_t)sprintf(doc, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (int tid = 1; tid <= F.nthreads; tid++) {
		f_thread_info(&F, tid, &t);
		n += (size_t)sprintf(
			doc + n,
			"<thread id=\"%x\" core=\"%d\" name=\"%s\">CPU %d, %s</thread>\n",
			tid, t.cpu, tid == 3 ? "a&lt;b&amp;&quot;c&apos;*}#$" : t.name,
			t.cpu, t.state);
	}
	sprintf(doc + n, "</threads>\n");
	return doc;
}

TEST(gdb_rsp_qxfer_threads)
{
	size_t n;

	setup();
	CHECK_STR(ask("qXfer:threads:read::0,fff"),
		  "l<?xml version=\"1.0\"?>\n<threads>\n"
		  "<thread id=\"1\" core=\"0\" name=\"main\">CPU 0, running</thread>\n"
		  "<thread id=\"2\" core=\"1\" name=\"idle\">CPU 1, runnable</thread>\n"
		  "<thread id=\"3\" core=\"2\" name=\"a&lt;b&amp;&quot;c&apos;*}#$\">"
		  "CPU 2, blocked</thread>\n"
		  "</threads>\n");
	CHECK_STR(xfer("threads:read:", 7, &n), threads_doc());
	CHECK_STR(ask("qXfer:threads:read::0,5"), "m<?xml");
	CHECK_STR(ask("qXfer:threads:read::1000,5"), "E01");
	/* a document far bigger than a reply, regenerated and sliced */
	F.nthreads = 2000;
	CHECK(strlen(threads_doc()) > 16 * GDB_PACKET_MAX);
	CHECK_STR(xfer("threads:read:", 0xfff, &n), threads_doc());
	CHECK_STR(xfer("threads:read:", 0x100000, &n), threads_doc());
	/* a control byte in a name would make bad XML */
	F.nthreads = 3;
	strcpy(F.th[2].name, "a\x01z");
	CHECK(strstr(xfer("threads:read:", 0xfff, &n), "name=\"a?z\""));
}

/* ---- the rest ------------------------------------------------------------------ */

TEST(gdb_rsp_queries)
{
	setup();
	CHECK_STR(ask("qSupported"), "PacketSize=1000;qXfer:features:read+;"
				     "qXfer:threads:read+;swbreak+;hwbreak+;"
				     "vContSupported+;QStartNoAckMode+");
	CHECK_STR(ask("qSupportedX"), "");
	CHECK_STR(ask("qAttached"), "1");
	CHECK_STR(ask("qAttached:1"), "1");
	CHECK_STR(ask("qC"), "QC1");
	CHECK_STR(ask("qCx"), "");
	CHECK_STR(ask("qSymbol::"), "OK");
	CHECK_STR(ask("qOffsets"), "");
	CHECK_STR(ask("qTStatus"), "");
	CHECK_STR(ask("q"), "");
	CHECK_STR(ask("vMustReplyEmpty"), "");
	CHECK_STR(ask("vFile:setfs:0"), "");
	CHECK_STR(ask("vKil"), "");
	CHECK_STR(ask("QStartNoAckModeX"), "");
	CHECK(!F.s.no_ack);
	CHECK_STR(ask("QThreadEvents:1"), "");
	CHECK_STR(ask("!"), "");
	CHECK_STR(ask("\x7f"), "");
	CHECK_STR(ask("?x"), "T05thread:1;"); /* '?' takes no argument; none needed */
}

/* A whole session as gdb 13 runs it on `target remote`, byte for byte. */
TEST(gdb_rsp_session)
{
	static const char *const script[][2] = {
		{ "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", NULL },
		{ "vMustReplyEmpty", "" },
		{ "QStartNoAckMode", "OK" },
		{ "Hgp0.0", "OK" },
		{ "qXfer:features:read:target.xml:0,ffb", NULL },
		{ "qTStatus", "" },
		{ "?", "T05thread:1;" },
		{ "qfThreadInfo", "m1,2,3" },
		{ "qsThreadInfo", "l" },
		{ "qAttached:1", "1" },
		{ "Hc-1", "OK" },
		{ "qC", "QC1" },
		{ "qOffsets", "" },
		{ "g", NULL },
		{ "m101000,40", NULL },
		{ "qSymbol::", "OK" },
		{ "Z0,101000,1", "OK" },
		{ "vCont?", "vCont;c;C;s;S;t" },
	};
	struct gdb_stop st = { .signal = 5, .tid = 2, .why = GDB_STOP_SWBREAK };

	setup();
	feed("+");
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		const char *r = ask(script[i][0]);

		if (script[i][1])
			CHECK_STR(r, script[i][1]);
		else if (i == 13)
			CHECK_EQ(strlen(r), 2 * 552);
		else if (i == 14)
			CHECK_STR(r, "E14"); /* the fake has nothing there */
	}
	CHECK(F.s.no_ack);
	CHECK(resume("vCont;c:p1.-1"));
	CHECK_EQ(F.r.how, GDB_RESUME_CONTINUE);
	/* ... the target runs, then hits the breakpoint ... */
	gdb_rsp_stopped(&F.s, &st);
	CHECK_STR(sent(), "$T05thread:2;swbreak:;#3c");
	CHECK_STR(ask("z0,101000,1"), "OK");
	CHECK(resume("vCont;s:p1.2"));
	CHECK_EQ(F.r.how, GDB_RESUME_STEP);
	CHECK_EQ(F.r.tid, 2);
	CHECK(!F.r.set_pc);
}
