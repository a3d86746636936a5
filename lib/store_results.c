/* store_results.c - the packed results read as rows.
 * Owns: hist_results, a read-only virtual table of this connection that
 * shows the packs (store_pack.c) as the results table of schema 5 did,
 * one row a result: run_id, test_id, outcome, duration_us, setup_us (NULL
 * unknown), attempts; and the counts of results and tests (hist_db_counts,
 * hist_db_has_results).
 * Not here: encoding, decoding and writing packs (store_pack.c), the
 * window read for plans (store_window.c).
 *
 * Why a virtual table: readers (histstats --test, prune, merge, the
 * tests' dump) keep their SQL, and a constraint run_id = ? (with test_id =
 * ?, one pack) decodes only the packs of that run. A merge reads another
 * history's packs as hist_results('src'): the hidden column names the
 * attached database. Damaged packs fail the statement with
 * SQLITE_CORRUPT_VTAB and "packed results of run N are damaged". */
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "nodeid.h"
#include "store_db.h"
#include "strmap.h"

enum { R_RUN, R_TEST, R_OUTCOME, R_DURATION, R_SETUP, R_ATTEMPTS, R_DB };

/* idxNum bits: which constraints xFilter gets, in this order in argv. */
enum { PLAN_DB = 1, PLAN_RUN = 2, PLAN_TEST = 4 };

/* [db][what]: every pack, a run's packs, one pack of a run. Constant
 * SQL, so the attached database's name is one of these two. */
static const char *const scan_sql[2][3] = {
	{ "SELECT run_id, chunk, data FROM main.packs ORDER BY run_id, chunk",
		"SELECT run_id, chunk, data FROM main.packs WHERE run_id = ?1 ORDER BY chunk",
		HIST__PACK_ONE_SQL("main") },
	{ "SELECT run_id, chunk, data FROM src.packs ORDER BY run_id, chunk",
		"SELECT run_id, chunk, data FROM src.packs WHERE run_id = ?1 ORDER BY chunk",
		HIST__PACK_ONE_SQL("src") },
};

typedef struct {
	sqlite3_vtab base;
	sqlite3 *sql;
	/* main's statements, kept between cursors: a correlated subquery
	 * (prune's "a result left?") opens a cursor per outer row, and
	 * preparing each time cost more than the probe. src's are never
	 * kept: its file changes with each ATTACH. Finalized at xDisconnect,
	 * which sqlite3_close calls before it checks for open statements. */
	sqlite3_stmt *cache[3];
} results_vtab;

typedef struct {
	sqlite3_vtab_cursor base;
	sqlite3_stmt *scan;   /* the packs read, kept across filters */
	int scan_db, scan_what;
	int64_t run, test;    /* test: the one wanted, or -1 */
	int src;              /* 1: reading src */
	int eof;
	hist__pack_row *rows; /* the current pack, decoded */
	size_t n, i;
} results_cursor;

static int rs_connect(sqlite3 *sql, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **msg)
{
	int rc;

	(void)aux;
	(void)argc;
	(void)argv;
	(void)msg;
	rc = hist__store_vtab_connect(sql, "CREATE TABLE x(run_id INTEGER, test_id INTEGER, outcome INTEGER,"
				       " duration_us INTEGER, setup_us INTEGER, attempts INTEGER, db HIDDEN)",
		sizeof(results_vtab), out);
	if (rc == SQLITE_OK)
		((results_vtab *)*out)->sql = sql;
	return rc;
}

static int rs_disconnect(sqlite3_vtab *v)
{
	results_vtab *rv = (results_vtab *)v;

	for (int i = 0; i < 3; i++)
		sqlite3_finalize(rv->cache[i]);
	sqlite3_free(v);
	return SQLITE_OK;
}

/* run_id = ? reads one run's packs, with test_id = ? one pack; anything
 * else scans every pack, and SQLite checks the rest itself. */
static int rs_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	int at[3] = { -1, -1, -1 }, plan = 0, argv = 0;

	(void)v;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int k = c->iColumn == R_DB ? 0 : c->iColumn == R_RUN ? 1 : c->iColumn == R_TEST ? 2 : -1;

		if (k < 0 || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		/* The database argument must be used: without it this would
		 * read main's packs for src's. */
		if (!c->usable) {
			if (k == 0)
				return SQLITE_CONSTRAINT;
			continue;
		}
		at[k] = i;
	}
	if (at[2] >= 0 && at[1] < 0)
		at[2] = -1;
	for (int k = 0; k < 3; k++)
		if (at[k] >= 0) {
			plan |= 1 << k;
			info->aConstraintUsage[at[k]].argvIndex = ++argv;
			info->aConstraintUsage[at[k]].omit = 1;
		}
	info->idxNum = plan;
	info->estimatedRows = plan & PLAN_TEST ? 1 : plan & PLAN_RUN ? 10000 : 10000000;
	info->estimatedCost = (double)info->estimatedRows * 10;
	if (plan & PLAN_TEST)
		info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
	return SQLITE_OK;
}

static int rs_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	results_cursor *c = sqlite3_malloc(sizeof *c);

	(void)v;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->scan_db = -1;
	if (!(c->rows = sqlite3_malloc(HIST__PACK_CHUNK * sizeof *c->rows))) {
		sqlite3_free(c);
		return SQLITE_NOMEM;
	}
	*out = &c->base;
	return SQLITE_OK;
}

/* The cursor's statement back to the cache (main's, when its slot is
 * free) or finalized. */
static void release_scan(results_cursor *c)
{
	results_vtab *v = (results_vtab *)c->base.pVtab;

	if (!c->scan)
		return;
	if (c->scan_db == 0 && !v->cache[c->scan_what]) {
		sqlite3_reset(c->scan);
		sqlite3_clear_bindings(c->scan);
		v->cache[c->scan_what] = c->scan;
	} else {
		sqlite3_finalize(c->scan);
	}
	c->scan = NULL;
}

static int rs_close(sqlite3_vtab_cursor *cur)
{
	results_cursor *c = (results_cursor *)cur;

	release_scan(c);
	sqlite3_free(c->rows);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int fail(results_cursor *c, int rc, const char *msg)
{
	sqlite3_vtab *v = c->base.pVtab;

	sqlite3_free(v->zErrMsg);
	v->zErrMsg = sqlite3_mprintf("%s", msg);
	return rc;
}

/* One test wanted (a probe): its row alone in rows[0] (n 1) if the pack
 * of chunk under the scan (checked) has it, decoded no further than
 * that. -1 when the pack is damaged up to there. */
static int find_test(results_cursor *c, int64_t chunk)
{
	hist__pack_reader r;
	int got;

	hist__pack_reader_init(&r, chunk, sqlite3_column_blob(c->scan, 2), (size_t)sqlite3_column_bytes(c->scan, 2));
	while ((got = hist__pack_next(&c->rows[0], &r)) == 1 && c->rows[0].test_id < c->test)
		;
	if (got < 0)
		return -1;
	c->n = got == 1 && c->rows[0].test_id == c->test;
	return 0;
}

static int damaged(results_cursor *c, int64_t run)
{
	char msg[96];

	snprintf(msg, sizeof msg, "packed results of run %lld are damaged", (long long)run);
	c->n = 0;
	return fail(c, SQLITE_CORRUPT_VTAB, msg);
}

/* A probe (HIST__PACK_ONE_SQL) read to its end, every row checked,
 * before its row is shown: the row of the test, if any, in rows[0]. */
static int probe(results_cursor *c, int64_t run)
{
	int64_t chunk = c->test / HIST__PACK_CHUNK;
	int rc, got;

	c->run = run;
	while ((rc = sqlite3_step(c->scan)) == SQLITE_ROW)
		if ((got = hist__pack_one_row(c->scan, chunk)) < 0 || (got == 1 && find_test(c, chunk) < 0))
			return damaged(c, run);
	if (rc != SQLITE_DONE)
		return fail(c, rc, sqlite3_errmsg(((results_vtab *)c->base.pVtab)->sql));
	c->eof = c->n == 0;
	return SQLITE_OK;
}

/* Reads packs until one has a row to show, or none is left. */
static int next_pack(results_cursor *c)
{
	while (c->i >= c->n) {
		int rc;
		int64_t chunk;

		/* A probe's statement was read to its end. */
		if (c->test >= 0 || (rc = sqlite3_step(c->scan)) == SQLITE_DONE) {
			c->eof = 1;
			return SQLITE_OK;
		}
		if (rc != SQLITE_ROW)
			return fail(c, rc, sqlite3_errmsg(((results_vtab *)c->base.pVtab)->sql));
		c->i = c->n = 0;
		c->run = sqlite3_column_int64(c->scan, 0);
		if (hist__pack_chunk(&chunk, c->scan, 1) < 0 ||
			hist__pack_decode(c->rows, &c->n, chunk, sqlite3_column_blob(c->scan, 2),
				(size_t)sqlite3_column_bytes(c->scan, 2)) < 0)
			return damaged(c, c->run);
	}
	return SQLITE_OK;
}

static int rs_filter(sqlite3_vtab_cursor *cur, int plan, const char *str, int argc, sqlite3_value **argv)
{
	results_cursor *c = (results_cursor *)cur;
	results_vtab *v = (results_vtab *)cur->pVtab;
	int db = 0, what = plan & PLAN_TEST ? 2 : plan & PLAN_RUN ? 1 : 0, a = 0, rc;
	int64_t run = 0;

	(void)str;
	(void)argc;
	c->eof = 0;
	c->n = c->i = 0;
	c->test = -1;
	if (plan & PLAN_DB) {
		const char *name = (const char *)sqlite3_value_text(argv[a++]);
		if (!name || (strcmp(name, "main") != 0 && strcmp(name, "src") != 0))
			return fail(c, SQLITE_ERROR, "hist_results: the database is 'main' or 'src'");
		db = strcmp(name, "src") == 0;
	}
	/* run_id = NULL, or a test id out of range, matches nothing. */
	if (plan & PLAN_RUN) {
		if (sqlite3_value_type(argv[a]) == SQLITE_NULL)
			c->eof = 1;
		run = sqlite3_value_int64(argv[a++]);
	}
	if (plan & PLAN_TEST) {
		if (sqlite3_value_type(argv[a]) == SQLITE_NULL)
			c->eof = 1;
		c->test = sqlite3_value_int64(argv[a++]);
		if (c->test < 0 || c->test / HIST__PACK_CHUNK >= HIST__PACK_MAX_CHUNK)
			c->eof = 1;
	}
	if (c->eof)
		return SQLITE_OK;
	if (c->scan && (c->scan_db != db || c->scan_what != what))
		release_scan(c);
	if (c->scan) {
		sqlite3_reset(c->scan);
	} else if (db == 0 && v->cache[what]) {
		c->scan = v->cache[what];
		v->cache[what] = NULL;
	} else if ((rc = sqlite3_prepare_v2(v->sql, scan_sql[db][what], -1, &c->scan, NULL)) != SQLITE_OK) {
		return fail(c, rc, sqlite3_errmsg(v->sql));
	}
	c->scan_db = db;
	c->scan_what = what;
	if (what >= 1)
		sqlite3_bind_int64(c->scan, 1, run);
	if (what == 2) {
		sqlite3_bind_int64(c->scan, 2, c->test / HIST__PACK_CHUNK);
		return probe(c, run);
	}
	return next_pack(c);
}

static int rs_next(sqlite3_vtab_cursor *cur)
{
	results_cursor *c = (results_cursor *)cur;

	c->i++;
	return next_pack(c);
}

static int rs_eof(sqlite3_vtab_cursor *cur)
{
	return ((const results_cursor *)cur)->eof;
}

static int rs_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const results_cursor *c = (const results_cursor *)cur;
	const hist__pack_row *r = &c->rows[c->i];

	switch (col) {
	case R_RUN:
		sqlite3_result_int64(ctx, c->run);
		break;
	case R_TEST:
		sqlite3_result_int64(ctx, r->test_id);
		break;
	case R_OUTCOME:
		sqlite3_result_int(ctx, r->outcome);
		break;
	case R_DURATION:
	case R_SETUP: {
		int64_t x = col == R_DURATION ? r->duration_us : r->setup_us;
		if (x >= 0)
			sqlite3_result_int64(ctx, x);
		else
			sqlite3_result_null(ctx);
		break;
	}
	case R_ATTEMPTS:
		sqlite3_result_int64(ctx, r->attempts);
		break;
	default:
		sqlite3_result_text(ctx, c->scan_db ? "src" : "main", -1, SQLITE_STATIC);
		break;
	}
	return SQLITE_OK;
}

static int rs_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	const results_cursor *c = (const results_cursor *)cur;

	*out = (sqlite3_int64)((uint64_t)c->run << 32 | (uint64_t)c->rows[c->i].test_id);
	return SQLITE_OK;
}

/* No xCreate: eponymous only, so no CREATE VIRTUAL TABLE can name it. */
static const sqlite3_module results_module = {
	.iVersion = 0,
	.xConnect = rs_connect,
	.xBestIndex = rs_best_index,
	.xDisconnect = rs_disconnect,
	.xOpen = rs_open,
	.xClose = rs_close,
	.xFilter = rs_filter,
	.xNext = rs_next,
	.xEof = rs_eof,
	.xColumn = rs_column,
	.xRowid = rs_rowid,
};

int hist__store_results_module(hist_db *db)
{
	int rc = sqlite3_create_module_v2(db->sql, "hist_results", &results_module, NULL, NULL);

	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

/* ---- counts ------------------------------------------------------- */

/* A JUnit key (an xunit2 report's classname::name) is the same test as
 * each nodeid whose key it is: histplan and histmerge --plan match them so
 * (SPEC "Test identity"). So a key with results counts as a test of its
 * own only when no nodeid with results has it; a test reported once by
 * xunit2 and once by the plugin is one test. The keys with results go
 * into a map, and only when there are any each nodeid's key is looked up:
 * a history without keys costs one filtered scan (0.04 s at 1M tests).
 * count[id + 1] holds test id's results (hist__pack_count). */
static int drop_matched_keys(int64_t *tests, hist_db *db, const uint32_t *count, size_t slots)
{
	hist__strmap keys = HIST__STRMAP_INIT;
	hist__arena_block *names = NULL;
	hist__buf key = HIST__BUF_INIT(0);
	sqlite3_stmt *s = NULL;
	unsigned char *matched = NULL;
	uint32_t nkeys = 0;
	int error, row;

	/* Pass 0 maps the keys with results, pass 1 looks up each nodeid's. */
	for (int pass = 0; pass < 2; pass++) {
		if ((error = hist__store_stmt(&s, db, S_TESTS_OF_KIND)) < 0)
			goto done;
		sqlite3_bind_int(s, 1, !pass);
		while ((row = hist__store_step_row(db, s)) == 1) {
			int64_t id = sqlite3_column_int64(s, 0);
			const char *name = (const char *)sqlite3_column_text(s, 1), *copy;
			size_t len = (size_t)sqlite3_column_bytes(s, 1);
			uint32_t k;
			int added, keyed;

			if (id < 0 || (uint64_t)id + 1 >= slots || !count[id + 1])
				continue;
			if (!name) {
				error = hist__store_nomem(db);
				goto done;
			}
			if (!pass) {
				if (!(copy = hist__arena_dup(&names, name, len)) ||
					hist__strmap_put(&k, &added, &keys, copy, len, nkeys) < 0) {
					error = hist__store_nomem(db);
					goto done;
				}
				nkeys += (uint32_t)added;
			} else if ((keyed = hist__nodeid_key(&key, name, len)) < 0) {
				error = hist__store_nomem(db);
				goto done;
			} else if (keyed && hist__strmap_get(&k, &keys, key.ptr, key.len) && !matched[k]) {
				matched[k] = 1;
				(*tests)--;
			}
		}
		if ((error = row) < 0)
			goto done;
		hist__store_reset(s);
		if (!nkeys)
			break;
		if (!pass && !(matched = hist__calloc(nkeys, 1))) {
			error = hist__store_nomem(db);
			goto done;
		}
	}
done:
	hist__store_reset(s);
	hist__free(matched);
	hist__buf_free(&key);
	hist__arena_free(names);
	hist__strmap_free(&keys);
	return error;
}

/* Results and tests of suite's runs (all for NULL), from the test ids of
 * its packs alone: one pass, no row a result (hist_results would take
 * 5M VDBE rows for 100,000 tests x 50 runs). */
static int count_results(int64_t *tests, int64_t *results, hist_db *db, const char *suite)
{
	sqlite3_stmt *s = NULL;
	uint32_t *count = NULL;
	int64_t max_test;
	size_t slots;
	int error, row;

	*tests = *results = 0;
	if ((error = hist__store_stmt_int(&max_test, db, S_NEXT_TEST)) < 0)
		return error;
	/* Every id is below the counter. */
	if (--max_test < 0)
		max_test = 0;
	if (max_test >= (int64_t)UINT32_MAX - 2)
		return hist__error(&db->err, HIST_E_DB, "%s: test ids past 2^32", db->path);
	slots = (size_t)max_test + 2;
	if (!(count = hist__calloc(slots, sizeof *count)))
		return hist__store_nomem(db);
	if ((error = hist__store_stmt(&s, db, S_COUNT_PACKS)) < 0 ||
		(suite && (error = hist__store_bind_text(db, s, 1, suite, strlen(suite))) < 0))
		goto done;
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t past = 0, run = sqlite3_column_int64(s, 0), chunk;
		int got = hist__pack_chunk(&chunk, s, 1) < 0
			? -1
			: hist__pack_count(count, &past, max_test, chunk, sqlite3_column_blob(s, 2),
				  (size_t)sqlite3_column_bytes(s, 2));

		if (got == -2) {
			error = hist__error(&db->err, HIST_E_DB, "%s: result of unknown test %lld", db->path, (long long)past);
			goto done;
		}
		if (got < 0) {
			error = hist__store_pack_damaged(db, run);
			goto done;
		}
	}
	if ((error = row) < 0)
		goto done;
	for (size_t t = 1; t < slots; t++) {
		*results += count[t];
		*tests += count[t] != 0;
	}
	error = drop_matched_keys(tests, db, count, slots);
done:
	hist__store_reset(s);
	hist__free(count);
	return error;
}

int hist_db_has_results(int *out, hist_db *db, const char *suite)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	*out = 0;
	if ((error = hist__store_stmt(&s, db, S_HAS_RESULTS)) < 0 ||
		(suite && (error = hist__store_bind_text(db, s, 1, suite, strlen(suite))) < 0) ||
		(error = row = hist__store_step_row(db, s)) < 0)
		goto done;
	*out = row && sqlite3_column_int(s, 0) != 0;
	error = HIST_OK;
done:
	hist__store_reset(s);
	return error;
}

int hist_db_counts(hist_counts *out, hist_db *db, const char *suite)
{
	sqlite3_stmt *s = NULL;
	int error, began, row;

	memset(out, 0, sizeof *out);
	if ((error = hist__store_read_begin(&began, db)) < 0)
		return error;
	if ((error = hist__store_stmt(&s, db, S_COUNT_RUNS)) < 0 ||
		(suite && (error = hist__store_bind_text(db, s, 1, suite, strlen(suite))) < 0) ||
		(error = row = hist__store_step_row(db, s)) < 0)
		goto done;
	out->runs = row ? sqlite3_column_int64(s, 0) : 0;
	hist__store_reset(s);
	error = count_results(&out->tests, &out->results, db, suite);
done:
	hist__store_reset(s);
	hist__store_read_end(db, began);
	if (error < 0)
		memset(out, 0, sizeof *out);
	return error;
}
