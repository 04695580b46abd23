/* SPDX-License-Identifier: MIT */
/*
 * kmain: the boot sequence after entry.S, in the order DESIGN.md gives. The
 * coarse phases are timestamped (boot_tsc) for `make bench`, and the end of each
 * step (boot_mark) for `make bench-check`, which counts each step's guest
 * instructions and holds them to bench/budget.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "debug/gdb.h"
#include "drivers/virtio/console.h"
#include "drivers/virtio/virtio.h"
#include "kernel/kmem.h"
#include "kernel/params.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/uart_input.h"
#include "kernel/smp.h"
#include "kernel/trace.h"
#include "kernel/printk.h"
#include "platform/clock.h"
#include "platform/lapic.h"
#include "platform/platform.h"
#include "toro/toro.h"

int main(int argc, char **argv);

static void banner(void)
{
	uint64_t ram = memmap_ram_bytes(boot_info.memmap, boot_info.memmap_entries);

	/* Round to the nearest MiB: the VMM keeps a few KiB below 1 MiB for itself. */
	if (ram >= (16ull << 20))
		printk("Toro %s: %d CPU%s, %llu MiB\n", TORO_VERSION, toro_ncpus(),
		       toro_ncpus() == 1 ? "" : "s",
		       (unsigned long long)((ram + (512 << 10)) >> 20));
	else
		printk("Toro %s: %d CPU%s, %llu KiB\n", TORO_VERSION, toro_ncpus(),
		       toro_ncpus() == 1 ? "" : "s", (unsigned long long)(ram >> 10));
}

/* `bootstats`: the coarse phases (bench/bootbench.c reads them), then each
 * step's end in order (make bench-check reads those). */
static void print_bootstats(void)
{
	char line[BOOT_MARKS_MAX * 32 + 16];
	size_t n = 0;

	printk("boot-tsc: entry=%llu longmode=%llu console=%llu memory=%llu main=%llu\n",
	       (unsigned long long)boot_tsc[BOOT_ENTRY],
	       (unsigned long long)boot_tsc[BOOT_LONGMODE],
	       (unsigned long long)boot_tsc[BOOT_CONSOLE],
	       (unsigned long long)boot_tsc[BOOT_MEMORY],
	       (unsigned long long)boot_tsc[BOOT_MAIN]);
	n += (size_t)snprintf(line, sizeof(line), "boot-steps:");
	for (int i = 0; i < boot_nmarks && n < sizeof(line); i++) {
		const struct boot_mark *m = &boot_marks[i];

		if (m->n >= 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s%d=%llu",
					      m->name, m->n, (unsigned long long)m->tsc);
		else
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%llu",
					      m->name, (unsigned long long)m->tsc);
	}
	printk("%s\n", line);
}

_Noreturn void kmain(uint32_t start_info)
{
	pcpu_init(0);
	plat_uart_init();
	boot_tsc[BOOT_CONSOLE] = rdtsc();
	boot_mark("uart", -1);
	arch_traps_init();
	boot_mark("traps", -1);
	plat_pvh_init(start_info);
	params_init(boot_info.cmdline);
	boot_mark("params", -1);
	if (boot_info.cmdline_cut)
		printk("warning: command line longer than %d bytes, cut\n",
		       BOOT_CMDLINE_MAX);
	if (boot_info.memmap_dropped)
		printk("warning: %zu memory map entries beyond %d ignored\n",
		       boot_info.memmap_dropped, BOOT_MEMMAP_MAX);
	kmem_init();
	boot_tsc[BOOT_MEMORY] = rdtsc();
	trace_init();
	lapic_init(true);
	boot_mark("lapic", -1);
	sched_init_cpu();
	boot_mark("sched", -1);
	smp_init();
	trace_init_cpus();
	boot_mark("smp", -1);
	virtio_init();
	trace_start();
	boot_mark("devices", -1);
	uart_input_init();
	gdb_init();
	boot_mark("debug", -1);
	banner();
	boot_mark("banner", -1);

	boot_tsc[BOOT_MAIN] = rdtsc();
	boot_mark("main", -1);
	if (toro_param("bootstats"))
		print_bootstats();
	gdb_wait();
	sched_thread_exit(main(params_argc(), params_argv()));
}

_Noreturn void toro_exit(int code)
{
	if (code < 0 || code > 126) {
		printk("toro: exit code %d is outside 0..126, exiting with 126\n", code);
		code = 126;
	}
	trace_dump();
	gdb_exit(code);
	vcon_flush();
	plat_exit(code);
}

int toro_cpu(void)
{
	return pcpu_id();
}

int toro_getc(void)
{
	return vcon_active() ? vcon_getc() : uart_input_getc();
}
