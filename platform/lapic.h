/* SPDX-License-Identifier: MIT */
/* The local APIC of each CPU: identity, end of interrupt, IPIs, the one-shot timer. */
#ifndef PLATFORM_LAPIC_H
#define PLATFORM_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Maps and enables the calling CPU's LAPIC (x2APIC mode when the CPU has it), masks
 * the legacy PIC on the boot CPU. */
void lapic_init(bool boot_cpu);
uint32_t lapic_id(void);
void lapic_eoi(void);

/* Sends a fixed-vector IPI to one CPU. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* A non-maskable interrupt (the debugger stops every CPU with it). */
void lapic_send_nmi(uint32_t apic_id);
/* INIT and STARTUP IPIs for waking an application processor (SDM vol. 3, 8.4.4.1);
 * the start-up vector is the page number of the real-mode entry (below 1 MiB). */
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);

/*
 * The one-shot timer: fires IRQ_VECTOR_TIMER once at or after TSC value
 * `deadline` (TSC-deadline mode when the CPU has it, else the LAPIC count-down
 * scaled from the TSC). 0 disarms it.
 */
void lapic_timer_arm(uint64_t deadline);

/*
 * Arms the one-shot timer to fire after about `ticks` TSC ticks, with nothing
 * calibrated (a bound on a hlt before the TSC rate is known): exact with the
 * TSC-deadline timer, otherwise `ticks` bus cycles, which take no less.
 * lapic_timer_arm(0) disarms it.
 */
void lapic_timer_within(uint64_t ticks);

#endif
