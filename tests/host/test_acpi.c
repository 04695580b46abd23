/* SPDX-License-Identifier: MIT */
/*
 * ACPI discovery and MADT parsing against tables built in a fake physical memory,
 * and against the real tables of QEMU 7.2 microvm. The tests/host/data/microvm-*.bin
 * files were cut from `pmemsave 0 0x100000` dumps of a running guest
 * (build/tests/integration/probe.elf with `-append spin`, `-m 128M -smp N`); their
 * format: u64 root address (the RSDP, or the MP floating pointer without ACPI),
 * then records {u64 physical address, u32 length, bytes}.
 */
#include <stdlib.h>

#include "tests/host/check.h"

#include "lib/acpi.h"
#include "tests/host/fakemem.h"
#include "toro/errno.h"

/* ---- fake physical memory: a few chunks; a read must fit inside one ---------- */

#define LOW_SIZE 0x110000 /* the synthetic tables live below 1 MiB + 64 KiB */
#define HIGH_PA 0x100000000ull /* a second chunk above 4 GiB */
#define HIGH_SIZE 0x1000

static uint8_t low[LOW_SIZE], high[HIGH_SIZE];
static struct fake fk;
static const struct acpi_mem mem = { fake_read, &fk };

static void reset(void)
{
	memset(low, 0, sizeof(low));
	memset(high, 0, sizeof(high));
	memset(&fk, 0, sizeof(fk));
	fk.c[0] = (struct chunk){ 0, LOW_SIZE, low };
	fk.c[1] = (struct chunk){ HIGH_PA, HIGH_SIZE, high };
	fk.n = 2;
}

static uint8_t *at(uint64_t pa)
{
	return pa >= HIGH_PA ? high + (pa - HIGH_PA) : low + pa;
}

static void put16(uint64_t pa, uint16_t v)
{
	at(pa)[0] = (uint8_t)v;
	at(pa)[1] = (uint8_t)(v >> 8);
}

static void put32(uint64_t pa, uint32_t v)
{
	put16(pa, (uint16_t)v);
	put16(pa + 2, (uint16_t)(v >> 16));
}

static void put64(uint64_t pa, uint64_t v)
{
	put32(pa, (uint32_t)v);
	put32(pa + 4, (uint32_t)(v >> 32));
}

/* Sets the byte at pa + field so that [pa, pa + len) sums to 0. */
static void fix_sum(uint64_t pa, size_t len, size_t field)
{
	uint8_t s = 0;

	at(pa)[field] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + at(pa)[i]);
	at(pa)[field] = (uint8_t)-s;
}

static void put_rsdp(uint64_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memcpy(at(pa), "RSD PTR ", 8);
	memcpy(at(pa) + 9, "TORO  ", 6);
	at(pa)[15] = rev;
	put32(pa + 16, rsdt);
	if (rev >= 2) {
		put32(pa + 20, 36);
		put64(pa + 24, xsdt);
	}
	fix_sum(pa, 20, 8);
	if (rev >= 2)
		fix_sum(pa, 36, 32);
}

/* A table of len bytes (header included), checksummed; the body is left as is. */
static void put_table(uint64_t pa, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(at(pa), sig, 4);
	put32(pa + 4, len);
	at(pa)[8] = rev;
	memcpy(at(pa) + 10, "TORO  ", 6);
	fix_sum(pa, len, 9);
}

/* An XSDT (esize 8) or RSDT (esize 4) listing n tables. */
static void put_root(uint64_t pa, const char *sig, size_t esize, const uint64_t *t,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (esize == 8)
			put64(pa + 36 + 8 * i, t[i]);
		else
			put32(pa + 36 + 4 * i, (uint32_t)t[i]);
	}
	put_table(pa, sig, (uint32_t)(36 + esize * n), 1);
}

/* A FADT of len bytes pointing at the DSDT by its 32- and 64-bit fields. */
static void put_fadt(uint64_t pa, uint32_t len, uint32_t dsdt, uint64_t x_dsdt)
{
	put32(pa + 40, dsdt);
	if (len >= 148)
		put64(pa + 140, x_dsdt);
	put_table(pa, "FACP", len, 5);
}

/* ---- MADT builder -------------------------------------------------------------- */

static uint64_t madt_pa, madt_end;

static void madt_begin(uint64_t pa, uint32_t lapic, uint32_t flags)
{
	madt_pa = pa;
	put32(pa + 36, lapic);
	put32(pa + 40, flags);
	madt_end = pa + 44;
}

static void ent(const uint8_t *e, size_t len)
{
	memcpy(at(madt_end), e, len);
	madt_end += len;
}

static void ent_lapic(uint8_t uid, uint8_t apic, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, apic, (uint8_t)flags, 0, 0, 0 };

	ent(e, 8);
}

static void ent_x2apic(uint32_t apic, uint32_t flags, uint32_t uid)
{
	uint8_t e[16] = { 9, 16 };

	memcpy(e + 4, &apic, 4); /* the host is little-endian, like ACPI */
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &uid, 4);
	ent(e, 16);
}

static void ent_ioapic(uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint8_t e[12] = { 1, 12, id };

	memcpy(e + 4, &addr, 4);
	memcpy(e + 8, &gsi, 4);
	ent(e, 12);
}

static void ent_override(uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, 0, irq };

	memcpy(e + 4, &gsi, 4);
	memcpy(e + 8, &flags, 2);
	ent(e, 10);
}

static void madt_end_table(uint8_t rev)
{
	put_table(madt_pa, "APIC", (uint32_t)(madt_end - madt_pa), rev);
}

/* ---- RSDP and root tables ----------------------------------------------------- */

/* RSDP v1 -> RSDT -> {APIC, FACP -> DSDT, HPET}. */
TEST(rsdp_v1_rsdt)
{
	struct acpi_tables t;
	uint64_t list[] = { 0x2000, 0x3000, 0x5000 };

	reset();
	put_rsdp(0xe0000, 0, 0x1000, 0);
	put_table(0x2000, "APIC", 44, 1);
	put_fadt(0x3000, 116, 0x4000, 0); /* ACPI 1.0 FADT: no X_DSDT */
	put_table(0x4000, "DSDT", 200, 1);
	put_table(0x5000, "HPET", 56, 1);
	put_root(0x1000, "RSDT", 4, list, 3);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.rsdp_revision, 0);
	CHECK(!t.xsdt);
	CHECK(!t.root_fallback);
	CHECK_EQ(t.root_pa, 0x1000);
	CHECK_EQ(t.madt_pa, 0x2000);
	CHECK_EQ(t.fadt_pa, 0x3000);
	CHECK_EQ(t.dsdt_pa, 0x4000);
	CHECK_EQ(t.dsdt_len, 200);
	CHECK_EQ(t.hpet_pa, 0x5000);
	CHECK_EQ(t.ntables, 3);
	CHECK(!memcmp(t.table[2].sig, "HPET", 4));
	CHECK_EQ(t.table[2].len, 56);
	CHECK_EQ(t.bad, 0);
	CHECK(!memcmp(t.oem_id, "TORO  ", 6));
}

/* A v1 RSDP in the last 20 bytes of memory: nothing past them is read. */
TEST(rsdp_v1_at_end_of_memory)
{
	struct acpi_tables t;
	uint64_t list[] = { 0x2000 };

	reset();
	put_table(0x2000, "APIC", 44, 1);
	put_root(0x1000, "RSDT", 4, list, 1);
	put_rsdp(LOW_SIZE - 20, 0, 0x1000, 0);
	CHECK_EQ(acpi_find_tables(&mem, LOW_SIZE - 20, &t), 0);
	CHECK_EQ(t.madt_pa, 0x2000);
}

/* RSDP v2 with both roots: the XSDT wins, and its 64-bit addresses work. */
TEST(rsdp_v2_prefers_xsdt)
{
	struct acpi_tables t;
	uint64_t xl[] = { HIGH_PA + 0x100 }, rl[] = { 0x5000 };

	reset();
	put_table(HIGH_PA + 0x100, "APIC", 44, 1);
	put_table(0x5000, "HPET", 56, 1);
	put_root(0x1001, "XSDT", 8, xl, 1); /* odd address, like QEMU's */
	put_root(0x1100, "RSDT", 4, rl, 1);
	put_rsdp(0xe0000, 2, 0x1100, 0x1001);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.rsdp_revision, 2);
	CHECK(t.xsdt);
	CHECK_EQ(t.root_pa, 0x1001);
	CHECK_EQ(t.madt_pa, HIGH_PA + 0x100);
	CHECK_EQ(t.hpet_pa, 0);
	CHECK_EQ(t.ntables, 1);
}

/* RSDP v2 whose XSDT address is 0 uses the RSDT. */
TEST(rsdp_v2_without_xsdt)
{
	struct acpi_tables t;
	uint64_t rl[] = { 0x5000 };

	reset();
	put_table(0x5000, "HPET", 56, 1);
	put_root(0x1100, "RSDT", 4, rl, 1);
	put_rsdp(0xe0000, 2, 0x1100, 0);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK(!t.xsdt);
	CHECK_EQ(t.hpet_pa, 0x5000);
}

TEST(rsdp_errors)
{
	struct acpi_tables t;
	uint64_t rl[] = { 0x5000 };

	reset();
	put_table(0x5000, "HPET", 56, 1);
	put_root(0x1100, "RSDT", 4, rl, 1);
	put_rsdp(0xe0000, 0, 0x1100, 0);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	/* First checksum. */
	low[0xe0000 + 12] ^= 1;
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EIO);
	/* Signature. */
	put_rsdp(0xe0000, 0, 0x1100, 0);
	low[0xe0000 + 4] = 'X';
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -ENOENT);
	/* Extended checksum: the first 20 bytes are fine, byte 33 is not. */
	put_rsdp(0xe0000, 2, 0x1100, 0);
	low[0xe0000 + 33] = 1;
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EIO);
	/* Extended length too short. */
	put_rsdp(0xe0000, 2, 0x1100, 0);
	put32(0xe0000 + 20, 20);
	fix_sum(0xe0000, 20, 8);
	fix_sum(0xe0000, 36, 32);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EINVAL);
	/* Unreadable, and straddling the end of memory. */
	CHECK_EQ(acpi_find_tables(&mem, 0x200000, &t), -EFAULT);
	CHECK_EQ(acpi_find_tables(&mem, LOW_SIZE - 10, &t), -EFAULT);
	CHECK_EQ(acpi_find_tables(&mem, UINT64_MAX - 5, &t), -EFAULT);
	/* No root table at all. */
	put_rsdp(0xe0000, 2, 0, 0);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -ENOENT);
}

TEST(broken_xsdt_falls_back_to_rsdt)
{
	struct acpi_tables t;
	uint64_t xl[] = { 0x2000 }, rl[] = { 0x5000 };

	reset();
	put_table(0x2000, "APIC", 44, 1);
	put_table(0x5000, "HPET", 56, 1);
	put_root(0x1000, "XSDT", 8, xl, 1);
	put_root(0x1100, "RSDT", 4, rl, 1);
	low[0x1000 + 40] ^= 0xff; /* the XSDT's checksum no longer holds */
	put_rsdp(0xe0000, 2, 0x1100, 0x1000);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK(!t.xsdt);
	CHECK(t.root_fallback);
	CHECK_EQ(t.madt_pa, 0);
	CHECK_EQ(t.hpet_pa, 0x5000);
	CHECK_EQ(t.ntables, 1);
	/* Without an RSDT the XSDT's error is the answer. */
	put_rsdp(0xe0000, 2, 0, 0x1000);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EIO);
}

TEST(truncated_root_table)
{
	struct acpi_tables t;

	reset();
	put_rsdp(0xe0000, 0, 0x1000, 0);
	put_table(0x1000, "RSDT", 30, 1); /* shorter than a header */
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EINVAL);
	put32(0x1000 + 4, 0x7fffffff); /* absurd; checked before any checksum */
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EINVAL);
	/* A length running past the end of memory. */
	put_rsdp(0xe0000, 0, LOW_SIZE - 64, 0);
	memcpy(low + LOW_SIZE - 64, "RSDT", 4);
	put32(LOW_SIZE - 60, 100);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -EFAULT);
	/* A root with the wrong signature. */
	put_rsdp(0xe0000, 0, 0x1000, 0);
	put_table(0x1000, "XSDT", 36, 1);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), -ENOENT);
	/* A trailing partial entry is ignored. */
	put_table(0x1000, "RSDT", 39, 1);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.ntables, 0);
	CHECK_EQ(t.bad, 0);
}

/* Zero, unreadable, truncated and corrupt entries are counted and skipped. */
TEST(bad_listed_tables_skipped)
{
	struct acpi_tables t;
	uint64_t list[] = { 0, 0x7000000, 0x2000, 0x3000, LOW_SIZE - 36, 0x5000 };

	reset();
	put_table(0x2000, "APIC", 44, 1);
	low[0x2000 + 40] = 7; /* breaks its checksum */
	put_table(0x3000, "APIC", 44, 1);
	put_table(LOW_SIZE - 36, "HPET", 36, 1);
	put32(LOW_SIZE - 32, 56); /* the length runs past memory */
	put_table(0x5000, "FACP", 116, 1);
	put32(0x5000 + 40, 0x6000); /* a DSDT that is not there */
	fix_sum(0x5000, 116, 9);
	put_root(0x1000, "RSDT", 4, list, 6);
	put_rsdp(0xe0000, 0, 0x1000, 0);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.madt_pa, 0x3000);
	CHECK_EQ(t.fadt_pa, 0x5000);
	CHECK_EQ(t.dsdt_pa, 0);
	CHECK_EQ(t.hpet_pa, 0);
	CHECK_EQ(t.ntables, 2);
	CHECK_EQ(t.bad, 5);
}

TEST(fadt_x_dsdt_wins)
{
	struct acpi_tables t;
	uint64_t list[] = { 0x3000 };

	reset();
	put_table(0x4000, "DSDT", 40, 2);
	put_table(HIGH_PA, "DSDT", 50, 2);
	put_fadt(0x3000, 268, 0x4000, HIGH_PA);
	put_root(0x1000, "XSDT", 8, list, 1);
	put_rsdp(0xe0000, 2, 0, 0x1000);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.dsdt_pa, HIGH_PA);
	CHECK_EQ(t.dsdt_len, 50);
	/* X_DSDT zero: the 32-bit field counts. */
	put_fadt(0x3000, 268, 0x4000, 0);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.dsdt_pa, 0x4000);
	/* A FADT too short for X_DSDT: whatever lies beyond it is not used. */
	put_fadt(0x3000, 268, 0x4000, HIGH_PA);
	put_table(0x3000, "FACP", 100, 5);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.dsdt_pa, 0x4000);
	/* A FADT too short for either field. */
	put_table(0x3000, "FACP", 40, 5);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.fadt_pa, 0x3000);
	CHECK_EQ(t.dsdt_pa, 0);
	/* A DSDT field pointing at something else. */
	put_fadt(0x3000, 116, 0x2000, 0);
	put_table(0x2000, "SSDT", 40, 2);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.dsdt_pa, 0);
	CHECK_EQ(t.bad, 1);
}

TEST(too_many_tables)
{
	struct acpi_tables t;
	uint64_t list[ACPI_MAX_TABLES + 8];

	reset();
	for (size_t i = 0; i < ACPI_MAX_TABLES + 8; i++) {
		list[i] = 0x10000 + 0x100 * i;
		put_table(list[i], i == ACPI_MAX_TABLES + 7 ? "HPET" : "SSDT", 40, 1);
	}
	put_root(0x1000, "XSDT", 8, list, ACPI_MAX_TABLES + 8);
	put_rsdp(0xe0000, 2, 0, 0x1000);
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.ntables, ACPI_MAX_TABLES);
	CHECK_EQ(t.dropped, 8);
	/* A table beyond the list is still found by kind. */
	CHECK_EQ(t.hpet_pa, list[ACPI_MAX_TABLES + 7]);
}

/* A huge root table is examined only up to a bound. */
TEST(huge_root_bounded)
{
	struct acpi_tables t;

	reset();
	for (uint64_t pa = 0x10000 + 36; pa < 0x10000 + 36 + 8 * 4000; pa += 8)
		put64(pa, 0x20000);
	put_table(0x20000, "SSDT", 36, 1);
	put_table(0x10000, "XSDT", 36 + 8 * 4000, 1);
	put_rsdp(0xe0000, 2, 0, 0x10000);
	fk.reads = 0;
	CHECK_EQ(acpi_find_tables(&mem, 0xe0000, &t), 0);
	CHECK_EQ(t.ntables, ACPI_MAX_TABLES);
	CHECK_EQ(t.dropped, 4000 - ACPI_MAX_TABLES);
	CHECK(fk.reads < 2000);
}

/* ---- MADT ----------------------------------------------------------------------- */

TEST(madt_entries)
{
	struct acpi_madt md;
	uint8_t nmi[6] = { 4, 6, 0xff, 0x05, 0x00, 1 };
	uint8_t unknown[5] = { 0x7f, 5, 1, 2, 3 };
	uint8_t nmisrc[8] = { 3, 8, 0, 0, 9, 0, 0, 0 };

	reset();
	madt_begin(0x2000, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
	ent_lapic(0, 0, ACPI_LAPIC_ENABLED);
	ent_lapic(1, 2, ACPI_LAPIC_ENABLED);
	ent_x2apic(300, ACPI_LAPIC_ENABLED, 7);
	ent_ioapic(0, 0xfec00000, 0);
	ent_ioapic(1, 0xfec10000, 24);
	ent_override(0, 2, 0);
	ent_override(9, 9, ACPI_INTI_POLARITY_LOW | ACPI_INTI_TRIGGER_LEVEL);
	ent(nmi, 6);
	ent(unknown, 5);
	ent(nmisrc, 8);
	madt_end_table(3);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.revision, 3);
	CHECK_EQ(md.lapic_addr, 0xfee00000);
	CHECK_EQ(md.flags, ACPI_MADT_PCAT_COMPAT);
	CHECK_EQ(md.ncpus, 3);
	CHECK_EQ(md.cpu[1].apic_id, 2);
	CHECK_EQ(md.cpu[1].acpi_uid, 1);
	CHECK(!md.cpu[1].x2apic);
	CHECK_EQ(md.cpu[2].apic_id, 300);
	CHECK_EQ(md.cpu[2].acpi_uid, 7);
	CHECK(md.cpu[2].x2apic);
	CHECK_EQ(md.nioapics, 2);
	CHECK_EQ(md.ioapic[1].id, 1);
	CHECK_EQ(md.ioapic[1].addr, 0xfec10000);
	CHECK_EQ(md.ioapic[1].gsi_base, 24);
	CHECK_EQ(md.novr, 2);
	CHECK_EQ(md.ovr[1].irq, 9);
	CHECK_EQ(md.ovr[1].flags, 0xf);
	CHECK_EQ(md.nnmis, 1);
	CHECK_EQ(md.nmi[0].acpi_uid, ACPI_UID_ALL);
	CHECK_EQ(md.nmi[0].flags, 5);
	CHECK_EQ(md.nmi[0].lint, 1);
	CHECK_EQ(md.unknown, 1);
	CHECK_EQ(md.cpus_dropped + md.ioapics_dropped + md.ovr_dropped, 0);
}

TEST(madt_disabled_cpus)
{
	struct acpi_madt md;

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	ent_lapic(0, 0, ACPI_LAPIC_ENABLED);
	ent_lapic(1, 1, 0); /* not present */
	ent_lapic(2, 2, ACPI_LAPIC_ONLINE_CAPABLE); /* hot-pluggable */
	ent_x2apic(3, ACPI_LAPIC_ONLINE_CAPABLE, 3);
	ent_lapic(4, 4, ACPI_LAPIC_ENABLED | ACPI_LAPIC_ONLINE_CAPABLE);
	madt_end_table(5);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.ncpus, 2);
	CHECK_EQ(md.cpu[1].apic_id, 4);
	CHECK_EQ(md.cpus_hotplug, 2);
	/* Before revision 5 the online-capable bit means nothing. */
	madt_end_table(4);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.ncpus, 2);
	CHECK_EQ(md.cpus_hotplug, 0);
}

TEST(madt_same_cpu_twice)
{
	struct acpi_madt md;

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	ent_lapic(0, 3, ACPI_LAPIC_ENABLED);
	ent_x2apic(3, ACPI_LAPIC_ENABLED, 0);
	madt_end_table(4);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.ncpus, 1);
	CHECK(!md.cpu[0].x2apic);
}

TEST(madt_too_many)
{
	struct acpi_madt md;

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 6; i++)
		ent_x2apic(i, ACPI_LAPIC_ENABLED, i);
	for (unsigned i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
		ent_ioapic((uint8_t)i, 0xfec00000 + 0x1000 * i, 24 * i);
	for (unsigned i = 0; i < ACPI_MAX_OVERRIDES + 4; i++)
		ent_override((uint8_t)i, i + 1, 0);
	madt_end_table(4);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.ncpus, ACPI_MAX_CPUS);
	CHECK_EQ(md.cpus_dropped, 6);
	CHECK_EQ(md.cpu[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	CHECK_EQ(md.nioapics, ACPI_MAX_IOAPICS);
	CHECK_EQ(md.ioapics_dropped, 2);
	CHECK_EQ(md.novr, ACPI_MAX_OVERRIDES);
	CHECK_EQ(md.ovr_dropped, 4);
}

TEST(madt_bad_entries)
{
	struct acpi_madt md;
	uint8_t zero[2] = { 0x7f, 0 }, one[2] = { 0, 1 };
	uint8_t short_ioapic[8] = { 1, 8, 0, 0, 0, 0, 0xc0, 0xfe };

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	ent_lapic(0, 0, ACPI_LAPIC_ENABLED);
	ent(zero, 2);
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EINVAL);

	madt_begin(0x2000, 0xfee00000, 0);
	ent(one, 2);
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EINVAL);

	madt_begin(0x2000, 0xfee00000, 0);
	ent(short_ioapic, 8);
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EINVAL);

	/* An entry running past the table's length. */
	madt_begin(0x2000, 0xfee00000, 0);
	ent_ioapic(0, 0xfec00000, 0);
	madt_end -= 4;
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EINVAL);

	/* A single stray byte after the last entry. */
	madt_begin(0x2000, 0xfee00000, 0);
	ent_lapic(0, 0, ACPI_LAPIC_ENABLED);
	madt_end++;
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EINVAL);

	/* Longer entries than the types need are fine (newer revisions). */
	uint8_t long_lapic[12] = { 0, 12, 5, 6, 1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd };

	madt_begin(0x2000, 0xfee00000, 0);
	ent(long_lapic, 12);
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.ncpus, 1);
	CHECK_EQ(md.cpu[0].apic_id, 6);
}

TEST(madt_bad_table)
{
	struct acpi_madt md;

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	ent_lapic(0, 0, ACPI_LAPIC_ENABLED);
	madt_end_table(1);
	low[0x2000 + 44] = 1; /* checksum */
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EIO);
	put_table(0x2000, "APIX", 52, 1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -ENOENT);
	put_table(0x2000, "APIC", 40, 1); /* no room for the LAPIC address */
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), -EINVAL);
	put_table(0x2000, "APIC", 44, 1); /* no entries: valid, no CPU */
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.ncpus, 0);
	CHECK_EQ(acpi_parse_madt(&mem, 0x300000, &md), -EFAULT);
}

TEST(madt_lapic_override64)
{
	struct acpi_madt md;
	uint8_t o[12] = { 5, 12, 0, 0, 0, 0, 0xe0, 0xfe, 1, 0, 0, 0 };
	uint8_t o2[12] = { 5, 12, 0, 0, 0, 0, 0xd0, 0xfe, 0, 0, 0, 0 };

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	ent(o, 12);
	ent(o2, 12);
	ent_lapic(0, 0, ACPI_LAPIC_ENABLED);
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(md.lapic_addr, 0x1fee00000ull);
}

TEST(irq_to_gsi)
{
	struct acpi_madt md;
	uint16_t flags = 0xffff;

	reset();
	madt_begin(0x2000, 0xfee00000, 0);
	ent_override(0, 2, 0);
	ent_override(9, 20, ACPI_INTI_TRIGGER_LEVEL | ACPI_INTI_POLARITY_LOW);
	madt_end_table(1);
	CHECK_EQ(acpi_parse_madt(&mem, 0x2000, &md), 0);
	CHECK_EQ(acpi_irq_to_gsi(&md, 0, &flags), 2);
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_irq_to_gsi(&md, 9, &flags), 20);
	CHECK_EQ(flags, 0xf);
	CHECK_EQ(acpi_irq_to_gsi(&md, 4, &flags), 4);
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_irq_to_gsi(&md, 9, NULL), 20);
	/* Overrides of another bus do not apply to ISA IRQs. */
	md.ovr[1].bus = 1;
	CHECK_EQ(acpi_irq_to_gsi(&md, 9, NULL), 9);
}

/* ---- the real tables of QEMU 7.2 microvm ---------------------------------------- */

/* Loads a dump into the fake memory (replacing it); returns its root address. */
static uint64_t load_dump(const char *path)
{
	uint64_t root = fake_load_file(path, &fk);

	if (!root)
		check_fail(__FILE__, __LINE__, "cannot read %s", path);
	return root;
}

static void check_microvm(const char *path, size_t ncpus)
{
	struct acpi_tables t;
	struct acpi_madt md;
	uint64_t rsdp = load_dump(path);

	CHECK_EQ(rsdp, 0xf34d0);
	CHECK_EQ(acpi_find_tables(&mem, rsdp, &t), 0);
	CHECK_EQ(t.rsdp_revision, 2);
	CHECK(!memcmp(t.oem_id, "BOCHS ", 6));
	CHECK(t.xsdt);
	CHECK_EQ(t.ntables, 2);
	CHECK_EQ(t.bad, 0);
	CHECK(t.madt_pa != 0);
	CHECK(t.fadt_pa != 0);
	CHECK_EQ(t.dsdt_pa, ncpus == 8 ? 0xefcc0 : 0xefd00);
	CHECK_EQ(t.dsdt_len, 336);
	CHECK_EQ(t.hpet_pa, 0);
	CHECK_EQ(acpi_parse_madt(&mem, t.madt_pa, &md), 0);
	CHECK_EQ(md.lapic_addr, 0xfee00000);
	CHECK_EQ(md.flags, ACPI_MADT_PCAT_COMPAT);
	CHECK_EQ(md.ncpus, ncpus);
	for (size_t i = 0; i < md.ncpus; i++) {
		CHECK_EQ(md.cpu[i].apic_id, i);
		CHECK_EQ(md.cpu[i].acpi_uid, i);
	}
	CHECK_EQ(md.cpus_hotplug, 0);
	CHECK_EQ(md.nioapics, 2);
	CHECK_EQ(md.ioapic[0].id, 0);
	CHECK_EQ(md.ioapic[0].addr, 0xfec00000);
	CHECK_EQ(md.ioapic[0].gsi_base, 0);
	CHECK_EQ(md.ioapic[1].id, 1);
	CHECK_EQ(md.ioapic[1].addr, 0xfec10000);
	CHECK_EQ(md.ioapic[1].gsi_base, 24);
	/* microvm routes ISA IRQs 1:1, the timer's IRQ 0 included. */
	CHECK_EQ(md.novr, 0);
	CHECK_EQ(acpi_irq_to_gsi(&md, 0, NULL), 0);
	CHECK_EQ(md.nnmis, 1);
	CHECK_EQ(md.nmi[0].acpi_uid, ACPI_UID_ALL);
	CHECK_EQ(md.nmi[0].lint, 1);
	CHECK_EQ(md.unknown, 0);
}

TEST(qemu_microvm_smp1)
{
	check_microvm("tests/host/data/microvm-smp1.bin", 1);
}

TEST(qemu_microvm_smp4)
{
	check_microvm("tests/host/data/microvm-smp4.bin", 4);
}

TEST(qemu_microvm_smp8)
{
	check_microvm("tests/host/data/microvm-smp8.bin", 8);
}

/* A real table with one flipped bit is caught by its checksum. */
TEST(qemu_microvm_corrupted)
{
	struct acpi_tables t;
	struct acpi_madt md;
	uint64_t rsdp = load_dump("tests/host/data/microvm-smp4.bin");

	CHECK_EQ(acpi_find_tables(&mem, rsdp, &t), 0);
	for (size_t i = 0; i < fk.n; i++) {
		struct chunk *c = &fk.c[i];

		/* The dump is in this file's own buffer: it may be changed. */
		if (t.madt_pa >= c->pa && t.madt_pa < c->pa + c->len)
			((uint8_t *)c->b)[t.madt_pa - c->pa + 50] ^= 4;
	}
	CHECK_EQ(acpi_parse_madt(&mem, t.madt_pa, &md), -EIO);
	CHECK_EQ(acpi_find_tables(&mem, rsdp, &t), 0);
	CHECK_EQ(t.madt_pa, 0);
	CHECK_EQ(t.bad, 1);
}

/* With acpi=off the start info's rsdp_paddr is 0 and no tables are there. */
TEST(qemu_microvm_noacpi)
{
	struct acpi_tables t;
	uint64_t root = load_dump("tests/host/data/microvm-noacpi.bin");

	CHECK_EQ(root, 0x9fc00); /* the dump's root is the MP floating pointer */
	CHECK_EQ(acpi_find_tables(&mem, 0, &t), -EFAULT);
	CHECK_EQ(acpi_find_tables(&mem, root, &t), -ENOENT);
}
