/* check_estimate.c - estimators against hand-computed values, the test
 * list reader, the history pass (matching by nodeid and JUnit key, the
 * newest run, the estimates of tests without history, module set-up) and
 * hist_plan_create over a real history database. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "check_util.h"
#include "estimate.h"
#include "num.h"
#include "planner.h"
#include "store.h"

START_TEST(ema_median_last_by_hand)
{
	int64_t s[] = {100, 200, 400}, even[] = {4, 1, 3, 2}, odd[] = {5, 1, 3}, half[] = {1, 2};
	int64_t s2[] = {100, 200, 400};

	/* e = 100; 0.3*200 + 0.7*100 = 130; 0.3*400 + 0.7*130 = 211. */
	ck_assert_int_eq(hist__estimate(s, 3, HIST_EST_EMA, 0.3), 211);
	/* alpha 1 is the last sample; a lone sample is itself. */
	ck_assert_int_eq(hist__estimate(s, 3, HIST_EST_EMA, 1.0), 400);
	ck_assert_int_eq(hist__estimate(s, 1, HIST_EST_EMA, 0.3), 100);
	/* 1.5 rounds half up. */
	ck_assert_int_eq(hist__estimate(half, 2, HIST_EST_EMA, 0.5), 2);
	ck_assert_int_eq(hist__estimate(s2, 3, HIST_EST_MEDIAN, 0.3), 200);
	ck_assert_int_eq(hist__estimate(odd, 3, HIST_EST_MEDIAN, 0.3), 3);
	/* Even count: mean of 2 and 3, rounded down. */
	ck_assert_int_eq(hist__estimate(even, 4, HIST_EST_MEDIAN, 0.3), 2);
	ck_assert_int_eq(hist__estimate(s, 3, HIST_EST_LAST, 0.3), 400);
	ck_assert_int_eq(hist__estimate(s, 0, HIST_EST_EMA, 0.3), -1);
	ck_assert_int_eq(hist__median(odd, 0), -1);
}
END_TEST

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

START_TEST(median_of_many_matches_sorting)
{
	uint64_t r = 7;

	/* Past 32 values the median selects instead of sorting: compare with
	 * a sort on odd and even counts, runs of equal values, sorted input. */
	for (size_t n = 1; n < 300; n++) {
		int64_t *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *sorted), want;

		for (size_t i = 0; i < n; i++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			v[i] = n % 3 == 0 ? (int64_t)i : n % 3 == 1 ? (int64_t)(r >> 60) : (int64_t)(r >> 20);
		}
		memcpy(sorted, v, n * sizeof *v);
		qsort(sorted, n, sizeof *sorted, cmp64);
		want = n % 2 ? sorted[n / 2] : sorted[n / 2 - 1] + (sorted[n / 2] - sorted[n / 2 - 1]) / 2;
		ck_assert_int_eq(hist__median(v, n), want);
		free(v);
		free(sorted);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* The test list                                                        */

static hist_test_list *parse_ok(const char *text, size_t want)
{
	hist_test_list *l;
	int error = hist_test_list_parse(&l, text, strlen(text), "tests.txt");

	ck_assert_msg(error == HIST_OK, "%s", hist_test_list_errmsg(l));
	ck_assert_uint_eq(hist_test_list_count(l), want);
	ck_assert_ptr_nonnull(hist_test_list_ids(l));
	return l;
}

static void parse_fails(const char *text, size_t len, const char *message)
{
	hist_test_list *l;

	ck_assert_int_eq(hist_test_list_parse(&l, text, len, "tests.txt"), HIST_E_INVALID);
	ck_assert_str_eq(hist_test_list_errmsg(l), message);
	hist_test_list_free(l);
}

static void fails(const char *text, const char *message)
{
	parse_fails(text, strlen(text), message);
}

START_TEST(test_list_reads_collect_only_output)
{
	const char *out = "test_a.py::TestK::test_one\n"
	                  "test_a.py::TestK::test_two[a::b]\n"
	                  "test_a.py::TestK::test_two[c/d[e]\n"
	                  "test_a.py::test_w[\\xfc x]\n"
	                  "\n"
	                  "=============================== warnings summary ===============================\n"
	                  "test_a.py:8\n"
	                  "  /tmp/pt/test_a.py:8: UserWarning: hello\n"
	                  "\n"
	                  "-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html\n"
	                  "4 tests collected in 0.00s\n";
	hist_test_list *l = parse_ok(out, 4);

	ck_assert_str_eq(hist_test_list_ids(l)[1], "test_a.py::TestK::test_two[a::b]");
	ck_assert_str_eq(hist_test_list_ids(l)[3], "test_a.py::test_w[\\xfc x]");
	hist_test_list_free(l);
	/* The plain summary, CRLF line ends, no final newline, trailing blanks. */
	l = parse_ok("a.py::x\r\nb.py::y\r\n\r\n2 tests collected in 0.01s", 2);
	ck_assert_str_eq(hist_test_list_ids(l)[0], "a.py::x");
	hist_test_list_free(l);
	hist_test_list_free(parse_ok("a.py::x\nb.py::y\n\n\n", 2));
	hist_test_list_free(parse_ok("a.py::x\n\n1/5 tests collected (4 deselected) in 0.00s\n", 1));
	hist_test_list_free(parse_ok("\nno tests collected (5 deselected) in 0.00s\n", 0));
	hist_test_list_free(parse_ok("", 0));
	hist_test_list_free(parse_ok("a.py::x\n\n==== ERRORS ====\nanything::at all\n", 1));
}
END_TEST

START_TEST(test_list_reads_the_collect_file)
{
	const char *out = "# hist collect 1\r\n"
	                  "# group markers: serial,xdist_group\n"
	                  "serial:db\ta.py\t-\ta.py::x\n"
	                  "# a comment\n"
	                  "-\ta.py\t-\ta.py::y[\tz]\n"
	                  "serial\tb.py\tb.py::T\tb.py::T::w\n";
	hist_test_list *l = parse_ok(out, 3);

	ck_assert_str_eq(hist_test_list_group_markers(l), "serial,xdist_group");
	ck_assert_str_eq(hist_test_list_ids(l)[0], "a.py::x");
	ck_assert_str_eq(hist_test_list_groups(l)[0], "serial:db");
	/* The nodeid is the rest of the line, tabs and all. */
	ck_assert_str_eq(hist_test_list_ids(l)[1], "a.py::y[\tz]");
	ck_assert_ptr_null(hist_test_list_groups(l)[1]);
	ck_assert_str_eq(hist_test_list_groups(l)[2], "serial");
	hist_test_list_free(l);
	l = parse_ok("# hist collect 1\n# group markers:\n", 0);
	ck_assert_str_eq(hist_test_list_group_markers(l), "");
	hist_test_list_free(l);
	/* Plain --collect-only -q output has neither. */
	l = parse_ok("a.py::x\n", 1);
	ck_assert_ptr_null(hist_test_list_groups(l));
	ck_assert_ptr_null(hist_test_list_group_markers(l));
	hist_test_list_free(l);
	fails("# hist collect 2\n# group markers:\n", "tests.txt:1: hist collect format version '2': this histplan reads version 1; use "
	            "the histplan of the plugin that wrote it");
	fails("# hist collect 1\na.py::x\n", "tests.txt:2: expected '# group markers: NAME,...' after the '# hist collect 1' line");
	fails("# hist collect 1\n", "tests.txt:2: no '# group markers:' line after '# hist collect 1'");
	fails("# hist collect 1\n# group markers:\na.py::x\n", "tests.txt:3: expected GROUP, MODULE, CLASS and the nodeid separated by tabs (a hist "
	            "collect file)");
	fails("# hist collect 1\n# group markers:\n-\t\t-\ta.py::x\n", "tests.txt:3: an empty field: a hist collect file writes '-' for none");
	fails("# hist collect 1\n# group markers:\n-\ta\t-\t\n", "tests.txt:3: a test line without a nodeid");
	fails("# hist collect 1\n# group markers:\n-\ta\t-\ta::x\n-\ta\t-\ta::x\n", "tests.txt:4: duplicate nodeid a::x (first on line 3)");
	fails("# hist collect 1\n# group markers:\n-\ta\t-\ta::x\n\n-\ta\t-\tb::y\n", "tests.txt:4: expected GROUP, MODULE, CLASS and the nodeid separated by tabs (a hist "
	            "collect file)");
}
END_TEST

START_TEST(test_list_rejects_what_is_not_a_list)
{
	parse_fails("a.py::x\n\nb.py::y\n", 11, "tests.txt:2: blank line inside the test list");
	parse_fails("\na.py::x\n", 9, "tests.txt:1: blank line inside the test list");
	parse_fails("a.py::x\n\n\n\nb.py::y\n", 13, "tests.txt:2: blank line inside the test list");
	parse_fails("a.py::x\nb.py::y\na.py::x\n", 24,
	            "tests.txt:3: duplicate nodeid a.py::x (first on line 1)");
	parse_fails("a.py::x\nb.py\0::y\n", 17, "tests.txt:2: NUL byte in the test list");
	parse_fails("# hist plan 0123\n", 17,
	            "tests.txt:1: a nodeid cannot start with '#' (shard files use it for comments)");
	parse_fails("collected 3 items\n", 18,
	            "tests.txt:1: not a nodeid: this looks like `pytest --collect-only` without -q");
	parse_fails("<Module a.py>\n", 14,
	            "tests.txt:1: not a nodeid: this looks like `pytest --collect-only` without -q");
	parse_fails("a.py: 3\n", 8,
	            "tests.txt:1: not a nodeid: this looks like `pytest --collect-only -qq`; use -q");
	parse_fails("a.py::x\n3 tests collected in 0.1s\n", 34,
	            "tests.txt:2: not a nodeid: pytest's summary must follow a blank line");
}
END_TEST

START_TEST(test_list_rejects_long_lines)
{
	size_t len = 70000;
	char *text = malloc(len + 1);

	memset(text, 'a', len);
	text[len] = '\0';
	parse_fails(text, len, "tests.txt:1: line longer than 64 KiB");
	free(text);
}
END_TEST

START_TEST(test_list_reads_files)
{
	char path[] = "/tmp/check_estimate.XXXXXX";
	int fd = mkstemp(path);
	hist_test_list *l;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x.py::a\nx.py::b\n", 16), 16);
	close(fd);
	ck_assert_int_eq(hist_test_list_read(&l, path, "collected.txt"), HIST_OK);
	ck_assert_uint_eq(hist_test_list_count(l), 2);
	hist_test_list_free(l);
	unlink(path);
	ck_assert_int_eq(hist_test_list_read(&l, path, "collected.txt"), HIST_E_IO);
	ck_assert_ptr_nonnull(strstr(hist_test_list_errmsg(l), "collected.txt"));
	hist_test_list_free(l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The history pass, fed by hand                                        */

typedef struct {
	const char *id;
	int is_key;
	unsigned int age;
	hist_outcome outcome;
	int64_t duration_us, setup_us;
} row;

static char warnings[2048];
static int pass_spread; /* hist__suite_options.spread for pass() */

static void collect_warning(const char *message, void *payload)
{
	(void)payload;
	strncat(warnings, message, sizeof warnings - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

/* Runs the pass over rows (grouped by id, oldest first) and returns the
 * plan's tests; res gets the rest. */
static hist_plan *pass(const char *const *tests, size_t ntests, const row *rows, size_t nrows,
                       hist_estimator e, int64_t overhead, hist__suite_result *res)
{
	hist__suite_options o = {e, 0.5, tests, ntests, NULL, NULL, NULL, 0, pass_spread};
	hist__err err = HIST__ERR_INIT;
	hist__suite *s;
	hist_plan *p = hist__calloc(1, sizeof *p);

	warnings[0] = '\0';
	ck_assert_int_eq(hist__suite_new(&s, &o, &err), HIST_OK);
	for (size_t i = 0; i < nrows; i++) {
		hist__history_row h = {rows[i].id,      strlen(rows[i].id),  rows[i].is_key,   rows[i].age,
		                       rows[i].outcome, rows[i].duration_us, rows[i].setup_us, 1, 0};
		ck_assert_int_eq(hist__suite_row(s, &h), HIST_OK);
	}
	ck_assert_int_eq(hist__suite_finish(s, overhead, res), HIST_OK);
	hist__suite_free(s);
	p->tests = res->tests;
	p->n = res->n;
	p->arena = res->arena;
	hist__err_clear(&err);
	return p;
}

static const hist__plan_test *find(const hist_plan *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->tests[i].id, id) == 0)
			return &p->tests[i];
	return NULL;
}

#define P HIST_OUTCOME_PASSED
#define F HIST_OUTCOME_FAILED
#define S HIST_OUTCOME_SKIPPED
#define E HIST_OUTCOME_ERROR

START_TEST(listed_suite_takes_history_by_nodeid_then_key)
{
	const char *tests[] = {"t/a.py::x", "t/a.py::y", "t/a.py::new", "t/b.py::K::z[1]",
	                       "t/c.py::s", "t/c.py::e", "t/d.py::new"};
	row rows[] = {
	    {"gone.py::old", 0, 0, P, 999000, -1}, /* not in the list: ignored */
	    {"t.a::x", 1, 1, P, 5000, -1},         /* key of t/a.py::x: exact wins */
	    {"t.b.K::z[1]", 1, 0, F, 40000, -1},   /* xunit2 key of t/b.py::K::z[1] */
	    {"t/a.py::x", 0, 2, P, 100000, -1},    {"t/a.py::x", 0, 1, F, 200000, -1},
	    {"t/a.py::x", 0, 0, P, 400000, -1},    {"t/a.py::y", 0, 1, P, 60000, -1},
	    {"t/a.py::y", 0, 0, S, -1, -1},   /* skipped carries no duration */
	    {"t/a.py::y", 0, 0, P, -1, -1},   /* an unknown duration neither */
	    {"t/c.py::e", 0, 1, E, 7000, -1}, /* only errors: used */
	    {"t/c.py::s", 0, 0, S, -1, -1},   /* only skips: known, 0 */
	};
	hist__suite_result res;
	hist_plan *p = pass(tests, 7, rows, sizeof rows / sizeof *rows, HIST_EST_EMA, 1000, &res);

	ck_assert_uint_eq(p->n, 7);
	/* EMA alpha 0.5 over 100, 200, 400 ms: 150, then 275 ms. */
	ck_assert_int_eq(find(p, "t/a.py::x")->est_us, 275000);
	ck_assert_int_eq(find(p, "t/a.py::x")->cost_us, 276000);
	ck_assert_int_eq(find(p, "t/a.py::y")->est_us, 60000);
	ck_assert_int_eq(find(p, "t/b.py::K::z[1]")->est_us, 40000);
	ck_assert_int_eq(find(p, "t/c.py::e")->est_us, 7000);
	ck_assert_int_eq(find(p, "t/c.py::s")->est_us, 0);
	ck_assert_int_eq(find(p, "t/c.py::s")->cost_us, 1000);
	/* No history: the median of its file's timed tests (60 and 275 ms),
	 * else of the suite's (7, 40, 60, 275 ms -> 50 ms). */
	ck_assert_int_eq(find(p, "t/a.py::new")->est_us, 167500);
	ck_assert_int_eq(find(p, "t/a.py::new")->known, 0);
	ck_assert_int_eq(find(p, "t/d.py::new")->est_us, 50000);
	ck_assert_ptr_null(find(p, "gone.py::old"));
	ck_assert_uint_eq(res.without_history, 2);
	ck_assert_int_eq(res.fallback, 0);
	ck_assert_int_eq(res.in_name_order, 0); /* the list's order */
	ck_assert_str_eq(warnings, "");
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(estimators_over_the_window)
{
	const char *tests[] = {"a.py::t"};
	row rows[] = {{"a.py::t", 0, 3, P, 10, -1},
	              {"a.py::t", 0, 2, P, 40, -1},
	              {"a.py::t", 0, 1, P, 20, -1},
	              {"a.py::t", 0, 0, F, 30, -1}};
	hist__suite_result res;
	hist_plan *p;

	p = pass(tests, 1, rows, 4, HIST_EST_MEDIAN, 0, &res);
	ck_assert_int_eq(p->tests[0].est_us, 25);
	hist__free(res.module_setup);
	hist_plan_free(p);
	p = pass(tests, 1, rows, 4, HIST_EST_LAST, 0, &res);
	ck_assert_int_eq(p->tests[0].est_us, 30);
	hist__free(res.module_setup);
	hist_plan_free(p);
	/* 10; 25; 22.5; 26.25 -> 26 */
	p = pass(tests, 1, rows, 4, HIST_EST_EMA, 0, &res);
	ck_assert_int_eq(p->tests[0].est_us, 26);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(spread_by_hand)
{
	int64_t one[] = {100}, two[] = {100, 900}, three[] = {10, 30, 20}, four[] = {100, 110, 90, 1000},
	        same[] = {7, 7, 7, 7};

	/* Too few samples say nothing. */
	ck_assert_int_eq(hist__estimate_spread(one, 1), 0);
	ck_assert_int_eq(hist__estimate_spread(two, 2), 0);
	/* Median 20, deviations 10, 10, 0: MAD 10, x 1.4826 = 14.8 -> 15. */
	ck_assert_int_eq(hist__estimate_spread(three, 3), 15);
	/* Median 105, deviations 5, 5, 15, 895: MAD 10; the slow run of 1000
	 * does not make the test noisy. */
	ck_assert_int_eq(hist__estimate_spread(four, 4), 15);
	ck_assert_int_eq(hist__estimate_spread(same, 4), 0);
}
END_TEST

/* The pass hands each test its spread when asked, only from its timed
 * samples, 0 with fewer than three; without the option, always 0. */
START_TEST(spread_reaches_the_plan_tests)
{
	const char *tests[] = {"a.py::noisy", "a.py::steady", "a.py::twice", "a.py::errs"};
	row rows[] = {{"a.py::errs", 0, 2, E, 10, -1},       {"a.py::errs", 0, 1, E, 900, -1},
	              {"a.py::errs", 0, 0, E, 30, -1},       {"a.py::noisy", 0, 3, P, 1000000, -1},
	              {"a.py::noisy", 0, 2, P, 3000000, -1}, {"a.py::noisy", 0, 1, F, 2000000, -1},
	              {"a.py::noisy", 0, 0, S, -1, -1},      {"a.py::steady", 0, 2, P, 2000000, -1},
	              {"a.py::steady", 0, 1, P, 2000000, -1}, {"a.py::steady", 0, 0, P, 2000000, -1},
	              {"a.py::twice", 0, 1, P, 1000000, -1}, {"a.py::twice", 0, 0, P, 3000000, -1}};
	hist__suite_result res;
	hist_plan *p;

	for (pass_spread = 0; pass_spread <= 1; pass_spread++) {
		p = pass(tests, 4, rows, sizeof rows / sizeof *rows, HIST_EST_EMA, 0, &res);
		/* 1, 3, 2 s: MAD 1 s, x 1.4826. */
		if (!pass_spread) {
			ck_assert_ptr_null(res.spread_us);
		} else {
			ck_assert_uint_eq(res.spread_us[find(p, "a.py::noisy") - p->tests], 1482600);
			ck_assert_uint_eq(res.spread_us[find(p, "a.py::steady") - p->tests], 0);
			ck_assert_uint_eq(res.spread_us[find(p, "a.py::twice") - p->tests], 0);
			ck_assert_uint_eq(res.spread_us[find(p, "a.py::errs") - p->tests], 0);
		}
		hist__free(res.spread_us);
		hist__free(res.module_setup);
		hist_plan_free(p);
	}
	pass_spread = 0;
}
END_TEST

START_TEST(auto_picks_what_predicted_best)
{
	const char *tests[] = {"a.py::t"};
	/* A spike once: the median predicts the runs after it (errors by
	 * hand, alpha 0.5: ema 1744, median 900, last 1800 µs). */
	row spiky[] = {{"a.py::t", 0, 6, P, 100, -1},  {"a.py::t", 0, 5, P, 100, -1},
	               {"a.py::t", 0, 4, P, 1000, -1}, {"a.py::t", 0, 3, P, 100, -1},
	               {"a.py::t", 0, 2, P, 100, -1},  {"a.py::t", 0, 1, P, 100, -1},
	               {"a.py::t", 0, 0, P, 100, -1}};
	/* A steady climb: the last run does (ema 80, median 100, last 50). */
	row climb[] = {{"a.py::t", 0, 5, P, 10, -1}, {"a.py::t", 0, 4, P, 20, -1},
	               {"a.py::t", 0, 3, P, 30, -1}, {"a.py::t", 0, 2, P, 40, -1},
	               {"a.py::t", 0, 1, P, 50, -1}, {"a.py::t", 0, 0, P, 60, -1}};
	hist__suite_result res;
	hist_plan *p;

	p = pass(tests, 1, spiky, 7, HIST_EST_AUTO, 0, &res);
	ck_assert_int_eq(res.estimator, HIST_EST_MEDIAN);
	ck_assert_uint_eq(res.backtest_n, 6);
	ck_assert_int_eq(res.backtest_err_us[HIST_EST_EMA], 1744);
	ck_assert_int_eq(res.backtest_err_us[HIST_EST_MEDIAN], 900);
	ck_assert_int_eq(res.backtest_err_us[HIST_EST_LAST], 1800);
	ck_assert_int_eq(p->tests[0].est_us, 100);
	hist__free(res.module_setup);
	hist_plan_free(p);
	p = pass(tests, 1, climb, 6, HIST_EST_AUTO, 0, &res);
	ck_assert_int_eq(res.estimator, HIST_EST_LAST);
	ck_assert_int_eq(res.backtest_err_us[HIST_EST_EMA], 80);
	ck_assert_int_eq(res.backtest_err_us[HIST_EST_MEDIAN], 100);
	ck_assert_int_eq(p->tests[0].est_us, 60);
	hist__free(res.module_setup);
	hist_plan_free(p);
	/* One run cannot tell: EMA, the default, stays. */
	p = pass(tests, 1, climb + 5, 1, HIST_EST_AUTO, 0, &res);
	ck_assert_int_eq(res.estimator, HIST_EST_EMA);
	ck_assert_uint_eq(res.backtest_n, 0);
	ck_assert_int_eq(p->tests[0].est_us, 60);
	hist__free(res.module_setup);
	hist_plan_free(p);
	/* Without a list every test of the window predicts, also one gone
	 * from the newest run (by hand, alpha 0.5: a.py::t 10 + 15 / 10 + 15 /
	 * 10 + 10, b.py::gone 50 each); with a list only the listed ones. */
	{
		row two[] = {{"a.py::t", 0, 2, P, 10, -1},    {"a.py::t", 0, 1, P, 20, -1},
		             {"a.py::t", 0, 0, P, 30, -1},    {"b.py::gone", 0, 2, P, 100, -1},
		             {"b.py::gone", 0, 1, P, 50, -1}};

		p = pass(NULL, 0, two, 5, HIST_EST_AUTO, 0, &res);
		ck_assert_uint_eq(p->n, 1);
		ck_assert_uint_eq(res.backtest_n, 3);
		ck_assert_int_eq(res.backtest_err_us[HIST_EST_EMA], 75);
		ck_assert_int_eq(res.backtest_err_us[HIST_EST_MEDIAN], 75);
		ck_assert_int_eq(res.backtest_err_us[HIST_EST_LAST], 70);
		ck_assert_int_eq(res.estimator, HIST_EST_LAST);
		hist__free(res.module_setup);
		hist_plan_free(p);
		p = pass(tests, 1, two, 5, HIST_EST_AUTO, 0, &res);
		ck_assert_uint_eq(res.backtest_n, 2);
		ck_assert_int_eq(res.backtest_err_us[HIST_EST_EMA], 25);
		ck_assert_int_eq(res.backtest_err_us[HIST_EST_LAST], 20);
		hist__free(res.module_setup);
		hist_plan_free(p);
	}
}
END_TEST

START_TEST(unlisted_suite_is_the_newest_run)
{
	row rows[] = {
	    {"a.py::gone", 0, 1, P, 50, -1}, /* not in the newest run */
	    {"a.py::x", 0, 1, P, 100, -1},   {"a.py::x", 0, 0, P, 100, -1},
	    {"a.py::y", 0, 0, S, -1, -1},    {"a.py::y[\n]", 0, 0, P, 5, -1}, /* no shard file can hold it */
	    {"a::y", 1, 1, P, 80, -1},   /* key of a.py::y: its history */
	    {"b.K::z", 1, 0, P, 70, -1}, /* a key naming no nodeid */
	};
	hist__suite_result res;
	hist_plan *p = pass(NULL, 0, rows, sizeof rows / sizeof *rows, HIST_EST_LAST, 0, &res);

	ck_assert_uint_eq(p->n, 3);
	ck_assert_int_eq(find(p, "a.py::x")->est_us, 100);
	/* Its own rows say only "skipped": exact history wins over the key. */
	ck_assert_int_eq(find(p, "a.py::y")->est_us, 0);
	/* Known only by its key: planned under the key. */
	ck_assert_int_eq(find(p, "b.K::z")->est_us, 70);
	/* planner.c warns of these (tests/cli/histplan_xunit2.sh). */
	ck_assert_uint_eq(res.key_only, 1);
	ck_assert_uint_eq(res.bad_ids, 1);
	/* Keys come after the nodeids: plan.c must check the order. */
	ck_assert_int_eq(res.in_name_order, 0);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(key_spelt_like_a_nodeid_is_listed_once)
{
	/* The key "t.py::x" (of t/py.py::x) names no nodeid of the run (the key
	 * of t.py::x is t::x), but is spelt like one: one line, not two. */
	row rows[] = {{"t.py::x", 0, 0, P, 10, -1}, {"t.py::x", 1, 0, P, 20, -1}};
	hist__suite_result res;
	hist_plan *p = pass(NULL, 0, rows, 2, HIST_EST_LAST, 0, &res);

	ck_assert_uint_eq(p->n, 1);
	ck_assert_int_eq(find(p, "t.py::x")->est_us, 10);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(key_history_fills_a_test_without_its_own)
{
	row rows[] = {{"a.py::y", 0, 0, P, -1, -1}, {"a::y", 1, 0, P, 80, -1}};
	hist__suite_result res;
	hist_plan *p = pass(NULL, 0, rows, 2, HIST_EST_LAST, 0, &res);

	ck_assert_uint_eq(p->n, 1);
	ck_assert_int_eq(find(p, "a.py::y")->est_us, 80);
	ck_assert_int_eq(find(p, "a.py::y")->known, 1);
	/* The history's nodeids alone: in name order, which plan.c trusts. */
	ck_assert_int_eq(res.in_name_order, 1);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(module_setup_from_the_opener)
{
	const char *tests[] = {"m.py::a", "m.py::b", "m.py::c", "m.py::d", "n.py::a", "n.py::b"};
	row rows[] = {
	    {"m.py::a", 0, 0, P, 150000, 101000}, /* opens the module: 100 ms of fixtures */
	    {"m.py::b", 0, 0, P, 20000, 1000},
	    {"m.py::c", 0, 0, P, 20000, 1200},
	    {"m.py::d", 0, 0, P, 20000, 900},
	    {"n.py::a", 0, 0, P, 20000, 6000}, /* 5 ms above the rest: noise */
	    {"n.py::b", 0, 0, P, 20000, 1000},
	};
	hist__suite_result res;
	hist_plan *p = pass(tests, 6, rows, 6, HIST_EST_LAST, 0, &res);

	ck_assert_uint_eq(res.modules, 2);
	/* Typical set-up: median(101000, 1000, 1200, 900) = 1100. */
	ck_assert_int_eq(res.module_setup[find(p, "m.py::a")->module], 99900);
	ck_assert_int_eq(res.module_setup[find(p, "n.py::a")->module], 0);
	/* The opener no longer carries the module's set-up itself. */
	ck_assert_int_eq(find(p, "m.py::a")->est_us, 50100);
	ck_assert_int_eq(find(p, "n.py::a")->est_us, 20000);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(class_setup_from_the_opener)
{
	const char *tests[] = {"m.py::test_a",        "m.py::TestC::test_1", "m.py::TestC::test_2",
	                       "m.py::TestD::test_1", "m.py::test_b",        "n.py::TestE::test_1",
	                       "n.py::TestE::test_2", "n.py::test_c"};
	row rows[] = {
	    /* In the store's order (bytes): uppercase before lowercase. */
	    {"m.py::TestC::test_1", 0, 0, P, 100000, 81000}, /* opens TestC: 80 ms set-up */
	    {"m.py::TestC::test_2", 0, 0, P, 20000, 1000},
	    {"m.py::TestD::test_1", 0, 0, P, 50000, 41000}, /* a class of one test */
	    {"m.py::test_a", 0, 0, P, 20000, 1000},          /* collected first: opens m.py */
	    {"m.py::test_b", 0, 0, P, 20000, 1200},
	    {"n.py::TestE::test_1", 0, 0, P, 90000, 71000}, /* opens n.py and TestE */
	    {"n.py::TestE::test_2", 0, 0, P, 20000, 1000},
	    {"n.py::test_c", 0, 0, P, 20000, 1000},
	};
	hist__suite_result res;
	hist_plan *p;

	/* Without the collected suite the opener is the largest set-up:
	 * TestC's first test opens m.py, so its set-up is the module's. */
	p = pass(NULL, 0, rows, 8, HIST_EST_LAST, 0, &res);
	ck_assert_uint_eq(res.classes, 0);
	ck_assert_ptr_null(res.class_setup);
	ck_assert_int_eq(res.module_setup[find(p, "m.py::test_a")->module], 79800);
	hist__free(res.module_setup);
	hist_plan_free(p);
	{
		p = pass(tests, 8, rows, 8, HIST_EST_LAST, 0, &res);

		/* m.py's typical set-up: median(1000, 81000, 1000, 41000, 1200). */
		ck_assert_uint_eq(res.classes, 1);
		ck_assert_int_eq(res.class_setup[0], 79800);
		ck_assert_uint_eq(find(p, "m.py::TestC::test_1")->klass, 1);
		ck_assert_uint_eq(find(p, "m.py::TestC::test_2")->klass, 1);
		ck_assert_int_eq(find(p, "m.py::TestC::test_1")->est_us, 20200);
		/* One test: nothing to split, nor to tell its set-up from. */
		ck_assert_uint_eq(find(p, "m.py::TestD::test_1")->klass, 0);
		ck_assert_int_eq(find(p, "m.py::TestD::test_1")->est_us, 50000);
		ck_assert_uint_eq(find(p, "m.py::test_a")->klass, 0);
		/* TestE opens n.py: its set-up is the module's. */
		ck_assert_uint_eq(find(p, "n.py::TestE::test_1")->klass, 0);
		ck_assert_int_eq(res.module_setup[find(p, "n.py::test_c")->module], 70000);
		ck_assert_int_eq(res.module_setup[find(p, "m.py::test_a")->module], 0);
		hist__free(res.module_setup);
		hist__free(res.class_setup);
		hist_plan_free(p);
	}
}
END_TEST

/* A collected suite can come back to a file and a class it left (tests
 * listed out of name order): they keep their ids, so m.py stays one
 * module and TestK one class with one set-up. Without the map that the
 * first scope out of order starts, they would be counted again. */
START_TEST(scopes_listed_out_of_order_keep_their_ids)
{
	const char *tests[] = {"m.py::a",           "n.py::t",           "m.py::TestK::t1", "m.py::TestL::t1",
	                       "m.py::TestK::t2",   "m.py::TestL::t2",   "n.py::TestK::x",  "m.py::TestK::t3"};
	row rows[] = {
	    {"m.py::TestK::t1", 0, 0, P, 60000, 51000}, /* opens TestK: 50 ms */
	    {"m.py::TestK::t2", 0, 0, P, 20000, 1000},
	    {"m.py::TestK::t3", 0, 0, P, 20000, 1000},
	    {"m.py::TestL::t1", 0, 0, P, 40000, 31000}, /* opens TestL: 30 ms */
	    {"m.py::TestL::t2", 0, 0, P, 20000, 1000},
	    {"m.py::a", 0, 0, P, 20000, 1000},          /* opens m.py */
	    {"n.py::TestK::x", 0, 0, P, 20000, 1000},
	    {"n.py::t", 0, 0, P, 20000, 1000},
	};
	hist__suite_result res;
	hist_plan *p = pass(tests, 8, rows, 8, HIST_EST_LAST, 0, &res);
	uint32_t m = find(p, "m.py::a")->module, n = find(p, "n.py::t")->module;

	ck_assert_uint_eq(res.modules, 2);
	ck_assert_uint_ne(m, n);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(p->tests[i].module, strncmp(tests[i], "m.py", 4) == 0 ? m : n);
	/* m.py's typical set-up is 1 ms; classes numbered as first collected. */
	ck_assert_uint_eq(res.classes, 2);
	ck_assert_int_eq(res.class_setup[0], 50000);
	ck_assert_int_eq(res.class_setup[1], 30000);
	ck_assert_uint_eq(find(p, "m.py::TestK::t1")->klass, 1);
	ck_assert_uint_eq(find(p, "m.py::TestK::t2")->klass, 1);
	ck_assert_uint_eq(find(p, "m.py::TestK::t3")->klass, 1);
	ck_assert_uint_eq(find(p, "m.py::TestL::t1")->klass, 2);
	ck_assert_uint_eq(find(p, "m.py::TestL::t2")->klass, 2);
	ck_assert_uint_eq(find(p, "n.py::TestK::x")->klass, 0);
	ck_assert_int_eq(find(p, "m.py::TestK::t1")->est_us, 10000);
	hist__free(res.module_setup);
	hist__free(res.class_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(module_opener_is_the_first_collected)
{
	/* m.py::b has the largest set-up but m.py::a is collected first and
	 * pays only the typical set-up: with the list, no module set-up (b's
	 * is its own function fixture); without it, b is taken as the opener. */
	const char *tests[] = {"m.py::a", "m.py::b", "m.py::c"};
	row rows[] = {
	    {"m.py::a", 0, 0, P, 20000, 1000},
	    {"m.py::b", 0, 0, P, 90000, 60000},
	    {"m.py::c", 0, 0, P, 20000, 1200},
	};
	hist__suite_result res;
	hist_plan *p = pass(tests, 3, rows, 3, HIST_EST_LAST, 0, &res);

	ck_assert_int_eq(res.module_setup[0], 0);
	ck_assert_int_eq(find(p, "m.py::b")->est_us, 90000);
	hist__free(res.module_setup);
	hist_plan_free(p);
	p = pass(NULL, 0, rows, 3, HIST_EST_LAST, 0, &res);
	ck_assert_int_eq(res.module_setup[0], 58800);
	ck_assert_int_eq(find(p, "m.py::b")->est_us, 31200);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

static uint64_t progress_seen;

static void count_progress(const char *what, uint64_t done, void *payload)
{
	(void)payload;
	ck_assert_str_eq(what, "results read");
	progress_seen = done;
}

START_TEST(progress_while_reading)
{
	hist__suite_options o = {HIST_EST_EMA, 0.3, NULL, 0, count_progress, NULL, NULL, 0, 0};
	hist__err err = HIST__ERR_INIT;
	hist__suite *s;
	hist__history_row r = {"a.py::x", 7, 0, 0, HIST_OUTCOME_PASSED, 5, -1, 1, 0};

	ck_assert_int_eq(hist__suite_new(&s, &o, &err), HIST_OK);
	for (uint32_t i = 0; i < (1u << 18) + 5; i++)
		ck_assert_int_eq(hist__suite_row(s, &r), HIST_OK);
	ck_assert_uint_eq(progress_seen, 1u << 18);
	hist__suite_free(s);
}
END_TEST

START_TEST(history_out_of_order_is_refused)
{
	hist__suite_options o = {HIST_EST_EMA, 0.3, NULL, 0, NULL, NULL, NULL, 0, 0};
	hist__err err = HIST__ERR_INIT;
	hist__suite *s;
	hist__history_row b = {"b.py::x", 7, 0, 0, HIST_OUTCOME_PASSED, 5, -1, 1, 0};
	hist__history_row a = {"a.py::x", 7, 0, 0, HIST_OUTCOME_PASSED, 5, -1, 1, 0};

	ck_assert_int_eq(hist__suite_new(&s, &o, &err), HIST_OK);
	ck_assert_int_eq(hist__suite_row(s, &b), HIST_OK);
	/* A store bug, not a user error: the ids must rise. */
	ck_assert_int_eq(hist__suite_row(s, &a), HIST_OK);
	ck_assert_int_eq(hist__suite_row(s, &b), HIST_E_DB);
	ck_assert_str_eq(hist__err_msg(&err), "history out of test order at a.py::x");
	hist__suite_free(s);
	hist__err_clear(&err);
}
END_TEST

START_TEST(no_durations_means_fallback)
{
	const char *tests[] = {"a.py::x", "b.py::y"};
	row rows[] = {{"a.py::x", 0, 0, S, -1, -1}};
	hist__suite_result res;
	hist_plan *p = pass(tests, 2, rows, 1, HIST_EST_EMA, 1000, &res);

	ck_assert_int_eq(res.fallback, 1);
	ck_assert_int_eq(find(p, "b.py::y")->est_us, 0);
	ck_assert_int_eq(find(p, "b.py::y")->cost_us, 1000);
	hist__free(res.module_setup);
	hist_plan_free(p);
}
END_TEST

START_TEST(listed_tests_are_checked)
{
	const char *dup[] = {"a.py::x", "b.py::y", "a.py::x"}, *nl[] = {"a.py::x\n"}, *hash[] = {"#a"};
	hist__suite_options o = {HIST_EST_EMA, 0.3, dup, 3, NULL, NULL, NULL, 0, 0};
	hist__err err = HIST__ERR_INIT;
	hist__suite *s;

	ck_assert_int_eq(hist__suite_new(&s, &o, &err), HIST_E_INVALID);
	ck_assert_str_eq(hist__err_msg(&err), "tests[2]: duplicate nodeid a.py::x (also tests[0])");
	o.tests = nl;
	o.test_count = 1;
	ck_assert_int_eq(hist__suite_new(&s, &o, &err), HIST_E_INVALID);
	ck_assert_str_eq(hist__err_msg(&err), "tests[0]: a nodeid with a line break");
	o.tests = hash;
	ck_assert_int_eq(hist__suite_new(&s, &o, &err), HIST_E_INVALID);
	ck_assert_str_eq(hist__err_msg(&err), "tests[0]: a nodeid starting with '#'");
	hist__err_clear(&err);
}
END_TEST

/* ------------------------------------------------------------------ */
/* hist_plan_create over a history database                             */

/* A history of suite "unit": runs r1 (older) and r2 with these tests. */
static hist_db *history(void)
{
	static const struct {
		const char *run, *id;
		int64_t us;
	} res[] = {
	    {"r1", "t/a.py::slow", 9000000}, {"r1", "t/a.py::fast", 1000000}, {"r2", "t/a.py::slow", 9000000},
	    {"r2", "t/a.py::fast", 1000000}, {"r2", "t/b.py::mid", 5000000},  {"r2", "t/b.py::mid2", 4000000},
	};
	hist_db *db;
	int64_t run[2];

	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "h.db"), NULL), HIST_OK);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run[0], db, "unit", "r1", 1000), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run[1], db, "unit", "r2", 2000), HIST_OK);
	for (size_t i = 0; i < sizeof res / sizeof *res; i++) {
		hist__record r = {res[i].id, strlen(res[i].id), 0, HIST_OUTCOME_PASSED, res[i].us, -1, 1, 1};
		int added;
		ck_assert_int_eq(hist__store_result(&added, db, run[res[i].run[1] - '1'], &r), HIST_OK);
	}
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	return db;
}

START_TEST(create_plans_from_the_database)
{
	hist_db *db = history();
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist_plan_summary s = HIST_PLAN_SUMMARY_INIT;
	hist_plan *p;

	o.suite = "unit";
	o.shards = 2;
	o.test_overhead_us = 0;
	o.shard_overhead_us = 0;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	ck_assert_uint_eq(hist_plan_shard_count(p), 2);
	/* LPT: slow (9 s) | mid (5 s), mid2 (4 s) | fast (1 s) to the first. */
	ck_assert_str_eq(hist_plan_shard_test(p, 1, 0), "t/a.py::slow");
	ck_assert_str_eq(hist_plan_shard_test(p, 1, 1), "t/a.py::fast");
	ck_assert_str_eq(hist_plan_shard_test(p, 2, 0), "t/b.py::mid");
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 1), 10000000);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 2), 9000000);
	ck_assert_int_eq(hist_plan_get_summary(&s, p), HIST_OK);
	ck_assert_int_eq(s.test_overhead_source, HIST_SOURCE_OPTION);
	ck_assert_int_eq(s.lower_bound_us, 9500000);
	ck_assert_int_eq(hist_plan_fallback(p), 0);
	hist_plan_free(p);
	/* An unknown suite: an empty plan, by hash, and a warning. */
	o.suite = "integration";
	o.warning = collect_warning;
	warnings[0] = '\0';
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	ck_assert_int_eq(hist_plan_fallback(p), 1);
	ck_assert_uint_eq(hist_plan_shard_size(p, 1) + hist_plan_shard_size(p, 2), 0);
	ck_assert_ptr_nonnull(strstr(warnings, "no test to plan for suite 'integration'"));
	hist_plan_free(p);
	hist_db_free(db);
}
END_TEST

START_TEST(create_rejects_bad_options)
{
	hist_db *db = history();
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist_plan *p = (hist_plan *)1;
	const char *tests[] = {"a.py::x", "a.py::x"};

	o.shards = 0;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(hist_db_errmsg(db),
	                 "give a number of shards, a positive target or a number of tests per shard");
	o.shards = HIST_MAX_SHARDS + 1;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.shards = 2;
	o.target_us = 5;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.target_us = 0;
	o.max_tests_per_shard = 3;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.max_tests_per_shard = 0;
	o.workers = HIST_MAX_WORKERS + 1;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "257 workers: at most 256");
	o.workers = 0;
	/* Groups without the tests they belong to. */
	o.groups = tests;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "groups without tests");
	o.groups = NULL;
	o.alpha = 0;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "alpha 0: must be in (0, 1]");
	o.alpha = 1.5;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.alpha = NAN;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.alpha = 1;
	o.window = 0;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.window = 10;
	o.tests = tests;
	o.test_count = 2;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "tests[1]: duplicate nodeid a.py::x (also tests[0])");
	o.test_count = 1;
	o.version = 99;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_E_INVALID);
	o.version = HIST_PLAN_OPTIONS_VERSION;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	ck_assert_uint_eq(hist_plan_shard_size(p, 1) + hist_plan_shard_size(p, 2), 1);
	hist_plan_free(p);
	hist_db_free(db);
}
END_TEST

START_TEST(create_survives_allocation_failures)
{
	hist_db *db = history();
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	const char *tests[] = {"t/a.py::slow", "t/b.py::mid", "t/c.py::new"};
	hist_plan *p;
	int error = HIST_E_NOMEM;

	o.suite = "unit";
	o.shards = 2;
	o.tests = tests;
	o.test_count = 3;
	o.scope = HIST_SCOPE_CLASS;
	/* Fail the k-th allocation for rising k until the call succeeds: every
	 * failure must be a clean HIST_E_NOMEM (leaks show under ASan). */
	for (long k = 0; error == HIST_E_NOMEM && k < 5000; k++) {
		hist__alloc_fail_at(k);
		error = hist_plan_create(&p, db, &o);
		hist__alloc_fail_at(-1);
		if (error == HIST_E_NOMEM || error == HIST_E_DB)
			ck_assert_ptr_null(p);
		if (error == HIST_E_DB)
			error = HIST_E_NOMEM; /* SQLite's own allocations failed */
	}
	ck_assert_int_eq(error, HIST_OK);
	ck_assert_uint_eq(hist_plan_shard_size(p, 1) + hist_plan_shard_size(p, 2), 3);
	hist_plan_free(p);
	hist_db_free(db);
}
END_TEST

/* Suite `suite` of one run: module t/a.py with na tests of a_us each, t/b.py
 * with one of b_us, and the plugin's session record: collection collect_us
 * for the na + 1 tests. */
static void collect_history(hist_db *db, const char *suite, unsigned char tag, size_t na, int64_t a_us,
                            int64_t b_us, int64_t collect_us)
{
	unsigned char hash[16] = {tag};
	hist__session ses = HIST__SESSION_INIT;
	int64_t run;
	int added;

	ses.collect_us = collect_us;
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, suite, "r1", 1000), HIST_OK);
	for (size_t i = 0; i <= na; i++) {
		char id[32];
		hist__record r = {id, 0, 0, HIST_OUTCOME_PASSED, i < na ? a_us : b_us, -1, 1, 1};
		r.id_len = (size_t)snprintf(id, sizeof id, i < na ? "t/a.py::a%zu" : "t/b.py::b", i);
		ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	}
	ck_assert_int_eq(hist__store_input_add(db, hash, NULL, run, &ses, (int64_t)na + 1, 0), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
}

/* The shard (1 or 2) holding every test of t/a.py, or 0 when it is split. */
static unsigned int shard_of_module_a(const hist_plan *p)
{
	unsigned int found = 0;

	for (unsigned int k = 1; k <= hist_plan_shard_count(p); k++)
		for (size_t i = 0; i < hist_plan_shard_size(p, k); i++)
			if (strncmp(hist_plan_shard_test(p, k, i), "t/a.py::", 8) == 0) {
				if (found && found != k)
					return 0;
				found = k;
			}
	return found;
}

START_TEST(collection_is_charged_per_module)
{
	hist_db *db;
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist__overheads ov;
	hist_plan *p;
	unsigned int ka;

	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "c.db"), NULL), HIST_OK);
	/* "heavy": 3 + 1 tests of 1 s, collected in 8 s (2 s a test). */
	collect_history(db, "heavy", 1, 3, 1000000, 1000000, 8000000);
	/* "long": 3 tests of 10 s and one of 1 s, collected in 2 s (0.5 s). */
	collect_history(db, "long", 2, 3, 10000000, 1000000, 2000000);
	ck_assert_int_eq(window_overheads(&ov, db, "heavy", 10), HIST_OK);
	ck_assert_int_eq(ov.collect_per_test_us, 2000000);
	/* Runs of one size: no fixed part can be told from the per-test one. */
	ck_assert_int_eq(ov.shard_overhead_us, 0);
	ck_assert_int_eq(ov.fitted, 0);
	o.shards = 2;
	o.test_overhead_us = 0;

	/* Collection dominates: splitting t/a.py would make both shards
	 * collect it (6 s each), so it stays whole: 3 s + 6 s | 1 s + 2 s.
	 * Without the charge, 8 s of start-up on each shard and 2 s | 2 s of
	 * tests, splitting it. */
	o.suite = "heavy";
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	ka = shard_of_module_a(p);
	ck_assert_uint_ne(ka, 0);
	ck_assert_uint_eq(hist_plan_shard_size(p, ka), 3);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, ka), 9000000);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 3 - ka), 3000000);
	/* The learned start-up was this collection: none is left over. */
	ck_assert_int_eq(p->shard_overhead_us, 0);
	ck_assert_int_eq(p->shard_overhead_source, HIST_SOURCE_HISTORY);
	ck_assert_int_eq(p->collect_per_test_us, 2000000);
	hist_plan_free(p);
	/* A start-up given by the caller stays, on top of collection. */
	o.shard_overhead_us = 500000;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	ka = shard_of_module_a(p);
	ck_assert_uint_ne(ka, 0);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, ka), 9500000);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 3 - ka), 3500000);
	hist_plan_free(p);
	o.shard_overhead_us = -1;

	/* A module long enough pays for collecting it twice: 20 s + 1.5 s |
	 * 10 s + 1.5 s + 1 s + 0.5 s, against 31.5 s kept whole. */
	o.suite = "long";
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	ck_assert_uint_eq(shard_of_module_a(p), 0);
	ck_assert_uint_eq(hist_plan_shard_size(p, 1), 2);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 1), 21500000);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 2), 13000000);
	ck_assert_uint_eq(p->scopes_split, 1);
	ck_assert_int_eq(p->scope_setup_us, 1500000);
	hist_plan_free(p);
	hist_db_free(db);
}
END_TEST


/* One input as the plugin records it: a process start-up, collection with
 * a fixed part, tests with their own time and pytest's work around each. */
static hist__input_row input_of(int64_t tests, int64_t startup, int64_t per_test, int64_t coll_fixed,
                                int64_t coll_per_test, int64_t test_us, int64_t workers)
{
	int64_t coll = coll_fixed + tests * coll_per_test;

	return (hist__input_row){startup + coll + test_us + tests * per_test, coll, tests, test_us, workers, 0, -1};
}

/* The same, with the session record timing its start-up. */
static hist__input_row timed_input_of(int64_t tests, int64_t startup, int64_t per_test, int64_t coll_per_test,
                                      int64_t test_us)
{
	hist__input_row r = input_of(tests, startup, per_test, 0, coll_per_test, test_us, -1);

	r.startup_us = startup;
	return r;
}

/* Through the history and hist_plan_create: a class with 3 s of
 * setup_class (its first test's set-up) becomes one unit that pays it
 * once, beside its module's other test and another file's four. */
START_TEST(class_setup_is_planned_from_the_database)
{
	static const char *const ids[] = {"t/c.py::test_first", "t/c.py::C::t1", "t/c.py::C::t2", "t/c.py::C::t3",
	                                  "t/c.py::C::t4",      "t/d.py::x1",    "t/d.py::x2",    "t/d.py::x3",
	                                  "t/d.py::x4"};
	unsigned char hash[16] = {42};
	hist__session ses = HIST__SESSION_INIT;
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist_db *db;
	hist_plan *p;
	int64_t run;
	unsigned int k;
	int added;

	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "cls.db"), NULL), HIST_OK);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r1", 1000), HIST_OK);
	for (size_t i = 0; i < 9; i++) {
		hist__record r = {ids[i], strlen(ids[i]), 0, HIST_OUTCOME_PASSED, i == 1 ? 4001000 : 1000000,
		                  i == 1 ? 3001000 : 1000, 1, 1};
		ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	}
	ck_assert_int_eq(hist__store_input_add(db, hash, NULL, run, &ses, 9, 0), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	o.shards = 2;
	o.test_overhead_us = 0;
	o.shard_overhead_us = 0;
	o.tests = ids;
	o.test_count = 9;
	ck_assert_int_eq(hist_plan_create(&p, db, &o), HIST_OK);
	/* 7 s: C's four tests (1 s each once its set-up is taken off the
	 * first) and the set-up, whole on one shard; 5 s of 1 s tests on the
	 * other. Cut by tests, both shards would pay the set-up. */
	k = strcmp(hist_plan_shard_test(p, 1, 0), "t/c.py::C::t1") == 0 ? 1 : 2;
	ck_assert_uint_eq(hist_plan_shard_size(p, k), 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(strncmp(hist_plan_shard_test(p, k, i), "t/c.py::C::", 11), 0);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, k), 7001000);
	ck_assert_int_eq(hist_plan_shard_predicted_us(p, 3 - k), 5000000);
	hist_plan_free(p);
	hist_db_free(db);
}
END_TEST

/* One run of the history "default" with the tests t/s.py::t0..t7 (t0
 * t0_us long, t1 t1_us, the others 1 s) from `inputs` processes of
 * 8 / inputs tests. */
static void sized_run(hist_db *db, const char *ext, int64_t started, int64_t t0_us, int64_t t1_us, int inputs)
{
	hist__session ses = HIST__SESSION_INIT;
	int64_t run;
	int added;

	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", ext, started), HIST_OK);
	for (int i = 0; i < 8; i++) {
		char id[32];
		hist__record r = {id, 0, 0, HIST_OUTCOME_PASSED, i == 0 ? t0_us : i == 1 ? t1_us : 1000000, 1000, 1, 1};

		snprintf(id, sizeof id, "t/s.py::t%d", i);
		r.id_len = strlen(id);
		ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	}
	for (int k = 0; k < inputs; k++) {
		unsigned char hash[16] = {(unsigned char)(started / 1000), (unsigned char)k, 7};

		ck_assert_int_eq(hist__store_input_add(db, hash, NULL, run, &ses, 8 / inputs, 8000000 / inputs), HIST_OK);
	}
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
}

static int64_t est_of(const hist_plan *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->tests[i].id, id) == 0)
			return p->tests[i].est_us;
	return -1;
}

static void assert_estimates(hist_db *db, const hist_plan_options *o, int64_t t0_us, int64_t t1_us)
{
	hist_plan *p;

	ck_assert_int_eq(hist_plan_create(&p, db, o), HIST_OK);
	ck_assert_int_eq(est_of(p, "t/s.py::t0"), t0_us);
	ck_assert_int_eq(est_of(p, "t/s.py::t1"), t1_us);
	ck_assert_int_eq(est_of(p, "t/s.py::t2"), 1000000);
	hist_plan_free(p);
}

START_TEST(runs_of_the_shards_size_teach_their_times)
{
	static const char *const ids[] = {"t/s.py::t0", "t/s.py::t1", "t/s.py::t2", "t/s.py::t3",
	                                  "t/s.py::t4", "t/s.py::t5", "t/s.py::t6", "t/s.py::t7"};
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist_db *db;

	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "sized.db"), NULL), HIST_OK);
	o.test_overhead_us = 0;
	o.shard_overhead_us = 0;
	o.tests = ids;
	o.test_count = 8;
	o.shards = 4;
	/* A serial run (8 tests a process): t0 took 3 s, t1 1 s. */
	sized_run(db, "serial", 1000, 3000000, 1000000, 1);
	assert_estimates(db, &o, 3000000, 1000000);
	/* A plan of 4 (2 tests a process) ran t0 in 1 s, t1 in 2 s. One run
	 * of shards is not evidence enough: EMA (alpha 0.3) over all,
	 * t0 0.3 x 1 + 0.7 x 3 = 2.4 s, t1 1.3 s. */
	sized_run(db, "shards-1", 2000, 1000000, 2000000, 4);
	assert_estimates(db, &o, 2400000, 1300000);
	/* A second plan of 4: t0 1.2 s, t1 2 s. Over the two runs of the
	 * shards' size t0 is 0.3 x 1.2 + 0.7 x 1 = 1.06 s, below all runs'
	 * 0.3 x 1.2 + 0.7 x 2.4 = 2.04 s, so 1.06 s. t1 is slower there
	 * (2 s), which a small process never causes: all runs', 0.3 x 2 +
	 * 0.7 x 1.3 = 1.51 s. */
	sized_run(db, "shards-2", 3000, 1200000, 2000000, 4);
	assert_estimates(db, &o, 1060000, 1510000);
	/* A plan of 2 (4 tests a shard) is within a factor 2 of every run:
	 * all alike. So is one without a shard count (a target). */
	o.shards = 2;
	assert_estimates(db, &o, 2040000, 1510000);
	o.shards = 0;
	o.target_us = 60000000;
	assert_estimates(db, &o, 2040000, 1510000);
	/* One shard of 8 tests: only the serial run is of its size. */
	o.shards = 1;
	o.target_us = 0;
	assert_estimates(db, &o, 2040000, 1510000);
	/* The median too: t0 over the shards' runs (1 s, 1.2 s) 1.1 s,
	 * below 1.2 s over all; t1 2 s either way. */
	o.shards = 4;
	o.estimator = HIST_EST_MEDIAN;
	assert_estimates(db, &o, 1100000, 2000000);
	hist_db_free(db);
}
END_TEST

START_TEST(near_runs_by_tests_per_input)
{
	unsigned char near[4];
	/* Ages 0..3: 4 inputs of 250 tests; 2 of 500; 1 of 1,000 and an
	 * xdist input of 1,000; age 3 has no input. */
	hist__input_row rows[] = {
	    {-1, -1, 250, 0, 0, 0, -1}, {-1, -1, 250, 0, 0, 0, -1}, {-1, -1, 250, 0, 0, 0, -1},  {-1, -1, 250, 0, 0, 0, -1},
	    {-1, -1, 500, 0, 0, 1, -1}, {-1, -1, 500, 0, 0, 1, -1}, {-1, -1, 1000, 0, 0, 2, -1}, {-1, -1, 1000, 0, 4, 2, -1},
	};

	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 8, 1000, 4), 2);
	ck_assert(near[0] && near[1] && !near[2] && !near[3]);
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 8, 1000, 1), 2);
	ck_assert(!near[0] && near[1] && near[2] && !near[3]);
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 8, 120, 1), 0);
	ck_assert(!near[0] && !near[1] && !near[2] && !near[3]);
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 8, 125, 1), 1);
	ck_assert(near[0]);
	/* 5,221 tests in 8 shards (652.6 a shard) against a plan of 4's
	 * 1,305.25 tests a process: exactly the factor 2, near. */
	rows[0].tests = rows[1].tests = rows[2].tests = 1305;
	rows[3].tests = 1306;
	rows[0].age = rows[1].age = rows[2].age = rows[3].age = 0;
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 4, 5221, 8), 1);
	ck_assert(near[0]);
	rows[0].tests = 1306; /* 1,305.5 tests a process: past it */
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 4, 5221, 8), 0);
	/* Unknown shard count or suite: no preference. */
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 8, 1000, 0), 0);
	ck_assert_uint_eq(hist__estimate_near_runs(near, 4, rows, 8, 0, 4), 0);
}
END_TEST

START_TEST(overheads_fitted_from_shards_of_different_sizes)
{
	hist__input_row rows[6];
	hist__overheads ov;

	/* A serial run and the shards of plans of 2 and 4: 1.5 s start-up,
	 * 0.8 ms per test, collection 0.4 s + 0.25 ms a test. */
	rows[0] = input_of(1000, 1500000, 800, 400000, 250, 9000000, -1);
	rows[1] = input_of(500, 1500000, 800, 400000, 250, 4000000, -1);
	rows[2] = input_of(500, 1500000, 800, 400000, 250, 5000000, -1);
	rows[3] = input_of(250, 1500000, 800, 400000, 250, 2000000, -1);
	rows[4] = input_of(250, 1500000, 800, 400000, 250, 3000000, -1);
	/* Under xdist the tests' time adds up over the workers: no wall. */
	rows[5] = input_of(1000, 0, 0, 400000, 250, 40000000, 4);
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 6), HIST_OK);
	ck_assert_int_eq(ov.fitted, 3);
	ck_assert_int_eq(ov.startup_us, 1500000);
	ck_assert_int_eq(ov.test_overhead_us, 800);
	ck_assert_int_eq(ov.collect_fixed_us, 400000);
	ck_assert_int_eq(ov.collect_per_test_us, 250);
	ck_assert_int_eq(ov.shard_overhead_us, 1900000);

	/* Only runs of one size: the history cannot tell, so the fixed parts
	 * are 0 and each per-test part the median ratio (as before shards). */
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 1), HIST_OK);
	ck_assert_int_eq(ov.fitted, 0);
	ck_assert_int_eq(ov.shard_overhead_us, 0);
	ck_assert_int_eq(ov.test_overhead_us, 1500000 / 1000 + 800);
	ck_assert_int_eq(ov.collect_per_test_us, 400000 / 1000 + 250);
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows + 1, 2), HIST_OK);
	ck_assert_int_eq(ov.fitted, 0);

	/* Collection that shrinks more than in proportion (a negative fixed
	 * part) is all per test; a rest that grows as tests fall (a negative
	 * slope) is all fixed. */
	rows[0] = (hist__input_row){10000000, 1000000, 1000, 8000000, -1, 0, -1};
	rows[1] = (hist__input_row){6000000, 300000, 500, 4000000, -1, 0, -1};
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 2), HIST_OK);
	ck_assert_int_eq(ov.fitted, 3);
	ck_assert_int_eq(ov.collect_fixed_us, 0);
	ck_assert_int_eq(ov.collect_per_test_us, (1000 + 600) / 2);
	ck_assert_int_eq(ov.test_overhead_us, 0);
	ck_assert_int_eq(ov.startup_us, (1000000 + 1700000) / 2);

	/* No session records at all: nothing learned. */
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 0), HIST_OK);
	ck_assert_int_eq(ov.shard_overhead_us, -1);
	ck_assert_int_eq(ov.test_overhead_us, -1);
	ck_assert_int_eq(ov.collect_per_test_us, -1);
}
END_TEST

/* Session records that time the start-up: it is known from runs of one
 * size (the first serial runs), and the per-test overhead is what is left
 * of the rest. Inputs without a timed start-up do not mix into the line. */
START_TEST(overheads_with_timed_startups)
{
	hist__input_row rows[4];
	hist__overheads ov;

	/* Two serial runs: start-ups 0.9 and 3.1 s (the first compiled the
	 * suite), 0.3 ms a test, collection 2 ms a test. */
	rows[0] = timed_input_of(5000, 900000, 300, 2000, 80000000);
	rows[1] = timed_input_of(5000, 3100000, 300, 2000, 78000000);
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 2), HIST_OK);
	ck_assert_int_eq(ov.fitted, 0);
	ck_assert_int_eq(ov.startup_us, (900000 + 3100000) / 2);
	ck_assert_int_eq(ov.shard_overhead_us, (900000 + 3100000) / 2);
	ck_assert_int_eq(ov.test_overhead_us, 300);
	ck_assert_int_eq(ov.collect_per_test_us, 2000);

	/* Shards of another size fit the rest's line: no fixed part left. */
	rows[2] = timed_input_of(1000, 700000, 300, 2000, 20000000);
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 3), HIST_OK);
	ck_assert_int_eq(ov.fitted, 3);
	ck_assert_int_eq(ov.startup_us, 900000);
	ck_assert_int_eq(ov.test_overhead_us, 300);

	/* A JUnit input (no start-up timed) with a slow rest stays out. */
	rows[3] = input_of(2000, 0, 9000, 0, 2000, 30000000, -1);
	ck_assert_int_eq(hist__estimate_overheads(&ov, rows, 4), HIST_OK);
	ck_assert_int_eq(ov.startup_us, 900000);
	ck_assert_int_eq(ov.test_overhead_us, 300);
}
END_TEST

/* The two walks of hist__store_window (what planning uses: each test id's
 * samples, ids rising, then the names in name order) give what the rows
 * one by one give (hist__suite_row, names compared on every row), on
 * random histories: nodeids and JUnit keys, every outcome, unknown
 * durations, ids in another order than names, ids with results but no
 * name (results of tests the names walk never reaches), with and without
 * the collected list, every estimator. 300 tests: the rows' stats and
 * flags grow past their first 256 ids. */
typedef struct {
	char name[48];
	int is_key;
} named;

static int named_order(const void *a, const void *b)
{
	const named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->is_key - y->is_key;
}

static char *suite_text(hist__suite_result *res)
{
	hist__buf out = HIST__BUF_INIT(0);

	ck_assert_int_eq(hist__buf_printf(&out, "%zu %zu %d %zu %zu\n", res->n, res->without_history, res->fallback,
	                                  res->key_only, res->bad_ids), HIST_OK);
	/* --estimator auto: the choice and the backtest it came from. */
	ck_assert_int_eq(hist__buf_printf(&out, "e%d %lld %lld %lld %llu\n", (int)res->estimator,
	                                  (long long)res->backtest_err_us[0], (long long)res->backtest_err_us[1],
	                                  (long long)res->backtest_err_us[2], (unsigned long long)res->backtest_n),
	                 HIST_OK);
	for (size_t i = 0; i < res->n; i++)
		ck_assert_int_eq(hist__buf_printf(&out, "%s %u %lld %lld %d\n", res->tests[i].id, res->tests[i].module,
		                                  (long long)res->tests[i].est_us, (long long)res->tests[i].cost_us,
		                                  res->tests[i].known), HIST_OK);
	for (size_t m = 0; m < res->modules; m++)
		ck_assert_int_eq(hist__buf_printf(&out, "m%zu %lld\n", m, (long long)res->module_setup[m]), HIST_OK);
	hist__free(res->tests);
	hist__free(res->module_setup);
	hist__arena_free(res->arena);
	return hist__buf_detach(&out);
}

START_TEST(suite_walks_equal_suite_row)
{
	enum { TESTS = 300, ROWS = 6, IDS = 2 * TESTS + 2 };
	static named names[TESTS];
	static hist__history_sample rows[TESTS][ROWS];
	static size_t nrows[TESTS];
	static const char *list[TESTS];
	static int64_t id_of[TESTS];
	static int by_id[IDS]; /* test index + 1, 0: none */
	uint64_t rng = 42;

	for (int round = 0; round < 12; round++) {
		hist__suite_options o = {(hist_estimator)(round % 4), 0.3, NULL, 0, NULL, NULL, NULL, 0, 0};
		hist__suite_result ra, rb;
		hist__err err = HIST__ERR_INIT;
		hist__suite *a, *b;
		char *ta, *tb;
		size_t nlist = 0;

		for (int t = 0; t < TESTS; t++) {
			char id[48];
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			snprintf(id, sizeof id, "tests/m%u.py::t%u", (unsigned)(rng >> 60), (unsigned)(rng >> 40) % 997);
			names[t].is_key = (rng >> 20) % 5 == 0;
			if (names[t].is_key)
				ck_assert_int_gt(hist_nodeid_junit_key(names[t].name, sizeof names[t].name, id, strlen(id)), 0);
			else
				strcpy(names[t].name, id);
			nrows[t] = (rng >> 24) % (ROWS + 1);
			for (size_t j = 0; j < nrows[t]; j++) {
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				rows[t][j] = (hist__history_sample){(rng >> 33) % 9 ? (int64_t)((rng >> 20) % 100000) : -1,
				                                   (rng >> 50) % 3 ? (int64_t)((rng >> 8) % 5000) : -1,
				                                   1, (uint16_t)(ROWS - 1 - j), (unsigned char)((rng >> 40) % 6)};
			}
		}
		qsort(names, TESTS, sizeof names[0], named_order);
		if ((round / 4) % 2) {
			for (int t = 0; t < TESTS; t++)
				if (!names[t].is_key && (t == 0 || strcmp(names[t].name, names[t - 1].name)))
					list[nlist++] = names[t].name;
			o.tests = list;
			o.test_count = nlist;
		}
		ck_assert_int_eq(hist__suite_new(&a, &o, &err), HIST_OK);
		ck_assert_int_eq(hist__suite_new(&b, &o, &err), HIST_OK);
		/* Test ids: a random one-to-one map into 0..IDS-1 with gaps. */
		memset(by_id, 0, sizeof by_id);
		for (int t = 0; t < TESTS; t++) {
			int64_t id;
			do {
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				id = (int64_t)((rng >> 33) % IDS);
			} while (by_id[id]);
			id_of[t] = id;
			by_id[id] = t + 1;
		}
		for (int t = 0; t < TESTS; t++) {
			/* The same name twice in a row is one test to the rows. */
			if (t && !named_order(&names[t], &names[t - 1]))
				continue;
			for (size_t j = 0; j < nrows[t]; j++) {
				hist__history_row h = {names[t].name, strlen(names[t].name), names[t].is_key, rows[t][j].age,
				                       (hist_outcome)rows[t][j].outcome, rows[t][j].duration_us,
				                       rows[t][j].setup_us, 1, 0};
				ck_assert_int_eq(hist__suite_row(a, &h), HIST_OK);
			}
		}
		ck_assert_int_eq(hist__suite_begin(b, IDS - 1), HIST_OK);
		for (int64_t id = 0; id < IDS; id++) {
			int t = by_id[id] - 1;
			if (t < 0 || !nrows[t])
				continue;
			ck_assert_int_eq(hist__suite_samples(b, id, rows[t], nrows[t]), HIST_OK);
		}
		for (int t = 0; t < TESTS; t++) {
			/* A duplicate name is a test without a name (its id is
			 * never named); tests without rows are named too. */
			if (t && !named_order(&names[t], &names[t - 1]))
				continue;
			ck_assert_int_eq(hist__suite_named(b, id_of[t], names[t].name, strlen(names[t].name),
			                                   names[t].is_key), HIST_OK);
		}
		ck_assert_int_eq(hist__suite_finish(a, 7, &ra), HIST_OK);
		ck_assert_int_eq(hist__suite_finish(b, 7, &rb), HIST_OK);
		ta = suite_text(&ra);
		tb = suite_text(&rb);
		ck_assert_str_eq(ta, tb);
		ck_assert_ptr_nonnull(strchr(ta, '\n'));
		free(ta);
		free(tb);
		hist__suite_free(a);
		hist__suite_free(b);
		hist__err_clear(&err);
	}
}
END_TEST

Suite *check_estimate_suite(void);
Suite *check_estimate_suite(void)
{
	Suite *s = suite_create("estimate");
	TCase *tc = tcase_create("estimate"), *db = tcase_create("database");

	tcase_add_test(tc, ema_median_last_by_hand);
	tcase_add_test(tc, suite_walks_equal_suite_row);
	tcase_add_test(tc, median_of_many_matches_sorting);
	tcase_add_test(tc, test_list_reads_collect_only_output);
	tcase_add_test(tc, test_list_reads_the_collect_file);
	tcase_add_test(tc, test_list_rejects_what_is_not_a_list);
	tcase_add_test(tc, test_list_rejects_long_lines);
	tcase_add_test(tc, test_list_reads_files);
	tcase_add_test(tc, listed_suite_takes_history_by_nodeid_then_key);
	tcase_add_test(tc, estimators_over_the_window);
	tcase_add_test(tc, spread_by_hand);
	tcase_add_test(tc, spread_reaches_the_plan_tests);
	tcase_add_test(tc, auto_picks_what_predicted_best);
	tcase_add_test(tc, unlisted_suite_is_the_newest_run);
	tcase_add_test(tc, key_history_fills_a_test_without_its_own);
	tcase_add_test(tc, key_spelt_like_a_nodeid_is_listed_once);
	tcase_add_test(tc, module_setup_from_the_opener);
	tcase_add_test(tc, no_durations_means_fallback);
	tcase_add_test(tc, scopes_listed_out_of_order_keep_their_ids);
	tcase_add_test(tc, module_opener_is_the_first_collected);
	tcase_add_test(tc, history_out_of_order_is_refused);
	tcase_add_test(tc, progress_while_reading);
	tcase_add_test(tc, listed_tests_are_checked);
	tcase_add_test(tc, overheads_with_timed_startups);
	tcase_add_test(tc, overheads_fitted_from_shards_of_different_sizes);
	tcase_add_test(tc, near_runs_by_tests_per_input);
	tcase_add_test(tc, class_setup_from_the_opener);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(db, scratch_make, scratch_remove);
	tcase_set_timeout(db, 60);
	tcase_add_test(db, create_plans_from_the_database);
	tcase_add_test(db, create_rejects_bad_options);
	tcase_add_test(db, create_survives_allocation_failures);
	tcase_add_test(db, collection_is_charged_per_module);
	tcase_add_test(db, class_setup_is_planned_from_the_database);
	tcase_add_test(db, runs_of_the_shards_size_teach_their_times);
	suite_add_tcase(s, db);
	return s;
}
