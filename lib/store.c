/* store.c - the history database.
 * Owns: the schema and its migrations, the statements every other module
 * goes through, conflict rules, merging another history, and reading the
 * recent history back for estimates. The only file that includes sqlite3.h.
 * Not here: what inputs mean (ingest.c and the parsers), estimates. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"

/* PRAGMA application_id: 0x68697374, "hist", so another program's database
 * with a user_version of its own is never mistaken for a history. */
#define APP_ID 1751741300
#define STR_(x) #x
#define STR(x) STR_(x)

/* Schema, one entry per version: migrations[v] takes user_version v to v+1,
 * in one transaction. Entries are append-only once released.
 *
 * Integers everywhere (interned ids, µs) keep a result row near 15 bytes.
 * results.test_id has no FOREIGN KEY on purpose: checking one on a DELETE
 * FROM tests would scan results per test (an index on test_id would double
 * the largest table), so pruning removes orphan tests itself. */
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

/* The runs of the source database, mapped onto this one's. */
#define SRC_RESULTS                                                                              \
	"SELECT mr.id AS run_id, mt.id AS test_id, x.outcome, x.duration_us, x.setup_us, x.attempts" \
	" FROM src.results x"                                                                        \
	" JOIN src.runs r ON r.id = x.run_id"                                                        \
	" JOIN src.suites s ON s.id = r.suite_id"                                                    \
	" JOIN main.suites ms ON ms.name = s.name"                                                   \
	" JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"                         \
	" JOIN src.tests t ON t.id = x.test_id"                                                      \
	" JOIN main.tests mt ON mt.name = t.name AND mt.is_key = t.is_key"

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
	S_TEST_GET,
	S_TEST_ADD,
	S_RESULT_ADD,
	S_RESULT_RAISE,
	S_INPUT_SEEN,
	S_INPUT_ADD,
	S_COUNT_RUNS,
	S_COUNT_RESULTS,
	S_WINDOW,
	S_RUN_RESULTS,
	S_MAX_TEST,
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
	S_MERGE_COUNT,
	S_MERGE_RESULTS,
	S_MERGE_RAISE,
	S_MERGE_INPUTS,
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
	[S_TEST_GET] = "SELECT id FROM tests WHERE name = ?1 AND is_key = ?2",
	[S_TEST_ADD] = "INSERT INTO tests(name, is_key) VALUES (?1, ?2)",
	[S_RESULT_ADD] = "INSERT INTO results(run_id, test_id, outcome, duration_us, setup_us, attempts)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(run_id, test_id) DO NOTHING",
	[S_RESULT_RAISE] = "UPDATE results AS o SET outcome = n.outcome, duration_us = n.duration_us,"
			   " setup_us = n.setup_us, attempts = n.attempts"
			   " FROM (SELECT ?3 AS outcome, ?4 AS duration_us, ?5 AS setup_us, ?6 AS attempts) AS n"
			   " WHERE o.run_id = ?1 AND o.test_id = ?2 AND " GREATER("n", "o"),
	[S_INPUT_SEEN] = "SELECT 1 FROM inputs WHERE hash = ?1",
	[S_INPUT_ADD] = "INSERT INTO inputs(hash, run_id, wall_us, collect_us, workers, plan_id, shard_index,"
			" shard_total, tests, test_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
	[S_MAX_TEST] = "SELECT coalesce(max(id), 0) FROM tests",
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
	[S_MERGE_TESTS] = "INSERT INTO main.tests(name, is_key) SELECT name, is_key FROM src.tests"
			  " WHERE true ORDER BY name, is_key ON CONFLICT(name, is_key) DO NOTHING",
	[S_MERGE_COUNT] = "SELECT count(*) FROM src.results",
	[S_MERGE_RESULTS] = "INSERT INTO main.results(run_id, test_id, outcome, duration_us, setup_us, attempts) "
			    SRC_RESULTS " WHERE true ORDER BY 1, 2 ON CONFLICT(run_id, test_id) DO NOTHING",
	[S_MERGE_RAISE] = "UPDATE main.results AS o SET outcome = n.outcome, duration_us = n.duration_us,"
			  " setup_us = n.setup_us, attempts = n.attempts FROM (" SRC_RESULTS ") AS n"
			  " WHERE o.run_id = n.run_id AND o.test_id = n.test_id AND " GREATER("n", "o"),
	[S_MERGE_INPUTS] = "INSERT INTO main.inputs(hash, run_id, wall_us, collect_us, workers, plan_id,"
			   " shard_index, shard_total, tests, test_us)"
			   " SELECT i.hash, mr.id, i.wall_us, i.collect_us, i.workers, i.plan_id, i.shard_index,"
			   " i.shard_total, i.tests, i.test_us FROM src.inputs i"
			   " JOIN src.runs r ON r.id = i.run_id JOIN src.suites s ON s.id = r.suite_id"
			   " JOIN main.suites ms ON ms.name = s.name"
			   " JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"
			   " WHERE true ORDER BY i.hash ON CONFLICT(hash) DO NOTHING",
};

struct hist_db {
	sqlite3 *sql;
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt **cursors; /* one S_RUN_RESULTS per run of a window */
	size_t ncursors;
	hist__err err;
	char *path;
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
	if ((error = exec(db, "PRAGMA journal_mode = WAL")) < 0 || (error = exec(db, "PRAGMA foreign_keys = ON")) < 0)
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
	/* With every statement finalized, closing the last connection
	 * checkpoints and deletes the WAL: one file to hand on. */
	sqlite3_close(db->sql);
	hist__err_clear(&db->err);
	hist__free(db->path);
	hist__free(db);
}

/* ---- transactions ------------------------------------------------- */

static int run_stmt(hist_db *db, int which)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = stmt(&s, db, which)) < 0)
		return error;
	return step_done(db, s);
}

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

/* The id of name in the table of get/add (suites or tests), created when
 * missing. with_key binds is_key as ?2 (tests). */
static int intern(int64_t *out, hist_db *db, int get, int add, const char *name, size_t len, int with_key,
	int is_key)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = stmt(&s, db, get)) < 0)
		return error;
	if ((error = bind_text(db, s, 1, name, len)) < 0)
		goto done;
	if (with_key)
		sqlite3_bind_int(s, 2, is_key);
	if ((error = row = step_row(db, s)) < 0)
		return error;
	if (row) {
		*out = sqlite3_column_int64(s, 0);
		error = HIST_OK;
		goto done;
	}
	done(s);
	if ((error = stmt(&s, db, add)) < 0)
		return error;
	if ((error = bind_text(db, s, 1, name, len)) < 0)
		goto done;
	if (with_key)
		sqlite3_bind_int(s, 2, is_key);
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

	if ((error = intern(&suite_id, db, S_SUITE_GET, S_SUITE_ADD, suite, strlen(suite), 0, 0)) < 0 ||
		(error = stmt(&s, db, S_RUN_GET)) < 0)
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

static void bind_result(sqlite3_stmt *s, int64_t run, int64_t test, const hist__record *r)
{
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, test);
	sqlite3_bind_int(s, 3, (int)r->outcome);
	bind_known(s, 4, r->duration_us);
	bind_known(s, 5, r->setup_us);
	sqlite3_bind_int64(s, 6, r->attempts);
}

int hist__store_result(int *added, hist_db *db, int64_t run, const hist__record *r)
{
	sqlite3_stmt *s = NULL;
	int64_t test;
	int error;

	*added = 0;
	if ((unsigned)r->outcome >= HIST_OUTCOME_COUNT || r->attempts < 1)
		return hist__error(&db->err, HIST_E_INVALID, "result with outcome %d and %u attempts", (int)r->outcome,
			r->attempts);
	if ((error = intern(&test, db, S_TEST_GET, S_TEST_ADD, r->id, r->id_len, 1, r->id_is_key != 0)) < 0 ||
		(error = stmt(&s, db, S_RESULT_ADD)) < 0)
		return error;
	bind_result(s, run, test, r);
	if ((error = step_done(db, s)) < 0)
		return error;
	if (sqlite3_changes(db->sql) > 0) {
		*added = 1;
		return HIST_OK;
	}
	if ((error = stmt(&s, db, S_RESULT_RAISE)) < 0)
		return error;
	bind_result(s, run, test, r);
	return step_done(db, s);
}

int hist__store_input_seen(int *seen, hist_db *db, const unsigned char hash[16])
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = stmt(&s, db, S_INPUT_SEEN)) < 0)
		return error;
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	if ((row = step_row(db, s)) < 0)
		return row;
	done(s);
	*seen = row;
	return HIST_OK;
}

int hist__store_input_add(hist_db *db, const unsigned char hash[16], int64_t run, const hist__session *ses,
	int64_t tests, int64_t test_us)
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
	return step_done(db, s);
}

/* ---- merging another history -------------------------------------- */

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
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

/* Checks the attached source is a history this build can read as is. */
static int check_source(hist_db *db, const char *path)
{
	int64_t version, app, tables;
	int error;

	if ((error = stmt_int(&version, db, S_SRC_VERSION)) < 0 || (error = stmt_int(&app, db, S_SRC_APP)) < 0 ||
		(error = stmt_int(&tables, db, S_SRC_TABLES)) < 0)
		return error;
	if (version == 0 || app != APP_ID)
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (%s)", path,
			tables ? "a SQLite database of another program" : "empty database");
	if (version != SCHEMA_VERSION)
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: history has schema version %lld; this build merges version %d (open it with this "
			"build's histmerge --db first)",
			path, (long long)version, SCHEMA_VERSION);
	return HIST_OK;
}

static int merge_attached(hist_ingest_stats *out, hist_db *db, const char *path)
{
	int error;

	if ((error = check_source(db, path)) < 0 || (error = run_stmt(db, S_MERGE_SUITES)) < 0 ||
		(error = run_stmt(db, S_MERGE_RUNS)) < 0 || (error = run_stmt(db, S_MERGE_TESTS)) < 0)
		return error;
	if ((error = stmt_int(&out->tests, db, S_MERGE_COUNT)) < 0 || (error = run_stmt(db, S_MERGE_RESULTS)) < 0)
		return error;
	out->added = sqlite3_changes64(db->sql);
	out->duplicates = out->tests - out->added;
	if ((error = run_stmt(db, S_MERGE_RAISE)) < 0)
		return error;
	return run_stmt(db, S_MERGE_INPUTS);
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
				error = HIST_E_NOMEM;
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
			return HIST_E_NOMEM;
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
			return HIST_E_NOMEM;
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

	if ((error = stmt_int(&w->max_test, db, S_MAX_TEST)) < 0)
		return error;
	if (w->max_test < 0 || w->max_test >= (int64_t)UINT32_MAX - 2)
		return hist__error(&db->err, HIST_E_DB, "%s: test ids past 2^32", db->path);
	slots = (size_t)w->max_test + 2;
	if (!(w->first = hist__malloc(slots * sizeof *w->first)))
		return HIST_E_NOMEM;
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

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n); for an even n the mean of the middle two, rounded down.
 * -1 for none. */
static int64_t median(int64_t *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof *v, cmp_i64);
	return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

int hist__store_overheads(hist__overheads *out, hist_db *db, const char *suite, unsigned int window)
{
	sqlite3_stmt *s = NULL;
	int64_t *per_test = NULL, *collect = NULL;
	size_t nt = 0, nc = 0, cap = 0;
	int error, row;

	out->test_overhead_us = out->shard_overhead_us = -1;
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
				error = HIST_E_NOMEM;
				goto done;
			}
			per_test = a;
			if (!(b = hist__realloc(collect, n * sizeof *b))) {
				error = HIST_E_NOMEM;
				goto done;
			}
			collect = b;
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
	}
	if ((error = row) < 0)
		goto done;
	out->test_overhead_us = median(per_test, nt);
	out->shard_overhead_us = median(collect, nc);
	error = HIST_OK;
done:
	done(s);
	hist__free(per_test);
	hist__free(collect);
	return error;
}

/* ---- checks --------------------------------------------------------- */

int hist__store_check(hist_db *db)
{
	static const char *const checks[] = { "PRAGMA integrity_check", "PRAGMA foreign_key_check" };
	int error = HIST_OK;

	for (size_t i = 0; i < sizeof checks / sizeof checks[0] && error == HIST_OK; i++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->sql, checks[i], -1, &s, NULL);
		while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			rc = SQLITE_OK;
			const char *t = (const char *)sqlite3_column_text(s, 0);
			/* integrity_check says "ok"; foreign_key_check says nothing. */
			if (i == 0 && t && strcmp(t, "ok") == 0)
				continue;
			error = hist__error(&db->err, HIST_E_DB, "%s: %s failed: %s", db->path, checks[i] + 7,
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
		"SELECT 'result', s.name, r.ext_id, t.name, t.is_key, x.outcome, x.duration_us, x.setup_us,"
		" x.attempts FROM results x JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id"
		" JOIN tests t ON t.id = x.test_id ORDER BY 2, 3, 4, 5",
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
