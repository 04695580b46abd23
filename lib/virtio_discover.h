/* SPDX-License-Identifier: MIT */
/*
 * Where the virtio-mmio devices are: the VMM says so either on the kernel command
 * line (Linux's `virtio_mmio.device=<size>@<base>:<irq>[:<id>]`, used by Firecracker
 * and by QEMU microvm with acpi=off) or in the ACPI DSDT (Device objects with _HID
 * "LNRO0005", used by QEMU microvm with its default acpi=on). Both parsers take
 * untrusted bytes and only produce descriptions; probing the registers is the
 * driver's job. See virtio_discover.c for the formats.
 */
#ifndef LIB_VIRTIO_DISCOVER_H
#define LIB_VIRTIO_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The largest interrupt number accepted from either source. It is a GSI on x86:
 * QEMU microvm uses 5..12 (acpi=off) or 16..23 / 24..47 (acpi=on, with or without
 * its second IOAPIC), Firecracker 5..23; 255 leaves room for any VMM we target and
 * keeps the value usable as an ISA IRQ byte for acpi_irq_to_gsi().
 */
#define VIRTIO_MMIO_IRQ_MAX 255
/* The largest platform device id; Linux keeps it in an int. */
#define VIRTIO_MMIO_ID_MAX 0x7fffffffu
/* The _HID (or _CID) of a virtio-mmio transport in ACPI tables. */
#define VIRTIO_MMIO_ACPI_HID "LNRO0005"
/* Nesting of Scope/Device bodies followed in the DSDT; deeper is refused. */
#define AML_MAX_DEPTH 16

/* One virtio-mmio transport, as the VMM describes it. */
struct virtio_mmio_dev {
	uint64_t base; /* physical address of its register window */
	uint64_t size; /* window length in bytes: non-zero, base + size does not wrap */
	uint32_t irq; /* its interrupt (a GSI), 1..VIRTIO_MMIO_IRQ_MAX */
	uint32_t id; /* command line: the platform device id; ACPI: the _UID */
	bool has_id; /* whether id was given (command line :<id>, integer _UID) */
};

/*
 * Parses ONE value of `virtio_mmio.device=`: the len bytes at val (no NUL needed,
 * none read past len), in Linux's form `<size>@<base>:<irq>[:<id>]`. size and base
 * are numbers as Linux's memparse()/%lli read them (0x... hex, a leading 0 octal,
 * else decimal), size with an optional K/M/G/T/P/E suffix (either case, powers of
 * 1024); irq and id are decimal. Returns 0 with *out filled, or -EINVAL for an
 * empty field, a sign, junk anywhere, an overflow, a size of 0, a range that wraps
 * past 2^64, an irq of 0 or above VIRTIO_MMIO_IRQ_MAX, an id above
 * VIRTIO_MMIO_ID_MAX. *out is only written on success.
 */
int virtio_mmio_parse_cmdline_value(const char *val, size_t len,
				    struct virtio_mmio_dev *out);

/*
 * Finds the next `virtio_mmio.device=` parameter (also spelled with '-' for '_', as
 * Linux accepts) in the kernel's part of the command line, starting at *pos and
 * advancing *pos past it. Returns 1 with *dev filled; -EINVAL for a malformed one,
 * with *bad and *bad_len set to its value text (inside the command line, not
 * NUL-terminated; empty for a bare key) so the caller can print it; 0 at the end
 * of the kernel's part. A word with an unterminated quote also ends the scan (the
 * command-line parser already reports it; nothing after it can be trusted).
 */
int virtio_mmio_cmdline_next(const char **pos, struct virtio_mmio_dev *dev,
			     const char **bad, size_t *bad_len);

/*
 * Collects every well-formed `virtio_mmio.device=` of the NUL-terminated cmdline
 * into out[0..max), in command-line order; *found gets how many were stored and
 * *bad how many were malformed (use virtio_mmio_cmdline_next() to print them).
 * Returns 0, or -ENOSPC when there were more than max well-formed entries: the
 * first max are stored and usable.
 */
int virtio_mmio_parse_cmdline(const char *cmdline, struct virtio_mmio_dev *out,
			      size_t max, size_t *found, size_t *bad);

/*
 * Scans a DSDT (len bytes at dsdt, header included) for Device objects whose _HID
 * (or _CID) is the string "LNRO0005" and whose _CRS is a buffer holding a
 * Memory32Fixed and an (Extended) Interrupt descriptor; stores them into
 * out[0..max) in table order, *found = how many. An integer _UID fills id; a
 * Device whose integer _STA has the present bit clear is left out, and so is one
 * whose _CRS is missing, not a plain buffer, malformed, or fails the checks of
 * virtio_mmio_parse_cmdline_value(). Returns 0; -ENOSPC when there were more than
 * max (the first max are stored); -ENOENT when the signature is not "DSDT"; -EIO
 * for a bad checksum; -EINVAL when the header length is below 36 or beyond len, or
 * the AML is malformed where it is read (an object running past its container,
 * a bad name, nesting deeper than AML_MAX_DEPTH): then *found is 0. AML this
 * scanner does not know ends the walk of the enclosing Scope/Device body only.
 */
int aml_find_virtio_mmio(const uint8_t *dsdt, size_t len, struct virtio_mmio_dev *out,
			 size_t max, size_t *found);

#endif
