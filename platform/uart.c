/* SPDX-License-Identifier: MIT */
/*
 * 16550 UARTs, polled: COM1 (I/O port 0x3f8) for the log, COM2 (0x2f8) for the
 * GDB stub when asked (gdb=uart). Register layout from the National
 * Semiconductor PC16550D data sheet. QEMU microvm and Firecracker provide COM1.
 */
#include "platform/platform.h"

#include "arch/x86_64/cpu.h"

#define COM1 0x3f8
#define COM2 0x2f8
#define UART_RBR 0 /* R: receive buffer (DLAB=0) */
#define UART_THR 0 /* W: transmit holding (DLAB=0) */
#define UART_DLL 0 /* R/W: divisor latch low (DLAB=1) */
#define UART_IER 1 /* R/W: interrupt enable (DLAB=0) */
#define UART_DLM 1 /* R/W: divisor latch high (DLAB=1) */
#define UART_LCR 3 /* R/W: line control */
#define UART_MCR 4 /* R/W: modem control */
#define UART_LSR 5 /* R: line status */
#define LCR_8N1 0x03
#define LCR_DLAB (1u << 7)
#define MCR_DTR_RTS 0x03
#define MCR_OUT2 (1u << 3) /* enables the interrupt output */
#define IER_RX_AVAILABLE (1u << 0) /* interrupt when a byte arrives */
#define LSR_DR (1u << 0) /* data ready */
#define LSR_THRE (1u << 5) /* transmit holding register empty */

/* Upper bound on polls of a stuck transmitter before we drop the byte. */
#define UART_TX_SPINS 100000

static void uart_init(uint16_t base)
{
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, LCR_DLAB);
	outb(base + UART_DLL, 1); /* 115200 baud */
	outb(base + UART_DLM, 0);
	outb(base + UART_LCR, LCR_8N1);
	/* FCR is left alone: changing the FIFO enable bit empties the receive FIFO,
	 * and input may already be waiting (QEMU delivers stdin from the start). */
	outb(base + UART_MCR, MCR_DTR_RTS);
}

static void uart_putc(uint16_t base, char c)
{
	/* Never wait forever: a machine without a UART reads 0xff, which has THRE set,
	 * but a broken one might not. */
	for (int i = 0; i < UART_TX_SPINS && !(inb(base + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(base + UART_THR, (uint8_t)c);
}

static void uart_enable_rx_irq(uint16_t base)
{
	/* OUT2 gates the UART's interrupt line on PC-compatible boards. */
	outb(base + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(base + UART_IER, IER_RX_AVAILABLE);
}

static int uart_getc(uint16_t base)
{
	uint8_t lsr = inb(base + UART_LSR);

	/* 0xff: no UART at all (nothing decodes the port). */
	if (lsr == 0xff || !(lsr & LSR_DR))
		return -1;
	return inb(base + UART_RBR);
}

void plat_uart_init(void)
{
	uart_init(COM1);
}

void plat_uart_write(const char *s, size_t n)
{
	while (n--)
		uart_putc(COM1, *s++);
}

void plat_uart_enable_rx_irq(void)
{
	uart_enable_rx_irq(COM1);
}

int plat_uart_getc(void)
{
	return uart_getc(COM1);
}

bool plat_uart2_init(void)
{
	/* Nothing decodes an absent UART's ports: they read 0xff. */
	if (inb(COM2 + UART_LSR) == 0xff)
		return false;
	uart_init(COM2);
	return true;
}

void plat_uart2_write(const char *s, size_t n)
{
	while (n--)
		uart_putc(COM2, *s++);
}

void plat_uart2_enable_rx_irq(void)
{
	uart_enable_rx_irq(COM2);
}

int plat_uart2_getc(void)
{
	return uart_getc(COM2);
}
