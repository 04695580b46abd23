/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU cooperative scheduler. A thread belongs to one CPU for its whole
 * life; only that CPU touches its state, its run queue and its sleepers, so the
 * scheduler needs no locks, only interrupts off while an interrupt handler could
 * wake a thread of the same CPU.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kmem.h"
#include "lib/timerq.h"

enum thread_state {
	THREAD_RUNNABLE, /* on its CPU's run queue, or running */
	THREAD_BLOCKED, /* waiting: on a wait queue, asleep, or joining */
	THREAD_EXITED, /* finished; its stack is freed when it is joined */
};

struct waitq {
	struct thread *head; /* first waiter, woken first */
	struct thread *tail; /* last waiter */
};

struct thread {
	uintptr_t rsp; /* saved stack pointer while switched out */
	struct thread *next; /* run queue or wait queue link */
	int id; /* the handle toro_thread_create returned */
	int cpu; /* the CPU it runs on, for ever */
	_Atomic enum thread_state state; /* read by joiners on other CPUs */
	int exit_code; /* main function's return value */
	struct timerq_entry timer; /* its deadline while in a timed wait */
	bool timed_out; /* the last wait ended by its deadline */
	struct waitq *waiting_on; /* the queue it sleeps on, for timeouts */
	struct thread *_Atomic joiner; /* its joiner, or JOINER_EXITED once it exited */
	bool join_done; /* the thread this one joins has exited */
	bool exiting; /* exited; sched_after_switch marks it THREAD_EXITED */
	void *stack_base; /* lowest page: the guard page; NULL for boot threads */
	size_t stack_pages; /* pages from stack_base, guard included */
	struct kstack kstack; /* its usable stack, for backtraces and overflow */
	int (*entry)(void *); /* its main function (NULL: main, or a CPU's first) */
};

/* Sets up CPU 0's scheduler and turns the caller (main) into its first thread. */
void sched_init_cpu(void);
/* Makes the caller the idle thread of an application processor and runs it. */
_Noreturn void sched_start_ap(uintptr_t stack_lo, uintptr_t stack_hi);

/* Blocks the current thread on q until sched_wake_one/all or the TSC deadline
 * (0 = none) passes. Returns false on timeout. Interrupts must be off. */
bool sched_wait(struct waitq *q, uint64_t deadline);
/* Wakes waiters of q; interrupt handlers may call these. A waiter of another CPU
 * is woken through a mailbox message to its CPU. Interrupts must be off. */
bool sched_wake_one(struct waitq *q);
void sched_wake_all(struct waitq *q);
/* Makes t runnable if it is blocked (on any CPU). The caller must know t is alive;
 * a thread woken this way while waiting for something else sees a spurious wake,
 * so every wait loops on its condition. */
void sched_wake_thread(struct thread *t);

struct thread *sched_current(void);
_Noreturn void sched_thread_exit(int code);

/* Timer interrupt work of the calling CPU. */
void sched_timer_tick(void);

/* Builds the mailboxes the scheduler uses between ncpus CPUs. */
int sched_init_mbox(int ncpus);
void sched_after_switch(void);

/* The TSC deadline ns from now, saturating. */
uint64_t sched_deadline(uint64_t ns);

/* The running thread's stack, or NULL before the scheduler runs. */
const struct kstack *sched_current_stack(void);

/*
 * For the debugger, while every CPU is stopped: the thread toro_thread_create
 * numbered id (1..SCHED_THREADS_MAX), or NULL; a CPU's first thread (main on
 * CPU 0, the idle thread elsewhere) and its idle thread.
 */
#define SCHED_THREADS_MAX 4096
struct thread *sched_thread(int id);
struct thread *sched_cpu_first(int cpu);
struct thread *sched_cpu_idle(int cpu);

#endif
