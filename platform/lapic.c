/* SPDX-License-Identifier: MIT */
/*
 * Local APIC (Intel SDM vol. 3, chapter 10). In xAPIC mode the registers are MMIO
 * at the base in IA32_APIC_BASE; in x2APIC mode they are MSRs 0x800 + (offset >> 4)
 * and the ICR is one 64-bit MSR. QEMU's TCG emulation offers xAPIC only; KVM and
 * Firecracker offer x2APIC.
 *
 * The timer runs one-shot: in TSC-deadline mode the deadline is a TSC value; in
 * the classic mode the count-down rate is measured against the TSC at boot and a
 * deadline becomes a count, clamped to 32 bits (a far deadline just fires early
 * and is re-armed by the caller).
 */
#include "platform/lapic.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "kernel/kmem.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "platform/clock.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ADDR_MASK 0xffffff000ull
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800

#define LAPIC_ID 0x020 /* R: APIC ID (bits 24..31 in xAPIC) */
#define LAPIC_TPR 0x080 /* R/W: task priority */
#define LAPIC_EOI 0x0b0 /* W: end of interrupt */
#define LAPIC_SVR 0x0f0 /* R/W: spurious vector, software enable bit 8 */
#define LAPIC_ESR 0x280 /* R/W: error status */
#define LAPIC_ICR_LO 0x300 /* R/W: interrupt command */
#define LAPIC_ICR_HI 0x310 /* R/W: destination (xAPIC) */
#define LAPIC_LVT_TIMER 0x320 /* R/W: timer vector and mode */
#define LAPIC_LVT_LINT0 0x350 /* R/W */
#define LAPIC_LVT_LINT1 0x360 /* R/W */
#define LAPIC_LVT_ERROR 0x370 /* R/W */
#define LAPIC_TIMER_INIT 0x380 /* R/W: initial count */
#define LAPIC_TIMER_CUR 0x390 /* R: current count */
#define LAPIC_TIMER_DIV 0x3e0 /* R/W: divide configuration */

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12) /* xAPIC: delivery status */
#define TIMER_DIV_16 0x3

#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

static volatile uint32_t *mmio; /* xAPIC register page, NULL in x2APIC mode */
static bool x2apic;
static bool tsc_deadline;
/* Classic timer: LAPIC counts per TSC tick, as a 32.32 fixed-point fraction,
 * measured per CPU on its first use (0 until then). */
static uint64_t count_per_tsc_fp32[PCPU_MAX];

static uint32_t rd(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_FIRST + (reg >> 4));
	return mmio[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_FIRST + (reg >> 4), v);
	else
		mmio[reg / 4] = v;
}

uint32_t lapic_id(void)
{
	return x2apic ? rd(LAPIC_ID) : rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

static void send_icr(uint32_t apic_id, uint32_t lo)
{
	if (x2apic) {
		/* One MSR write; x2APIC has no delivery-status bit to poll. */
		wrmsr(MSR_X2APIC_FIRST + (LAPIC_ICR_LO >> 4),
		      ((uint64_t)apic_id << 32) | lo);
		return;
	}
	wr(LAPIC_ICR_HI, apic_id << 24);
	/* Writing the low half sends; wait until the APIC has taken it. */
	wr(LAPIC_ICR_LO, lo);
	for (int i = 0; i < 1000000 && (rd(LAPIC_ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	send_icr(apic_id, vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	send_icr(apic_id, ICR_NMI);
}

void lapic_send_init(uint32_t apic_id)
{
	send_icr(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	send_icr(apic_id, ICR_STARTUP | page);
}

/* The 8259 PICs would deliver on vectors 8..15 (exceptions!) if left unmasked. */
static void mask_legacy_pic(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* Counts per TSC tick of the classic timer, over a short TSC-timed window. */
static void calibrate_timer(void)
{
	uint64_t window = clock_tsc_hz() / 2000; /* 0.5 ms */
	uint64_t t0, t1;
	uint32_t left;

	wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | IRQ_VECTOR_TIMER);
	t0 = rdtsc();
	wr(LAPIC_TIMER_INIT, 0xffffffffu);
	while ((t1 = rdtsc()) - t0 < window)
		cpu_relax();
	left = rd(LAPIC_TIMER_CUR);
	wr(LAPIC_TIMER_INIT, 0);
	wr(LAPIC_LVT_TIMER, IRQ_VECTOR_TIMER); /* one-shot, unmasked */
	uint64_t f = ((uint64_t)(0xffffffffu - left) << 32) / (t1 - t0);

	count_per_tsc_fp32[pcpu_id()] = f ? f : 1;
}

void lapic_init(bool boot_cpu)
{
	uint32_t r[4];
	uint64_t base = rdmsr(MSR_APIC_BASE);

	cpuid(1, 0, r);
	x2apic = r[2] & CPUID1_ECX_X2APIC;
	tsc_deadline = r[2] & CPUID1_ECX_TSC_DEADLINE;
	if (boot_cpu)
		mask_legacy_pic();
	if (x2apic) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		uint64_t pa = base & APIC_BASE_ADDR_MASK;

		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		if (boot_cpu && vm_map((uintptr_t)pa, pa, 4096, VM_W | VM_UC))
			panic("cannot map the local APIC at %#llx",
			      (unsigned long long)pa);
		mmio = (volatile uint32_t *)(uintptr_t)pa;
	}
	wr(LAPIC_TPR, 0);
	wr(LAPIC_LVT_LINT0, LVT_MASKED);
	wr(LAPIC_LVT_LINT1, LVT_MASKED);
	wr(LAPIC_LVT_ERROR, LVT_MASKED);
	wr(LAPIC_ESR, 0);
	wr(LAPIC_SVR, SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	if (tsc_deadline) {
		wr(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | IRQ_VECTOR_TIMER);
	} else {
		wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
		wr(LAPIC_LVT_TIMER, IRQ_VECTOR_TIMER); /* one-shot */
	}
}

void lapic_timer_within(uint64_t ticks)
{
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + ticks);
	else /* one count per 16 bus cycles, each no shorter than a TSC tick */
		wr(LAPIC_TIMER_INIT,
		   (uint32_t)(ticks / 16 >= 0xffffffffu ? 0xffffffffu : ticks / 16 + 1));
}

void lapic_timer_arm(uint64_t deadline)
{
	if (tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, deadline);
		return;
	}
	if (deadline == 0) {
		wr(LAPIC_TIMER_INIT, 0);
		return;
	}
	if (!count_per_tsc_fp32[pcpu_id()])
		calibrate_timer();
	uint64_t f = count_per_tsc_fp32[pcpu_id()];
	uint64_t now = rdtsc(), ticks = deadline > now ? deadline - now : 1;
	/* ticks * fraction, without overflow: split the 32.32 product. */
	uint64_t count = (ticks >> 32) * f + (((ticks & 0xffffffffu) * f) >> 32);

	if (count == 0)
		count = 1;
	if (count > 0xffffffffu)
		count = 0xffffffffu;
	wr(LAPIC_TIMER_INIT, (uint32_t)count);
}
