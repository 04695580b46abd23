/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/tscfreq.c. The first byte picks what the rest feeds:
 *
 *   0: tscfreq_parse_khz() on the bytes, checked against a plain reference parser;
 *   1: tscfreq_calibrate() on samples built from the bytes (around a fuzzed base
 *      rate, so sets are accepted as well as rejected), checked against the estimates
 *      computed here with 128-bit integers: an accepted result lies between the
 *      smallest and largest estimate and the set really agrees within the tolerance;
 *   2: tscfreq_conv_init() and both conversions against exact 128-bit results;
 *   3: the CPUID leaf helpers against exact 128-bit results.
 *
 * Any mismatch traps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/tscfreq.h"
#include "toro/errno.h"

typedef unsigned __int128 fz_u128;

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

/* Reads the next 8 bytes (zero-padded past the end) as a little-endian number. */
static uint64_t fz_u64(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && *n; i++, (*p)++, (*n)--)
		v |= (uint64_t) * *p << (8 * i);
	return v;
}

static void fz_parse(const uint8_t *p, size_t n)
{
	uint64_t hz = 7;
	int rc = tscfreq_parse_khz((const char *)p, n, &hz);
	size_t first = 0;
	bool digits = n > 0;
	uint64_t khz = 0;

	for (size_t i = 0; i < n; i++)
		digits &= p[i] >= '0' && p[i] <= '9';
	if (!digits) {
		FZ_ASSERT(rc == -EINVAL && hz == 7);
		return;
	}
	while (first < n && p[first] == '0')
		first++;
	/* More than 8 significant digits is at least 100,000,000 kHz: out of range. */
	if (n - first > 8) {
		FZ_ASSERT(rc == -ERANGE && hz == 7);
		return;
	}
	for (size_t i = first; i < n; i++)
		khz = khz * 10 + (p[i] - '0');
	if (khz < 1000 || khz > 10000000)
		FZ_ASSERT(rc == -ERANGE && hz == 7);
	else
		FZ_ASSERT(rc == 0 && hz == khz * 1000);
}

static void fz_calibrate(const uint8_t *p, size_t n)
{
	static const uint64_t refs[] = { TSCFREQ_PIT_HZ, TSCFREQ_ACPI_PM_HZ,
					 TSCFREQ_NS_HZ };
	struct tscfreq_sample s[TSCFREQ_MAX_SAMPLES + 1];
	uint64_t cfg = fz_u64(&p, &n);
	uint64_t base = fz_u64(&p, &n);
	uint64_t ref_hz = cfg & 4 ? fz_u64(&p, &n) : refs[(cfg & 3) % 3];
	uint32_t tol = (uint32_t)(cfg >> 32);
	size_t ns = (size_t)(cfg >> 8) % (TSCFREQ_MAX_SAMPLES + 2);
	fz_u128 lo = ~(fz_u128)0, hi = 0;
	bool valid = ns > 0 && ns <= TSCFREQ_MAX_SAMPLES && ref_hz && tol;
	uint64_t tol_c = tol > 1000000 ? 1000000 : tol;
	uint64_t got;

	for (size_t i = 0; i < ns; i++) {
		uint64_t a = fz_u64(&p, &n), b = fz_u64(&p, &n);

		if (cfg & 8 || ref_hz == 0) {
			/* Raw deltas. */
			s[i] = (struct tscfreq_sample){ a, b };
		} else {
			/* base ticks per window of (b & 0xffffff) reference ticks, with jitter. */
			s[i].ref_delta = b & 0xffffff;
			s[i].tsc_delta = (uint64_t)((fz_u128)(base % TSCFREQ_MAX_HZ) *
						    s[i].ref_delta / ref_hz) +
					 (a & 0xfff) - 0x800;
		}
	}
	got = tscfreq_calibrate(s, ns, ref_hz, tol);
	for (size_t i = 0; valid && i < ns; i++) {
		fz_u128 e;

		if (!s[i].tsc_delta || !s[i].ref_delta ||
		    s[i].ref_delta < 1000000 / tol_c) {
			valid = false;
			break;
		}
		e = ((fz_u128)s[i].tsc_delta * ref_hz + s[i].ref_delta / 2) /
		    s[i].ref_delta;
		if (e < TSCFREQ_MIN_HZ || e > TSCFREQ_MAX_HZ)
			valid = false;
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	if (!valid) {
		FZ_ASSERT(got == 0);
		return;
	}
	/* Accepted exactly when the spread is within tolerance of the median. */
	if (got) {
		FZ_ASSERT(got >= lo && got <= hi);
		FZ_ASSERT((hi - lo) * 1000000 <= (fz_u128)got * tol_c);
	} else {
		/* The median lies within [lo, hi]; rejection means the spread is too wide. */
		FZ_ASSERT((hi - lo) * 1000000 > lo * tol_c);
	}
}

/*
 * Whether got is within 1 ppm + 1 of exact. An exact value past 64 bits must give
 * UINT64_MAX, unless the approximation (just below it) still fits.
 */
static bool fz_close(uint64_t got, fz_u128 exact)
{
	fz_u128 diff;

	if (got == UINT64_MAX)
		return exact >= UINT64_MAX - UINT64_MAX / 1000000;
	diff = got > exact ? got - exact : exact - got;
	return diff <= exact / 1000000 + 1;
}

static void fz_conv(const uint8_t *p, size_t n)
{
	struct tscfreq_conv c;
	uint64_t hz = fz_u64(&p, &n);
	int rc = tscfreq_conv_init(&c, hz);

	if (hz < TSCFREQ_MIN_HZ || hz > TSCFREQ_MAX_HZ) {
		FZ_ASSERT(rc == -ERANGE);
		return;
	}
	FZ_ASSERT(rc == 0);
	while (n) {
		uint64_t x = fz_u64(&p, &n);

		FZ_ASSERT(fz_close(tscfreq_ticks_to_ns(&c, x),
				   (fz_u128)x * 1000000000u / hz));
		FZ_ASSERT(fz_close(tscfreq_ns_to_ticks(&c, x),
				   (fz_u128)x * hz / 1000000000u));
	}
}

static void fz_cpuid(const uint8_t *p, size_t n)
{
	uint64_t ab = fz_u64(&p, &n), crystal = fz_u64(&p, &n);
	uint32_t eax = (uint32_t)ab, ebx = (uint32_t)(ab >> 32);
	fz_u128 exact = eax ? (fz_u128)crystal * ebx / eax : 0;
	bool ok = ebx && crystal && exact >= TSCFREQ_MIN_HZ && exact <= TSCFREQ_MAX_HZ;
	uint64_t want = ok ? (uint64_t)exact : 0;
	uint64_t hv = (uint64_t)eax * 1000;
	uint64_t base = (uint64_t)(eax & 0xffff) * 1000000;

	FZ_ASSERT(tscfreq_from_cpuid15_crystal(eax, ebx, crystal) == want);
	FZ_ASSERT(tscfreq_from_hv_leaf(eax) ==
		  (hv >= TSCFREQ_MIN_HZ && hv <= TSCFREQ_MAX_HZ ? hv : 0));
	FZ_ASSERT(tscfreq_from_cpuid16(eax) ==
		  (base >= TSCFREQ_MIN_HZ && base <= TSCFREQ_MAX_HZ ? base : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fz_parse(data + 1, size - 1);
		break;
	case 1:
		fz_calibrate(data + 1, size - 1);
		break;
	case 2:
		fz_conv(data + 1, size - 1);
		break;
	default:
		fz_cpuid(data + 1, size - 1);
		break;
	}
	return 0;
}
