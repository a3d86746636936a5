/* check_num.c - seconds and ISO 8601 times as inputs spell them. */
#include <locale.h>
#include <string.h>

#include "check_util.h"
#include "num.h"

static int64_t sec(const char *s)
{
	return hist__num_seconds_us(s, strlen(s));
}

static int64_t json(const char *s)
{
	return hist__num_json_seconds_us(s, strlen(s));
}

static int64_t iso(const char *s)
{
	int64_t v = -7;

	if (hist__num_iso8601_us(&v, s, strlen(s)) < 0)
		return -1;
	return v;
}

START_TEST(seconds_parse_exactly)
{
	ck_assert_int_eq(sec("1.25"), 1250000);
	ck_assert_int_eq(sec("0.000"), 0);
	ck_assert_int_eq(sec("1e-3"), 1000);
	ck_assert_int_eq(sec("2.5E+1"), 25000000);
	ck_assert_int_eq(sec(" 0.5 "), 500000);
	ck_assert_int_eq(sec("\t7\n"), 7000000);
	ck_assert_int_eq(sec("1,234.5"), 1234500000);
	ck_assert_int_eq(sec("12,345,678"), 12345678000000);
	ck_assert_int_eq(sec(".5"), 500000);
	ck_assert_int_eq(sec("5."), 5000000);
	ck_assert_int_eq(sec("+1"), 1000000);
	ck_assert_int_eq(sec("-0"), 0);
	ck_assert_int_eq(sec("0.0000005"), 1);  /* half up */
	ck_assert_int_eq(sec("0.0000004999"), 0);
	ck_assert_int_eq(sec("0.1234567"), 123457);
	ck_assert_int_eq(sec("123456789.123456789"), 123456789123457);
	ck_assert_int_eq(sec("1e-30"), 0);
	ck_assert_int_eq(sec("0.00000000000000000000000000012345e30"), 123450000);
	ck_assert_int_eq(sec("9223372036854"), 9223372036854000000);
	/* Unknown: every one of these is -1. */
	ck_assert_int_eq(sec(""), -1);
	ck_assert_int_eq(sec("  "), -1);
	ck_assert_int_eq(sec("NaN"), -1);
	ck_assert_int_eq(sec("inf"), -1);
	ck_assert_int_eq(sec("-1"), -1);
	ck_assert_int_eq(sec("-0.001"), -1);
	ck_assert_int_eq(sec("{duration}"), -1);
	ck_assert_int_eq(sec("1.5s"), -1);
	ck_assert_int_eq(sec("12,34.5"), -1);
	ck_assert_int_eq(sec("1,2345"), -1);
	ck_assert_int_eq(sec(",123"), -1);
	ck_assert_int_eq(sec("1e"), -1);
	ck_assert_int_eq(sec("."), -1);
	ck_assert_int_eq(sec("1e400"), -1);
	ck_assert_int_eq(sec("9223372036855"), -1); /* past INT64_MAX µs */
	ck_assert_int_eq(json("0.501234"), 501234);
	ck_assert_int_eq(json(" 1"), -1);
	ck_assert_int_eq(json("1,000"), -1);
	ck_assert_int_eq(json("1764000000.123456"), 1764000000123456);
}
END_TEST

START_TEST(seconds_ignore_the_locale)
{
	/* A program that set a comma-decimal locale must not change what
	 * "0.5" means (when the system has such a locale). */
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
		ck_assert_int_eq(sec("0.5"), 500000);
		setlocale(LC_NUMERIC, "C");
	}
	ck_assert_int_eq(sec("0.5"), 500000);
}
END_TEST

START_TEST(iso8601_times)
{
	ck_assert_int_eq(iso("1970-01-01T00:00:00"), 0);
	ck_assert_int_eq(iso("2024-05-01T12:00:00"), 1714564800000000);
	ck_assert_int_eq(iso("2024-05-01T12:00:00Z"), 1714564800000000);
	ck_assert_int_eq(iso("2024-05-01 12:00:00"), 1714564800000000);
	ck_assert_int_eq(iso("2024-05-01T14:00:00+02:00"), 1714564800000000);
	ck_assert_int_eq(iso("2024-05-01T07:30:00-0430"), 1714564800000000);
	ck_assert_int_eq(iso("2024-05-01T12:00:00.5"), 1714564800500000);
	ck_assert_int_eq(iso("2026-11-24T22:29:05.249048"), 1795559345249048);
	ck_assert_int_eq(iso("2024-05-01T12:00:00.1234567"), 1714564800123456); /* µs kept */
	ck_assert_int_eq(iso("2024-02-29T00:00:00"), 1709164800000000);
	ck_assert_int_eq(iso("2024-05-01T12:00"), 1714564800000000);
	ck_assert_int_eq(iso(" 2024-05-01T12:00:00 "), 1714564800000000);
	ck_assert_int_eq(iso("2023-02-29T00:00:00"), -1);
	ck_assert_int_eq(iso("2024-13-01T00:00:00"), -1);
	ck_assert_int_eq(iso("2024-05-01"), -1);
	ck_assert_int_eq(iso("2024-05-01T25:00:00"), -1);
	ck_assert_int_eq(iso("1969-12-31T23:59:59"), -1);
	ck_assert_int_eq(iso("2024-05-01T12:00:00 UTC"), -1);
	ck_assert_int_eq(iso("2024-05-01T12:00:00."), -1);
	ck_assert_int_eq(iso(""), -1);
	ck_assert_int_eq(iso("yesterday"), -1);
}
END_TEST

Suite *check_num_suite(void);
Suite *check_num_suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("num");

	tcase_add_test(tc, seconds_parse_exactly);
	tcase_add_test(tc, seconds_ignore_the_locale);
	tcase_add_test(tc, iso8601_times);
	suite_add_tcase(s, tc);
	return s;
}
