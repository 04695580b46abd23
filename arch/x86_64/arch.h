/* SPDX-License-Identifier: MIT */
/* The x86-64 side of the kernel: descriptor tables, traps, backtraces. */
#ifndef ARCH_X86_64_ARCH_H
#define ARCH_X86_64_ARCH_H

#include <stddef.h>
#include <stdint.h>

/* What isr.S pushes, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8; /* saved by isr_common */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax; /* saved by isr_common */
	uint64_t vector; /* pushed by the stub */
	uint64_t error; /* pushed by the CPU, or 0 by the stub */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "matches isr.S");

/* Builds the IDT and loads CPU 0's GDT, TSS and IDT. */
void arch_traps_init(void);
/* Loads the calling CPU's GDT and TSS (exception stack [ist_lo, ist_hi)) and the
 * shared IDT. */
void arch_cpu_tables(int cpu, uintptr_t ist_lo, uintptr_t ist_hi);
/* The guard page under CPU 0's static exception stack (vm_init unmaps it). */
uintptr_t arch_ist_guard(void);

/* Fills the general registers of f with their current values (rip: the caller). */
void arch_capture_registers(struct trap_frame *f);
void arch_print_registers(const struct trap_frame *f);

/*
 * Prints a backtrace that starts at `rip` and follows the frame-pointer chain
 * from `rbp`, as long as the frames lie inside a known stack. `rsp` (0 if not
 * known) finds the caller of a function that had not set up its frame.
 */
void arch_backtrace_print(uintptr_t rip, uintptr_t rbp, uintptr_t rsp);

/*
 * Stores up to `max` return addresses of the caller's chain; returns how many.
 * The first is the address the caller of arch_backtrace will return to.
 */
size_t arch_backtrace(uintptr_t *out, size_t max);

extern uint32_t boot_nx; /* set by entry.S when EFER.NXE could be enabled */
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

#endif
