/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU cooperative scheduling.
 *
 * Each CPU has a FIFO run queue, a heap of sleepers by TSC deadline, and an
 * idle thread that halts with interrupts on when nothing is runnable. A thread
 * runs until it yields, sleeps, waits or exits; there is no preemption, so
 * the only concurrency inside a CPU is its own interrupt handlers, which may wake
 * threads: the run queue and the sleepers change only with interrupts off.
 *
 * The LAPIC timer is one-shot, armed for the earliest sleeper (tickless); its
 * interrupt wakes the sleepers whose deadline passed and re-arms it.
 *
 * Thread handles: a global table maps ids to threads; slots are claimed with a
 * compare-and-swap, so any CPU may create threads. A thread's stack has an
 * unmapped guard page below it and is freed by toro_thread_join.
 */
#include "kernel/sched.h"
#include "kernel/trace.h"

#include <stdatomic.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "kernel/mbox.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "lib/kstring.h"
#include "lib/timerq.h"
#include "platform/clock.h"
#include "platform/lapic.h"
#include "toro/toro.h"

#define THREADS_MAX SCHED_THREADS_MAX
#define STACK_DEFAULT (64 * 1024)
#define STACK_MAX (64 * 1024 * 1024)
#define IDLE_STACK (16 * 1024)

struct runq {
	struct thread *head; /* next to run */
	struct thread *tail; /* last to run */
	struct timerq timers; /* threads blocked with a deadline, earliest first */
	struct thread *idle; /* runs when nothing else can */
	struct thread first; /* the thread that called sched_init_cpu */
	uint64_t armed; /* deadline the timer is armed for, 0 if none */
};

static struct runq runqs[PCPU_MAX];
static struct thread *_Atomic threads[THREADS_MAX];

void arch_switch(uintptr_t *save_rsp, uintptr_t next_rsp);
void arch_thread_start(void);

uint64_t sched_deadline(uint64_t ns)
{
	uint64_t now = rdtsc(), ticks = clock_ns_to_ticks(ns);

	/* Saturate: a far deadline must not wrap into the past. */
	return ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
}

static struct runq *this_rq(void)
{
	return &runqs[pcpu_id()];
}

struct thread *sched_current(void)
{
	return this_cpu()->current;
}

static void enqueue(struct runq *rq, struct thread *t)
{
	t->next = NULL;
	if (rq->tail)
		rq->tail->next = t;
	else
		rq->head = t;
	rq->tail = t;
}

static struct thread *dequeue(struct runq *rq)
{
	struct thread *t = rq->head;

	if (t) {
		rq->head = t->next;
		if (!rq->head)
			rq->tail = NULL;
	}
	return t;
}

/* Removes t from a wait queue; false if it was not there. */
static bool waitq_unlink(struct waitq *q, struct thread *t)
{
	struct thread *prev = NULL;

	for (struct thread *p = q->head; p; prev = p, p = p->next) {
		if (p != t)
			continue;
		if (prev)
			prev->next = p->next;
		else
			q->head = p->next;
		if (q->tail == p)
			q->tail = prev;
		return true;
	}
	return false;
}

/* Arms the timer for the earliest sleeper, if that changes anything. */
static void rearm(struct runq *rq)
{
	uint64_t want = timerq_count(&rq->timers) ? timerq_next_deadline(&rq->timers) : 0;

	if (want != rq->armed) {
		rq->armed = want;
		lapic_timer_arm(want);
	}
}

static void make_runnable(struct runq *rq, struct thread *t);

/* t->joiner once t has exited: a joiner that comes later finds t finished. */
#define JOINER_EXITED ((struct thread *)1)
/* t->joiner of a detached thread: whoever sees it last frees t. */
#define JOINER_DETACHED ((struct thread *)2)

static void thread_free(struct thread *t);
static void thread_release(struct thread *t);

/* On j's CPU: the thread j joins has exited. */
static void join_done(struct thread *j)
{
	j->join_done = true;
	make_runnable(this_rq(), j);
}

/*
 * Tells t's joiner, on whatever CPU, that t has exited. The exchange is the last
 * access to t: from then on the joiner may free it. The joiner stays blocked until
 * join_done reaches it, so j is alive when the message arrives.
 */
static void notify_joiner(struct thread *t)
{
	struct thread *j = atomic_exchange(&t->joiner, JOINER_EXITED);

	if (!j)
		return;
	if (j == JOINER_DETACHED) {
		thread_release(t); /* nobody joins it: we are the last to touch it */
		return;
	}
	if (j->cpu == pcpu_id())
		join_done(j);
	else
		mbox_send_ctl(j->cpu, MBOX_CTL_WAKE_JOIN, j);
}

/*
 * Runs in the thread switched to, right after the switch (also first thing in a
 * new thread). A thread that exited is off its stack only now, so only now may it
 * be marked exited and its joiner, who frees the stack, be told.
 */
void sched_after_switch(void)
{
	struct thread *prev = this_cpu()->prev;

	if (prev && prev->exiting) {
		prev->exiting = false;
		atomic_store(&prev->state, THREAD_EXITED);
		notify_joiner(prev);
	}
}

/* A thread's number in traces: gdb's (debug/target.h), the idle threads last. */
static uint32_t trace_tid(const struct thread *t)
{
	if (t->id)
		return (uint32_t)t->id + 1;
	return t == this_rq()->idle ? SCHED_THREADS_MAX + 2 + (uint32_t)t->cpu : 1;
}

/* Switches to the next runnable thread (or idle). Interrupts must be off. */
static void schedule(void)
{
	struct runq *rq = this_rq();
	struct thread *prev = this_cpu()->current, *next;

	mbox_poll(); /* threads other CPUs created or woke for us */
	next = dequeue(rq);
	if (!next)
		next = rq->idle;
	if (next == prev)
		return;
	if (trace_mask & TRACE_G_SCHED)
		trace_record(TRACE_SWITCH, trace_tid(prev), trace_tid(next),
			     (uintptr_t)next->entry);
	this_cpu()->current = next;
	this_cpu()->prev = prev;
	arch_switch(&prev->rsp, next->rsp);
	sched_after_switch();
}

/* Makes a blocked thread of this CPU runnable. Interrupts must be off. */
static void make_runnable(struct runq *rq, struct thread *t)
{
	if (t->state != THREAD_BLOCKED)
		return;
	if (timerq_queued(&t->timer)) {
		timerq_remove(&rq->timers, &t->timer);
		rearm(rq);
	}
	/* A direct wake (sched_wake_thread) may find it on a wait queue. */
	if (t->waiting_on)
		waitq_unlink(t->waiting_on, t);
	t->state = THREAD_RUNNABLE;
	enqueue(rq, t);
	if (trace_mask & TRACE_G_SCHED)
		trace_record(TRACE_WAKE, trace_tid(t), (uint64_t)t->cpu, 0);
}

void sched_wake_thread(struct thread *t)
{
	bool on = irq_save();

	if (t->cpu == pcpu_id())
		make_runnable(this_rq(), t);
	else
		mbox_send_ctl(t->cpu, MBOX_CTL_WAKE, t);
	irq_restore(on);
}

bool sched_wait(struct waitq *q, uint64_t deadline)
{
	struct runq *rq = this_rq();
	struct thread *t = this_cpu()->current;

	if (trace_mask & TRACE_G_SCHED)
		trace_record(TRACE_SLEEP, trace_tid(t), deadline, 0);
	t->state = THREAD_BLOCKED;
	t->timed_out = false;
	t->waiting_on = q;
	if (q) {
		t->next = NULL;
		if (q->tail)
			q->tail->next = t;
		else
			q->head = t;
		q->tail = t;
	}
	/* The queue has a slot for every thread there can be: adding cannot fail. */
	if (deadline && timerq_add(&rq->timers, &t->timer, deadline) == 0)
		rearm(rq);
	schedule();
	t->waiting_on = NULL;
	return !t->timed_out;
}

bool sched_wake_one(struct waitq *q)
{
	struct thread *t = q->head;

	if (!t)
		return false;
	q->head = t->next;
	if (!q->head)
		q->tail = NULL;
	t->waiting_on = NULL; /* unlinked: make_runnable need not look */
	/* Only a thread's own CPU touches its run queue. */
	if (t->cpu == pcpu_id())
		make_runnable(this_rq(), t);
	else
		mbox_send_ctl(t->cpu, MBOX_CTL_WAKE, t);
	return true;
}

void sched_wake_all(struct waitq *q)
{
	while (sched_wake_one(q))
		;
}

void sched_timer_tick(void)
{
	struct runq *rq = this_rq();
	uint64_t now = rdtsc();

	struct timerq_entry *e;

	rq->armed = 0;
	while ((e = timerq_pop_expired(&rq->timers, now))) {
		struct thread *t = e->owner;

		t->timed_out = true;
		if (t->waiting_on)
			waitq_unlink(t->waiting_on, t);
		t->state = THREAD_RUNNABLE;
		enqueue(rq, t);
	}
	rearm(rq);
}

static void timer_irq(struct trap_frame *f, void *arg)
{
	(void)f;
	(void)arg;
	sched_timer_tick();
}

static void kstack_set(struct thread *t, uintptr_t lo, uintptr_t hi)
{
	t->kstack.lo = lo;
	t->kstack.hi = hi;
	t->kstack.name = "thread stack";
}

/* Lays out a new thread's stack so that arch_switch "returns" into
 * arch_thread_start with the entry function in %r12 and its argument in %r13. */
static void stack_prepare(struct thread *t, int (*fn)(void *), void *arg)
{
	uintptr_t top = t->kstack.hi;
	uint64_t *sp = (uint64_t *)(top - 72);

	sp[0] = 0; /* r15 */
	sp[1] = 0; /* r14 */
	sp[2] = (uintptr_t)arg; /* r13 */
	sp[3] = (uintptr_t)fn; /* r12 */
	sp[4] = 0; /* rbx */
	sp[5] = 0; /* rbp */
	sp[6] = (uintptr_t)arch_thread_start; /* return address */
	t->rsp = (uintptr_t)sp;
	t->entry = fn;
}

static void thread_free(struct thread *t)
{
	/* The guard page goes back mapped, like every free page. */
	vm_map((uintptr_t)t->stack_base, (uintptr_t)t->stack_base, PAGE_SIZE, VM_W);
	kmem_pages_free(t->stack_base, t->stack_pages);
	free(t);
}

static struct thread *thread_alloc(int cpu, size_t stack)
{
	struct thread *t = calloc(1, sizeof(*t));
	size_t pages = (stack + PAGE_SIZE - 1) / PAGE_SIZE + 1;

	if (!t)
		return NULL;
	t->stack_base = kmem_pages_alloc(pages);
	if (!t->stack_base) {
		free(t);
		return NULL;
	}
	t->stack_pages = pages;
	t->cpu = cpu;
	timerq_entry_init(&t->timer, t);
	vm_unmap((uintptr_t)t->stack_base, PAGE_SIZE);
	kstack_set(t, (uintptr_t)t->stack_base + PAGE_SIZE,
		   (uintptr_t)t->stack_base + pages * PAGE_SIZE);
	return t;
}

static int idle_main(void *arg)
{
	(void)arg;
	for (;;) {
		kmem_drain_remote();
		irq_disable();
		/* Announce the halt, then look at the mailboxes: a message sent before
		 * the announcement was not followed by an IPI. */
		mbox_idle_prepare();
		mbox_poll();
		if (this_rq()->head) {
			mbox_idle_done();
			schedule();
			continue;
		}
		/* sti takes effect after hlt starts: no wake-up slips in between. */
		__asm__ volatile("sti\n\thlt" : : : "memory");
		mbox_idle_done();
	}
	return 0;
}

static void ctl_message(unsigned type, void *arg)
{
	struct thread *t = arg;

	switch (type) {
	case MBOX_CTL_CREATE:
		/* Its guard page was unmapped on the creating CPU; drop any stale TLB
		 * entry of ours that still maps it. */
		invlpg((uintptr_t)t->stack_base);
		enqueue(this_rq(), t);
		break;
	case MBOX_CTL_WAKE_JOIN:
		join_done(t);
		break;
	case MBOX_CTL_WAKE:
		make_runnable(this_rq(), t);
		break;
	default:
		printk("sched: unknown control message %u\n", type);
	}
}

int sched_init_mbox(int ncpus)
{
	return mbox_init(ncpus, ctl_message);
}

/* A slot in the deadline queue for every thread the CPU could have. */
static void timers_init(struct runq *rq)
{
	size_t bytes = (THREADS_MAX + 1) * sizeof(struct timerq_entry *);
	void *slots = kmem_pages_alloc((bytes + PAGE_SIZE - 1) / PAGE_SIZE);

	if (!slots || timerq_init(&rq->timers, slots, THREADS_MAX + 1))
		panic("no memory for the timers of CPU %d", pcpu_id());
}

/* Makes the caller, running on [lo, hi), the CPU's first thread. */
static struct thread *first_thread(struct runq *rq, uintptr_t lo, uintptr_t hi)
{
	struct thread *first = &rq->first;

	timers_init(rq);
	timerq_entry_init(&first->timer, first);
	first->cpu = pcpu_id();
	first->state = THREAD_RUNNABLE;
	kstack_set(first, lo, hi);
	this_cpu()->current = first;
	return first;
}

void sched_init_cpu(void)
{
	struct runq *rq = this_rq();

	first_thread(rq, (uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top);
	rq->idle = thread_alloc(pcpu_id(), IDLE_STACK);
	if (!rq->idle)
		panic("no memory for the idle thread of CPU %d", pcpu_id());
	stack_prepare(rq->idle, idle_main, NULL);
	if (irq_register(IRQ_VECTOR_TIMER, timer_irq, NULL))
		panic("timer vector taken");
	irq_enable();
}

_Noreturn void sched_start_ap(uintptr_t stack_lo, uintptr_t stack_hi)
{
	struct runq *rq = this_rq();

	/* An application processor's first thread is its idle thread. */
	rq->idle = first_thread(rq, stack_lo, stack_hi);
	atomic_store_explicit(&this_cpu()->online, true, memory_order_release);
	lapic_send_ipi(pcpus[0].apic_id, IRQ_VECTOR_WAKE); /* CPU 0 halts until then */
	idle_main(NULL);
	panic("idle returned");
}

int toro_thread_create(int (*fn)(void *), void *arg, int cpu, size_t stack)
{
	struct thread *t;

	if (!fn || cpu < 0 || cpu >= toro_ncpus() || stack > STACK_MAX)
		return -EINVAL;
	t = thread_alloc(cpu, stack ? stack : STACK_DEFAULT);
	if (!t)
		return -ENOMEM;
	for (int i = 0; i < THREADS_MAX; i++) {
		struct thread *none = NULL;

		if (atomic_compare_exchange_strong(&threads[i], &none, t)) {
			t->id = i + 1;
			break;
		}
	}
	if (!t->id) {
		thread_free(t);
		return -EAGAIN;
	}
	stack_prepare(t, fn, arg);
	t->state = THREAD_RUNNABLE;
	int id = t->id; /* t belongs to its CPU once sent */

	if (cpu == pcpu_id()) {
		bool on = irq_save();

		enqueue(this_rq(), t);
		irq_restore(on);
	} else {
		mbox_send_ctl(cpu, MBOX_CTL_CREATE, t);
	}
	return id;
}

_Noreturn void sched_thread_exit(int code)
{
	struct thread *t = this_cpu()->current;

	irq_disable();
	if (t == &this_rq()->first)
		toro_exit(code); /* main's thread: the application is done */
	t->exit_code = code;
	t->exiting = true; /* sched_after_switch finishes the exit */
	schedule();
	panic("an exited thread was scheduled");
}

_Noreturn void toro_thread_exit(int code)
{
	sched_thread_exit(code);
}

/*
 * Joining, the same across CPUs. A joiner first claims the thread's slot (tagging
 * it), so a second joiner gets -EBUSY without touching the thread. Then the one
 * word t->joiner decides who goes last: the joiner swaps itself in, the exiting
 * side (sched_after_switch) swaps in JOINER_EXITED. If the joiner was first, the
 * exiting side wakes it through join_done, on the joiner's CPU; if the exit was
 * first, the joiner sees JOINER_EXITED and does not wait. Either way the exiting
 * side no longer touches t once it has swapped, so the joiner may free it.
 */
#define SLOT_CLAIMED 1ul

int toro_thread_join(int id, int *code)
{
	struct thread *t, *self = this_cpu()->current, *none = NULL;
	int exit_code;

	if (id < 1 || id > THREADS_MAX || !(t = atomic_load(&threads[id - 1])))
		return -ESRCH;
	if ((uintptr_t)t & SLOT_CLAIMED)
		return -EBUSY; /* someone else joins it */
	if (t == self)
		return -EDEADLK;
	struct thread *claimed = (struct thread *)((uintptr_t)t | SLOT_CLAIMED);

	if (!atomic_compare_exchange_strong(&threads[id - 1], &t, claimed))
		return t ? -EBUSY : -ESRCH;
	bool on = irq_save();

	self->join_done = false;
	if (atomic_compare_exchange_strong(&t->joiner, &none, self))
		while (!self->join_done)
			sched_wait(NULL, 0);
	irq_restore(on);
	exit_code = t->exit_code;
	thread_release(t);
	if (code)
		*code = exit_code;
	return 0;
}

/* Frees an exited thread whose slot was claimed, and gives the slot back. */
static void thread_release(struct thread *t)
{
	int id = t->id;

	thread_free(t);
	atomic_store(&threads[id - 1], NULL);
}

/*
 * Detaching claims the slot like a join; then JOINER_DETACHED in t->joiner tells
 * the exiting side to free t itself. If t already exited, we free it here.
 */
int toro_thread_detach(int id)
{
	struct thread *t, *none = NULL;

	if (id < 1 || id > THREADS_MAX || !(t = atomic_load(&threads[id - 1])))
		return -ESRCH;
	if ((uintptr_t)t & SLOT_CLAIMED)
		return -EBUSY;
	struct thread *claimed = (struct thread *)((uintptr_t)t | SLOT_CLAIMED);

	if (!atomic_compare_exchange_strong(&threads[id - 1], &t, claimed))
		return t ? -EBUSY : -ESRCH;
	if (!atomic_compare_exchange_strong(&t->joiner, &none, JOINER_DETACHED)) {
		bool on = irq_save();

		thread_release(t); /* it exited already */
		irq_restore(on);
	}
	return 0;
}

void toro_yield(void)
{
	bool on = irq_save();
	struct thread *t = this_cpu()->current;

	if (t != this_rq()->idle)
		enqueue(this_rq(), t);
	schedule();
	irq_restore(on);
}

void toro_sleep_ns(uint64_t ns)
{
	bool on = irq_save();
	uint64_t deadline = sched_deadline(ns);

	/* A stray direct wake must not cut the sleep short. */
	while (sched_wait(NULL, deadline))
		;
	irq_restore(on);
}

struct thread *sched_thread(int id)
{
	uintptr_t t = (uintptr_t)atomic_load(&threads[id - 1]);

	return (struct thread *)(t & ~SLOT_CLAIMED);
}

struct thread *sched_cpu_first(int cpu)
{
	return &runqs[cpu].first;
}

struct thread *sched_cpu_idle(int cpu)
{
	return runqs[cpu].idle;
}

const struct kstack *sched_current_stack(void)
{
	struct thread *t = this_cpu()->current;

	return t && t->kstack.hi ? &t->kstack : NULL;
}
