/* SPDX-License-Identifier: MIT */
/*
 * Mailboxes between CPUs, on the lock-free rings of lib/mbox.
 *
 * Every ordered pair of CPUs (s, d) has two rings that only s writes and only d
 * reads: a control ring for the kernel (create this thread, wake that one) and a
 * ring for toro_mbox_send/recv. A CPU looks at the rings aimed at it whenever it
 * schedules, when it is about to halt, and when it gets the wake-up IPI, which a
 * sender sends only when the receiver said it was going to halt (mbox_waiter).
 */
#include "kernel/mbox.h"
#include "kernel/trace.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "kernel/kmem.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "lib/mbox.h"
#include "platform/clock.h"
#include "platform/lapic.h"
#include "toro/toro.h"

#define CTL_RING 1024 /* bytes of each control ring: 64 messages */
#define USER_RING 4096 /* bytes of each application ring */

struct ctl_msg {
	uint32_t type; /* MBOX_CTL_* */
	uint32_t reserved; /* zero */
	void *arg; /* the thread concerned */
};

struct pair {
	struct mbox_ring ctl; /* kernel messages s -> d */
	struct mbox_ring user; /* application messages s -> d */
};

static struct pair *pairs; /* ncpus * ncpus, [s * ncpus + d] */
static int nboxes; /* the ncpus the array was built for */
static struct mbox_waiter waiters[PCPU_MAX];
static struct waitq user_waiters[PCPU_MAX]; /* threads in toro_mbox_recv */
static mbox_ctl_handler ctl_handler;

static struct pair *pair(int s, int d)
{
	return &pairs[s * nboxes + d];
}

static void wake_irq(struct trap_frame *f, void *arg)
{
	(void)f;
	(void)arg;
	mbox_waiter_wake(&waiters[pcpu_id()]);
	mbox_poll();
}

int mbox_init(int ncpus, mbox_ctl_handler handler)
{
	size_t rings = (size_t)ncpus * (size_t)ncpus;
	size_t bytes = rings * (sizeof(struct pair) + CTL_RING + USER_RING);
	char *mem = kmem_pages_alloc((bytes + PAGE_SIZE - 1) / PAGE_SIZE);

	if (!mem)
		return -ENOMEM;
	pairs = (struct pair *)mem;
	mem += rings * sizeof(struct pair);
	for (size_t i = 0; i < rings; i++) {
		mbox_ring_init(&pairs[i].ctl, mem, CTL_RING);
		mbox_ring_init(&pairs[i].user, mem + CTL_RING, USER_RING);
		mem += CTL_RING + USER_RING;
	}
	for (int i = 0; i < ncpus; i++)
		mbox_waiter_init(&waiters[i]);
	ctl_handler = handler;
	nboxes = ncpus;
	return irq_register(IRQ_VECTOR_WAKE, wake_irq, NULL);
}

static void ipi(int cpu)
{
	trace(TRACE_G_IPI, TRACE_IPI, (uint32_t)cpu, IRQ_VECTOR_WAKE, 0);
	lapic_send_ipi(pcpus[cpu].apic_id, IRQ_VECTOR_WAKE);
}

static void kick(int cpu)
{
	if (mbox_send_needs_ipi(&waiters[cpu]))
		ipi(cpu);
}

void mbox_send_ctl(int cpu, unsigned type, void *arg)
{
	struct ctl_msg m = { type, 0, arg };
	bool on = irq_save();
	struct mbox_ring *r = &pair(pcpu_id(), cpu)->ctl;

	trace(TRACE_G_MBOX, TRACE_MBOX_SEND, (uint32_t)cpu, type, 0);

	/* Control messages cannot be dropped: wait for the receiver to make room,
	 * serving our own inbox meanwhile in case it is waiting for us too. */
	while (mbox_ring_send(r, &m, sizeof(m)) == -EAGAIN) {
		/* A busy receiver only drains at its next switch: interrupt it. */
		ipi(cpu);
		mbox_poll();
		cpu_relax();
	}
	kick(cpu);
	irq_restore(on);
}

bool mbox_poll(void)
{
	int self = pcpu_id();
	bool user = false, any = false;
	struct ctl_msg m;
	uint32_t taken = 0;

	if (!pairs)
		return false;
	for (int s = 0; s < nboxes; s++) {
		struct pair *p = pair(s, self);

		while (mbox_ring_recv(&p->ctl, &m, sizeof(m)) == (long)sizeof(m)) {
			ctl_handler(m.type, m.arg);
			any = true;
			taken++;
		}
		user |= !mbox_ring_empty(&p->user);
	}
	if (user && user_waiters[self].head) {
		sched_wake_all(&user_waiters[self]);
		any = true;
	}
	if (taken)
		trace(TRACE_G_MBOX, TRACE_MBOX_RECV, taken, 0, 0);
	return any;
}

void mbox_idle_prepare(void)
{
	mbox_waiter_prepare_sleep(&waiters[pcpu_id()]);
}

void mbox_idle_done(void)
{
	mbox_waiter_wake(&waiters[pcpu_id()]);
}

int toro_mbox_send(int cpu, const void *msg, size_t len)
{
	int r;

	if (cpu < 0 || cpu >= nboxes || (!msg && len))
		return -EINVAL;
	bool on = irq_save();

	r = mbox_ring_send(&pair(pcpu_id(), cpu)->user, msg, len);
	if (r == 0) {
		trace(TRACE_G_MBOX, TRACE_MBOX_SEND, (uint32_t)cpu, len, 1);
		kick(cpu);
	}
	irq_restore(on);
	return r;
}

long toro_mbox_recv(int *from, void *buf, size_t size, int64_t timeout_ns)
{
	int self = pcpu_id();
	uint64_t deadline =
		timeout_ns > 0 ? rdtsc() + clock_ns_to_ticks((uint64_t)timeout_ns) : 0;
	bool on = irq_save();
	long r = -EAGAIN;

	for (;;) {
		/* Oldest first within a sender; senders in CPU order. */
		for (int s = 0; s < nboxes; s++) {
			r = mbox_ring_recv(&pair(s, self)->user, buf, size);
			if (r != -EAGAIN) {
				if (from && r >= 0)
					*from = s;
				irq_restore(on);
				return r;
			}
		}
		if (timeout_ns == 0)
			break;
		if (!sched_wait(&user_waiters[self], deadline)) {
			r = -ETIMEDOUT;
			break;
		}
	}
	irq_restore(on);
	return r;
}
