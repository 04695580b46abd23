/* SPDX-License-Identifier: MIT */
/*
 * Leaving the VM. QEMU's isa-debug-exit device (`toro run` always adds it at port
 * 0xf4) ends QEMU with status (value << 1) | 1. Toro writes code + 1, so that QEMU's
 * own failure status 1 never looks like a guest exit: status 2*code+3 means code.
 * Without that device (Firecracker), an i8042 reset stops the VM; last, halt.
 */
#include "platform/platform.h"

#include "arch/x86_64/cpu.h"

#define DEBUG_EXIT_PORT 0xf4
#define I8042_COMMAND 0x64
#define I8042_RESET 0xfe

_Noreturn void plat_exit(int code)
{
	cli();
	outl(DEBUG_EXIT_PORT, (uint32_t)code + 1);
	outb(I8042_COMMAND, I8042_RESET);
	for (;;)
		hlt();
}
