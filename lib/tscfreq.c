/* SPDX-License-Identifier: MIT */
/*
 * TSC frequency decisions and tick/ns conversions.
 *
 * Primer. The kernel may run on any 64-bit compiler target without 128-bit division
 * helpers, so nothing here divides a 128-bit number by the compiler's means:
 *
 *  - tf_muldiv(a, b, c) computes a * b / c exactly: the 128-bit product is built from
 *    four 32x32-bit products, then divided by c one bit at a time (64 steps of shift
 *    and subtract). It is slow (a few hundred cycles) and only used at set-up and in
 *    calibration, never per conversion.
 *  - A conversion y = x * f uses a fixed-point factor mult / 2^shift with mult below
 *    2^32 and shift <= 32 (Linux clocksources use the same idea). x * mult may need
 *    96 bits, so x is split into 32-bit halves:
 *        x * mult >> shift = ((x_hi * mult) << (32 - shift)) + ((x_lo * mult) >> shift)
 *    Both products fit in 64 bits; the left term is exact because shift <= 32, so the
 *    sum is the exact floor of x * mult / 2^shift, and overflow can only happen in
 *    the final shift and add, where it is detected and saturates.
 *  - Precision: mult is rounded to nearest, so its relative error is at most
 *    0.5 / mult. tscfreq_conv_init() picks the largest shift that keeps mult < 2^32.
 *    For factors below 1 the shift stops at 32 and mult = factor * 2^32: ticks -> ns
 *    at 10 GHz (factor 0.1) has mult ~ 4.3e8, ns -> ticks at 1 MHz (factor 0.001)
 *    mult ~ 4.3e6, the worst case, 0.12 ppm. Factors >= 1 get mult >= 2^31.
 */
#include "lib/tscfreq.h"

#include <stdbool.h>

#include "toro/errno.h"

#define TF_PPM 1000000u /* parts per million in one */

/* *out = a * b / c (rounded to nearest if round), false if c is 0 or it overflows. */
static bool tf_muldiv(uint64_t a, uint64_t b, uint64_t c, bool round, uint64_t *out)
{
	uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
	uint64_t p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
	/* Sum of the middle 32-bit columns: at most 3 * (2^32 - 1), no overflow. */
	uint64_t mid = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;
	uint64_t lo = (mid << 32) | (uint32_t)p0;
	uint64_t hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
	uint64_t q = 0;

	if (c == 0)
		return false;
	if (round) {
		uint64_t sum = lo + c / 2;

		/* The product is at most 2^128 - 2^65 + 1, so hi cannot wrap here. */
		hi += sum < lo;
		lo = sum;
	}
	if (hi >= c)
		return false;
	/* Long division, remainder in hi: it stays below c, so 65 bits at most. */
	for (int i = 0; i < 64; i++) {
		uint64_t carry = hi >> 63;

		hi = (hi << 1) | (lo >> 63);
		lo <<= 1;
		q <<= 1;
		if (carry || hi >= c) {
			hi -= c; /* modulo 2^64: right even when carry was set */
			q |= 1;
		}
	}
	*out = q;
	return true;
}

/* hz if it is a believable TSC frequency, else 0. */
static uint64_t tf_sane(uint64_t hz)
{
	return hz >= TSCFREQ_MIN_HZ && hz <= TSCFREQ_MAX_HZ ? hz : 0;
}

uint64_t tscfreq_from_cpuid15_crystal(uint32_t eax, uint32_t ebx, uint64_t crystal_hz)
{
	uint64_t hz;

	/* SDM: EAX or EBX of 0 means the ratio is not enumerated. */
	if (eax == 0 || ebx == 0 || crystal_hz == 0)
		return 0;
	if (!tf_muldiv(crystal_hz, ebx, eax, false, &hz))
		return 0;
	return tf_sane(hz);
}

uint64_t tscfreq_from_cpuid15(uint32_t eax, uint32_t ebx, uint32_t ecx)
{
	return tscfreq_from_cpuid15_crystal(eax, ebx, ecx);
}

uint64_t tscfreq_from_cpuid16(uint32_t eax)
{
	/* Bits 31:16 are reserved; a hypervisor may leave garbage there. */
	return tf_sane((uint64_t)(eax & 0xffff) * 1000000u);
}

uint64_t tscfreq_from_hv_leaf(uint32_t eax)
{
	return tf_sane((uint64_t)eax * 1000u);
}

uint64_t tscfreq_from_cpuid(const struct tscfreq_cpuid *c, enum tscfreq_source *src)
{
	enum tscfreq_source from = TSCFREQ_SRC_NONE;
	uint64_t hz = 0;

	/* Hypervisor leaves live at 0x400000xx; anything past that range is garbage. */
	if (c->hv_max_leaf >= TSCFREQ_HV_TIMING_LEAF && c->hv_max_leaf < 0x40000100u) {
		hz = tscfreq_from_hv_leaf(c->hv_timing_eax);
		from = TSCFREQ_SRC_HV_LEAF;
	}
	if (!hz && c->max_leaf >= 0x15) {
		hz = tscfreq_from_cpuid15(c->leaf15_eax, c->leaf15_ebx, c->leaf15_ecx);
		from = TSCFREQ_SRC_CPUID15;
	}
	/*
	 * No crystal in ECX (Skylake and Kaby Lake clients): the ratio still says the
	 * TSC is crystal-locked, and it runs at the base frequency of leaf 0x16.
	 */
	if (!hz && c->max_leaf >= 0x16 && c->leaf15_ecx == 0 && c->leaf15_eax &&
	    c->leaf15_ebx) {
		hz = tscfreq_from_cpuid16(c->leaf16_eax);
		from = TSCFREQ_SRC_CPUID15_16;
	}
	if (src)
		*src = hz ? from : TSCFREQ_SRC_NONE;
	return hz;
}

uint64_t tscfreq_calibrate(const struct tscfreq_sample *s, size_t n, uint64_t ref_hz,
			   uint32_t tolerance_ppm)
{
	uint64_t est[TSCFREQ_MAX_SAMPLES];
	uint64_t median, spread;

	if (n == 0 || n > TSCFREQ_MAX_SAMPLES || ref_hz == 0 || tolerance_ppm == 0)
		return 0;
	if (tolerance_ppm > TF_PPM)
		tolerance_ppm = TF_PPM;
	for (size_t i = 0; i < n; i++) {
		uint64_t e;
		size_t j;

		/* A window of w ticks is only known to 1 / w: that must be within tolerance. */
		if (s[i].tsc_delta == 0 || s[i].ref_delta == 0 ||
		    s[i].ref_delta < TF_PPM / tolerance_ppm)
			return 0;
		if (!tf_muldiv(s[i].tsc_delta, ref_hz, s[i].ref_delta, true, &e) ||
		    !tf_sane(e))
			return 0;
		/* Insertion sort as we go: n is small. */
		for (j = i; j > 0 && est[j - 1] > e; j--)
			est[j] = est[j - 1];
		est[j] = e;
	}
	/* Average of the middle two when n is even, written not to overflow. */
	median = est[(n - 1) / 2] + (est[n / 2] - est[(n - 1) / 2]) / 2;
	spread = est[n - 1] - est[0];
	/* median <= 10^10 and tolerance <= 10^6: the product fits in 64 bits. */
	if (spread * TF_PPM > median * tolerance_ppm)
		return 0;
	return median;
}

int tscfreq_parse_khz(const char *s, size_t len, uint64_t *hz)
{
	uint64_t khz = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		/* Past the range it stays past it: stop adding, keep checking the syntax. */
		if (khz <= TSCFREQ_MAX_HZ / 1000)
			khz = khz * 10 + (uint64_t)(s[i] - '0');
	}
	if (khz < TSCFREQ_MIN_HZ / 1000 || khz > TSCFREQ_MAX_HZ / 1000)
		return -ERANGE;
	*hz = khz * 1000;
	return 0;
}

/* The factor num / den as mult / 2^shift, as precise as mult < 2^32 allows. */
static void tf_mult_init(struct tscfreq_mult *m, uint64_t num, uint64_t den)
{
	uint64_t mult = 0;
	uint32_t shift = 32;

	/* num / den is in 10^-3..10^3 here, so shift 22 already fits: the loop ends. */
	for (; shift > 0; shift--) {
		if (tf_muldiv(num, (uint64_t)1 << shift, den, true, &mult) &&
		    mult <= UINT32_MAX)
			break;
	}
	m->mult = (uint32_t)mult;
	m->shift = shift;
}

int tscfreq_conv_init(struct tscfreq_conv *c, uint64_t hz)
{
	if (!tf_sane(hz))
		return -ERANGE;
	c->hz = hz;
	tf_mult_init(&c->to_ns, TSCFREQ_NS_HZ, hz);
	tf_mult_init(&c->to_ticks, hz, TSCFREQ_NS_HZ);
	return 0;
}

/* x * m->mult / 2^m->shift rounded down, or UINT64_MAX if it does not fit. */
static uint64_t tf_apply(const struct tscfreq_mult *m, uint64_t x)
{
	uint64_t hi = (x >> 32) * m->mult;
	uint64_t lo = ((x & 0xffffffffu) * m->mult) >> m->shift;
	uint32_t up = 32 - m->shift;

	if (hi > (UINT64_MAX >> up))
		return UINT64_MAX;
	hi <<= up;
	if (hi > UINT64_MAX - lo)
		return UINT64_MAX;
	return hi + lo;
}

uint64_t tscfreq_ticks_to_ns(const struct tscfreq_conv *c, uint64_t ticks)
{
	return tf_apply(&c->to_ns, ticks);
}

uint64_t tscfreq_ns_to_ticks(const struct tscfreq_conv *c, uint64_t ns)
{
	return tf_apply(&c->to_ticks, ns);
}
