/* SPDX-License-Identifier: MIT */
/* Console input from the UART when there is no virtio console. */
#ifndef KERNEL_UART_INPUT_H
#define KERNEL_UART_INPUT_H

/* Routes the UART's receive interrupt to CPU 0 when there is an IOAPIC. */
void uart_input_init(void);
/* The next byte, waiting for it. */
int uart_input_getc(void);

#endif
