/* SPDX-License-Identifier: MIT */
/*
 * Finding virtio-mmio transports: two parsers of what the VMM hands over.
 *
 * Command line (Linux drivers/virtio/virtio_mmio.c, vm_cmdline_set()):
 *
 *   virtio_mmio.device=<size>@<base>:<irq>[:<id>]      e.g. 4K@0xd0000000:5:3
 *
 *   size is read like memparse(): a number in C notation (0x hex, leading 0 octal,
 *   else decimal) with an optional K/M/G/T/P/E suffix; base like %lli (the same
 *   notation); irq and id in decimal. Linux refuses an irq of 0 and junk after the
 *   last field; we also refuse what it lets through silently: signs, overflow, a
 *   size of 0 and a window that wraps past 2^64.
 *
 * DSDT (ACPI 6.5 chapter 20, "ACPI Machine Language"): after the 36-byte header
 * the table is a TermList, a sequence of objects, each starting with an opcode:
 *
 *   Scope    0x10      PkgLength NameString TermList
 *   Device   0x5B 0x82 PkgLength NameString TermList
 *   Name     0x08      NameString DataRefObject
 *   Method   0x14      PkgLength ...       (also If, Else, While, Package, Buffer,
 *                                           Field, Processor, ...: skipped whole)
 *   OpRegion 0x5B 0x80 NameString byte TermArg TermArg   (no PkgLength)
 *
 *   PkgLength: a lead byte whose bits 7-6 count 0-3 more bytes; alone, its bits
 *   5-0 are the length; else its bits 3-0 are the low nibble and each further byte
 *   the next 8 bits. The length counts the PkgLength's own bytes, not the opcode.
 *   NameString: an optional root '\' or parent '^'... prefix, then a NameSeg (4
 *   chars), 0x2E and two NameSegs, 0x2F, a count and that many NameSegs, or 0x00.
 *   Data: 0x00 Zero, 0x01 One, 0xFF Ones, 0x0A byte, 0x0B word, 0x0C dword,
 *   0x0E qword (little-endian), 0x0D ASCII string with a NUL, 0x11 Buffer:
 *   PkgLength, a size (an integer), then the initial bytes.
 *
 * The walk is iterative: a stack of at most AML_MAX_DEPTH open Scope/Device bodies,
 * each with its end offset, so a nested object can never run past its container.
 * Every step consumes at least one byte or closes a body, so the walk ends. An
 * object whose encoding we do not know cannot be stepped over (AML has no generic
 * length), so it ends the walk of the body it is in; the parent goes on after that
 * body's end. An object we do know but that does not fit is malformed: -EINVAL.
 *
 * What QEMU 7.2 microvm (acpi=on) writes, per transport that has a device plugged
 * (tests/host/data/dsdt-microvm-*.bin), inside Scope (\_SB):
 *
 *   Device (VR23) { Name (_HID, "LNRO0005")  Name (_UID, 23)  Name (_CCA, One)
 *     Name (_CRS, ResourceTemplate () {
 *       Memory32Fixed (ReadWrite, 0xFEB02E00, 0x200)             0x86, 9 bytes
 *       Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 47 } })}  0x89
 *
 * Transports are filled from the last one down: the first device is VR23 at
 * 0xfeb00000 + 512 * 23, GSI 24 + 23 (with ioapic2=off: VR07, GSI 16 + 7).
 * Resource descriptors (6.4): small ones are a tag byte (bit 7 clear, bits 6-3 the
 * type, bits 2-0 the length) then the data; large ones a tag byte (bit 7 set), a
 * 16-bit length, then the data; an End Tag (small type 0xF) closes the list.
 */
#include "lib/virtio_discover.h"

#include "lib/cmdline.h"
#include "lib/kstring.h"
#include "toro/errno.h"

/* ---- common checks ----------------------------------------------------------- */

/* Whether a description is usable: a window that exists and an interrupt in range. */
static bool dev_valid(const struct virtio_mmio_dev *d)
{
	if (d->size == 0 || d->size - 1 > UINT64_MAX - d->base)
		return false;
	return d->irq != 0 && d->irq <= VIRTIO_MMIO_IRQ_MAX;
}

/* ---- command line -------------------------------------------------------------- */

/* The value of c as a digit of base (8, 10 or 16), or -1. */
static int digit(char c, unsigned int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < (int)base ? d : -1;
}

/*
 * Reads an unsigned number at s[*i..len) and advances *i past it. Base 0 is C's
 * (and Linux's simple_strtoull()) rule: "0x" before a hex digit means hex, another
 * leading 0 octal, else decimal. At least one digit; overflow is -EINVAL.
 */
static int parse_u64(const char *s, size_t len, size_t *i, unsigned int base, uint64_t *v)
{
	size_t p = *i, start;
	uint64_t n = 0;

	if (base == 0) {
		base = 10;
		if (p < len && s[p] == '0') {
			base = 8;
			if (len - p > 2 && (s[p + 1] == 'x' || s[p + 1] == 'X') &&
			    digit(s[p + 2], 16) >= 0) {
				base = 16;
				p += 2;
			}
		}
	}
	for (start = p; p < len; p++) {
		int d = digit(s[p], base);

		if (d < 0)
			break;
		if (n > (UINT64_MAX - (unsigned int)d) / base)
			return -EINVAL;
		n = n * base + (unsigned int)d;
	}
	if (p == start)
		return -EINVAL;
	*i = p;
	*v = n;
	return 0;
}

/* memparse()'s suffixes, powers of 1024 in either case: the shift, or 0. */
static unsigned int suffix_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	case 't':
	case 'T':
		return 40;
	case 'p':
	case 'P':
		return 50;
	case 'e':
	case 'E':
		return 60;
	default:
		return 0;
	}
}

/* Consumes the separator c at s[*i], if it is there. */
static bool expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

int virtio_mmio_parse_cmdline_value(const char *val, size_t len,
				    struct virtio_mmio_dev *out)
{
	struct virtio_mmio_dev d = { 0 };
	uint64_t irq, id;
	unsigned int shift;
	size_t i = 0;

	if (!val)
		return -EINVAL;
	if (parse_u64(val, len, &i, 0, &d.size))
		return -EINVAL;
	/* A hex size swallows "e" as a digit, as in Linux: 0x1e is 30, 1e is 1 EiB. */
	if (i < len && (shift = suffix_shift(val[i])) != 0) {
		if (d.size > UINT64_MAX >> shift)
			return -EINVAL;
		d.size <<= shift;
		i++;
	}
	if (!expect(val, len, &i, '@') || parse_u64(val, len, &i, 0, &d.base))
		return -EINVAL;
	if (!expect(val, len, &i, ':') || parse_u64(val, len, &i, 10, &irq))
		return -EINVAL;
	/* Linux rejects irq 0: on x86 it is the timer, never a virtio device. */
	if (irq == 0 || irq > VIRTIO_MMIO_IRQ_MAX)
		return -EINVAL;
	d.irq = (uint32_t)irq;
	if (i < len) {
		if (!expect(val, len, &i, ':') || parse_u64(val, len, &i, 10, &id) ||
		    id > VIRTIO_MMIO_ID_MAX)
			return -EINVAL;
		d.id = (uint32_t)id;
		d.has_id = true;
	}
	if (i != len || !dev_valid(&d))
		return -EINVAL;
	*out = d;
	return 0;
}

/* Linux's parameq(): '-' and '_' are the same in a parameter name. */
static bool key_is_device(const struct cmdline_param *p)
{
	static const char key[] = "virtio_mmio.device";

	if (p->key_len != sizeof(key) - 1)
		return false;
	for (size_t i = 0; i < p->key_len; i++) {
		char c = p->key[i] == '-' ? '_' : p->key[i];

		if (c != key[i])
			return false;
	}
	return true;
}

int virtio_mmio_cmdline_next(const char **pos, struct virtio_mmio_dev *dev,
			     const char **bad, size_t *bad_len)
{
	struct cmdline_param p;

	/* cmdline_next() < 0 (unterminated quote) leaves *pos at the end: stop too. */
	while (cmdline_next(pos, &p) == 1) {
		if (!key_is_device(&p))
			continue;
		if (p.val && virtio_mmio_parse_cmdline_value(p.val, p.val_len, dev) == 0)
			return 1;
		*bad = p.val ? p.val : p.key + p.key_len;
		*bad_len = p.val_len;
		return -EINVAL;
	}
	return 0;
}

int virtio_mmio_parse_cmdline(const char *cmdline, struct virtio_mmio_dev *out,
			      size_t max, size_t *found, size_t *bad)
{
	const char *pos = cmdline, *text;
	struct virtio_mmio_dev d;
	bool full = false;
	size_t text_len;
	int r;

	*found = *bad = 0;
	while ((r = virtio_mmio_cmdline_next(&pos, &d, &text, &text_len)) != 0) {
		if (r < 0)
			(*bad)++;
		else if (*found == max)
			full = true;
		else
			out[(*found)++] = d;
	}
	return full ? -ENOSPC : 0;
}

/* ---- AML ----------------------------------------------------------------------- */

#define AML_HEADER_LEN 36 /* the common ACPI table header (ACPI 6.5, 5.2.6) */

/* Opcodes (ACPI 6.5, 20.3 "AML Byte Stream Byte Values"). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_ALIAS_OP 0x06 /* NameString NameString */
#define AML_NAME_OP 0x08 /* NameString DataRefObject */
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10 /* PkgLength NameString TermList */
#define AML_BUFFER_OP 0x11 /* PkgLength BufferSize ByteList */
#define AML_PACKAGE_OP 0x12 /* PkgLength NumElements PackageElementList */
#define AML_VAR_PACKAGE_OP 0x13 /* PkgLength VarNumElements ... */
#define AML_METHOD_OP 0x14 /* PkgLength NameString MethodFlags TermList */
#define AML_EXTERNAL_OP 0x15 /* NameString ObjectType ArgumentCount */
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_ROOT_CHAR 0x5c /* '\' */
#define AML_PARENT_PREFIX 0x5e /* '^' */
#define AML_IF_OP 0xa0 /* PkgLength ... */
#define AML_ELSE_OP 0xa1 /* PkgLength ... */
#define AML_WHILE_OP 0xa2 /* PkgLength ... */
#define AML_NOOP_OP 0xa3
#define AML_ONES_OP 0xff

/* Second bytes after AML_EXT_OP_PREFIX. */
#define AML_MUTEX_OP 0x01 /* NameString SyncFlags */
#define AML_EVENT_OP 0x02 /* NameString */
#define AML_REVISION_OP 0x30 /* an integer */
#define AML_REGION_OP 0x80 /* NameString RegionSpace TermArg TermArg */
#define AML_FIELD_OP 0x81 /* PkgLength ... */
#define AML_DEVICE_OP 0x82 /* PkgLength NameString TermList */
#define AML_PROCESSOR_OP 0x83 /* PkgLength ... (deprecated) */
#define AML_POWER_RES_OP 0x84 /* PkgLength ... */
#define AML_THERMAL_ZONE_OP 0x85 /* PkgLength ... */
#define AML_INDEX_FIELD_OP 0x86 /* PkgLength ... */
#define AML_BANK_FIELD_OP 0x87 /* PkgLength ... */
#define AML_DATA_REGION_OP 0x88 /* NameString TermArg TermArg TermArg */

/* Resource descriptors (ACPI 6.5, 6.4). */
#define RES_LARGE 0x80 /* tag bit 7: a large descriptor */
#define RES_SMALL_TYPE(tag) (((tag) >> 3) & 0xf) /* small item name */
#define RES_SMALL_LEN(tag) ((tag)&0x7) /* small item length */
#define RES_SMALL_IRQ 0x4 /* IRQ: u16 mask [, flags] */
#define RES_SMALL_END 0xf /* End Tag */
#define RES_MEM32_FIXED 0x86 /* info u8, base u32, length u32 */
#define RES_MEM32_FIXED_LEN 9
#define RES_EXT_IRQ 0x89 /* flags u8, count u8, count x u32 interrupts, ... */
#define RES_EXT_IRQ_MIN_LEN 6

/* Returned inside the walk for an encoding we cannot step over. */
#define AML_UNKNOWN 1

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A data object's value, as far as the scanner cares. */
struct aml_value {
	enum { AML_INT, AML_STR, AML_BUF, AML_OTHER } kind; /* what it is */
	uint64_t num; /* AML_INT: the integer */
	const uint8_t *data; /* AML_STR: the characters; AML_BUF: the initial bytes */
	size_t len; /* AML_STR: length without the NUL; AML_BUF: bytes at data */
};

/* What the Name objects of one Device body have said so far. */
struct aml_dev {
	bool hid; /* _HID or _CID is the string "LNRO0005" */
	bool absent; /* an integer _STA without bit 0 ("present") */
	bool crs; /* a _CRS was seen: only the first one counts */
	bool crs_ok; /* that _CRS held a usable window and interrupt */
	struct virtio_mmio_dev d; /* from the _CRS and _UID */
};

/* One open Scope or Device body (or the whole table, at the bottom). */
struct aml_frame {
	size_t end; /* offset just past the body, within the table */
	bool is_dev; /* the body is a Device's: collect its names */
	struct aml_dev dev; /* its findings, when is_dev */
};

/*
 * Reads a PkgLength at *pos (< end) and advances *pos past it; *pkg_end is where
 * the package ends, checked to lie within end and after the PkgLength itself.
 * Bits 5-4 of a multi-byte lead are reserved; like ACPICA, we ignore them.
 */
static int pkg_length(const uint8_t *b, size_t *pos, size_t end, size_t *pkg_end)
{
	size_t start = *pos, nbytes;
	uint32_t n;

	if (start >= end)
		return -EINVAL;
	nbytes = b[start] >> 6;
	if (nbytes > end - start - 1)
		return -EINVAL;
	if (nbytes == 0) {
		n = b[start] & 0x3f;
	} else {
		n = b[start] & 0x0f;
		for (size_t k = 0; k < nbytes; k++)
			n |= (uint32_t)b[start + 1 + k] << (4 + 8 * k);
	}
	if (n < nbytes + 1 || n > end - start)
		return -EINVAL;
	*pos = start + 1 + nbytes;
	*pkg_end = start + n;
	return 0;
}

static bool lead_name_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(uint8_t c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/*
 * Reads a NameString at *pos (within end) and advances *pos past it. *seg gets its
 * last NameSeg (NULL for the null name), *local whether the name is one NameSeg
 * without prefix, i.e. an object of the enclosing body.
 */
static int name_string(const uint8_t *b, size_t *pos, size_t end, const uint8_t **seg,
		       bool *local)
{
	size_t p = *pos, nsegs;
	bool prefix = false;

	if (p < end && b[p] == AML_ROOT_CHAR) {
		p++;
		prefix = true;
	} else {
		/* Bounded by end: each '^' is a byte. */
		while (p < end && b[p] == AML_PARENT_PREFIX) {
			p++;
			prefix = true;
		}
	}
	if (p >= end)
		return -EINVAL;
	switch (b[p]) {
	case AML_ZERO_OP: /* NullName */
		nsegs = 0;
		p++;
		break;
	case AML_DUAL_NAME_PREFIX:
		nsegs = 2;
		p++;
		break;
	case AML_MULTI_NAME_PREFIX:
		if (end - p < 2 || b[p + 1] == 0)
			return -EINVAL;
		nsegs = b[p + 1];
		p += 2;
		break;
	default:
		nsegs = 1;
		break;
	}
	if (nsegs > (end - p) / 4)
		return -EINVAL;
	for (size_t i = 0; i < nsegs; i++) {
		const uint8_t *s = b + p + 4 * i;

		if (!lead_name_char(s[0]) || !name_char(s[1]) || !name_char(s[2]) ||
		    !name_char(s[3]))
			return -EINVAL;
	}
	*seg = nsegs ? b + p + 4 * (nsegs - 1) : NULL;
	*local = !prefix && nsegs == 1;
	*pos = p + 4 * nsegs;
	return 0;
}

/*
 * Reads an integer constant at *pos: 0 with *v, AML_UNKNOWN when the object is not
 * one (nothing consumed), -EINVAL when it does not fit before end.
 */
static int int_const(const uint8_t *b, size_t *pos, size_t end, uint64_t *v)
{
	size_t p = *pos, n;

	if (p >= end)
		return -EINVAL;
	switch (b[p++]) {
	case AML_ZERO_OP:
		*v = 0;
		*pos = p;
		return 0;
	case AML_ONE_OP:
		*v = 1;
		*pos = p;
		return 0;
	case AML_ONES_OP:
		*v = UINT64_MAX;
		*pos = p;
		return 0;
	case AML_BYTE_PREFIX:
		n = 1;
		break;
	case AML_WORD_PREFIX:
		n = 2;
		break;
	case AML_DWORD_PREFIX:
		n = 4;
		break;
	case AML_QWORD_PREFIX:
		n = 8;
		break;
	case AML_EXT_OP_PREFIX:
		if (p < end && b[p] == AML_REVISION_OP) {
			*v = 0; /* the interpreter's revision: any value will do */
			*pos = p + 1;
			return 0;
		}
		return AML_UNKNOWN;
	default:
		return AML_UNKNOWN;
	}
	if (n > end - p)
		return -EINVAL;
	*v = 0;
	for (size_t k = 0; k < n; k++)
		*v |= (uint64_t)b[p + k] << (8 * k);
	*pos = p + n;
	return 0;
}

/*
 * Reads a data object (an integer, string, buffer or package) at *pos: 0 with *v,
 * AML_UNKNOWN for anything else (a name, an expression), -EINVAL when it does not
 * fit before end or is malformed. Not recursive: a package is skipped whole.
 */
static int data_object(const uint8_t *b, size_t *pos, size_t end, struct aml_value *v)
{
	size_t p = *pos, pkg_end;
	uint64_t size;
	int r = int_const(b, &p, end, &v->num);

	if (r != AML_UNKNOWN) {
		v->kind = AML_INT;
		*pos = p;
		return r;
	}
	switch (b[p++]) {
	case AML_STRING_PREFIX:
		v->kind = AML_STR;
		v->data = b + p;
		/* ASCII 0x01-0x7f up to a NUL, which must be there. */
		while (p < end && b[p] != 0) {
			if (b[p] > 0x7f)
				return -EINVAL;
			p++;
		}
		if (p == end)
			return -EINVAL;
		v->len = (size_t)(b + p - v->data);
		p++;
		break;
	case AML_BUFFER_OP:
		r = pkg_length(b, &p, end, &pkg_end);
		if (r)
			return r;
		/* The size is a TermArg; compilers emit an integer constant. */
		r = int_const(b, &p, pkg_end, &size);
		if (r)
			return r;
		/* Bytes beyond the initializer would read as zeroes: none we need. */
		v->kind = AML_BUF;
		v->data = b + p;
		v->len = size < pkg_end - p ? (size_t)size : pkg_end - p;
		p = pkg_end;
		break;
	case AML_PACKAGE_OP:
	case AML_VAR_PACKAGE_OP:
		r = pkg_length(b, &p, end, &pkg_end);
		if (r)
			return r;
		v->kind = AML_OTHER;
		p = pkg_end;
		break;
	default:
		return AML_UNKNOWN;
	}
	*pos = p;
	return 0;
}

/*
 * Takes the window and the interrupt from a resource template; the first
 * Memory32Fixed and the first IRQ or Extended Interrupt descriptor count. Returns
 * whether both were there, well-formed, and the result passes dev_valid().
 */
static bool parse_crs(const uint8_t *b, size_t n, struct virtio_mmio_dev *d)
{
	bool mem = false, irq = false;
	size_t i = 0;

	while (i < n) {
		uint8_t tag = b[i];
		const uint8_t *body;
		size_t blen;

		if (tag & RES_LARGE) {
			if (n - i < 3)
				return false;
			blen = get16(b + i + 1);
			if (blen > n - i - 3)
				return false;
			body = b + i + 3;
			i += 3 + blen;
			if (tag == RES_MEM32_FIXED && blen >= RES_MEM32_FIXED_LEN &&
			    !mem) {
				d->base = get32(body + 1);
				d->size = get32(body + 5);
				mem = true;
			} else if (tag == RES_EXT_IRQ && blen >= RES_EXT_IRQ_MIN_LEN &&
				   !irq) {
				/* A count the length cannot hold: ignore the descriptor. */
				if (body[1] == 0 || body[1] > (blen - 2) / 4)
					continue;
				d->irq = get32(body + 2);
				irq = true;
			}
		} else {
			blen = RES_SMALL_LEN(tag);
			if (blen > n - i - 1)
				return false;
			body = b + i + 1;
			i += 1 + blen;
			if (RES_SMALL_TYPE(tag) == RES_SMALL_END)
				break;
			if (RES_SMALL_TYPE(tag) == RES_SMALL_IRQ && blen >= 2 && !irq) {
				uint16_t mask = get16(body);
				uint32_t bit = 0;

				if (!mask)
					continue;
				while (!(mask & (1u << bit)))
					bit++;
				d->irq = bit;
				irq = true;
			}
		}
	}
	return mem && irq && dev_valid(d);
}

/* A Name object in the body of frame f: NameString DataRefObject. */
static int name_object(const uint8_t *b, size_t *pos, struct aml_frame *f)
{
	static const char hid[] = VIRTIO_MMIO_ACPI_HID;
	struct aml_dev *dev = &f->dev;
	struct aml_value v;
	const uint8_t *seg;
	bool local;
	int r = name_string(b, pos, f->end, &seg, &local);

	if (r)
		return r;
	r = data_object(b, pos, f->end, &v);
	if (r || !f->is_dev || !local)
		return r;
	if (!memcmp(seg, "_HID", 4) || !memcmp(seg, "_CID", 4)) {
		if (v.kind == AML_STR && v.len == sizeof(hid) - 1 &&
		    !memcmp(v.data, hid, sizeof(hid) - 1))
			dev->hid = true;
	} else if (!memcmp(seg, "_UID", 4)) {
		/* A string _UID is legal ACPI but not a number: no id then. */
		if (v.kind == AML_INT && v.num <= VIRTIO_MMIO_ID_MAX) {
			dev->d.id = (uint32_t)v.num;
			dev->d.has_id = true;
		}
	} else if (!memcmp(seg, "_STA", 4)) {
		if (v.kind == AML_INT && !(v.num & 1))
			dev->absent = true;
	} else if (!memcmp(seg, "_CRS", 4) && !dev->crs) {
		dev->crs = true;
		dev->crs_ok = v.kind == AML_BUF && parse_crs(v.data, v.len, &dev->d);
	}
	return 0;
}

/* Opens the body of a Scope or Device whose PkgLength is at *pos. */
static int open_body(const uint8_t *b, size_t *pos, struct aml_frame *fr, size_t *depth,
		     bool is_dev)
{
	size_t p = *pos, end;
	const uint8_t *seg;
	bool local;
	int r = pkg_length(b, &p, fr[*depth].end, &end);

	if (r)
		return r;
	r = name_string(b, &p, end, &seg, &local);
	if (r)
		return r;
	if (*depth == AML_MAX_DEPTH)
		return -EINVAL;
	++*depth;
	memset(&fr[*depth], 0, sizeof(fr[*depth]));
	fr[*depth].end = end;
	fr[*depth].is_dev = is_dev;
	*pos = p;
	return 0;
}

/* Steps over n TermArgs that must be data objects (an OpRegion's offset, ...). */
static int data_args(const uint8_t *b, size_t *pos, size_t end, int n)
{
	struct aml_value v;

	for (int i = 0; i < n; i++) {
		int r = data_object(b, pos, end, &v);

		if (r)
			return r;
	}
	return 0;
}

/* Steps over the 0x5B-prefixed object whose second opcode byte is at *pos. */
static int ext_object(const uint8_t *b, size_t *pos, struct aml_frame *fr, size_t *depth)
{
	size_t p = *pos, end = fr[*depth].end, pkg_end;
	const uint8_t *seg;
	bool local;
	int r;

	if (p >= end)
		return -EINVAL;
	switch (b[p++]) {
	case AML_DEVICE_OP:
		r = open_body(b, &p, fr, depth, true);
		break;
	case AML_FIELD_OP:
	case AML_PROCESSOR_OP:
	case AML_POWER_RES_OP:
	case AML_THERMAL_ZONE_OP:
	case AML_INDEX_FIELD_OP:
	case AML_BANK_FIELD_OP:
		r = pkg_length(b, &p, end, &pkg_end);
		p = pkg_end;
		break;
	case AML_REGION_OP:
		r = name_string(b, &p, end, &seg, &local);
		if (!r && p == end)
			r = -EINVAL;
		if (!r) {
			p++; /* the region space */
			r = data_args(b, &p, end, 2);
		}
		break;
	case AML_DATA_REGION_OP:
		r = name_string(b, &p, end, &seg, &local);
		if (!r)
			r = data_args(b, &p, end, 3);
		break;
	case AML_MUTEX_OP:
		r = name_string(b, &p, end, &seg, &local);
		if (!r && p++ == end)
			r = -EINVAL;
		break;
	case AML_EVENT_OP:
		r = name_string(b, &p, end, &seg, &local);
		break;
	default:
		r = AML_UNKNOWN;
		break;
	}
	if (r == 0)
		*pos = p;
	return r;
}

/*
 * Steps over the object at *pos in the innermost open body (opening a new body for
 * a Scope or Device). Returns 0, AML_UNKNOWN, or -EINVAL.
 */
static int term_object(const uint8_t *b, size_t *pos, struct aml_frame *fr, size_t *depth)
{
	struct aml_frame *f = &fr[*depth];
	size_t p = *pos, pkg_end;
	const uint8_t *seg;
	bool local;
	int r;

	switch (b[p++]) {
	case AML_SCOPE_OP:
		r = open_body(b, &p, fr, depth, false);
		break;
	case AML_EXT_OP_PREFIX:
		r = ext_object(b, &p, fr, depth);
		break;
	case AML_NAME_OP:
		r = name_object(b, &p, f);
		break;
	case AML_METHOD_OP:
	case AML_BUFFER_OP:
	case AML_PACKAGE_OP:
	case AML_VAR_PACKAGE_OP:
	case AML_IF_OP:
	case AML_ELSE_OP:
	case AML_WHILE_OP:
		r = pkg_length(b, &p, f->end, &pkg_end);
		p = pkg_end;
		break;
	case AML_ALIAS_OP:
		r = name_string(b, &p, f->end, &seg, &local);
		if (!r)
			r = name_string(b, &p, f->end, &seg, &local);
		break;
	case AML_EXTERNAL_OP:
		r = name_string(b, &p, f->end, &seg, &local);
		if (!r && f->end - p < 2)
			r = -EINVAL;
		p += 2; /* object type, argument count */
		break;
	case AML_NOOP_OP:
		r = 0;
		break;
	default:
		r = AML_UNKNOWN;
		break;
	}
	if (r == 0)
		*pos = p;
	return r;
}

int aml_find_virtio_mmio(const uint8_t *dsdt, size_t len, struct virtio_mmio_dev *out,
			 size_t max, size_t *found)
{
	struct aml_frame fr[AML_MAX_DEPTH + 1];
	size_t depth = 0, pos = AML_HEADER_LEN, n = 0;
	bool full = false;
	uint32_t tlen;
	uint8_t sum = 0;

	*found = 0;
	if (!dsdt || len < AML_HEADER_LEN)
		return -EINVAL;
	if (memcmp(dsdt, "DSDT", 4) != 0)
		return -ENOENT;
	/* Bytes past the header's length are not part of the table. */
	tlen = get32(dsdt + 4);
	if (tlen < AML_HEADER_LEN || tlen > len)
		return -EINVAL;
	for (size_t i = 0; i < tlen; i++)
		sum = (uint8_t)(sum + dsdt[i]);
	if (sum)
		return -EIO;
	memset(&fr[0], 0, sizeof(fr[0]));
	fr[0].end = tlen;
	for (;;) {
		struct aml_frame *f = &fr[depth];
		int r;

		if (pos >= f->end) {
			/* A body ends: a complete virtio-mmio Device is kept. */
			if (f->is_dev && f->dev.hid && !f->dev.absent && f->dev.crs_ok) {
				if (n < max)
					out[n++] = f->dev.d;
				else
					full = true;
			}
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		r = term_object(dsdt, &pos, fr, &depth);
		if (r < 0)
			return r;
		if (r == AML_UNKNOWN)
			pos = f->end;
	}
	*found = n;
	return full ? -ENOSPC : 0;
}
