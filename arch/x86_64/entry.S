/* SPDX-License-Identifier: MIT */
/*
 * PVH entry. The VMM starts us in 32-bit protected mode with paging off, flat
 * segments, and %ebx holding the physical address of struct hvm_start_info
 * (Xen's arch-x86/hvm/start_info.h; QEMU and Firecracker both implement it).
 *
 * This code checks that .bss is zero (clearing it if not), checks that the CPU
 * can run 64-bit code, maps the first GiB with 2 MiB pages, enables long mode
 * and NX, and calls kmain(start_info) on the boot stack. kmem then replaces these page tables with the kernel's own.
 */
#include "arch/x86_64/layout.h"

	/* The note QEMU and Firecracker look for to find the 32-bit entry point. */
	.section .note.Xen, "a"
	.balign 4
	.long 4			/* name size: "Xen\0" */
	.long 4			/* descriptor size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.long _start32

	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	/* Boot phase 0: the first instruction. Kept in %esi:%edi until .bss is clear. */
	rdtsc
	movl %eax, %edi
	movl %edx, %esi
	/*
	 * .bss is zero already: it is the part of the kernel's PT_LOAD segment
	 * beyond its file size, which the ELF gABI defines as zero, and the PVH
	 * loaders (QEMU's, Firecracker's) load us into zeroed RAM. Clearing its
	 * 236 KiB again would cost a third of boot (60,000 iterations of rep stosl
	 * under -icount). A loader that left it dirty shows in the first quadword
	 * of nearly every page: look at those, and clear .bss only then.
	 */
	movl $__bss_start, %edx
	movl $__bss_end, %ecx
6:	cmpl %ecx, %edx
	jae 8f
	movl (%edx), %eax
	orl 4(%edx), %eax
	jnz 7f
	addl $4096, %edx	/* .bss is page aligned at both ends */
	jmp 6b
7:	movl $__bss_start, %eax
	movl %eax, %ebp
	subl %eax, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	xchgl %ebp, %edi	/* rep stosl wants the destination in %edi */
	rep stosl
	movl %ebp, %edi
8:	movl %edi, boot_tsc
	movl %esi, boot_tsc + 4
	movl %ebx, boot_start_info

	/* Long mode is CPUID 0x80000001 EDX bit 29; NX is bit 20 of the same leaf. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode
	movl %edx, %esi

	/* Identity map of the first GiB: PML4[0] -> PDPT[0] -> 512 x 2 MiB pages. */
	movl $boot_pdpt + 3, boot_pml4
	movl $boot_pd + 3, boot_pdpt
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax		/* present, writable, 2 MiB */
	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jb 1b
	movl $boot_pml4, %eax
	movl %eax, %cr3

	movl %cr4, %eax
	orl $(1 << 5), %eax	/* CR4.PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx	/* EFER */
	rdmsr
	orl $(1 << 8), %eax	/* EFER.LME */
	btl $20, %esi
	jnc 2f
	orl $(1 << 11), %eax	/* EFER.NXE, when the CPU has NX */
	movl $1, boot_nx
2:	wrmsr
	movl %cr0, %eax
	orl $0x80010000, %eax	/* CR0.PG | CR0.WP */
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $_start64

no_long_mode:
	/* No 64-bit CPU: say so on COM1 and end the VM with the panic code. */
	movl $no_lm_msg, %esi
3:	movb (%esi), %al
	testb %al, %al
	jz 4f
	movw $0x3f8, %dx
	outb %al, %dx
	incl %esi
	jmp 3b
4:	movl $(TORO_EXIT_PANIC + 1), %eax
	movw $0xf4, %dx
	outl %eax, %dx
5:	hlt
	jmp 5b

	.code64
_start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	leaq boot_stack_top(%rip), %rsp
	/* Boot phase 1: long mode. */
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, boot_tsc + 8(%rip)
	xorl %ebp, %ebp		/* ends the frame-pointer chain for backtraces */
	movl boot_start_info(%rip), %edi
	call kmain
	ud2

	.section .rodata
no_lm_msg:
	.asciz "Toro needs a 64-bit (long mode) CPU\n"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .data
	.balign 8
	.globl boot_start_info, boot_nx
boot_start_info:
	.long 0
boot_nx:
	.long 0

	/* Early page tables and the boot stack, below a guard page kmem unmaps. */
	.section .bss.pagetables, "aw", @nobits
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4096
	.globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
