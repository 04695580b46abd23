/* SPDX-License-Identifier: MIT */
/* Constants shared by the assembly and C sides of the kernel. */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

#define PAGE_SIZE 4096
#define BOOT_STACK_SIZE (16 * 1024) /* the boot stack, which main() runs on */
#define IST_STACK_SIZE (8 * 1024) /* the stack exception handlers run on */
#define TRAMPOLINE_PA 0x8000 /* where application processors start (real mode) */
#define TORO_EXIT_PANIC 70 /* exit code of a panic or fatal exception (EX_SOFTWARE) */

#endif
