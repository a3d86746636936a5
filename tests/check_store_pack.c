/* check_store_pack.c - the packed results (store_pack.c) against the full
 * computation: on randomized histories (runs out of order, results met
 * again and raised, rolled-back transactions, merges, prunes) the window
 * read and the plan from the packs equal, byte for byte, what the results
 * table gives with the packs ignored. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "hist.h"
#include "store.h"
#include "store_db.h"

/* splitmix64: the same histories on every machine. */
static uint64_t rng_state;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

typedef struct {
	hist__buf out;
} rows_text;

static int add_row(void *payload, const hist__history_row *row)
{
	rows_text *c = payload;

	ck_assert_int_eq(hist__buf_printf(&c->out, "%.*s|%d|%u|%d|%lld|%lld|%u\n", (int)row->id_len, row->id,
				 row->id_is_key, row->age, (int)row->outcome, (long long)row->duration_us,
				 (long long)row->setup_us, row->attempts),
		HIST_OK);
	return 0;
}

static char *window_text(hist_db *db, const char *suite, unsigned window, int packs)
{
	rows_text c = { HIST__BUF_INIT(0) };

	hist__store_test_no_packs(db, !packs);
	ck_assert_msg(hist__store_each_result(db, suite, window, add_row, &c) == HIST_OK, "%s", hist_db_errmsg(db));
	hist__store_test_no_packs(db, 0);
	return hist__buf_detach(&c.out);
}

static int add_text(const char *data, size_t len, void *payload)
{
	return hist__buf_put(payload, data, len);
}

static char *plan_text(hist_db *db, const char *suite, int packs)
{
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist__buf out = HIST__BUF_INIT(0);
	hist_plan *plan = NULL;

	o.suite = suite;
	o.shards = 4;
	o.window = 3;
	hist__store_test_no_packs(db, !packs);
	ck_assert_msg(hist_plan_create(&plan, db, &o) == HIST_OK, "%s", hist_db_errmsg(db));
	hist__store_test_no_packs(db, 0);
	ck_assert_int_eq(hist_plan_json(plan, add_text, &out), HIST_OK);
	hist_plan_free(plan);
	return hist__buf_detach(&out);
}

/* Every window of both suites, and a plan, agree with packs on and off. */
static void agree(hist_db *db, int step)
{
	static const char *const suites[] = { "default", "other" };
	static const unsigned windows[] = { 1, 2, 3, 10, 1000 };

	for (size_t s = 0; s < 2; s++) {
		for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
			char *a = window_text(db, suites[s], windows[w], 1), *b = window_text(db, suites[s], windows[w], 0);
			ck_assert_msg(strcmp(a, b) == 0, "step %d, suite %s, window %u: packs differ from results", step,
				suites[s], windows[w]);
			free(a);
			free(b);
		}
		char *a = plan_text(db, suites[s], 1), *b = plan_text(db, suites[s], 0);
		ck_assert_msg(strcmp(a, b) == 0, "step %d, suite %s: plans differ", step, suites[s]);
		free(a);
		free(b);
	}
}

/* One random input: a run (maybe one seen before, maybe started earlier
 * than the newest) and results for a random subset of 3,000 tests (test
 * ids span three pack chunks), some repeated with other values. Commits,
 * or now and then rolls back. */
static void random_input(hist_db *db)
{
	char run_id[32], name[64];
	int64_t run, added;
	hist__batch *b = NULL;
	const char *suite = next_u64() % 4 ? "default" : "other";
	long n = 1 + (long)(next_u64() % 900), first = (long)(next_u64() % 3000);

	snprintf(run_id, sizeof run_id, "r%llu", (unsigned long long)(next_u64() % 12));
	ck_assert_int_eq(hist__batch_new(&b), HIST_OK);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_msg(hist__store_run(&run, db, suite, run_id, (int64_t)(next_u64() % 1000) * 1000000) == HIST_OK,
		"%s", hist_db_errmsg(db));
	for (long i = 0; i < n; i++) {
		long t = (first + i * (long)(1 + next_u64() % 7)) % 3000;
		hist__record r;
		int full;

		snprintf(name, sizeof name, "tests/m%ld.py::t%ld", t / 25, t);
		r = (hist__record){ name, strlen(name), (int)(next_u64() % 10 == 0), (hist_outcome)(next_u64() % 6),
			next_u64() % 8 ? (int64_t)(next_u64() % 5000000) : -1,
			next_u64() % 3 ? (int64_t)(next_u64() % 50000) : -1, 1 + (unsigned)(next_u64() % 3), 0 };
		ck_assert_int_ge(full = hist__batch_add(b, &r), 0);
		if (full)
			ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	}
	ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	if (next_u64() % 8 == 0)
		hist__store_rollback(db);
	else
		ck_assert_msg(hist__store_commit(db) == HIST_OK, "%s", hist_db_errmsg(db));
	hist__batch_free(b);
}

START_TEST(packs_match_results_on_random_histories)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		char main_name[32], other_name[32];
		hist_db *db, *other;

		snprintf(main_name, sizeof main_name, "main%llu.db", (unsigned long long)seed);
		snprintf(other_name, sizeof other_name, "other%llu.db", (unsigned long long)seed);
		rng_state = seed;
		db = open_ok(scratch_path(0, main_name));
		other = open_ok(scratch_path(1, other_name));
		for (int step = 0; step < 24; step++) {
			unsigned what = (unsigned)(next_u64() % 10);
			if (what < 6) {
				random_input(db);
			} else if (what < 8) {
				hist_ingest_stats st;
				random_input(other);
				ck_assert_msg(hist__store_merge(&st, db, scratch_path(1, other_name), other_name) == HIST_OK, "%s",
					hist_db_errmsg(db));
			} else {
				hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
				hist_prune_stats st;
				o.keep_runs = 3 + (unsigned)(next_u64() % 6);
				o.drop_unseen = next_u64() % 2 ? 2 : 0;
				ck_assert_msg(hist_db_prune(&st, db, &o) == HIST_OK, "%s", hist_db_errmsg(db));
			}
			agree(db, step);
		}
		/* Rebuilt from scratch, the packs say the same again. */
		ck_assert_int_eq(hist__store_packs_rebuild(db), HIST_OK);
		agree(db, 99);
		hist_db_free(other);
		hist_db_free(db);
	}
}
END_TEST

/* The packs are what the window read uses: damage one and the read says
 * so, rather than planning from it. Marking the run unpacked (what the
 * writers do) sends the read back to the results table. */
START_TEST(packs_damaged_or_unpacked)
{
	hist_db *db = open_ok(scratch_path(0, "d.db"));
	char *before, *after;

	rng_state = 7;
	random_input(db);
	random_input(db);
	before = window_text(db, "default", 10, 0);
	/* A pack of ids past every test's. */
	ck_assert_int_eq(sqlite3_exec(db->sql, "UPDATE packs SET chunk = chunk + 1000000", NULL, NULL, NULL),
		SQLITE_OK);
	{
		rows_text c = { HIST__BUF_INIT(0) };
		int error = hist__store_each_result(db, "default", 10, add_row, &c);
		hist__buf_free(&c.out);
		if (strlen(before) > 0) {
			ck_assert_int_eq(error, HIST_E_DB);
			ck_assert_msg(strstr(hist_db_errmsg(db), "damaged") != NULL, "%s", hist_db_errmsg(db));
		}
	}
	ck_assert_int_eq(sqlite3_exec(db->sql, "UPDATE packs SET chunk = chunk - 1000000", NULL, NULL, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db->sql, "UPDATE packs SET data = x'05ff'", NULL, NULL, NULL), SQLITE_OK);
	{
		rows_text c = { HIST__BUF_INIT(0) };
		int error = hist__store_each_result(db, "default", 10, add_row, &c);
		hist__buf_free(&c.out);
		if (strlen(before) > 0) {
			ck_assert_int_eq(error, HIST_E_DB);
			ck_assert_msg(strstr(hist_db_errmsg(db), "damaged") != NULL, "%s", hist_db_errmsg(db));
		}
	}
	ck_assert_int_eq(sqlite3_exec(db->sql, "INSERT INTO runs_unpacked SELECT id FROM runs", NULL, NULL, NULL),
		SQLITE_OK);
	after = window_text(db, "default", 10, 1);
	ck_assert_str_eq(before, after);
	free(after);
	/* The next commit repacks them. */
	random_input(db);
	free(before);
	before = window_text(db, "default", 10, 0);
	after = window_text(db, "default", 10, 1);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(sqlite3_exec(db->sql, "SELECT 1 FROM runs_unpacked", NULL, NULL, NULL), SQLITE_OK);
	free(before);
	free(after);
	hist_db_free(db);
}
END_TEST

static int64_t db_int(hist_db *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* A schema 3 history (fixtures/db/v3.db: suite_gen history 300 3 7, packs
 * of 1,024 test ids) opens at today's schema (4 and later): its packs, unreadable as
 * schema 4's, are gone and every run reads from results until the next
 * write repacks it in chunks of 256 (two for ids 1-300). */
START_TEST(packs_from_schema_3)
{
	const char *path = scratch_path(0, "v3.db");
	char *before, *after;
	hist_db *db;

	copy_file(fixture("db/v3.db"), path);
	db = open_ok(path);
	ck_assert_int_eq(db_int(db, "PRAGMA user_version"), hist_db_schema_version());
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM packs"), 0);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs_unpacked"), 3);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM results"), 900);
	before = window_text(db, "default", 10, 0);
	after = window_text(db, "default", 10, 1);
	ck_assert_str_eq(before, after);
	free(after);
	ck_assert_int_eq(hist__store_packs_rebuild(db), HIST_OK);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs_unpacked"), 0);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM packs"), 6);
	ck_assert_int_eq(db_int(db, "SELECT max(chunk) FROM packs"), 1);
	after = window_text(db, "default", 10, 1);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	hist_db_free(db);
}
END_TEST

/* A pack of a full chunk stays within SQLite's largest local payload of
 * a WITHOUT ROWID row on 16 KiB pages (4,086 bytes): no overflow page. */
START_TEST(packs_fit_a_page)
{
	hist_db *db = open_ok(scratch_path(0, "f.db"));
	int64_t added, run;
	hist__batch *b = NULL;
	char name[64];

	ck_assert_int_eq(hist__batch_new(&b), HIST_OK);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r", 0), HIST_OK);
	for (long t = 0; t < 2000; t++) {
		hist__record r;
		int full;

		snprintf(name, sizeof name, "tests/m%ld.py::t%ld", t / 25, t);
		/* Long tests with set-up and reruns: the largest typical rows. */
		r = (hist__record){ name, strlen(name), 0, HIST_OUTCOME_FAILED, 100000000 + t, 10000000 + t, 3, 0 };
		ck_assert_int_ge(full = hist__batch_add(b, &r), 0);
		if (full)
			ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	}
	ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	ck_assert_msg(hist__store_commit(db) == HIST_OK, "%s", hist_db_errmsg(db));
	hist__batch_free(b);
	ck_assert_int_le(db_int(db, "SELECT max(length(data)) FROM packs"), 4086);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM packs"), 8);
	hist_db_free(db);
}
END_TEST

Suite *check_store_pack_suite(void);
Suite *check_store_pack_suite(void)
{
	Suite *s = suite_create("store_pack");
	TCase *tc = tcase_create("store_pack");

	tcase_add_checked_fixture(tc, scratch_make, scratch_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, packs_match_results_on_random_histories);
	tcase_add_test(tc, packs_damaged_or_unpacked);
	tcase_add_test(tc, packs_from_schema_3);
	tcase_add_test(tc, packs_fit_a_page);
	suite_add_tcase(s, tc);
	return s;
}
