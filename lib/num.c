/* num.c - numbers and times as inputs spell them.
 * Owns: decimal seconds to integer microseconds and ISO 8601 timestamps,
 * both exact integer arithmetic, independent of the locale; microseconds
 * back to seconds for output (emit.c, planner.c); the median of integer
 * samples (estimates and the overhead model use the same one).
 * Not here: where the numbers come from (junit.c, jsonl.c). */
#include "num.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Mantissa (at most 18 significant digits, exact in uint64) times 10^exp10
 * seconds, to µs rounded half up; -1 past INT64_MAX. */
static int64_t scale_us(uint64_t m, long exp10)
{
	long e = exp10 + 6;

	if (m == 0)
		return 0;
	if (e >= 0) {
		for (; e > 0; e--) {
			if (m > (uint64_t)INT64_MAX / 10)
				return -1;
			m *= 10;
		}
		return m > (uint64_t)INT64_MAX ? -1 : (int64_t)m;
	}
	if (e < -19)
		return 0;
	{
		uint64_t p = 1, q, r;

		for (long k = 0; k < -e; k++)
			p *= 10;
		q = m / p;
		r = m % p;
		if (r >= p - r)
			q++;
		return (int64_t)q;
	}
}

static int64_t decimal_us(const char *s, size_t len, int junit)
{
	size_t i = 0, end = len;
	uint64_t m = 0;
	long exp10 = 0, ex = 0;
	int neg = 0, sig = 0, digits = 0, commas = 0, group = 0, exneg = 0;

	if (junit) {
		while (i < end && is_blank(s[i]))
			i++;
		while (end > i && is_blank(s[end - 1]))
			end--;
	}
	if (i < end && (s[i] == '-' || (junit && s[i] == '+')))
		neg = s[i++] == '-';
	/* Integer part; "1,234" groups only where a thousands separator can be. */
	for (; i < end; i++) {
		if (is_digit(s[i])) {
			digits++;
			group++;
			if (sig < 18 && (m || s[i] != '0')) {
				m = m * 10 + (uint64_t)(s[i] - '0');
				sig += m != 0;
			} else if (sig >= 18) {
				exp10++;
			}
		} else if (junit && s[i] == ',' && group >= 1 && group <= 3 && (!commas || group == 3)) {
			commas++;
			group = 0;
		} else {
			break;
		}
	}
	if (commas && group != 3)
		return -1;
	if (i < end && s[i] == '.') {
		for (i++; i < end && is_digit(s[i]); i++) {
			digits++;
			if (sig < 18 && (m || s[i] != '0')) {
				m = m * 10 + (uint64_t)(s[i] - '0');
				sig += m != 0;
				exp10--;
			} else if (sig < 18) {
				exp10--; /* a leading zero of the fraction */
			}
		}
	}
	if (!digits)
		return -1;
	if (i < end && (s[i] == 'e' || s[i] == 'E')) {
		int exdigits = 0;

		i++;
		if (i < end && (s[i] == '+' || s[i] == '-'))
			exneg = s[i++] == '-';
		for (; i < end && is_digit(s[i]); i++, exdigits++)
			if (ex < 100000)
				ex = ex * 10 + (s[i] - '0');
		if (!exdigits)
			return -1;
		exp10 += exneg ? -ex : ex;
	}
	if (i != end)
		return -1;
	if (neg && m)
		return -1;
	return scale_us(m, exp10);
}

int64_t hist__num_seconds_us(const char *s, size_t len)
{
	return decimal_us(s, len, 1);
}

int64_t hist__num_json_seconds_us(const char *s, size_t len)
{
	return decimal_us(s, len, 0);
}

/* Reads exactly n digits at s[*i]. */
static int fixed(const char *s, size_t len, size_t *i, int n, int *out)
{
	int v = 0;

	if (*i + (size_t)n > len)
		return -1;
	for (int k = 0; k < n; k++) {
		char c = s[*i + (size_t)k];

		if (!is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)n;
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil), so no timegm, which is not POSIX. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int hist__num_iso8601_us(int64_t *out, const char *s, size_t len)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec = 0, frac_digits = 0, oh = 0, om = 0;
	int64_t us = 0, t;
	size_t i = 0;

	while (len && is_blank(s[len - 1]))
		len--;
	while (i < len && is_blank(s[i]))
		i++;
	if (fixed(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || fixed(s, len, &i, 2, &mo) ||
		i >= len || s[i++] != '-' || fixed(s, len, &i, 2, &d))
		return -1;
	if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -1;
	i++;
	if (fixed(s, len, &i, 2, &h) || i >= len || s[i++] != ':' || fixed(s, len, &i, 2, &mi))
		return -1;
	if (i < len && s[i] == ':') {
		i++;
		if (fixed(s, len, &i, 2, &sec))
			return -1;
		if (i < len && (s[i] == '.' || s[i] == ',')) {
			for (i++; i < len && is_digit(s[i]); i++, frac_digits++)
				if (frac_digits < 6)
					us = us * 10 + (s[i] - '0');
			if (!frac_digits)
				return -1;
			for (int k = frac_digits; k < 6; k++)
				us *= 10;
		}
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i++] == '-' ? -1 : 1;

		if (fixed(s, len, &i, 2, &oh))
			return -1;
		if (i < len && s[i] == ':')
			i++;
		if (i < len && fixed(s, len, &i, 2, &om))
			return -1;
		oh *= sign;
		om *= sign;
	}
	if (i != len || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
		sec > 60 || oh < -23 || oh > 23 || om < -59 || om > 59)
		return -1;
	if (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - oh * 3600 - om * 60;
	if (t < 0)
		return -1;
	*out = t * 1000000 + us;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The k-th smallest of v[0..n) (0-based), moving it to v[k] with smaller
 * ones before it: quickselect with a median-of-three pivot, falling back to
 * qsort if a hostile order makes it go deep. */
static int64_t select_kth(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	for (int depth = 0; hi > lo; depth++) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		int64_t a = v[lo], b = v[mid], c = v[hi], pivot, t;

		if (depth > 64) {
			qsort(v + lo, hi - lo + 1, sizeof *v, cmp_i64);
			break;
		}
		pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		/* Hoare: v[lo..j] <= pivot <= v[i..hi], and i > j at the end. */
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i++] = v[j];
			v[j--] = t;
		}
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
	return v[k];
}

int64_t hist__median(int64_t *v, size_t n)
{
	int64_t upper, lower;

	if (n == 0)
		return -1;
	if (n <= 32) {
		/* A test's window is a handful of runs: a sort of compare-and-
		 * swaps without branches (min and max, each a conditional move)
		 * beats qsort's calls a million times over, and insertion sort's
		 * mispredicted branches on samples in random order twice. */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0; j--) {
				int64_t a = v[j - 1], b = v[j];
				v[j - 1] = a < b ? a : b;
				v[j] = a < b ? b : a;
			}
		return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
	}
	upper = select_kth(v, n, n / 2);
	if (n % 2)
		return upper;
	/* The lower middle is the largest of what select left below. */
	lower = v[0];
	for (size_t i = 1; i < n / 2; i++)
		lower = v[i] > lower ? v[i] : lower;
	return lower + (upper - lower) / 2;
}

char *hist__seconds(char buf[HIST__SECONDS_SIZE], int64_t us, int decimals)
{
	int64_t unit = decimals == 3 ? 1000 : 1, frac_scale = decimals == 3 ? 1000 : 1000000;
	int64_t v = us < 0 ? 0 : (us + unit / 2) / unit;

	snprintf(buf, HIST__SECONDS_SIZE, "%lld.%0*lld", (long long)(v / frac_scale), decimals,
	         (long long)(v % frac_scale));
	return buf;
}
