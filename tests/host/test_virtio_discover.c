/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio discovery: `virtio_mmio.device=` values and command lines, and the
 * DSDT scanner against the real tables of QEMU 7.2 microvm and against AML built
 * here. The tests/host/data/dsdt-microvm-*.bin files are raw DSDTs (header
 * included) cut with lib/acpi.c from `pmemsave 0 0x100000` dumps of a guest
 * running build/tests/integration/probe.elf (`-append spin -m 128M -nodefaults`)
 * with N `-device virtio-serial-device`: 0, 1, 3 and 24 (all transports used) on
 * plain `-M microvm`, and 2 on `-M microvm,ioapic2=off`. `-smp 4` gives the same
 * bytes as `-smp 1`.
 */
#include <stdlib.h>

#include "tests/host/check.h"

#include "lib/virtio_discover.h"
#include "toro/errno.h"

/* ---- one command-line value ---------------------------------------------------- */

static int value(const char *s, struct virtio_mmio_dev *d)
{
	return virtio_mmio_parse_cmdline_value(s, strlen(s), d);
}

TEST(value_basic)
{
	struct virtio_mmio_dev d;

	CHECK_EQ(value("4K@0xd0000000:5", &d), 0);
	CHECK_EQ(d.size, 4096);
	CHECK_EQ(d.base, 0xd0000000);
	CHECK_EQ(d.irq, 5);
	CHECK(!d.has_id);
	/* What QEMU microvm writes with acpi=off. */
	CHECK_EQ(value("512@0xfeb00e00:12", &d), 0);
	CHECK_EQ(d.size, 512);
	CHECK_EQ(d.base, 0xfeb00e00);
	CHECK_EQ(d.irq, 12);
	CHECK(!d.has_id);
}

TEST(value_with_id)
{
	struct virtio_mmio_dev d;

	CHECK_EQ(value("4K@0xd0000000:5:3", &d), 0);
	CHECK_EQ(d.irq, 5);
	CHECK(d.has_id);
	CHECK_EQ(d.id, 3);
	CHECK_EQ(value("4K@0xd0000000:5:0", &d), 0);
	CHECK(d.has_id);
	CHECK_EQ(d.id, 0);
	CHECK_EQ(value("4K@0xd0000000:5:2147483647", &d), 0);
	CHECK_EQ(d.id, VIRTIO_MMIO_ID_MAX);
}

TEST(value_suffixes)
{
	struct virtio_mmio_dev d;

	CHECK_EQ(value("4k@0x1000:5", &d), 0);
	CHECK_EQ(d.size, 4096);
	CHECK_EQ(value("2M@0x1000:5", &d), 0);
	CHECK_EQ(d.size, 2u << 20);
	CHECK_EQ(value("1m@0x1000:5", &d), 0);
	CHECK_EQ(d.size, 1u << 20);
	CHECK_EQ(value("3G@0x1000:5", &d), 0);
	CHECK_EQ(d.size, 3ull << 30);
	CHECK_EQ(value("1t@0:5", &d), 0);
	CHECK_EQ(d.size, 1ull << 40);
	CHECK_EQ(value("2P@0:5", &d), 0);
	CHECK_EQ(d.size, 2ull << 50);
	CHECK_EQ(value("15E@0:5", &d), 0);
	CHECK_EQ(d.size, 15ull << 60);
	/* A hex size takes the suffix too. */
	CHECK_EQ(value("0x10K@0x1000:5", &d), 0);
	CHECK_EQ(d.size, 16 * 1024);
	/* ... but "e" is a hex digit there, as in Linux. */
	CHECK_EQ(value("0x1e@0x1000:5", &d), 0);
	CHECK_EQ(d.size, 0x1e);
}

TEST(value_radix)
{
	struct virtio_mmio_dev d;

	CHECK_EQ(value("4096@4096:5", &d), 0);
	CHECK_EQ(d.size, 4096);
	CHECK_EQ(d.base, 4096);
	CHECK_EQ(value("0X200@0XFEB00000:1", &d), 0);
	CHECK_EQ(d.size, 0x200);
	CHECK_EQ(d.base, 0xfeb00000);
	CHECK_EQ(value("0x200@0xFeB00a00:7", &d), 0);
	CHECK_EQ(d.base, 0xfeb00a00);
	/* A leading 0 is octal, like Linux's memparse() and %lli. */
	CHECK_EQ(value("010@0100:5", &d), 0);
	CHECK_EQ(d.size, 8);
	CHECK_EQ(d.base, 64);
	/* irq and id are decimal: leading zeroes do not make them octal. */
	CHECK_EQ(value("4K@0x1000:010:010", &d), 0);
	CHECK_EQ(d.irq, 10);
	CHECK_EQ(d.id, 10);
	CHECK_EQ(value("4K@0:1", &d), 0);
	CHECK_EQ(d.base, 0);
}

TEST(value_limits)
{
	struct virtio_mmio_dev d;

	CHECK_EQ(value("4K@0x1000:255", &d), 0);
	CHECK_EQ(d.irq, VIRTIO_MMIO_IRQ_MAX);
	/* A window ending exactly at 2^64 does not wrap. */
	CHECK_EQ(value("4K@0xfffffffffffff000:5", &d), 0);
	CHECK_EQ(d.base, 0xfffffffffffff000ull);
	CHECK_EQ(value("18446744073709551615@0:5", &d), 0);
	CHECK_EQ(d.size, UINT64_MAX);
	CHECK_EQ(value("1@18446744073709551615:5", &d), 0);
	CHECK_EQ(d.base, UINT64_MAX);
}

TEST(value_malformed)
{
	static const char *const bad[] = {
		"", /* empty */
		"@0x1000:5", /* no size */
		"4K0x1000:5", /* no '@' */
		"4K@:5", /* no base */
		"4K@0x1000", /* no irq */
		"4K@0x1000:", /* empty irq */
		"4K@0x1000:5:", /* empty id */
		"4K@0x1000:5:1:2", /* one field too many */
		"4K@0x1000:5x", /* junk after the irq */
		"4K@0x1000:5:3 ", /* a blank after the id */
		" 4K@0x1000:5", /* a blank before the size */
		"4K @0x1000:5", /* a blank inside */
		"4KK@0x1000:5", /* two suffixes */
		"4X@0x1000:5", /* unknown suffix */
		"4K@0x1000K:5", /* a suffix on the base */
		"4K@0x1000:5K", /* a suffix on the irq */
		"-4K@0x1000:5", /* signs */
		"+4K@0x1000:5",
		"4K@-0x1000:5",
		"4K@+4096:5",
		"4K@0x1000:+5",
		"4K@0x1000:5:-1",
		"0x@0x1000:5", /* "0x" without a hex digit */
		"4K@0xg000:5",
		"09@0x1000:5", /* not an octal digit */
		"4K@0x1000:0x5", /* the irq is decimal */
		"0@0x1000:5", /* size 0 */
		"0K@0x1000:5",
		"4K@0x1000:0", /* irq 0 */
		"4K@0x1000:256", /* irq too big */
		"4K@0x1000:4294967301", /* 2^32 + 5 */
		"4K@0x1000:5:2147483648", /* id too big */
		"18446744073709551616@0:5", /* size overflows */
		"0x10000000000000000@0:5",
		"16E@0:5", /* the suffix overflows (to 0, or to non-zero) */
		"17179869184G@0:5",
		"17E@0:5",
		"16777217T@0:5",
		"4K@0x10000000000000000:5", /* base overflows */
		"4K@18446744073709551616:5",
		"8K@0xfffffffffffff000:5", /* the window wraps */
		"2@18446744073709551615:5",
	};
	struct virtio_mmio_dev d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0xa5, sizeof(d));
		if (value(bad[i], &d) != -EINVAL)
			check_fail(__FILE__, __LINE__, "\"%s\" was accepted", bad[i]);
		/* Nothing is written on failure. */
		CHECK_EQ(d.base, 0xa5a5a5a5a5a5a5a5ull);
		CHECK_EQ(d.irq, 0xa5a5a5a5u);
	}
	CHECK_EQ(virtio_mmio_parse_cmdline_value(NULL, 0, &d), -EINVAL);
}

/* Only len bytes count; nothing after them is read. */
TEST(value_is_a_slice)
{
	struct virtio_mmio_dev d;
	const char *s = "4K@0x1000:57:8";
	char *heap = malloc(11);

	CHECK_EQ(virtio_mmio_parse_cmdline_value(s, 11, &d), 0);
	CHECK_EQ(d.irq, 5);
	CHECK(!d.has_id);
	CHECK_EQ(virtio_mmio_parse_cmdline_value(s, 12, &d), 0);
	CHECK_EQ(d.irq, 57);
	CHECK_EQ(virtio_mmio_parse_cmdline_value(s, 13, &d), -EINVAL);
	CHECK_EQ(virtio_mmio_parse_cmdline_value(s, 3, &d), -EINVAL);
	/* An exact-size heap copy: ASan would catch a read past it. */
	memcpy(heap, s, 11);
	CHECK_EQ(virtio_mmio_parse_cmdline_value(heap, 11, &d), 0);
	CHECK_EQ(virtio_mmio_parse_cmdline_value(heap, 10, &d), -EINVAL);
	free(heap);
}

/* ---- whole command lines ----------------------------------------------------------- */

/* The line QEMU 7.2 microvm,acpi=off builds for three virtio-serial-device. */
TEST(cmdline_qemu_acpi_off)
{
	const char *line = "spin virtio_mmio.device=512@0xfeb00e00:12 "
			   "virtio_mmio.device=512@0xfeb00c00:11 "
			   "virtio_mmio.device=512@0xfeb00a00:10";
	struct virtio_mmio_dev d[4];
	size_t found = 99, bad = 99;

	CHECK_EQ(virtio_mmio_parse_cmdline(line, d, 4, &found, &bad), 0);
	CHECK_EQ(found, 3);
	CHECK_EQ(bad, 0);
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ(d[i].base, 0xfeb00e00 - 0x200 * i);
		CHECK_EQ(d[i].size, 0x200);
		CHECK_EQ(d[i].irq, 12 - i);
		CHECK(!d[i].has_id);
	}
}

#define MIXED                                                                       \
	"console=ttyS0 virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=junk " \
	"virtio-mmio.device=8K@0xd0001000:6:7 virtio_mmio.device "                  \
	"virtio_mmio.device= virtio_mmio.devices=4K@0x1000:5 "                      \
	"\"virtio_mmio.device=4K@0xd0002000:300\" "                                 \
	"virtio_mmio.device=\"4K@0xd0003000:8\" -- virtio_mmio.device=4K@0xd0004000:9"

TEST(cmdline_mixed)
{
	struct virtio_mmio_dev d[8];
	size_t found, bad;

	CHECK_EQ(virtio_mmio_parse_cmdline(MIXED, d, 8, &found, &bad), 0);
	CHECK_EQ(found, 3);
	CHECK_EQ(bad, 4);
	CHECK_EQ(d[0].base, 0xd0000000);
	CHECK_EQ(d[0].irq, 5);
	CHECK_EQ(d[1].base, 0xd0001000);
	CHECK_EQ(d[1].size, 8192);
	CHECK_EQ(d[1].irq, 6);
	CHECK(d[1].has_id);
	CHECK_EQ(d[1].id, 7);
	/* A quoted value is fine; the entry after `--` is the application's. */
	CHECK_EQ(d[2].base, 0xd0003000);
	CHECK_EQ(d[2].irq, 8);
}

/* The iterator hands out each malformed value so the kernel can print it. */
TEST(cmdline_next_reports_bad_text)
{
	static const char line[] = MIXED;
	const char *pos = line, *text = NULL;
	struct virtio_mmio_dev d;
	size_t text_len = 99;
	char buf[64];

	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), 1);
	CHECK_EQ(d.base, 0xd0000000);
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), -EINVAL);
	snprintf(buf, sizeof(buf), "%.*s", (int)text_len, text);
	CHECK_STR(buf, "junk");
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), 1);
	CHECK_EQ(d.id, 7);
	/* A bare key: an empty text pointing into the line. */
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), -EINVAL);
	CHECK_EQ(text_len, 0);
	CHECK(text > line && text < line + strlen(line));
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), -EINVAL);
	CHECK_EQ(text_len, 0);
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), -EINVAL);
	snprintf(buf, sizeof(buf), "%.*s", (int)text_len, text);
	CHECK_STR(buf, "4K@0xd0002000:300");
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), 1);
	CHECK_EQ(d.base, 0xd0003000);
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), 0);
	/* Stopped just after `--`: the rest is the application's. */
	CHECK_STR(pos, " virtio_mmio.device=4K@0xd0004000:9");
	CHECK_EQ(virtio_mmio_cmdline_next(&pos, &d, &text, &text_len), 1);
}

TEST(cmdline_too_many)
{
	const char *line =
		"virtio_mmio.device=4K@0x1000:5 virtio_mmio.device=bad "
		"virtio_mmio.device=4K@0x2000:6 virtio_mmio.device=4K@0x3000:7";
	struct virtio_mmio_dev d[3] = { 0 };
	size_t found, bad;

	CHECK_EQ(virtio_mmio_parse_cmdline(line, d, 2, &found, &bad), -ENOSPC);
	CHECK_EQ(found, 2);
	CHECK_EQ(bad, 1);
	CHECK_EQ(d[1].base, 0x2000);
	CHECK_EQ(d[2].base, 0); /* untouched */
	CHECK_EQ(virtio_mmio_parse_cmdline(line, d, 0, &found, &bad), -ENOSPC);
	CHECK_EQ(found, 0);
	CHECK_EQ(bad, 1);
}

TEST(cmdline_edges)
{
	struct virtio_mmio_dev d[2];
	size_t found = 9, bad = 9;

	CHECK_EQ(virtio_mmio_parse_cmdline("", d, 2, &found, &bad), 0);
	CHECK_EQ(found, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(virtio_mmio_parse_cmdline("  console=ttyS0 quiet ", d, 2, &found, &bad),
		 0);
	CHECK_EQ(found + bad, 0);
	/* An unterminated quote ends the scan: what follows is not trusted. */
	CHECK_EQ(virtio_mmio_parse_cmdline("virtio_mmio.device=4K@0x1000:5 "
					   "virtio_mmio.device=\"4K@0x2000:6 "
					   "virtio_mmio.device=4K@0x3000:7",
					   d, 2, &found, &bad),
		 0);
	CHECK_EQ(found, 1);
	CHECK_EQ(bad, 0);
	/* Blanks inside a quoted value are junk, not separators. */
	CHECK_EQ(virtio_mmio_parse_cmdline("virtio_mmio.device=\"4K@0x1000:5 6\"", d, 2,
					   &found, &bad),
		 0);
	CHECK_EQ(found, 0);
	CHECK_EQ(bad, 1);
	/* Keys differ only in '-' / '_'; anything else is another parameter. */
	CHECK_EQ(virtio_mmio_parse_cmdline("virtio-mmio.device=4K@0x1000:5 "
					   "virtio_mmio-device=4K@0x1000:5 "
					   "Virtio_mmio.device=4K@0x1000:5 "
					   "virtio_mmio.device_=4K@0x1000:5",
					   d, 2, &found, &bad),
		 0);
	CHECK_EQ(found, 1);
	CHECK_EQ(bad, 0);
}

/* ---- the real DSDTs of QEMU 7.2 microvm ----------------------------------------- */

static uint8_t dsdt[4096];

/* Reads a DSDT dump into dsdt[]; returns its length. */
static size_t load(const char *name)
{
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "tests/host/data/%s", name);
	f = fopen(path, "rb");
	if (!f) {
		check_fail(__FILE__, __LINE__, "cannot open %s", path);
		return 0;
	}
	n = fread(dsdt, 1, sizeof(dsdt), f);
	fclose(f);
	return n;
}

/* Makes the table's bytes sum to 0 again after an edit. */
static void fix_sum(uint8_t *t, size_t len)
{
	uint8_t s = 0;

	t[9] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	t[9] = (uint8_t)-s;
}

/*
 * QEMU fills its 24 transports from the last one down: the k-th device plugged
 * sits on transport 23 - k, at 0xfeb00000 + 512 * (23 - k), on GSI 24 + 23 - k
 * (the second IOAPIC's inputs), with _UID 23 - k. The DSDT lists them in that order.
 */
static void check_qemu_devs(const struct virtio_mmio_dev *d, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		CHECK_EQ(d[k].base, 0xfeb00000 + 512 * (23 - k));
		CHECK_EQ(d[k].size, 512);
		CHECK_EQ(d[k].irq, 24 + 23 - k);
		CHECK(d[k].has_id);
		CHECK_EQ(d[k].id, 23 - k);
	}
}

TEST(dsdt_microvm_no_device)
{
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-0.bin"), found = 9;

	CHECK_EQ(len, 284);
	/* Its FWCF, RTC, GED and PWRB devices are not virtio. */
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), 0);
	CHECK_EQ(found, 0);
}

TEST(dsdt_microvm_one_device)
{
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-1.bin"), found;

	CHECK_EQ(len, 352);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), 0);
	CHECK_EQ(found, 1);
	CHECK_EQ(d[0].base, 0xfeb02e00);
	CHECK_EQ(d[0].size, 0x200);
	CHECK_EQ(d[0].irq, 47);
	CHECK(d[0].has_id);
	CHECK_EQ(d[0].id, 23);
}

TEST(dsdt_microvm_three_devices)
{
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-3.bin"), found;

	CHECK_EQ(len, 488);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), 0);
	CHECK_EQ(found, 3);
	check_qemu_devs(d, 3);
	CHECK_EQ(d[2].base, 0xfeb02a00);
	CHECK_EQ(d[2].irq, 45);
}

/* Every transport used: 2-byte PkgLengths, _UID Zero and One opcodes. */
TEST(dsdt_microvm_all_transports)
{
	struct virtio_mmio_dev d[32];
	size_t len = load("dsdt-microvm-24.bin"), found;

	CHECK_EQ(len, 1914);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 32, &found), 0);
	CHECK_EQ(found, 24);
	check_qemu_devs(d, 24);
	CHECK_EQ(d[23].base, 0xfeb00000);
	CHECK_EQ(d[23].id, 0);
	CHECK_EQ(d[22].id, 1);
	/* Too small an array: the first ones are kept, the rest reported. */
	memset(d, 0, sizeof(d));
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 5, &found), -ENOSPC);
	CHECK_EQ(found, 5);
	check_qemu_devs(d, 5);
	CHECK_EQ(d[5].base, 0);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 0, &found), -ENOSPC);
	CHECK_EQ(found, 0);
}

/* With ioapic2=off there are 8 transports, on GSI 16..23. */
TEST(dsdt_microvm_ioapic2_off)
{
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-2-ioapic2off.bin"), found;

	CHECK_EQ(len, 420);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), 0);
	CHECK_EQ(found, 2);
	CHECK_EQ(d[0].base, 0xfeb00e00);
	CHECK_EQ(d[0].irq, 23);
	CHECK_EQ(d[0].id, 7);
	CHECK_EQ(d[1].base, 0xfeb00c00);
	CHECK_EQ(d[1].irq, 22);
	CHECK_EQ(d[1].id, 6);
}

TEST(dsdt_header_errors)
{
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-3.bin"), found = 9;

	CHECK_EQ(aml_find_virtio_mmio(dsdt, 35, d, 4, &found), -EINVAL);
	CHECK_EQ(found, 0);
	CHECK_EQ(aml_find_virtio_mmio(NULL, 0, d, 4, &found), -EINVAL);
	/* The buffer shorter than the header says: truncated. */
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len - 1, d, 4, &found), -EINVAL);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, 36, d, 4, &found), -EINVAL);
	/* Bytes after the table are not part of it. */
	dsdt[len] = 0x5b;
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len + 1, d, 4, &found), 0);
	CHECK_EQ(found, 3);
	/* A flipped bit anywhere breaks the checksum. */
	dsdt[300] ^= 0x10;
	found = 9;
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EIO);
	CHECK_EQ(found, 0);
	dsdt[300] ^= 0x10;
	/* Another table. */
	memcpy(dsdt, "SSDT", 4);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -ENOENT);
	memcpy(dsdt, "DSDT", 4);
	/* A header length below the header's own size. */
	dsdt[4] = 35;
	dsdt[5] = 0;
	fix_sum(dsdt, 35);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EINVAL);
}

/* Cut at every length (header length and checksum fixed up): clean results. */
TEST(dsdt_truncated)
{
	static uint8_t t[4096];
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-3.bin"), found;
	size_t sb_end = 0x1d7; /* where Scope (\_SB) ends and Scope (\) starts */

	CHECK_EQ(dsdt[sb_end], 0x10);
	for (size_t l = 36; l <= len; l++) {
		int r;

		memcpy(t, dsdt, l);
		t[4] = (uint8_t)l;
		t[5] = (uint8_t)(l >> 8);
		fix_sum(t, l);
		found = 9;
		r = aml_find_virtio_mmio(t, l, d, 4, &found);
		if (l == 36 || l == sb_end || l == len) {
			CHECK_EQ(r, 0);
			CHECK_EQ(found, l == 36 ? 0 : 3);
		} else if (r != -EINVAL || found != 0) {
			check_fail(__FILE__, __LINE__, "length %zu: r=%d found=%zu", l, r,
				   found);
		}
	}
}

TEST(dsdt_bogus_pkglength)
{
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-3.bin"), found;
	size_t vr22 = 0x151; /* the PkgLength of Device (VR22) */

	/* Scope (\_SB): 0x42 0x1b is 0x1b2 bytes; 0x1d2 runs past the table. */
	CHECK_EQ(dsdt[0x24], 0x10);
	CHECK_EQ(dsdt[0x25], 0x42);
	CHECK_EQ(dsdt[0x26], 0x1b);
	dsdt[0x26] = 0x1d;
	fix_sum(dsdt, len);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EINVAL);
	CHECK_EQ(found, 0);
	/* Shorter than the PkgLength itself. */
	dsdt[0x25] = 0x40;
	dsdt[0x26] = 0x00;
	fix_sum(dsdt, len);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EINVAL);
	/* A Device running past its Scope. */
	len = load("dsdt-microvm-3.bin");
	CHECK_EQ(dsdt[vr22 - 2], 0x5b);
	CHECK_EQ(dsdt[vr22], 0x42);
	dsdt[vr22 + 1] = 0x40;
	fix_sum(dsdt, len);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EINVAL);
	/* A Device shorter than its name: the name runs past it. */
	dsdt[vr22] = 0x03;
	dsdt[vr22 + 1] = 'V';
	fix_sum(dsdt, len);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EINVAL);
	/* The 4-byte form with a huge length. */
	dsdt[vr22] = 0xcf;
	dsdt[vr22 + 1] = 0xff;
	fix_sum(dsdt, len);
	CHECK_EQ(aml_find_virtio_mmio(dsdt, len, d, 4, &found), -EINVAL);
}

/* Every byte of a real table overwritten with a few values, checksum fixed. */
TEST(dsdt_every_byte_corrupted)
{
	static const uint8_t vals[] = { 0x00, 0xff, 0x10, 0x5b, 0x82, 0x0d, 0x11, 0xc0 };
	static uint8_t t[4096];
	struct virtio_mmio_dev d[4];
	size_t len = load("dsdt-microvm-3.bin"), found;

	for (size_t i = 10; i < len; i++) {
		for (size_t v = 0; v < sizeof(vals) + 1; v++) {
			int r;

			memcpy(t, dsdt, len);
			t[i] = v < sizeof(vals) ? vals[v] : (uint8_t)~t[i];
			fix_sum(t, len);
			r = aml_find_virtio_mmio(t, len, d, 4, &found);
			if (r != 0 && r != -EINVAL && r != -ENOSPC)
				check_fail(__FILE__, __LINE__, "byte %zu: r=%d", i, r);
			if (found > 3 || (r && r != -ENOSPC && found))
				check_fail(__FILE__, __LINE__, "byte %zu: found %zu", i,
					   found);
			for (size_t k = 0; !r && k < found; k++)
				CHECK(d[k].size && d[k].irq && d[k].irq <= 255);
		}
	}
}

/* ---- AML built here ---------------------------------------------------------- */

struct aml {
	uint8_t b[65536]; /* the table being built */
	size_t n; /* bytes used */
	size_t open[4096]; /* where each open package's PkgLength goes */
	size_t depth; /* packages open */
};

static struct aml a;

static void aml_begin(void)
{
	memset(&a, 0, sizeof(a));
	memcpy(a.b, "DSDT", 4);
	a.b[8] = 2;
	memcpy(a.b + 10, "TORO  ", 6);
	a.n = 36;
}

static void emit(const void *p, size_t n)
{
	memcpy(a.b + a.n, p, n);
	a.n += n;
}

#define EMIT(...) \
	emit((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Starts a package: its PkgLength is written by pkg_close(). */
static void pkg_open(void)
{
	a.open[a.depth++] = a.n;
}

/* Ends a package, with the shortest PkgLength encoding (moving the body). */
static void pkg_close(void)
{
	size_t at = a.open[--a.depth], body = a.n - at, nb;

	nb = body + 1 <= 0x3f	   ? 0 :
	     body + 2 < (1u << 12) ? 1 :
	     body + 3 < (1u << 20) ? 2 :
				     3;
	size_t len = body + 1 + nb;

	memmove(a.b + at + 1 + nb, a.b + at, body);
	if (nb == 0) {
		a.b[at] = (uint8_t)len;
	} else {
		a.b[at] = (uint8_t)(nb << 6 | (len & 0xf));
		for (size_t k = 0; k < nb; k++)
			a.b[at + 1 + k] = (uint8_t)(len >> (4 + 8 * k));
	}
	a.n += 1 + nb;
}

static size_t aml_end(void)
{
	a.b[4] = (uint8_t)a.n;
	a.b[5] = (uint8_t)(a.n >> 8);
	a.b[6] = (uint8_t)(a.n >> 16);
	fix_sum(a.b, a.n);
	return a.n;
}

static void scope(const char *name)
{
	EMIT(0x10);
	pkg_open();
	emit(name, strlen(name));
}

static void device(const char *name)
{
	EMIT(0x5b, 0x82);
	pkg_open();
	emit(name, strlen(name));
}

static void name_str(const char *name, const char *s)
{
	EMIT(0x08);
	emit(name, 4);
	EMIT(0x0d);
	emit(s, strlen(s) + 1);
}

static void name_dword(const char *name, uint32_t v)
{
	EMIT(0x08);
	emit(name, 4);
	EMIT(0x0c, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24));
}

/* Name (_CRS, Buffer) holding the descriptors given plus an End Tag. */
static void crs(const uint8_t *res, size_t n)
{
	EMIT(0x08, '_', 'C', 'R', 'S', 0x11);
	pkg_open();
	EMIT(0x0b, (uint8_t)(n + 2), (uint8_t)((n + 2) >> 8));
	emit(res, n);
	EMIT(0x79, 0x00);
	pkg_close();
}

#define MEM32(base, len)                                                          \
	0x86, 0x09, 0x00, 0x01, (uint8_t)(base), (uint8_t)((base) >> 8),          \
		(uint8_t)((base) >> 16), (uint8_t)((base) >> 24), (uint8_t)(len), \
		(uint8_t)((len) >> 8), (uint8_t)((len) >> 16), (uint8_t)((len) >> 24)
#define EXTIRQ(irq)                                                          \
	0x89, 0x06, 0x00, 0x01, 0x01, (uint8_t)(irq), (uint8_t)((irq) >> 8), \
		(uint8_t)((irq) >> 16), (uint8_t)((irq) >> 24)

/* A complete virtio-mmio Device with a string _HID, _UID and a standard _CRS. */
static void vdev(const char *name, uint32_t base, uint32_t irq, uint32_t uid)
{
	const uint8_t r[] = { MEM32(base, 0x200), EXTIRQ(irq) };

	device(name);
	name_str("_HID", "LNRO0005");
	name_dword("_UID", uid);
	crs(r, sizeof(r));
	pkg_close();
}

static int scan(struct virtio_mmio_dev *d, size_t max, size_t *found)
{
	size_t len = aml_end();

	return aml_find_virtio_mmio(a.b, len, d, max, found);
}

/* The objects a DSDT commonly holds around the devices are stepped over. */
TEST(aml_steps_over_common_objects)
{
	struct virtio_mmio_dev d[4];
	size_t found;
	const uint8_t irq9[] = { MEM32(0xd0000000, 0x1000), 0x22, 0x00, 0x02 };

	aml_begin();
	EMIT(0x15, '\\', 0x2e, '_', 'S', 'B', '_', 'E', 'X', 'T', '0', 0x06,
	     0x00); /* External */
	EMIT(0x08, 'R', 'E', 'V', '_', 0x5b, 0x30); /* Name (REV_, Revision) */
	EMIT(0xa3); /* Noop */
	scope("\\_SB_");
	/* OperationRegion (OPR0, SystemMemory, 0xfee00000, 0x10) and its Field. */
	EMIT(0x5b, 0x80, 'O', 'P', 'R', '0', 0x00, 0x0c, 0x00, 0x00, 0xe0, 0xfe, 0x0a,
	     0x10);
	EMIT(0x5b, 0x81);
	pkg_open();
	EMIT('O', 'P', 'R', '0', 0x01, 'F', 'L', 'D', '0', 0x20);
	pkg_close();
	EMIT(0x5b, 0x01, 'M', 'T', 'X', '0', 0x00); /* Mutex */
	EMIT(0x5b, 0x02, 'E', 'V', 'T', '0'); /* Event */
	EMIT(0x06, 'M', 'T', 'X', '0', 'M', 'T', 'X', '1'); /* Alias */
	EMIT(0x5b, 0x88, 'D', 'R', 'G', '0', 0x0d, 'A', 0x00, 0x0d, 'B', 0x00, 0x0d,
	     0x00);
	EMIT(0x08, 'P', 'K', 'G', '0', 0x12); /* Name (PKG0, Package) */
	pkg_open();
	EMIT(0x02, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00, 0x01);
	pkg_close();
	EMIT(0x14); /* Method (_OSC, 4) with a Device-like body */
	pkg_open();
	EMIT('_', 'O', 'S', 'C', 0x04, 0x5b, 0x82, 0x7f, 0x7f);
	pkg_close();
	EMIT(0xa0); /* If (One) { } at the scope level */
	pkg_open();
	EMIT(0x01);
	pkg_close();
	scope("^^PCI0"); /* a relative path */
	/* A device with its names in an unusual order and the small IRQ form. */
	device("VIO0");
	EMIT(0x08, '_', 'U', 'I', 'D', 0x0e, 5, 0, 0, 0, 0, 0, 0, 0); /* QWord */
	crs(irq9, sizeof(irq9));
	EMIT(0x5b, 0x83); /* Processor: skipped whole */
	pkg_open();
	EMIT('C', 'P', 'U', '0', 0x00, 0, 0, 0, 0, 0);
	pkg_close();
	name_str("_HID", "LNRO0005");
	pkg_close();
	pkg_close();
	scope("\\/\x03_SB_PCI0SUB0"); /* MultiNamePrefix */
	vdev("VIO1", 0xd0001000, 40, 1);
	pkg_close();
	pkg_close();
	EMIT(0x10); /* Scope (\) spelled with the null name */
	pkg_open();
	EMIT('\\', 0x00);
	vdev("VIO2", 0xd0002000, 41, 2);
	pkg_close();
	CHECK_EQ(scan(d, 4, &found), 0);
	CHECK_EQ(found, 3);
	CHECK_EQ(d[0].base, 0xd0000000);
	CHECK_EQ(d[0].size, 0x1000);
	CHECK_EQ(d[0].irq, 9);
	CHECK_EQ(d[0].id, 5);
	CHECK(d[0].has_id);
	CHECK_EQ(d[1].base, 0xd0001000);
	CHECK_EQ(d[1].irq, 40);
	CHECK_EQ(d[2].base, 0xd0002000);
	CHECK_EQ(d[2].id, 2);
}

TEST(aml_which_devices_count)
{
	struct virtio_mmio_dev d[8];
	const uint8_t r[] = { MEM32(0xd0000000, 0x200), EXTIRQ(5) };
	size_t found;

	aml_begin();
	scope("_SB_");
	/* _CID matches too (the _HID being an EisaId dword); no _UID. */
	device("CID0");
	name_dword("_HID", 0x0c0cd041);
	name_str("_CID", "LNRO0005");
	crs(r, sizeof(r));
	pkg_close();
	/* Other HIDs, near misses. */
	device("OTH0");
	name_str("_HID", "LNRO0006");
	crs(r, sizeof(r));
	pkg_close();
	device("OTH1");
	name_str("_HID", "LNRO00050");
	crs(r, sizeof(r));
	pkg_close();
	device("OTH2");
	name_str("_HID", "lnro0005");
	crs(r, sizeof(r));
	pkg_close();
	/* _STA: absent is left out, present (0x0f) counts. */
	device("STA0");
	name_str("_HID", "LNRO0005");
	EMIT(0x08, '_', 'S', 'T', 'A', 0x00);
	crs(r, sizeof(r));
	pkg_close();
	device("STA1");
	name_str("_HID", "LNRO0005");
	EMIT(0x08, '_', 'S', 'T', 'A', 0x0a, 0x0f);
	crs(r, sizeof(r));
	pkg_close();
	/* A _HID given by path belongs to another object. */
	device("PTH0");
	EMIT(0x08, '^', '_', 'H', 'I', 'D', 0x0d);
	emit("LNRO0005", 9);
	crs(r, sizeof(r));
	pkg_close();
	/* A _CRS computed by a Method cannot be read without an interpreter. */
	device("MTH0");
	name_str("_HID", "LNRO0005");
	EMIT(0x14, 0x06, '_', 'C', 'R', 'S', 0x00);
	pkg_close();
	/* Nested inside another device: found, and the outer one is not confused. */
	device("OUT0");
	name_str("_HID", "ACPI0004");
	vdev("INN0", 0xd0009000, 9, 0xffffffff); /* _UID beyond the id range */
	crs(r, sizeof(r));
	pkg_close();
	/* A string _UID gives no id. */
	device("SUI0");
	name_str("_HID", "LNRO0005");
	name_str("_UID", "7");
	crs(r, sizeof(r));
	pkg_close();
	pkg_close();
	CHECK_EQ(scan(d, 8, &found), 0);
	CHECK_EQ(found, 4);
	CHECK_EQ(d[0].base, 0xd0000000);
	CHECK(!d[0].has_id);
	CHECK_EQ(d[1].irq, 5); /* STA1 */
	CHECK_EQ(d[2].base, 0xd0009000);
	CHECK_EQ(d[2].irq, 9);
	CHECK(!d[2].has_id);
	CHECK(!d[3].has_id);
}

/* Each broken _CRS leaves its device out; the others are still found. */
TEST(aml_bad_crs)
{
	static const struct {
		uint8_t r[32]; /* the descriptors before the End Tag */
		size_t n; /* their length */
	} bad[] = {
		{ { MEM32(0xd0000000, 0x200) }, 12 }, /* no interrupt */
		{ { EXTIRQ(5) }, 9 }, /* no window */
		{ { MEM32(0xd0000000, 0), EXTIRQ(5) }, 21 }, /* empty window */
		{ { MEM32(0xd0000000, 0x200), EXTIRQ(0) }, 21 }, /* irq 0 */
		{ { MEM32(0xd0000000, 0x200), EXTIRQ(256) }, 21 }, /* irq too big */
		{ { MEM32(0xd0000000, 0x200), 0x89, 0x06, 0x00, 0x01, 0x00, 5, 0, 0, 0 },
		  21 }, /* zero interrupts */
		{ { MEM32(0xd0000000, 0x200), 0x89, 0x06, 0x00, 0x01, 0x02, 5, 0, 0, 0 },
		  21 }, /* two interrupts in room for one */
		{ { MEM32(0xd0000000, 0x200), 0x22, 0x00, 0x00 },
		  15 }, /* empty IRQ mask */
		{ { MEM32(0xd0000000, 0x200), 0x89, 0x40, 0x00, 0x01, 0x01, 5 },
		  18 }, /* runs past the buffer */
		{ { 0x86, 0x08, 0x00, 0x01, 0, 0, 0, 0xd0, 0, 2, 0, EXTIRQ(5) },
		  20 }, /* Memory32Fixed too short */
		{ { MEM32(0xd0000000, 0x200), EXTIRQ(5), 0x47, 0x01 },
		  23 }, /* a small item past the end */
	};
	const uint8_t good[] = { MEM32(0xd0000000, 0x200), EXTIRQ(5) };
	struct virtio_mmio_dev d[4];
	size_t found;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_begin();
		device("BAD0");
		name_str("_HID", "LNRO0005");
		crs(bad[i].r, bad[i].n);
		pkg_close();
		vdev("GOOD", 0xd0001000, 6, 1);
		CHECK_EQ(scan(d, 4, &found), 0);
		if (found != 1)
			check_fail(__FILE__, __LINE__, "case %zu: found %zu", i, found);
		CHECK_EQ(d[0].base, 0xd0001000);
	}
	/* The first window and interrupt win; other descriptors are skipped. */
	const uint8_t two[] = { 0x47,
				0x01,
				0x10,
				0x05,
				0x10,
				0x05,
				0x01,
				0x0c, /* IO */
				MEM32(0xd0002000, 0x400),
				MEM32(0xd0003000, 0x200),
				EXTIRQ(7),
				EXTIRQ(8) };

	aml_begin();
	device("TWO0");
	name_str("_HID", "LNRO0005");
	crs(two, sizeof(two));
	crs(good, sizeof(good)); /* a second _CRS is ignored */
	pkg_close();
	CHECK_EQ(scan(d, 4, &found), 0);
	CHECK_EQ(found, 1);
	CHECK_EQ(d[0].base, 0xd0002000);
	CHECK_EQ(d[0].size, 0x400);
	CHECK_EQ(d[0].irq, 7);
	/* A buffer whose size cuts the initializer keeps only those bytes. */
	aml_begin();
	device("CUT0");
	name_str("_HID", "LNRO0005");
	EMIT(0x08, '_', 'C', 'R', 'S', 0x11);
	pkg_open();
	EMIT(0x0a, 12, MEM32(0xd0000000, 0x200), EXTIRQ(5), 0x79, 0x00);
	pkg_close();
	pkg_close();
	CHECK_EQ(scan(d, 4, &found), 0);
	CHECK_EQ(found, 0);
	/* _CRS as a package or an integer. */
	aml_begin();
	device("PKG0");
	name_str("_HID", "LNRO0005");
	EMIT(0x08, '_', 'C', 'R', 'S', 0x12, 0x02, 0x00);
	pkg_close();
	device("INT0");
	name_str("_HID", "LNRO0005");
	EMIT(0x08, '_', 'C', 'R', 'S', 0x0a, 0x86);
	pkg_close();
	CHECK_EQ(scan(d, 4, &found), 0);
	CHECK_EQ(found, 0);
}

/* An unknown opcode ends the walk of its body only. */
TEST(aml_unknown_opcode)
{
	struct virtio_mmio_dev d[4];
	size_t found;

	aml_begin();
	scope("_SB_");
	EMIT(0x70, 0x01, 0x60); /* Store (One, Local0): not a declaration */
	vdev("LOST", 0xd0000000, 5, 0);
	pkg_close();
	device("KEPT");
	name_str("_HID", "LNRO0005");
	crs((const uint8_t[]){ MEM32(0xd0001000, 0x200), EXTIRQ(6) }, 21);
	EMIT(0x5b, 0x99); /* an unknown extended opcode after what we need */
	pkg_close();
	EMIT(0x08, 'N', 'A', 'M', 'E', 'X', 'Y', 'Z', 'W'); /* Name of a name: unknown */
	vdev("LOS2", 0xd0002000, 7, 0);
	CHECK_EQ(scan(d, 4, &found), 0);
	CHECK_EQ(found, 1);
	CHECK_EQ(d[0].base, 0xd0001000);
}

TEST(aml_malformed)
{
	static const uint8_t bad[][16] = {
		{ 0x10, 0x05, '_', 's', 'b', '_' }, /* lower-case NameSeg */
		{ 0x10, 0x05, '0', 'S', 'B', '_' }, /* digit first */
		{ 0x10, 0x03, 0x2f, 0x00 }, /* MultiNamePrefix with no segment */
		{ 0x10, 0x07, 0x2f, 0x02, 'A', 'B', 'C',
		  'D' }, /* segments past the end */
		{ 0x10, 0x02, 0x5c }, /* a root prefix and nothing else */
		{ 0x08, 'A', 'B', 'C', 'D', 0x0d, 'x', 'y' }, /* string without NUL */
		{ 0x08, 'A', 'B', 'C', 'D', 0x0d, 'x', 0x80, 0x00 }, /* not ASCII */
		{ 0x08, 'A', 'B', 'C', 'D', 0x0c, 1, 2 }, /* dword cut short */
		{ 0x08, 'A', 'B', 'C', 'D', 0x11, 0x04, 0x0c, 1 }, /* buffer size cut */
		{ 0x08, 'A', 'B', 'C', 'D' }, /* Name without a value */
		{ 0x5b }, /* a lone prefix */
		{ 0x5b, 0x80, 'O', 'P', 'R', '0' }, /* OpRegion cut short */
		{ 0x5b, 0x01, 'M', 'T', 'X', '0' }, /* Mutex without its flags */
		{ 0x15, 'E', 'X', 'T', '0', 0x06 }, /* External cut short */
		{ 0x14, 0xc0 }, /* PkgLength bytes missing */
		{ 0x14, 0x00 }, /* PkgLength 0: shorter than itself */
		{ 0x14, 0x41, 0x00, 0x00 }, /* PkgLength 1 in the 2-byte form */
	};
	static const size_t len[] = { 6, 6, 4, 8, 3, 8, 9, 8, 9, 5, 1, 6, 6, 6, 2, 2, 4 };
	struct virtio_mmio_dev d[4];
	size_t found;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		aml_begin();
		vdev("VIO0", 0xd0000000, 5, 0);
		emit(bad[i], len[i]);
		found = 9;
		r = scan(d, 4, &found);
		if (r != -EINVAL || found != 0)
			check_fail(__FILE__, __LINE__, "case %zu: r=%d found=%zu", i, r,
				   found);
	}
}

/* Scope/Device bodies nest up to AML_MAX_DEPTH; one more is refused. */
TEST(aml_nesting_bounded)
{
	struct virtio_mmio_dev d[4];
	size_t found;

	for (size_t depth = AML_MAX_DEPTH; depth <= AML_MAX_DEPTH + 1; depth++) {
		aml_begin();
		for (size_t i = 0; i + 1 < depth; i++)
			scope("S___");
		vdev("VIO0", 0xd0000000, 5, 0);
		for (size_t i = 0; i + 1 < depth; i++)
			pkg_close();
		CHECK_EQ(scan(d, 4, &found), depth <= AML_MAX_DEPTH ? 0 : -EINVAL);
		CHECK_EQ(found, depth <= AML_MAX_DEPTH ? 1 : 0);
	}
	/* Thousands of nested scopes (the 4-byte PkgLength form) fail fast. */
	aml_begin();
	for (size_t i = 0; i < 3000; i++)
		scope("S___");
	for (size_t i = 0; i < 3000; i++)
		pkg_close();
	CHECK(a.n > 1u << 12);
	CHECK_EQ(scan(d, 4, &found), -EINVAL);
}

/* Many sibling bodies, each opened and closed: no depth builds up. */
TEST(aml_many_siblings)
{
	static struct virtio_mmio_dev d[600];
	size_t found;

	aml_begin();
	scope("_SB_");
	for (uint32_t i = 0; i < 500; i++) {
		scope("S___");
		vdev("VIO0", 0xd0000000 + 0x200 * i, 5 + i % 200, i);
		pkg_close();
	}
	pkg_close();
	CHECK(a.n > 1u << 15); /* the 3-byte PkgLength form */
	CHECK_EQ(scan(d, 600, &found), 0);
	CHECK_EQ(found, 500);
	CHECK_EQ(d[499].base, 0xd0000000 + 0x200 * 499);
	CHECK_EQ(d[499].irq, 5 + 499 % 200);
	CHECK_EQ(d[499].id, 499);
}
