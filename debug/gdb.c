/* SPDX-License-Identifier: MIT */
/*
 * The GDB stub: when it runs, how the CPUs stop and go together, and the
 * transport. The protocol is lib/gdb_rsp.c; registers, memory, points and
 * threads are debug/target.c.
 *
 * All-stop. The first CPU to enter (a breakpoint, a step, a fault, Ctrl-C, a
 * first packet) claims `stopper`, sends every other CPU an NMI and waits (up to
 * PARK_NS) until each has parked: saved its frame and counted itself in this
 * stop (`parked_seq`). Only then does it report the stop. Every CPU then waits
 * in cpu_loop(); the `talker` (the claiming CPU) runs the protocol by polling
 * the transport with interrupts off. `c` releases them all (each loads the debug
 * registers on the way out, so hardware points apply on every CPU). `s` lets
 * only the stepped thread's CPU out, with TF set; its #DB (or the fault of the
 * stepped instruction) makes it the talker while the others stay stopped.
 *
 * A CPU that traps while another CPU is stopping the machine waits for the
 * claim: the NMI parks it meanwhile, and once released it reports its own trap.
 *
 * While the machine runs, bytes from gdb arrive by interrupt (the virtio port's,
 * or IRQ 3 for COM2): 0x03 stops it with SIGINT; a packet (a debugger that just
 * connected) stops it silently, and gdb then asks `?`. gdb hanging up removes
 * every point and ends the session.
 *
 * Limits: the NMI handler shares the exception stack (IST1), so an NMI that
 * lands while its CPU handles an exception on that stack overwrites it; and a
 * hardware watchpoint that fires on one CPU while another is stopping the
 * machine is reported late or not at all.
 */
#include "debug/gdb.h"

#include <stdatomic.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "debug/target.h"
#include "drivers/virtio/console.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "lib/kstring.h"
#include "platform/clock.h"
#include "platform/ioapic.h"
#include "platform/lapic.h"
#include "platform/platform.h"
#include "toro/toro.h"

#define PARK_NS 1000000000ull /* how long the stopping CPU waits for the others */
#define COM2_IRQ 3

/* GDB's signal numbers (include/gdb/signals.def). */
#define SIG_INT 2
#define SIG_ILL 4
#define SIG_TRAP 5
#define SIG_ABRT 6
#define SIG_FPE 8
#define SIG_BUS 10
#define SIG_SEGV 11

#define MODE_WAIT (1u << 0)
#define MODE_CRASH (1u << 1)
#define MODE_UART (1u << 2)

static unsigned mode;
static enum { NO_PORT, VIRTIO_PORT, UART_PORT } transport;
static uint64_t park_ticks;
static struct gdb_rsp rsp;
static _Atomic bool attached; /* a debugger talks to us */
static _Atomic int stopper = -1; /* the CPU that stopped the machine, -1: running */
static _Atomic int talker = -1; /* the CPU that runs the protocol */
static _Atomic int stepping = -1; /* the CPU let out for one instruction */
static _Atomic unsigned stop_seq; /* numbers the stops */
static _Atomic unsigned parked_seq[PCPU_MAX]; /* the stop each CPU has joined */
static bool waiting; /* the int3 of gdb_wait is the next trap */
static int fatal_signal; /* the program dies of it once gdb lets go */

/* ---- transport --------------------------------------------------------------- */

/*
 * A new debugger must get no reply to what the one that left had sent: QEMU
 * drops what is sent while no one is connected, not what is sent after the
 * next one connects. So the hang-up is looked for before every byte read and
 * before every write (a reply can take long to build; the old debugger may
 * have gone, and a new one come, meanwhile). A hang-up seen while writing
 * drops the rest of that reply; the next read starts the stub afresh.
 */
static bool gone;

void gdb_send(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	if (transport == UART_PORT)
		plat_uart2_write(buf, n);
	else if (!gone && !(gone = vcon_debug_hung_up()))
		vcon_debug_write(buf, n);
}

static void hung_up(void);

static int rx_byte(void)
{
	uint8_t c;

	if (transport == UART_PORT)
		return plat_uart2_getc();
	if (gone || vcon_debug_hung_up()) {
		gone = false;
		hung_up();
	}
	return vcon_debug_read(&c, 1) ? c : -1;
}

/* ---- stopping and resuming ----------------------------------------------------- */

static int current_tid(void)
{
	struct thread *t = this_cpu()->current;

	return t ? gdb_tid_of(t) : 1;
}

static void save_cpu(int me, struct trap_frame *f)
{
	struct gdb_cpu *c = &gdb_cpus[me];
	uint16_t ds, es, fs, gs;

	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	__asm__ volatile("mov %%es, %0" : "=r"(es));
	__asm__ volatile("mov %%fs, %0" : "=r"(fs));
	__asm__ volatile("mov %%gs, %0" : "=r"(gs));
	c->ds = ds;
	c->es = es;
	c->fs = fs;
	c->gs = gs;
	c->fs_base = rdmsr(MSR_FS_BASE);
	c->gs_base = rdmsr(MSR_GS_BASE);
	c->frame = f;
}

/* Brings every other CPU into this stop; gives up on one after PARK_NS. */
static void stop_others(int me)
{
	unsigned seq = atomic_fetch_add(&stop_seq, 1) + 1;
	uint64_t end;

	for (int c = 0; c < toro_ncpus(); c++)
		if (c != me && atomic_load(&pcpus[c].online))
			lapic_send_nmi(pcpus[c].apic_id);
	end = rdtsc() + park_ticks;
	for (int c = 0; c < toro_ncpus(); c++)
		while (c != me && atomic_load(&pcpus[c].online) &&
		       atomic_load(&parked_seq[c]) != seq && rdtsc() < end)
			cpu_relax();
}

static void release_all(void)
{
	atomic_store(&talker, -1);
	atomic_store(&stepping, -1);
	atomic_store(&stopper, -1);
}

/* Acts on what gdb asked for; false: stay stopped and keep talking. */
static bool resume(const struct gdb_resume *r)
{
	int tid = r->tid > 0 ? r->tid : rsp.stop.tid;
	struct trap_frame *f = gdb_frame_of(tid);

	if (r->set_pc && f)
		f->rip = r->pc;
	switch (r->how) {
	case GDB_RESUME_KILL:
		plat_exit(TORO_EXIT_PANIC);
	case GDB_RESUME_DETACH:
		gdb_points_clear();
		atomic_store(&attached, false);
		release_all();
		return true;
	case GDB_RESUME_STEP:
		if (!f) {
			/* Not on a CPU (switched out): it cannot run alone. */
			gdb_rsp_send(&rsp, "E01", 3);
			return false;
		}
		f->rflags |= RFLAGS_TF;
		atomic_store(&talker, -1);
		atomic_store(&stepping, gdb_thread_of(tid)->cpu);
		return true;
	default:
		release_all();
		return true;
	}
}

static void talk(void)
{
	struct gdb_resume r;
	int c;

	for (;;) {
		if ((c = rx_byte()) < 0) {
			cpu_relax();
			continue;
		}
		switch (gdb_rsp_input(&rsp, (uint8_t)c, &r)) {
		case GDB_RSP_RESUME:
			atomic_store(&attached, true);
			if (resume(&r))
				return;
			break;
		case GDB_RSP_REPLIED:
			atomic_store(&attached, true);
			break;
		default:
			break; /* 0x03 while stopped, acks, noise */
		}
	}
}

/* Where every CPU waits while the machine is stopped; returns when it may run. */
static void cpu_loop(int me)
{
	for (;;) {
		if (atomic_load(&stopper) < 0)
			break;
		atomic_store(&parked_seq[me], atomic_load(&stop_seq));
		if (atomic_load(&talker) == me)
			talk();
		else if (atomic_load(&stepping) == me)
			break;
		else
			cpu_relax();
	}
	gdb_points_load();
	gdb_cpus[me].frame->rflags |= RFLAGS_RF; /* past a hardware breakpoint */
	gdb_cpus[me].frame = NULL;
}

/* This CPU stops the machine (or ends its step) and reports st. */
static void enter(struct trap_frame *f, const struct gdb_stop *st, bool report)
{
	int me = pcpu_id(), none;

	if (atomic_load(&stepping) == me) {
		atomic_store(&stepping, -1);
		f->rflags &= ~RFLAGS_TF;
		save_cpu(me, f);
		atomic_store(&talker, me);
		gdb_rsp_stopped(&rsp, st); /* gdb waits for it */
		cpu_loop(me);
		return;
	}
	for (;;) {
		none = -1;
		if (atomic_compare_exchange_strong(&stopper, &none, me))
			break;
		cpu_relax(); /* another CPU is stopping us: its NMI parks us here */
	}
	save_cpu(me, f);
	stop_others(me);
	atomic_store(&talker, me);
	if (report)
		gdb_rsp_stopped(&rsp, st);
	else
		rsp.stop = *st; /* for gdb's `?` */
	cpu_loop(me);
}

static bool nmi(struct trap_frame *f)
{
	int me = pcpu_id(), s = atomic_load(&stopper);

	/* None in progress: an NMI sent to a CPU that had parked already. */
	if (s < 0 || s == me)
		return true;
	save_cpu(me, f);
	cpu_loop(me);
	return true;
}

/* ---- while running ------------------------------------------------------------ */

/* The debugger hung up: its points go, the next one starts afresh. */
static void hung_up(void)
{
	struct gdb_stop st = rsp.stop; /* stopped, the next debugger asks `?` */

	gdb_points_clear();
	gdb_points_load();
	gdb_rsp_init(&rsp, &gdb_target_ops, NULL);
	rsp.stop = st;
	atomic_store(&attached, false);
}

/* Bytes from gdb while the machine runs; f is what the interrupt stopped. */
static void poll_running(struct trap_frame *f)
{
	struct gdb_stop st = { .why = GDB_STOP_SIGNAL };
	struct gdb_resume r;
	int c;

	if (atomic_load(&stopper) >= 0)
		return; /* a CPU out for a step: the talker reads the port */
	while ((c = rx_byte()) >= 0) {
		st.tid = current_tid();
		switch (gdb_rsp_input(&rsp, (uint8_t)c, &r)) {
		case GDB_RSP_INTERRUPT:
			st.signal = SIG_INT;
			enter(f, &st, true);
			break;
		case GDB_RSP_REPLIED:
			atomic_store(&attached, true);
			st.signal = SIG_TRAP;
			enter(f, &st, false);
			break;
		default:
			break; /* a resume while running: the stop reply comes later */
		}
	}
}

static void port_hook(void)
{
	poll_running(this_cpu()->irq_frame);
}

static void uart_irq(struct trap_frame *f, void *arg)
{
	(void)arg;
	poll_running(f);
}

/* ---- entry points ------------------------------------------------------------- */

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t k = e ? (size_t)(e - p) : strlen(p);

		if (k == n && !strncmp(p, w, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static void uart_setup(void)
{
	unsigned flags;
	uint32_t gsi = ioapic_isa_gsi(COM2_IRQ, &flags);
	unsigned vector = IRQ_VECTOR_DEVICE + gsi;

	if (!plat_uart2_init())
		return;
	transport = UART_PORT;
	/* Without its interrupt only a stop (a breakpoint, a fault) lets gdb in. */
	if (gsi < IRQ_VECTOR_TIMER - IRQ_VECTOR_DEVICE &&
	    !irq_register(vector, uart_irq, NULL) &&
	    !ioapic_route(gsi, (uint8_t)vector, 0, flags))
		plat_uart2_enable_rx_irq();
}

void gdb_init(void)
{
	const char *p = toro_param("gdb");

	mode = (has_word(p, "wait") ? MODE_WAIT : 0) |
	       (has_word(p, "crash") ? MODE_CRASH : 0) |
	       (has_word(p, "uart") ? MODE_UART : 0);
	if (!(mode & MODE_UART) && !vcon_debug_port()) {
		if (p)
			printk("gdb: no debugger port (toro run --gdb gives one); gdb=%s ignored\n",
			       p);
		return;
	}
	/* Ready before the first byte can arrive: its interrupt reads it. */
	park_ticks = clock_ns_to_ticks(PARK_NS);
	gdb_rsp_init(&rsp, &gdb_target_ops, NULL);
	if (mode & MODE_UART) {
		uart_setup();
		if (transport == NO_PORT)
			printk("gdb: no second UART; gdb=%s ignored\n", p);
	} else {
		transport = VIRTIO_PORT;
		vcon_debug_hook(port_hook);
	}
}

void gdb_wait(void)
{
	if (!(mode & MODE_WAIT) || transport == NO_PORT || atomic_load(&attached))
		return;
	printk("gdb: waiting for a debugger\n");
	waiting = true;
	__asm__ volatile("int3");
}

bool gdb_attached(void)
{
	return atomic_load(&attached);
}

bool gdb_debug_trap(struct trap_frame *f)
{
	struct gdb_stop st = { .signal = SIG_TRAP, .why = GDB_STOP_SIGNAL };
	uint64_t dr6;
	bool report = true;

	if (transport == NO_PORT)
		return false;
	if (f->vector == 2)
		return nmi(f);
	st.tid = current_tid();
	if (f->vector == 3) {
		if (gdb_sw_point_at(f->rip - 1)) {
			f->rip--; /* gdb wants the breakpoint's address */
			st.why = GDB_STOP_SWBREAK;
		} else if (waiting && pcpu_id() == 0) {
			waiting = false;
			report = false; /* gdb has not asked yet */
		} else if (!atomic_load(&attached)) {
			return false; /* an int3 in the program, nobody to see it */
		}
		enter(f, &st, report);
		return true;
	}
	dr6 = read_dr6();
	write_dr6(0);
	if (!(dr6 & DR6_BS) && !gdb_hw_hit(dr6, &st) &&
	    atomic_load(&stepping) != pcpu_id()) {
		/* A point gdb has removed, still in this CPU's registers. */
		gdb_points_load();
		f->rflags |= RFLAGS_RF;
		return true;
	}
	enter(f, &st, true);
	return true;
}

static int signal_of(uint64_t vector)
{
	switch (vector) {
	case 0: /* #DE */
	case 16: /* #MF */
	case 19: /* #XM */
		return SIG_FPE;
	case 6: /* #UD */
		return SIG_ILL;
	case 17: /* #AC */
		return SIG_BUS;
	default:
		return SIG_SEGV;
	}
}

void gdb_fatal(struct trap_frame *f, bool panic)
{
	struct gdb_stop st = { .why = GDB_STOP_SIGNAL };
	int me = pcpu_id();

	if (transport == NO_PORT || (!atomic_load(&attached) && !(mode & MODE_CRASH)))
		return;
	/* The stub itself failed: no stopping in it again. */
	if (atomic_load(&stopper) == me && atomic_load(&stepping) != me)
		return;
	st.signal = panic ? SIG_ABRT : signal_of(f->vector);
	st.tid = current_tid();
	if (!atomic_load(&attached))
		printk("gdb: stopped for a debugger (gdb=crash)\n");
	enter(f, &st, atomic_load(&attached));
	fatal_signal = st.signal;
}

void gdb_exit(int code)
{
	static const char hex[] = "0123456789abcdef";
	int v = fatal_signal ? fatal_signal : code;
	char m[3] = { fatal_signal ? 'X' : 'W', hex[(v >> 4) & 15], hex[v & 15] };

	if (transport != NO_PORT && atomic_load(&attached))
		gdb_rsp_send(&rsp, m, sizeof(m));
}
