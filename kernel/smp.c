/* SPDX-License-Identifier: MIT */
/*
 * Bringing up the other CPUs.
 *
 * The CPU list comes from the ACPI MADT (the RSDP address is in the PVH start
 * info), or from the Intel MP table when there is no ACPI (microvm with
 * acpi=off), or else Toro runs on CPU 0 alone. Each application processor is
 * started with INIT, STARTUP, STARTUP (Intel SDM vol. 3, 8.4.4.1) into the real-mode
 * trampoline at TRAMPOLINE_PA, which reaches ap_entry() in long mode on a stack
 * prepared here. CPUs are started one at a time: the trampoline's slots are
 * shared. A CPU that does not check in within a second is reported and skipped.
 */
#include "kernel/smp.h"

#include <stdatomic.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "kernel/kmem.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "lib/acpi.h"
#include "lib/kstring.h"
#include "lib/mptable.h"
#include "platform/clock.h"
#include "platform/ioapic.h"
#include "platform/lapic.h"
#include "platform/platform.h"
#include "toro/toro.h"

#define AP_STACK (16 * 1024) /* the AP's first thread becomes its idle thread */
#define AP_START_TIMEOUT_NS 1000000000ull
#define SIPI_RETRY_NS 200000ull /* second STARTUP if the first did not take */
#define SIPI_PAUSE_NS 100ull /* between the first two STARTUPs: see start_ap */
#define WAIT_SLICE 10000000ull /* TSC ticks a wait halts at most between looks */

extern char trampoline_start[], trampoline_end[];
extern char tr_cr3[], tr_efer[], tr_stack[], tr_entry[], tr_cpu[];

static int ncpus = 1;
static const char *cpu_source = "none";

const char *smp_cpu_source(void)
{
	return cpu_source;
}

/* Where each AP's stacks are, for ap_entry. */
static struct {
	uintptr_t stack_lo, stack_hi; /* its first thread's stack */
	uintptr_t ist_lo, ist_hi; /* its exception stack */
} ap_stacks[PCPU_MAX];

int toro_ncpus(void)
{
	return ncpus;
}

static struct acpi_tables tables;
static bool have_tables;

const struct acpi_tables *smp_acpi_tables(void)
{
	return have_tables ? &tables : NULL;
}

/* ACPI tables may sit outside RAM: map what is read, read-only, on demand. */
static int phys_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	unsigned flags;

	(void)ctx;
	if (pa < 4096 || pa + len < pa || pa + len > (1ull << 32))
		return -EFAULT;
	for (uint64_t p = pa & ~4095ull; p < pa + len; p += 4096)
		if (!vm_query((uintptr_t)p, &flags) && vm_map((uintptr_t)p, p, 4096, 0))
			return -EFAULT;
	memcpy(buf, (const void *)(uintptr_t)pa, len);
	return 0;
}

/* ACPI MPS INTI flags to IOAPIC_* (bus default for ISA: edge, active high). */
static unsigned ovr_flags(uint16_t f)
{
	unsigned r = 0;

	if ((f & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW)
		r |= IOAPIC_ACTIVE_LOW;
	if ((f & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL)
		r |= IOAPIC_LEVEL;
	return r;
}

/* MP table interrupt flags to IOAPIC_* (bus default for ISA: edge, active high). */
static unsigned mp_flags(uint16_t f)
{
	unsigned r = 0;

	if ((f & MP_IRQ_POLARITY_MASK) == 3)
		r |= IOAPIC_ACTIVE_LOW;
	if ((f & MP_IRQ_TRIGGER_MASK) == (3u << 2))
		r |= IOAPIC_LEVEL;
	return r;
}

/*
 * ISA interrupts the MADT does not override but the MP table wires elsewhere.
 * QEMU wires the PIT (IRQ 0) to IOAPIC input 2 like a PC, and qboot's MP table
 * says so, but microvm's MADT has no override for it.
 */
static void mp_isa_overrides(const struct mptable_info *mp, const struct acpi_madt *madt)
{
	for (uint8_t irq = 0; irq < 16; irq++) {
		size_t idx;
		uint8_t pin;
		uint16_t f;
		bool acpi = false;

		for (size_t i = 0; madt && i < madt->novr; i++)
			acpi |= madt->ovr[i].bus == 0 && madt->ovr[i].irq == irq;
		if (acpi || mptable_isa_irq(mp, irq, &idx, &pin, &f) || pin == irq)
			continue;
		/* The MP table's IOAPIC ids may differ from the MADT's: match addresses. */
		for (size_t i = 0; madt && i < madt->nioapics; i++)
			if (madt->ioapic[i].addr == mp->ioapic[idx].addr)
				ioapic_add_override(irq, madt->ioapic[i].gsi_base + pin,
						    mp_flags(f));
		/* Without ACPI, IOAPIC i's inputs are numbered from 24 * i (find_cpus). */
		if (!madt)
			ioapic_add_override(irq, (uint32_t)idx * 24 + pin, mp_flags(f));
	}
}

/* Fills apic_ids with the APIC ids of every usable CPU, and registers the
 * IOAPICs and interrupt overrides; returns how many CPUs. */
static int find_cpus(uint32_t *apic_ids, int max)
{
	static struct acpi_madt madt;
	static struct mptable_info mp;
	const struct acpi_mem mem = { phys_read, NULL };
	struct mptable_range scan[MPTABLE_MAX_RANGES];
	bool have_mp = false, have_madt = false;
	uint64_t fps;
	int n = 0;

	/* microvm's firmware (qboot) writes an MP table but leaves the BIOS data area
	 * (in page 0, which stays unmapped to catch NULL) zero: scan the defaults. */
	size_t nscan = mptable_std_ranges(0, 0, scan);

	if (mptable_find(&mem, scan, nscan, &fps) == 0 &&
	    mptable_parse(&mem, fps, &mp) == 0)
		have_mp = true;
	have_tables = boot_info.rsdp &&
		      acpi_find_tables(&mem, boot_info.rsdp, &tables) == 0;
	if (have_tables && tables.madt_pa &&
	    acpi_parse_madt(&mem, tables.madt_pa, &madt) == 0)
		have_madt = true;
	if (have_madt) {
		for (size_t i = 0; i < madt.ncpus && n < max; i++)
			apic_ids[n++] = madt.cpu[i].apic_id;
		for (size_t i = 0; i < madt.nioapics; i++)
			ioapic_add(madt.ioapic[i].addr, madt.ioapic[i].gsi_base);
		for (size_t i = 0; i < madt.novr; i++)
			if (madt.ovr[i].bus == 0)
				ioapic_add_override(madt.ovr[i].irq, madt.ovr[i].gsi,
						    ovr_flags(madt.ovr[i].flags));
		if (have_mp)
			mp_isa_overrides(&mp, &madt);
		cpu_source = "ACPI MADT";
	} else if (have_mp) {
		for (size_t i = 0; i < mp.ncpus && n < max; i++)
			apic_ids[n++] = mp.cpu[i].apic_id;
		/* The MP table has no GSI numbers: its IOAPICs are numbered in order. */
		for (size_t i = 0, gsi = 0; i < mp.nioapics; i++, gsi += 24)
			ioapic_add(mp.ioapic[i].addr, (uint32_t)gsi);
		mp_isa_overrides(&mp, NULL);
		cpu_source = "MP table";
	}
	return n;
}

int smp_phys_read(uint64_t pa, void *buf, size_t len)
{
	return phys_read(NULL, pa, buf, len);
}

static uintptr_t slot(const char *sym)
{
	return TRAMPOLINE_PA + ((uintptr_t)sym - (uintptr_t)trampoline_start);
}

/*
 * Waits for a CPU to check in, at most `ns`. The TSC rate is not measured yet
 * (that takes milliseconds and is done on first use), so the wait assumes the
 * fastest plausible TSC, 10 GHz: on a slower one it only waits longer. The AP's
 * wake-up IPI ends each hlt and the timer bounds it; halted, this CPU leaves the
 * host's core to the AP (under TCG a spinning vCPU runs a whole time slice
 * before the AP gets one).
 */
static bool wait_online(int cpu, uint64_t ns)
{
	uint64_t end = rdtsc() + ns * 10, now;
	bool on = irq_save(), up;

	while (!(up = atomic_load_explicit(&pcpus[cpu].online, memory_order_acquire)) &&
	       (now = rdtsc()) < end) {
		lapic_timer_within(end - now < WAIT_SLICE ? end - now : WAIT_SLICE);
		/* sti takes effect after hlt starts: the IPI cannot slip in between. */
		__asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
	}
	lapic_timer_arm(0);
	irq_restore(on);
	return up;
}

static void *stack_with_guard(size_t bytes, uintptr_t *lo, uintptr_t *hi)
{
	size_t pages = bytes / 4096 + 1;
	char *p = kmem_pages_alloc(pages);

	if (!p)
		return NULL;
	vm_unmap((uintptr_t)p, 4096);
	*lo = (uintptr_t)p + 4096;
	*hi = (uintptr_t)p + pages * 4096;
	return p;
}

static bool start_ap(int cpu, uint32_t apic_id)
{
	if (!stack_with_guard(AP_STACK, &ap_stacks[cpu].stack_lo,
			      &ap_stacks[cpu].stack_hi) ||
	    !stack_with_guard(IST_STACK_SIZE, &ap_stacks[cpu].ist_lo,
			      &ap_stacks[cpu].ist_hi)) {
		printk("smp: no memory for the stacks of CPU %d\n", cpu);
		return false;
	}
	pcpus[cpu].apic_id = apic_id;
	*(volatile uint64_t *)slot(tr_stack) = ap_stacks[cpu].stack_hi;
	*(volatile uint32_t *)slot(tr_cpu) = (uint32_t)cpu;
	/* The slots must be in memory before the AP can read them. */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * INIT, STARTUP, STARTUP (Intel SDM vol. 3, 9.4.4, without its 10 ms
	 * after INIT, which only CPUs with an external APIC need), and a third
	 * STARTUP if none took. A STARTUP to a CPU that runs is ignored. QEMU's
	 * TCG takes a halted CPU's INIT only when the first STARTUP wakes it, and
	 * that STARTUP is lost: the short pause lets the CPU get that far.
	 */
	lapic_send_init(apic_id);
	lapic_send_startup(apic_id, TRAMPOLINE_PA >> 12);
	wait_online(cpu, SIPI_PAUSE_NS);
	lapic_send_startup(apic_id, TRAMPOLINE_PA >> 12);
	if (!wait_online(cpu, SIPI_RETRY_NS)) {
		lapic_send_startup(apic_id, TRAMPOLINE_PA >> 12);
		if (!wait_online(cpu, AP_START_TIMEOUT_NS)) {
			printk("smp: CPU %d (APIC id %u) did not start, going on without it\n",
			       cpu, apic_id);
			/* Park it: a late start must not run with the next CPU's slots. */
			lapic_send_init(apic_id);
			return false;
		}
	}
	return true;
}

/* First C code of an application processor. */
_Noreturn void ap_entry(int cpu)
{
	pcpu_init(cpu);
	arch_cpu_tables(cpu, ap_stacks[cpu].ist_lo, ap_stacks[cpu].ist_hi);
	lapic_init(false);
	kmem_cpu_init(cpu);
	sched_start_ap(ap_stacks[cpu].stack_lo, ap_stacks[cpu].stack_hi);
}

void smp_init(void)
{
	static uint32_t apic_ids[PCPU_MAX];
	uint32_t self = lapic_id();
	int n = find_cpus(apic_ids, PCPU_MAX);
	size_t len = (uintptr_t)trampoline_end - (uintptr_t)trampoline_start;

	boot_mark("cpus", -1);
	pcpus[0].apic_id = self;
	pcpus[0].online = true;
	if (n <= 1) {
		if (n == 0)
			printk("smp: no ACPI MADT or MP table, running on CPU 0 only\n");
		if (sched_init_mbox(1))
			panic("no memory for the mailboxes");
		return;
	}
	/* Mailboxes first: a CPU looks at them as soon as it idles. */
	if (sched_init_mbox(n < PCPU_MAX ? n : PCPU_MAX))
		panic("no memory for the mailboxes of %d CPUs", n);
	/* The trampoline page: writable for its slots, executable for the AP. */
	if (vm_map(TRAMPOLINE_PA, TRAMPOLINE_PA, 4096, VM_W | VM_X))
		panic("cannot map the AP trampoline");
	memcpy((void *)TRAMPOLINE_PA, trampoline_start, len);
	*(volatile uint32_t *)slot(tr_cr3) = (uint32_t)read_cr3();
	*(volatile uint32_t *)slot(tr_efer) =
		(uint32_t)(EFER_LME | (boot_nx ? EFER_NXE : 0));
	*(volatile uint64_t *)slot(tr_entry) = (uintptr_t)ap_entry;
	for (int i = 0; i < n; i++) {
		if (apic_ids[i] == self)
			continue;
		if (ncpus == PCPU_MAX)
			break;
		if (start_ap(ncpus, apic_ids[i]))
			boot_mark("cpu", ncpus++);
	}
	vm_map(TRAMPOLINE_PA, TRAMPOLINE_PA, 4096, VM_W);
}
