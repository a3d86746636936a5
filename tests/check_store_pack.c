/* check_store_pack.c - the packed results (store_pack.c, the only copy
 * since schema 6) against a model: on randomized histories (runs out of
 * order, results met again and raised, rolled-back transactions, merges,
 * prunes with unseen tests dropped) the history holds exactly the runs and
 * results that a plain SQLite table of the same inputs holds, and the
 * window read and the plan from its two passes over the packs equal, byte
 * for byte, what hist_results gives row by row. Damaged packs are refused
 * with the run named; schema 3 and 5 histories convert without loss. */
#include <check.h>
#include <stdint.h>
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

/* packs 0: the results read row by row; 1: the packs, read on a thread
 * of their own; 2: the packs, on this thread. The walk reads with a
 * smaller page cache, and gives the handle's back. */
static char *window_text(hist_db *db, const char *suite, unsigned window, int packs)
{
	rows_text c = { HIST__BUF_INIT(0) };
	int64_t cache;

	ck_assert_int_eq(hist__store_exec(db, "PRAGMA main.cache_size = -3000"), HIST_OK);
	hist__store_test_no_packs(db, !packs);
	hist__store_test_one_thread(db, packs == 2);
	ck_assert_msg(hist__store_each_result(db, suite, window, add_row, &c) == HIST_OK, "%s", hist_db_errmsg(db));
	hist__store_test_no_packs(db, 0);
	hist__store_test_one_thread(db, 0);
	ck_assert_int_eq(hist__store_query_int(&cache, db, "PRAGMA main.cache_size"), HIST_OK);
	ck_assert_int_eq(cache, -3000);
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

/* The model: what the history must hold, kept by plain SQL apart from
 * the store (db 0 the history, db 1 the other one merged into it). */
static sqlite3 *model;

static void model_exec(const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(model, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
}

static void model_open(void)
{
	ck_assert_int_eq(sqlite3_open(":memory:", &model), SQLITE_OK);
	model_exec("CREATE TABLE runs(db INTEGER, suite TEXT, ext TEXT, started INTEGER, PRIMARY KEY(db, suite, ext));"
		   "CREATE TABLE results(db INTEGER, suite TEXT, ext TEXT, name TEXT, is_key INTEGER, outcome INTEGER,"
		   " duration INTEGER, setup INTEGER, attempts INTEGER, PRIMARY KEY(db, suite, ext, name, is_key))");
}

/* The greater of two results of a (run, test) stays: (attempts, outcome,
 * duration, setup), unknown below every known value. */
#define MODEL_KEEP_GREATER                                                                                    \
	" ON CONFLICT DO UPDATE SET outcome = excluded.outcome, duration = excluded.duration, setup = excluded.setup," \
	" attempts = excluded.attempts WHERE (excluded.attempts, excluded.outcome, coalesce(excluded.duration, -1),"  \
	" coalesce(excluded.setup, -1)) > (attempts, outcome, coalesce(duration, -1), coalesce(setup, -1))"

static void model_result(int db, const char *suite, const char *ext, int64_t start, const hist__record *r)
{
	sqlite3_stmt *s;

	ck_assert_int_eq(sqlite3_prepare_v2(model, "INSERT INTO runs VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE"
						   " SET started = min(started, excluded.started)", -1, &s, NULL),
		SQLITE_OK);
	sqlite3_bind_int(s, 1, db);
	sqlite3_bind_text(s, 2, suite, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ext, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, start);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	if (!r)
		return;
	ck_assert_int_eq(sqlite3_prepare_v2(model, "INSERT INTO results VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
						   MODEL_KEEP_GREATER, -1, &s, NULL),
		SQLITE_OK);
	sqlite3_bind_int(s, 1, db);
	sqlite3_bind_text(s, 2, suite, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, ext, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->id, (int)r->id_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, r->id_is_key);
	sqlite3_bind_int(s, 6, (int)r->outcome);
	if (r->duration_us >= 0)
		sqlite3_bind_int64(s, 7, r->duration_us);
	if (r->setup_us >= 0)
		sqlite3_bind_int64(s, 8, r->setup_us);
	sqlite3_bind_int64(s, 9, r->attempts);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

/* The model's runs and results in hist__store_dump's lines and order. */
static char *model_dump(void)
{
	static const char *const sql[] = {
		"SELECT 'run', suite, ext, started FROM runs WHERE db = 0 ORDER BY 2, 3",
		"SELECT 'result', suite, ext, name, is_key, outcome, duration, setup, attempts FROM results WHERE db = 0"
		" ORDER BY 2, 3, 4, 5",
	};
	hist__buf out = HIST__BUF_INIT(0);

	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *s;
		ck_assert_int_eq(sqlite3_prepare_v2(model, sql[i], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const char *t = (const char *)sqlite3_column_text(s, c);
				ck_assert_int_eq(hist__buf_printf(&out, "%s%s", c ? "|" : "", t ? t : "NULL"), HIST_OK);
			}
			ck_assert_int_eq(hist__buf_putc(&out, '\n'), HIST_OK);
		}
		sqlite3_finalize(s);
	}
	return hist__buf_detach(&out);
}

static char *dump_of(hist_db *db)
{
	hist__buf out = HIST__BUF_INIT(0);

	ck_assert_msg(hist__store_dump(&out, db) == HIST_OK, "%s", hist_db_errmsg(db));
	return hist__buf_detach(&out);
}

/* One random input into db (0) or the other history (1): a run (maybe one
 * seen before, maybe started earlier than the newest) and results for a
 * random subset of 3,000 tests (test ids span twelve pack chunks), some
 * repeated with other values. Commits, or now and then rolls back. */
static void random_input(hist_db *db, int which)
{
	char run_id[32], name[64];
	int64_t run, added, start = (int64_t)(next_u64() % 1000) * 1000000;
	hist__batch *b = NULL;
	const char *suite = next_u64() % 4 ? "default" : "other";
	long n = 1 + (long)(next_u64() % 900), first = (long)(next_u64() % 3000);

	snprintf(run_id, sizeof run_id, "r%llu", (unsigned long long)(next_u64() % 12));
	ck_assert_int_eq(hist__batch_new(&b), HIST_OK);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	model_exec("SAVEPOINT input");
	ck_assert_msg(hist__store_run(&run, db, suite, run_id, start) == HIST_OK, "%s", hist_db_errmsg(db));
	model_result(which, suite, run_id, start, NULL);
	for (long i = 0; i < n; i++) {
		long t = (first + i * (long)(1 + next_u64() % 7)) % 3000;
		hist__record r;
		int full;

		snprintf(name, sizeof name, "tests/m%ld.py::t%ld", t / 25, t);
		r = (hist__record){ name, strlen(name), (int)(next_u64() % 10 == 0), (hist_outcome)(next_u64() % 6),
			next_u64() % 8 ? (int64_t)(next_u64() % 5000000) : -1,
			next_u64() % 3 ? (int64_t)(next_u64() % 50000) : -1, 1 + (unsigned)(next_u64() % 3), 0 };
		model_result(which, suite, run_id, start, &r);
		ck_assert_int_ge(full = hist__batch_add(b, &r), 0);
		if (full)
			ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	}
	ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	if (next_u64() % 8 == 0) {
		hist__store_rollback(db);
		model_exec("ROLLBACK TO input; RELEASE input");
	} else {
		ck_assert_msg(hist__store_commit(db) == HIST_OK, "%s", hist_db_errmsg(db));
		model_exec("RELEASE input");
	}
	hist__batch_free(b);
}

/* What a merge of the other history (1) into db (0) does to the model. */
static void model_merge(void)
{
	model_exec("INSERT INTO runs SELECT 0, suite, ext, started FROM runs WHERE db = 1 ORDER BY 2, 3"
		   " ON CONFLICT DO UPDATE SET started = min(started, excluded.started);"
		   "INSERT INTO results SELECT 0, suite, ext, name, is_key, outcome, duration, setup, attempts"
		   " FROM results WHERE db = 1 ORDER BY 2, 3, 4, 5" MODEL_KEEP_GREATER);
}

/* What hist_db_prune does to the model: runs past the newest keep of
 * their suite go, then (unseen > 0) the results of tests that none of the
 * newest `unseen` runs left in their suite has. */
static void model_prune(unsigned keep, unsigned unseen)
{
	char sql[1024];

	snprintf(sql, sizeof sql,
		"CREATE TEMP TABLE gone AS SELECT suite, ext FROM (SELECT suite, ext, row_number() OVER"
		" (PARTITION BY suite ORDER BY started DESC, ext DESC) AS newer FROM runs WHERE db = 0) WHERE newer > %u;"
		"DELETE FROM results WHERE db = 0 AND (suite, ext) IN (SELECT suite, ext FROM gone);"
		"DELETE FROM runs WHERE db = 0 AND (suite, ext) IN (SELECT suite, ext FROM gone);"
		"DROP TABLE gone;",
		keep);
	model_exec(sql);
	if (!unseen)
		return;
	snprintf(sql, sizeof sql,
		"CREATE TEMP TABLE seen AS SELECT DISTINCT x.suite, x.name, x.is_key FROM results x JOIN (SELECT suite,"
		" ext, row_number() OVER (PARTITION BY suite ORDER BY started DESC, ext DESC) AS newer FROM runs"
		" WHERE db = 0) r ON r.suite = x.suite AND r.ext = x.ext WHERE x.db = 0 AND r.newer <= %u;"
		"DELETE FROM results WHERE db = 0 AND (suite, name, is_key) NOT IN (SELECT suite, name, is_key FROM seen);"
		"DROP TABLE seen;",
		unseen);
	model_exec(sql);
}

START_TEST(packs_match_a_model_on_random_histories)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		char main_name[32], other_name[32];
		hist_db *db, *other;

		snprintf(main_name, sizeof main_name, "main%llu.db", (unsigned long long)seed);
		snprintf(other_name, sizeof other_name, "other%llu.db", (unsigned long long)seed);
		rng_state = seed;
		model_open();
		db = open_ok(scratch_path(0, main_name));
		other = open_ok(scratch_path(1, other_name));
		for (int step = 0; step < 24; step++) {
			unsigned what = (unsigned)(next_u64() % 10);
			char *got, *want;

			if (what < 6) {
				random_input(db, 0);
			} else if (what < 8) {
				hist_ingest_stats st;
				random_input(other, 1);
				ck_assert_msg(hist__store_merge(&st, db, scratch_path(1, other_name), other_name) == HIST_OK, "%s",
					hist_db_errmsg(db));
				model_merge();
			} else {
				hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
				hist_prune_stats st;
				o.keep_runs = 3 + (unsigned)(next_u64() % 6);
				o.drop_unseen = next_u64() % 2 ? 2 : 0;
				ck_assert_msg(hist_db_prune(&st, db, &o) == HIST_OK, "%s", hist_db_errmsg(db));
				model_prune(o.keep_runs, o.drop_unseen);
			}
			got = dump_of(db);
			want = model_dump();
			ck_assert_msg(strcmp(got, want) == 0, "seed %llu step %d (%u): the history differs from the model",
				(unsigned long long)seed, step, what);
			free(got);
			free(want);
			agree(db, step);
		}
		hist_db_free(other);
		hist_db_free(db);
		sqlite3_close(model);
	}
}
END_TEST

/* The tables as stored, by id and key (test ids, packs byte for byte,
 * the id counter, runs): what two ways of writing must leave alike. */
static char *raw_dump(hist_db *db)
{
	return query_text(db->sql, "SELECT 'test', id, name, is_key FROM tests UNION ALL"
				   " SELECT 'pack', run_id, chunk, hex(data) FROM packs UNION ALL"
				   " SELECT 'meta', key, value, NULL FROM meta UNION ALL"
				   " SELECT 'run', id, ext_id, started_us FROM runs ORDER BY 1, 2, 3");
}

/* One random input into both twins: a run (new, or one stored before),
 * results in test id order (new tests, as a first ingest), in no order
 * over more chunks than stay open in memory, or in strides; some met
 * again in the same input, near or far. Commits both, or rolls both back. */
static void twin_input(hist_db *twin[2], int step)
{
	char run_id[32], name[64];
	hist__batch *b[2] = { NULL, NULL };
	int64_t run[2], added[2] = { 0, 0 }, n_added;
	unsigned mode = (unsigned)(next_u64() % 3);
	long n = 1 + (long)(next_u64() % 4000), first = (long)(next_u64() % 20000), t = 0;
	int64_t start = (int64_t)(next_u64() % 1000) * 1000000;
	int rollback = next_u64() % 8 == 0;

	snprintf(run_id, sizeof run_id, "r%llu", (unsigned long long)(next_u64() % 6));
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(hist__batch_new(&b[k]), HIST_OK);
		ck_assert_int_eq(hist__store_begin(twin[k]), HIST_OK);
		ck_assert_msg(hist__store_run(&run[k], twin[k], "default", run_id, start) == HIST_OK, "%s",
			hist_db_errmsg(twin[k]));
	}
	for (long i = 0; i < n; i++) {
		hist__record r;

		if (next_u64() % 12 == 0 && i > 0)
			t = (t + 12000 - (long)(next_u64() % (next_u64() % 2 ? 8 : 3000))) % 12000;
		else if (mode == 0)
			t = (first + i) % 12000;
		else if (mode == 1)
			t = (long)(next_u64() % 12000);
		else
			t = (first + i * (long)(1 + next_u64() % 7)) % 12000;
		snprintf(name, sizeof name, "tests/m%ld.py::t%ld", t / 25, t);
		r = (hist__record){ name, strlen(name), 0, (hist_outcome)(next_u64() % 6),
			next_u64() % 8 ? (int64_t)(next_u64() % 5000000) : -1,
			next_u64() % 3 ? (int64_t)(next_u64() % 50000) : -1, 1 + (unsigned)(next_u64() % 3 == 0), 0 };
		for (int k = 0; k < 2; k++)
			if (hist__batch_add(b[k], &r)) {
				ck_assert_msg(hist__store_batch(&n_added, twin[k], run[k], b[k]) == HIST_OK, "%s",
					hist_db_errmsg(twin[k]));
				added[k] += n_added;
			}
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(hist__store_batch(&n_added, twin[k], run[k], b[k]), HIST_OK);
		added[k] += n_added;
		if (rollback)
			hist__store_rollback(twin[k]);
		else
			ck_assert_msg(hist__store_commit(twin[k]) == HIST_OK, "%s", hist_db_errmsg(twin[k]));
		hist__batch_free(b[k]);
	}
	ck_assert_msg(added[0] == added[1], "step %d: %lld results added from memory, %lld through pending", step,
		(long long)added[0], (long long)added[1]);
}

/* Results packed straight from memory (chunks nothing stored can meet)
 * give the same tables, byte for byte, as through temp.pending. */
START_TEST(packs_from_memory_equal_pending)
{
	hist_db *twin[2];

	rng_state = 7;
	twin[0] = open_ok(scratch_path(0, "direct.db"));
	twin[1] = open_ok(scratch_path(1, "pending.db"));
	hist__store_test_no_direct(twin[1], 1);
	for (int step = 0; step < 30; step++) {
		char *a, *c;

		twin_input(twin, step);
		a = raw_dump(twin[0]);
		c = raw_dump(twin[1]);
		ck_assert_msg(strcmp(a, c) == 0, "step %d: packed from memory differs from through pending", step);
		free(a);
		free(c);
	}
	hist_db_free(twin[0]);
	hist_db_free(twin[1]);
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

/* Every reader of a damaged pack fails with the run named: the window
 * read, the counts, the dump (hist_results). With writes: a new result in
 * its chunk and a prune that reads it fail too and change nothing. */
static void damaged_refused(const char *damage, int writes)
{
	static int calls;
	char path[32];
	hist_db *db;
	hist_counts c;
	hist__buf out = HIST__BUF_INIT(0);
	rows_text rows = { HIST__BUF_INIT(0) };
	hist_prune_options po = HIST_PRUNE_OPTIONS_INIT;
	hist_prune_stats ps;
	int64_t run, added;
	hist__batch *b = NULL;
	hist__record r = { "tests/m0.py::t0", 15, 0, HIST_OUTCOME_PASSED, 5, 1, 1, 0 };
	char want[64];

	snprintf(path, sizeof path, "d%d.db", calls++);
	db = open_ok(scratch_path(0, path));
	for (long i = 0; i < 2; i++) {
		char name[64];
		ck_assert_int_eq(hist__batch_new(&b), HIST_OK);
		ck_assert_int_eq(hist__store_begin(db), HIST_OK);
		snprintf(name, sizeof name, "r%ld", i);
		ck_assert_int_eq(hist__store_run(&run, db, "default", name, i), HIST_OK);
		for (long t = 0; t < 600; t++) {
			hist__record x;
			snprintf(name, sizeof name, "tests/m%ld.py::t%ld", t / 25, t);
			x = (hist__record){ name, strlen(name), 0, HIST_OUTCOME_PASSED, t, -1, 1, 0 };
			if (hist__batch_add(b, &x))
				ck_assert_msg(hist__store_batch(&added, db, run, b) == HIST_OK, "%s", hist_db_errmsg(db));
		}
		ck_assert_msg(hist__store_batch(&added, db, run, b) == HIST_OK, "%s", hist_db_errmsg(db));
		ck_assert_int_eq(hist__store_commit(db), HIST_OK);
		hist__batch_free(b);
	}
	ck_assert_int_eq(sqlite3_exec(db->sql, damage, NULL, NULL, NULL), SQLITE_OK);
	snprintf(want, sizeof want, "packed results of run %lld are damaged", (long long)run);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM packs"), 6);
	ck_assert_int_eq(hist__store_each_result(db, "default", 10, add_row, &rows), HIST_E_DB);
	ck_assert_msg(strstr(hist_db_errmsg(db), "damaged") != NULL, "%s", hist_db_errmsg(db));
	ck_assert_int_eq(hist_db_counts(&c, db, NULL), HIST_E_DB);
	ck_assert_msg(strstr(hist_db_errmsg(db), want) != NULL, "%s", hist_db_errmsg(db));
	ck_assert_int_eq(hist__store_dump(&out, db), HIST_E_DB);
	ck_assert_msg(strstr(hist_db_errmsg(db), want) != NULL, "%s", hist_db_errmsg(db));
	if (!writes)
		goto done;
	/* A result of the damaged chunk cannot be stored beside it. */
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r1", 1), HIST_OK);
	ck_assert_int_eq(hist__store_result(&(int){ 0 }, db, run, &r), HIST_E_DB);
	ck_assert_msg(strstr(hist_db_errmsg(db), want) != NULL, "%s", hist_db_errmsg(db));
	hist__store_rollback(db);
	po.keep_runs = 1;
	ck_assert_int_eq(hist_db_prune(&ps, db, &po), HIST_E_DB);
	ck_assert_msg(strstr(hist_db_errmsg(db), want) != NULL, "%s", hist_db_errmsg(db));
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM runs"), 2);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM packs"), 6);
done:
	hist__buf_free(&out);
	hist__buf_free(&rows.out);
	hist_db_free(db);
}

START_TEST(damaged_packs_are_refused)
{
	/* Bytes that are no pack; a chunk number that would overflow the
	 * test ids; a pack of a chunk past every test. */
	damaged_refused("UPDATE packs SET data = x'05ff' WHERE run_id = 2 AND chunk = 0", 1);
	damaged_refused("UPDATE packs SET data = x'0107' WHERE run_id = 2 AND chunk = 0", 1);
	damaged_refused("UPDATE packs SET chunk = 1 << 40 WHERE run_id = 2 AND chunk = 2", 0);
	damaged_refused("UPDATE packs SET chunk = -1 WHERE run_id = 2 AND chunk = 2", 0);
}
END_TEST

/* A history of an older schema opens at today's with every result it
 * held: its results table, read here by plain SQL, equals the packs. */
static void converts_whole(const char *name, int64_t packs_before)
{
	static const char results_sql[] =
		"WITH t AS MATERIALIZED (SELECT id, name, is_key FROM tests)"
		" SELECT 'result', s.name, r.ext_id, t.name, t.is_key, x.outcome, x.duration_us, x.setup_us,"
		" x.attempts FROM results x JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id"
		" JOIN t ON t.id = x.test_id ORDER BY 2, 3, 4, 5";
	const char *path = scratch_path(0, strchr(name, '/') + 1);
	hist__buf results = HIST__BUF_INIT(0);
	sqlite3 *raw;
	sqlite3_stmt *s;
	hist_db *db;
	char *got, *want;

	copy_file(fixture(name), path);
	ck_assert_int_eq(sqlite3_open(fixture(name), &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(raw, "SELECT count(*) FROM packs", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(s, 0), packs_before);
	sqlite3_finalize(s);
	want = query_text(raw, results_sql);
	sqlite3_close(raw);
	ck_assert_msg(*want, "%s: no result to convert", name);
	db = open_ok(path);
	ck_assert_int_eq(db_int(db, "PRAGMA user_version"), hist_db_schema_version());
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('results', 'runs_unpacked')"),
		0);
	got = dump_of(db);
	/* The dump's result lines. */
	for (char *line = got, *end; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		if (strncmp(line, "result|", 7) == 0)
			ck_assert_int_eq(hist__buf_put(&results, line, (size_t)(end - line)), HIST_OK);
	}
	ck_assert_int_eq(hist__buf_putc(&results, 0), HIST_OK);
	ck_assert_str_eq(results.ptr, want);
	free(got);
	hist__free(want);
	hist__buf_free(&results);
	hist_db_free(db);
}

/* fixtures/db/v3.db (suite_gen history 300 3 7): schema 3, packs of 1,024
 * test ids that schema 4 dropped, so every result comes from its results
 * table. fixtures/db/v5.db: written by the tools of schema 5 (5 runs in
 * two suites, 801 results: reruns, unknown durations and set-ups, test ids
 * in four chunks, a merged history): its packs are made again from
 * results, not trusted. */
START_TEST(older_schemas_convert_whole)
{
	converts_whole("db/v3.db", 3);
	converts_whole("db/v5.db", 8);
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

/* Varints as a pack holds them, LEB128 little end first. */
static size_t put_var(unsigned char *at, uint64_t v)
{
	size_t n = 0;

	do {
		at[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* Durations and setups of every varint length (1 to 10 bytes), each at
 * every distance from the pack's end: the unrolled 2-4 byte read and the
 * byte loop near the end must decode alike, and a varint cut short by
 * the end must be refused. */
START_TEST(pack_varints_of_every_length_decode)
{
	static const int64_t values[] = { 0, 1, -1, 63, -64, 64, 8191, -8192, 8192, 1048575, 1048576,
		134217727, 134217728, (int64_t)1 << 34, (int64_t)1 << 41, (int64_t)1 << 48, (int64_t)1 << 55,
		(int64_t)1 << 62, INT64_MAX, INT64_MIN };
	size_t nv = sizeof values / sizeof *values;
	hist__pack_row rows[HIST__PACK_CHUNK];

	for (size_t first = 0; first < nv; first++) {
		/* Rows pairing values[first] with each value, in turn as the
		 * duration and as the setup, so each value ends the pack once. */
		for (size_t rowsn = 1; rowsn <= 2 * nv && rowsn <= HIST__PACK_CHUNK; rowsn++) {
			unsigned char pack[HIST__PACK_CHUNK * 22];
			size_t len = 0, n = 0;

			for (size_t i = 0; i < rowsn; i++) {
				int64_t a = values[(first + i) % nv], b = values[(first + i / 2) % nv];
				int64_t dur = i % 2 ? b : a, setup = i % 2 ? a : b;

				len += put_var(pack + len, 1);
				pack[len++] = 0;
				len += put_var(pack + len, ((uint64_t)dur << 1) ^ (uint64_t)(dur >> 63));
				len += put_var(pack + len, ((uint64_t)setup << 1) ^ (uint64_t)(setup >> 63));
			}
			ck_assert_int_eq(hist__pack_decode(rows, &n, 3, pack, len), 0);
			ck_assert_uint_eq(n, rowsn);
			for (size_t i = 0; i < rowsn; i++) {
				int64_t a = values[(first + i) % nv], b = values[(first + i / 2) % nv];

				ck_assert_int_eq(rows[i].test_id, 3 * HIST__PACK_CHUNK + (int64_t)i);
				ck_assert_int_eq(rows[i].duration_us, i % 2 ? b : a);
				ck_assert_int_eq(rows[i].setup_us, i % 2 ? a : b);
				ck_assert_int_eq(rows[i].attempts, 1);
			}
			/* Cut inside the last varint (its bytes all continue). */
			if (pack[len - 2] & 0x80)
				ck_assert_int_eq(hist__pack_decode(rows, &n, 3, pack, len - 1), -1);
		}
	}
}
END_TEST

/* A window past the reader's ring (many batches of samples and of
 * names, names longer than a batch): on two threads, on one, and row by
 * row, the same rows in the same order, and the same plan. */
START_TEST(window_read_on_two_threads_agrees)
{
	static char big[300 * 1024];
	hist_db *db = open_ok(scratch_path(0, "ring.db"));
	hist__batch *b = NULL;
	char name[160], run_id[16];
	char *a, *one, *rows;

	memset(big, 'x', sizeof big - 1);
	memcpy(big, "tests/test_big.py::test_", 24);
	rng_state = 7;
	for (int run = 0; run < 3; run++) {
		int64_t id, added;

		snprintf(run_id, sizeof run_id, "r%d", run);
		ck_assert_int_eq(hist__batch_new(&b), HIST_OK);
		ck_assert_int_eq(hist__store_begin(db), HIST_OK);
		ck_assert_msg(hist__store_run(&id, db, "default", run_id, run * 1000000) == HIST_OK, "%s",
			hist_db_errmsg(db));
		for (long t = 0; t < 30000; t++) {
			hist__record r;
			int full;

			if ((long)(next_u64() % 10) == run)
				continue;
			snprintf(name, sizeof name, "tests/pkg%ld/sub/test_module_%ld.py::TestSomething::test_case_%ld[p%ld]",
				t / 700, t / 30, t, t % 7);
			r = (hist__record){ t == 12345 ? big : name, t == 12345 ? sizeof big - 1 : strlen(name), 0,
				(hist_outcome)(next_u64() % 3), (int64_t)(next_u64() % 5000000), (int64_t)(next_u64() % 5000),
				1, 0 };
			ck_assert_int_ge(full = hist__batch_add(b, &r), 0);
			if (full)
				ck_assert_int_eq(hist__store_batch(&added, db, id, b), HIST_OK);
		}
		ck_assert_int_eq(hist__store_batch(&added, db, id, b), HIST_OK);
		ck_assert_msg(hist__store_commit(db) == HIST_OK, "%s", hist_db_errmsg(db));
		hist__batch_free(b);
		b = NULL;
	}
	a = window_text(db, "default", 3, 1);
	one = window_text(db, "default", 3, 2);
	rows = window_text(db, "default", 3, 0);
	ck_assert_uint_gt(strlen(a), 3 * 27000 * 60);
	ck_assert_msg(strcmp(a, rows) == 0, "two threads differ from the results");
	ck_assert_msg(strcmp(one, rows) == 0, "one thread differs from the results");
	free(a);
	free(one);
	free(rows);
	a = plan_text(db, "default", 1);
	rows = plan_text(db, "default", 0);
	ck_assert_msg(strcmp(a, rows) == 0, "plans differ");
	free(a);
	free(rows);
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
	tcase_add_test(tc, packs_match_a_model_on_random_histories);
	tcase_add_test(tc, packs_from_memory_equal_pending);
	tcase_add_test(tc, damaged_packs_are_refused);
	tcase_add_test(tc, older_schemas_convert_whole);
	tcase_add_test(tc, packs_fit_a_page);
	tcase_add_test(tc, pack_varints_of_every_length_decode);
	tcase_add_test(tc, window_read_on_two_threads_agrees);
	suite_add_tcase(s, tc);
	return s;
}
