/* SPDX-License-Identifier: MIT */
/*
 * The TSC frequency: deciding it from what the CPU, the hypervisor, the command line
 * or a calibration offer, and converting between TSC ticks and nanoseconds. Pure
 * functions over values the kernel reads (CPUID registers, counter deltas); the kernel
 * does the reading, checks that the TSC is invariant, and picks the order to try:
 *
 *   tsc_khz= on the command line   tscfreq_parse_khz()
 *   CPUID leaves                   tscfreq_from_cpuid() (or the single-leaf helpers)
 *   calibration against PIT/PM     tscfreq_calibrate(), repeated while it returns 0
 *
 * Every frequency is in Hz; 0 means "unusable, try something else". Results outside
 * TSCFREQ_MIN_HZ..TSCFREQ_MAX_HZ count as unusable.
 */
#ifndef LIB_TSCFREQ_H
#define LIB_TSCFREQ_H

#include <stddef.h>
#include <stdint.h>

#define TSCFREQ_MIN_HZ 1000000ull /* 1 MHz: slower is not a TSC */
#define TSCFREQ_MAX_HZ 10000000000ull /* 10 GHz */
#define TSCFREQ_PIT_HZ 1193182u /* i8254 PIT input clock */
#define TSCFREQ_ACPI_PM_HZ 3579545u /* ACPI power-management timer */
#define TSCFREQ_NS_HZ 1000000000u /* a reference counted in nanoseconds */
#define TSCFREQ_MAX_SAMPLES 32 /* most samples tscfreq_calibrate takes */
#define TSCFREQ_TOLERANCE_PPM 10000u /* default calibration agreement: 1% */

#define TSCFREQ_HV_TIMING_LEAF 0x40000010u /* VMware/QEMU timing leaf: EAX = TSC kHz */

/* Where tscfreq_from_cpuid() found the frequency. */
enum tscfreq_source {
	TSCFREQ_SRC_NONE, /* nowhere: calibrate */
	TSCFREQ_SRC_HV_LEAF, /* hypervisor leaf 0x40000010 EAX (kHz) */
	TSCFREQ_SRC_CPUID15, /* leaf 0x15 with its crystal (ECX) */
	TSCFREQ_SRC_CPUID15_16, /* leaf 0x15 ratio without crystal: leaf 0x16 base MHz */
};

/* The CPUID registers tscfreq_from_cpuid() looks at, as the kernel read them. */
struct tscfreq_cpuid {
	uint32_t max_leaf; /* CPUID.0:EAX; leaves above it are absent (read as 0) */
	uint32_t leaf15_eax; /* CPUID.15H:EAX, TSC/crystal ratio denominator */
	uint32_t leaf15_ebx; /* CPUID.15H:EBX, TSC/crystal ratio numerator */
	uint32_t leaf15_ecx; /* CPUID.15H:ECX, crystal Hz, 0 if not enumerated */
	uint32_t leaf16_eax; /* CPUID.16H:EAX, bits 15:0 base frequency MHz */
	uint32_t hv_max_leaf; /* CPUID.40000000H:EAX; 0 unless CPUID.1:ECX[31] is set */
	uint32_t hv_timing_eax; /* CPUID.40000010H:EAX, TSC kHz */
};

/* One calibration window: how far the TSC and the reference moved over it. */
struct tscfreq_sample {
	uint64_t tsc_delta; /* TSC ticks */
	uint64_t ref_delta; /* reference ticks (or ns with TSCFREQ_NS_HZ) */
};

/* Ticks-to-ns or ns-to-ticks factor: y = x * mult / 2^shift, shift <= 32. */
struct tscfreq_mult {
	uint32_t mult; /* the factor, scaled by 2^shift */
	uint32_t shift; /* as large as keeps mult below 2^32, for precision */
};

/* Both conversions for one frequency, from tscfreq_conv_init(). */
struct tscfreq_conv {
	uint64_t hz; /* the frequency they were made for */
	struct tscfreq_mult to_ns; /* ticks -> ns */
	struct tscfreq_mult to_ticks; /* ns -> ticks */
};

/* Leaf 0x15: ecx * ebx / eax, or 0 if a register is 0 or the result is out of range. */
uint64_t tscfreq_from_cpuid15(uint32_t eax, uint32_t ebx, uint32_t ecx);

/* Leaf 0x15 ratio with a crystal frequency known otherwise (e.g. a model table). */
uint64_t tscfreq_from_cpuid15_crystal(uint32_t eax, uint32_t ebx, uint64_t crystal_hz);

/* Leaf 0x16 EAX: base frequency (bits 15:0, MHz) in Hz, or 0. */
uint64_t tscfreq_from_cpuid16(uint32_t eax);

/* Hypervisor timing leaf 0x40000010 EAX: TSC kHz, in Hz, or 0. */
uint64_t tscfreq_from_hv_leaf(uint32_t eax);

/*
 * The frequency the CPUID leaves give, trying in order: the hypervisor timing leaf
 * (a hypervisor that offers it knows the guest's TSC rate, even when it scales it),
 * leaf 0x15 with a crystal, and leaf 0x15 without one completed by leaf 0x16's base
 * frequency (as Linux does: crystal = base * eax / ebx, so the TSC runs at base).
 * Leaf 0x16 alone names the CPU's base clock, not the TSC's, and is not used. *src
 * (if not NULL) says which one answered. 0 if none did.
 */
uint64_t tscfreq_from_cpuid(const struct tscfreq_cpuid *c, enum tscfreq_source *src);

/*
 * The median of the n samples' estimates tsc_delta * ref_hz / ref_delta, or 0 to
 * reject the set: n is 0 or above TSCFREQ_MAX_SAMPLES, ref_hz is 0, a delta is 0, an
 * estimate is out of range, a window is shorter than 1e6 / tolerance_ppm reference
 * ticks (one tick of quantization would already exceed the tolerance), or the
 * estimates spread (max - min) by more than tolerance_ppm of the median. A rejected
 * set means "measure again"; windows stretched by a preempted host or a slow
 * emulated timer show up as disagreement. tolerance_ppm is capped at 1,000,000.
 */
uint64_t tscfreq_calibrate(const struct tscfreq_sample *s, size_t n, uint64_t ref_hz,
			   uint32_t tolerance_ppm);

/*
 * Parses the value of tsc_khz= (s[0..len), need not be NUL-terminated): decimal
 * digits only, in kHz. 0 with *hz set, -EINVAL for an empty or non-decimal value,
 * -ERANGE outside 1 MHz..10 GHz. *hz is untouched on error.
 */
int tscfreq_parse_khz(const char *s, size_t len, uint64_t *hz);

/*
 * Sets up conversions for hz (TSCFREQ_MIN_HZ..TSCFREQ_MAX_HZ, else -ERANGE). Their
 * factors are within 0.12 ppm of exact; each result is rounded down, so it is within
 * that plus one unit of the exact value.
 */
int tscfreq_conv_init(struct tscfreq_conv *c, uint64_t hz);

/*
 * Ticks to ns, rounded down. Never wraps: a result that does not fit in 64 bits is
 * UINT64_MAX (near 2^64 the approximation may still just fit). At 10 GHz every 64-bit
 * tick count fits (58 years).
 */
uint64_t tscfreq_ticks_to_ns(const struct tscfreq_conv *c, uint64_t ticks);

/* ns to ticks, rounded down; same precision and saturation. */
uint64_t tscfreq_ns_to_ticks(const struct tscfreq_conv *c, uint64_t ns);

#endif
