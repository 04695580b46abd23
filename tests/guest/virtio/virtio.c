/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio against QEMU's real devices: the runner boots this image with a
 * virtio console (and `console=uart`, so that this KTAP output stays on the serial
 * port), in each configuration of tests/guest/virtio/args. What reaches the host
 * through the console is checked by tests/integration.
 */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "drivers/virtio/console.h"
#include "drivers/virtio/virtio.h"
#include "uapi/virtio_mmio.h"

KTEST(virtio, console_found_with_the_expected_transport)
{
	const struct virtio_dev *d = virtio_find("console");
	const char *version = toro_param("expect_version");

	KEXPECT_NOT_NULL(d);
	if (!d)
		return;
	KEXPECT_EQ(d->device_id, VIRTIO_ID_CONSOLE);
	KEXPECT_FALSE(d->broken);
	KEXPECT_NOT_NULL(version);
	KEXPECT_EQ(d->version, version ? (uint32_t)(version[0] - '0') : 0);
	/* Modern devices must have agreed to VIRTIO_F_VERSION_1, legacy ones cannot. */
	KEXPECT_EQ(!!(d->features & (1ull << VIRTIO_F_VERSION_1)), d->version == 2);
}

KTEST(virtio, console_param_keeps_log_on_uart)
{
	KEXPECT_STREQ(toro_param("console"), "uart");
	KEXPECT_FALSE(vcon_active());
}

KTEST(virtio, writes_go_through_whole)
{
	static char big[3 * 4096 + 123];

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	for (int i = 0; i < 50; i++)
		KEXPECT_EQ(vcon_port_write(0, big, sizeof(big)), (long)sizeof(big));
}

KTEST(virtio, missing_port_is_refused)
{
	char c;

	KEXPECT_EQ(vcon_port_write(1, "x", 1), -ENODEV);
	KEXPECT_EQ(vcon_port_read(1, &c, 1), -ENODEV);
	KEXPECT_EQ(vcon_port_write(7, "x", 1), -ENODEV);
}

KTEST(virtio, dedicate_checks_its_arguments)
{
	KEXPECT_EQ(toro_dedicate("console", toro_ncpus()), -EINVAL);
	KEXPECT_EQ(toro_dedicate("no-such-device", 0), -ENODEV);
	KEXPECT_EQ(toro_dedicate("console", toro_ncpus() - 1), 0);
	KEXPECT_EQ(vcon_port_write(0, "moved\n", 6), 6);
	KEXPECT_EQ(toro_dedicate("console", 0), 0);
}
