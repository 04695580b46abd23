/* SPDX-License-Identifier: MIT */
/*
 * arch_switch(uintptr_t *save_rsp, uintptr_t next_rsp): saves the callee-saved
 * registers (SysV ABI) on the current stack, stores %rsp in *save_rsp, loads
 * next_rsp and pops the next thread's registers. A new thread's stack is built by
 * arch_thread_stack() so that the pops lead to arch_thread_start.
 */
	.text
	.globl arch_switch
arch_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	/* First code of every thread: %r12 = entry function, %r13 = its argument. */
	.globl arch_thread_start
arch_thread_start:
	xorl %ebp, %ebp		/* ends the backtrace at the thread's first frame */
	call sched_after_switch
	sti			/* threads run with interrupts on */
	movq %r13, %rdi
	callq *%r12
	movl %eax, %edi
	call sched_thread_exit
	ud2
