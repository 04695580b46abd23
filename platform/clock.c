/* SPDX-License-Identifier: MIT */
/*
 * TSC frequency, from the most trustworthy source the machine offers:
 *   1. `tsc_khz=` on the command line (the operator knows best);
 *   2. CPUID leaf 0x15 (TSC/crystal ratio and crystal Hz; Intel SDM vol. 2);
 *   3. the hypervisor timing leaf 0x40000010 (EAX = TSC kHz; VMware's convention,
 *      which KVM/QEMU follow with `vmware-cpuid-freq`);
 *   4. calibration against the 8254 PIT (1193182 Hz), several short windows whose
 *      results must agree, because under emulation a window can be stretched by
 *      the host's scheduling. Every loop is bounded: a missing PIT ends the
 *      calibration, it never hangs it.
 * If nothing works the kernel panics with a message asking for `tsc_khz=`.
 */
#include "platform/clock.h"

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "platform/platform.h"
#include "toro/toro.h"

#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_WINDOW 2386 /* PIT ticks per calibration window: 2 ms */
#define PIT_SPINS 2000000 /* reads before deciding the PIT is not there */
#define CAL_WINDOWS 3 /* windows that must agree */
#define CAL_ROUNDS 5 /* attempts before giving up */
#define NS_PER_S 1000000000ull

static uint64_t tsc_hz;
static const char *source = "none";

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

const char *clock_source(void)
{
	return source;
}

/* Exact for any 64-bit tick count and a frequency below 18 GHz. */
uint64_t clock_ticks_to_ns(uint64_t ticks)
{
	return ticks / tsc_hz * NS_PER_S + ticks % tsc_hz * NS_PER_S / tsc_hz;
}

uint64_t clock_ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_S * tsc_hz + ns % NS_PER_S * tsc_hz / NS_PER_S;
}

static uint16_t pit_count(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, 0x00); /* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | hi << 8);
}

/* One window: TSC ticks while the PIT counts down PIT_WINDOW; 0 if it does not. */
static uint64_t pit_window(void)
{
	uint16_t start, now;
	uint64_t t0, t1;
	int spins = 0;

	/* Channel 0, lobyte/hibyte, mode 0 (count down once), from 0xffff. */
	outb(PIT_CMD, 0x30);
	outb(PIT_CH0, 0xff);
	outb(PIT_CH0, 0xff);
	start = pit_count();
	/* Wait for the first decrement so the window starts on a tick edge. */
	while ((now = pit_count()) == start)
		if (++spins > PIT_SPINS)
			return 0;
	start = now;
	t0 = rdtsc();
	while ((uint16_t)(start - (now = pit_count())) < PIT_WINDOW)
		if (++spins > PIT_SPINS)
			return 0;
	t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / (uint16_t)(start - now);
}

static uint64_t calibrate_pit(void)
{
	for (int round = 0; round < CAL_ROUNDS; round++) {
		uint64_t w[CAL_WINDOWS], lo = UINT64_MAX, hi = 0;

		for (int i = 0; i < CAL_WINDOWS; i++) {
			w[i] = pit_window();
			if (w[i] == 0)
				return 0; /* no PIT */
			lo = w[i] < lo ? w[i] : lo;
			hi = w[i] > hi ? w[i] : hi;
		}
		/* Agreement within 0.5%: take the lowest, the least stretched. */
		if ((hi - lo) * 200 <= lo)
			return lo;
	}
	return 0;
}

static uint64_t parse_khz(const char *s)
{
	uint64_t v = 0;

	for (; *s >= '0' && *s <= '9' && v < 100000000; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return *s == '\0' && v >= 1000 && v <= 20000000 ? v : 0;
}

void clock_init(void)
{
	const char *arg = toro_param("tsc_khz");
	uint32_t r[4];

	if (arg) {
		tsc_hz = parse_khz(arg) * 1000;
		if (tsc_hz)
			source = "tsc_khz=";
		else
			printk("clock: ignoring tsc_khz=%s (want kHz, 1000..20000000)\n",
			       arg);
	}
	cpuid(0, 0, r);
	if (!tsc_hz && r[0] >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2]) {
			tsc_hz = (uint64_t)r[2] * r[1] / r[0];
			source = "CPUID 0x15";
		}
	}
	cpuid(0x40000000, 0, r);
	if (!tsc_hz && r[0] >= 0x40000010 && r[0] < 0x40000100) {
		cpuid(0x40000010, 0, r);
		if (r[0]) {
			tsc_hz = (uint64_t)r[0] * 1000;
			source = "hypervisor CPUID 0x40000010";
		}
	}
	if (!tsc_hz) {
		tsc_hz = calibrate_pit();
		source = "PIT calibration";
	}
	if (!tsc_hz)
		panic("cannot find the TSC frequency; pass tsc_khz=<kHz> on the command line");
	printk("clock: TSC %llu.%03llu MHz from %s\n",
	       (unsigned long long)(tsc_hz / 1000000),
	       (unsigned long long)(tsc_hz / 1000 % 1000), source);
}

uint64_t toro_now_ns(void)
{
	return clock_ticks_to_ns(rdtsc() - boot_tsc[BOOT_ENTRY]);
}
