/* check_store_plans.c - plans stored by histmerge --plan: read back beside
 * the shards' reports, one version kept whatever the order, carried by
 * merges order-free, and pruned with the runs that ran them. */
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "check_util.h"
#include "store.h"
#include "store_db.h"

static void plan(hist_db *db, const char *suite, const char *id, int64_t stored, unsigned int shards,
	const int64_t *pred)
{
	size_t tests[8];
	hist_plan_record p = { suite, id, stored, shards, pred, tests };

	for (unsigned int k = 0; k < shards; k++)
		tests[k] = 10 * (k + 1);
	ck_assert_msg(hist_db_plan_add(db, &p) == HIST_OK, "%s", hist_db_errmsg(db));
}

/* A shard's report: its session record names the plan and shard. */
static void report(hist_db *db, const char *suite, const char *run, int64_t start, unsigned char tag,
	const char *plan_id, int shard, int shards, int64_t wall)
{
	hist__session s = HIST__SESSION_INIT;

	s.wall_us = wall;
	s.plan_id = plan_id;
	s.shard_index = shard;
	s.shard_total = shards;
	put_input(db, suite, run, start, tag, &s, 1, 1);
}

/* Each plan run as one line: "suite plan run start | tests pred actual reports ...". */
static int line(const hist_plan_run *r, void *payload)
{
	hist__buf *b = payload;

	ck_assert_int_eq(hist__buf_printf(b, "%s %s %s %lld |", r->suite, r->plan_id, r->run_id ? r->run_id : "-",
				 (long long)r->started_us), HIST_OK);
	for (unsigned int k = 0; k < r->shards; k++)
		ck_assert_int_eq(hist__buf_printf(b, " %zu/%lld/%lld/%u", r->shard[k].tests,
					 (long long)r->shard[k].predicted_us, (long long)r->shard[k].actual_us,
					 r->shard[k].reports), HIST_OK);
	ck_assert_int_eq(hist__buf_putc(b, '\n'), HIST_OK);
	return 0;
}

static char *runs_of(hist_db *db, const char *suite, size_t limit)
{
	hist__buf b = HIST__BUF_INIT(0);

	ck_assert_msg(hist_db_plan_runs(db, suite, limit, line, &b) == HIST_OK, "%s", hist_db_errmsg(db));
	return b.ptr ? b.ptr : hist__strdup("");
}

#define P1 "00000000000000a1"
#define P2 "00000000000000b2"
#define P3 "00000000000000c3"

START_TEST(plans_read_back_beside_their_reports)
{
	static const int64_t p1[3] = { 5000000, 4000000, 3000000 }, p2[2] = { 7, 8 }, p3[1] = { 9 };
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	char *got;

	plan(db, "default", P1, 50, 3, p1);
	plan(db, "default", P2, 60, 2, p2);
	plan(db, "unit", P3, 70, 1, p3);
	/* P1 ran in r1 (shard 2 missing; shard 3 reported twice, the
	 * longer counts) and again in r2 (shard 1 only, no wall time). */
	report(db, "default", "r1", 100, 1, P1, 1, 3, 5500000);
	report(db, "default", "r1", 100, 2, P1, 3, 3, 2000000);
	report(db, "default", "r1", 100, 3, P1, 3, 3, 2500000);
	report(db, "default", "r2", 200, 4, P1, 1, 3, -1);
	/* A report of P1 in another suite is not this plan's run. */
	report(db, "unit", "u1", 300, 5, P1, 2, 3, 1);
	got = runs_of(db, NULL, 0);
	ck_assert_str_eq(got, "default " P1 " r2 200 | 10/5000000/-1/1 20/4000000/-1/0 30/3000000/-1/0\n"
			      "default " P1 " r1 100 | 10/5000000/5500000/1 20/4000000/-1/0 30/3000000/2500000/2\n"
			      "unit " P3 " - 70 | 10/9/-1/0\n"
			      "default " P2 " - 60 | 10/7/-1/0 20/8/-1/0\n");
	free(got);
	got = runs_of(db, "default", 2);
	ck_assert_str_eq(got, "default " P1 " r2 200 | 10/5000000/-1/1 20/4000000/-1/0 30/3000000/-1/0\n"
			      "default " P1 " r1 100 | 10/5000000/5500000/1 20/4000000/-1/0 30/3000000/2500000/2\n");
	free(got);
	got = runs_of(db, "none", 0);
	ck_assert_str_eq(got, "");
	free(got);
	hist_db_free(db);
}
END_TEST

START_TEST(plans_refuse_what_is_not_a_plan)
{
	static const int64_t neg[1] = { -1 }, ok[1] = { 1 };
	size_t tests[1] = { 1 };
	hist_plan_record bad_id = { "default", "00000000000000A1", 1, 1, ok, tests };
	hist_plan_record no_shards = { "default", P1, 1, 0, ok, tests };
	hist_plan_record negative = { "default", P1, 1, 1, neg, tests };
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	char *d;

	ck_assert_int_eq(hist_db_plan_add(db, &bad_id), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "plan id 00000000000000A1 is not 16 hex digits");
	ck_assert_int_eq(hist_db_plan_add(db, &no_shards), HIST_E_INVALID);
	ck_assert_int_eq(hist_db_plan_add(db, &negative), HIST_E_INVALID);
	d = dump(db);
	ck_assert_str_eq(d, "");
	free(d);
	hist_db_free(db);
}
END_TEST

/* Three versions of one plan, added in every order: the same one stays. */
START_TEST(plans_keep_one_version_whatever_the_order)
{
	static const int64_t a[2] = { 10, 30 }, b[2] = { 10, 20 }, c[2] = { 5, 90 };
	static const int order[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	const int64_t *pred[3] = { a, b, c };
	const int64_t stored[3] = { 100, 100, 200 };
	char *first = NULL;

	for (int o = 0; o < 6; o++) {
		char name[16];
		hist_db *db;

		snprintf(name, sizeof name, "h%d.db", o);
		db = open_ok(scratch_path(0, name));
		char *d;

		for (int k = 0; k < 3; k++)
			plan(db, "default", P1, stored[order[o][k]], 2, pred[order[o][k]]);
		d = dump(db);
		/* b: the earliest stored, and below a at its first difference. */
		ck_assert_str_eq(d, "plan|default|" P1 "|100|2\n"
				    "plan_shard|default|" P1 "|1|10|10\n"
				    "plan_shard|default|" P1 "|2|20|20\n");
		if (first)
			ck_assert_str_eq(d, first);
		free(first);
		first = d;
		hist_db_free(db);
	}
	free(first);
}
END_TEST

static void make_histories(const char *a, const char *b)
{
	static const int64_t pa[2] = { 10, 30 }, pb[2] = { 10, 20 }, q[1] = { 4 };
	hist_db *db = open_ok(a);

	plan(db, "default", P1, 100, 2, pa);
	plan(db, "unit", P3, 50, 1, q);
	report(db, "default", "r1", 1000, 1, P1, 1, 2, 11);
	hist_db_free(db);
	db = open_ok(b);
	plan(db, "default", P1, 100, 2, pb);
	plan(db, "default", P2, 300, 1, q);
	report(db, "default", "r2", 2000, 2, P1, 2, 2, 22);
	hist_db_free(db);
}

START_TEST(plans_merge_order_free)
{
	char *ab, *ba, *twice;

	make_histories(scratch_path(0, "a.db"), scratch_path(1, "b.db"));
	ab = merged(scratch_path(2, "ab.db"), scratch_path(0, "a.db"), scratch_path(1, "b.db"), 0);
	ba = merged(scratch_path(3, "ba.db"), scratch_path(1, "b.db"), scratch_path(0, "a.db"), 0);
	twice = merged(scratch_path(3, "twice.db"), scratch_path(0, "a.db"), scratch_path(1, "b.db"), 1);
	ck_assert_str_eq(ab, ba);
	ck_assert_str_eq(ab, twice);
	ck_assert_ptr_nonnull(strstr(ab, "plan|default|" P1 "|100|2\n"
					 "plan|default|" P2 "|300|1\n"
					 "plan|unit|" P3 "|50|1\n"
					 "plan_shard|default|" P1 "|1|10|10\n"
					 "plan_shard|default|" P1 "|2|20|20\n"
					 "plan_shard|default|" P2 "|1|10|4\n"
					 "plan_shard|unit|" P3 "|1|10|4\n"));
	free(ab);
	free(ba);
	free(twice);
}
END_TEST

START_TEST(plans_merge_refuses_a_plan_missing_shards)
{
	static const int64_t p[2] = { 1, 2 };
	hist_db *db = open_ok(scratch_path(0, "src.db"));
	hist_ingest_stats st;
	char *before, *after;

	plan(db, "default", P1, 1, 2, p);
	ck_assert_int_eq(hist__store_exec(db, "DELETE FROM plan_shards WHERE shard = 2"), HIST_OK);
	hist_db_free(db);
	db = open_ok(scratch_path(1, "h.db"));
	plan(db, "default", P2, 1, 2, p);
	before = dump(db);
	ck_assert_int_eq(hist__store_merge(&st, db, scratch_path(0, "src.db"), "src.db"), HIST_E_DB);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "plan " P1 " has 2 shards but its shard rows are not 1 to 2"));
	after = dump(db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	hist_db_free(db);
}
END_TEST

static int64_t prune_keep(hist_db *db, unsigned int keep)
{
	hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
	hist_prune_stats st;

	o.keep_runs = keep;
	ck_assert_msg(hist_db_prune(&st, db, &o) == HIST_OK, "%s", hist_db_errmsg(db));
	return st.plans;
}

/* A plan goes when no run left ran it; one no run ran stays while it is
 * newer than the oldest run kept. */
START_TEST(plans_go_with_their_runs)
{
	static const int64_t p[1] = { 1 };
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	char *d;

	plan(db, "default", P1, 150, 1, p); /* ran in r1 only */
	plan(db, "default", P2, 250, 1, p); /* ran in r1 and r3 */
	plan(db, "default", P3, 450, 1, p); /* ran nowhere, newer than r3 */
	report(db, "default", "r1", 100, 1, P1, 1, 1, 5);
	report(db, "default", "r1", 100, 2, P2, 1, 1, 5);
	report(db, "default", "r2", 200, 3, NULL, 0, 0, 5);
	report(db, "default", "r3", 300, 4, P2, 1, 1, 5);
	report(db, "default", "r4", 400, 5, NULL, 0, 0, 5);
	ck_assert_int_eq(prune_keep(db, 3), 1);
	plan(db, "unit", P3, 1, 1, p); /* another suite, no run there */
	d = dump(db);
	ck_assert_ptr_null(strstr(d, "plan|default|" P1));
	ck_assert_ptr_nonnull(strstr(d, "plan|default|" P2));
	ck_assert_ptr_nonnull(strstr(d, "plan|default|" P3));
	ck_assert_ptr_null(strstr(d, "plan_shard|default|" P1));
	free(d);
	/* r3 goes: P2 has no run left; P3 (450) is still newer than r4. The
	 * unit suite has no run and holds one plan that no run ran: it goes. */
	ck_assert_int_eq(prune_keep(db, 1), 2);
	d = dump(db);
	ck_assert_str_eq(d, "run|default|r4|400\n"
			    "input|05000000000000000000000000000000|default|r4|5|NULL|NULL|NULL|NULL|NULL|1|1|NULL\n"
			    "plan|default|" P3 "|450|1\n"
			    "plan_shard|default|" P3 "|1|10|1\n");
	free(d);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	hist_db_free(db);
}
END_TEST

Suite *check_store_plans_suite(void);
Suite *check_store_plans_suite(void)
{
	Suite *s = suite_create("store_plans");
	TCase *tc = tcase_create("store_plans");

	tcase_add_checked_fixture(tc, scratch_make, scratch_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, plans_read_back_beside_their_reports);
	tcase_add_test(tc, plans_refuse_what_is_not_a_plan);
	tcase_add_test(tc, plans_keep_one_version_whatever_the_order);
	tcase_add_test(tc, plans_merge_order_free);
	tcase_add_test(tc, plans_merge_refuses_a_plan_missing_shards);
	tcase_add_test(tc, plans_go_with_their_runs);
	suite_add_tcase(s, tc);
	return s;
}
