/* check_buf.c - growable buffers, their cap, and error messages. */
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "check_util.h"
#include "err.h"
#include "hist.h"

START_TEST(buf_grows_and_stays_terminated)
{
	hist__buf b = HIST__BUF_INIT(0);

	ck_assert_str_eq(hist__buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(hist__buf_putc(&b, 'x'), HIST_OK);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_int_eq(hist__buf_printf(&b, "%d-%s", 42, "y"), HIST_OK);
	ck_assert_str_eq(hist__buf_cstr(&b) + 1000, "42-y");
	hist__buf_clear(&b);
	ck_assert_str_eq(hist__buf_cstr(&b), "");
	hist__buf_free(&b);
}
END_TEST

START_TEST(buf_refuses_past_its_limit)
{
	hist__buf b = HIST__BUF_INIT(4);

	ck_assert_int_eq(hist__buf_puts(&b, "abcd"), HIST_OK);
	ck_assert_int_eq(hist__buf_putc(&b, 'e'), HIST_E_PARSE);
	ck_assert_str_eq(hist__buf_cstr(&b), "abcd");
	hist__buf_free(&b);
}
END_TEST

/* A line: its bytes and a break, growing across the doubling, and
 * refused whole past the limit. */
START_TEST(buf_puts_lines)
{
	hist__buf b = HIST__BUF_INIT(0), small = HIST__BUF_INIT(4);

	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(hist__buf_put_line(&b, "t.py::x", i % 2 ? 7 : 4), HIST_OK);
	ck_assert_uint_eq(b.len, 50 * 8 + 50 * 5);
	ck_assert_int_eq(strncmp(hist__buf_cstr(&b), "t.py\nt.py::x\nt.py\n", 18), 0);
	ck_assert_int_eq(hist__buf_cstr(&b)[b.len], '\0');
	ck_assert_int_eq(hist__buf_put_line(&b, "", 0), HIST_OK);
	ck_assert_str_eq(hist__buf_cstr(&b) + b.len - 2, "x\n\n" + 1);
	ck_assert_int_eq(hist__buf_put_line(&small, "abc", 3), HIST_OK);
	ck_assert_int_eq(hist__buf_put_line(&small, "", 0), HIST_E_PARSE);
	ck_assert_str_eq(hist__buf_cstr(&small), "abc\n");
	hist__buf_free(&b);
	hist__buf_free(&small);
}
END_TEST

START_TEST(buf_reports_allocation_failure)
{
	hist__buf b = HIST__BUF_INIT(0);

	hist__alloc_fail_at(0);
	ck_assert_int_eq(hist__buf_puts(&b, "abc"), HIST_E_NOMEM);
	hist__alloc_fail_at(-1);
	ck_assert_str_eq(hist__buf_cstr(&b), "");
	ck_assert_int_eq(hist__buf_puts(&b, "abc"), HIST_OK);
	hist__buf_free(&b);
}
END_TEST

START_TEST(error_sets_message_and_returns_code)
{
	hist__err e = HIST__ERR_INIT;

	ck_assert_str_eq(hist__err_msg(&e), "");
	ck_assert_int_eq(hist__error(&e, HIST_E_PARSE, "%s:%d: bad", "r.xml", 7), HIST_E_PARSE);
	ck_assert_str_eq(hist__err_msg(&e), "r.xml:7: bad");
	hist__err_clear(&e);
	ck_assert_str_eq(hist__err_msg(&e), "");
	ck_assert_str_eq(hist_strerror(HIST_E_NOMEM), "out of memory");
	ck_assert_str_eq(hist_outcome_name(HIST_OUTCOME_XPASSED), "xpassed");
	ck_assert_ptr_null(hist_outcome_name((hist_outcome)6));
}
END_TEST

START_TEST(error_without_memory_still_says_why)
{
	hist__err e = HIST__ERR_INIT;

	hist__alloc_fail_at(0);
	ck_assert_int_eq(hist__error(&e, HIST_E_NOMEM, "%s: out of memory", "h.db"), HIST_E_NOMEM);
	hist__alloc_fail_at(-1);
	ck_assert_str_eq(hist__err_msg(&e), "out of memory");
	ck_assert_int_eq(hist__error(&e, HIST_E_PARSE, "r.xml:%d: bad", 3), HIST_E_PARSE);
	ck_assert_str_eq(hist__err_msg(&e), "r.xml:3: bad");
	hist__err_clear(&e);
	ck_assert_str_eq(hist__err_msg(&e), "");
}
END_TEST

Suite *check_buf_suite(void);
Suite *check_buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, buf_grows_and_stays_terminated);
	tcase_add_test(tc, buf_refuses_past_its_limit);
	tcase_add_test(tc, buf_puts_lines);
	tcase_add_test(tc, buf_reports_allocation_failure);
	tcase_add_test(tc, error_sets_message_and_returns_code);
	tcase_add_test(tc, error_without_memory_still_says_why);
	suite_add_tcase(s, tc);
	return s;
}
