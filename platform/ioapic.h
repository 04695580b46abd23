/* SPDX-License-Identifier: MIT */
/* I/O APICs: routing a global system interrupt (GSI) to a vector on a chosen CPU. */
#ifndef PLATFORM_IOAPIC_H
#define PLATFORM_IOAPIC_H

#include <stdint.h>

#define IOAPIC_MAX 8
#define IOAPIC_ACTIVE_LOW (1u << 0) /* flags for ioapic_route */
#define IOAPIC_LEVEL (1u << 1)

/* Registers an IOAPIC found in the MADT or the MP table, and masks all its inputs. */
void ioapic_add(uint32_t phys, uint32_t gsi_base);
/* Records an ISA IRQ -> GSI override (ACPI MADT type 2). */
void ioapic_add_override(uint8_t irq, uint32_t gsi, unsigned flags);

/* The GSI an ISA IRQ arrives on, with its IOAPIC_* flags. */
uint32_t ioapic_isa_gsi(uint8_t irq, unsigned *flags);

/* Delivers `gsi` as `vector` to `cpu`; 0, or -ENODEV when no IOAPIC has it. */
int ioapic_route(uint32_t gsi, uint8_t vector, int cpu, unsigned flags);
/* Stops delivering `gsi`. */
int ioapic_mask(uint32_t gsi);

#endif
