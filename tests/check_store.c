/* check_store.c - the history database: schema and migrations, foreign
 * files, the conflict rule, merging, and reading the recent history back. */
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "check_util.h"
#include "store.h"
#include "store_db.h"

/* Reads a whole file into a malloc'd buffer. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}


/* One result in its own transaction, as ingest would store it. */

START_TEST(store_creates_current_schema)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));

	ck_assert_int_eq(hist_db_schema_version(), 7);
	counts_are(db, NULL, 0, 0, 0);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	put_result(db, "default", "r1", 100, "t.py::a", 0, HIST_OUTCOME_PASSED, 5, 1);
	hist_db_free(db);
	/* Closed cleanly: the WAL is folded back, one file remains. */
	ck_assert_int_ne(access(scratch_path(0, "h.db-wal"), F_OK), 0);
	db = open_ok(scratch_path(0, "h.db"));
	counts_are(db, NULL, 1, 1, 1);
	hist_db_free(db);
}
END_TEST

/* What a new file holds before any input: every schema object in order
 * with its SQL, the pragmas a history sets, and meta. */
static char *new_file_text(hist_db *db)
{
	/* sqlite_schema in row id order (the order .dump uses), then the rest. */
	return query_text(db->sql, "SELECT type, name, tbl_name, sql FROM sqlite_schema UNION ALL"
				   " SELECT 'pragma', user_version, application_id, page_size"
				   " FROM pragma_user_version, pragma_application_id, pragma_page_size UNION ALL"
				   " SELECT 'meta', key, value, NULL FROM meta");
}

/* A new file takes one script (store.c, new_file_schema) instead of
 * every migration step: the same objects in the same order with the same
 * text, the same pragmas and meta, and the same content after a write. */
START_TEST(store_new_file_script_equals_the_steps)
{
	hist_db *script = open_ok(scratch_path(0, "script.db")), *steps;
	char *a, *b;
	size_t k;

	hist__store_test_replay_steps(1);
	steps = open_ok(scratch_path(1, "steps.db"));
	hist__store_test_replay_steps(0);
	a = new_file_text(script);
	b = new_file_text(steps);
	for (k = 0; a[k] && a[k] == b[k]; k++)
		;
	ck_assert_msg(a[k] == b[k], "the new file's script differs from the steps: %.80s | %.80s", a + k, b + k);
	ck_assert_ptr_nonnull(strstr(a, "CREATE TABLE \"tests\"("));
	free(a);
	free(b);
	put_result(script, "default", "r1", 100, "t.py::a", 0, HIST_OUTCOME_PASSED, 5, 1);
	put_result(steps, "default", "r1", 100, "t.py::a", 0, HIST_OUTCOME_PASSED, 5, 1);
	a = dump(script);
	b = dump(steps);
	ck_assert_msg(strcmp(a, b) == 0, "content differs after a write");
	free(a);
	free(b);
	ck_assert_int_eq(hist__store_check(script), HIST_OK);
	hist_db_free(script);
	hist_db_free(steps);
}
END_TEST

/* PRAGMA main.<name> of db's connection, as text. */
static void pragma_is(hist_db *db, const char *name, const char *want)
{
	char sql[64];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "PRAGMA main.%s", name);
	ck_assert_int_eq(sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
}

/* A new file's first transactions go through a rollback journal, where
 * only synchronous=FULL is safe from corruption at a power loss; WAL
 * with NORMAL from the next one. */
START_TEST(store_new_file_syncs_fully_until_wal)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));

	pragma_is(db, "journal_mode", "delete");
	pragma_is(db, "synchronous", "2");
	put_result(db, "default", "r1", 100, "t.py::a", 0, HIST_OUTCOME_PASSED, 5, 1);
	pragma_is(db, "synchronous", "2");
	put_result(db, "default", "r2", 200, "t.py::a", 0, HIST_OUTCOME_PASSED, 5, 1);
	pragma_is(db, "journal_mode", "wal");
	pragma_is(db, "synchronous", "1");
	hist_db_free(db);
	db = open_ok(scratch_path(0, "h.db"));
	pragma_is(db, "journal_mode", "wal");
	pragma_is(db, "synchronous", "1");
	hist_db_free(db);
}
END_TEST

START_TEST(store_rejects_files_that_are_not_histories)
{
	hist_db *db = NULL;
	size_t before_len, after_len;
	char *before, *after;
	FILE *f;

	f = fopen(scratch_path(0, "text.db"), "w");
	fputs("<testsuite name=\"x\"/>\n", f);
	fclose(f);
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "text.db"), NULL), HIST_E_SCHEMA);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "text.db: not a hist history"));
	hist_db_free(db);

	/* Another program's database (with a user_version of its own, or
	 * none) is neither changed nor taken. */
	copy_file(fixture("db/plain.db"), scratch_path(0, "plain.db"));
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "plain.db"), NULL), HIST_E_SCHEMA);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "another program"));
	hist_db_free(db);
	copy_file(fixture("db/foreign.db"), scratch_path(0, "foreign.db"));
	before = slurp(scratch_path(0, "foreign.db"), &before_len);
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "foreign.db"), NULL), HIST_E_SCHEMA);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "another program"));
	hist_db_free(db);
	after = slurp(scratch_path(0, "foreign.db"), &after_len);
	ck_assert_uint_eq(before_len, after_len);
	ck_assert_int_eq(memcmp(before, after, before_len), 0);
	free(before);
	free(after);
}
END_TEST

START_TEST(store_read_only_never_creates)
{
	hist_db_options o = HIST_DB_OPTIONS_INIT;
	hist_db *db = NULL;
	int64_t run;

	o.read_only = 1;
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "missing.db"), &o), HIST_E_NOTFOUND);
	ck_assert_str_eq(hist_db_errmsg(db), scratch_path(0, "missing.db: no such history database"));
	hist_db_free(db);
	ck_assert_int_ne(access(scratch_path(0, "missing.db"), F_OK), 0);

	db = open_ok(scratch_path(0, "h.db"));
	put_result(db, "default", "r", 1, "t.py::a", 0, HIST_OUTCOME_PASSED, 1, 1);
	hist_db_free(db);
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "h.db"), &o), HIST_OK);
	counts_are(db, NULL, 1, 1, 1);
	/* Reading only: a writer is refused, and closing leaves no -wal or
	 * -shm file behind. */
	ck_assert_int_eq(hist__store_begin(db), HIST_E_DB);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r2", 1), HIST_E_DB);
	hist_db_free(db);
	ck_assert_int_ne(access(scratch_path(0, "h.db-wal"), F_OK), 0);
	ck_assert_int_ne(access(scratch_path(0, "h.db-shm"), F_OK), 0);

	o.version = HIST_DB_OPTIONS_VERSION + 1;
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "h.db"), &o), HIST_E_INVALID);
	hist_db_free(db);
}
END_TEST

/* The first pipeline's history: empty, current schema, and nowhere on
 * disk (not even a file named ":memory:"). */
START_TEST(store_empty_history_lives_in_memory)
{
	hist_db *db = NULL;

	ck_assert_int_eq(hist_db_open_empty(&db), HIST_OK);
	counts_are(db, NULL, 0, 0, 0);
	put_result(db, "default", "r", 1, "t.py::a", 0, HIST_OUTCOME_PASSED, 1, 1);
	counts_are(db, NULL, 1, 1, 1);
	hist_db_free(db);
	ck_assert_int_ne(access(":memory:", F_OK), 0);
	ck_assert_int_eq(hist_db_open_empty(&db), HIST_OK);
	counts_are(db, NULL, 0, 0, 0);
	hist_db_free(db);
}
END_TEST

/* The migration path, honestly exercised: the test build can add one
 * more step, so a file written at today's version is opened by a "later
 * build" (and a file that later build wrote is refused by today's). */
static void migrates_file(const char *path)
{
	hist_db *db = open_ok(path);
	char *before = dump(db), *after;
	hist_counts c;
	int today = hist_db_schema_version();
	char later[64];

	ck_assert_int_eq(hist_db_counts(&c, db, NULL), HIST_OK);
	hist_db_free(db);

	hist__store_test_migration("ALTER TABLE runs ADD COLUMN note TEXT; UPDATE runs SET note = 'v2';");
	ck_assert_int_eq(hist_db_schema_version(), today + 1);
	db = open_ok(path);
	after = dump(db);
	ck_assert_str_eq(before, after);
	counts_are(db, NULL, c.runs, c.tests, c.results);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	/* Still writable after the step. */
	put_result(db, "default", "after-migration", 1, "t.py::new", 0, HIST_OUTCOME_PASSED, 1, 1);
	hist_db_free(db);

	/* Today's build refuses what the later build wrote. */
	hist__store_test_migration(NULL);
	ck_assert_int_eq(hist_db_schema_version(), today);
	db = NULL;
	ck_assert_int_eq(hist_db_open(&db, path, NULL), HIST_E_SCHEMA);
	snprintf(later, sizeof later, "schema version %d", today + 1);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), later));
	hist_db_free(db);
	free(before);
	free(after);
}

START_TEST(store_migrates_a_v1_file)
{
	hist_db *db = open_ok(scratch_path(0, "new.db"));

	put_result(db, "default", "r1", 10, "t.py::a", 0, HIST_OUTCOME_FAILED, 7, 2);
	hist_db_free(db);
	migrates_file(scratch_path(0, "new.db"));

	/* And the v1 file kept in fixtures/, written by release 0.1.0. */
	copy_file(fixture("db/v1.db"), scratch_path(1, "v1.db"));
	migrates_file(scratch_path(1, "v1.db"));
}
END_TEST

/* One integer from SQL run on the file itself (the tests' own look). */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

/* v1 -> v2: every name and result kept; tests move to a table keyed by
 * name, and the id counter starts past the ids v1 gave. */
START_TEST(store_v1_becomes_v2)
{
	const char *path = scratch_path(0, "v1.db");
	hist_db *db;
	char *d;

	copy_file(fixture("db/v1.db"), path);
	db = open_ok(path);
	d = dump(db);
	ck_assert_str_eq(d, "run|default|gh-101-1|1764000000000000\n"
			    "run|default|gh-102-1|1764003600000000\n"
			    "run|integration|gl-5521|1764007200000000\n"
			    "result|default|gh-101-1|tests/test_a.py::TestK::test_two[1-x]|0|4|2500000|NULL|2\n"
			    "result|default|gh-101-1|tests/test_a.py::test_one|0|2|120000|1000|1\n"
			    "result|default|gh-102-1|tests.test_b::test_three|1|0|NULL|NULL|1\n"
			    "result|default|gh-102-1|tests/test_a.py::test_one|0|2|110000|900|1\n"
			    "result|integration|gl-5521|tests/it/test_db.py::test_roundtrip|0|1|4000000|300000|1\n"
			    "input|5E1F7701000000000000000000000000|default|gh-102-1|3100000|400000|2|3f2a9c|1|2|2|110000|NULL\n");
	free(d);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	/* A new test takes the next id; known ones keep theirs. */
	put_result(db, "default", "r3", 1, "tests/new.py::t", 0, HIST_OUTCOME_PASSED, 1, 1);
	put_result(db, "default", "r3", 1, "tests/test_a.py::test_one", 0, HIST_OUTCOME_PASSED, 1, 1);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	counts_are(db, NULL, 4, 5, 7);
	hist_db_free(db);
	ck_assert_int_eq(sql_int(path, "SELECT id FROM tests WHERE name = 'tests/new.py::t'"), 5);
	ck_assert_int_eq(sql_int(path, "SELECT id FROM tests WHERE name = 'tests/it/test_db.py::test_roundtrip'"), 4);
	ck_assert_int_eq(sql_int(path, "SELECT value FROM meta WHERE key = 'next_test_id'"), 6);
	/* v1 was made with 512-byte pages; a file's page size stays. */
	ck_assert_int_eq(sql_int(path, "PRAGMA page_size"), 512);
	ck_assert_int_eq(sql_int(scratch_path(1, "new.db"), "PRAGMA page_size"), 4096);
	db = open_ok(scratch_path(1, "new.db"));
	hist_db_free(db);
	ck_assert_int_eq(sql_int(scratch_path(1, "new.db"), "PRAGMA page_size"), 16384);
}
END_TEST

/* Test ids have no index to guard them: the check does. */
START_TEST(store_check_finds_bad_test_ids)
{
	const char *path = scratch_path(0, "h.db");
	hist_db *db = open_ok(path);

	put_result(db, "default", "r", 1, "t.py::a", 0, HIST_OUTCOME_PASSED, 1, 1);
	put_result(db, "default", "r", 1, "t.py::b", 0, HIST_OUTCOME_PASSED, 1, 1);
	hist_db_free(db);
	sql_exec(path, "UPDATE meta SET value = 2");
	db = open_ok(path);
	ck_assert_int_eq(hist__store_check(db), HIST_E_DB);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "test id check failed"));
	hist_db_free(db);
	sql_exec(path, "UPDATE meta SET value = 3; UPDATE tests SET id = 1");
	db = open_ok(path);
	ck_assert_int_eq(hist__store_check(db), HIST_E_DB);
	hist_db_free(db);
}
END_TEST

/* One batch meets a stored result and repeats a new test: the repeat adds
 * the test once, and every result keeps the greater. */
START_TEST(store_batch_takes_repeats_and_conflicts)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__batch *b = NULL;
	int64_t run, added;
	char *d;
	const hist__record rs[] = {
		{ "t.py::new", 9, 0, HIST_OUTCOME_PASSED, 10, -1, 1, 1 },
		{ "t.py::old", 9, 0, HIST_OUTCOME_FAILED, 5, -1, 1, 2 },
		{ "t.py::new", 9, 0, HIST_OUTCOME_FAILED, 3, -1, 1, 3 },
		{ "t.py::new", 9, 1, HIST_OUTCOME_SKIPPED, -1, -1, 1, 4 },
		{ "t.py::new", 9, 0, HIST_OUTCOME_PASSED, 99, -1, 1, 5 },
	};

	put_result(db, "default", "r", 1, "t.py::old", 0, HIST_OUTCOME_PASSED, 7, 1);
	ck_assert_int_eq(hist__batch_new(&b), HIST_OK);
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		ck_assert_int_eq(hist__batch_add(b, &rs[i]), 0);
	ck_assert_uint_eq(hist__batch_count(b), 5);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r", 1), HIST_OK);
	ck_assert_int_eq(hist__store_batch(&added, db, run, b), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	ck_assert_int_eq(added, 2);
	ck_assert_uint_eq(hist__batch_count(b), 0);
	d = dump(db);
	ck_assert_str_eq(d, "run|default|r|1\n"
			    "result|default|r|t.py::new|0|4|3|NULL|1\n"
			    "result|default|r|t.py::new|1|0|NULL|NULL|1\n"
			    "result|default|r|t.py::old|0|4|5|NULL|1\n");
	free(d);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	/* Bad records are refused; a full batch says so. */
	ck_assert_int_eq(hist__batch_add(b, &(hist__record){ "x", 1, 0, HIST_OUTCOME_COUNT, 1, -1, 1, 1 }),
		HIST_E_INVALID);
	ck_assert_int_eq(hist__batch_add(b, &(hist__record){ "x", 1, 0, HIST_OUTCOME_PASSED, 1, -1, 0, 1 }),
		HIST_E_INVALID);
	for (int i = 0; i < HIST__BATCH_ROWS - 1; i++)
		ck_assert_int_eq(hist__batch_add(b, &rs[0]), 0);
	ck_assert_int_eq(hist__batch_add(b, &rs[0]), 1);
	ck_assert_int_eq(hist__batch_add(b, &rs[0]), HIST_E_INVALID);
	hist__batch_free(b);
	hist_db_free(db);
}
END_TEST

START_TEST(store_failed_migration_changes_nothing)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	char *before, *after;

	put_result(db, "default", "r1", 10, "t.py::a", 0, HIST_OUTCOME_PASSED, 7, 1);
	before = dump(db);
	hist_db_free(db);
	/* The step fails half-way: its first statement must not stay. */
	hist__store_test_migration("CREATE TABLE extra(x); CREATE TABLE runs(x);");
	db = NULL;
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "h.db"), NULL), HIST_E_DB);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "already exists"));
	hist_db_free(db);
	hist__store_test_migration(NULL);
	db = open_ok(scratch_path(0, "h.db"));
	after = dump(db);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	hist_db_free(db);
	free(before);
	free(after);
}
END_TEST

/* Three inputs report the same test of the same run differently. */
static const struct {
	hist_outcome outcome;
	int64_t duration;
	unsigned attempts;
} versions[3] = {
	{ HIST_OUTCOME_FAILED, 900, 1 },
	{ HIST_OUTCOME_PASSED, 300, 2 },
	{ HIST_OUTCOME_PASSED, 500, 2 },
};

START_TEST(store_conflicts_resolve_whatever_the_order)
{
	static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	char *first = NULL;

	for (int o = 0; o < 6; o++) {
		char name[32];
		hist_db *db;
		char *d;

		snprintf(name, sizeof name, "h%d.db", o);
		db = open_ok(scratch_path(0, name));
		for (int k = 0; k < 3; k++) {
			int v = orders[o][k];
			put_result(db, "default", "r1", 100 + v, "t.py::x", 0, versions[v].outcome, versions[v].duration,
				versions[v].attempts);
		}
		counts_are(db, NULL, 1, 1, 1);
		d = dump(db);
		if (!first) {
			first = d;
			/* Most attempts win, then the worse outcome, then the
			 * longer duration; the run starts at the earliest. */
			ck_assert_str_eq(d, "run|default|r1|100\nresult|default|r1|t.py::x|0|2|500|NULL|2\n");
		} else {
			ck_assert_str_eq(d, first);
			free(d);
		}
		hist_db_free(db);
	}
	free(first);
}
END_TEST

START_TEST(store_result_reports_added_once)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__record r = { "t.py::x", 7, 0, HIST_OUTCOME_PASSED, 10, 2, 1, 1 };
	int64_t run;
	int added;

	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r", 5), HIST_OK);
	ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	ck_assert_int_eq(added, 1);
	ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	ck_assert_int_eq(added, 0);
	/* The same name as a JUnit key is another test. */
	r.id_is_key = 1;
	ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	ck_assert_int_eq(added, 1);
	r.attempts = 0;
	ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_E_INVALID);
	hist__store_rollback(db);
	counts_are(db, NULL, 0, 0, 0);
	hist_db_free(db);
}
END_TEST

typedef struct {
	hist__buf out;
	int stop_after;
	int calls;
} collect;

static int collect_row(void *payload, const hist__history_row *row)
{
	collect *c = payload;

	ck_assert_int_eq(hist__buf_printf(&c->out, "%.*s|%d|%u|%s|%lld|%lld|%u\n", (int)row->id_len, row->id,
				 row->id_is_key, row->age, hist_outcome_name(row->outcome),
				 (long long)row->duration_us, (long long)row->setup_us, row->attempts),
		HIST_OK);
	return ++c->calls == c->stop_after ? 42 : 0;
}

static char *each(hist_db *db, const char *suite, unsigned window, int stop_after, int expect)
{
	collect c = { HIST__BUF_INIT(0), stop_after, 0 };

	ck_assert_int_eq(hist__store_each_result(db, suite, window, collect_row, &c), expect);
	return hist__buf_detach(&c.out);
}

START_TEST(store_each_result_orders_and_windows)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__record r = { "b.py::t", 7, 0, HIST_OUTCOME_PASSED, 100, 7, 1, 1 };
	char *got;
	int64_t run;
	int added;

	/* Ingested out of time order; "x" and "w" start together. */
	put_result(db, "default", "z", 3000, "b.py::t", 0, HIST_OUTCOME_FAILED, 30, 1);
	put_result(db, "default", "y", 1000, "b.py::t", 0, HIST_OUTCOME_PASSED, 10, 1);
	put_result(db, "default", "x", 2000, "b.py::t", 0, HIST_OUTCOME_PASSED, 20, 1);
	put_result(db, "default", "w", 2000, "a.py::t", 1, HIST_OUTCOME_SKIPPED, -1, 1);
	put_result(db, "default", "x", 2000, "B.py::t", 0, HIST_OUTCOME_ERROR, 5, 3);
	put_result(db, "default", "x", 2000, "b.py::t\xc3\xa9", 0, HIST_OUTCOME_XFAILED, 6, 1);
	put_result(db, "default", "x", 2000, "a.py::t", 0, HIST_OUTCOME_PASSED, 8, 1);
	put_result(db, "other", "x", 9000, "a.py::t", 0, HIST_OUTCOME_PASSED, 99, 1);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "z", 3000), HIST_OK);
	r.id = "c.py::t";
	ck_assert_int_eq(hist__store_result(&added, db, run, &r), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);

	/* Bytes order ('B' < 'a' < 'b'; "t" < "t\xc3\xa9"), key after nodeid
	 * for the same text, oldest run first; the window is z, x, w, y by
	 * (start, ext_id) newest first. */
	got = each(db, NULL, 10, 0, HIST_OK);
	ck_assert_str_eq(got, "B.py::t|0|1|error|5|-1|3\n"
			      "a.py::t|0|1|passed|8|-1|1\n"
			      "a.py::t|1|2|skipped|-1|-1|1\n"
			      "b.py::t|0|3|passed|10|-1|1\n"
			      "b.py::t|0|1|passed|20|-1|1\n"
			      "b.py::t|0|0|failed|30|-1|1\n"
			      "b.py::t\xc3\xa9|0|1|xfailed|6|-1|1\n"
			      "c.py::t|0|0|passed|100|7|1\n");
	free(got);
	/* The newest two runs: z and x. */
	got = each(db, "default", 2, 0, HIST_OK);
	ck_assert_str_eq(got, "B.py::t|0|1|error|5|-1|3\n"
			      "a.py::t|0|1|passed|8|-1|1\n"
			      "b.py::t|0|1|passed|20|-1|1\n"
			      "b.py::t|0|0|failed|30|-1|1\n"
			      "b.py::t\xc3\xa9|0|1|xfailed|6|-1|1\n"
			      "c.py::t|0|0|passed|100|7|1\n");
	free(got);
	got = each(db, "other", 10, 0, HIST_OK);
	ck_assert_str_eq(got, "a.py::t|0|0|passed|99|-1|1\n");
	free(got);
	got = each(db, "nosuch", 10, 0, HIST_OK);
	ck_assert_str_eq(got, "");
	free(got);
	got = each(db, "default", 0, 0, HIST_OK);
	ck_assert_str_eq(got, "");
	free(got);
	/* The callback stops the walk with its own value. */
	got = each(db, "default", 10, 2, 42);
	ck_assert_str_eq(got, "B.py::t|0|1|error|5|-1|3\na.py::t|0|1|passed|8|-1|1\n");
	free(got);
	got = each(db, "default", HIST__STORE_MAX_WINDOW + 1, 0, HIST_E_INVALID);
	free(got);
	hist_db_free(db);
}
END_TEST

/* A history with many tests and runs, rows in id order unlike name order,
 * checked against a simple model of what each_result must return. */
START_TEST(store_each_result_many_tests)
{
	enum { TESTS = 300, RUNS = 7, WINDOW = 5 };
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__buf want = HIST__BUF_INIT(0);
	char *got;

	for (int run = 0; run < RUNS; run++) {
		char ext[16];
		int64_t id;
		snprintf(ext, sizeof ext, "run%d", run);
		ck_assert_int_eq(hist__store_begin(db), HIST_OK);
		/* Start times in reverse of ext order: the newest is run0. */
		ck_assert_int_eq(hist__store_run(&id, db, "default", ext, 1000 - run), HIST_OK);
		for (int t = 0; t < TESTS; t++) {
			char name[32];
			int added;
			/* Every third test misses every other run. */
			if (t % 3 == 0 && run % 2)
				continue;
			snprintf(name, sizeof name, "t%03d.py::x", (t * 7) % TESTS);
			hist__record r = { name, strlen(name), 0, HIST_OUTCOME_PASSED, run * 1000 + t, -1, 1, 1 };
			ck_assert_int_eq(hist__store_result(&added, db, id, &r), HIST_OK);
		}
		ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	}
	for (int n = 0; n < TESTS; n++) {
		int t = 0;
		while ((t * 7) % TESTS != n)
			t++;
		for (int age = WINDOW - 1; age >= 0; age--) {
			int run = age; /* run0 is the newest */
			if (t % 3 == 0 && run % 2)
				continue;
			ck_assert_int_eq(hist__buf_printf(&want, "t%03d.py::x|0|%d|passed|%d|-1|1\n", n, age,
						 run * 1000 + t),
				HIST_OK);
		}
	}
	got = each(db, "default", WINDOW, 0, HIST_OK);
	ck_assert_str_eq(got, hist__buf_cstr(&want));
	free(got);
	hist__buf_free(&want);
	hist_db_free(db);
}
END_TEST

/* An input whose session took wall, collect_us of it collecting. */
static void input(hist_db *db, const char *suite, const char *run, int64_t start, unsigned char tag, int64_t wall,
	int64_t collect_us, int64_t tests, int64_t test_us)
{
	hist__session s = HIST__SESSION_INIT;

	s.wall_us = wall;
	s.collect_us = collect_us;
	put_input(db, suite, run, start, tag, &s, tests, test_us);
}

START_TEST(store_overheads_of_the_window)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__overheads o;
	int seen;
	int64_t tests;
	unsigned char h1[16] = { 1 }, h9[16] = { 9 };

	ck_assert_int_eq(window_overheads(&o, db, NULL, 10), HIST_OK);
	ck_assert_int_eq(o.test_overhead_us, -1);
	ck_assert_int_eq(o.shard_overhead_us, -1);
	ck_assert_int_eq(o.collect_per_test_us, -1);
	/* (wall - collect - tests' time) / tests: 10, 40, 0 (clamped). */
	input(db, "default", "r1", 100, 1, 10000, -1, 100, 9000);
	input(db, "default", "r2", 200, 2, 50000, 10000, 100, 36000);
	input(db, "default", "r2", 200, 3, 1000, 500, 10, 9000);
	/* No wall time: only its collection counts. */
	input(db, "default", "r3", 300, 4, -1, 30000, 100, 1);
	/* Outside the window of 3 (oldest), or of another suite. */
	input(db, "default", "r0", 50, 5, 999999, 999999, 1, 1);
	input(db, "other", "r9", 400, 6, 999999, 999999, 1, 100);
	ck_assert_int_eq(window_overheads(&o, db, "default", 3), HIST_OK);
	ck_assert_int_eq(o.test_overhead_us, 10);
	/* 100 and 10 tests tell fixed parts from per-test ones (estimate.c):
	 * both lines come out with a negative fixed part, clamped to 0, so
	 * the per-test parts are the medians of the ratios. */
	ck_assert_int_eq(o.shard_overhead_us, 0);
	ck_assert_int_eq(o.fitted, 3);
	/* Collection per test: 100, 50, 300. */
	ck_assert_int_eq(o.collect_per_test_us, 100);
	ck_assert_int_eq(window_overheads(&o, db, "default", 1), HIST_OK);
	ck_assert_int_eq(o.test_overhead_us, -1);
	/* One input cannot tell: all of its collection is per test. */
	ck_assert_int_eq(o.shard_overhead_us, 0);
	ck_assert_int_eq(o.collect_per_test_us, 300);
	/* An even count: the mean of the middle two, rounded down. */
	input(db, "other", "r8", 300, 7, 3, 0, 1, 0);
	ck_assert_int_eq(window_overheads(&o, db, "other", 10), HIST_OK);
	ck_assert_int_eq(o.shard_overhead_us, 0);
	ck_assert_int_eq(o.test_overhead_us, (0 + 3) / 2);
	/* 999999 and 0 a test; an input of no tests says nothing per test. */
	ck_assert_int_eq(o.collect_per_test_us, 999999 / 2);
	input(db, "other", "r8", 300, 8, -1, 5000, 0, 0);
	ck_assert_int_eq(window_overheads(&o, db, "other", 10), HIST_OK);
	ck_assert_int_eq(o.collect_per_test_us, 999999 / 2);
	ck_assert_int_eq(o.shard_overhead_us, 0);
	ck_assert_int_eq(hist__store_input_seen(&seen, &tests, db, h1), HIST_OK);
	ck_assert_int_eq(seen, 1);
	ck_assert_int_eq(tests, 100);
	ck_assert_int_eq(hist__store_input_seen(&seen, &tests, db, h9), HIST_OK);
	ck_assert_int_eq(seen, 0);
	hist_db_free(db);
}
END_TEST

/* Two histories sharing a run and a test, differing in what they saw. */
static void make_pair(const char *a, const char *b)
{
	hist_db *db = open_ok(a);

	put_result(db, "default", "r1", 500, "t.py::x", 0, HIST_OUTCOME_PASSED, 10, 1);
	put_result(db, "default", "r1", 500, "t.py::y", 0, HIST_OUTCOME_PASSED, 20, 1);
	put_result(db, "unit", "r2", 700, "t.py::x", 0, HIST_OUTCOME_PASSED, 1, 1);
	input(db, "default", "r1", 500, 1, 100, 5, 2, 30);
	hist_db_free(db);
	db = open_ok(b);
	put_result(db, "default", "r1", 400, "t.py::x", 0, HIST_OUTCOME_FAILED, 11, 1);
	put_result(db, "default", "r3", 900, "t.py::z", 1, HIST_OUTCOME_SKIPPED, -1, 1);
	input(db, "default", "r3", 900, 2, 100, 5, 1, 0);
	hist_db_free(db);
}

START_TEST(store_merge_is_idempotent_and_order_free)
{
	char *ab, *ba, *twice, *direct;
	hist_ingest_stats st;
	hist_db *db;

	make_pair(scratch_path(0, "a.db"), scratch_path(1, "b.db"));
	ab = merged(scratch_path(2, "ab.db"), scratch_path(0, "a.db"), scratch_path(1, "b.db"), 0);
	ba = merged(scratch_path(2, "ba.db"), scratch_path(1, "b.db"), scratch_path(0, "a.db"), 0);
	twice = merged(scratch_path(2, "twice.db"), scratch_path(0, "a.db"), scratch_path(1, "b.db"), 1);
	ck_assert_str_eq(ab, ba);
	ck_assert_str_eq(ab, twice);
	ck_assert_str_eq(ab, "run|default|r1|400\n"
			     "run|default|r3|900\n"
			     "run|unit|r2|700\n"
			     "result|default|r1|t.py::x|0|4|11|NULL|1\n"
			     "result|default|r1|t.py::y|0|2|20|NULL|1\n"
			     "result|default|r3|t.py::z|1|0|NULL|NULL|1\n"
			     "result|unit|r2|t.py::x|0|2|1|NULL|1\n"
			     "input|01000000000000000000000000000000|default|r1|100|5|NULL|NULL|NULL|NULL|2|30|NULL\n"
			     "input|02000000000000000000000000000000|default|r3|100|5|NULL|NULL|NULL|NULL|1|0|NULL\n");

	/* Merging into a history that already has some of it. */
	db = open_ok(scratch_path(0, "a.db"));
	ck_assert_int_eq(hist__store_merge(&st, db, scratch_path(1, "b.db"), "b.db"), HIST_OK);
	ck_assert_int_eq(st.format, HIST_FORMAT_DATABASE);
	ck_assert_int_eq(st.tests, 2);
	ck_assert_int_eq(st.added, 1);
	ck_assert_int_eq(st.duplicates, 1);
	ck_assert_int_eq(hist__store_merge(&st, db, scratch_path(1, "b.db"), "b.db"), HIST_OK);
	ck_assert_int_eq(st.added, 0);
	ck_assert_int_eq(st.duplicates, 2);
	direct = dump(db);
	ck_assert_str_eq(direct, ab);
	hist_db_free(db);
	free(ab);
	free(ba);
	free(twice);
	free(direct);
}
END_TEST

START_TEST(store_merge_refuses_what_it_cannot_merge)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_stats st;
	char *before = dump(db), *after;

	ck_assert_int_eq(hist__store_merge(&st, db, scratch_path(0, "h.db"), "h.db"), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "h.db: is the history database itself");
	copy_file(fixture("db/foreign.db"), scratch_path(1, "foreign.db"));
	ck_assert_msg(hist__store_merge(&st, db, scratch_path(1, "foreign.db"), "foreign.db") == HIST_E_SCHEMA, "%s", hist_db_errmsg(db));
	/* Named once, as the caller calls it (not by the path it opened). */
	ck_assert_str_eq(hist_db_errmsg(db), "foreign.db: not a hist history (a SQLite database of another program)");
	copy_file(fixture("db/plain.db"), scratch_path(1, "plain.db"));
	ck_assert_int_eq(hist__store_merge(&st, db, scratch_path(1, "plain.db"), "plain.db"), HIST_E_SCHEMA);
	/* Still usable, nothing attached or changed. */
	put_result(db, "default", "r", 1, "t.py::a", 0, HIST_OUTCOME_PASSED, 1, 1);
	ck_assert_int_eq(hist__store_merge(&st, db, scratch_path(1, "foreign.db"), "foreign.db"), HIST_E_SCHEMA);
	after = dump(db);
	ck_assert_str_eq(after, "run|default|r|1\nresult|default|r|t.py::a|0|2|1|NULL|1\n");
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	hist_db_free(db);
	free(before);
	free(after);
}
END_TEST

START_TEST(store_counts_per_suite)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));

	put_result(db, "default", "r1", 1, "t.py::a", 0, HIST_OUTCOME_PASSED, 1, 1);
	put_result(db, "default", "r2", 2, "t.py::a", 0, HIST_OUTCOME_PASSED, 1, 1);
	put_result(db, "default", "r2", 2, "t.py::b", 0, HIST_OUTCOME_PASSED, 1, 1);
	put_result(db, "unit", "r1", 3, "t.py::c", 0, HIST_OUTCOME_PASSED, 1, 1);
	counts_are(db, NULL, 3, 3, 4);
	counts_are(db, "default", 2, 2, 3);
	counts_are(db, "unit", 1, 1, 1);
	counts_are(db, "none", 0, 0, 0);
	hist_db_free(db);
}
END_TEST

Suite *check_store_suite(void);
Suite *check_store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, scratch_make, scratch_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, store_creates_current_schema);
	tcase_add_test(tc, store_new_file_script_equals_the_steps);
	tcase_add_test(tc, store_new_file_syncs_fully_until_wal);
	tcase_add_test(tc, store_rejects_files_that_are_not_histories);
	tcase_add_test(tc, store_read_only_never_creates);
	tcase_add_test(tc, store_empty_history_lives_in_memory);
	tcase_add_test(tc, store_migrates_a_v1_file);
	tcase_add_test(tc, store_failed_migration_changes_nothing);
	tcase_add_test(tc, store_v1_becomes_v2);
	tcase_add_test(tc, store_check_finds_bad_test_ids);
	tcase_add_test(tc, store_batch_takes_repeats_and_conflicts);
	tcase_add_test(tc, store_conflicts_resolve_whatever_the_order);
	tcase_add_test(tc, store_result_reports_added_once);
	tcase_add_test(tc, store_each_result_orders_and_windows);
	tcase_add_test(tc, store_each_result_many_tests);
	tcase_add_test(tc, store_overheads_of_the_window);
	tcase_add_test(tc, store_merge_is_idempotent_and_order_free);
	tcase_add_test(tc, store_merge_refuses_what_it_cannot_merge);
	tcase_add_test(tc, store_counts_per_suite);
	suite_add_tcase(s, tc);
	return s;
}
