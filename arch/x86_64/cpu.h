/* SPDX-License-Identifier: MIT */
/*
 * Privileged x86-64 instructions, each wrapped once as a static inline helper so
 * that the rest of the kernel stays in C.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdint.h>

/* Control-register and MSR bits the kernel uses (Intel SDM vol. 3, 2.5 and 4.1). */
#define CR0_WP (1ul << 16) /* honour read-only pages in ring 0 too */
#define CR0_PG (1ul << 31)
#define CR4_PAE (1ul << 5)
#define CR4_PGE (1ul << 7)
#define MSR_EFER 0xc0000080u
#define EFER_LME (1ul << 8)
#define EFER_NXE (1ul << 11)
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define RFLAGS_IF (1ul << 9)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Loading CR3 also flushes every non-global TLB entry. */
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

/* Debug registers DR0-DR3, DR6, DR7 (SDM vol. 3, 18.2). */
#define DR6_BS (1ul << 14) /* single step */
#define DR6_HIT 0xful /* B0-B3: which breakpoint matched */
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_RF (1ul << 16)

static inline uint64_t read_dr6(void)
{
	uint64_t v;

	__asm__ volatile("mov %%db6, %0" : "=r"(v));
	return v;
}

static inline void write_dr6(uint64_t v)
{
	__asm__ volatile("mov %0, %%db6" : : "r"(v));
}

static inline void write_dr7(uint64_t v)
{
	__asm__ volatile("mov %0, %%db7" : : "r"(v));
}

/* DR0..DR3 by number; the register name has to be in the instruction. */
static inline void write_dr(int n, uint64_t v)
{
	switch (n) {
	case 0:
		__asm__ volatile("mov %0, %%db0" : : "r"(v));
		break;
	case 1:
		__asm__ volatile("mov %0, %%db1" : : "r"(v));
		break;
	case 2:
		__asm__ volatile("mov %0, %%db2" : : "r"(v));
		break;
	default:
		__asm__ volatile("mov %0, %%db3" : : "r"(v));
		break;
	}
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t read_rbp(void)
{
	uint64_t v;

	__asm__ volatile("mov %%rbp, %0" : "=r"(v));
	return v;
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

struct __attribute__((packed)) desc_ptr {
	uint16_t limit; /* size of the table minus one */
	uint64_t base; /* linear address of the table */
};

static inline void lgdt(const struct desc_ptr *p)
{
	__asm__ volatile("lgdt %0" : : "m"(*p));
}

static inline void lidt(const struct desc_ptr *p)
{
	__asm__ volatile("lidt %0" : : "m"(*p));
}

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

#endif
