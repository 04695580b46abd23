/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/tscfreq.c. Exact results are computed here with the host compiler's
 * 128-bit integers, which the library itself must not use.
 *
 * CPUID values: the Skylake client one (leaf 0x15 EAX=2 EBX=334 ECX=0, leaf 0x16
 * base 4000 MHz) is what i7-6700K dumps show; the others are constructed to be
 * consistent with their parts' crystal and base frequencies (25 MHz on Xeon servers,
 * 19.2 MHz on Goldmont Atoms), not copied from a real dump.
 */
#include "tests/host/check.h"

#include <stdbool.h>

#include "lib/tscfreq.h"
#include "toro/errno.h"

typedef unsigned __int128 u128;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull; /* xorshift64, fixed seed */

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- CPUID leaves --------------------------------------------------------------- */

TEST(tscfreq_cpuid15_values)
{
	/* Xeon (Ice Lake SP style): 25 MHz crystal, ratio 184/2: 2.3 GHz. */
	CHECK_EQ(tscfreq_from_cpuid15(2, 184, 25000000), 2300000000ull);
	/* Goldmont Atom style: 19.2 MHz crystal, ratio 250/3: 1.6 GHz. */
	CHECK_EQ(tscfreq_from_cpuid15(3, 250, 19200000), 1600000000ull);
	CHECK_EQ(tscfreq_from_cpuid15(3, 335, 24000000), 2680000000ull);
	/* Rounds down: 24000001 Hz * 1000 / 7 = 3428571571.43 */
	CHECK_EQ(tscfreq_from_cpuid15(7, 1000, 24000001), 3428571571ull);
	/* Skylake client: no crystal enumerated. */
	CHECK_EQ(tscfreq_from_cpuid15(2, 334, 0), 0);
	/* With the crystal the kernel knows for the model, 24 MHz: 4008 MHz. */
	CHECK_EQ(tscfreq_from_cpuid15_crystal(2, 334, 24000000), 4008000000ull);
	CHECK_EQ(tscfreq_from_cpuid15(0, 334, 24000000), 0);
	CHECK_EQ(tscfreq_from_cpuid15(2, 0, 24000000), 0);
	/* Out of range: 4.29 GHz * 2^32 and 24 MHz / 100. */
	CHECK_EQ(tscfreq_from_cpuid15(1, UINT32_MAX, UINT32_MAX), 0);
	CHECK_EQ(tscfreq_from_cpuid15(100, 1, 24000000), 0);
	CHECK_EQ(tscfreq_from_cpuid15_crystal(1, 1000, UINT64_MAX), 0);
	/* Edges of the range. */
	CHECK_EQ(tscfreq_from_cpuid15(1, 1, 1000000), 1000000);
	CHECK_EQ(tscfreq_from_cpuid15(1, 1, 999999), 0);
	CHECK_EQ(tscfreq_from_cpuid15_crystal(1, 10, 1000000000), 10000000000ull);
	CHECK_EQ(tscfreq_from_cpuid15_crystal(1, 10, 1000000001), 0);
}

TEST(tscfreq_cpuid15_matches_exact)
{
	long bad = 0;

	for (int i = 0; i < 200000; i++) {
		uint32_t eax = (uint32_t)rng() >> (rng() % 32);
		uint32_t ebx = (uint32_t)rng() >> (rng() % 32);
		uint64_t crystal = rng() >> (rng() % 64);
		u128 exact = eax ? (u128)crystal * ebx / eax : 0;
		bool ok = ebx && crystal && exact >= TSCFREQ_MIN_HZ &&
			  exact <= TSCFREQ_MAX_HZ;
		uint64_t want = ok ? (uint64_t)exact : 0;

		bad += tscfreq_from_cpuid15_crystal(eax, ebx, crystal) != want;
	}
	CHECK_EQ(bad, 0);
}

TEST(tscfreq_cpuid16_and_hv_leaf)
{
	CHECK_EQ(tscfreq_from_cpuid16(4000), 4000000000ull);
	CHECK_EQ(tscfreq_from_cpuid16(0xabcd0000u | 2100), 2100000000ull);
	CHECK_EQ(tscfreq_from_cpuid16(0), 0);
	CHECK_EQ(tscfreq_from_cpuid16(1), 1000000);
	/* QEMU -cpu host,+invtsc,vmware-cpuid-freq=on on a 2.5 GHz host. */
	CHECK_EQ(tscfreq_from_hv_leaf(2495998), 2495998000ull);
	CHECK_EQ(tscfreq_from_hv_leaf(0), 0);
	CHECK_EQ(tscfreq_from_hv_leaf(999), 0);
	CHECK_EQ(tscfreq_from_hv_leaf(1000), 1000000);
	CHECK_EQ(tscfreq_from_hv_leaf(10000000), 10000000000ull);
	CHECK_EQ(tscfreq_from_hv_leaf(10000001), 0);
	CHECK_EQ(tscfreq_from_hv_leaf(UINT32_MAX), 0);
}

TEST(tscfreq_from_cpuid_picks_source)
{
	struct tscfreq_cpuid skylake = {
		.max_leaf = 0x16, .leaf15_eax = 2, .leaf15_ebx = 334, .leaf16_eax = 4000
	};
	struct tscfreq_cpuid xeon = { .max_leaf = 0x1b,
				      .leaf15_eax = 2,
				      .leaf15_ebx = 184,
				      .leaf15_ecx = 25000000,
				      .leaf16_eax = 2300 };
	struct tscfreq_cpuid c;
	enum tscfreq_source src = TSCFREQ_SRC_HV_LEAF;

	CHECK_EQ(tscfreq_from_cpuid(&skylake, &src), 4000000000ull);
	CHECK_EQ(src, TSCFREQ_SRC_CPUID15_16);
	CHECK_EQ(tscfreq_from_cpuid(&xeon, &src), 2300000000ull);
	CHECK_EQ(src, TSCFREQ_SRC_CPUID15);
	CHECK_EQ(tscfreq_from_cpuid(&xeon, NULL), 2300000000ull);

	/* KVM guest with the timing leaf: it wins over the host's leaf 0x15. */
	c = xeon;
	c.hv_max_leaf = 0x40000010;
	c.hv_timing_eax = 2299999;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 2299999000ull);
	CHECK_EQ(src, TSCFREQ_SRC_HV_LEAF);
	/* Hypervisor without it (KVM's default 0x40000001): leaf 0x15. */
	c.hv_max_leaf = 0x40000001;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 2300000000ull);
	CHECK_EQ(src, TSCFREQ_SRC_CPUID15);
	/* A timing leaf of 0 falls through as well. */
	c.hv_max_leaf = 0x40000010;
	c.hv_timing_eax = 0;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 2300000000ull);
	/* A nonsense maximum leaf is not believed. */
	c.hv_max_leaf = 0x4fffffff;
	c.hv_timing_eax = 1000000;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 2300000000ull);

	/* Leaves above the maximum are ignored whatever they hold. */
	c = xeon;
	c.max_leaf = 0x14;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 0);
	CHECK_EQ(src, TSCFREQ_SRC_NONE);
	c = skylake;
	c.max_leaf = 0x15;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 0);
	/* Leaf 0x16 alone is the CPU's base clock, not the TSC's. */
	c = skylake;
	c.leaf15_ebx = 0;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 0);
	/* TCG qemu64: max leaf 0xd, no hypervisor timing leaf. */
	c = (struct tscfreq_cpuid){ .max_leaf = 0xd };
	src = TSCFREQ_SRC_CPUID15;
	CHECK_EQ(tscfreq_from_cpuid(&c, &src), 0);
	CHECK_EQ(src, TSCFREQ_SRC_NONE);
}

/* ---- calibration ----------------------------------------------------------------- */

/* A window of ref_ticks at ref_hz on a TSC of tsc_hz, stretched by ppm on the TSC. */
static struct tscfreq_sample window(uint64_t tsc_hz, uint64_t ref_hz, uint64_t ref_ticks,
				    long ppm)
{
	u128 t = (u128)tsc_hz * ref_ticks * (uint64_t)(1000000 + ppm) / ref_hz / 1000000;

	return (struct tscfreq_sample){ (uint64_t)t, ref_ticks };
}

TEST(tscfreq_calibrate_pit)
{
	struct tscfreq_sample s[5];
	uint64_t hz;

	/* 10 ms windows of the PIT, 2.5 GHz TSC, a few ppm of jitter. */
	for (int i = 0; i < 5; i++)
		s[i] = window(2500000000ull, TSCFREQ_PIT_HZ, 11932,
			      (long)(i * 37 % 11) - 5);
	hz = tscfreq_calibrate(s, 5, TSCFREQ_PIT_HZ, TSCFREQ_TOLERANCE_PPM);
	CHECK(hz > 2499980000ull && hz < 2500020000ull);
	/* The median, not the mean: one sample 0.9% off moves nothing. */
	s[2] = window(2500000000ull, TSCFREQ_PIT_HZ, 11932, 9000);
	CHECK_EQ(tscfreq_calibrate(s, 5, TSCFREQ_PIT_HZ, TSCFREQ_TOLERANCE_PPM), hz);
	/* 1.1% off: rejected, the kernel measures again. */
	s[2] = window(2500000000ull, TSCFREQ_PIT_HZ, 11932, 11000);
	CHECK_EQ(tscfreq_calibrate(s, 5, TSCFREQ_PIT_HZ, TSCFREQ_TOLERANCE_PPM), 0);
	/* ...unless the caller allows 2%. */
	CHECK_EQ(tscfreq_calibrate(s, 5, TSCFREQ_PIT_HZ, 20000), hz);
	/* A reference window stretched instead (host preempted while reading the PIT). */
	s[2] = window(2500000000ull, TSCFREQ_PIT_HZ, 11932, 0);
	s[2].ref_delta += 500;
	CHECK_EQ(tscfreq_calibrate(s, 5, TSCFREQ_PIT_HZ, TSCFREQ_TOLERANCE_PPM), 0);
}

TEST(tscfreq_calibrate_exact_median)
{
	struct tscfreq_sample s[4] = {
		{ 3000000000ull, 1000000000 }, /* 3.000 GHz against ns */
		{ 3000600000ull, 1000000000 }, /* 3.0006 */
		{ 3001000000ull, 1000000000 }, /* 3.001 */
		{ 2999000000ull, 1000000000 }, /* 2.999 */
	};

	/* Even count: the mean of 3.000 and 3.0006. */
	CHECK_EQ(tscfreq_calibrate(s, 4, TSCFREQ_NS_HZ, 1000), 3000300000ull);
	CHECK_EQ(tscfreq_calibrate(s, 3, TSCFREQ_NS_HZ, 1000), 3000600000ull);
	CHECK_EQ(tscfreq_calibrate(s, 1, TSCFREQ_NS_HZ, 1), 3000000000ull);
	/* Spread 2 MHz of 3 GHz is 667 ppm. */
	CHECK_EQ(tscfreq_calibrate(s, 4, TSCFREQ_NS_HZ, 666), 0);
	CHECK_EQ(tscfreq_calibrate(s, 4, TSCFREQ_NS_HZ, 667), 3000300000ull);
	/* ACPI PM timer, rounded to nearest: 3e9 * 3579545 / 3579545 and one tick more. */
	s[0] = (struct tscfreq_sample){ 3000000000ull, TSCFREQ_ACPI_PM_HZ };
	s[1] = (struct tscfreq_sample){ 3000000000ull, TSCFREQ_ACPI_PM_HZ + 1 };
	CHECK_EQ(tscfreq_calibrate(s, 1, TSCFREQ_ACPI_PM_HZ, 10), 3000000000ull);
	CHECK_EQ(tscfreq_calibrate(s + 1, 1, TSCFREQ_ACPI_PM_HZ, 10), 2999999162ull);
}

TEST(tscfreq_calibrate_rejects)
{
	struct tscfreq_sample s[TSCFREQ_MAX_SAMPLES + 1];

	for (int i = 0; i <= TSCFREQ_MAX_SAMPLES; i++)
		s[i] = window(2000000000ull, TSCFREQ_PIT_HZ, 5966, 0);
	CHECK(tscfreq_calibrate(s, TSCFREQ_MAX_SAMPLES, TSCFREQ_PIT_HZ, 10000) != 0);
	CHECK_EQ(tscfreq_calibrate(s, TSCFREQ_MAX_SAMPLES + 1, TSCFREQ_PIT_HZ, 10000), 0);
	CHECK_EQ(tscfreq_calibrate(s, 0, TSCFREQ_PIT_HZ, 10000), 0);
	CHECK_EQ(tscfreq_calibrate(NULL, 0, TSCFREQ_PIT_HZ, 10000), 0);
	CHECK_EQ(tscfreq_calibrate(s, 3, 0, 10000), 0);
	CHECK_EQ(tscfreq_calibrate(s, 3, TSCFREQ_PIT_HZ, 0), 0);
	/* Tolerance above 100% is capped, not an error. */
	CHECK(tscfreq_calibrate(s, 3, TSCFREQ_PIT_HZ, UINT32_MAX) != 0);
	/* A zero delta anywhere (counter stuck, or read twice). */
	s[1].tsc_delta = 0;
	CHECK_EQ(tscfreq_calibrate(s, 3, TSCFREQ_PIT_HZ, 10000), 0);
	s[1] = s[0];
	s[1].ref_delta = 0;
	CHECK_EQ(tscfreq_calibrate(s, 3, TSCFREQ_PIT_HZ, 10000), 0);
	/* A counter that went backwards: the unsigned delta is huge, the rate absurd. */
	s[1] = s[0];
	s[1].tsc_delta = (uint64_t)-12345;
	CHECK_EQ(tscfreq_calibrate(s, 3, TSCFREQ_PIT_HZ, 10000), 0);
	/* Too slow a TSC. */
	s[1] = (struct tscfreq_sample){ 1000, TSCFREQ_PIT_HZ };
	CHECK_EQ(tscfreq_calibrate(s + 1, 1, TSCFREQ_PIT_HZ, 10000), 0);
	/* 99 PIT ticks cannot resolve 1%; 100 can. */
	s[1] = window(2000000000ull, TSCFREQ_PIT_HZ, 99, 0);
	CHECK_EQ(tscfreq_calibrate(s + 1, 1, TSCFREQ_PIT_HZ, 10000), 0);
	s[1] = window(2000000000ull, TSCFREQ_PIT_HZ, 100, 0);
	CHECK(tscfreq_calibrate(s + 1, 1, TSCFREQ_PIT_HZ, 10000) != 0);
	/* Long windows whose product overflows 64 bits still work. */
	s[1] = (struct tscfreq_sample){ 6000000000000ull, 1000000000000ull };
	CHECK_EQ(tscfreq_calibrate(s + 1, 1, TSCFREQ_NS_HZ, 10000), 6000000000ull);
	/* Divisors above 2^63, where the long division's remainder needs 65 bits. */
	s[1] = (struct tscfreq_sample){ UINT64_MAX - 1, UINT64_MAX };
	CHECK_EQ(tscfreq_calibrate(s + 1, 1, 3000000000ull, 10000), 3000000000ull);
	s[1] = (struct tscfreq_sample){ UINT64_MAX / 3, UINT64_MAX - 7 };
	CHECK_EQ(tscfreq_calibrate(s + 1, 1, 6000000000ull, 10000), 2000000000ull);
}

/* ---- tsc_khz= ------------------------------------------------------------------- */

TEST(tscfreq_parse_khz_values)
{
	uint64_t hz = 42;

	CHECK_EQ(tscfreq_parse_khz("2500000", 7, &hz), 0);
	CHECK_EQ(hz, 2500000000ull);
	CHECK_EQ(tscfreq_parse_khz("1000", 4, &hz), 0);
	CHECK_EQ(hz, 1000000);
	CHECK_EQ(tscfreq_parse_khz("0010000000", 10, &hz), 0);
	CHECK_EQ(hz, 10000000000ull);
	/* Only len bytes are read. */
	CHECK_EQ(tscfreq_parse_khz("3000000 quiet", 7, &hz), 0);
	CHECK_EQ(hz, 3000000000ull);

	hz = 42;
	CHECK_EQ(tscfreq_parse_khz("999", 3, &hz), -ERANGE);
	CHECK_EQ(tscfreq_parse_khz("0", 1, &hz), -ERANGE);
	CHECK_EQ(tscfreq_parse_khz("10000001", 8, &hz), -ERANGE);
	CHECK_EQ(tscfreq_parse_khz("184467440737095516160000", 24, &hz), -ERANGE);
	CHECK_EQ(tscfreq_parse_khz("", 0, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("12a", 3, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("+2000", 5, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("-2000", 5, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz(" 2000", 5, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("2000 ", 5, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("2.5e6", 5, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("0x1000", 6, &hz), -EINVAL);
	/* Syntax is checked to the end, even past an out-of-range prefix. */
	CHECK_EQ(tscfreq_parse_khz("99999999999999999999999x", 24, &hz), -EINVAL);
	CHECK_EQ(tscfreq_parse_khz("2000\0", 5, &hz), -EINVAL);
	CHECK_EQ(hz, 42);
}

/* ---- conversions ------------------------------------------------------------------ */

/*
 * Whether got is within 1 ppm + 1 of exact. An exact value past 64 bits must give
 * UINT64_MAX, unless the approximation (just below it) still fits.
 */
static bool close_enough(uint64_t got, u128 exact)
{
	u128 diff;

	if (got == UINT64_MAX)
		return exact >= UINT64_MAX - UINT64_MAX / 1000000;
	diff = got > exact ? got - exact : exact - got;
	return diff <= exact / 1000000 + 1;
}

/* Frequencies to test: the edges, the reference clocks, real TSCs, around 1 GHz. */
static const uint64_t test_hz[] = {
	1000000, /* the slowest allowed */
	1193182, /* PIT */
	3579545, /* ACPI PM timer */
	24000000, /* a crystal */
	999999999, /* factor just above 1 */
	1000000000, /* factor exactly 1 */
	1000000001, /* factor just below 1 */
	2100000000, /* real TSCs */
	2495998000ull, 3000000000ull,  4008000000ull,
	9999999999ull, 10000000000ull, /* the fastest allowed */
};

TEST(tscfreq_conv_init_range)
{
	struct tscfreq_conv c;

	CHECK_EQ(tscfreq_conv_init(&c, 0), -ERANGE);
	CHECK_EQ(tscfreq_conv_init(&c, 999999), -ERANGE);
	CHECK_EQ(tscfreq_conv_init(&c, 10000000001ull), -ERANGE);
	for (size_t i = 0; i < sizeof(test_hz) / sizeof(test_hz[0]); i++) {
		CHECK_EQ(tscfreq_conv_init(&c, test_hz[i]), 0);
		CHECK_EQ(c.hz, test_hz[i]);
		CHECK(c.to_ns.shift <= 32 && c.to_ticks.shift <= 32);
		/* Enough bits for 0.12 ppm (0.5 / 2^22). */
		CHECK(c.to_ns.mult >= (1u << 22) && c.to_ticks.mult >= (1u << 22));
	}
	/* 1 GHz is exactly 1 ns per tick. */
	tscfreq_conv_init(&c, 1000000000);
	CHECK_EQ(tscfreq_ticks_to_ns(&c, 123456789012345ull), 123456789012345ull);
	CHECK_EQ(tscfreq_ns_to_ticks(&c, UINT64_MAX), UINT64_MAX);
}

TEST(tscfreq_conv_accuracy)
{
	struct tscfreq_conv c;
	long bad = 0;

	for (size_t i = 0; i < sizeof(test_hz) / sizeof(test_hz[0]) + 2000; i++) {
		uint64_t hz = i < sizeof(test_hz) / sizeof(test_hz[0]) ?
				      test_hz[i] :
				      TSCFREQ_MIN_HZ + rng() % (TSCFREQ_MAX_HZ -
								TSCFREQ_MIN_HZ + 1);
		uint64_t xs[] = { 0,
				  1,
				  999,
				  1ull << 32,
				  (1ull << 32) - 1,
				  (1ull << 32) + 1,
				  hz,
				  hz * 3600,
				  rng(),
				  rng() >> (rng() % 64),
				  UINT64_MAX };

		CHECK_EQ(tscfreq_conv_init(&c, hz), 0);
		for (size_t j = 0; j < sizeof(xs) / sizeof(xs[0]); j++) {
			u128 ns = (u128)xs[j] * 1000000000u / hz;
			u128 ticks = (u128)xs[j] * hz / 1000000000u;

			bad += !close_enough(tscfreq_ticks_to_ns(&c, xs[j]), ns);
			bad += !close_enough(tscfreq_ns_to_ticks(&c, xs[j]), ticks);
		}
	}
	CHECK_EQ(bad, 0);
}

TEST(tscfreq_conv_ten_years_at_10ghz)
{
	struct tscfreq_conv c;
	uint64_t ten_years_ns = 10ull * 365 * 24 * 3600 * 1000000000ull;
	uint64_t ticks = ten_years_ns * 10;
	uint64_t ns;

	CHECK_EQ(tscfreq_conv_init(&c, TSCFREQ_MAX_HZ), 0);
	ns = tscfreq_ticks_to_ns(&c, ticks);
	CHECK(ns != UINT64_MAX);
	CHECK(close_enough(ns, ten_years_ns));
	CHECK(close_enough(tscfreq_ns_to_ticks(&c, ten_years_ns), ticks));
	/* All 64-bit tick counts fit at 10 GHz (58 years). */
	CHECK(tscfreq_ticks_to_ns(&c, UINT64_MAX) < UINT64_MAX);
	/* At 1 MHz they do not: saturate rather than wrap. */
	CHECK_EQ(tscfreq_conv_init(&c, TSCFREQ_MIN_HZ), 0);
	CHECK_EQ(tscfreq_ticks_to_ns(&c, UINT64_MAX), UINT64_MAX);
	CHECK_EQ(tscfreq_ticks_to_ns(&c, UINT64_MAX / 1000 + 1000), UINT64_MAX);
	CHECK_EQ(tscfreq_ticks_to_ns(&c, UINT64_MAX / 1000 - 1000),
		 (UINT64_MAX / 1000 - 1000) * 1000);
}

TEST(tscfreq_conv_monotonic)
{
	struct tscfreq_conv c;
	long bad = 0;

	CHECK_EQ(tscfreq_conv_init(&c, 2495998000ull), 0);
	/* Around the 32-bit split, where the two halves of the product meet. */
	for (uint64_t base = 1; base < 4; base++) {
		uint64_t x0 = (base << 32) - 5000;
		uint64_t prev = tscfreq_ticks_to_ns(&c, x0);

		for (uint64_t x = x0 + 1; x < x0 + 10000; x++) {
			uint64_t ns = tscfreq_ticks_to_ns(&c, x);

			bad += ns < prev;
			prev = ns;
		}
	}
	CHECK_EQ(bad, 0);
}
