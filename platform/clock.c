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
 * The arithmetic (and its checks) is lib/tscfreq's; this file reads the hardware.
 * If nothing works the kernel panics with a message asking for `tsc_khz=`.
 */
#include "platform/clock.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "lib/kstring.h"
#include "lib/tscfreq.h"
#include "platform/platform.h"
#include "toro/toro.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_WINDOW 1193 /* PIT ticks per calibration window: 1 ms */
#define PIT_SPINS 2000000 /* reads before deciding the PIT is not there */
#define CAL_WINDOWS 3 /* windows per attempt */
#define CAL_ROUNDS 5 /* attempts before giving up */
#define CAL_TOLERANCE_PPM 5000 /* windows must agree within 0.5% */

/* Whether the frequency is known: CLOCK_UNKNOWN -> CLOCK_FINDING -> CLOCK_READY. */
enum { CLOCK_UNKNOWN, CLOCK_FINDING, CLOCK_READY };
static _Atomic int state;
#define CPUID1_ECX_HYPERVISOR (1u << 31)

static struct tscfreq_conv conv;
static const char *source = "none";

static void clock_find(void);

/*
 * The frequency is found the first time something needs it, not at boot:
 * calibrating against the PIT takes milliseconds, longer than the rest of boot,
 * and an application that never sleeps or reads the clock should not pay for it.
 * The first CPU to ask does the work; others wait for it.
 */
static void clock_ready(void)
{
	int s = atomic_load_explicit(&state, memory_order_acquire);

	if (s == CLOCK_READY)
		return;
	if (s == CLOCK_UNKNOWN &&
	    atomic_compare_exchange_strong(&state, &s, CLOCK_FINDING)) {
		clock_find();
		atomic_store_explicit(&state, CLOCK_READY, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&state, memory_order_acquire) != CLOCK_READY)
		cpu_relax();
}

uint64_t clock_tsc_hz(void)
{
	clock_ready();
	return conv.hz;
}

uint64_t clock_ticks_to_ns(uint64_t ticks)
{
	clock_ready();
	return tscfreq_ticks_to_ns(&conv, ticks);
}

uint64_t clock_ns_to_ticks(uint64_t ns)
{
	clock_ready();
	return tscfreq_ns_to_ticks(&conv, ns);
}

static uint16_t pit_count(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, 0x00); /* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | hi << 8);
}

/* One window: TSC and PIT ticks while the PIT counts down PIT_WINDOW. False when
 * the PIT does not count (there is none). */
static bool pit_window(struct tscfreq_sample *s)
{
	uint16_t start, now;
	uint64_t t0;
	int spins = 0;

	/* Channel 0, lobyte/hibyte, mode 0 (count down once), from 0xffff. */
	outb(PIT_CMD, 0x30);
	outb(PIT_CH0, 0xff);
	outb(PIT_CH0, 0xff);
	start = pit_count();
	/* Wait for the first decrement so the window starts on a tick edge. */
	while ((now = pit_count()) == start)
		if (++spins > PIT_SPINS)
			return false;
	start = now;
	t0 = rdtsc();
	while ((uint16_t)(start - (now = pit_count())) < PIT_WINDOW)
		if (++spins > PIT_SPINS)
			return false;
	s->tsc_delta = rdtsc() - t0;
	s->ref_delta = (uint16_t)(start - now);
	return true;
}

static uint64_t calibrate_pit(void)
{
	struct tscfreq_sample s[CAL_WINDOWS];

	for (int round = 0; round < CAL_ROUNDS; round++) {
		for (int i = 0; i < CAL_WINDOWS; i++)
			if (!pit_window(&s[i]))
				return 0;
		uint64_t hz = tscfreq_calibrate(s, CAL_WINDOWS, TSCFREQ_PIT_HZ,
						CAL_TOLERANCE_PPM);

		if (hz)
			return hz;
	}
	return 0;
}

static uint64_t from_cpuid(void)
{
	static const char *const names[] = {
		[TSCFREQ_SRC_HV_LEAF] = "hypervisor CPUID 0x40000010",
		[TSCFREQ_SRC_CPUID15] = "CPUID 0x15",
		[TSCFREQ_SRC_CPUID15_16] = "CPUID 0x15 and 0x16",
	};
	struct tscfreq_cpuid c = { 0 };
	enum tscfreq_source src;
	uint32_t r[4];
	uint64_t hz;

	cpuid(0, 0, r);
	c.max_leaf = r[0];
	if (c.max_leaf >= 0x15) {
		cpuid(0x15, 0, r);
		c.leaf15_eax = r[0];
		c.leaf15_ebx = r[1];
		c.leaf15_ecx = r[2];
	}
	if (c.max_leaf >= 0x16) {
		cpuid(0x16, 0, r);
		c.leaf16_eax = r[0];
	}
	cpuid(1, 0, r);
	if (r[2] & CPUID1_ECX_HYPERVISOR) {
		cpuid(0x40000000, 0, r);
		c.hv_max_leaf = r[0];
		if (c.hv_max_leaf >= TSCFREQ_HV_TIMING_LEAF &&
		    c.hv_max_leaf < 0x40000100u) {
			cpuid(TSCFREQ_HV_TIMING_LEAF, 0, r);
			c.hv_timing_eax = r[0];
		}
	}
	hz = tscfreq_from_cpuid(&c, &src);
	if (hz)
		source = names[src];
	return hz;
}

static void clock_find(void)
{
	const char *arg = toro_param("tsc_khz");
	uint64_t hz = 0;

	if (arg && tscfreq_parse_khz(arg, strlen(arg), &hz) == 0)
		source = "tsc_khz=";
	else if (arg)
		printk("clock: ignoring tsc_khz=%s (want kHz, 1000..10000000)\n", arg);
	if (!hz)
		hz = from_cpuid();
	if (!hz) {
		hz = calibrate_pit();
		source = "PIT calibration";
	}
	if (!hz || tscfreq_conv_init(&conv, hz))
		panic("cannot find the TSC frequency; pass tsc_khz=<kHz> on the command line");
	printk("clock: TSC %llu.%03llu MHz from %s\n", (unsigned long long)(hz / 1000000),
	       (unsigned long long)(hz / 1000 % 1000), source);
}

uint64_t toro_now_ns(void)
{
	return clock_ticks_to_ns(rdtsc() - boot_tsc[BOOT_ENTRY]);
}
