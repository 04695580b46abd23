/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables, as far as Toro needs them (ACPI 6.5 chapter 5):
 *
 *   RSDP (5.2.5)  "RSD PTR ", checksum over its first 20 bytes; revision >= 2 adds
 *                 a length and an extended checksum over that many bytes, and the
 *                 64-bit address of the XSDT next to the 32-bit one of the RSDT.
 *   XSDT/RSDT     a common 36-byte header (5.2.6: signature, length, revision,
 *   (5.2.7-8)     checksum over `length` bytes, ...) followed by 8-byte (XSDT) or
 *                 4-byte (RSDT) physical addresses of the other tables.
 *   FADT "FACP"   holds the DSDT's address: X_DSDT (64-bit, offset 140) wins over
 *   (5.2.9)       DSDT (32-bit, offset 40) when present and non-zero.
 *   MADT "APIC"   after the header: local APIC address (u32 at 36), flags (u32 at
 *   (5.2.12)      40), then entries {u8 type, u8 length, ...} up to the length.
 *
 * Everything here came from the VMM and is untrusted. The rules: every read goes
 * through the acpi_mem ops into a local buffer (no pointer into the tables is ever
 * formed, so unaligned tables are fine: QEMU's XSDT sits at an odd address); every
 * field is decoded byte by byte as little-endian; every length is checked against
 * what contains it before use, and against ACPI_MAX_TABLE_LEN so that a bogus
 * length cannot make us checksum gigabytes; every loop advances by at least one
 * byte or ends with -EINVAL. A checksum mismatch is -EIO, distinct from a
 * malformed layout (-EINVAL) and a missing signature (-ENOENT).
 *
 * What QEMU 7.2 `-M microvm` (acpi=on, the default) gives a PVH guest, as dumped
 * from guest memory (tests/host/data/microvm-*.bin): RSDP revision 2 at 0xf34d0,
 * OEM "BOCHS ", RSDT address 0, an XSDT listing only FACP and APIC (no HPET); the
 * tables sit just below 0xf0000 (DSDT at 0xefd00). The MADT has one type 0 entry
 * per CPU (ids 0..n-1, flags 1), two IOAPICs (id 0 at 0xfec00000 GSI base 0, id 1
 * at 0xfec10000 GSI base 24), a local APIC NMI on LINT1 for all CPUs, and NO
 * interrupt source overrides: ISA IRQ n is GSI n, IRQ 0 included.
 */
#include "lib/acpi.h"

#include "lib/kstring.h"
#include "toro/errno.h"

#define ACPI_MAX_ROOT_ENTRIES 256 /* XSDT/RSDT entries examined at most */

/* MADT entry types (5.2.12, table "Interrupt Controller Structure Types"). */
#define MADT_LAPIC 0 /* Processor Local APIC, 8 bytes */
#define MADT_IOAPIC 1 /* I/O APIC, 12 bytes */
#define MADT_OVERRIDE 2 /* Interrupt Source Override, 10 bytes */
#define MADT_NMI_SOURCE 3 /* NMI Source, 8 bytes */
#define MADT_LAPIC_NMI 4 /* Local APIC NMI, 6 bytes */
#define MADT_LAPIC_ADDR 5 /* Local APIC Address Override, 12 bytes */
#define MADT_X2APIC 9 /* Processor Local x2APIC, 16 bytes */
#define MADT_X2APIC_NMI 10 /* Local x2APIC NMI, 12 bytes */

#define MADT_FIXED_LEN 44 /* header plus local APIC address and flags */
#define MADT_ENTRY_MAX 16 /* the longest entry we decode */

/* FADT fields (5.2.9, table "FADT Format"). */
#define FADT_DSDT 40 /* u32 physical address of the DSDT */
#define FADT_X_DSDT 140 /* u64 physical address of the DSDT, ACPI 2.0+ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Reads len bytes at pa; a range that wraps around 2^64 is unreadable. */
static int mem_read(const struct acpi_mem *m, uint64_t pa, void *buf, size_t len)
{
	if (pa + len < pa)
		return -EFAULT;
	return m->read(m->ctx, pa, buf, len) ? -EFAULT : 0;
}

/* The byte sum of [pa, pa + len), read in chunks: 0 for a valid ACPI checksum. */
static int sum_bytes(const struct acpi_mem *m, uint64_t pa, uint32_t len, uint8_t *sum)
{
	uint8_t buf[128];
	uint8_t s = 0;

	while (len) {
		uint32_t n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);
		int r = mem_read(m, pa, buf, n);

		if (r)
			return r;
		for (uint32_t i = 0; i < n; i++)
			s = (uint8_t)(s + buf[i]);
		pa += n;
		len -= n;
	}
	*sum = s;
	return 0;
}

/*
 * Validates the table header at pa: signature (when sig is not NULL), a length
 * that holds at least the header and at most ACPI_MAX_TABLE_LEN, and the checksum
 * over that length. hdr receives the header.
 */
static int check_table(const struct acpi_mem *m, uint64_t pa, const char *sig,
		       uint8_t hdr[ACPI_HEADER_LEN])
{
	uint8_t sum;
	int r = mem_read(m, pa, hdr, ACPI_HEADER_LEN);

	if (r)
		return r;
	if (sig && memcmp(hdr, sig, 4) != 0)
		return -ENOENT;
	uint32_t len = get32(hdr + 4);

	if (len < ACPI_HEADER_LEN || len > ACPI_MAX_TABLE_LEN)
		return -EINVAL;
	r = sum_bytes(m, pa, len, &sum);
	if (r)
		return r;
	return sum ? -EIO : 0;
}

/* Follows the FADT to the DSDT; a missing or broken DSDT only counts as bad. */
static void find_dsdt(const struct acpi_mem *m, uint64_t fadt_pa, uint32_t fadt_len,
		      struct acpi_tables *out)
{
	uint8_t b[8], hdr[ACPI_HEADER_LEN];
	uint64_t dsdt = 0;

	/* Each field counts only if the FADT is long enough to hold it. */
	if (fadt_len >= FADT_X_DSDT + 8 && !mem_read(m, fadt_pa + FADT_X_DSDT, b, 8))
		dsdt = get64(b);
	if (!dsdt && fadt_len >= FADT_DSDT + 4 && !mem_read(m, fadt_pa + FADT_DSDT, b, 4))
		dsdt = get32(b);
	if (!dsdt)
		return;
	if (check_table(m, dsdt, "DSDT", hdr)) {
		out->bad++;
		return;
	}
	out->dsdt_pa = dsdt;
	out->dsdt_len = get32(hdr + 4);
}

/* Validates one listed table and remembers it; the first of each kind wins. */
static void add_table(const struct acpi_mem *m, uint64_t pa, struct acpi_tables *out)
{
	uint8_t hdr[ACPI_HEADER_LEN];

	if (!pa || check_table(m, pa, NULL, hdr)) {
		out->bad++;
		return;
	}
	uint32_t len = get32(hdr + 4);

	if (!memcmp(hdr, "APIC", 4) && !out->madt_pa) {
		out->madt_pa = pa;
	} else if (!memcmp(hdr, "FACP", 4) && !out->fadt_pa) {
		out->fadt_pa = pa;
		find_dsdt(m, pa, len, out);
	} else if (!memcmp(hdr, "HPET", 4) && !out->hpet_pa) {
		out->hpet_pa = pa;
	}
	if (out->ntables == ACPI_MAX_TABLES) {
		out->dropped++;
		return;
	}
	struct acpi_table_ref *t = &out->table[out->ntables++];

	memcpy(t->sig, hdr, 4);
	t->pa = pa;
	t->len = len;
}

/* Walks an XSDT (esize 8) or RSDT (esize 4) and records the tables it lists. */
static int walk_root(const struct acpi_mem *m, uint64_t pa, const char *sig, size_t esize,
		     struct acpi_tables *out)
{
	uint8_t hdr[ACPI_HEADER_LEN], b[8];
	int r = check_table(m, pa, sig, hdr);

	if (r)
		return r;
	/* A trailing partial entry is ignored, as it cannot hold an address. */
	size_t n = (get32(hdr + 4) - ACPI_HEADER_LEN) / esize;

	out->root_pa = pa;
	for (size_t i = 0; i < n; i++) {
		if (i == ACPI_MAX_ROOT_ENTRIES) {
			out->dropped += n - i;
			break;
		}
		/* The checksum covered these bytes, but re-reading is still checked. */
		if (mem_read(m, pa + ACPI_HEADER_LEN + i * esize, b, esize)) {
			out->bad++;
			continue;
		}
		add_table(m, esize == 8 ? get64(b) : get32(b), out);
	}
	return 0;
}

/* Forgets what a failed walk of the XSDT recorded, before trying the RSDT. */
static void reset_tables(struct acpi_tables *out)
{
	out->root_pa = 0;
	out->madt_pa = out->fadt_pa = out->dsdt_pa = out->hpet_pa = 0;
	out->dsdt_len = 0;
	out->ntables = out->dropped = out->bad = 0;
}

int acpi_find_tables(const struct acpi_mem *m, uint64_t rsdp_pa, struct acpi_tables *out)
{
	uint8_t rsdp[ACPI_RSDP_V2_LEN], sum;
	uint64_t xsdt = 0;
	int r;

	memset(out, 0, sizeof(*out));
	/* An ACPI 1.0 RSDP is only 20 bytes: do not read past them yet. */
	r = mem_read(m, rsdp_pa, rsdp, ACPI_RSDP_V1_LEN);
	if (r)
		return r;
	if (memcmp(rsdp, "RSD PTR ", 8) != 0)
		return -ENOENT;
	r = sum_bytes(m, rsdp_pa, ACPI_RSDP_V1_LEN, &sum);
	if (r)
		return r;
	if (sum)
		return -EIO;
	out->rsdp_revision = rsdp[15];
	memcpy(out->oem_id, rsdp + 9, 6);
	uint32_t rsdt = get32(rsdp + 16);

	if (rsdp[15] >= 2) {
		r = mem_read(m, rsdp_pa, rsdp, ACPI_RSDP_V2_LEN);
		if (r)
			return r;
		uint32_t len = get32(rsdp + 20);

		/* The structure has grown only by reserved bytes so far: cap it. */
		if (len < ACPI_RSDP_V2_LEN || len > 4096)
			return -EINVAL;
		r = sum_bytes(m, rsdp_pa, len, &sum);
		if (r)
			return r;
		if (sum)
			return -EIO;
		xsdt = get64(rsdp + 24);
	}
	if (xsdt) {
		r = walk_root(m, xsdt, "XSDT", 8, out);
		if (r == 0 || !rsdt) {
			out->xsdt = r == 0;
			return r;
		}
		/* A broken XSDT with an RSDT beside it: ACPI 1.0 OSes would use that. */
		reset_tables(out);
		out->root_fallback = true;
	}
	if (!rsdt)
		return -ENOENT;
	return walk_root(m, rsdt, "RSDT", 4, out);
}

/* Keeps an enabled processor once (firmware may list one as type 0 and 9). */
static void add_cpu(struct acpi_madt *out, uint32_t apic_id, uint32_t uid, uint32_t flags,
		    bool x2apic)
{
	if (!(flags & ACPI_LAPIC_ENABLED)) {
		/* Before MADT revision 5 (ACPI 6.3) the bit was reserved. */
		if (out->revision >= 5 && (flags & ACPI_LAPIC_ONLINE_CAPABLE))
			out->cpus_hotplug++;
		return;
	}
	for (size_t i = 0; i < out->ncpus; i++)
		if (out->cpu[i].apic_id == apic_id)
			return;
	if (out->ncpus == ACPI_MAX_CPUS) {
		out->cpus_dropped++;
		return;
	}
	out->cpu[out->ncpus].apic_id = apic_id;
	out->cpu[out->ncpus].acpi_uid = uid;
	out->cpu[out->ncpus].x2apic = x2apic;
	out->ncpus++;
}

static void add_nmi(struct acpi_madt *out, uint32_t uid, uint16_t flags, uint8_t lint)
{
	if (out->nnmis == ACPI_MAX_NMIS) {
		out->nmis_dropped++;
		return;
	}
	out->nmi[out->nnmis].acpi_uid = uid;
	out->nmi[out->nnmis].flags = flags;
	out->nmi[out->nnmis].lint = lint;
	out->nnmis++;
}

/* The shortest length each known entry type may have; 0 for unknown types. */
static uint8_t entry_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		return 8;
	case MADT_IOAPIC:
		return 12;
	case MADT_OVERRIDE:
		return 10;
	case MADT_NMI_SOURCE:
		return 8;
	case MADT_LAPIC_NMI:
		return 6;
	case MADT_LAPIC_ADDR:
		return 12;
	case MADT_X2APIC:
		return 16;
	case MADT_X2APIC_NMI:
		return 12;
	default:
		return 0;
	}
}

/* Decodes one entry whose length has been checked against entry_min_len(). */
static void madt_entry(struct acpi_madt *out, const uint8_t *e, bool *lapic_overridden)
{
	switch (e[0]) {
	case MADT_LAPIC:
		add_cpu(out, e[3], e[2], get32(e + 4), false);
		break;
	case MADT_IOAPIC:
		if (out->nioapics == ACPI_MAX_IOAPICS) {
			out->ioapics_dropped++;
			break;
		}
		out->ioapic[out->nioapics].id = e[2];
		out->ioapic[out->nioapics].addr = get32(e + 4);
		out->ioapic[out->nioapics].gsi_base = get32(e + 8);
		out->nioapics++;
		break;
	case MADT_OVERRIDE:
		if (out->novr == ACPI_MAX_OVERRIDES) {
			out->ovr_dropped++;
			break;
		}
		out->ovr[out->novr].bus = e[2];
		out->ovr[out->novr].irq = e[3];
		out->ovr[out->novr].gsi = get32(e + 4);
		out->ovr[out->novr].flags = get16(e + 8);
		out->novr++;
		break;
	case MADT_NMI_SOURCE:
		/* An IOAPIC input wired to NMI: nothing Toro routes; skipped. */
		break;
	case MADT_LAPIC_NMI:
		add_nmi(out, e[2] == 0xff ? ACPI_UID_ALL : e[2], get16(e + 3), e[5]);
		break;
	case MADT_LAPIC_ADDR:
		/* The spec allows one; should there be more, the first one wins. */
		if (!*lapic_overridden)
			out->lapic_addr = get64(e + 4);
		*lapic_overridden = true;
		break;
	case MADT_X2APIC:
		add_cpu(out, get32(e + 4), get32(e + 12), get32(e + 8), true);
		break;
	case MADT_X2APIC_NMI:
		add_nmi(out, get32(e + 4), get16(e + 2), e[8]);
		break;
	}
}

int acpi_parse_madt(const struct acpi_mem *m, uint64_t madt_pa, struct acpi_madt *out)
{
	uint8_t hdr[ACPI_HEADER_LEN], e[MADT_ENTRY_MAX];
	bool lapic_overridden = false;
	int r;

	memset(out, 0, sizeof(*out));
	r = check_table(m, madt_pa, "APIC", hdr);
	if (r)
		return r;
	uint32_t len = get32(hdr + 4);

	if (len < MADT_FIXED_LEN)
		return -EINVAL;
	out->revision = hdr[8];
	r = mem_read(m, madt_pa + ACPI_HEADER_LEN, e, 8);
	if (r)
		return r;
	out->lapic_addr = get32(e);
	out->flags = get32(e + 4);
	for (uint32_t off = MADT_FIXED_LEN; off < len;) {
		/* Each entry starts with its type and its length. */
		if (len - off < 2)
			return -EINVAL;
		r = mem_read(m, madt_pa + off, e, 2);
		if (r)
			return r;
		uint8_t elen = e[1];

		if (elen < 2 || elen > len - off || elen < entry_min_len(e[0]))
			return -EINVAL;
		if (entry_min_len(e[0])) {
			/* Newer revisions may append fields; read what we decode. */
			r = mem_read(m, madt_pa + off, e,
				     elen < MADT_ENTRY_MAX ? elen : MADT_ENTRY_MAX);
			if (r)
				return r;
			madt_entry(out, e, &lapic_overridden);
		} else {
			out->unknown++;
		}
		off += elen;
	}
	return 0;
}

uint32_t acpi_irq_to_gsi(const struct acpi_madt *madt, uint8_t irq, uint16_t *flags)
{
	for (size_t i = 0; i < madt->novr; i++) {
		if (madt->ovr[i].bus != 0 || madt->ovr[i].irq != irq)
			continue;
		if (flags)
			*flags = madt->ovr[i].flags;
		return madt->ovr[i].gsi;
	}
	if (flags)
		*flags = 0;
	return irq;
}
