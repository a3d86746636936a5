/* check_history.c - keeping and reading the history: hist_db_prune (what
 * goes, dry runs, bad options), the histstats rules at their edges, and
 * which run an input's content counts in. */
#include <stdint.h>
#include <string.h>

#include "check_util.h"
#include "store.h"

typedef struct {
	char seen[512];
} removed;

static void on_removed(const hist_pruned_run *r, void *payload)
{
	removed *x = payload;
	size_t n = strlen(x->seen);

	snprintf(x->seen + n, sizeof x->seen - n, "%s/%s:%lld ", r->suite, r->run_id, (long long)r->results);
}

/* Runs r1..r4 of "a" (r3 started last), u1, u2 of "b"; old.py only in r1. */
static hist_db *history(void)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	static const struct {
		const char *suite, *run;
		int64_t start;
	} runs[] = { { "a", "r1", 100 }, { "a", "r2", 200 }, { "a", "r3", 400 }, { "a", "r4", 300 },
		{ "b", "u1", 100 }, { "b", "u2", 200 } };

	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		put_result(db, runs[i].suite, runs[i].run, runs[i].start, "t.py::x", 0, HIST_OUTCOME_PASSED, 1000, 1);
		put_result(db, runs[i].suite, runs[i].run, runs[i].start, "t.py::y", 0, HIST_OUTCOME_PASSED, 2000, 1);
	}
	put_result(db, "a", "r1", 100, "old.py::z", 0, HIST_OUTCOME_PASSED, 5, 1);
	return db;
}

START_TEST(prune_keeps_the_newest_by_start)
{
	hist_db *db = history();
	hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
	hist_prune_stats st;
	removed x = { "" };

	o.keep_runs = 2;
	o.dry_run = 1;
	o.removed_run = on_removed;
	o.payload = &x;
	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_OK);
	/* r3 started last, then r4: r1 and r2 go; b keeps both. */
	ck_assert_str_eq(x.seen, "a/r1:3 a/r2:2 ");
	ck_assert_int_eq(st.runs, 2);
	ck_assert_int_eq(st.results, 5);
	ck_assert_int_eq(st.tests, 1);
	ck_assert_int_eq(st.runs_kept, 4);
	counts_are(db, NULL, 6, 3, 13); /* a dry run changes nothing */
	x.seen[0] = '\0';
	o.dry_run = 0;
	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_OK);
	ck_assert_str_eq(x.seen, "a/r1:3 a/r2:2 ");
	counts_are(db, NULL, 4, 2, 8);
	counts_are(db, "a", 2, 2, 4);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	/* Again: nothing left to remove. */
	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_OK);
	ck_assert_int_eq(st.runs, 0);
	hist_db_free(db);
}
END_TEST

START_TEST(prune_by_age_one_suite_and_unseen)
{
	hist_db *db = history();
	hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
	hist_prune_stats st;

	/* Before 200: r1 and u1; only suite b asked. */
	o.suite = "b";
	o.before_us = 200;
	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_OK);
	ck_assert_int_eq(st.runs, 1);
	counts_are(db, "b", 1, 2, 2);
	counts_are(db, "a", 4, 3, 9);
	/* old.py is in none of a's newest 2 runs: its one result goes. */
	o = (hist_prune_options)HIST_PRUNE_OPTIONS_INIT;
	o.drop_unseen = 2;
	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_OK);
	ck_assert_int_eq(st.runs, 0);
	ck_assert_int_eq(st.unseen_tests, 1);
	ck_assert_int_eq(st.unseen_results, 1);
	ck_assert_int_eq(st.tests, 1);
	counts_are(db, "a", 4, 2, 8);
	hist_db_free(db);
}
END_TEST

START_TEST(prune_refuses_options_that_remove_nothing)
{
	hist_db *db = history();
	hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
	hist_prune_stats st;

	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_E_INVALID);
	o.keep_runs = 1;
	o.version = 99;
	ck_assert_int_eq(hist_db_prune(&st, db, &o), HIST_E_INVALID);
	counts_are(db, NULL, 6, 3, 13);
	hist_db_free(db);
}
END_TEST

static int in_list(const hist_stats *st, hist_stats_list l, const char *id)
{
	for (size_t i = 0; i < hist_stats_count(st, l); i++)
		if (strcmp(hist_stats_get(st, l, i)->nodeid, id) == 0)
			return 1;
	return 0;
}

/* Regressions at the edges of "2 times and 0.5 s more, 3 results before". */
START_TEST(stats_regression_edges)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_stats *st = NULL;
	char run[16];

	for (int r = 0; r < 4; r++) {
		snprintf(run, sizeof run, "r%d", r);
		int last = r == 3;
		put_result(db, "default", run, r, "t::exact", 0, HIST_OUTCOME_PASSED, last ? 1000000 : 500000, 1);
		put_result(db, "default", run, r, "t::under", 0, HIST_OUTCOME_PASSED, last ? 999999 : 500000, 1);
		put_result(db, "default", run, r, "t::small", 0, HIST_OUTCOME_PASSED, last ? 900000 : 400001, 1);
		put_result(db, "default", run, r, "t::flaky", 0, r == 1 ? HIST_OUTCOME_FAILED : HIST_OUTCOME_PASSED, 10, 1);
		put_result(db, "default", run, r, "t::rerun", 0, HIST_OUTCOME_PASSED, 10, r == 2 ? 2 : 1);
		put_result(db, "default", run, r, "t::broken", 0, HIST_OUTCOME_FAILED, 10, 1);
		if (r < 1)
			put_result(db, "default", run, r, "t::gone", 0, HIST_OUTCOME_PASSED, 10, 1);
		if (r < 2)
			put_result(db, "default", run, r, "t::recent", 0, HIST_OUTCOME_PASSED, 10, 1);
	}
	/* Three earlier results are needed: two are not enough. */
	put_result(db, "default", "r1", 1, "t::young", 0, HIST_OUTCOME_PASSED, 500000, 1);
	put_result(db, "default", "r2", 2, "t::young", 0, HIST_OUTCOME_PASSED, 500000, 1);
	put_result(db, "default", "r3", 3, "t::young", 0, HIST_OUTCOME_PASSED, 5000000, 1);
	ck_assert_int_eq(hist_stats_create(&st, db, NULL), HIST_OK);
	ck_assert(in_list(st, HIST_STATS_REGRESSIONS, "t::exact"));
	ck_assert(!in_list(st, HIST_STATS_REGRESSIONS, "t::under"));
	ck_assert(!in_list(st, HIST_STATS_REGRESSIONS, "t::small"));
	ck_assert(!in_list(st, HIST_STATS_REGRESSIONS, "t::young"));
	ck_assert(in_list(st, HIST_STATS_FLAKY, "t::flaky"));
	ck_assert(in_list(st, HIST_STATS_FLAKY, "t::rerun"));
	ck_assert(!in_list(st, HIST_STATS_FLAKY, "t::broken"));
	ck_assert(in_list(st, HIST_STATS_UNSEEN, "t::gone"));     /* last ran 3 runs ago */
	ck_assert(!in_list(st, HIST_STATS_UNSEEN, "t::recent")); /* 2 runs ago */
	ck_assert_int_eq(hist_stats_get(st, HIST_STATS_SLOWEST, 0)->estimate_us, 500000);
	hist_stats_free(st);
	hist_db_free(db);
}
END_TEST

START_TEST(owner_is_the_run_first_by_suite_and_id)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__session ses = HIST__SESSION_INIT;
	unsigned char h1[16] = { 1 }, h2[16] = { 2 };
	int64_t run, tests;
	int state;

	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "m", 1), HIST_OK);
	ck_assert_int_eq(hist__store_input_add(db, h1, NULL, run, &ses, 7, 0), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	ck_assert_int_eq(hist__store_input_owner(&state, &tests, db, h2, "default", "a", "x", 0), HIST_OK);
	ck_assert_int_eq(state, HIST__INPUT_NEW);
	ck_assert_int_eq(hist__store_input_owner(&state, &tests, db, h1, "default", "z", "x", 0), HIST_OK);
	ck_assert_int_eq(state, HIST__INPUT_HELD);
	ck_assert_int_eq(tests, 7);
	ck_assert_int_eq(hist__store_input_owner(&state, &tests, db, h1, "default", "m", "x", 0), HIST_OK);
	ck_assert_int_eq(state, HIST__INPUT_HELD);
	/* "a" sorts before "m", which holds nothing else: it gives it up. */
	ck_assert_int_eq(hist__store_input_owner(&state, &tests, db, h1, "default", "a", "x", 0), HIST_OK);
	ck_assert_int_eq(state, HIST__INPUT_TAKE);
	/* With a second input, m cannot give up only one. */
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_input_add(db, h2, NULL, run, &ses, 1, 0), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	ck_assert_int_eq(hist__store_input_owner(&state, &tests, db, h1, "default", "a", "x.xml", 0), HIST_E_INVALID);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "x.xml: already stored in run m"));
	hist_db_free(db);
}
END_TEST

Suite *check_history_suite(void);
Suite *check_history_suite(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");

	tcase_add_checked_fixture(tc, scratch_make, scratch_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, prune_keeps_the_newest_by_start);
	tcase_add_test(tc, prune_by_age_one_suite_and_unseen);
	tcase_add_test(tc, prune_refuses_options_that_remove_nothing);
	tcase_add_test(tc, stats_regression_edges);
	tcase_add_test(tc, owner_is_the_run_first_by_suite_and_id);
	suite_add_tcase(s, tc);
	return s;
}
