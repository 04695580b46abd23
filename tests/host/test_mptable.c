/* SPDX-License-Identifier: MIT */
/*
 * MP table search and parsing against tables built in a fake physical memory, and
 * against the table qboot writes for QEMU 7.2 microvm (tests/host/data/microvm-*.bin,
 * format described in test_acpi.c).
 */
#include "tests/host/check.h"

#include "lib/mptable.h"
#include "tests/host/fakemem.h"
#include "toro/errno.h"

/* ---- fake physical memory (as in test_acpi.c) ----------------------------------- */

#define LOW_SIZE 0x110000 /* the first MiB and a little more */

static uint8_t low[LOW_SIZE];
static struct fake fk;
static const struct acpi_mem mem = { fake_read, &fk };

static void reset(void)
{
	memset(low, 0, sizeof(low));
	memset(&fk, 0, sizeof(fk));
	fk.c[0] = (struct chunk){ 0, LOW_SIZE, low };
	fk.n = 1;
}

static void put16(uint64_t pa, uint16_t v)
{
	low[pa] = (uint8_t)v;
	low[pa + 1] = (uint8_t)(v >> 8);
}

static void put32(uint64_t pa, uint32_t v)
{
	put16(pa, (uint16_t)v);
	put16(pa + 2, (uint16_t)(v >> 16));
}

static void fix_sum(uint64_t pa, size_t len, size_t field)
{
	uint8_t s = 0;

	low[pa + field] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + low[pa + i]);
	low[pa + field] = (uint8_t)-s;
}

static void put_fps(uint64_t pa, uint32_t cfg, uint8_t paragraphs, uint8_t feature1)
{
	memcpy(low + pa, "_MP_", 4);
	put32(pa + 4, cfg);
	low[pa + 8] = paragraphs;
	low[pa + 9] = 4;
	low[pa + 11] = feature1;
	low[pa + 12] = 0x80;
	fix_sum(pa, 16u * paragraphs, 10);
}

/* ---- configuration table builder ------------------------------------------------ */

static uint64_t cfg_pa, cfg_end;
static uint16_t cfg_count;

static void cfg_begin(uint64_t pa)
{
	cfg_pa = pa;
	cfg_end = pa + 44;
	cfg_count = 0;
	memcpy(low + pa, "PCMP", 4);
	low[pa + 6] = 4;
	memcpy(low + pa + 8, "TORO    ", 8);
	put32(pa + 36, 0xfee00000);
}

static void cfg_ent(const uint8_t *e, size_t len)
{
	memcpy(low + cfg_end, e, len);
	cfg_end += len;
	cfg_count++;
}

static void cfg_cpu(uint8_t apic, uint8_t flags)
{
	uint8_t e[20] = { 0, apic, 0x14, flags };

	cfg_ent(e, 20);
}

static void cfg_ioapic(uint8_t id, uint8_t flags, uint32_t addr)
{
	uint8_t e[8] = { 2, id, 0x11, flags };

	memcpy(e + 4, &addr, 4);
	cfg_ent(e, 8);
}

static void cfg_irq(uint8_t type, uint16_t flags, uint8_t bus, uint8_t irq,
		    uint8_t ioapic, uint8_t pin)
{
	uint8_t e[8] = { 3,   type, (uint8_t)flags, (uint8_t)(flags >> 8),
			 bus, irq,  ioapic,	    pin };

	cfg_ent(e, 8);
}

static void cfg_done(void)
{
	put16(cfg_pa + 4, (uint16_t)(cfg_end - cfg_pa));
	put16(cfg_pa + 34, cfg_count);
	fix_sum(cfg_pa, cfg_end - cfg_pa, 7);
}

/* A small valid table at 0x9fc10 with its floating pointer at 0x9fc00. */
static void build_basic(void)
{
	uint8_t pci[8] = { 1, 0, 'P', 'C', 'I', ' ', ' ', ' ' };
	uint8_t isa[8] = { 1, 1, 'I', 'S', 'A', ' ', ' ', ' ' };
	uint8_t lint[8] = { 4, MP_EXTINT, 0, 0, 1, 0, 0xff, 0 };

	put_fps(0x9fc00, 0x9fc10, 1, 0);
	cfg_begin(0x9fc10);
	cfg_cpu(0, MP_CPU_EN | MP_CPU_BP);
	cfg_cpu(1, 0); /* disabled */
	cfg_cpu(6, MP_CPU_EN);
	cfg_ent(pci, 8);
	cfg_ent(isa, 8);
	cfg_ioapic(9, 0, 0xfec80000); /* unusable */
	cfg_ioapic(4, MP_IOAPIC_EN, 0xfec00000);
	cfg_irq(MP_INT, 0, 1, 0, 4, 2);
	cfg_irq(MP_INT, 0xf, 1, 9, MP_IOAPIC_ALL, 9);
	cfg_irq(MP_INT, 0, 0, 10, 4, 16); /* a PCI interrupt */
	cfg_irq(MP_EXTINT, 0, 1, 3, 4, 0);
	cfg_ent(lint, 8);
	cfg_done();
}

/* ---- search -------------------------------------------------------------------- */

TEST(std_ranges)
{
	struct mptable_range r[MPTABLE_MAX_RANGES];

	/* qboot: no EBDA, no base memory size. */
	CHECK_EQ(mptable_std_ranges(0, 0, r), 2);
	CHECK_EQ(r[0].start, 0x9fc00);
	CHECK_EQ(r[0].end, 0xa0000);
	CHECK_EQ(r[1].start, 0xf0000);
	CHECK_EQ(r[1].end, 0x100000);
	/* The EBDA in the last KiB of base memory is searched once. */
	CHECK_EQ(mptable_std_ranges(0x9fc0, 640, r), 2);
	CHECK_EQ(r[0].start, 0x9fc00);
	/* Both, apart. */
	CHECK_EQ(mptable_std_ranges(0x9000, 600, r), 3);
	CHECK_EQ(r[0].start, 0x90000);
	CHECK_EQ(r[0].end, 0x90400);
	CHECK_EQ(r[1].start, 600 * 1024 - 1024);
	CHECK_EQ(r[2].start, 0xf0000);
	/* A base memory size beyond 640 KiB is bogus. */
	CHECK_EQ(mptable_std_ranges(0, 4000, r), 2);
	CHECK_EQ(r[0].end, 0xa0000);
}

TEST(found_in_each_range)
{
	struct mptable_range r[MPTABLE_MAX_RANGES];
	uint64_t where[] = { 0x90000, 0x90000 + 1008, 0x9fc00, 0x9fff0, 0xf0000, 0xffff0 };
	size_t n = mptable_std_ranges(0x9000, 640, r);
	uint64_t pa;

	CHECK_EQ(n, 3);
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		reset();
		put_fps(where[i], 0, 1, 1);
		pa = 0;
		CHECK_EQ(mptable_find(&mem, r, n, &pa), 0);
		CHECK_EQ(pa, where[i]);
	}
	/* Just outside every range: not found. */
	reset();
	put_fps(0x90400, 0, 1, 1);
	put_fps(0xefff0, 0, 1, 1);
	CHECK_EQ(mptable_find(&mem, r, n, &pa), -ENOENT);
}

TEST(bad_candidates_skipped)
{
	struct mptable_range r[] = { { 0xf0000, 0x100000 } };
	uint64_t pa = 0;

	reset();
	put_fps(0xf0000, 0, 1, 1);
	low[0xf0000 + 13] = 1; /* bad checksum */
	memcpy(low + 0xf0104, "_MP_", 4); /* not on a paragraph */
	put_fps(0xf0200, 0, 1, 1);
	low[0xf0200 + 8] = 0; /* zero length */
	fix_sum(0xf0200, 16, 10);
	CHECK_EQ(mptable_find(&mem, r, 1, &pa), -ENOENT);
	/* Length 2 running past the range's end. */
	put_fps(0xffff0, 0, 2, 1);
	CHECK_EQ(mptable_find(&mem, r, 1, &pa), -ENOENT);
	put_fps(0xf1230, 0, 1, 1);
	CHECK_EQ(mptable_find(&mem, r, 1, &pa), 0);
	CHECK_EQ(pa, 0xf1230);
}

TEST(unreadable_and_odd_ranges)
{
	struct mptable_range r[] = {
		{ 0x50000000, 0x50010000 }, /* not in memory */
		{ UINT64_MAX - 8, UINT64_MAX }, /* would wrap */
		{ 0x1000, 0x1000 }, /* empty */
		{ 0x2001, 0x2011 }, /* no whole aligned paragraph */
		{ 0x3003, 0x3100 }, /* starts unaligned */
	};
	uint64_t pa = 0;

	reset();
	put_fps(0x2000, 0, 1, 1);
	put_fps(0x2010, 0, 1, 1);
	CHECK_EQ(mptable_find(&mem, r, 4, &pa), -ENOENT);
	put_fps(0x3010, 0, 1, 1);
	CHECK_EQ(mptable_find(&mem, r, 5, &pa), 0);
	CHECK_EQ(pa, 0x3010);
}

/* ---- parsing ------------------------------------------------------------------- */

TEST(parse_basic)
{
	struct mptable_info mi;
	size_t io;
	uint8_t pin;
	uint16_t flags;

	reset();
	build_basic();
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), 0);
	CHECK_EQ(mi.spec_rev, 4);
	CHECK_EQ(mi.default_config, 0);
	CHECK(mi.imcr);
	CHECK_EQ(mi.config_pa, 0x9fc10);
	CHECK_EQ(mi.lapic_addr, 0xfee00000);
	CHECK_EQ(mi.entry_count, 12);
	CHECK_EQ(mi.entries, 12);
	CHECK_EQ(mi.ncpus, 2);
	CHECK_EQ(mi.cpus_disabled, 1);
	CHECK_EQ(mi.cpu[0].apic_id, 0);
	CHECK(mi.cpu[0].bsp);
	CHECK_EQ(mi.cpu[0].apic_version, 0x14);
	CHECK_EQ(mi.cpu[1].apic_id, 6);
	CHECK(!mi.cpu[1].bsp);
	CHECK_EQ(mi.nioapics, 1);
	CHECK_EQ(mi.ioapics_disabled, 1);
	CHECK_EQ(mi.ioapic[0].id, 4);
	CHECK_EQ(mi.ioapic[0].version, 0x11);
	CHECK_EQ(mi.ioapic[0].addr, 0xfec00000);
	CHECK_EQ(mi.isa_bus, 1);
	CHECK_EQ(mi.nirqs, 4);
	CHECK_EQ(mi.irq[1].flags, 0xf);
	CHECK_EQ(mptable_isa_irq(&mi, 0, &io, &pin, &flags), 0);
	CHECK_EQ(io, 0);
	CHECK_EQ(pin, 2);
	CHECK_EQ(mptable_isa_irq(&mi, 9, &io, &pin, &flags), 0);
	CHECK_EQ(pin, 9);
	CHECK_EQ(flags, 0xf);
	/* IRQ 10 is on the PCI bus, IRQ 3 is ExtINT, IRQ 4 is absent. */
	CHECK_EQ(mptable_isa_irq(&mi, 10, &io, &pin, &flags), -ENOENT);
	CHECK_EQ(mptable_isa_irq(&mi, 3, &io, &pin, &flags), -ENOENT);
	CHECK_EQ(mptable_isa_irq(&mi, 4, &io, &pin, &flags), -ENOENT);
}

TEST(parse_errors)
{
	struct mptable_info mi;
	uint8_t unknown[8] = { 5, 0, 0, 0, 0, 0, 0, 0 };

	reset();
	build_basic();
	low[0x9fc00 + 13] = 1; /* floating pointer checksum */
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EIO);
	build_basic();
	low[0x9fc10 + 60] ^= 1; /* configuration table checksum */
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EIO);
	build_basic();
	low[0x9fc10] = 'X';
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -ENOENT);
	CHECK_EQ(mptable_parse(&mem, 0x9fc10, &mi), -ENOENT);
	CHECK_EQ(mptable_parse(&mem, 0x200000, &mi), -EFAULT);
	/* Configuration table outside memory, or missing. */
	put_fps(0x9fc00, 0x7000000, 1, 0);
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EFAULT);
	put_fps(0x9fc00, 0, 1, 0);
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EINVAL);
	/* Length shorter than the header. */
	build_basic();
	put16(0x9fc10 + 4, 40);
	fix_sum(0x9fc10, 40, 7);
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EINVAL);
	/* An unknown entry type. */
	build_basic();
	cfg_ent(unknown, 8);
	cfg_done();
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EINVAL);
	/* A processor entry cut by the base table length. */
	build_basic();
	cfg_cpu(7, MP_CPU_EN);
	cfg_end -= 12;
	cfg_done();
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EINVAL);
	/* A length running past the end of memory. */
	put_fps(0x9fc00, LOW_SIZE - 48, 1, 0);
	memcpy(low + LOW_SIZE - 48, "PCMP", 4);
	put16(LOW_SIZE - 44, 100);
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), -EFAULT);
}

TEST(parse_default_config)
{
	struct mptable_info mi;

	reset();
	put_fps(0xf0000, 0, 1, 5);
	CHECK_EQ(mptable_parse(&mem, 0xf0000, &mi), -ENOSYS);
	CHECK_EQ(mi.default_config, 5);
	CHECK_EQ(mi.ncpus, 0);
}

/* A wrong entry count is reported, not trusted (qboot writes 0). */
TEST(parse_ignores_entry_count)
{
	struct mptable_info mi;

	reset();
	build_basic();
	put16(cfg_pa + 34, 2);
	fix_sum(cfg_pa, cfg_end - cfg_pa, 7);
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), 0);
	CHECK_EQ(mi.entry_count, 2);
	CHECK_EQ(mi.entries, 12);
	CHECK_EQ(mi.ncpus, 2);
}

TEST(parse_too_many)
{
	struct mptable_info mi;

	reset();
	put_fps(0x9fc00, 0x10000, 1, 0);
	cfg_begin(0x10000);
	for (unsigned i = 0; i < MPTABLE_MAX_CPUS + 6; i++)
		cfg_cpu((uint8_t)i, MP_CPU_EN);
	for (unsigned i = 0; i < MPTABLE_MAX_IOAPICS + 3; i++)
		cfg_ioapic((uint8_t)(100 + i), MP_IOAPIC_EN, 0xfec00000 + 0x1000 * i);
	for (unsigned i = 0; i < MPTABLE_MAX_IRQS + 1; i++)
		cfg_irq(MP_INT, 0, 0, (uint8_t)i, 100, (uint8_t)i);
	cfg_done();
	CHECK_EQ(mptable_parse(&mem, 0x9fc00, &mi), 0);
	CHECK_EQ(mi.ncpus, MPTABLE_MAX_CPUS);
	CHECK_EQ(mi.cpus_dropped, 6);
	CHECK_EQ(mi.cpu[MPTABLE_MAX_CPUS - 1].apic_id, MPTABLE_MAX_CPUS - 1);
	CHECK_EQ(mi.nioapics, MPTABLE_MAX_IOAPICS);
	CHECK_EQ(mi.ioapics_dropped, 3);
	CHECK_EQ(mi.nirqs, MPTABLE_MAX_IRQS);
	CHECK_EQ(mi.irqs_dropped, 1);
	CHECK_EQ(mi.isa_bus, -1);
}

/* ---- the table qboot writes for QEMU 7.2 microvm -------------------------------- */

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
	struct mptable_range r[MPTABLE_MAX_RANGES];
	struct mptable_info mi;
	uint64_t pa = 0;
	size_t io;
	uint8_t pin;
	uint16_t flags;

	load_dump(path);
	/* qboot leaves the BIOS data area zero. */
	CHECK_EQ(mptable_find(&mem, r, mptable_std_ranges(0, 0, r), &pa), 0);
	CHECK_EQ(pa, 0x9fc00);
	CHECK_EQ(mptable_parse(&mem, pa, &mi), 0);
	CHECK_EQ(mi.spec_rev, 4);
	CHECK_EQ(mi.config_pa, 0x9fc10);
	CHECK_EQ(mi.lapic_addr, 0xfee00000);
	CHECK_EQ(mi.entry_count, 0);
	/* CPUs, the ISA bus, one IOAPIC, 15 ISA IRQs, 2 local interrupts. */
	CHECK_EQ(mi.entries, ncpus + 1 + 1 + 15 + 2);
	CHECK_EQ(mi.ncpus, ncpus);
	for (size_t i = 0; i < mi.ncpus; i++) {
		CHECK_EQ(mi.cpu[i].apic_id, i);
		CHECK_EQ(mi.cpu[i].bsp, i == 0);
	}
	CHECK_EQ(mi.nioapics, 1);
	CHECK_EQ(mi.ioapic[0].id, ncpus + 1);
	CHECK_EQ(mi.ioapic[0].addr, 0xfec00000);
	CHECK_EQ(mi.isa_bus, 0);
	CHECK_EQ(mi.nirqs, 15);
	CHECK_EQ(mptable_isa_irq(&mi, 0, &io, &pin, &flags), 0);
	CHECK_EQ(pin, 2);
	CHECK_EQ(mptable_isa_irq(&mi, 2, &io, &pin, &flags), -ENOENT);
	CHECK_EQ(mptable_isa_irq(&mi, 4, &io, &pin, &flags), 0);
	CHECK_EQ(io, 0);
	CHECK_EQ(pin, 4);
	CHECK_EQ(flags, 0);
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

/* acpi=off: the same MP table, the only CPU description there is. */
TEST(qemu_microvm_noacpi)
{
	check_microvm("tests/host/data/microvm-noacpi.bin", 4);
}
