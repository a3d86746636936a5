/* num.h - numbers and times as inputs spell them (private).
 * Locale-free: the library never calls setlocale, but the program it lives
 * in may, and strtod would then read "0,5" and refuse "0.5". */
#ifndef HIST_NUM_H
#define HIST_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Seconds as a decimal ("1.25", "1e-3", "1,234.5" with thousands commas,
 * surrounding blanks allowed) to microseconds, rounded half up. Returns -1
 * for anything else: empty, text, NaN, infinities, negative values and
 * values past about 290,000 years. Reads exactly len bytes. */
int64_t hist__num_seconds_us(const char *s, size_t len);

/* The same for a JSON number (no commas, no blanks; "-0" is 0). */
int64_t hist__num_json_seconds_us(const char *s, size_t len);

/* An ISO 8601 date-time ("2024-05-01T12:00:00", fraction, "Z" or a
 * "+02:00"/"+0200" offset; a space may stand for 'T'; no zone = UTC) to
 * microseconds since the epoch. Returns 0 and sets *out, or -1. */
int hist__num_iso8601_us(int64_t *out, const char *s, size_t len);

/* µs as seconds with 3 or 6 decimals ("12.346", "12.345678") into buf,
 * rounded half up, by integer arithmetic so every machine prints alike;
 * a negative value prints as 0. Returns buf. */
#define HIST__SECONDS_SIZE 32
char *hist__seconds(char buf[HIST__SECONDS_SIZE], int64_t us, int decimals);

/* The median of v[0..n): the middle one, or the mean of the two middle ones
 * rounded down. Reorders v. -1 when n is 0. */
int64_t hist__median(int64_t *v, size_t n);

#endif
