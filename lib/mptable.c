/* SPDX-License-Identifier: MIT */
/*
 * MP tables (Intel MultiProcessor Specification 1.4, chapter 4):
 *
 *   floating pointer (16 bytes, 16-byte aligned, 4.1)
 *     0 "_MP_"  4 u32 configuration table address  8 u8 length in 16-byte units
 *     9 u8 spec revision  10 u8 checksum (over length*16 bytes)
 *     11 feature byte 1: 0 = a table follows, 1..7 = a default configuration
 *     12 feature byte 2: bit 7 = IMCR present
 *   configuration table header (44 bytes, 4.2)
 *     0 "PCMP"  4 u16 base table length (header included)  6 u8 revision
 *     7 u8 checksum (over the base table)  8 OEM id[8]  16 product id[12]
 *     28 u32 OEM table  32 u16 OEM table size  34 u16 entry count
 *     36 u32 local APIC address  40 u16 extended length  42 u8 extended checksum
 *   entries (4.3), by type: 0 processor (20 bytes), 1 bus, 2 I/O APIC, 3 I/O
 *     interrupt, 4 local interrupt (8 bytes each); other types are reserved.
 *
 * The tables are untrusted like ACPI's: everything goes through the acpi_mem ops,
 * is decoded byte by byte, and each entry must fit inside the base table length.
 * The extended table (after the base table) is not read.
 *
 * What QEMU 7.2 `-M microvm` writes, found by dumping guest memory: its firmware,
 * qboot, builds an MP table in all cases, acpi=on or off (QEMU itself does not:
 * microvm.c has no MP table code; qboot's mptable.c does), with the floating
 * pointer at 0x9fc00 (the last KiB of base memory, marked reserved in the memory
 * map) and the table right after it at 0x9fc10: one processor per CPU (APIC id i,
 * enabled, CPU 0 the BSP), an ISA bus, one IOAPIC with id ncpus+1 at 0xfec00000
 * (the MADT calls it id 0, and lists a second IOAPIC at 0xfec10000 that the MP
 * table omits), ISA IRQ n to pin n except IRQ 0 to pin 2 (IRQ 2 absent), ExtINT
 * on LINT0 and NMI on LINT1. Two quirks matter:
 *   - qboot never fills in the entry count: it is 0. So, like Linux, entries are
 *     walked up to the base table length; the count is only reported.
 *   - The IRQ 0 -> pin 2 entry comes from fw_cfg's IRQ0_OVERRIDE, which QEMU sets
 *     to 1 for every x86 machine, while microvm's MADT has no override for IRQ 0.
 *     Prefer ACPI when there is any.
 * The BIOS data area is left zero (no EBDA segment, no base memory size).
 */
#include "lib/mptable.h"

#include "lib/kstring.h"
#include "toro/errno.h"

#define FPS_LEN 16 /* floating pointer structure */
#define CFG_HDR_LEN 44 /* configuration table header */

/* Base entry types and lengths (4.3, table 4-3). */
#define MP_ENT_PROCESSOR 0
#define MP_ENT_BUS 1
#define MP_ENT_IOAPIC 2
#define MP_ENT_IOINT 3
#define MP_ENT_LINT 4
#define MP_PROCESSOR_LEN 20
#define MP_ENTRY_LEN 8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int mem_read(const struct acpi_mem *m, uint64_t pa, void *buf, size_t len)
{
	if (pa + len < pa)
		return -EFAULT;
	return m->read(m->ctx, pa, buf, len) ? -EFAULT : 0;
}

/* The byte sum of [pa, pa + len): 0 for a valid MP checksum. */
static int sum_bytes(const struct acpi_mem *m, uint64_t pa, size_t len, uint8_t *sum)
{
	uint8_t buf[128];
	uint8_t s = 0;

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		int r = mem_read(m, pa, buf, n);

		if (r)
			return r;
		for (size_t i = 0; i < n; i++)
			s = (uint8_t)(s + buf[i]);
		pa += n;
		len -= n;
	}
	*sum = s;
	return 0;
}

size_t mptable_std_ranges(uint16_t ebda_seg, uint16_t base_kib, struct mptable_range *out)
{
	uint64_t ebda = (uint64_t)ebda_seg << 4;
	/* Base memory ends at 640 KiB at most; a bigger or missing value is bogus. */
	uint64_t base_end = (base_kib && base_kib <= 640) ? (uint64_t)base_kib << 10 :
							    0xa0000;
	size_t n = 0;

	if (ebda) {
		out[n].start = ebda;
		out[n].end = ebda + 1024;
		n++;
	}
	/* With an EBDA, the last KiB of base memory is usually its first one. */
	if (!ebda || ebda != base_end - 1024) {
		out[n].start = base_end - 1024;
		out[n].end = base_end;
		n++;
	}
	out[n].start = 0xf0000;
	out[n].end = 0x100000;
	return n + 1;
}

/* Whether a valid floating pointer starts at pa and ends by end. */
static bool fps_at(const struct acpi_mem *m, uint64_t pa, uint64_t end, const uint8_t *b)
{
	uint8_t sum;

	if (memcmp(b, "_MP_", 4) != 0 || b[8] == 0)
		return false;
	if ((uint64_t)b[8] * 16 > end - pa)
		return false;
	return sum_bytes(m, pa, (size_t)b[8] * 16, &sum) == 0 && sum == 0;
}

int mptable_find(const struct acpi_mem *m, const struct mptable_range *r, size_t n,
		 uint64_t *fps_pa)
{
	uint8_t b[FPS_LEN];

	for (size_t i = 0; i < n; i++) {
		if (r[i].start > UINT64_MAX - 15)
			continue;
		/* The structure is paragraph aligned (4.1). */
		uint64_t pa = (r[i].start + 15) & ~(uint64_t)15;

		for (; pa < r[i].end && r[i].end - pa >= FPS_LEN; pa += 16) {
			if (mem_read(m, pa, b, FPS_LEN))
				break; /* the rest of this range is not readable either */
			if (fps_at(m, pa, r[i].end, b)) {
				*fps_pa = pa;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static void add_cpu(struct mptable_info *out, const uint8_t *e)
{
	if (!(e[3] & MP_CPU_EN)) {
		out->cpus_disabled++;
		return;
	}
	if (out->ncpus == MPTABLE_MAX_CPUS) {
		out->cpus_dropped++;
		return;
	}
	out->cpu[out->ncpus].apic_id = e[1];
	out->cpu[out->ncpus].apic_version = e[2];
	out->cpu[out->ncpus].bsp = (e[3] & MP_CPU_BP) != 0;
	out->ncpus++;
}

static void add_ioapic(struct mptable_info *out, const uint8_t *e)
{
	if (!(e[3] & MP_IOAPIC_EN)) {
		out->ioapics_disabled++;
		return;
	}
	if (out->nioapics == MPTABLE_MAX_IOAPICS) {
		out->ioapics_dropped++;
		return;
	}
	out->ioapic[out->nioapics].id = e[1];
	out->ioapic[out->nioapics].version = e[2];
	out->ioapic[out->nioapics].addr = get32(e + 4);
	out->nioapics++;
}

static void add_irq(struct mptable_info *out, const uint8_t *e)
{
	if (out->nirqs == MPTABLE_MAX_IRQS) {
		out->irqs_dropped++;
		return;
	}
	struct mptable_irq *q = &out->irq[out->nirqs++];

	q->type = e[1];
	q->flags = get16(e + 2);
	q->bus = e[4];
	q->bus_irq = e[5];
	q->ioapic_id = e[6];
	q->pin = e[7];
}

/* Walks the entries of the base table [cfg + CFG_HDR_LEN, cfg + len). */
static int walk_entries(const struct acpi_mem *m, uint64_t cfg, uint16_t len,
			struct mptable_info *out)
{
	uint8_t e[MP_PROCESSOR_LEN];

	for (uint32_t off = CFG_HDR_LEN; off < len;) {
		int r = mem_read(m, cfg + off, e, 1);

		if (r)
			return r;
		uint32_t elen = e[0] == MP_ENT_PROCESSOR ? MP_PROCESSOR_LEN :
							   MP_ENTRY_LEN;

		if (e[0] > MP_ENT_LINT)
			return -EINVAL;
		if (elen > len - off)
			return -EINVAL;
		r = mem_read(m, cfg + off, e, elen);
		if (r)
			return r;
		switch (e[0]) {
		case MP_ENT_PROCESSOR:
			add_cpu(out, e);
			break;
		case MP_ENT_BUS:
			/* The type is a blank-padded string: "ISA   ". */
			if (out->isa_bus < 0 && !memcmp(e + 2, "ISA ", 4))
				out->isa_bus = e[1];
			break;
		case MP_ENT_IOAPIC:
			add_ioapic(out, e);
			break;
		case MP_ENT_IOINT:
			add_irq(out, e);
			break;
		case MP_ENT_LINT:
			/* LINT0/LINT1 wiring: the LAPIC driver programs the usual one. */
			break;
		}
		out->entries++;
		off += elen;
	}
	return 0;
}

int mptable_parse(const struct acpi_mem *m, uint64_t fps_pa, struct mptable_info *out)
{
	uint8_t b[CFG_HDR_LEN], sum;
	int r;

	memset(out, 0, sizeof(*out));
	out->isa_bus = -1;
	r = mem_read(m, fps_pa, b, FPS_LEN);
	if (r)
		return r;
	if (memcmp(b, "_MP_", 4) != 0)
		return -ENOENT;
	if (b[8] == 0)
		return -EINVAL;
	r = sum_bytes(m, fps_pa, (size_t)b[8] * 16, &sum);
	if (r)
		return r;
	if (sum)
		return -EIO;
	out->spec_rev = b[9];
	out->default_config = b[11];
	out->imcr = (b[12] & 0x80) != 0;
	if (out->default_config)
		return -ENOSYS;
	uint64_t cfg = get32(b + 4);

	if (!cfg)
		return -EINVAL;
	out->config_pa = cfg;
	r = mem_read(m, cfg, b, CFG_HDR_LEN);
	if (r)
		return r;
	if (memcmp(b, "PCMP", 4) != 0)
		return -ENOENT;
	uint16_t len = get16(b + 4);

	if (len < CFG_HDR_LEN)
		return -EINVAL;
	r = sum_bytes(m, cfg, len, &sum);
	if (r)
		return r;
	if (sum)
		return -EIO;
	out->entry_count = get16(b + 34);
	out->lapic_addr = get32(b + 36);
	return walk_entries(m, cfg, len, out);
}

int mptable_isa_irq(const struct mptable_info *info, uint8_t irq, size_t *ioapic,
		    uint8_t *pin, uint16_t *flags)
{
	if (info->isa_bus < 0)
		return -ENOENT;
	for (size_t i = 0; i < info->nirqs; i++) {
		const struct mptable_irq *q = &info->irq[i];

		if (q->type != MP_INT || q->bus != info->isa_bus || q->bus_irq != irq)
			continue;
		/* "All IOAPICs" means the first one to a system with a single one. */
		for (size_t k = 0; k < info->nioapics; k++) {
			if (q->ioapic_id != info->ioapic[k].id &&
			    q->ioapic_id != MP_IOAPIC_ALL)
				continue;
			*ioapic = k;
			*pin = q->pin;
			*flags = q->flags;
			return 0;
		}
	}
	return -ENOENT;
}
