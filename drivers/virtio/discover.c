/* SPDX-License-Identifier: MIT */
/*
 * Finding virtio-mmio devices: `virtio_mmio.device=` on the command line (Linux's
 * and Firecracker's convention), then the LNRO0005 devices of the ACPI DSDT (QEMU
 * microvm with ACPI lists its devices only there). The parsing is lib's; this
 * reads the tables and reports what it could not use, then carries on.
 */
#include "drivers/virtio/virtio.h"

#include "arch/x86_64/layout.h"
#include "kernel/kmem.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "lib/acpi.h"
#include "lib/virtio_discover.h"
#include "platform/platform.h"
#include "toro/errno.h"

static void from_cmdline(void)
{
	const char *pos = boot_info.cmdline, *bad;
	struct virtio_mmio_dev dev;
	size_t bad_len;
	int r;

	while ((r = virtio_mmio_cmdline_next(&pos, &dev, &bad, &bad_len)) != 0) {
		if (r < 0)
			printk("virtio: malformed virtio_mmio.device=%.*s (want "
			       "<size>@<base>:<irq>[:<id>]), ignored\n",
			       (int)bad_len, bad);
		else
			virtio_mmio_add(dev.base, dev.size, dev.irq, "command line");
	}
}

static void from_dsdt(void)
{
	const struct acpi_tables *t = smp_acpi_tables();
	struct virtio_mmio_dev devs[VIRTIO_MAX_DEVICES];
	size_t found = 0, pages;
	uint8_t *copy;
	int r;

	if (!t || !t->dsdt_pa || t->dsdt_len < 36)
		return;
	pages = (t->dsdt_len + PAGE_SIZE - 1) / PAGE_SIZE;
	copy = kmem_pages_alloc(pages);
	if (!copy)
		return;
	r = smp_phys_read(t->dsdt_pa, copy, t->dsdt_len);
	if (r == 0)
		r = aml_find_virtio_mmio(copy, t->dsdt_len, devs, VIRTIO_MAX_DEVICES,
					 &found);
	if (r && r != -ENOSPC)
		printk("virtio: cannot read the devices of the ACPI DSDT (%d)\n", r);
	for (size_t i = 0; i < found; i++)
		virtio_mmio_add(devs[i].base, devs[i].size, devs[i].irq, "ACPI");
	kmem_pages_free(copy, pages);
}

void virtio_init(void)
{
	from_cmdline();
	from_dsdt();
}
