/* SPDX-License-Identifier: MIT */
/* What the VMM gives the kernel: boot information, the UART, and a way out. */
#ifndef PLATFORM_PLATFORM_H
#define PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/pvh.h"

#define BOOT_CMDLINE_MAX 4096 /* longer command lines are cut, with a warning */
#define BOOT_MEMMAP_MAX \
	128 /* memory map entries kept; more are dropped, with a warning */

/* Boot phases timestamped with the TSC (bench reads them with `bootstats`). */
enum boot_phase {
	BOOT_ENTRY, /* first instruction */
	BOOT_LONGMODE, /* first 64-bit instruction */
	BOOT_CONSOLE, /* UART ready */
	BOOT_MEMORY, /* page tables, page allocator and heap ready */
	BOOT_MAIN, /* main() about to be called */
	BOOT_PHASES
};
extern uint64_t boot_tsc[BOOT_PHASES];

/*
 * Finer boot steps, also for `bootstats` (and `make bench-check`): boot_mark()
 * records the TSC as the step called name (a string constant; with n >= 0 the
 * step is name followed by n, as in "cpu1") ends. Boot CPU only, before main.
 */
#define BOOT_MARKS_MAX 48
struct boot_mark {
	const char *name;
	int n;
	uint64_t tsc;
};
extern struct boot_mark boot_marks[BOOT_MARKS_MAX];
extern int boot_nmarks;
void boot_mark(const char *name, int n);

/* The kernel's copy of the PVH start info (the original lives in guest RAM that the
 * page allocator may later hand out). */
struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated */
	bool cmdline_cut; /* the VMM's command line was longer */
	struct hvm_memmap_table_entry memmap[BOOT_MEMMAP_MAX]; /* as given, unsorted */
	size_t memmap_entries; /* entries kept */
	size_t memmap_dropped; /* entries beyond BOOT_MEMMAP_MAX */
	uint64_t rsdp; /* ACPI RSDP physical address, 0 if none */
	uint64_t start_info; /* physical address of the start info */
};
extern struct boot_info boot_info;

/* Reads and checks the start info at `pa`; panics if it is not a PVH start info. */
void plat_pvh_init(uint32_t pa);

void plat_uart_init(void);
void plat_uart_write(const char *s, size_t n);
int plat_uart_getc(void); /* a received byte, or -1 if none is waiting */
void plat_uart_enable_rx_irq(void); /* interrupt on ISA IRQ 4 when a byte arrives */
/* COM2, the GDB stub's with gdb=uart: false if there is none; IRQ 3. */
bool plat_uart2_init(void);
void plat_uart2_write(const char *s, size_t n);
int plat_uart2_getc(void);
void plat_uart2_enable_rx_irq(void);

_Noreturn void plat_exit(int code);

#endif
