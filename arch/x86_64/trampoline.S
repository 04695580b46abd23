/* SPDX-License-Identifier: MIT */
/*
 * Start-up code of the application processors, copied to TRAMPOLINE_PA (below
 * 1 MiB) before the STARTUP IPI, whose vector is its page number: the CPU starts
 * in real mode at TRAMPOLINE_PA:0 (Intel SDM vol. 3, 8.4.4.1). It climbs to long
 * mode with the kernel's page tables and jumps to ap_entry(cpu) on the stack the
 * boot CPU prepared; the boot CPU fills the tr_* slots before each start-up.
 * Everything is addressed as TRAMPOLINE_PA + offset, so the code runs only there.
 */
#include "arch/x86_64/layout.h"

#define TR(label) (TRAMPOLINE_PA + ((label) - trampoline_start))

	.section .rodata
	.balign 16
	.globl trampoline_start, trampoline_end
	.code16
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tr_gdtr - trampoline_start
	movl %cr0, %eax
	orl $1, %eax			/* CR0.PE */
	movl %eax, %cr0
	ljmpl $0x08, $TR(tr_protected)

	.code32
tr_protected:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* CR4.PAE */
	movl %eax, %cr4
	movl TR(tr_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER: LME, and NXE when the BSP has it */
	rdmsr
	orl TR(tr_efer), %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010000, %eax		/* CR0.PG | CR0.WP */
	movl %eax, %cr0
	ljmpl $0x18, $TR(tr_long)

	.code64
tr_long:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq TR(tr_stack), %rsp
	movl TR(tr_cpu), %edi
	movq TR(tr_entry), %rax
	xorl %ebp, %ebp			/* ends backtraces here */
	pushq $0			/* as if called: no return address */
	jmpq *%rax

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tr_gdt_end:
tr_gdtr:
	.word tr_gdt_end - tr_gdt - 1
	.long TR(tr_gdt)
	.balign 8
	.globl tr_cr3, tr_efer, tr_stack, tr_entry, tr_cpu
tr_cr3:
	.long 0				/* the kernel's PML4 (below 4 GiB) */
tr_efer:
	.long 0				/* EFER bits to set */
tr_stack:
	.quad 0				/* top of the AP's first stack */
tr_entry:
	.quad 0				/* ap_entry */
tr_cpu:
	.long 0				/* the AP's CPU number */
trampoline_end:
