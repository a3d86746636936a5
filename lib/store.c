/* store.c - the history database: its handle, schema and statements.
 * Owns: opening a history (identity, pragmas, migrations), the table of
 * every statement the store runs and the helpers that prepare, bind and
 * step them, transactions, runs and inputs, counts, and the integrity
 * check.
 * Not here: the batch of results and its virtual table (store_batch.c),
 * merging another history (store_merge.c), the window read for estimates
 * (store_window.c), test-only helpers (store_testing.c); what inputs mean
 * (ingest.c and the parsers), estimates. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "alloc.h"
#include "buf.h"
#include "store_db.h"

/* The page size of new files (see open_db). */
#define PAGE_SIZE 16384
#define STR_(x) #x
#define STR(x) STR_(x)

/* The tables as the steps below create them, shared with the script
 * that creates a new file's schema at once (new_file_schema). */
#define T_SUITES \
	"CREATE TABLE suites(" \
	" id INTEGER PRIMARY KEY," \
	" name TEXT NOT NULL UNIQUE);"
#define T_RUNS \
	"CREATE TABLE runs(" \
	" id INTEGER PRIMARY KEY," \
	" suite_id INTEGER NOT NULL REFERENCES suites(id)," \
	" ext_id TEXT NOT NULL," \
	" started_us INTEGER NOT NULL," \
	" UNIQUE(suite_id, ext_id));"
#define INPUTS_V1 \
	"CREATE TABLE inputs(" \
	" hash BLOB PRIMARY KEY CHECK(length(hash) = 16)," \
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE," \
	" wall_us INTEGER," \
	" collect_us INTEGER," \
	" workers INTEGER," \
	" plan_id TEXT," \
	" shard_index INTEGER," \
	" shard_total INTEGER," \
	" tests INTEGER NOT NULL," \
	" test_us INTEGER NOT NULL"
#define TESTS_V2 \
	"(" \
	" name TEXT NOT NULL," \
	" is_key INTEGER NOT NULL CHECK(is_key IN (0, 1))," \
	" id INTEGER NOT NULL," \
	" PRIMARY KEY(name, is_key)) WITHOUT ROWID;"
#define T_META \
	"CREATE TABLE meta(" \
	" key TEXT PRIMARY KEY," \
	" value INTEGER NOT NULL) WITHOUT ROWID;"
#define T_PACKS \
	"CREATE TABLE packs(" \
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE," \
	" chunk INTEGER NOT NULL," \
	" data BLOB NOT NULL," \
	" PRIMARY KEY(run_id, chunk)) WITHOUT ROWID;"
#define T_PLANS \
	"CREATE TABLE plans(" \
	" suite_id INTEGER NOT NULL REFERENCES suites(id)," \
	" id TEXT NOT NULL CHECK(length(id) = 16)," \
	" stored_us INTEGER NOT NULL," \
	" shard_total INTEGER NOT NULL CHECK(shard_total >= 1)," \
	" PRIMARY KEY(suite_id, id)) WITHOUT ROWID;"
#define T_PLAN_SHARDS \
	"CREATE TABLE plan_shards(" \
	" suite_id INTEGER NOT NULL," \
	" plan_id TEXT NOT NULL," \
	" shard INTEGER NOT NULL CHECK(shard >= 1)," \
	" tests INTEGER NOT NULL CHECK(tests >= 0)," \
	" predicted_us INTEGER NOT NULL CHECK(predicted_us >= 0)," \
	" PRIMARY KEY(suite_id, plan_id, shard)," \
	" FOREIGN KEY(suite_id, plan_id) REFERENCES plans(suite_id, id) ON DELETE CASCADE) WITHOUT ROWID;"

/* Schema, one entry per version: migrations[v] takes user_version v to v+1,
 * in one transaction. Entries are append-only once released.
 *
 * Integers everywhere (interned ids, µs) keep a result small. Results
 * name their test by id with no FOREIGN KEY (results.test_id until schema
 * 5, the packs since 6): checking one on a DELETE FROM tests would scan
 * every result per test, so whatever deletes results must delete the
 * tests left without any. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	T_SUITES
	T_RUNS
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
	"CREATE TABLE tests_v2" TESTS_V2
	"INSERT INTO tests_v2(name, is_key, id) SELECT name, is_key, id FROM tests ORDER BY name, is_key;"
	"DROP TABLE tests;"
	"ALTER TABLE tests_v2 RENAME TO tests;"
	T_META
	"INSERT INTO meta(key, value) SELECT 'next_test_id', coalesce(max(id), 0) + 1 FROM tests;"
	"ALTER TABLE inputs ADD COLUMN raw_hash BLOB CHECK(length(raw_hash) = 16);"
	"CREATE INDEX inputs_by_raw_hash ON inputs(raw_hash) WHERE raw_hash IS NOT NULL;",
	/* 2 -> 3: results packed by run for the window read (store_pack.c):
	 * each run's results of 1,024 test ids in one blob (256 from schema 4). Derived data:
	 * every commit keeps it equal to results, a deleted run takes its
	 * packs along, and a run in runs_unpacked is read from results until
	 * the next write transaction repacks it (as every run of a history
	 * migrated here is). Whatever writes results outside store*.c must put
	 * the run in runs_unpacked (until schema 6, below, made the packs the
	 * only copy). */
	T_PACKS
	"CREATE TABLE runs_unpacked("
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE);"
	"INSERT INTO runs_unpacked(run_id) SELECT id FROM runs;",
	/* 3 -> 4: packs of 256 test ids instead of 1,024, attempts of 1 in
	 * the flags. A pack of 1,024 results (8 KB) passed SQLite's largest
	 * local payload of a WITHOUT ROWID row (4 KB on 16 KiB pages), so
	 * each spilled to an overflow page of its own: 18 bytes stored per
	 * result for 7.8 encoded. Schema 3's packs cannot be read as schema
	 * 4's, so they go and every run is repacked at the next write (the
	 * window read uses results until then). */
	"DELETE FROM packs;"
	"INSERT OR IGNORE INTO runs_unpacked(run_id) SELECT id FROM runs;",
	/* 4 -> 5: the plans runs were checked against (histmerge --plan),
	 * with what each shard was predicted to take, for histstats --plans
	 * beside the wall time each shard's report gives (inputs.wall_us by
	 * plan_id and shard_index, in the runs of the plan's suite).
	 * stored_us: when first stored; of two versions of a plan (same id,
	 * other predictions) the store keeps the one first by (stored_us,
	 * shard_total, shards' predictions in order), so merges are
	 * order-free (store_plans.c). */
	T_PLANS
	T_PLAN_SHARDS,
	/* 5 -> 6: the packs are the only copy of the results. Schema 5 kept
	 * every result twice, in results (19 bytes a result) and in packs
	 * (7); 100,000 tests x 50 runs took 28.6 bytes a result with the
	 * nodeids. Before this script, migrate_code() packs every run again
	 * from results (the packs were derived data, never trusted past
	 * results). Readers see the packs as rows through the hist_results
	 * virtual table (store_results.c); writers go through temp.pending
	 * (store_pack.c). */
	"DROP TABLE runs_unpacked;"
	"DROP TABLE results;",
	/* 6 -> 7: the session's start-up (the plugin's session record: from
	 * the process's start to pytest's configure), so the planner knows
	 * what every shard pays before its first test from the first serial
	 * run on (estimate.c). NULL: unknown (JUnit, older reports). */
	"ALTER TABLE inputs ADD COLUMN startup_us INTEGER;",
};
#define BASE_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* A new file's schema: what the steps above leave, object for object, in
 * the same order and with the same text (ALTER TABLE quoted "tests" and
 * appended the columns of inputs), so a new file dumps exactly like one
 * that took every step (check_store.c compares them). One script instead
 * of seven steps: the steps re-parse the whole schema at each CREATE,
 * DROP and ALTER, 3 ms of the 8 ms of CPU a histmerge of a small report
 * into a new history took. A new step must change this script too. */
static const char new_file_schema[] =
	T_SUITES
	T_RUNS
	"CREATE INDEX runs_by_start ON runs(suite_id, started_us, ext_id);"
	INPUTS_V1 ", raw_hash BLOB CHECK(length(raw_hash) = 16), startup_us INTEGER) WITHOUT ROWID;"
	"CREATE INDEX inputs_by_run ON inputs(run_id);"
	"CREATE TABLE \"tests\"" TESTS_V2
	T_META
	"INSERT INTO meta(key, value) VALUES ('next_test_id', 1);"
	"CREATE INDEX inputs_by_raw_hash ON inputs(raw_hash) WHERE raw_hash IS NOT NULL;"
	T_PACKS
	T_PLANS
	T_PLAN_SHARDS
	"PRAGMA application_id = " STR(APP_ID) ";";

#ifdef HIST_TESTING
/* Test builds: store_testing.c may add one more step, so the tests can
 * open a file of this version with a "later build". */
#define SCHEMA_VERSION (BASE_VERSION + (hist__store_test_sql != NULL))
#else
#define SCHEMA_VERSION BASE_VERSION
#endif

/* A merge source's inputs into main, with the columns its schema has
 * beyond version 1's (cols in main, src_cols the same read from i). */
#define MERGE_INPUTS(cols, src_cols)                                                                    \
	"INSERT INTO main.inputs(hash, run_id, wall_us, collect_us, workers, plan_id,"                  \
	" shard_index, shard_total, tests, test_us" cols ")"                                            \
	" SELECT i.hash, mr.id, i.wall_us, i.collect_us, i.workers, i.plan_id, i.shard_index,"          \
	" i.shard_total, i.tests, i.test_us" src_cols " FROM src.inputs i"                              \
	" JOIN src.runs r ON r.id = i.run_id JOIN src.suites s ON s.id = r.suite_id"                    \
	" JOIN main.suites ms ON ms.name = s.name"                                                      \
	" JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"                            \
	" WHERE r.id NOT IN (SELECT src_run FROM temp.merge_skip) ORDER BY i.hash"                      \
	" ON CONFLICT(hash) DO NOTHING"

/* The conflict rule, shared by ingest and merge: a result replaces the
 * stored one when (attempts, outcome, duration, setup) is greater, so the
 * database holds the same row whatever order inputs come in. */
#define GREATER(n, o)                                                                                   \
	"(" n ".attempts, " n ".outcome, coalesce(" n ".duration_us, -1), coalesce(" n ".setup_us, -1)) > " \
	"(" o ".attempts, " o ".outcome, coalesce(" o ".duration_us, -1), coalesce(" o ".setup_us, -1))"

/* The results of the source database (`from`: its packs through
 * hist_results('src'), or a schema 1-5 source's results table), with its
 * runs and tests mapped onto this one's (test ids through temp.test_map:
 * tests has no index on id), but for the runs whose inputs this history
 * already counts under runs that own them (temp.merge_skip,
 * store_owner.c). */
#define SRC_RESULTS(from)                                                                       \
	"SELECT mr.id AS run_id, m.main_id AS test_id, x.outcome, x.duration_us, x.setup_us, x.attempts" \
	" FROM " from " x"                                                                          \
	" JOIN src.runs r ON r.id = x.run_id"                                                       \
	" JOIN src.suites s ON s.id = r.suite_id"                                                   \
	" JOIN main.suites ms ON ms.name = s.name"                                                  \
	" JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"                        \
	" JOIN temp.test_map m ON m.src_id = x.test_id"                                             \
	" WHERE r.id NOT IN (SELECT src_run FROM temp.merge_skip)"

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
	/* OR IGNORE, not ON CONFLICT DO NOTHING: the upsert leaves the
	 * CHECK and NOT NULL constraints at ABORT, and a statement that may
	 * abort half-way saves every page it touches to a statement journal
	 * first. New names land all over the name-keyed b-tree, so that was
	 * each batch copying most of the table: 146 MB written to a temp
	 * file for 100,000 real tests (15 MB history), 12% of the CPU.
	 * hist__batch_add already refuses what those constraints check. */
	[S_BATCH_TESTS] = "INSERT OR IGNORE INTO tests(name, is_key, id) SELECT name, is_key, test FROM hist_batch"
			  " WHERE fresh",
	/* OR IGNORE again, for the same reason: with DO NOTHING each batch
	 * saved the pending pages it touched to a statement journal (7.8 MB
	 * written to a temp file for 100,000 real tests). Every row has a
	 * test id by now; a row dropped for a NULL all the same would leave
	 * changes short of the rows it takes, and S_BATCH_RAISE fails on it. */
	[S_BATCH_RESULTS] = "INSERT OR IGNORE INTO temp.pending(run_id, test_id, outcome, duration_us, setup_us, attempts)"
			    " SELECT ?1, test, outcome, duration_us, setup_us, attempts FROM hist_batch WHERE pend",
	/* Only when some result met a stored one (or one of the same batch):
	 * the upsert applies them in batch order, each kept if greater. */
	[S_BATCH_RAISE] = "INSERT INTO temp.pending(run_id, test_id, outcome, duration_us, setup_us, attempts)"
			  " SELECT ?1, test, outcome, duration_us, setup_us, attempts FROM hist_batch WHERE pend"
			  " ON CONFLICT(run_id, test_id) DO UPDATE SET outcome = excluded.outcome,"
			  " duration_us = excluded.duration_us, setup_us = excluded.setup_us,"
			  " attempts = excluded.attempts WHERE " GREATER("excluded", "pending"),
	/* A plain file's raw bytes are its content: its raw hash is its hash. */
	[S_INPUT_SEEN] = "SELECT tests FROM inputs WHERE hash = ?1 UNION ALL"
			 " SELECT tests FROM inputs WHERE raw_hash = ?1 LIMIT 1",
	[S_INPUT_ADD] = "INSERT INTO inputs(hash, run_id, wall_us, collect_us, workers, plan_id, shard_index,"
			" shard_total, tests, test_us, raw_hash, startup_us)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_COUNT_RUNS] = "SELECT count(*) FROM runs r JOIN suites s ON s.id = r.suite_id"
			 " WHERE ?1 IS NULL OR s.name = ?1",
	/* Every pack of the suite's runs (all runs for NULL): the counts
	 * read only the test ids in them (store_results.c). */
	[S_COUNT_PACKS] = "SELECT p.run_id, p.chunk, p.data FROM runs r JOIN suites s ON s.id = r.suite_id"
			  " CROSS JOIN packs p ON p.run_id = r.id WHERE ?1 IS NULL OR s.name = ?1",
	/* A pack is stored only with a result in it (store_pack.c): the
	 * first non-empty one answers. */
	[S_HAS_RESULTS] = "SELECT EXISTS (SELECT 1 FROM runs r JOIN suites s ON s.id = r.suite_id"
			  " CROSS JOIN packs p ON p.run_id = r.id WHERE (?1 IS NULL OR s.name = ?1)"
			  " AND length(p.data) > 0)",
	/* Newest first; ext_id breaks ties so equal start times still give
	 * one order on every machine. */
	[S_WINDOW] = "SELECT r.id FROM runs r JOIN suites s ON s.id = r.suite_id WHERE s.name = ?1"
		     " ORDER BY r.started_us DESC, r.ext_id DESC LIMIT ?2",
	[S_RUN_RESULTS] = "SELECT test_id, outcome, coalesce(duration_us, -1), coalesce(setup_us, -1), attempts"
			  " FROM hist_results WHERE run_id = ?1 ORDER BY test_id",
	[S_TESTS_BY_NAME] = "SELECT id, name, is_key FROM tests ORDER BY name, is_key",
	/* The nodeids (0) or the JUnit keys (1), in no order: counting. */
	[S_TESTS_OF_KIND] = "SELECT id, name FROM tests WHERE is_key = ?1",
	/* w.age numbers the window's runs as S_WINDOW orders them. */
	[S_OVERHEADS] = "SELECT i.wall_us, i.collect_us, i.tests, i.test_us, i.workers, w.age, i.startup_us FROM inputs i"
			" JOIN (SELECT r.id, row_number() OVER (ORDER BY r.started_us DESC, r.ext_id DESC) - 1"
			" AS age FROM runs r JOIN suites s ON s.id = r.suite_id WHERE s.name = ?1"
			" ORDER BY r.started_us DESC, r.ext_id DESC LIMIT ?2) w ON w.id = i.run_id"
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
	/* What a history's schema never holds: views, triggers, virtual or
	 * otherwise unusual tables, generated or hidden columns, or a missing
	 * table the merge reads (?1: 1 for a source of schema 6 or later,
	 * which has packs instead of results). A view in place of results
	 * can make the merge run for ever while it holds the write lock. */
	[S_SRC_ODD] = "SELECT (SELECT count(*) FROM src.sqlite_schema WHERE type NOT IN ('table', 'index'))"
		      " + (SELECT count(*) FROM src.sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE TABLE %')"
		      " + 5 - (SELECT count(*) FROM src.sqlite_schema WHERE type = 'table'"
		      " AND name IN ('suites', 'runs', 'tests', 'inputs', CASE WHEN ?1 THEN 'packs' ELSE 'results' END))"
		      " + (SELECT count(*) FROM src.sqlite_schema s, pragma_table_xinfo(s.name, 'src') x"
		      " WHERE s.type = 'table' AND x.hidden <> 0)",
	[S_MERGE_SUITES] = "INSERT INTO main.suites(name) SELECT name FROM src.suites WHERE true ORDER BY name"
			   " ON CONFLICT(name) DO NOTHING",
	/* A run's start is the earliest any input or database reported. */
	[S_MERGE_RUNS] = "INSERT INTO main.runs(suite_id, ext_id, started_us)"
			 " SELECT ms.id, r.ext_id, r.started_us FROM src.runs r"
			 " JOIN src.suites s ON s.id = r.suite_id JOIN main.suites ms ON ms.name = s.name"
			 " WHERE r.id NOT IN (SELECT src_run FROM temp.merge_skip) ORDER BY ms.id, r.ext_id"
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
	[S_MERGE_COUNT] = "SELECT count(*) FROM hist_results('src')",
	[S_MERGE_COUNT_V5] = "SELECT count(*) FROM src.results",
	[S_MERGE_RESULTS] = "INSERT INTO temp.pending(run_id, test_id, outcome, duration_us, setup_us, attempts) "
			    SRC_RESULTS("hist_results('src')") " AND true ORDER BY 1, 2"
			    " ON CONFLICT(run_id, test_id) DO NOTHING",
	[S_MERGE_RESULTS_V5] = "INSERT INTO temp.pending(run_id, test_id, outcome, duration_us, setup_us, attempts) "
			       SRC_RESULTS("src.results") " AND true ORDER BY 1, 2 ON CONFLICT(run_id, test_id) DO NOTHING",
	[S_MERGE_RAISE] = "UPDATE temp.pending AS o SET outcome = n.outcome, duration_us = n.duration_us,"
			  " setup_us = n.setup_us, attempts = n.attempts FROM (" SRC_RESULTS("hist_results('src')") ") AS n"
			  " WHERE o.run_id = n.run_id AND o.test_id = n.test_id AND " GREATER("n", "o"),
	[S_MERGE_RAISE_V5] = "UPDATE temp.pending AS o SET outcome = n.outcome, duration_us = n.duration_us,"
			     " setup_us = n.setup_us, attempts = n.attempts FROM (" SRC_RESULTS("src.results") ") AS n"
			     " WHERE o.run_id = n.run_id AND o.test_id = n.test_id AND " GREATER("n", "o"),
	[S_PACK_ADD] = "INSERT INTO packs(run_id, chunk, data) VALUES (?1, ?2, ?3)",
	[S_PACK_DROP] = "DELETE FROM packs WHERE run_id = ?1 AND chunk >= ?2 AND chunk < ?3",
	[S_PACK_READ] = "SELECT test_id, outcome, duration_us, setup_us, attempts FROM temp.pending"
			" WHERE run_id = ?1 AND test_id >= ?2 AND test_id < ?3 ORDER BY test_id",
	[S_PACK_GET] = HIST__PACK_ONE_SQL("main"),
	[S_PACKS_OF_RUN] = "SELECT chunk, data FROM packs WHERE run_id = ?1 ORDER BY chunk",
	[S_PENDING_ADD] = "INSERT INTO temp.pending(run_id, test_id, outcome, duration_us, setup_us, attempts)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_PENDING_CLEAR] = "DELETE FROM temp.pending",
	[S_MERGE_INPUTS] = MERGE_INPUTS(", raw_hash, startup_us", ", i.raw_hash, i.startup_us"),
	[S_MERGE_INPUTS_V6] = MERGE_INPUTS(", raw_hash", ", i.raw_hash"),
	[S_MERGE_INPUTS_V1] = MERGE_INPUTS("", ""),
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

/* Out of memory, said on the handle so the tool's message names the history. */
int hist__store_nomem(hist_db *db)
{
	return hist__error(&db->err, HIST_E_NOMEM, "%s: out of memory", db->path);
}

/* Reports a SQLite failure as "PATH: message" with the matching code. */
static int on_read_only_fs(const char *path)
{
	struct statvfs fs;

	return path && statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY);
}

int hist__store_fail(hist_db *db, int rc)
{
	int code, sys;

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
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		/* SQLite's "database is locked" does not say we waited. */
		return hist__error(&db->err, HIST_E_DB,
			"%s: database is locked: another process held it past the busy timeout", db->path);
	default:
		code = HIST_E_DB;
	}
	/* SQLite writes -wal and -shm files beside a history, even to read
	 * it: on a read-only file system its own words mislead. */
	if ((code == HIST_E_IO || (rc & 0xff) == SQLITE_READONLY) && on_read_only_fs(db->path))
		return hist__error(&db->err, code,
			"%s: on a read-only file system (SQLite writes its -wal and -shm files beside the history, "
			"even to read it)", db->path);
	/* The system's reason says what SQLite's words do not: "unable to
	 * open database file" on a read-only file system, "disk I/O error"
	 * when the disk is full. */
	sys = db->sql && (code == HIST_E_IO || (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_FULL)
		      ? sqlite3_system_errno(db->sql)
		      : 0;
	if (sys > 0)
		return hist__error(&db->err, code, "%s: %s (%s)", db->path, sqlite3_errmsg(db->sql), strerror(sys));
	return hist__error(&db->err, code, "%s: %s", db->path, db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
}

int hist__store_prepare(sqlite3_stmt **out, hist_db *db, int which)
{
	int rc = sqlite3_prepare_v3(db->sql, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT, out, NULL);

	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

/* The cached statement, prepared on first use. Callers bind, step, and
 * finish with hist__store_reset(). */
int hist__store_stmt(sqlite3_stmt **out, hist_db *db, int which)
{
	int error;

	if (!db->stmt[which] && (error = hist__store_prepare(&db->stmt[which], db, which)) < 0)
		return error;
	*out = db->stmt[which];
	return HIST_OK;
}

void hist__store_reset(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Steps s expecting no row (or ignoring rows past the first). */
int hist__store_step_done(hist_db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = hist__store_fail(db, rc);
		hist__store_reset(s);
		return rc;
	}
	hist__store_reset(s);
	return HIST_OK;
}

/* Steps s; 1 with a row, 0 without, or a HIST_E_* code (s is then reset). */
int hist__store_step_row(hist_db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = hist__store_fail(db, rc);
	hist__store_reset(s);
	return rc;
}

int hist__store_bind_text(hist_db *db, sqlite3_stmt *s, int i, const char *text, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return hist__error(&db->err, HIST_E_INVALID, "%s: string too long to store", db->path);
	if (sqlite3_bind_text(s, i, text, (int)len, SQLITE_STATIC) != SQLITE_OK)
		return hist__store_fail(db, sqlite3_errcode(db->sql));
	return HIST_OK;
}

/* NULL for a negative ("unknown") value, so the row stays small. */
void hist__store_bind_known(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

int64_t hist__store_column_known(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

int hist__store_run_stmt(hist_db *db, int which)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = hist__store_stmt(&s, db, which)) < 0)
		return error;
	return hist__store_step_done(db, s);
}

/* The one integer a cached statement returns. */
int hist__store_stmt_int(int64_t *out, hist_db *db, int which)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = hist__store_stmt(&s, db, which)) < 0 || (error = row = hist__store_step_row(db, s)) < 0)
		return error;
	*out = row ? sqlite3_column_int64(s, 0) : 0;
	hist__store_reset(s);
	return HIST_OK;
}

/* Runs constant SQL with no result (pragmas, migration scripts). */
int hist__store_vtab_connect(sqlite3 *sql, const char *schema, size_t size, sqlite3_vtab **out)
{
	int rc;

	if ((rc = sqlite3_declare_vtab(sql, schema)) != SQLITE_OK)
		return rc;
	/* Only our own statements may read it, not a view or trigger of a
	 * hostile history file. */
	sqlite3_vtab_config(sql, SQLITE_VTAB_DIRECTONLY);
	if (!(*out = sqlite3_malloc64(size)))
		return SQLITE_NOMEM;
	memset(*out, 0, size);
	return SQLITE_OK;
}

int hist__store_exec(hist_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

/* One integer from constant SQL, for pragmas read once per open. */
int hist__store_query_int(int64_t *out, hist_db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

/* Is this file ours? user_version 0 with no tables is a new file. */
static int check_identity(int64_t *version, hist_db *db)
{
	int64_t app, tables, odd;
	int error;

	/* No schema of ours has a view or trigger: one in the user's own file
	 * (say a poisoned CI cache) would run hidden SQL at every write. */
	if ((error = hist__store_query_int(version, db, "PRAGMA user_version")) < 0 ||
		(error = hist__store_query_int(&app, db, "PRAGMA application_id")) < 0 ||
		(error = hist__store_query_int(&tables, db, "SELECT count(*) FROM sqlite_schema")) < 0 ||
		(error = hist__store_query_int(&odd, db,
			 "SELECT count(*) FROM sqlite_schema WHERE type NOT IN ('table', 'index')")) < 0)
		return error;
	if ((*version == 0 && tables > 0) || (*version > 0 && app != APP_ID))
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (a SQLite database of another program)",
			db->path);
	if (odd)
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: not a hist history as hist writes it (a view or trigger in its schema); refused", db->path);
	if (*version > SCHEMA_VERSION)
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: history has schema version %lld; this build reads up to %d (upgrade hist)", db->path,
			(long long)*version, SCHEMA_VERSION);
	return HIST_OK;
}

/* What a step needs beyond its SQL, run first in its transaction. */
static int migration_code(hist_db *db, int64_t from)
{
	return from == 5 ? hist__store_packs_from_results(db) : HIST_OK;
}

static const char *migration(int64_t from)
{
#ifdef HIST_TESTING
	if (from == BASE_VERSION)
		return hist__store_test_sql;
#endif
	return migrations[from];
}

/* A new file takes every step (tests compare that with new_file_schema). */
static int replay_steps(void)
{
#ifdef HIST_TESTING
	return hist__store_test_replay;
#else
	return 0;
#endif
}

/* Each step in its own transaction (a new file's all in one); re-reading
 * user_version under the lock lets two processes create the same file at
 * once. */
static int migrate(hist_db *db, int64_t version)
{
	char setv[64];
	int error;

	while (version < SCHEMA_VERSION) {
		if ((error = hist__store_exec(db, "BEGIN IMMEDIATE")) < 0)
			return error;
		if ((error = hist__store_query_int(&version, db, "PRAGMA user_version")) < 0)
			goto fail;
		if (version >= SCHEMA_VERSION) {
			error = hist__store_exec(db, "COMMIT");
			goto fail;
		}
		/* A new file, in rollback mode (see open_db), takes every step in
		 * one transaction: one journal and its syncs, not one a step. */
		do {
			const char *sql = migration(version);
			int64_t to = version + 1;

			if (version == 0 && !replay_steps()) {
				sql = new_file_schema;
				to = BASE_VERSION;
			}
			snprintf(setv, sizeof setv, "PRAGMA user_version = %lld", (long long)to);
			if ((error = migration_code(db, version)) < 0 || (error = hist__store_exec(db, sql)) < 0 ||
				(error = hist__store_exec(db, setv)) < 0)
				goto fail;
			version = to;
		} while (db->wal_later && version < SCHEMA_VERSION);
		if ((error = hist__store_exec(db, "COMMIT")) < 0)
			goto fail;
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
		return hist__store_fail(db, rc);
	}
	sqlite3_busy_timeout(db->sql, o->busy_timeout_ms > INT32_MAX ? INT32_MAX : (int)o->busy_timeout_ms);
	if ((error = hist__store_batch_module(db)) < 0 || (error = hist__store_results_module(db)) < 0)
		return error;
	/* Identity first: WAL mode would rewrite another program's file. */
	if ((error = check_identity(&version, db)) < 0)
		return error;
	if (o->read_only) {
		if (version == 0)
			return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (empty database)", path);
		/* An older history is upgraded by its first reader too: the first
		 * job of a pipeline after an upgrade of hist is histplan, and
		 * refusing there would stop every pipeline until a histmerge ran.
		 * Only a file that cannot be written is refused. */
		if (version < SCHEMA_VERSION && (error = migrate(db, version)) < 0) {
			char *why = hist__strdup(hist__err_msg(&db->err));

			hist__error(&db->err, error, "%s: history has schema version %lld; upgrading it to %d failed: %s",
				path, (long long)version, SCHEMA_VERSION, why ? why : hist_strerror(HIST_E_NOMEM));
			hist__free(why);
			return error;
		}
		return hist__store_exec(db, "PRAGMA query_only = ON");
	}
	/* A new file gets 16 KiB pages (the size holds only until the first
	 * table exists): a quarter of the page writes of 4 KiB and fewer
	 * b-tree levels; storing 100,000 new results took 16% less CPU. */
	if (version == 0 && (error = hist__store_exec(db, "PRAGMA page_size = " STR(PAGE_SIZE))) < 0)
		return error;
	/* synchronous=NORMAL: in WAL mode a commit no longer waits for an
	 * fsync; the WAL is synced at each checkpoint instead. A power loss
	 * or OS crash may undo the last commits (never corrupt the file); a
	 * crash of the process loses nothing. Saves an fsync per input, which
	 * is most of the time of a directory of small reports.
	 * A new file stays in rollback mode for its first two transactions
	 * (the schema, then the first input): they write its pages once,
	 * where through the WAL each went to the WAL and again to the file at
	 * the checkpoint on close (100,000 real tests into a new history:
	 * 13.5 MB twice, 0.03 s of 0.27). The handle moves to WAL before its
	 * next transaction or at close (to_wal). Until then synchronous=FULL:
	 * NORMAL is safe from corruption in WAL mode only, not with a rollback
	 * journal on every filesystem. */
	if ((version > 0 && (error = hist__store_exec(db, "PRAGMA journal_mode = WAL")) < 0) ||
		(error = hist__store_exec(db, version > 0 ? "PRAGMA main.synchronous = NORMAL" : "PRAGMA main.synchronous = FULL")) < 0 ||
		(error = hist__store_exec(db, "PRAGMA foreign_keys = ON")) < 0)
		return error;
	db->wal_later = version == 0;
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

int hist_db_open_empty(hist_db **out)
{
	hist_db_options o = HIST_DB_OPTIONS_INIT;

	/* SQLite's name for a database that lives in memory and goes with its
	 * connection: the schema is made there, no file is touched. */
	return hist_db_open(out, ":memory:", &o);
}

/* A new file's handle moves to WAL, as every other handle is (see
 * open_db); main only: a history being merged may be attached, and a bare
 * journal_mode pragma would turn that file to WAL too. Plain exec: no
 * error slot touched. When it cannot (a transaction is open, another
 * handle holds the file), the file stays in rollback mode, which every
 * later open turns to WAL. */
static void to_wal(hist_db *db)
{
	if (db->wal_later && sqlite3_get_autocommit(db->sql) &&
		sqlite3_exec(db->sql, "PRAGMA main.journal_mode = WAL", NULL, NULL, NULL) == SQLITE_OK &&
		sqlite3_exec(db->sql, "PRAGMA main.synchronous = NORMAL", NULL, NULL, NULL) == SQLITE_OK)
		db->wal_later = 0;
}

void hist_db_free(hist_db *db)
{
	if (!db)
		return;
	if (db->sql)
		to_wal(db);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	for (size_t i = 0; i < db->ncursors; i++)
		sqlite3_finalize(db->cursors[i]);
	hist__free(db->cursors);
	for (size_t i = 0; i < db->npack_cursors; i++)
		sqlite3_finalize(db->pack_cursors[i]);
	hist__free(db->pack_cursors);
	hist__batch_free(db->one);
	hist__free(db->dedup);
	hist__store_pack_forget(db);
	hist__free(db->open);
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
	int error;

	hist__store_pack_forget(db);
	if (db->began++ > 0)
		to_wal(db);
	/* Made outside any transaction, so no rollback takes it away. Keyed
	 * like schema 5's results: the writers' SQL is what it was there. */
	if (!db->pending_ready) {
		if ((error = hist__store_exec(db, "CREATE TEMP TABLE IF NOT EXISTS pending("
						  " run_id INTEGER NOT NULL, test_id INTEGER NOT NULL,"
						  " outcome INTEGER NOT NULL, duration_us INTEGER, setup_us INTEGER,"
						  " attempts INTEGER NOT NULL, PRIMARY KEY(run_id, test_id)) WITHOUT ROWID")) < 0)
			return error;
		db->pending_ready = 1;
	}
	return hist__store_run_stmt(db, S_BEGIN);
}

int hist__store_commit(hist_db *db)
{
	int error = hist__store_packs_flush(db);

	return error < 0 ? error : hist__store_run_stmt(db, S_COMMIT);
}

void hist__store_rollback(hist_db *db)
{
	/* A failed statement may already have rolled back (SQLITE_FULL...).
	 * Plain exec: the rollback must not depend on preparing anything. */
	hist__store_pack_forget(db);
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- writing ------------------------------------------------------ */

/* The id of name in suites, created when missing. */
static int intern_suite(int64_t *out, hist_db *db, const char *name)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = hist__store_stmt(&s, db, S_SUITE_GET)) < 0)
		return error;
	if ((error = hist__store_bind_text(db, s, 1, name, strlen(name))) < 0)
		goto done;
	if ((error = row = hist__store_step_row(db, s)) < 0)
		return error;
	if (row) {
		*out = sqlite3_column_int64(s, 0);
		error = HIST_OK;
		goto done;
	}
	hist__store_reset(s);
	if ((error = hist__store_stmt(&s, db, S_SUITE_ADD)) < 0)
		return error;
	if ((error = hist__store_bind_text(db, s, 1, name, strlen(name))) < 0)
		goto done;
	if ((error = hist__store_step_done(db, s)) < 0)
		return error;
	*out = sqlite3_last_insert_rowid(db->sql);
done:
	hist__store_reset(s);
	return error;
}

int hist__store_run(int64_t *out, hist_db *db, const char *suite, const char *ext_id, int64_t start_us)
{
	sqlite3_stmt *s = NULL;
	int64_t suite_id, stored_start;
	int error, row;

	if ((error = intern_suite(&suite_id, db, suite)) < 0 || (error = hist__store_stmt(&s, db, S_RUN_GET)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite_id);
	if ((error = hist__store_bind_text(db, s, 2, ext_id, strlen(ext_id))) < 0) {
		hist__store_reset(s);
		return error;
	}
	if ((row = hist__store_step_row(db, s)) < 0)
		return row;
	if (row) {
		*out = sqlite3_column_int64(s, 0);
		stored_start = sqlite3_column_int64(s, 1);
		hist__store_reset(s);
		if (stored_start <= start_us)
			return HIST_OK;
		if ((error = hist__store_stmt(&s, db, S_RUN_LOWER)) < 0)
			return error;
		sqlite3_bind_int64(s, 1, *out);
		sqlite3_bind_int64(s, 2, start_us);
		return hist__store_step_done(db, s);
	}
	hist__store_reset(s);
	if ((error = hist__store_stmt(&s, db, S_RUN_ADD)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite_id);
	sqlite3_bind_int64(s, 3, start_us);
	if ((error = hist__store_bind_text(db, s, 2, ext_id, strlen(ext_id))) < 0) {
		hist__store_reset(s);
		return error;
	}
	if ((error = hist__store_step_done(db, s)) < 0)
		return error;
	*out = sqlite3_last_insert_rowid(db->sql);
	return HIST_OK;
}

int hist__store_input_seen(int *seen, int64_t *tests, hist_db *db, const unsigned char hash[16])
{
	sqlite3_stmt *s = NULL;
	int error, row;

	*seen = 0;
	*tests = 0;
	if ((error = hist__store_stmt(&s, db, S_INPUT_SEEN)) < 0)
		return error;
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	if ((row = hist__store_step_row(db, s)) < 0)
		return row;
	if (row)
		*tests = sqlite3_column_int64(s, 0);
	hist__store_reset(s);
	*seen = row;
	return HIST_OK;
}

int hist__store_any_input(int *out, hist_db *db)
{
	int64_t v = 0;
	int error = hist__store_query_int(&v, db, "SELECT EXISTS (SELECT 1 FROM inputs)");

	*out = v != 0;
	return error;
}

int hist__store_input_add(hist_db *db, const unsigned char hash[16], const unsigned char *raw_hash, int64_t run,
	const hist__session *ses, int64_t tests, int64_t test_us)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = hist__store_stmt(&s, db, S_INPUT_ADD)) < 0)
		return error;
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, run);
	hist__store_bind_known(s, 3, ses->wall_us);
	hist__store_bind_known(s, 4, ses->collect_us);
	hist__store_bind_known(s, 5, ses->workers > 0 ? ses->workers : -1);
	if (ses->plan_id && (error = hist__store_bind_text(db, s, 6, ses->plan_id, strlen(ses->plan_id))) < 0) {
		hist__store_reset(s);
		return error;
	}
	if (ses->shard_index > 0 && ses->shard_total > 0) {
		sqlite3_bind_int(s, 7, ses->shard_index);
		sqlite3_bind_int(s, 8, ses->shard_total);
	}
	sqlite3_bind_int64(s, 9, tests);
	sqlite3_bind_int64(s, 10, test_us);
	hist__store_bind_known(s, 12, ses->startup_us);
	/* Kept only where it says something the content hash does not. */
	if (raw_hash && memcmp(raw_hash, hash, 16) != 0)
		sqlite3_bind_blob(s, 11, raw_hash, 16, SQLITE_STATIC);
	return hist__store_step_done(db, s);
}

/* ---- reading ------------------------------------------------------ */

/* Readers see one snapshot across their queries, even while another
 * process commits (WAL readers never block writers). */
int hist__store_read_begin(int *began, hist_db *db)
{
	*began = 0;
	if (!sqlite3_get_autocommit(db->sql))
		return HIST_OK;
	*began = 1;
	return hist__store_exec(db, "BEGIN");
}

void hist__store_read_end(hist_db *db, int began)
{
	if (began && !sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
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
			error = hist__store_fail(db, rc);
		sqlite3_finalize(s);
	}
	return error;
}
