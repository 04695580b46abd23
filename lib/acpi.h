/* SPDX-License-Identifier: MIT */
/*
 * ACPI table discovery and MADT parsing (ACPI 6.x chapter 5): from the RSDP the
 * VMM hands over (PVH start info rsdp_paddr) to the tables the kernel needs, and
 * from the MADT to the CPUs, IOAPICs and ISA interrupt overrides that SMP bring-up
 * and interrupt routing use. The tables are untrusted: see acpi.c.
 */
#ifndef LIB_ACPI_H
#define LIB_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How the parsers read physical memory; they never dereference a physical address.
 * read() copies len bytes at physical address pa into buf and returns 0, or
 * -EFAULT when any byte of [pa, pa + len) is not readable (then buf is undefined).
 * The MP table parser uses the same ops.
 */
struct acpi_mem {
	int (*read)(void *ctx, uint64_t pa, void *buf, size_t len); /* 0 or -EFAULT */
	void *ctx; /* passed back to read() */
};

#define ACPI_MAX_TABLES 32 /* tables remembered from the XSDT/RSDT */
#define ACPI_MAX_TABLE_LEN (16u << 20) /* longer tables are refused as bogus */
#define ACPI_MAX_CPUS 64 /* processors kept from the MADT */
#define ACPI_MAX_IOAPICS 8 /* IOAPICs kept from the MADT */
#define ACPI_MAX_OVERRIDES 16 /* interrupt source overrides kept */
#define ACPI_MAX_NMIS 8 /* local APIC NMI entries kept */
#define ACPI_UID_ALL 0xffffffffu /* NMI entry for all processors (0xff in type 4) */

/* Sizes from the spec (ACPI 6.5, 5.2.5.3 and 5.2.6). */
#define ACPI_RSDP_V1_LEN 20 /* the part covered by the first checksum */
#define ACPI_RSDP_V2_LEN 36 /* the whole ACPI 2.0+ structure */
#define ACPI_HEADER_LEN 36 /* the common header of every table */

/* MADT flags (5.2.12, table "Multiple APIC Flags"). */
#define ACPI_MADT_PCAT_COMPAT (1u << 0) /* dual 8259s present: mask them */

/* Local APIC / x2APIC flags (5.2.12.2, "Local APIC Flags"). */
#define ACPI_LAPIC_ENABLED (1u << 0) /* usable now */
#define ACPI_LAPIC_ONLINE_CAPABLE (1u << 1) /* may be enabled later (ACPI 6.3+) */

/* MPS INTI flags of overrides and NMI entries (5.2.12.5, table 5.50). */
#define ACPI_INTI_POLARITY_MASK 0x3u /* 0 bus default, 1 high, 3 low */
#define ACPI_INTI_POLARITY_HIGH 0x1u
#define ACPI_INTI_POLARITY_LOW 0x3u
#define ACPI_INTI_TRIGGER_SHIFT 2
#define ACPI_INTI_TRIGGER_MASK (0x3u << 2) /* 0 bus default, 1 edge, 3 level */
#define ACPI_INTI_TRIGGER_EDGE (0x1u << 2)
#define ACPI_INTI_TRIGGER_LEVEL (0x3u << 2)

/* One table listed by the root table. */
struct acpi_table_ref {
	char sig[4]; /* its signature, e.g. "APIC"; not NUL-terminated */
	uint64_t pa; /* physical address of its header */
	uint32_t len; /* its length from the header, header included */
};

/* What acpi_find_tables() learned. Addresses are 0 when the table is absent. */
struct acpi_tables {
	uint8_t rsdp_revision; /* 0 for ACPI 1.0, 2 and up for ACPI 2.0+ */
	char oem_id[6]; /* the RSDP's OEM id, e.g. "BOCHS " */
	bool xsdt; /* the root table is the XSDT (else the RSDT) */
	bool root_fallback; /* the XSDT was broken and the RSDT was used instead */
	uint64_t root_pa; /* physical address of the XSDT or RSDT */
	uint64_t madt_pa; /* "APIC" */
	uint64_t fadt_pa; /* "FACP" */
	uint64_t dsdt_pa; /* from the FADT's X_DSDT, else its DSDT field */
	uint32_t dsdt_len; /* the DSDT's length, header included */
	uint64_t hpet_pa; /* "HPET" */
	struct acpi_table_ref table[ACPI_MAX_TABLES]; /* every valid listed table */
	size_t ntables; /* entries used in table[] */
	size_t dropped; /* valid tables beyond ACPI_MAX_TABLES */
	size_t bad; /* listed tables with a bad address, length or checksum */
};

/* A processor the MADT says is usable now. */
struct acpi_cpu {
	uint32_t apic_id; /* local APIC id (8 bits) or x2APIC id (32 bits) */
	uint32_t acpi_uid; /* ACPI processor id (type 0) or processor UID (type 9) */
	bool x2apic; /* described by an x2APIC entry (type 9) */
};

struct acpi_ioapic {
	uint8_t id; /* IOAPIC id */
	uint32_t addr; /* physical address of its registers */
	uint32_t gsi_base; /* global system interrupt of its input 0 */
};

/* An ISA (or other bus) interrupt routed somewhere else than its number. */
struct acpi_override {
	uint8_t bus; /* 0: ISA, the only bus the spec defines */
	uint8_t irq; /* bus-relative interrupt source */
	uint32_t gsi; /* global system interrupt it is wired to */
	uint16_t flags; /* ACPI_INTI_* polarity and trigger */
};

/* Which local APIC input is wired to NMI (types 4 and 0xA). */
struct acpi_lapic_nmi {
	uint32_t acpi_uid; /* processor, or ACPI_UID_ALL for every one */
	uint16_t flags; /* ACPI_INTI_* */
	uint8_t lint; /* LINT input: 0 or 1 */
};

/* What acpi_parse_madt() learned. */
struct acpi_madt {
	uint8_t revision; /* the MADT's header revision */
	uint64_t lapic_addr; /* local APIC address, after a type 5 override */
	uint32_t flags; /* ACPI_MADT_* */
	struct acpi_cpu cpu[ACPI_MAX_CPUS]; /* enabled processors, table order */
	size_t ncpus; /* entries used in cpu[] */
	size_t cpus_dropped; /* enabled processors beyond ACPI_MAX_CPUS */
	size_t cpus_hotplug; /* online-capable processors that are not enabled */
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS]; /* table order */
	size_t nioapics; /* entries used in ioapic[] */
	size_t ioapics_dropped; /* IOAPICs beyond ACPI_MAX_IOAPICS */
	struct acpi_override ovr[ACPI_MAX_OVERRIDES]; /* interrupt source overrides */
	size_t novr; /* entries used in ovr[] */
	size_t ovr_dropped; /* overrides beyond ACPI_MAX_OVERRIDES */
	struct acpi_lapic_nmi nmi[ACPI_MAX_NMIS]; /* local APIC NMI inputs */
	size_t nnmis; /* entries used in nmi[] */
	size_t nmis_dropped; /* NMI entries beyond ACPI_MAX_NMIS */
	size_t unknown; /* entries of other types, skipped */
};

/*
 * Validates the RSDP at rsdp_pa and the root table it points to (the XSDT when the
 * RSDP has one, else the RSDT; a broken XSDT falls back to the RSDT), then records
 * every listed table whose header and checksum are valid. Returns 0, -EFAULT when
 * the RSDP or root table cannot be read, -ENOENT for a wrong RSDP or root
 * signature, -EIO for a bad RSDP or root checksum, -EINVAL for impossible lengths.
 * A bad listed table is skipped and counted in out->bad, not an error.
 */
int acpi_find_tables(const struct acpi_mem *m, uint64_t rsdp_pa, struct acpi_tables *out);

/*
 * Parses the MADT at madt_pa. Returns 0, -EFAULT when it cannot be read, -ENOENT
 * when the signature is not "APIC", -EIO for a bad checksum, -EINVAL for a bad
 * length, or an entry with a zero length, shorter than its type needs or running
 * past the table. *out is only meaningful on 0.
 */
int acpi_parse_madt(const struct acpi_mem *m, uint64_t madt_pa, struct acpi_madt *out);

/*
 * The global system interrupt an ISA IRQ arrives on: its override if the MADT has
 * one, else the identity. *flags (if not NULL) gets the override's ACPI_INTI_*
 * flags, 0 (bus default: ISA is edge, active high) without one.
 */
uint32_t acpi_irq_to_gsi(const struct acpi_madt *madt, uint8_t irq, uint16_t *flags);

#endif
