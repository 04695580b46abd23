/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote serial protocol, stub side (gdb manual, "Remote Protocol").
 *
 * Primer. Everything but an ack travels as a packet "$payload#xx", xx being
 * the sum of the payload bytes as sent, mod 256, in two hex digits (either
 * case is accepted, lower case is sent). The receiver answers '+' (good) or
 * '-' (send it again) until QStartNoAckMode turns acks off both ways. Inside a
 * payload '$', '#', '}' and '*' travel as '}' and the byte XOR 0x20: gdb does
 * that to the binary data of X; we undo it for every packet and do it to every
 * reply (our textual replies never hold those bytes, so in practice only qXfer
 * data is escaped). A 0x03 byte between packets is Ctrl-C. gdb sends one
 * command and waits for its reply; a command that resumes the target (c, s,
 * vCont) is answered only when the target stops again, by a stop reply such as
 * "T05thread:3;swbreak:;", which gdb_rsp_stopped() sends.
 *
 * Receiving is a small state machine, one byte at a time:
 *
 *   IDLE --'$'--> DATA --'#'--> SUM1 --hex--> SUM2 --hex--> IDLE
 *
 * A '$' in any state starts the packet over (gdb gave up on the previous one).
 * At SUM2 the packet is acked and handled, or refused with '-' if the sum is
 * wrong, the payload did not fit in[] or it ended inside an escape; a non-hex
 * checksum digit refuses it at once.
 *
 * Replies to a command that cannot be done (the codes are ours, except E00):
 *
 *   E00  qXfer: a malformed request or an unknown annex (the manual's code)
 *   E01  malformed: a missing field, not hex, no such thread or register, an
 *        address range that wraps past 2^64, a qXfer offset past the end
 *   E02  the target refused: set_regs or point failed
 *   E14  memory not accessible (EFAULT, as Linux's kgdb spells it)
 *   ""   the empty reply: a command (or Z type) we do not implement
 *
 * Thread ids are hex numbers, "-1" for all and "0" for any; "pPID.TID" is
 * taken with the pid ignored (we do not announce multiprocess, but the form
 * costs nothing to accept).
 */
#include "lib/gdb_rsp.h"

#include "lib/kstring.h"
#include "toro/errno.h"

/*
 * Registers are copied as the bytes of struct gdb_regs: that is the
 * little-endian encoding gdb wants only on a little-endian build, and register
 * n sits at the sum of the widths before it only if the fields have no gaps.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gdb_rsp.c assumes a little-endian build (the x86-64 target's order)"
#endif
/* The widths before gs_base add up to 544: at that offset, no field has a gap. */
_Static_assert(offsetof(struct gdb_regs, gs_base) == 544, "struct gdb_regs has gaps");

enum { GDB_IDLE, GDB_DATA, GDB_SUM1, GDB_SUM2 };

/* A bound on a walk of the thread list, should the target's list ever loop. */
#define GDB_THREADS_MAX 65536

static const char gdb_digits[] = "0123456789abcdef";

/* ---- building replies ------------------------------------------------------ */

/*
 * A reply under construction. `pos` counts every byte offered and `n` the ones
 * kept: the first `skip` are dropped and nothing past `cap` is kept. That is
 * how a qXfer slice is cut from a document regenerated for each request, and
 * `pos` at the end is the length of the whole document.
 */
struct gdb_buf {
	char *p;
	size_t n, cap;
	uint64_t skip, pos;
};

static void buf_putc(struct gdb_buf *b, char c)
{
	if (b->pos++ >= b->skip && b->n < b->cap)
		b->p[b->n++] = c;
}

static void buf_puts(struct gdb_buf *b, const char *s)
{
	while (*s)
		buf_putc(b, *s++);
}

/* v in base 10 or 16, without leading zeros (how the protocol writes numbers). */
static void buf_num(struct gdb_buf *b, uint64_t v, unsigned base)
{
	char d[20];
	int i = 0;

	do {
		d[i++] = gdb_digits[v % base];
		v /= base;
	} while (v);
	while (i)
		buf_putc(b, d[--i]);
}

/* n bytes as two hex digits each, in memory order. */
static void buf_bytes(struct gdb_buf *b, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_putc(b, gdb_digits[d[i] >> 4]);
		buf_putc(b, gdb_digits[d[i] & 15]);
	}
}

/* A name or state of struct gdb_thread (which need not end in a NUL). */
static void buf_field(struct gdb_buf *b, const char *f, size_t cap, bool xml)
{
	for (size_t i = 0; i < cap && f[i]; i++) {
		char c = f[i];
		const char *e = c == '&'  ? "&amp;" :
				c == '<'  ? "&lt;" :
				c == '>'  ? "&gt;" :
				c == '"'  ? "&quot;" :
				c == '\'' ? "&apos;" :
					    NULL;

		if (xml && e)
			buf_puts(b, e);
		else /* control bytes are not allowed in XML 1.0 */
			buf_putc(b, xml && (unsigned char)c < 0x20 ? '?' : c);
	}
}

/* "CPU n, STATE", the tail of what `info threads` shows of a thread. */
static void buf_cpu_state(struct gdb_buf *b, const struct gdb_thread *t, bool xml)
{
	buf_puts(b, "CPU ");
	buf_num(b, (unsigned)t->cpu, 10);
	buf_puts(b, ", ");
	buf_field(b, t->state, sizeof(t->state), xml);
}

void gdb_rsp_send(struct gdb_rsp *s, const char *payload, size_t n)
{
	size_t o = 0;
	uint8_t sum = 0;

	/* No reply is built longer; the bound keeps out[] safe if one were. */
	if (n > GDB_PACKET_MAX)
		n = GDB_PACKET_MAX;
	s->out[o++] = '$';
	for (size_t i = 0; i < n; i++) {
		char c = payload[i];

		if (c == '$' || c == '#' || c == '}' || c == '*') {
			s->out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		s->out[o++] = c;
		sum += (uint8_t)c;
	}
	s->out[o++] = '#';
	s->out[o++] = gdb_digits[sum >> 4];
	s->out[o++] = gdb_digits[sum & 15];
	s->out_len = o;
	s->ops->send(s->ctx, s->out, o);
}

/* Sends a fixed reply; returns what a command that replied returns. */
static enum gdb_rsp_event gdb_reply(struct gdb_rsp *s, const char *str)
{
	gdb_rsp_send(s, str, strlen(str));
	return GDB_RSP_REPLIED;
}

static enum gdb_rsp_event gdb_reply_buf(struct gdb_rsp *s, const struct gdb_buf *b)
{
	gdb_rsp_send(s, b->p, b->n);
	return GDB_RSP_REPLIED;
}

/* ---- parsing commands ------------------------------------------------------ */

/*
 * The parsers read s->in, which always ends in a NUL: each one reads at *pp,
 * moves *pp past what it took and says whether it found what it wanted. A NUL
 * inside a payload (possible only in X data) simply ends the text there.
 */
static int gdb_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20; /* lower case */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A hex number that fits in 64 bits (leading zeros allowed). */
static bool gdb_get_hex(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	int d;

	if (gdb_hexval(*p) < 0)
		return false;
	for (*v = 0; (d = gdb_hexval(*p)) >= 0; p++) {
		if (*v >> 60)
			return false;
		*v = *v << 4 | (unsigned)d;
	}
	*pp = p;
	return true;
}

/* n bytes from 2n hex digits; p[2i + 1] is read only once p[2i] proved no NUL. */
static bool gdb_unhex(const char *p, uint8_t *dst, size_t n)
{
	int h, l;

	for (size_t i = 0; i < n; i++) {
		if ((h = gdb_hexval(p[2 * i])) < 0 || (l = gdb_hexval(p[2 * i + 1])) < 0)
			return false;
		dst[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

static bool gdb_eat(const char **pp, char c)
{
	if (**pp != c || !c)
		return false;
	(*pp)++;
	return true;
}

/* Whether *pp starts with w; if so, moves past it. */
static bool gdb_prefix(const char **pp, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*pp, w, n) != 0)
		return false;
	*pp += n;
	return true;
}

/* Whether p is the word w, alone or followed by ":arguments". */
static bool gdb_word(const char *p, const char *w)
{
	size_t n = strlen(w);

	return strncmp(p, w, n) == 0 && (p[n] == '\0' || p[n] == ':');
}

/* A thread id: hex, "-1", or "pPID.TID" ("pPID" alone: all its threads). */
static bool gdb_get_tid(const char **pp, int *tid)
{
	bool pid = gdb_eat(pp, 'p');
	uint64_t v;

	for (;;) {
		if ((*pp)[0] == '-' && (*pp)[1] == '1') {
			*pp += 2;
			*tid = -1;
		} else if (gdb_get_hex(pp, &v) && v <= 0x7fffffff) {
			*tid = (int)v;
		} else {
			return false;
		}
		if (!pid)
			return true;
		pid = false; /* that was the pid: the tid follows a '.' */
		if (!gdb_eat(pp, '.')) {
			*tid = -1;
			return true;
		}
	}
}

/* "addr,len" then `end`; a range running past 2^64 - 1 is malformed. */
static bool gdb_get_range(const char **pp, uint64_t *addr, uint64_t *len, char end)
{
	if (!gdb_get_hex(pp, addr) || !gdb_eat(pp, ',') || !gdb_get_hex(pp, len))
		return false;
	if (*len && *len - 1 > UINT64_MAX - *addr)
		return false;
	return end ? gdb_eat(pp, end) : **pp == '\0';
}

/* ---- registers and memory -------------------------------------------------- */

/* The thread an Hg or Hc selection names: the stopped one for 0 (any), -1 (all). */
static int gdb_thread(const struct gdb_rsp *s, int tid)
{
	return tid > 0 ? tid : s->stop.tid;
}

static bool gdb_thread_exists(struct gdb_rsp *s, int tid)
{
	struct gdb_thread t;

	return tid > 0 && s->ops->thread_info(s->ctx, tid, &t) == 0;
}

/* The width of register n in bytes, per enum gdb_regno. */
static size_t gdb_reg_size(int n)
{
	if (n >= GDB_REG_ST0 && n < GDB_REG_FCTRL)
		return 10;
	if (n >= GDB_REG_XMM0 && n < GDB_REG_MXCSR)
		return 16;
	return n <= GDB_REG_RIP || n >= GDB_REG_FS_BASE ? 8 : 4;
}

static uint8_t *gdb_reg(struct gdb_regs *r, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++)
		off += gdb_reg_size(i);
	return (uint8_t *)r + off;
}

/* Register n from hex at *pp into r (cleared by the caller): all 'x's leave it
 * alone, with its avail bit clear. */
static bool gdb_get_reg(const char **pp, struct gdb_regs *r, int n)
{
	size_t size = gdb_reg_size(n), i;

	for (i = 0; i < 2 * size && (*pp)[i] == 'x'; i++)
		;
	if (i < 2 * size) {
		if (!gdb_unhex(*pp, gdb_reg(r, n), size))
			return false;
		r->avail |= 1ull << n;
	}
	*pp += 2 * size;
	return true;
}

/*
 * g, G, p n, P n=v, on the Hg thread. The registers travel in enum gdb_regno
 * order, each as its little-endian bytes in hex, or as 'x's of its width when
 * unavailable. A G shorter than all of them sets the first ones only.
 */
static enum gdb_rsp_event gdb_regs_cmd(struct gdb_rsp *s, char op, const char *p)
{
	struct gdb_buf b = { .p = s->reply, .cap = sizeof(s->reply) };
	struct gdb_regs *r = &s->regs;
	uint64_t one = GDB_REGS; /* p, P: the register; g, G: all */
	int err;

	memset(r, 0, sizeof(*r));
	if ((op == 'p' || op == 'P') && (!gdb_get_hex(&p, &one) || one >= GDB_REGS))
		return gdb_reply(s, "E01");
	if (op == 'g' || op == 'p') {
		if (*p || s->ops->get_regs(s->ctx, gdb_thread(s, s->g_tid), r) != 0)
			return gdb_reply(s, "E01");
		for (int n = 0; n < GDB_REGS; n++) {
			if (one != GDB_REGS && n != (int)one)
				continue;
			if (r->avail & (1ull << n))
				buf_bytes(&b, gdb_reg(r, n), gdb_reg_size(n));
			else
				for (size_t i = 0; i < 2 * gdb_reg_size(n); i++)
					buf_putc(&b, 'x');
		}
		return gdb_reply_buf(s, &b);
	}
	if (op == 'P' && (!gdb_eat(&p, '=') || !gdb_get_reg(&p, r, (int)one)))
		return gdb_reply(s, "E01");
	if (op == 'G' && !*p)
		return gdb_reply(s, "E01");
	for (int n = 0; op == 'G' && n < GDB_REGS && *p; n++)
		if (!gdb_get_reg(&p, r, n))
			return gdb_reply(s, "E01");
	if (*p)
		return gdb_reply(s, "E01");
	err = s->ops->set_regs(s->ctx, gdb_thread(s, s->g_tid), r);
	return gdb_reply(s, err == -ESRCH ? "E01" : err ? "E02" : "OK");
}

/*
 * m addr,len: what can be read from addr on, at most what fits in one reply
 * (gdb takes a short answer and asks again). M addr,len:hex and X
 * addr,len:binary write len bytes exactly; X with len 0 is gdb's probe for X
 * support, answered OK without touching memory.
 */
static enum gdb_rsp_event gdb_mem(struct gdb_rsp *s, char op, const char *p)
{
	struct gdb_buf b = { .p = s->reply, .cap = sizeof(s->reply) };
	const void *data;
	uint64_t addr, len;
	size_t n;

	if (!gdb_get_range(&p, &addr, &len, op == 'm' ? '\0' : ':'))
		return gdb_reply(s, "E01");
	if (op == 'm') {
		n = len < sizeof(s->data) ? (size_t)len : sizeof(s->data);
		if (n) {
			size_t got = s->ops->read_mem(s->ctx, addr, s->data, n);

			if (!got)
				return gdb_reply(s, "E14");
			n = got < n ? got : n;
		}
		buf_bytes(&b, s->data, n);
		return gdb_reply_buf(s, &b);
	}
	if (op == 'X') {
		/* The data may hold NULs: its length comes from the packet's. */
		if (len != s->len - (size_t)(p - s->in))
			return gdb_reply(s, "E01");
		data = p;
	} else {
		/* all of it hex, so p[2 * len] is not past the NUL */
		if (len > sizeof(s->data) || !gdb_unhex(p, s->data, len) || p[2 * len])
			return gdb_reply(s, "E01");
		data = s->data;
	}
	if (len && s->ops->write_mem(s->ctx, addr, data, (size_t)len) != 0)
		return gdb_reply(s, "E14");
	return gdb_reply(s, "OK");
}

/* ---- running --------------------------------------------------------------- */

/* c [addr], s [addr], C sig[;addr], S sig[;addr]; the signal is not delivered. */
static enum gdb_rsp_event gdb_resume(struct gdb_rsp *s, char op, const char *p,
				     struct gdb_resume *r)
{
	uint64_t sig;

	memset(r, 0, sizeof(*r));
	if ((op == 'C' || op == 'S') &&
	    (!gdb_get_hex(&p, &sig) || (*p && (!gdb_eat(&p, ';') || !*p))))
		return gdb_reply(s, "E01");
	if (*p) {
		if (!gdb_get_hex(&p, &r->pc) || *p)
			return gdb_reply(s, "E01");
		r->set_pc = true;
	}
	r->how = op == 's' || op == 'S' ? GDB_RESUME_STEP : GDB_RESUME_CONTINUE;
	r->tid = gdb_thread(s, s->c_tid);
	return GDB_RSP_RESUME;
}

/*
 * vCont;ACTION[:tid]... in all-stop. A step (of the thread named, or else of
 * Hc's or the stopped one) wins over continue, since the target steps one
 * thread while the others stay; only c/C continue everything. Only t (stop)
 * leaves nothing to do, as we are stopped already: the reply is the stop.
 */
static enum gdb_rsp_event gdb_vcont(struct gdb_rsp *s, const char *p,
				    struct gdb_resume *r)
{
	bool step = false, cont = false;
	int step_tid = 0, tid;
	uint64_t sig;
	char a;

	memset(r, 0, sizeof(*r));
	while (gdb_eat(&p, ';')) {
		a = *p;
		if (a != 'c' && a != 'C' && a != 's' && a != 'S' && a != 't')
			return gdb_reply(s, "E01");
		p++;
		tid = -1;
		if (((a == 'C' || a == 'S') && !gdb_get_hex(&p, &sig)) ||
		    (gdb_eat(&p, ':') && !gdb_get_tid(&p, &tid)) || (*p && *p != ';'))
			return gdb_reply(s, "E01");
		if (a == 's' || a == 'S') {
			/* gdb applies the leftmost action that names a thread */
			if (tid > 0 && !step_tid)
				step_tid = tid;
			step = true;
		} else if (a != 't') {
			cont = true;
		}
	}
	if (step_tid && !gdb_thread_exists(s, step_tid))
		return gdb_reply(s, "E01");
	if (!step && !cont) {
		gdb_rsp_stopped(s, &s->stop);
		return GDB_RSP_REPLIED;
	}
	r->how = step ? GDB_RESUME_STEP : GDB_RESUME_CONTINUE;
	r->tid = step_tid ? step_tid : gdb_thread(s, s->c_tid);
	return GDB_RSP_RESUME;
}

/* Z/z type,addr,kind (gdb's ";cond" extensions are not announced). */
static enum gdb_rsp_event gdb_point(struct gdb_rsp *s, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	int err;

	if (!gdb_get_hex(&p, &type) || !gdb_eat(&p, ',') || !gdb_get_hex(&p, &addr) ||
	    !gdb_eat(&p, ',') || !gdb_get_hex(&p, &kind) || *p || kind > 0xffffffffu)
		return gdb_reply(s, "E01");
	if (type > GDB_POINT_ACCESS)
		return gdb_reply(s, "");
	err = s->ops->point(s->ctx, (enum gdb_point)type, addr, (unsigned)kind, insert);
	if (err == -EOPNOTSUPP)
		return gdb_reply(s, ""); /* gdb then stops asking for this type */
	return gdb_reply(s, err ? "E02" : "OK");
}

/* D, k and vKill end the session: a gdb that comes next starts with acks on. */
static enum gdb_rsp_event gdb_leave(struct gdb_rsp *s, int how, struct gdb_resume *r)
{
	memset(r, 0, sizeof(*r));
	r->how = how;
	s->no_ack = false;
	s->g_tid = 0;
	s->c_tid = 0;
	return GDB_RSP_RESUME;
}

/* ---- threads --------------------------------------------------------------- */

/* qfThreadInfo (first) and qsThreadInfo: "m1,2,3" as many as fit, then "l". */
static enum gdb_rsp_event gdb_thread_list(struct gdb_rsp *s, bool first)
{
	struct gdb_buf b = { .p = s->reply, .cap = sizeof(s->reply) };
	int tid;

	if (first)
		s->list_after = 0;
	/* list_after -1: the list was finished ("l") */
	tid = s->list_after < 0 ? 0 : s->ops->thread_next(s->ctx, s->list_after);
	if (tid <= 0) {
		s->list_after = -1;
		return gdb_reply(s, "l");
	}
	buf_putc(&b, 'm');
	do {
		if (b.n > 1)
			buf_putc(&b, ',');
		buf_num(&b, (unsigned)tid, 16);
		s->list_after = tid;
		tid = s->ops->thread_next(s->ctx, tid);
	} while (tid > 0 && b.n + sizeof(",7fffffff") <= b.cap);
	return gdb_reply_buf(s, &b);
}

/* qThreadExtraInfo,tid: "NAME, CPU n, STATE" in hex. The text is built in data[]. */
static enum gdb_rsp_event gdb_extra_info(struct gdb_rsp *s, const char *p)
{
	struct gdb_buf text = { .p = (char *)s->data, .cap = sizeof(s->data) };
	struct gdb_buf b = { .p = s->reply, .cap = sizeof(s->reply) };
	struct gdb_thread t;
	int tid;

	if (!gdb_get_tid(&p, &tid) || *p || tid <= 0 ||
	    s->ops->thread_info(s->ctx, tid, &t) != 0)
		return gdb_reply(s, "E01");
	buf_field(&text, t.name, sizeof(t.name), false);
	buf_puts(&text, ", ");
	buf_cpu_state(&text, &t, false);
	buf_bytes(&b, s->data, text.n);
	return gdb_reply_buf(s, &b);
}

/* The qXfer:threads document, generated the same way on every request. */
static void gdb_threads_xml(struct gdb_rsp *s, struct gdb_buf *b)
{
	struct gdb_thread t;
	int tid = 0;

	buf_puts(b, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (int i = 0; i < GDB_THREADS_MAX; i++) {
		tid = s->ops->thread_next(s->ctx, tid);
		if (tid <= 0)
			break;
		if (s->ops->thread_info(s->ctx, tid, &t) != 0)
			continue; /* gone between the two calls: leave it out */
		buf_puts(b, "<thread id=\"");
		buf_num(b, (unsigned)tid, 16);
		buf_puts(b, "\" core=\"");
		buf_num(b, (unsigned)t.cpu, 10);
		buf_puts(b, "\" name=\"");
		buf_field(b, t.name, sizeof(t.name), true);
		buf_puts(b, "\">");
		buf_cpu_state(b, &t, true);
		buf_puts(b, "</thread>\n");
	}
	buf_puts(b, "</threads>\n");
}

/*
 * qXfer:OBJECT:read:ANNEX:off,len: 'm' and the slice when more follows, 'l' and
 * the slice when it reaches the end. The data is binary, and gdb_rsp_send's
 * escapes are exactly the escaping the protocol asks of it.
 */
static enum gdb_rsp_event gdb_qxfer(struct gdb_rsp *s, const char *p)
{
	struct gdb_buf b = { .p = s->reply + 1 }; /* reply[0]: the 'm' or 'l' */
	uint64_t len;
	bool threads;

	if (gdb_prefix(&p, "features:read:target.xml:"))
		threads = false;
	else if (gdb_prefix(&p, "threads:read::"))
		threads = true;
	else if (gdb_prefix(&p, "features:read:") || gdb_prefix(&p, "threads:read:"))
		return gdb_reply(s, "E00");
	else
		return gdb_reply(s, ""); /* auxv, libraries, ...: not offered */
	if (!gdb_get_hex(&p, &b.skip) || !gdb_eat(&p, ',') || !gdb_get_hex(&p, &len) ||
	    *p || !len)
		return gdb_reply(s, "E00");
	b.cap = len < sizeof(s->reply) ? (size_t)len : sizeof(s->reply) - 1;
	if (threads)
		gdb_threads_xml(s, &b);
	else
		buf_puts(&b, gdb_target_xml);
	if (b.skip > b.pos)
		return gdb_reply(s, "E01");
	s->reply[0] = b.pos - b.skip > b.n ? 'm' : 'l';
	gdb_rsp_send(s, s->reply, b.n + 1);
	return GDB_RSP_REPLIED;
}

/* ---- commands -------------------------------------------------------------- */

static enum gdb_rsp_event gdb_query(struct gdb_rsp *s, const char *p)
{
	struct gdb_buf b = { .p = s->reply, .cap = sizeof(s->reply) };

	/* gdb's own features (multiprocess+, fork-events+...) are declined by
	 * leaving them out. PacketSize is GDB_PACKET_MAX in hex. */
	if (gdb_word(p, "Supported"))
		return gdb_reply(s, "PacketSize=1000;qXfer:features:read+;"
				    "qXfer:threads:read+;swbreak+;hwbreak+;"
				    "vContSupported+;QStartNoAckMode+");
	/* "1": gdb did not start the target, so it detaches rather than kills. */
	if (gdb_word(p, "Attached"))
		return gdb_reply(s, "1");
	if (!strcmp(p, "C")) {
		buf_puts(&b, "QC");
		buf_num(&b, (unsigned)s->stop.tid, 16);
		return gdb_reply_buf(s, &b);
	}
	if (!strcmp(p, "fThreadInfo") || !strcmp(p, "sThreadInfo"))
		return gdb_thread_list(s, *p == 'f');
	if (gdb_prefix(&p, "ThreadExtraInfo,"))
		return gdb_extra_info(s, p);
	if (gdb_prefix(&p, "Xfer:"))
		return gdb_qxfer(s, p);
	if (gdb_prefix(&p, "Symbol:"))
		return gdb_reply(s, "OK"); /* no symbols wanted */
	return gdb_reply(s, ""); /* qOffsets, qTStatus, ...: not supported */
}

enum gdb_rsp_event gdb_rsp_command(struct gdb_rsp *s, const char *payload, size_t len,
				   struct gdb_resume *r)
{
	const char *p = s->in + 1;
	uint64_t pid;
	char op;
	int tid;

	if (len > GDB_PACKET_MAX)
		return gdb_reply(s, "E01");
	/* The parsers want the payload in s->in, NUL-terminated. */
	if (payload != s->in)
		memmove(s->in, payload, len);
	s->in[len] = '\0';
	s->len = len;
	op = s->in[0];
	if (op && strchr("gGpP", op))
		return gdb_regs_cmd(s, op, p);
	if (op && strchr("mMX", op))
		return gdb_mem(s, op, p);
	if (op && strchr("csCS", op))
		return gdb_resume(s, op, p, r);
	switch (op) {
	case '?':
		gdb_rsp_stopped(s, &s->stop);
		return GDB_RSP_REPLIED;
	case 'Z':
	case 'z':
		return gdb_point(s, p, op == 'Z');
	case 'T':
		if (!gdb_get_tid(&p, &tid) || *p || !gdb_thread_exists(s, tid))
			return gdb_reply(s, "E01");
		return gdb_reply(s, "OK");
	case 'H':
		op = *p++;
		if ((op != 'g' && op != 'c') || !gdb_get_tid(&p, &tid) || *p ||
		    (tid > 0 && !gdb_thread_exists(s, tid)))
			return gdb_reply(s, "E01");
		*(op == 'g' ? &s->g_tid : &s->c_tid) = tid;
		return gdb_reply(s, "OK");
	case 'D':
		if (*p && (!gdb_eat(&p, ';') || !gdb_get_hex(&p, &pid) || *p))
			return gdb_reply(s, "E01");
		gdb_reply(s, "OK");
		return gdb_leave(s, GDB_RESUME_DETACH, r);
	case 'k':
		return gdb_leave(s, GDB_RESUME_KILL, r); /* k has no reply */
	case 'q':
		return gdb_query(s, p);
	case 'Q':
		if (strcmp(p, "StartNoAckMode") != 0)
			return gdb_reply(s, "");
		/* This OK still goes out under acks; gdb acks it, then no more. */
		gdb_reply(s, "OK");
		s->no_ack = true;
		return GDB_RSP_REPLIED;
	case 'v':
		if (!strcmp(p, "Cont?"))
			return gdb_reply(s, "vCont;c;C;s;S;t");
		if (!strncmp(p, "Cont;", 5))
			return gdb_vcont(s, p + 4, r);
		if (!strcmp(p, "Kill") || !strncmp(p, "Kill;", 5)) {
			gdb_reply(s, "OK");
			return gdb_leave(s, GDB_RESUME_KILL, r);
		}
		return gdb_reply(s, ""); /* vMustReplyEmpty, vFile, ... */
	default:
		return gdb_reply(s, "");
	}
}

/* ---- the session ----------------------------------------------------------- */

void gdb_rsp_init(struct gdb_rsp *s, const struct gdb_target_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->state = GDB_IDLE;
	s->stop.signal = 5; /* SIGTRAP: gdb finds the target stopped */
	s->stop.tid = 1;
	s->stop.why = GDB_STOP_SIGNAL;
}

void gdb_rsp_stopped(struct gdb_rsp *s, const struct gdb_stop *stop)
{
	static const char *const why[] = {
		[GDB_STOP_SWBREAK] = "swbreak:", [GDB_STOP_HWBREAK] = "hwbreak:",
		[GDB_STOP_WATCH] = "watch:",	 [GDB_STOP_RWATCH] = "rwatch:",
		[GDB_STOP_AWATCH] = "awatch:",
	};
	struct gdb_buf b = { .p = s->reply, .cap = sizeof(s->reply) };
	const struct gdb_stop *st = &s->stop;
	uint8_t sig;

	if (stop != st) /* '?' passes &s->stop */
		s->stop = *stop;
	/* gdb takes the thread of a stop reply for the Hg thread from then on
	 * (remote.c's record_currthread), so the stub must do the same. */
	s->g_tid = 0;
	sig = (uint8_t)st->signal;
	buf_putc(&b, st->why == GDB_STOP_EXITED ? 'W' : 'T');
	buf_bytes(&b, &sig, 1);
	if (st->why != GDB_STOP_EXITED) {
		buf_puts(&b, "thread:");
		buf_num(&b, (unsigned)st->tid, 16);
		buf_putc(&b, ';');
	}
	if (st->why > GDB_STOP_SIGNAL && st->why < GDB_STOP_EXITED) {
		buf_puts(&b, why[st->why]);
		if (st->why >= GDB_STOP_WATCH)
			buf_num(&b, st->addr, 16);
		buf_putc(&b, ';');
	}
	gdb_reply_buf(s, &b);
}

static void gdb_ack(struct gdb_rsp *s, char c)
{
	if (!s->no_ack)
		s->ops->send(s->ctx, &c, 1);
}

enum gdb_rsp_event gdb_rsp_input(struct gdb_rsp *s, uint8_t byte, struct gdb_resume *r)
{
	int d;

	if (byte == '$') {
		s->state = GDB_DATA;
		s->len = 0;
		s->sum = 0;
		s->overflow = s->escape = false;
		return GDB_RSP_NONE;
	}
	switch (s->state) {
	case GDB_DATA:
		if (byte == '#') {
			s->state = GDB_SUM1;
			return GDB_RSP_NONE;
		}
		s->sum += byte; /* the checksum covers the bytes as sent */
		if (s->escape) {
			byte ^= 0x20;
			s->escape = false;
		} else if (byte == '}') {
			s->escape = true;
			return GDB_RSP_NONE;
		}
		/* Past the limit the bytes are only summed, until the '#'. */
		if (s->len < GDB_PACKET_MAX)
			s->in[s->len++] = (char)byte;
		else
			s->overflow = true;
		return GDB_RSP_NONE;
	case GDB_SUM1:
	case GDB_SUM2:
		d = gdb_hexval((char)byte);
		if (d >= 0 && s->state == GDB_SUM1) {
			s->check = (uint8_t)(d << 4);
			s->state = GDB_SUM2;
			return GDB_RSP_NONE;
		}
		s->state = GDB_IDLE;
		if (d < 0 || (s->check | d) != s->sum || s->overflow || s->escape) {
			gdb_ack(s, '-'); /* gdb sends it again */
			return GDB_RSP_NONE;
		}
		/* A new gdb starts with qSupported, in ack mode, whatever the one
		 * before it (which may have died) had agreed. */
		if (s->len >= 10 && !memcmp(s->in, "qSupported", 10))
			s->no_ack = false;
		gdb_ack(s, '+');
		return gdb_rsp_command(s, s->in, s->len, r);
	default:
		if (byte == 0x03)
			return GDB_RSP_INTERRUPT;
		/* A '-' asks for the last reply again; without acks it is noise. */
		if (byte == '-' && !s->no_ack && s->out_len)
			s->ops->send(s->ctx, s->out, s->out_len);
		return GDB_RSP_NONE; /* '+', and anything else between packets */
	}
}

/* ---- target.xml ------------------------------------------------------------ */

/*
 * gdb's amd64 description (its features/i386/64bit-core.xml, 64bit-sse.xml,
 * 64bit-segments.xml) in one document, registers numbered as enum gdb_regno:
 * regnum= is given where a feature starts, the others follow in order.
 */
/* clang-format off */
#define GDB_FIELD(n, bit) "<field name=\"" n "\" start=\"" #bit "\" end=\"" #bit "\"/>"
#define GDB_REG(n, bits, type) "<reg name=\"" n "\" bitsize=\"" #bits "\" type=\"" type "\"/>"
#define GDB_R64(n) GDB_REG(n, 64, "int64")
#define GDB_SEG(n) GDB_REG(n, 32, "int32")
#define GDB_ST(n) GDB_REG("st" #n, 80, "i387_ext")
#define GDB_FP(n) "<reg name=\"" n "\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
#define GDB_XMM(n) GDB_REG("xmm" #n, 128, "vec128")
#define GDB_VEC(id, type, count) "<vector id=\"" id "\" type=\"" type "\" count=\"" #count "\"/>"
#define GDB_UFIELD(n, type) "<field name=\"" n "\" type=\"" type "\"/>"

const char gdb_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"<flags id=\"i386_eflags\" size=\"4\">"
	GDB_FIELD("CF", 0) GDB_FIELD("", 1) GDB_FIELD("PF", 2) GDB_FIELD("AF", 4)
	GDB_FIELD("ZF", 6) GDB_FIELD("SF", 7) GDB_FIELD("TF", 8) GDB_FIELD("IF", 9)
	GDB_FIELD("DF", 10) GDB_FIELD("OF", 11) GDB_FIELD("NT", 14) GDB_FIELD("RF", 16)
	GDB_FIELD("VM", 17) GDB_FIELD("AC", 18) GDB_FIELD("VIF", 19) GDB_FIELD("VIP", 20)
	GDB_FIELD("ID", 21) "</flags>\n"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"
	GDB_R64("rbx") GDB_R64("rcx") GDB_R64("rdx") GDB_R64("rsi") GDB_R64("rdi")
	GDB_REG("rbp", 64, "data_ptr") GDB_REG("rsp", 64, "data_ptr")
	GDB_R64("r8") GDB_R64("r9") GDB_R64("r10") GDB_R64("r11")
	GDB_R64("r12") GDB_R64("r13") GDB_R64("r14") GDB_R64("r15") "\n"
	GDB_REG("rip", 64, "code_ptr") GDB_REG("eflags", 32, "i386_eflags")
	GDB_SEG("cs") GDB_SEG("ss") GDB_SEG("ds") GDB_SEG("es") GDB_SEG("fs") GDB_SEG("gs") "\n"
	GDB_ST(0) GDB_ST(1) GDB_ST(2) GDB_ST(3) GDB_ST(4) GDB_ST(5) GDB_ST(6) GDB_ST(7) "\n"
	GDB_FP("fctrl") GDB_FP("fstat") GDB_FP("ftag") GDB_FP("fiseg")
	GDB_FP("fioff") GDB_FP("foseg") GDB_FP("fooff") GDB_FP("fop") "\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.sse\">\n"
	GDB_VEC("v4f", "ieee_single", 4) GDB_VEC("v2d", "ieee_double", 2)
	GDB_VEC("v16i8", "int8", 16) GDB_VEC("v8i16", "int16", 8)
	GDB_VEC("v4i32", "int32", 4) GDB_VEC("v2i64", "int64", 2) "\n"
	"<union id=\"vec128\">"
	GDB_UFIELD("v4_float", "v4f") GDB_UFIELD("v2_double", "v2d")
	GDB_UFIELD("v16_int8", "v16i8") GDB_UFIELD("v8_int16", "v8i16")
	GDB_UFIELD("v4_int32", "v4i32") GDB_UFIELD("v2_int64", "v2i64")
	GDB_UFIELD("uint128", "uint128") "</union>\n"
	"<flags id=\"i386_mxcsr\" size=\"4\">"
	GDB_FIELD("IE", 0) GDB_FIELD("DE", 1) GDB_FIELD("ZE", 2) GDB_FIELD("OE", 3)
	GDB_FIELD("UE", 4) GDB_FIELD("PE", 5) GDB_FIELD("DAZ", 6) GDB_FIELD("IM", 7)
	GDB_FIELD("DM", 8) GDB_FIELD("ZM", 9) GDB_FIELD("OM", 10) GDB_FIELD("UM", 11)
	GDB_FIELD("PM", 12) GDB_FIELD("FZ", 15) "</flags>\n"
	"<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/>"
	GDB_XMM(1) GDB_XMM(2) GDB_XMM(3) GDB_XMM(4) GDB_XMM(5) GDB_XMM(6) GDB_XMM(7)
	GDB_XMM(8) GDB_XMM(9) GDB_XMM(10) GDB_XMM(11) GDB_XMM(12) GDB_XMM(13)
	GDB_XMM(14) GDB_XMM(15) "\n"
	"<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int64\" regnum=\"57\"/>"
	GDB_R64("gs_base") "\n"
	"</feature>\n"
	"</target>\n";
/* clang-format on */
