/* SPDX-License-Identifier: MIT */
/*
 * Console input from the UART, interrupt-driven: the 16550's "data available"
 * interrupt (ISA IRQ 4) is routed through the IOAPIC to CPU 0, whose handler
 * moves the received bytes into a ring and wakes the readers. Readers on CPU 0
 * sleep; readers elsewhere yield and look again. Without an IOAPIC the UART is
 * polled, as before interrupts existed.
 */
#include "kernel/uart_input.h"

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "platform/ioapic.h"
#include "platform/platform.h"
#include "toro/toro.h"

#define UART_IRQ 4 /* COM1 */
#define RING 1024 /* bytes received and not read yet */

static char ring[RING];
static uint32_t head, tail; /* free-running read and write positions */
static struct waitq readers; /* threads of CPU 0 waiting for a byte */
static struct spinlock lock = SPINLOCK_INIT;
static bool irq_driven;

static void uart_irq(struct trap_frame *f, void *arg)
{
	bool on = spin_lock(&lock);
	int c;

	(void)f;
	(void)arg;
	/* Reading the bytes clears the interrupt; beyond the ring's room they wait in
	 * the UART, and QEMU holds back the rest. */
	while (tail - head < RING && (c = plat_uart_getc()) >= 0)
		ring[tail++ % RING] = (char)c;
	spin_unlock(&lock, on);
	sched_wake_all(&readers);
}

void uart_input_init(void)
{
	unsigned flags;
	uint32_t gsi = ioapic_isa_gsi(UART_IRQ, &flags);
	unsigned vector = IRQ_VECTOR_DEVICE + gsi;

	if (gsi >= IRQ_VECTOR_TIMER - IRQ_VECTOR_DEVICE ||
	    irq_register(vector, uart_irq, NULL))
		return;
	if (ioapic_route(gsi, (uint8_t)vector, 0, flags))
		return; /* no IOAPIC: keep polling */
	plat_uart_enable_rx_irq();
	irq_driven = true;
}

int uart_input_getc(void)
{
	bool on = irq_save();
	int c;

	for (;;) {
		bool l = spin_lock(&lock);

		if (head != tail) {
			c = (unsigned char)ring[head++ % RING];
			spin_unlock(&lock, l);
			break;
		}
		spin_unlock(&lock, l);
		if (!irq_driven) {
			c = plat_uart_getc();
			if (c >= 0)
				break;
			cpu_relax();
		} else if (pcpu_id() == 0) {
			sched_wait(&readers, 0);
		} else {
			irq_restore(on);
			toro_yield();
			on = irq_save();
		}
	}
	irq_restore(on);
	return c;
}
