/* check_pipe.c - results through the store thread: the same history as
 * storing them one at a time; a failure on either side stops both, leaves
 * the transaction to roll back and the handle usable. */
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "check_util.h"
#include "pipe.h"
#include "store.h"
#include "store_db.h"

/* About five batches: the thread starts, batches queue, the last one is
 * partial. */
enum { N = 5000, FAIL_AT = 2500 };

/* Record i. Every 7th repeats the test of 3 records before (mostly in the
 * same batch), every 1000th one of 990 before (an earlier batch), with
 * other outcomes and times, so the conflict rule has work; some are JUnit
 * keys, some have no duration. */
static int test_of(int i)
{
	return i % 7 == 6 ? i - 3 : i % 1000 == 999 ? i - 990 : i;
}

/* How many tests records 0..N-1 name. */
static int64_t distinct_tests(void)
{
	static char seen[N];
	int64_t n = 0;

	memset(seen, 0, sizeof seen);
	for (int i = 0; i < N; i++)
		if (!seen[test_of(i)]++)
			n++;
	return n;
}

static hist__record record(int i, char *name, size_t cap)
{
	int t = test_of(i);
	hist__record r;

	snprintf(name, cap, "tests/m%d.py::test_%d", t / 50, t);
	r.id = name;
	r.id_len = strlen(name);
	r.id_is_key = t % 11 == 0;
	r.outcome = (hist_outcome)(i % HIST_OUTCOME_COUNT);
	r.duration_us = i == FAIL_AT ? 777777 : i % 13 == 0 ? -1 : (i * 37) % 1000;
	r.setup_us = i % 5 == 0 ? i : -1;
	r.attempts = 1 + (unsigned)(i % 3);
	r.line = (unsigned long)i + 1;
	return r;
}

/* Equal texts, or the first line where they differ. */
static void same_text(const char *got, const char *want)
{
	size_t i = 0, line = 0;

	while (got[i] && got[i] == want[i])
		i++;
	if (!got[i] && !want[i])
		return;
	while (i > 0 && got[i - 1] != '\n')
		i--;
	for (size_t j = 0; j < i; j++)
		line += got[j] == '\n';
	ck_abort_msg("line %zu differs: got \"%.80s\", want \"%.80s\"", line + 1, got + i, want + i);
}

/* The greater of two results by the conflict rule: attempts, outcome,
 * duration, setup (unknown below everything). */
static int greater(const hist__record *a, const hist__record *b)
{
	if (a->attempts != b->attempts)
		return a->attempts > b->attempts;
	if (a->outcome != b->outcome)
		return a->outcome > b->outcome;
	if (a->duration_us != b->duration_us)
		return a->duration_us > b->duration_us;
	return a->setup_us > b->setup_us;
}

typedef struct {
	char name[64];
	hist__record r;
} model_row;

static int by_name(const void *a, const void *b)
{
	const model_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->r.id_is_key - y->r.id_is_key;
}

/* What hist__store_dump must print for run_id after records 0..N-1: per
 * test the greatest of its results, in name order. */
static char *model_dump(const char *run_id)
{
	static model_row rows[N];
	static int at[N];
	hist__buf out = HIST__BUF_INIT(0);
	size_t n = 0;

	memset(at, 0xff, sizeof at);
	for (int i = 0; i < N; i++) {
		char name[64];
		hist__record r = record(i, name, sizeof name);
		int t = test_of(i);

		if (at[t] < 0) {
			at[t] = (int)n++;
			snprintf(rows[at[t]].name, sizeof rows[at[t]].name, "%s", name);
		} else if (!greater(&r, &rows[at[t]].r)) {
			continue;
		}
		rows[at[t]].r = r;
		rows[at[t]].r.id = rows[at[t]].name;
	}
	qsort(rows, n, sizeof *rows, by_name);
	ck_assert_int_eq(hist__buf_printf(&out, "run|default|%s|1\n", run_id), HIST_OK);
	for (size_t i = 0; i < n; i++) {
		const hist__record *r = &rows[i].r;
		char d[32] = "NULL", s[32] = "NULL";

		if (r->duration_us >= 0)
			snprintf(d, sizeof d, "%lld", (long long)r->duration_us);
		if (r->setup_us >= 0)
			snprintf(s, sizeof s, "%lld", (long long)r->setup_us);
		ck_assert_int_eq(hist__buf_printf(&out, "result|default|%s|%s|%d|%d|%s|%s|%u\n", run_id,
		                                  rows[i].name, r->id_is_key, (int)r->outcome, d, s,
		                                  r->attempts),
		                 HIST_OK);
	}
	return hist__buf_detach(&out);
}

static int64_t through_pipe(hist_db *db, const char *run_id)
{
	hist__pipe *p = NULL;
	int64_t run, added;
	char name[64];

	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", run_id, 1), HIST_OK);
	ck_assert_int_eq(hist__pipe_new(&p, db, run), HIST_OK);
	for (int i = 0; i < N; i++) {
		hist__record r = record(i, name, sizeof name);
		ck_assert_int_eq(hist__pipe_add(p, &r), HIST_OK);
	}
	ck_assert_int_eq(hist__pipe_finish(&added, p), HIST_OK);
	ck_assert_int_eq(hist__pipe_store_failed(p), 0);
	hist__pipe_free(p);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
	return added;
}

START_TEST(pipe_stores_as_one_at_a_time)
{
	hist_db *a = open_ok(scratch_path(0, "a.db")), *b = open_ok(scratch_path(1, "b.db"));
	int64_t run, added_a, added_b = 0;
	char name[64], *da, *db_, *again;

	added_a = through_pipe(a, "r1");
	ck_assert_int_eq(hist__store_begin(b), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, b, "default", "r1", 1), HIST_OK);
	for (int i = 0; i < N; i++) {
		hist__record r = record(i, name, sizeof name);
		int added;
		ck_assert_int_eq(hist__store_result(&added, b, run, &r), HIST_OK);
		added_b += added;
	}
	ck_assert_int_eq(hist__store_commit(b), HIST_OK);
	ck_assert_int_lt(distinct_tests(), N - N / 8);
	ck_assert_int_eq(added_b, distinct_tests());
	ck_assert_int_eq(added_a, added_b);
	da = dump(a);
	db_ = model_dump("r1");
	same_text(da, db_);
	free(db_);
	db_ = dump(b);
	same_text(da, db_);
	ck_assert_int_eq(hist__store_check(a), HIST_OK);
	/* Once more: nothing new, nothing changed (the first batch guesses
	 * new tests from the last run, and must find them all there). */
	ck_assert_int_eq(through_pipe(a, "r1"), 0);
	again = dump(a);
	same_text(again, da);
	ck_assert_int_eq(hist__store_check(a), HIST_OK);
	free(da);
	free(db_);
	free(again);
	hist_db_free(a);
	hist_db_free(b);
}
END_TEST

/* A trigger makes SQLite refuse the test of record FAIL_AT, in the
 * third batch: the store thread fails there. A TEMP trigger of the
 * connection, since a history file holding a trigger is refused at open.
 * (Results go to temp.pending, which it does not watch.) */
static void install_failing_trigger(hist_db *db)
{
	sqlite3_stmt *s;
	char name[64];
	hist__record r = record(FAIL_AT, name, sizeof name);

	ck_assert_int_eq(sqlite3_prepare_v2(db->sql, "SELECT 'CREATE TEMP TRIGGER fail BEFORE INSERT ON main.tests"
						     " WHEN NEW.name = ' || quote(?1) || ' BEGIN SELECT RAISE(ABORT, ''injected failure''); END'",
			     -1, &s, NULL),
		SQLITE_OK);
	sqlite3_bind_text(s, 1, r.id, (int)r.id_len, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_exec(db->sql, (const char *)sqlite3_column_text(s, 0), NULL, NULL, NULL), SQLITE_OK);
	sqlite3_finalize(s);
}

START_TEST(pipe_store_failure_stops_the_parser)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__pipe *p = NULL;
	char name[64], *before, *after;
	int64_t run, added;
	int i, error = HIST_OK;

	install_failing_trigger(db);
	before = dump(db);
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r", 1), HIST_OK);
	ck_assert_int_eq(hist__pipe_new(&p, db, run), HIST_OK);
	for (i = 0; i < 4 * N && error == HIST_OK; i++) {
		hist__record r = record(i % N, name, sizeof name);
		error = hist__pipe_add(p, &r);
	}
	/* The parser learns of it within the batches it can run ahead: the
	 * failing one, one queued, the one it fills. */
	ck_assert_int_eq(error, HIST_E_DB);
	ck_assert_int_le(i, (FAIL_AT / HIST__BATCH_ROWS + 4) * HIST__BATCH_ROWS);
	ck_assert_int_eq(hist__pipe_store_failed(p), 1);
	ck_assert_int_eq(hist__pipe_add(p, &(hist__record){"x", 1, 0, HIST_OUTCOME_PASSED, 1, -1, 1, 1}),
	                 HIST_E_DB);
	ck_assert_int_eq(hist__pipe_finish(&added, p), HIST_E_DB);
	ck_assert_int_eq(added, 0);
	hist__pipe_free(p);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "injected failure"));
	hist__store_rollback(db);
	after = dump(db);
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	free(before);
	free(after);
	hist_db_free(db);
}
END_TEST

START_TEST(pipe_dropped_midway_leaves_the_handle_usable)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist__pipe *p = NULL;
	char name[64], *before, *after;
	int64_t run;

	before = dump(db);
	/* The parser fails after 4000 records: the pipe is freed with
	 * batches stored, queued and half filled. */
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r", 1), HIST_OK);
	ck_assert_int_eq(hist__pipe_new(&p, db, run), HIST_OK);
	for (int i = 0; i < 4000; i++) {
		hist__record r = record(i, name, sizeof name);
		ck_assert_int_eq(hist__pipe_add(p, &r), HIST_OK);
	}
	hist__pipe_free(p);
	hist__store_rollback(db);
	after = dump(db);
	ck_assert_str_eq(after, before);
	free(after);
	/* A record the batch refuses is the caller's to report. */
	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, db, "default", "r", 1), HIST_OK);
	ck_assert_int_eq(hist__pipe_new(&p, db, run), HIST_OK);
	ck_assert_int_eq(hist__pipe_add(p, &(hist__record){"x", 1, 0, HIST_OUTCOME_COUNT, 1, -1, 1, 1}),
	                 HIST_E_INVALID);
	ck_assert_int_eq(hist__pipe_add(p, &(hist__record){"x", 1, 0, HIST_OUTCOME_PASSED, 1, -1, 0, 1}),
	                 HIST_E_INVALID);
	ck_assert_int_eq(hist__pipe_store_failed(p), 0);
	hist__pipe_free(p);
	hist__store_rollback(db);
	/* Still usable. */
	ck_assert_int_eq(through_pipe(db, "r2"), distinct_tests());
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	free(before);
	hist_db_free(db);
}
END_TEST

Suite *check_pipe_suite(void);
Suite *check_pipe_suite(void)
{
	Suite *s = suite_create("pipe");
	TCase *tc = tcase_create("pipe");

	tcase_add_checked_fixture(tc, scratch_make, scratch_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pipe_stores_as_one_at_a_time);
	tcase_add_test(tc, pipe_store_failure_stops_the_parser);
	tcase_add_test(tc, pipe_dropped_midway_leaves_the_handle_usable);
	suite_add_tcase(s, tc);
	return s;
}
