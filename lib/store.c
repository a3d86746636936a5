/* store.c - the history database.
 * Owns: the schema and its migrations, the statements every other module
 * goes through, conflict rules, merging another history, and reading the
 * recent history back for estimates. The only file that includes sqlite3.h.
 * Not here: what inputs mean (ingest.c and the parsers), estimates. */
#include "store.h"
#include "store_sql.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "num.h"

/* PRAGMA application_id: 0x68697374, "hist", so another program's database
 * with a user_version of its own is never mistaken for a history. */
#define APP_ID 1751741300
/* The page size of new files (see open_db). */
#define PAGE_SIZE 16384
#define STR_(x) #x
#define STR(x) STR_(x)

/* Schema, one entry per version: migrations[v] takes user_version v to v+1,
 * in one transaction. Entries are append-only once released.
 *
 * Integers everywhere (interned ids, µs) keep a result row near 15 bytes.
 * results.test_id has no FOREIGN KEY on purpose: checking one on a DELETE
 * FROM tests would scan results per test (an index on test_id would double
 * the largest table), so whatever deletes results must delete the tests
 * left without any. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE suites("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" suite_id INTEGER NOT NULL REFERENCES suites(id),"
	" ext_id TEXT NOT NULL,"
	" started_us INTEGER NOT NULL,"
	" UNIQUE(suite_id, ext_id));"
	/* The window query walks this backwards: newest runs of a suite. */
	"CREATE INDEX runs_by_start ON runs(suite_id, started_us, ext_id);"
	"CREATE TABLE tests("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" is_key INTEGER NOT NULL CHECK(is_key IN (0, 1)),"
	" UNIQUE(name, is_key));"
	"CREATE TABLE results("
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" test_id INTEGER NOT NULL,"
	" outcome INTEGER NOT NULL CHECK(outcome BETWEEN 0 AND 5),"
	" duration_us INTEGER,"
	" setup_us INTEGER,"
	" attempts INTEGER NOT NULL CHECK(attempts >= 1),"
	" PRIMARY KEY(run_id, test_id)) WITHOUT ROWID;"
	"CREATE TABLE inputs("
	" hash BLOB PRIMARY KEY CHECK(length(hash) = 16),"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" wall_us INTEGER,"
	" collect_us INTEGER,"
	" workers INTEGER,"
	" plan_id TEXT,"
	" shard_index INTEGER,"
	" shard_total INTEGER,"
	" tests INTEGER NOT NULL,"
	" test_us INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX inputs_by_run ON inputs(run_id);"
	"PRAGMA application_id = " STR(APP_ID) ";",
	/* 1 -> 2: each name stored once. v1's tests kept every name twice, in
	 * the table and in its UNIQUE index; keyed by name, WITHOUT ROWID
	 * holds it once (a 1M-test history: 84 MB against 144 MB) and inserts
	 * into one b-tree instead of two. No index on id: readers go by name
	 * (the window read maps ids through an array), and meta keeps the next
	 * id so writers need no max(id) scan. raw_hash: the hash of a file's
	 * bytes as read (before gunzip) when that differs from hash, so a
	 * gzip file seen before is known without inflating it. */
	"CREATE TABLE tests_v2("
	" name TEXT NOT NULL,"
	" is_key INTEGER NOT NULL CHECK(is_key IN (0, 1)),"
	" id INTEGER NOT NULL,"
	" PRIMARY KEY(name, is_key)) WITHOUT ROWID;"
	"INSERT INTO tests_v2(name, is_key, id) SELECT name, is_key, id FROM tests ORDER BY name, is_key;"
	"DROP TABLE tests;"
	"ALTER TABLE tests_v2 RENAME TO tests;"
	"CREATE TABLE meta("
	" key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta(key, value) SELECT 'next_test_id', coalesce(max(id), 0) + 1 FROM tests;"
	"ALTER TABLE inputs ADD COLUMN raw_hash BLOB CHECK(length(raw_hash) = 16);"
	"CREATE INDEX inputs_by_raw_hash ON inputs(raw_hash) WHERE raw_hash IS NOT NULL;",
};
#define BASE_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

#ifdef HIST_TESTING
/* Test builds only: one more migration step, so the tests can open a file
 * of this version with a "later build" (see check_store.c). */
static const char *test_migration;

void hist__store_test_migration(const char *sql)
{
	test_migration = sql;
}
#define SCHEMA_VERSION (BASE_VERSION + (test_migration != NULL))
#else
#define SCHEMA_VERSION BASE_VERSION
#endif

/* The conflict rule, shared by ingest and merge: a result replaces the
 * stored one when (attempts, outcome, duration, setup) is greater, so the
 * database holds the same row whatever order inputs come in. */
#define GREATER(n, o)                                                                                   \
	"(" n ".attempts, " n ".outcome, coalesce(" n ".duration_us, -1), coalesce(" n ".setup_us, -1)) > " \
	"(" o ".attempts, " o ".outcome, coalesce(" o ".duration_us, -1), coalesce(" o ".setup_us, -1))"

/* The results of the source database, with its runs and tests mapped onto
 * this one's (test ids through temp.test_map: tests has no index on id). */
#define SRC_RESULTS                                                                             \
	"SELECT mr.id AS run_id, m.main_id AS test_id, x.outcome, x.duration_us, x.setup_us, x.attempts" \
	" FROM src.results x"                                                                       \
	" JOIN src.runs r ON r.id = x.run_id"                                                       \
	" JOIN src.suites s ON s.id = r.suite_id"                                                   \
	" JOIN main.suites ms ON ms.name = s.name"                                                  \
	" JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"                        \
	" JOIN temp.test_map m ON m.src_id = x.test_id"

/* Every statement the library runs, prepared once per handle on first use. */
enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SUITE_GET,
	S_SUITE_ADD,
	S_RUN_GET,
	S_RUN_ADD,
	S_RUN_LOWER,
	S_NEXT_TEST,
	S_SET_NEXT_TEST,
	S_BATCH_LOOKUP,
	S_BATCH_TESTS,
	S_BATCH_RESULTS,
	S_BATCH_RAISE,
	S_INPUT_SEEN,
	S_INPUT_ADD,
	S_COUNT_RUNS,
	S_COUNT_RESULTS,
	S_WINDOW,
	S_RUN_RESULTS,
	S_TESTS_BY_NAME,
	S_OVERHEADS,
	S_ATTACH,
	S_DETACH,
	S_SRC_VERSION,
	S_SRC_APP,
	S_SRC_TABLES,
	S_MERGE_SUITES,
	S_MERGE_RUNS,
	S_MERGE_TESTS,
	S_MAP_FILL,
	S_MAP_CLEAR,
	S_MERGE_COUNT,
	S_MERGE_RESULTS,
	S_MERGE_RAISE,
	S_MERGE_INPUTS,
	S_MERGE_INPUTS_V1,
	S_COUNT
};

static const char *const sql_text[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SUITE_GET] = "SELECT id FROM suites WHERE name = ?1",
	[S_SUITE_ADD] = "INSERT INTO suites(name) VALUES (?1)",
	[S_RUN_GET] = "SELECT id, started_us FROM runs WHERE suite_id = ?1 AND ext_id = ?2",
	[S_RUN_ADD] = "INSERT INTO runs(suite_id, ext_id, started_us) VALUES (?1, ?2, ?3)",
	[S_RUN_LOWER] = "UPDATE runs SET started_us = ?2 WHERE id = ?1 AND started_us > ?2",
	[S_NEXT_TEST] = "SELECT value FROM meta WHERE key = 'next_test_id'",
	[S_SET_NEXT_TEST] = "UPDATE meta SET value = ?1 WHERE key = 'next_test_id'",
	/* The batch (the hist_batch virtual table, below) is written with one
	 * statement per step instead of a few per result: per-statement work
	 * (cursors opened, VDBE started and halted, bindings) was half of
	 * the cost of a result. CROSS JOIN keeps the batch the outer loop,
	 * so each row is one descent of the tests key. */
	[S_BATCH_LOOKUP] = "SELECT b.rowid, t.id FROM hist_batch AS b CROSS JOIN tests AS t"
			   " ON t.name = b.name AND t.is_key = b.is_key",
	[S_BATCH_TESTS] = "INSERT INTO tests(name, is_key, id) SELECT name, is_key, test FROM hist_batch WHERE fresh"
			  " ON CONFLICT(name, is_key) DO NOTHING",
	[S_BATCH_RESULTS] = "INSERT INTO results(run_id, test_id, outcome, duration_us, setup_us, attempts)"
			    " SELECT ?1, test, outcome, duration_us, setup_us, attempts FROM hist_batch WHERE true"
			    " ON CONFLICT(run_id, test_id) DO NOTHING",
	/* Only when some result met a stored one (or one of the same batch):
	 * the upsert applies them in batch order, each kept if greater. */
	[S_BATCH_RAISE] = "INSERT INTO results(run_id, test_id, outcome, duration_us, setup_us, attempts)"
			  " SELECT ?1, test, outcome, duration_us, setup_us, attempts FROM hist_batch WHERE true"
			  " ON CONFLICT(run_id, test_id) DO UPDATE SET outcome = excluded.outcome,"
			  " duration_us = excluded.duration_us, setup_us = excluded.setup_us,"
			  " attempts = excluded.attempts WHERE " GREATER("excluded", "results"),
	/* A plain file's raw bytes are its content: its raw hash is its hash. */
	[S_INPUT_SEEN] = "SELECT tests FROM inputs WHERE hash = ?1 UNION ALL"
			 " SELECT tests FROM inputs WHERE raw_hash = ?1 LIMIT 1",
	[S_INPUT_ADD] = "INSERT INTO inputs(hash, run_id, wall_us, collect_us, workers, plan_id, shard_index,"
			" shard_total, tests, test_us, raw_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[S_COUNT_RUNS] = "SELECT count(*) FROM runs r JOIN suites s ON s.id = r.suite_id"
			 " WHERE ?1 IS NULL OR s.name = ?1",
	[S_COUNT_RESULTS] = "SELECT count(DISTINCT x.test_id), count(*) FROM results x"
			    " JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id"
			    " WHERE ?1 IS NULL OR s.name = ?1",
	/* Newest first; ext_id breaks ties so equal start times still give
	 * one order on every machine. */
	[S_WINDOW] = "SELECT r.id FROM runs r JOIN suites s ON s.id = r.suite_id WHERE s.name = ?1"
		     " ORDER BY r.started_us DESC, r.ext_id DESC LIMIT ?2",
	[S_RUN_RESULTS] = "SELECT test_id, outcome, coalesce(duration_us, -1), coalesce(setup_us, -1), attempts"
			  " FROM results WHERE run_id = ?1 ORDER BY test_id",
	[S_TESTS_BY_NAME] = "SELECT id, name, is_key FROM tests ORDER BY name, is_key",
	[S_OVERHEADS] = "SELECT i.wall_us, i.collect_us, i.tests, i.test_us FROM inputs i"
			" WHERE i.run_id IN (SELECT r.id FROM runs r JOIN suites s ON s.id = r.suite_id"
			" WHERE s.name = ?1 ORDER BY r.started_us DESC, r.ext_id DESC LIMIT ?2)"
			" ORDER BY i.hash",
	/* A plain (read-write) ATTACH: reading changes nothing in the source,
	 * and unlike mode=ro it folds and removes the -wal/-shm files it
	 * opens on DETACH instead of leaving them beside the user's file. */
	[S_ATTACH] = "ATTACH DATABASE ?1 AS src",
	[S_DETACH] = "DETACH DATABASE src",
	/* Not src.pragma_user_version: that reads main's (SQLite 3.40). */
	[S_SRC_VERSION] = "PRAGMA src.user_version",
	[S_SRC_APP] = "PRAGMA src.application_id",
	[S_SRC_TABLES] = "SELECT count(*) FROM src.sqlite_schema",
	[S_MERGE_SUITES] = "INSERT INTO main.suites(name) SELECT name FROM src.suites WHERE true ORDER BY name"
			   " ON CONFLICT(name) DO NOTHING",
	/* A run's start is the earliest any input or database reported. */
	[S_MERGE_RUNS] = "INSERT INTO main.runs(suite_id, ext_id, started_us)"
			 " SELECT ms.id, r.ext_id, r.started_us FROM src.runs r"
			 " JOIN src.suites s ON s.id = r.suite_id JOIN main.suites ms ON ms.name = s.name"
			 " WHERE true ORDER BY ms.id, r.ext_id"
			 " ON CONFLICT(suite_id, ext_id) DO UPDATE SET started_us = excluded.started_us"
			 " WHERE excluded.started_us < started_us",
	/* New tests take ids from ?1 on, in name order. */
	[S_MERGE_TESTS] = "INSERT INTO main.tests(name, is_key, id)"
			  " SELECT t.name, t.is_key, ?1 - 1 + row_number() OVER (ORDER BY t.name, t.is_key)"
			  " FROM src.tests t WHERE NOT EXISTS (SELECT 1 FROM main.tests m"
			  " WHERE m.name = t.name AND m.is_key = t.is_key) ORDER BY t.name, t.is_key",
	[S_MAP_FILL] = "INSERT INTO temp.test_map(src_id, main_id) SELECT t.id, mt.id FROM src.tests t"
		       " JOIN main.tests mt ON mt.name = t.name AND mt.is_key = t.is_key",
	[S_MAP_CLEAR] = "DELETE FROM temp.test_map",
	[S_MERGE_COUNT] = "SELECT count(*) FROM src.results",
	[S_MERGE_RESULTS] = "INSERT INTO main.results(run_id, test_id, outcome, duration_us, setup_us, attempts) "
			    SRC_RESULTS " WHERE true ORDER BY 1, 2 ON CONFLICT(run_id, test_id) DO NOTHING",
	[S_MERGE_RAISE] = "UPDATE main.results AS o SET outcome = n.outcome, duration_us = n.duration_us,"
			  " setup_us = n.setup_us, attempts = n.attempts FROM (" SRC_RESULTS ") AS n"
			  " WHERE o.run_id = n.run_id AND o.test_id = n.test_id AND " GREATER("n", "o"),
	[S_MERGE_INPUTS] = "INSERT INTO main.inputs(hash, run_id, wall_us, collect_us, workers, plan_id,"
			   " shard_index, shard_total, tests, test_us, raw_hash)"
			   " SELECT i.hash, mr.id, i.wall_us, i.collect_us, i.workers, i.plan_id, i.shard_index,"
			   " i.shard_total, i.tests, i.test_us, i.raw_hash FROM src.inputs i"
			   " JOIN src.runs r ON r.id = i.run_id JOIN src.suites s ON s.id = r.suite_id"
			   " JOIN main.suites ms ON ms.name = s.name"
			   " JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"
			   " WHERE true ORDER BY i.hash ON CONFLICT(hash) DO NOTHING",
	[S_MERGE_INPUTS_V1] = "INSERT INTO main.inputs(hash, run_id, wall_us, collect_us, workers, plan_id,"
			      " shard_index, shard_total, tests, test_us)"
			      " SELECT i.hash, mr.id, i.wall_us, i.collect_us, i.workers, i.plan_id, i.shard_index,"
			      " i.shard_total, i.tests, i.test_us FROM src.inputs i"
			      " JOIN src.runs r ON r.id = i.run_id JOIN src.suites s ON s.id = r.suite_id"
			      " JOIN main.suites ms ON ms.name = s.name"
			      " JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"
			      " WHERE true ORDER BY i.hash ON CONFLICT(hash) DO NOTHING",
};

/* One result of a batch. */
typedef struct {
	size_t name;          /* offset of the id in the batch's names */
	size_t name_len;
	int64_t duration_us;  /* -1 unknown */
	int64_t setup_us;     /* -1 unknown */
	int64_t test;         /* the test's id once known, else -1 */
	unsigned int attempts;
	unsigned char is_key, outcome;
	unsigned char fresh;  /* the batch adds this test */
} batch_row;

struct hist__batch {
	batch_row *rows;      /* HIST__BATCH_ROWS */
	size_t count;
	hist__buf names;      /* the ids, back to back */
};

/* Batches at least this big may add their tests before looking them up
 * (see batch_insert_first). */
#define INSERT_FIRST_MIN 64

/* Slots of the table that finds a new test met twice in one batch: a
 * power of two, at least twice the rows so probes stay short. */
#define DEDUP_SLOTS 4096
_Static_assert(DEDUP_SLOTS >= 2 * HIST__BATCH_ROWS, "dedup table too small");

struct hist_db {
	sqlite3 *sql;
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt **cursors; /* one S_RUN_RESULTS per run of a window */
	size_t ncursors;
	hist__err err;
	char *path;
	const hist__batch *batch; /* what hist_batch reads while a batch is stored */
	hist__batch *one;         /* hist__store_result's batch of one */
	uint16_t *dedup;          /* DEDUP_SLOTS row numbers + 1; 0 = empty */
	int insert_first;         /* the last batch was mostly new tests */
};

hist__err *hist__db_err(hist_db *db)
{
	return &db->err;
}

const char *hist_db_errmsg(const hist_db *db)
{
	return db ? hist__err_msg(&db->err) : hist_strerror(HIST_E_NOMEM);
}

int hist_db_schema_version(void)
{
	return SCHEMA_VERSION;
}

const char *hist__store_sqlite_version(void)
{
	return sqlite3_libversion();
}

/* Reports a SQLite failure as "PATH: message" with the matching code. */
/* Out of memory, said on the handle so the tool's message names the history. */
static int no_memory(hist_db *db)
{
	return hist__error(&db->err, HIST_E_NOMEM, "%s: out of memory", db->path);
}

static int fail(hist_db *db, int rc)
{
	int code;

	if (rc == SQLITE_IOERR_NOMEM)
		rc = SQLITE_NOMEM;
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return hist__error(&db->err, HIST_E_NOMEM, "%s", hist_strerror(HIST_E_NOMEM));
	case SQLITE_NOTADB:
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (not a SQLite database)",
			db->path);
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		code = HIST_E_IO;
		break;
	default:
		code = HIST_E_DB;
	}
	return hist__error(&db->err, code, "%s: %s", db->path, db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
}

sqlite3 *hist__store_sql(hist_db *db)
{
	return db->sql;
}

int hist__store_fail(hist_db *db, int rc)
{
	return fail(db, rc);
}

const char *hist__store_path(const hist_db *db)
{
	return db->path;
}

/* The cached statement, prepared on first use. Callers bind, step, and
 * finish with done(). */
static int stmt(sqlite3_stmt **out, hist_db *db, int which)
{
	int rc;

	if (!db->stmt[which]) {
		rc = sqlite3_prepare_v3(db->sql, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[which],
			NULL);
		if (rc != SQLITE_OK)
			return fail(db, rc);
	}
	*out = db->stmt[which];
	return HIST_OK;
}

static void done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Steps s expecting no row (or ignoring rows past the first). */
static int step_done(hist_db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = fail(db, rc);
		done(s);
		return rc;
	}
	done(s);
	return HIST_OK;
}

/* Steps s; 1 with a row, 0 without, or a HIST_E_* code (s is then reset). */
static int step_row(hist_db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = fail(db, rc);
	done(s);
	return rc;
}

static int bind_text(hist_db *db, sqlite3_stmt *s, int i, const char *text, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return hist__error(&db->err, HIST_E_INVALID, "%s: string too long to store", db->path);
	if (sqlite3_bind_text(s, i, text, (int)len, SQLITE_STATIC) != SQLITE_OK)
		return fail(db, sqlite3_errcode(db->sql));
	return HIST_OK;
}

/* NULL for a negative ("unknown") value, so the row stays small. */
static void bind_known(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static int64_t column_known(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

static int run_stmt(hist_db *db, int which)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = stmt(&s, db, which)) < 0)
		return error;
	return step_done(db, s);
}

/* The one integer a cached statement returns. */
static int stmt_int(int64_t *out, hist_db *db, int which)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = stmt(&s, db, which)) < 0 || (error = row = step_row(db, s)) < 0)
		return error;
	*out = row ? sqlite3_column_int64(s, 0) : 0;
	done(s);
	return HIST_OK;
}

/* Runs constant SQL with no result (pragmas, migration scripts). */
static int exec(hist_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? HIST_OK : fail(db, rc);
}

/* One integer from constant SQL, for pragmas read once per open. */
static int query_int(int64_t *out, hist_db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? HIST_OK : fail(db, rc);
}

/* ---- the batch as a table ----------------------------------------- */

/* hist_batch: the batch being stored, as an eponymous virtual table of
 * this connection only (nothing in the file names it). Columns in the
 * order of this declaration; the rowid is the row's index in the batch. */
enum { B_NAME, B_IS_KEY, B_TEST, B_OUTCOME, B_DURATION, B_SETUP, B_ATTEMPTS, B_FRESH };

typedef struct {
	sqlite3_vtab base;
	hist_db *db;
} batch_vtab;

typedef struct {
	sqlite3_vtab_cursor base;
	const hist__batch *b;
	size_t i;
} batch_cursor;

static int bt_connect(sqlite3 *sql, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **msg)
{
	batch_vtab *v;
	int rc;

	(void)argc;
	(void)argv;
	(void)msg;
	rc = sqlite3_declare_vtab(sql, "CREATE TABLE x(name TEXT, is_key INTEGER, test INTEGER, outcome INTEGER,"
				       " duration_us INTEGER, setup_us INTEGER, attempts INTEGER, fresh INTEGER)");
	if (rc != SQLITE_OK)
		return rc;
	/* Only our own statements may read it: a view or trigger in a
	 * hostile history file cannot. */
	sqlite3_vtab_config(sql, SQLITE_VTAB_DIRECTONLY);
	if (!(v = sqlite3_malloc(sizeof *v)))
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int bt_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/* A plain scan whatever the constraints; SQLite checks them itself. */
static int bt_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	info->estimatedCost = HIST__BATCH_ROWS;
	info->estimatedRows = HIST__BATCH_ROWS;
	return SQLITE_OK;
}

static int bt_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	batch_cursor *c = sqlite3_malloc(sizeof *c);

	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->b = ((batch_vtab *)v)->db->batch;
	*out = &c->base;
	return SQLITE_OK;
}

static int bt_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static int bt_filter(sqlite3_vtab_cursor *c, int num, const char *str, int argc, sqlite3_value **argv)
{
	batch_cursor *bc = (batch_cursor *)c;

	(void)num;
	(void)str;
	(void)argc;
	(void)argv;
	bc->b = ((batch_vtab *)c->pVtab)->db->batch;
	bc->i = 0;
	return SQLITE_OK;
}

static int bt_next(sqlite3_vtab_cursor *c)
{
	((batch_cursor *)c)->i++;
	return SQLITE_OK;
}

static int bt_eof(sqlite3_vtab_cursor *c)
{
	const batch_cursor *bc = (const batch_cursor *)c;

	return !bc->b || bc->i >= bc->b->count;
}

static void result_known(sqlite3_context *ctx, int64_t v)
{
	if (v >= 0)
		sqlite3_result_int64(ctx, v);
	else
		sqlite3_result_null(ctx);
}

static int bt_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
	const batch_cursor *bc = (const batch_cursor *)c;
	const batch_row *r = &bc->b->rows[bc->i];

	switch (col) {
	case B_NAME:
		/* hist__batch_add checked the length fits an int. */
		sqlite3_result_text(ctx, bc->b->names.ptr + r->name, (int)r->name_len, SQLITE_STATIC);
		break;
	case B_IS_KEY:
		sqlite3_result_int(ctx, r->is_key);
		break;
	case B_TEST:
		result_known(ctx, r->test);
		break;
	case B_OUTCOME:
		sqlite3_result_int(ctx, r->outcome);
		break;
	case B_DURATION:
		result_known(ctx, r->duration_us);
		break;
	case B_SETUP:
		result_known(ctx, r->setup_us);
		break;
	case B_ATTEMPTS:
		sqlite3_result_int64(ctx, r->attempts);
		break;
	case B_FRESH:
		sqlite3_result_int(ctx, r->fresh);
		break;
	default:
		break;
	}
	return SQLITE_OK;
}

static int bt_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *out)
{
	*out = (sqlite3_int64)((const batch_cursor *)c)->i;
	return SQLITE_OK;
}

/* No xCreate: eponymous only, so no CREATE VIRTUAL TABLE can name it. */
static const sqlite3_module batch_module = {
	.iVersion = 0,
	.xConnect = bt_connect,
	.xBestIndex = bt_best_index,
	.xDisconnect = bt_disconnect,
	.xOpen = bt_open,
	.xClose = bt_close,
	.xFilter = bt_filter,
	.xNext = bt_next,
	.xEof = bt_eof,
	.xColumn = bt_column,
	.xRowid = bt_rowid,
};

/* Is this file ours? user_version 0 with no tables is a new file. */
static int check_identity(int64_t *version, hist_db *db)
{
	int64_t app, tables;
	int error;

	if ((error = query_int(version, db, "PRAGMA user_version")) < 0 ||
		(error = query_int(&app, db, "PRAGMA application_id")) < 0 ||
		(error = query_int(&tables, db, "SELECT count(*) FROM sqlite_schema")) < 0)
		return error;
	if ((*version == 0 && tables > 0) || (*version > 0 && app != APP_ID))
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (a SQLite database of another program)",
			db->path);
	if (*version > SCHEMA_VERSION)
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: history has schema version %lld; this build reads up to %d (upgrade hist)", db->path,
			(long long)*version, SCHEMA_VERSION);
	return HIST_OK;
}

static const char *migration(int64_t from)
{
#ifdef HIST_TESTING
	if (from == BASE_VERSION)
		return test_migration;
#endif
	return migrations[from];
}

/* Each step in its own transaction; re-reading user_version under the lock
 * lets two processes create the same file at once. */
static int migrate(hist_db *db, int64_t version)
{
	char setv[64];
	int error;

	while (version < SCHEMA_VERSION) {
		if ((error = exec(db, "BEGIN IMMEDIATE")) < 0)
			return error;
		if ((error = query_int(&version, db, "PRAGMA user_version")) < 0)
			goto fail;
		if (version >= SCHEMA_VERSION) {
			error = exec(db, "COMMIT");
			goto fail;
		}
		snprintf(setv, sizeof setv, "PRAGMA user_version = %lld", (long long)version + 1);
		if ((error = exec(db, migration(version))) < 0 || (error = exec(db, setv)) < 0 ||
			(error = exec(db, "COMMIT")) < 0)
			goto fail;
		version++;
	}
	return HIST_OK;
fail:
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

static int open_db(hist_db *db, const char *path, const hist_db_options *o)
{
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int64_t version;
	int rc, error;

	/* Read-only opens read-write without CREATE, then query_only: a
	 * SQLITE_OPEN_READONLY connection cannot remove the -wal and -shm
	 * files it makes on a WAL database, and would leave them behind. */
	flags |= o->read_only ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if ((rc = sqlite3_open_v2(path, &db->sql, flags, NULL)) != SQLITE_OK) {
		if (rc == SQLITE_CANTOPEN && o->read_only && sqlite3_system_errno(db->sql) == ENOENT)
			return hist__error(&db->err, HIST_E_NOTFOUND, "%s: no such history database", path);
		return fail(db, rc);
	}
	sqlite3_busy_timeout(db->sql, o->busy_timeout_ms > INT32_MAX ? INT32_MAX : (int)o->busy_timeout_ms);
	if ((rc = sqlite3_create_module_v2(db->sql, "hist_batch", &batch_module, db, NULL)) != SQLITE_OK)
		return fail(db, rc);
	/* Identity first: WAL mode would rewrite another program's file. */
	if ((error = check_identity(&version, db)) < 0)
		return error;
	if (o->read_only) {
		if (version == 0)
			return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (empty database)", path);
		if (version < SCHEMA_VERSION)
			return hist__error(&db->err, HIST_E_SCHEMA,
				"%s: history has schema version %lld; open it writable once to upgrade it to %d", path,
				(long long)version, SCHEMA_VERSION);
		return exec(db, "PRAGMA query_only = ON");
	}
	/* A new file gets 16 KiB pages (the size holds only until the first
	 * table exists): a quarter of the page writes of 4 KiB and fewer
	 * b-tree levels; storing 100,000 new results took 16% less CPU. */
	if (version == 0 && (error = exec(db, "PRAGMA page_size = " STR(PAGE_SIZE))) < 0)
		return error;
	/* synchronous=NORMAL: in WAL mode a commit no longer waits for an
	 * fsync; the WAL is synced at each checkpoint instead. A power loss
	 * or OS crash may undo the last commits (never corrupt the file); a
	 * crash of the process loses nothing. Saves an fsync per input, which
	 * is most of the time of a directory of small reports. */
	if ((error = exec(db, "PRAGMA journal_mode = WAL")) < 0 || (error = exec(db, "PRAGMA synchronous = NORMAL")) < 0 ||
		(error = exec(db, "PRAGMA foreign_keys = ON")) < 0)
		return error;
	return migrate(db, version);
}

int hist_db_open(hist_db **out, const char *path, const hist_db_options *opts)
{
	hist_db_options defaults = HIST_DB_OPTIONS_INIT;
	hist_db *db;

	*out = NULL;
	if (!(db = hist__calloc(1, sizeof *db)))
		return HIST_E_NOMEM;
	*out = db;
	if (!path || !(db->path = hist__strdup(path)))
		return path ? HIST_E_NOMEM : hist__error(&db->err, HIST_E_INVALID, "no database path");
	if (!opts)
		opts = &defaults;
	if (opts->version == 0 || opts->version > HIST_DB_OPTIONS_VERSION)
		return hist__error(&db->err, HIST_E_INVALID, "hist_db_options version %u is not supported",
			opts->version);
	return open_db(db, path, opts);
}

void hist_db_free(hist_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	for (size_t i = 0; i < db->ncursors; i++)
		sqlite3_finalize(db->cursors[i]);
	hist__free(db->cursors);
	hist__batch_free(db->one);
	hist__free(db->dedup);
	/* With every statement finalized, closing the last connection
	 * checkpoints and deletes the WAL: one file to hand on. */
	sqlite3_close(db->sql);
	hist__err_clear(&db->err);
	hist__free(db->path);
	hist__free(db);
}

/* ---- transactions ------------------------------------------------- */

int hist__store_begin(hist_db *db)
{
	return run_stmt(db, S_BEGIN);
}

int hist__store_commit(hist_db *db)
{
	return run_stmt(db, S_COMMIT);
}

void hist__store_rollback(hist_db *db)
{
	/* A failed statement may already have rolled back (SQLITE_FULL...).
	 * Plain exec: the rollback must not depend on preparing anything. */
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- writing ------------------------------------------------------ */

/* The id of name in suites, created when missing. */
static int intern_suite(int64_t *out, hist_db *db, const char *name)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = stmt(&s, db, S_SUITE_GET)) < 0)
		return error;
	if ((error = bind_text(db, s, 1, name, strlen(name))) < 0)
		goto done;
	if ((error = row = step_row(db, s)) < 0)
		return error;
	if (row) {
		*out = sqlite3_column_int64(s, 0);
		error = HIST_OK;
		goto done;
	}
	done(s);
	if ((error = stmt(&s, db, S_SUITE_ADD)) < 0)
		return error;
	if ((error = bind_text(db, s, 1, name, strlen(name))) < 0)
		goto done;
	if ((error = step_done(db, s)) < 0)
		return error;
	*out = sqlite3_last_insert_rowid(db->sql);
done:
	done(s);
	return error;
}

int hist__store_run(int64_t *out, hist_db *db, const char *suite, const char *ext_id, int64_t start_us)
{
	sqlite3_stmt *s = NULL;
	int64_t suite_id, stored_start;
	int error, row;

	if ((error = intern_suite(&suite_id, db, suite)) < 0 || (error = stmt(&s, db, S_RUN_GET)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite_id);
	if ((error = bind_text(db, s, 2, ext_id, strlen(ext_id))) < 0) {
		done(s);
		return error;
	}
	if ((row = step_row(db, s)) < 0)
		return row;
	if (row) {
		*out = sqlite3_column_int64(s, 0);
		stored_start = sqlite3_column_int64(s, 1);
		done(s);
		if (stored_start <= start_us)
			return HIST_OK;
		if ((error = stmt(&s, db, S_RUN_LOWER)) < 0)
			return error;
		sqlite3_bind_int64(s, 1, *out);
		sqlite3_bind_int64(s, 2, start_us);
		return step_done(db, s);
	}
	done(s);
	if ((error = stmt(&s, db, S_RUN_ADD)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite_id);
	sqlite3_bind_int64(s, 3, start_us);
	if ((error = bind_text(db, s, 2, ext_id, strlen(ext_id))) < 0) {
		done(s);
		return error;
	}
	if ((error = step_done(db, s)) < 0)
		return error;
	*out = sqlite3_last_insert_rowid(db->sql);
	return HIST_OK;
}

int hist__batch_new(hist__batch **out)
{
	hist__batch *b;

	*out = NULL;
	if (!(b = hist__calloc(1, sizeof *b)) || !(b->rows = hist__malloc(HIST__BATCH_ROWS * sizeof *b->rows))) {
		hist__free(b);
		return HIST_E_NOMEM;
	}
	b->names = (hist__buf)HIST__BUF_INIT(0);
	*out = b;
	return HIST_OK;
}

void hist__batch_free(hist__batch *b)
{
	if (!b)
		return;
	hist__free(b->rows);
	hist__buf_free(&b->names);
	hist__free(b);
}

size_t hist__batch_count(const hist__batch *b)
{
	return b->count;
}

void hist__batch_clear(hist__batch *b)
{
	b->count = 0;
	hist__buf_clear(&b->names);
}

int hist__batch_add(hist__batch *b, const hist__record *r)
{
	batch_row *row;
	size_t at = b->names.len;
	int error;

	if ((unsigned)r->outcome >= HIST_OUTCOME_COUNT || r->attempts < 1 || r->id_len > (size_t)INT32_MAX)
		return HIST_E_INVALID;
	if (b->count == HIST__BATCH_ROWS)
		return HIST_E_INVALID; /* the caller stores a full batch first */
	if ((error = hist__buf_put(&b->names, r->id, r->id_len)) < 0)
		return error;
	row = &b->rows[b->count++];
	row->name = at;
	row->name_len = r->id_len;
	row->duration_us = r->duration_us;
	row->setup_us = r->setup_us;
	row->test = -1;
	row->attempts = r->attempts;
	row->is_key = r->id_is_key != 0;
	row->outcome = (unsigned char)r->outcome;
	row->fresh = 0;
	return b->count == HIST__BATCH_ROWS || b->names.len >= HIST__BATCH_BYTES;
}

/* For the batch's own table only (never stored): eight bytes a step. */
static uint32_t name_hash(const char *s, size_t len, int is_key)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ len ^ (uint64_t)is_key << 63, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, s + i, len - i);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
	}
	h ^= h >> 29;
	return (uint32_t)h;
}

/* Each row's test id from the tests table; rows of unknown tests keep
 * theirs (-1 unless already set). */
static int batch_lookup(hist_db *db, hist__batch *b)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = stmt(&s, db, S_BATCH_LOOKUP)) < 0)
		return error;
	while ((row = step_row(db, s)) == 1) {
		int64_t i = sqlite3_column_int64(s, 0);

		if (i >= 0 && (size_t)i < b->count)
			b->rows[i].test = sqlite3_column_int64(s, 1);
	}
	done(s);
	return row;
}

/* Adds the rows marked fresh, and moves the counter past next. */
static int batch_add_tests(int64_t *added, hist_db *db, int64_t next)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = run_stmt(db, S_BATCH_TESTS)) < 0)
		return error;
	*added = sqlite3_changes64(db->sql);
	if ((error = stmt(&s, db, S_SET_NEXT_TEST)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, next);
	return step_done(db, s);
}

/* After a lookup: gives each row still without an id one from the counter
 * and adds those tests; a name met twice in the batch gets one id, and
 * only its first row adds it. */
static int batch_new_tests(int64_t *added, hist_db *db, hist__batch *b)
{
	int64_t next, first;
	int error;

	*added = 0;
	if (!db->dedup && !(db->dedup = hist__malloc(DEDUP_SLOTS * sizeof *db->dedup)))
		return no_memory(db);
	memset(db->dedup, 0, DEDUP_SLOTS * sizeof *db->dedup);
	if ((error = stmt_int(&next, db, S_NEXT_TEST)) < 0)
		return error;
	first = next;
	for (size_t i = 0; i < b->count; i++) {
		batch_row *r = &b->rows[i];
		const char *name = b->names.ptr + r->name;
		uint32_t h;

		if (r->test >= 0)
			continue;
		for (h = name_hash(name, r->name_len, r->is_key) & (DEDUP_SLOTS - 1); db->dedup[h];
			h = (h + 1) & (DEDUP_SLOTS - 1)) {
			const batch_row *o = &b->rows[db->dedup[h] - 1];

			if (o->is_key == r->is_key && o->name_len == r->name_len &&
				memcmp(b->names.ptr + o->name, name, r->name_len) == 0)
				break;
		}
		if (db->dedup[h]) {
			r->test = b->rows[db->dedup[h] - 1].test;
		} else {
			db->dedup[h] = (uint16_t)(i + 1);
			r->test = next++;
			r->fresh = 1;
		}
	}
	return next == first ? HIST_OK : batch_add_tests(added, db, next);
}

/* Adds every row's test with the next ids of the counter, before any
 * lookup: when a batch is mostly new tests (a first ingest), that saves
 * a lookup per row. Where a test was there already (or repeats in the
 * batch) its row's insert does nothing and a lookup follows; the ids
 * those rows were offered stay unused. */
static int batch_insert_first(int64_t *added, hist_db *db, hist__batch *b)
{
	int64_t next;
	int error;

	*added = 0;
	if ((error = stmt_int(&next, db, S_NEXT_TEST)) < 0)
		return error;
	for (size_t i = 0; i < b->count; i++) {
		b->rows[i].test = next + (int64_t)i;
		b->rows[i].fresh = 1;
	}
	if ((error = batch_add_tests(added, db, next + (int64_t)b->count)) < 0)
		return error;
	return (size_t)*added < b->count ? batch_lookup(db, b) : HIST_OK;
}

int hist__store_batch(int64_t *added, hist_db *db, int64_t run, hist__batch *b)
{
	sqlite3_stmt *s = NULL;
	int64_t tests_added = 0;
	int error, missing = 0;

	*added = 0;
	if (!b->count)
		return HIST_OK;
	db->batch = b;
	/* Small batches (a last one, a result at a time) look up first: they
	 * would save little and waste ids when they guess wrong. */
	if (db->insert_first && b->count >= INSERT_FIRST_MIN) {
		if ((error = batch_insert_first(&tests_added, db, b)) < 0)
			goto done;
	} else {
		if ((error = batch_lookup(db, b)) < 0)
			goto done;
		for (size_t i = 0; i < b->count && !missing; i++)
			missing = b->rows[i].test < 0;
		if (missing && (error = batch_new_tests(&tests_added, db, b)) < 0)
			goto done;
	}
	/* The next batch of a file is most likely like this one. */
	db->insert_first = (size_t)tests_added * 2 > b->count;
	if ((error = stmt(&s, db, S_BATCH_RESULTS)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, run);
	if ((error = step_done(db, s)) < 0)
		goto done;
	*added = sqlite3_changes64(db->sql);
	if ((size_t)*added < b->count) {
		if ((error = stmt(&s, db, S_BATCH_RAISE)) < 0)
			goto done;
		sqlite3_bind_int64(s, 1, run);
		error = step_done(db, s);
	}
done:
	db->batch = NULL;
	hist__batch_clear(b);
	if (error < 0)
		*added = 0;
	return error;
}

int hist__store_result(int *added, hist_db *db, int64_t run, const hist__record *r)
{
	int64_t n;
	int error;

	*added = 0;
	if (!db->one && (error = hist__batch_new(&db->one)) < 0)
		return error;
	if ((error = hist__batch_add(db->one, r)) < 0) {
		hist__batch_clear(db->one);
		if (error == HIST_E_INVALID)
			return hist__error(&db->err, HIST_E_INVALID, "result with outcome %d and %u attempts",
				(int)r->outcome, r->attempts);
		return error;
	}
	if ((error = hist__store_batch(&n, db, run, db->one)) < 0)
		return error;
	*added = n > 0;
	return HIST_OK;
}

int hist__store_input_seen(int *seen, int64_t *tests, hist_db *db, const unsigned char hash[16])
{
	sqlite3_stmt *s = NULL;
	int error, row;

	*seen = 0;
	*tests = 0;
	if ((error = stmt(&s, db, S_INPUT_SEEN)) < 0)
		return error;
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	if ((row = step_row(db, s)) < 0)
		return row;
	if (row)
		*tests = sqlite3_column_int64(s, 0);
	done(s);
	*seen = row;
	return HIST_OK;
}

int hist__store_input_add(hist_db *db, const unsigned char hash[16], const unsigned char *raw_hash, int64_t run,
	const hist__session *ses, int64_t tests, int64_t test_us)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = stmt(&s, db, S_INPUT_ADD)) < 0)
		return error;
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, run);
	bind_known(s, 3, ses->wall_us);
	bind_known(s, 4, ses->collect_us);
	bind_known(s, 5, ses->workers > 0 ? ses->workers : -1);
	if (ses->plan_id && (error = bind_text(db, s, 6, ses->plan_id, strlen(ses->plan_id))) < 0) {
		done(s);
		return error;
	}
	if (ses->shard_index > 0 && ses->shard_total > 0) {
		sqlite3_bind_int(s, 7, ses->shard_index);
		sqlite3_bind_int(s, 8, ses->shard_total);
	}
	sqlite3_bind_int64(s, 9, tests);
	sqlite3_bind_int64(s, 10, test_us);
	/* Kept only where it says something the content hash does not. */
	if (raw_hash && memcmp(raw_hash, hash, 16) != 0)
		sqlite3_bind_blob(s, 11, raw_hash, 16, SQLITE_STATIC);
	return step_done(db, s);
}

/* ---- merging another history -------------------------------------- */

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Checks the attached source is a history this build can read as is:
 * the merge statements read versions 1 (inputs without raw_hash; its
 * rowid tests have the same columns) and later. */
static int check_source(int64_t *version, hist_db *db, const char *path)
{
	int64_t app, tables;
	int error;

	if ((error = stmt_int(version, db, S_SRC_VERSION)) < 0 || (error = stmt_int(&app, db, S_SRC_APP)) < 0 ||
		(error = stmt_int(&tables, db, S_SRC_TABLES)) < 0)
		return error;
	if (*version == 0 || app != APP_ID)
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (%s)", path,
			tables ? "a SQLite database of another program" : "empty database");
	if (*version > SCHEMA_VERSION)
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: history has schema version %lld; this build merges up to %d (upgrade hist)", path,
			(long long)*version, SCHEMA_VERSION);
	return HIST_OK;
}

/* The source's tests missing here, with ids from the counter on. */
static int merge_tests(hist_db *db)
{
	sqlite3_stmt *s = NULL;
	int64_t next;
	int error;

	if ((error = stmt_int(&next, db, S_NEXT_TEST)) < 0 || (error = stmt(&s, db, S_MERGE_TESTS)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, next);
	if ((error = step_done(db, s)) < 0 || (error = stmt(&s, db, S_SET_NEXT_TEST)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, next + sqlite3_changes64(db->sql));
	return step_done(db, s);
}

static int merge_attached(hist_ingest_stats *out, hist_db *db, const char *path)
{
	int64_t version;
	int error;

	if ((error = check_source(&version, db, path)) < 0 || (error = run_stmt(db, S_MERGE_SUITES)) < 0 ||
		(error = run_stmt(db, S_MERGE_RUNS)) < 0 || (error = merge_tests(db)) < 0)
		return error;
	/* Source test id -> ours, keyed by the source id: built once and
	 * read by the two statements below. (An index on tests(id) would
	 * store every name again.) Created once per connection. */
	if ((error = exec(db, "CREATE TEMP TABLE IF NOT EXISTS test_map(src_id INTEGER PRIMARY KEY,"
			      " main_id INTEGER NOT NULL)")) < 0 ||
		(error = run_stmt(db, S_MAP_CLEAR)) < 0 || (error = run_stmt(db, S_MAP_FILL)) < 0)
		return error;
	if ((error = stmt_int(&out->tests, db, S_MERGE_COUNT)) < 0 || (error = run_stmt(db, S_MERGE_RESULTS)) < 0)
		return error;
	out->added = sqlite3_changes64(db->sql);
	out->duplicates = out->tests - out->added;
	if ((error = run_stmt(db, S_MERGE_RAISE)) < 0 || (error = run_stmt(db, S_MAP_CLEAR)) < 0)
		return error;
	return run_stmt(db, version < 2 ? S_MERGE_INPUTS_V1 : S_MERGE_INPUTS);
}

int hist__store_merge(hist_ingest_stats *out, hist_db *db, const char *path)
{
	sqlite3_stmt *s = NULL;
	int error, detach, attached = 0;

	memset(out, 0, sizeof *out);
	out->format = HIST_FORMAT_DATABASE;
	if (same_file(path, sqlite3_db_filename(db->sql, "main")))
		return hist__error(&db->err, HIST_E_INVALID, "%s: is the history database itself", path);
	/* ATTACH cannot run inside a transaction, so it comes first. */
	if ((error = stmt(&s, db, S_ATTACH)) < 0 || (error = bind_text(db, s, 1, path, strlen(path))) < 0 ||
		(error = step_done(db, s)) < 0)
		goto done;
	attached = 1;
	if ((error = hist__store_begin(db)) < 0)
		goto done;
	if ((error = merge_attached(out, db, path)) < 0 || (error = hist__store_commit(db)) < 0)
		hist__store_rollback(db);
done:
	if (attached && (detach = run_stmt(db, S_DETACH)) < 0 && error == HIST_OK)
		error = detach;
	if (error < 0) {
		memset(out, 0, sizeof *out);
		out->format = HIST_FORMAT_DATABASE;
	}
	return error;
}

/* ---- reading ------------------------------------------------------ */

/* Readers see one snapshot across their queries, even while another
 * process commits (WAL readers never block writers). */
static int read_begin(int *began, hist_db *db)
{
	*began = 0;
	if (!sqlite3_get_autocommit(db->sql))
		return HIST_OK;
	*began = 1;
	return exec(db, "BEGIN");
}

static void read_end(hist_db *db, int began)
{
	if (began && !sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
}

int hist_db_counts(hist_counts *out, hist_db *db, const char *suite)
{
	sqlite3_stmt *s = NULL;
	int error, began, row;

	memset(out, 0, sizeof *out);
	if ((error = read_begin(&began, db)) < 0)
		return error;
	if ((error = stmt(&s, db, S_COUNT_RUNS)) < 0 ||
		(suite && (error = bind_text(db, s, 1, suite, strlen(suite))) < 0) ||
		(error = row = step_row(db, s)) < 0)
		goto done;
	out->runs = row ? sqlite3_column_int64(s, 0) : 0;
	done(s);
	if ((error = stmt(&s, db, S_COUNT_RESULTS)) < 0 ||
		(suite && (error = bind_text(db, s, 1, suite, strlen(suite))) < 0) ||
		(error = row = step_row(db, s)) < 0)
		goto done;
	if (row) {
		out->tests = sqlite3_column_int64(s, 0);
		out->results = sqlite3_column_int64(s, 1);
	}
	error = HIST_OK;
done:
	done(s);
	read_end(db, began);
	return error;
}

/* The ids of the newest `window` runs of suite, newest first. */
static int window_runs(int64_t **out, size_t *count, hist_db *db, const char *suite, unsigned int window)
{
	sqlite3_stmt *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int error, row;

	*out = NULL;
	*count = 0;
	if ((error = stmt(&s, db, S_WINDOW)) < 0)
		return error;
	if ((error = bind_text(db, s, 1, suite, strlen(suite))) < 0)
		goto done;
	sqlite3_bind_int64(s, 2, window);
	while ((row = step_row(db, s)) == 1) {
		if (n == cap) {
			int64_t *p;
			cap = cap ? cap * 2 : 16;
			if (!(p = hist__realloc(ids, cap * sizeof *ids))) {
				error = no_memory(db);
				goto done;
			}
			ids = p;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if ((error = row) < 0)
		goto done;
	*out = ids;
	*count = n;
	ids = NULL;
done:
	done(s);
	hist__free(ids);
	return error;
}

/* One row of the window in memory; the window has at most
 * HIST__STORE_MAX_WINDOW runs, so the age fits 16 bits. */
typedef struct {
	int64_t duration_us;
	int64_t setup_us;
	uint32_t attempts;
	uint16_t age;
	unsigned char outcome;
} window_row;

/* The window's results grouped by test: the rows of test t are
 * rows[first[t] .. first[t+1]), oldest run first. They come from a k-way
 * merge of one cursor per run (each already in test id order), so memory
 * holds only the result, and the caller then walks the tests once in name
 * order. Asking SQLite to ORDER BY name instead sorts millions of rows:
 * 4.9 s against 0.7 s for 1M tests x 5 runs (see the README). */
typedef struct {
	window_row *rows;
	size_t count, cap;
	uint32_t *first; /* by test id; max_test + 2 entries */
	int64_t max_test;
} window_rows;

/* One cursor per run of the window. They live in the handle so each is
 * prepared once, like every other statement. */
static int cursors(sqlite3_stmt ***out, hist_db *db, size_t n)
{
	if (n > db->ncursors) {
		sqlite3_stmt **p = hist__realloc(db->cursors, n * sizeof *p);
		if (!p)
			return no_memory(db);
		memset(p + db->ncursors, 0, (n - db->ncursors) * sizeof *p);
		db->cursors = p;
		db->ncursors = n;
	}
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (db->cursors[i])
			continue;
		rc = sqlite3_prepare_v3(db->sql, sql_text[S_RUN_RESULTS], -1, SQLITE_PREPARE_PERSISTENT,
			&db->cursors[i], NULL);
		if (rc != SQLITE_OK)
			return fail(db, rc);
	}
	*out = db->cursors;
	return HIST_OK;
}

/* Heap order of cursor heads: test id, then oldest run first (cursor i
 * reads the run of age i). */
static int head_before(const int64_t *id, uint16_t a, uint16_t b)
{
	return id[a] != id[b] ? id[a] < id[b] : a > b;
}

static void sift_down(uint16_t *heap, size_t n, size_t i, const int64_t *id)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint16_t t;
		if (l < n && head_before(id, heap[l], heap[m]))
			m = l;
		if (l + 1 < n && head_before(id, heap[l + 1], heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static int window_rows_add(window_rows *w, hist_db *db, sqlite3_stmt *c, int64_t id, uint16_t age)
{
	window_row *r;

	if (id < 0 || id > w->max_test)
		return hist__error(&db->err, HIST_E_DB, "%s: result of unknown test %lld", db->path, (long long)id);
	if (w->count == w->cap) {
		/* Row numbers are uint32_t to keep first[] small. */
		size_t n = w->cap ? w->cap * 2 : 65536, bytes;
		if (n > UINT32_MAX || hist__mul_overflow(n, sizeof *w->rows, &bytes) ||
			!(r = hist__realloc(w->rows, bytes)))
			return no_memory(db);
		w->rows = r;
		w->cap = n;
	}
	if (w->first[id] == UINT32_MAX)
		w->first[id] = (uint32_t)w->count;
	r = &w->rows[w->count++];
	r->outcome = (unsigned char)sqlite3_column_int(c, 1);
	r->duration_us = sqlite3_column_int64(c, 2);
	r->setup_us = sqlite3_column_int64(c, 3);
	r->attempts = (uint32_t)sqlite3_column_int64(c, 4);
	r->age = age;
	return HIST_OK;
}

static int window_rows_read(window_rows *w, hist_db *db, const int64_t *runs, size_t nruns)
{
	sqlite3_stmt **c = NULL;
	uint16_t heap[HIST__STORE_MAX_WINDOW];
	int64_t head[HIST__STORE_MAX_WINDOW]; /* test id under each cursor */
	size_t n = 0, slots;
	int error = HIST_OK, row;

	/* Every id is below the counter. */
	if ((error = stmt_int(&w->max_test, db, S_NEXT_TEST)) < 0)
		return error;
	w->max_test--;
	if (w->max_test < 0 || w->max_test >= (int64_t)UINT32_MAX - 2)
		return hist__error(&db->err, HIST_E_DB, "%s: test ids past 2^32", db->path);
	slots = (size_t)w->max_test + 2;
	if (!(w->first = hist__malloc(slots * sizeof *w->first)))
		return no_memory(db);
	memset(w->first, 0xff, slots * sizeof *w->first);
	if ((error = cursors(&c, db, nruns)) < 0)
		return error;
	for (size_t i = 0; i < nruns; i++) {
		sqlite3_bind_int64(c[i], 1, runs[i]);
		if ((row = step_row(db, c[i])) < 0) {
			error = row;
			goto done;
		}
		if (row) {
			head[i] = sqlite3_column_int64(c[i], 0);
			heap[n++] = (uint16_t)i;
		}
	}
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i, head);
	while (n > 0) {
		uint16_t top = heap[0];
		if ((error = window_rows_add(w, db, c[top], head[top], top)) < 0)
			goto done;
		if ((row = step_row(db, c[top])) < 0) {
			error = row;
			goto done;
		}
		if (row)
			head[top] = sqlite3_column_int64(c[top], 0);
		else
			heap[0] = heap[--n];
		sift_down(heap, n, 0, head);
	}
	/* Tests without rows start where the next test starts. */
	w->first[slots - 1] = (uint32_t)w->count;
	for (size_t t = slots - 1; t-- > 0;)
		if (w->first[t] == UINT32_MAX)
			w->first[t] = w->first[t + 1];
done:
	for (size_t i = 0; i < nruns; i++)
		done(c[i]);
	return error;
}

static int each_row(const window_rows *w, hist_db *db, int (*fn)(void *payload, const hist__history_row *row),
	void *payload)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = stmt(&s, db, S_TESTS_BY_NAME)) < 0)
		return error;
	while ((row = step_row(db, s)) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		hist__history_row h;

		if (id < 0 || id > w->max_test || w->first[id] == w->first[id + 1])
			continue;
		h.id = (const char *)sqlite3_column_text(s, 1);
		h.id_len = (size_t)sqlite3_column_bytes(s, 1);
		h.id_is_key = sqlite3_column_int(s, 2);
		for (uint32_t j = w->first[id]; j < w->first[id + 1]; j++) {
			const window_row *r = &w->rows[j];
			h.age = r->age;
			h.outcome = (hist_outcome)r->outcome;
			h.duration_us = r->duration_us;
			h.setup_us = r->setup_us;
			h.attempts = r->attempts;
			if ((error = fn(payload, &h)) != 0)
				goto done;
		}
	}
	error = row;
done:
	done(s);
	return error;
}

int hist__store_each_result(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_row *row), void *payload)
{
	window_rows w = { 0 };
	int64_t *runs = NULL;
	size_t nruns = 0;
	int error, began;

	if (window > HIST__STORE_MAX_WINDOW)
		return hist__error(&db->err, HIST_E_INVALID, "window of %u runs: at most %d", window,
			HIST__STORE_MAX_WINDOW);
	if ((error = read_begin(&began, db)) < 0)
		return error;
	if ((error = window_runs(&runs, &nruns, db, suite ? suite : "default", window)) < 0 || nruns == 0)
		goto done;
	if ((error = window_rows_read(&w, db, runs, nruns)) < 0)
		goto done;
	error = each_row(&w, db, fn, payload);
done:
	read_end(db, began);
	hist__free(w.rows);
	hist__free(w.first);
	hist__free(runs);
	return error;
}

int hist__store_overheads(hist__overheads *out, hist_db *db, const char *suite, unsigned int window)
{
	sqlite3_stmt *s = NULL;
	int64_t *per_test = NULL, *collect = NULL, *collect_per_test = NULL;
	size_t nt = 0, nc = 0, nk = 0, cap = 0;
	int error, row;

	out->test_overhead_us = out->shard_overhead_us = out->collect_per_test_us = -1;
	if ((error = stmt(&s, db, S_OVERHEADS)) < 0)
		return error;
	if ((error = bind_text(db, s, 1, suite ? suite : "default", strlen(suite ? suite : "default"))) < 0)
		goto done;
	sqlite3_bind_int64(s, 2, window);
	while ((row = step_row(db, s)) == 1) {
		int64_t wall = column_known(s, 0), coll = column_known(s, 1);
		int64_t tests = sqlite3_column_int64(s, 2), test_us = sqlite3_column_int64(s, 3);

		if (nt == cap || nc == cap) {
			size_t n = cap ? cap * 2 : 64;
			int64_t *a, *b;
			if (!(a = hist__realloc(per_test, n * sizeof *a))) {
				error = no_memory(db);
				goto done;
			}
			per_test = a;
			if (!(b = hist__realloc(collect, n * sizeof *b))) {
				error = no_memory(db);
				goto done;
			}
			collect = b;
			if (!(b = hist__realloc(collect_per_test, n * sizeof *b))) {
				error = no_memory(db);
				goto done;
			}
			collect_per_test = b;
			cap = n;
		}
		/* Wall time minus what the tests themselves took, spread over
		 * them: pytest's own cost per test, never below zero. */
		if (wall >= 0 && tests > 0) {
			int64_t rest = wall - (coll >= 0 ? coll : 0) - test_us;
			per_test[nt++] = rest > 0 ? rest / tests : 0;
		}
		if (coll >= 0)
			collect[nc++] = coll;
		/* Collection grows with the tests collected: its cost per test. */
		if (coll >= 0 && tests > 0)
			collect_per_test[nk++] = coll / tests;
	}
	if ((error = row) < 0)
		goto done;
	out->test_overhead_us = hist__median(per_test, nt);
	out->shard_overhead_us = hist__median(collect, nc);
	out->collect_per_test_us = hist__median(collect_per_test, nk);
	error = HIST_OK;
done:
	done(s);
	hist__free(per_test);
	hist__free(collect);
	hist__free(collect_per_test);
	return error;
}

/* ---- checks --------------------------------------------------------- */

int hist__store_check(hist_db *db)
{
	static const struct {
		const char *name, *sql;
	} checks[] = {
		{ "integrity_check", "PRAGMA integrity_check" },
		{ "foreign_key_check", "PRAGMA foreign_key_check" },
		/* No index guards test ids: the writers in this file do. */
		{ "test id check",
			"SELECT 'test ids repeat or reach the counter' WHERE"
			" (SELECT count(*) - count(DISTINCT id) FROM tests) > 0 OR"
			" (SELECT coalesce(max(id), 0) FROM tests) >= (SELECT value FROM meta WHERE key = 'next_test_id')" },
	};
	int error = HIST_OK;

	for (size_t i = 0; i < sizeof checks / sizeof checks[0] && error == HIST_OK; i++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->sql, checks[i].sql, -1, &s, NULL);
		while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			rc = SQLITE_OK;
			const char *t = (const char *)sqlite3_column_text(s, 0);
			/* integrity_check says "ok"; the others say nothing. */
			if (i == 0 && t && strcmp(t, "ok") == 0)
				continue;
			error = hist__error(&db->err, HIST_E_DB, "%s: %s failed: %s", db->path, checks[i].name,
				t ? t : "?");
			break;
		}
		if (error == HIST_OK && rc != SQLITE_DONE && rc != SQLITE_OK)
			error = fail(db, rc);
		sqlite3_finalize(s);
	}
	return error;
}

#ifdef HIST_TESTING
/* SQLite's allocations through alloc.c, so fault injection reaches them.
 * SQLite wants each block's size back: an 8-byte header keeps it. */
static void *sq_malloc(int n)
{
	int64_t *p = n > 0 ? hist__malloc((size_t)n + 8) : NULL;

	if (!p)
		return NULL;
	p[0] = n;
	return p + 1;
}

static void sq_free(void *p)
{
	if (p)
		hist__free((int64_t *)p - 1);
}

static int sq_size(void *p)
{
	return p ? (int)((int64_t *)p)[-1] : 0;
}

static void *sq_realloc(void *p, int n)
{
	int64_t *q;

	if (!p)
		return sq_malloc(n);
	if (n <= 0 || !(q = hist__realloc((int64_t *)p - 1, (size_t)n + 8)))
		return NULL;
	q[0] = n;
	return q + 1;
}

static int sq_roundup(int n)
{
	return (n + 7) & ~7;
}

static int sq_init(void *unused)
{
	(void)unused;
	return SQLITE_OK;
}

static void sq_shutdown(void *unused)
{
	(void)unused;
}

int hist__store_test_malloc(int on)
{
	static const sqlite3_mem_methods ours = { sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init,
		sq_shutdown, NULL };
	static sqlite3_mem_methods saved;
	static int have_saved;
	int rc;

	if ((rc = sqlite3_shutdown()) != SQLITE_OK)
		return HIST_E_DB;
	if (!have_saved && sqlite3_config(SQLITE_CONFIG_GETMALLOC, &saved) == SQLITE_OK)
		have_saved = 1;
	if (!have_saved || sqlite3_config(SQLITE_CONFIG_MALLOC, on ? &ours : &saved) != SQLITE_OK)
		return HIST_E_DB;
	return sqlite3_initialize() == SQLITE_OK ? HIST_OK : HIST_E_DB;
}

int hist__store_dump(hist__buf *out, hist_db *db)
{
	/* Everything by name, nothing by row id: two histories with the same
	 * content dump alike whatever order they were built in. */
	static const char *const dump[] = {
		"SELECT 'run', s.name, r.ext_id, r.started_us FROM runs r JOIN suites s ON s.id = r.suite_id"
		" ORDER BY 2, 3",
		/* Materialized: SQLite indexes it for the join on id. */
		"WITH t AS MATERIALIZED (SELECT id, name, is_key FROM tests)"
		" SELECT 'result', s.name, r.ext_id, t.name, t.is_key, x.outcome, x.duration_us, x.setup_us,"
		" x.attempts FROM results x JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id"
		" JOIN t ON t.id = x.test_id ORDER BY 2, 3, 4, 5",
		"SELECT 'input', hex(i.hash), s.name, r.ext_id, i.wall_us, i.collect_us, i.workers, i.plan_id,"
		" i.shard_index, i.shard_total, i.tests, i.test_us FROM inputs i JOIN runs r ON r.id = i.run_id"
		" JOIN suites s ON s.id = r.suite_id ORDER BY 2",
	};
	int error = HIST_OK;

	for (size_t i = 0; i < sizeof dump / sizeof dump[0] && error == HIST_OK; i++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->sql, dump[i], -1, &s, NULL);
		while (rc == SQLITE_OK && error == HIST_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			rc = SQLITE_OK;
			for (int c = 0; c < sqlite3_column_count(s) && error == HIST_OK; c++) {
				const char *t = (const char *)sqlite3_column_text(s, c);
				error = hist__buf_printf(out, "%s%s", c ? "|" : "", t ? t : "NULL");
			}
			if (error == HIST_OK)
				error = hist__buf_putc(out, '\n');
		}
		if (error == HIST_OK && rc != SQLITE_DONE && rc != SQLITE_OK)
			error = fail(db, rc);
		sqlite3_finalize(s);
	}
	return error;
}
#endif
