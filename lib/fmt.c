/* SPDX-License-Identifier: MIT */
/*
 * printf-style formatting for a kernel that has no C library.
 *
 * A conversion is parsed into a `struct spec` (flags, width, precision, length),
 * its argument is fetched with the right promoted type, and the digits are produced
 * into a small buffer backwards. emit_field() then writes sign, prefix, zero
 * padding and digits with the padding rules C11 7.21.6.1 gives, so that the host
 * tests can compare every case with the C library's snprintf.
 */
#include "lib/fmt.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/kstring.h"

struct spec {
	bool left; /* '-': pad on the right */
	bool zero; /* '0': pad numbers with zeros */
	bool plus; /* '+': always print a sign */
	bool space; /* ' ': a space where the sign of a positive number goes */
	bool alt; /* '#': 0x prefix for %x, leading 0 for %o */
	int width; /* minimum field width, 0 if none */
	int prec; /* precision, -1 if none */
	char len; /* length modifier: 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 0 */
};

struct out {
	fmt_sink sink; /* where the text goes */
	void *ctx; /* the sink's argument */
	int count; /* characters produced so far */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n) {
		o->sink(o->ctx, s, n);
		o->count += (int)n;
	}
}

static void pad(struct out *o, char c, int n)
{
	char buf[16];

	memset(buf, c, sizeof(buf));
	while (n > 0) {
		int k = n < (int)sizeof(buf) ? n : (int)sizeof(buf);

		put(o, buf, (size_t)k);
		n -= k;
	}
}

/*
 * Writes one field: prefix ("-", "0x", ...), then the body, padded to the width.
 * zeros is the number of '0' digits to insert between prefix and body (from the
 * precision or the '0' flag).
 */
static void emit_field(struct out *o, const struct spec *sp, const char *prefix,
		       int zeros, const char *body, int blen)
{
	int plen = (int)strlen(prefix);
	int total = plen + zeros + blen;

	if (!sp->left)
		pad(o, ' ', sp->width - total);
	put(o, prefix, (size_t)plen);
	pad(o, '0', zeros);
	put(o, body, (size_t)blen);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static void emit_number(struct out *o, const struct spec *sp, uintmax_t v, bool negative,
			unsigned base, bool upper, bool is_pointer)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24]; /* 2^64 in octal has 22 digits */
	int n = 0;
	char prefix[3] = "";
	int zeros = 0;
	bool nonzero = v != 0;

	/* C11: a zero value with precision 0 produces no digits. */
	if (!(v == 0 && sp->prec == 0 && !is_pointer)) {
		do {
			buf[sizeof(buf) - 1 - n++] = digits[v % base];
			v /= base;
		} while (v);
	}
	if (negative)
		prefix[0] = '-';
	else if (sp->plus && base == 10 && !is_pointer)
		prefix[0] = '+';
	else if (sp->space && base == 10 && !is_pointer)
		prefix[0] = ' ';
	if (base == 16 && (is_pointer || (sp->alt && nonzero))) {
		prefix[0] = '0';
		prefix[1] = upper ? 'X' : 'x';
	}
	if (sp->prec >= 0) {
		zeros = sp->prec > n ? sp->prec - n : 0;
	} else if (sp->zero && !sp->left) {
		int room = sp->width - (int)strlen(prefix) - n;

		zeros = room > 0 ? room : 0;
	}
	/* '#' with %o: the first digit must be 0. */
	if (base == 8 && sp->alt && zeros == 0 && (n == 0 || buf[sizeof(buf) - n] != '0'))
		zeros = 1;
	emit_field(o, sp, prefix, zeros, buf + sizeof(buf) - n, n);
}

static uintmax_t fetch_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
		return va_arg(*ap, size_t);
	case 'j':
		return va_arg(*ap, uintmax_t);
	case 't':
		return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static intmax_t fetch_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
		return (intmax_t)va_arg(*ap, size_t);
	case 'j':
		return va_arg(*ap, intmax_t);
	case 't':
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Parses flags, width, precision and length; returns the conversion character. */
static char parse_spec(const char **pf, struct spec *sp, va_list *ap)
{
	const char *f = *pf;

	memset(sp, 0, sizeof(*sp));
	sp->prec = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = sp->width == INT32_MIN ? INT32_MAX : -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9') {
			if (sp->width < 100000000)
				sp->width = sp->width * 10 + (*f - '0');
			f++;
		}
	}
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9') {
				if (sp->prec < 100000000)
					sp->prec = sp->prec * 10 + (*f - '0');
				f++;
			}
		}
	}
	if (f[0] == 'h' && f[1] == 'h') {
		sp->len = 'H';
		f += 2;
	} else if (f[0] == 'l' && f[1] == 'l') {
		sp->len = 'L';
		f += 2;
	} else if (*f == 'h' || *f == 'l' || *f == 'z' || *f == 'j' || *f == 't') {
		sp->len = *f++;
	}
	*pf = f;
	return *f;
}

int fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap0)
{
	struct out o = { sink, ctx, 0 };
	struct spec sp;
	va_list ap;

	va_copy(ap, ap0);
	while (*fmt) {
		const char *start = fmt;

		while (*fmt && *fmt != '%')
			fmt++;
		put(&o, start, (size_t)(fmt - start));
		if (!*fmt)
			break;
		fmt++;
		char conv = parse_spec(&fmt, &sp, &ap);

		switch (conv) {
		case 'd':
		case 'i': {
			intmax_t v = fetch_signed(&sp, &ap);
			uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v :
						(uintmax_t)v;

			emit_number(&o, &sp, mag, v < 0, 10, false, false);
			break;
		}
		case 'u':
			sp.plus = sp.space = false; /* signs are for signed conversions */
			emit_number(&o, &sp, fetch_unsigned(&sp, &ap), false, 10, false,
				    false);
			break;
		case 'x':
		case 'X':
			emit_number(&o, &sp, fetch_unsigned(&sp, &ap), false, 16,
				    conv == 'X', false);
			break;
		case 'o':
			emit_number(&o, &sp, fetch_unsigned(&sp, &ap), false, 8, false,
				    false);
			break;
		case 'p':
			sp.len = 0;
			emit_number(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16,
				    false, true);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			sp.zero = false;
			emit_field(&o, &sp, "", 0, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			size_t n = sp.prec >= 0 ? strnlen(s, (size_t)sp.prec) : strlen(s);

			emit_field(&o, &sp, "", 0, s, (int)n);
			break;
		}
		case '%':
			put(&o, "%", 1);
			break;
		case '\0':
			/* A lone '%' at the end: print it rather than read past the end. */
			put(&o, "%", 1);
			va_end(ap);
			return o.count;
		default:
			/* Unknown conversion: show it as written so the mistake is visible. */
			put(&o, "%", 1);
			put(&o, fmt, 1);
			break;
		}
		fmt++;
	}
	va_end(ap);
	return o.count;
}

struct bufsink {
	char *buf; /* destination */
	size_t size; /* its capacity including the NUL */
	size_t used; /* characters stored so far */
};

static void buf_put(void *ctx, const char *s, size_t n)
{
	struct bufsink *b = ctx;

	if (b->size == 0)
		return;
	size_t room = b->size - 1 - b->used;
	size_t k = n < room ? n : room;

	memcpy(b->buf + b->used, s, k);
	b->used += k;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufsink b = { buf, size, 0 };
	int n = fmt_vformat(buf_put, &b, fmt, ap);

	if (size)
		buf[b.used] = '\0';
	return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
