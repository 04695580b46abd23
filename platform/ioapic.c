/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC (Intel 82093AA data sheet): two registers, an index (IOREGSEL) and a
 * window (IOWIN); the redirection table holds one 64-bit entry per input, which
 * names the vector, the trigger and polarity, and the destination APIC id. All
 * inputs start masked; a driver routes its GSI to the CPU that owns the device.
 * ISA IRQs go through the firmware's overrides (none on QEMU microvm: IRQ n is
 * GSI n).
 */
#include "platform/ioapic.h"

#include <stdbool.h>

#include "kernel/kmem.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "toro/errno.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPICVER 0x01 /* bits 16..23: highest redirection entry */
#define IOREDTBL 0x10 /* entry n: low at 0x10 + 2n, high at 0x11 + 2n */
#define RED_ACTIVE_LOW (1u << 13)
#define RED_LEVEL (1u << 15)
#define RED_MASKED (1u << 16)
#define RED_DEST_SHIFT 24 /* in the high word: physical destination APIC id */
#define OVERRIDES_MAX 16

struct ioapic {
	volatile uint32_t *regs; /* mapped registers */
	uint32_t gsi_base; /* GSI of input 0 */
	uint32_t inputs; /* number of redirection entries */
};

struct override {
	uint8_t irq; /* ISA IRQ */
	uint32_t gsi; /* where it arrives */
	unsigned flags; /* IOAPIC_* */
};

static struct ioapic ioapics[IOAPIC_MAX];
static int nioapics;
static struct override overrides[OVERRIDES_MAX];
static int noverrides;
static struct spinlock lock = SPINLOCK_INIT; /* IOREGSEL/IOWIN is a two-step access */

static uint32_t rd(struct ioapic *a, uint32_t reg)
{
	a->regs[IOREGSEL / 4] = reg;
	return a->regs[IOWIN / 4];
}

static void wr(struct ioapic *a, uint32_t reg, uint32_t v)
{
	a->regs[IOREGSEL / 4] = reg;
	a->regs[IOWIN / 4] = v;
}

void ioapic_add(uint32_t phys, uint32_t gsi_base)
{
	struct ioapic *a;

	if (nioapics == IOAPIC_MAX || vm_map(phys, phys, 4096, VM_W | VM_UC)) {
		printk("ioapic: cannot use the IOAPIC at %#x\n", phys);
		return;
	}
	a = &ioapics[nioapics];
	a->regs = (volatile uint32_t *)(uintptr_t)phys;
	a->gsi_base = gsi_base;
	a->inputs = ((rd(a, IOAPICVER) >> 16) & 0xff) + 1;
	for (uint32_t i = 0; i < a->inputs; i++) {
		wr(a, IOREDTBL + 2 * i, RED_MASKED);
		wr(a, IOREDTBL + 2 * i + 1, 0);
	}
	nioapics++;
}

void ioapic_add_override(uint8_t irq, uint32_t gsi, unsigned flags)
{
	if (noverrides < OVERRIDES_MAX)
		overrides[noverrides++] = (struct override){ irq, gsi, flags };
}

uint32_t ioapic_isa_gsi(uint8_t irq, unsigned *flags)
{
	for (int i = 0; i < noverrides; i++)
		if (overrides[i].irq == irq) {
			*flags = overrides[i].flags;
			return overrides[i].gsi;
		}
	*flags = 0; /* ISA: edge, active high */
	return irq;
}

static struct ioapic *find(uint32_t gsi, uint32_t *pin)
{
	for (int i = 0; i < nioapics; i++)
		if (gsi >= ioapics[i].gsi_base &&
		    gsi - ioapics[i].gsi_base < ioapics[i].inputs) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	return NULL;
}

int ioapic_route(uint32_t gsi, uint8_t vector, int cpu, unsigned flags)
{
	uint32_t pin, lo = vector;
	struct ioapic *a = find(gsi, &pin);

	if (!a)
		return -ENODEV;
	if (cpu < 0 || cpu >= PCPU_MAX || vector < 32)
		return -EINVAL;
	if (flags & IOAPIC_ACTIVE_LOW)
		lo |= RED_ACTIVE_LOW;
	if (flags & IOAPIC_LEVEL)
		lo |= RED_LEVEL;
	bool on = spin_lock(&lock);

	/* Destination first, while the entry is still masked; then unmask. */
	wr(a, IOREDTBL + 2 * pin, RED_MASKED);
	wr(a, IOREDTBL + 2 * pin + 1, pcpus[cpu].apic_id << RED_DEST_SHIFT);
	wr(a, IOREDTBL + 2 * pin, lo);
	spin_unlock(&lock, on);
	return 0;
}

int ioapic_mask(uint32_t gsi)
{
	uint32_t pin;
	struct ioapic *a = find(gsi, &pin);

	if (!a)
		return -ENODEV;
	bool on = spin_lock(&lock);

	wr(a, IOREDTBL + 2 * pin, rd(a, IOREDTBL + 2 * pin) | RED_MASKED);
	spin_unlock(&lock, on);
	return 0;
}
