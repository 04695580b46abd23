/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 tables (chapter 4): the fallback for
 * finding CPUs and IOAPICs when the VMM gives no ACPI (QEMU microvm acpi=off).
 * Physical memory is read through the same ops as the ACPI parsers.
 */
#ifndef LIB_MPTABLE_H
#define LIB_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/acpi.h"

#define MPTABLE_MAX_CPUS 64 /* processors kept */
#define MPTABLE_MAX_IOAPICS 8 /* IOAPICs kept */
#define MPTABLE_MAX_IRQS 32 /* I/O interrupt assignments kept */
#define MPTABLE_MAX_RANGES 3 /* what mptable_std_ranges() may return */

/* Processor entry CPU flags (4.3.1). */
#define MP_CPU_EN (1u << 0) /* usable */
#define MP_CPU_BP (1u << 1) /* the bootstrap processor */

/* I/O APIC entry flags (4.3.3). */
#define MP_IOAPIC_EN (1u << 0) /* usable */

/* Interrupt types of I/O and local interrupt entries (4.3.4, table 4-8). */
#define MP_INT 0 /* vectored interrupt, vector from the APIC */
#define MP_NMI 1 /* non-maskable interrupt */
#define MP_SMI 2 /* system management interrupt */
#define MP_EXTINT 3 /* vector from an 8259A */

/* Interrupt entry flags (4.3.4, table 4-9), the same encoding as ACPI_INTI_*. */
#define MP_IRQ_POLARITY_MASK 0x3u /* 0 bus default, 1 high, 3 low */
#define MP_IRQ_TRIGGER_MASK (0x3u << 2) /* 0 bus default, 1 edge, 3 level */

#define MP_IOAPIC_ALL 0xff /* destination IOAPIC id meaning all of them */

/* A half-open physical range [start, end) to scan for the floating pointer. */
struct mptable_range {
	uint64_t start; /* first byte */
	uint64_t end; /* one past the last byte */
};

struct mptable_cpu {
	uint8_t apic_id; /* local APIC id */
	uint8_t apic_version; /* local APIC version */
	bool bsp; /* flagged as the bootstrap processor */
};

struct mptable_ioapic {
	uint8_t id; /* IOAPIC id */
	uint8_t version; /* IOAPIC version */
	uint32_t addr; /* physical address of its registers */
};

/* An I/O interrupt assignment: a bus interrupt wired to an IOAPIC input. */
struct mptable_irq {
	uint8_t type; /* MP_INT, MP_NMI, MP_SMI or MP_EXTINT */
	uint16_t flags; /* MP_IRQ_* polarity and trigger */
	uint8_t bus; /* source bus id */
	uint8_t bus_irq; /* interrupt on that bus (the IRQ for ISA) */
	uint8_t ioapic_id; /* destination IOAPIC id, or MP_IOAPIC_ALL */
	uint8_t pin; /* destination IOAPIC input (INTIN#) */
};

/* What mptable_parse() learned. */
struct mptable_info {
	uint8_t spec_rev; /* floating pointer's spec revision: 1 (1.1) or 4 (1.4) */
	uint8_t default_config; /* feature byte 1: 0, or a default configuration 1..7 */
	bool imcr; /* feature byte 2 bit 7: IMCR present, PIC mode at boot */
	uint64_t config_pa; /* physical address of the configuration table */
	uint16_t entry_count; /* the header's entry count, as written */
	size_t entries; /* entries actually found within the base table length */
	uint32_t lapic_addr; /* local APIC address */
	struct mptable_cpu cpu[MPTABLE_MAX_CPUS]; /* enabled processors, table order */
	size_t ncpus; /* entries used in cpu[] */
	size_t cpus_dropped; /* enabled processors beyond MPTABLE_MAX_CPUS */
	size_t cpus_disabled; /* processors flagged unusable */
	struct mptable_ioapic ioapic[MPTABLE_MAX_IOAPICS]; /* enabled IOAPICs */
	size_t nioapics; /* entries used in ioapic[] */
	size_t ioapics_dropped; /* enabled IOAPICs beyond MPTABLE_MAX_IOAPICS */
	size_t ioapics_disabled; /* IOAPICs flagged unusable */
	struct mptable_irq irq[MPTABLE_MAX_IRQS]; /* I/O interrupt assignments */
	size_t nirqs; /* entries used in irq[] */
	size_t irqs_dropped; /* assignments beyond MPTABLE_MAX_IRQS */
	int isa_bus; /* id of the first bus of type "ISA", or -1 */
};

/*
 * The ranges the spec says to search (4.0): the first KiB of the EBDA when the BIOS
 * data area gives its segment (ebda_seg, the u16 at 0x40e; 0 if none), the last
 * KiB of base memory (base_kib, the u16 at 0x413, in KiB; 0 means 640), and the
 * BIOS ROM 0xf0000-0xfffff. Writes at most MPTABLE_MAX_RANGES to out, returns how
 * many. QEMU microvm's firmware (qboot) leaves both BDA fields 0.
 */
size_t mptable_std_ranges(uint16_t ebda_seg, uint16_t base_kib,
			  struct mptable_range *out);

/*
 * Scans the ranges in order, on 16-byte boundaries, for "_MP_" with a non-zero
 * length whose 16*length bytes lie inside the range and sum to 0. Returns 0 with
 * *fps_pa set, or -ENOENT. An unreadable range is skipped, not an error.
 */
int mptable_find(const struct acpi_mem *m, const struct mptable_range *r, size_t n,
		 uint64_t *fps_pa);

/*
 * Parses the floating pointer at fps_pa and its configuration table. Returns 0,
 * -EFAULT when something cannot be read, -ENOENT for a wrong signature, -EIO for a
 * bad checksum, -EINVAL for a bad length or an unknown entry type, and -ENOSYS for
 * a default configuration (feature byte 1 non-zero, out->default_config says which):
 * only pre-1995 boards use those, and their CPU list would be made up rather than
 * read, so the caller should boot on one CPU.
 */
int mptable_parse(const struct acpi_mem *m, uint64_t fps_pa, struct mptable_info *out);

/*
 * Where ISA IRQ irq arrives: the index in info->ioapic[] of its IOAPIC and the
 * input pin, with the entry's MP_IRQ_* flags. Returns 0, or -ENOENT when the table
 * has no vectored (MP_INT) assignment for it from an ISA bus.
 */
int mptable_isa_irq(const struct mptable_info *info, uint8_t irq, size_t *ioapic,
		    uint8_t *pin, uint16_t *flags);

#endif
