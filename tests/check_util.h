/* check_util.h - helpers shared by the Check suites. */
#ifndef HIST_CHECK_UTIL_H
#define HIST_CHECK_UTIL_H

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "hist.h"
#include "estimate.h"
#include "store.h"

/* Path of a file under fixtures/ (HIST_FIXTURES overrides the directory).
 * Returns a static buffer, valid until the next call. */
static inline const char *fixture(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("HIST_FIXTURES");

	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "fixtures", rel);
	return path;
}

/* A scratch directory per test: scratch_make() in a checked fixture's setup,
 * scratch_remove() in its teardown, scratch_path() for names in it. */
static inline char *scratch_dir(void)
{
	static char dir[64];

	return dir;
}

static inline void scratch_make(void)
{
	snprintf(scratch_dir(), 64, "%s", "/tmp/hist_check.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch_dir()));
}

static inline void scratch_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir());
	ck_assert_int_eq(system(cmd), 0);
}

/* scratch_dir()/name in one of four static buffers (slot 0-3), so a
 * call can take several paths. */
static inline const char *scratch_path(int slot, const char *name)
{
	static char paths[4][256];

	snprintf(paths[slot], sizeof paths[slot], "%s/%s", scratch_dir(), name);
	return paths[slot];
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static inline void copy_file(const char *from, const char *to)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");

	ck_assert_msg(in && out, "copy %s -> %s", from, to);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

/* Opens (creating) a history, failing the test with the library's message. */
static inline hist_db *open_ok(const char *path)
{
	hist_db *db = NULL;
	int error = hist_db_open(&db, path, NULL);

	ck_assert_msg(error == HIST_OK, "open %s: %s", path, hist_db_errmsg(db));
	return db;
}

/* The whole history as text (HIST_TESTING's hist__store_dump), so two
 * databases compare with one strcmp; free with hist__free. */
static inline char *dump(hist_db *db)
{
	hist__buf b = HIST__BUF_INIT(0);

	ck_assert_int_eq(hist__store_dump(&b, db), HIST_OK);
	return hist__buf_detach(&b);
}

/* Every row of query on sql as text, its columns joined by '|', a line a
 * row ("NULL" for NULL), so two databases compare with one strcmp; free
 * with hist__free. */
static inline char *query_text(sqlite3 *sql, const char *query)
{
	hist__buf out = HIST__BUF_INIT(0);
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(sql, query, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);

			ck_assert_int_eq(hist__buf_printf(&out, "%s%s", c ? "|" : "", t ? t : "NULL"), HIST_OK);
		}
		ck_assert_int_eq(hist__buf_putc(&out, '\n'), HIST_OK);
	}
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);
	return hist__buf_detach(&out);
}

/* Stores one result of name (is_key: a JUnit key) in run of suite, started
 * at start, in a transaction of its own. */
static inline void put_result(hist_db *db, const char *suite, const char *run, int64_t start,
	const char *name, int is_key, hist_outcome outcome, int64_t duration, unsigned attempts)
{
	hist__record r = { name, strlen(name), is_key, outcome, duration, -1, attempts, 1 };
	int64_t id;
	int added;

	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&id, db, suite, run, start), HIST_OK);
	ck_assert_int_eq(hist__store_result(&added, db, id, &r), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
}

/* Stores an input of run in suite (started at start) in a transaction of
 * its own: content hash tag and zeros, session s, tests tests taking
 * test_us in all. */
static inline void put_input(hist_db *db, const char *suite, const char *run, int64_t start, unsigned char tag,
	const hist__session *s, int64_t tests, int64_t test_us)
{
	unsigned char hash[16] = { tag };
	int64_t id;

	ck_assert_int_eq(hist__store_begin(db), HIST_OK);
	ck_assert_int_eq(hist__store_run(&id, db, suite, run, start), HIST_OK);
	ck_assert_int_eq(hist__store_input_add(db, hash, NULL, id, s, tests, test_us), HIST_OK);
	ck_assert_int_eq(hist__store_commit(db), HIST_OK);
}

/* The history at into after merging first then second (twice: both once
 * more), checked, as dump() text. */
static inline char *merged(const char *into, const char *first, const char *second, int twice)
{
	hist_db *db = open_ok(into);
	hist_ingest_stats st;
	char *d;

	for (int k = 0; k <= twice; k++) {
		ck_assert_msg(hist__store_merge(&st, db, first, "first") == HIST_OK, "%s", hist_db_errmsg(db));
		ck_assert_msg(hist__store_merge(&st, db, second, "second") == HIST_OK, "%s", hist_db_errmsg(db));
	}
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	d = dump(db);
	hist_db_free(db);
	return d;
}

/* The history's hist_db_counts for suite (NULL: all) are these. */
static inline void counts_are(hist_db *db, const char *suite, int64_t runs, int64_t tests, int64_t results)
{
	hist_counts c;

	ck_assert_int_eq(hist_db_counts(&c, db, suite), HIST_OK);
	ck_assert_int_eq(c.runs, runs);
	ck_assert_int_eq(c.tests, tests);
	ck_assert_int_eq(c.results, results);
}

/* The overheads planning would learn from the window of suite: the store's
 * input rows through the estimator's model. */
static inline int window_overheads(hist__overheads *out, hist_db *db, const char *suite, unsigned int window)
{
	hist__input_row *rows;
	size_t n;
	int error = hist__store_inputs(&rows, &n, db, suite, window);

	if (error == HIST_OK)
		error = hist__estimate_overheads(out, rows, n);
	hist__free(rows);
	return error;
}

#endif
