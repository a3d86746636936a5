/* store_merge.c - merging another history into this one.
 * Owns: ATTACHing the source, checking it is a history this build reads,
 * and copying its suites, runs, tests, results, inputs and plans in one
 * transaction under the same conflict rule as ingest.
 * Not here: the statements' text (store.c). */
#include "store.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "store_db.h"

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Checks the attached source is a history this build can read as is:
 * the merge statements read versions 1 (inputs without raw_hash; its
 * rowid tests have the same columns) to 5 (results), 6 and later
 * (packs), and 7 and later (inputs with startup_us). */
static int check_source(int64_t *version, hist_db *db, const char *name)
{
	sqlite3_stmt *s = NULL;
	int64_t app, tables, odd;
	int error, row;

	if ((error = hist__store_stmt_int(version, db, S_SRC_VERSION)) < 0 || (error = hist__store_stmt_int(&app, db, S_SRC_APP)) < 0 ||
		(error = hist__store_stmt_int(&tables, db, S_SRC_TABLES)) < 0)
		return error;
	if (*version == 0 || app != APP_ID)
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (%s)", name,
			tables ? "a SQLite database of another program" : "empty database");
	if (*version > hist_db_schema_version())
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: history has schema version %lld; this build merges up to %d (upgrade hist)", name,
			(long long)*version, hist_db_schema_version());
	if ((error = hist__store_stmt(&s, db, S_SRC_ODD)) < 0)
		return error;
	sqlite3_bind_int(s, 1, *version >= 6);
	if ((error = row = hist__store_step_row(db, s)) < 0)
		return error;
	odd = row ? sqlite3_column_int64(s, 0) : 0;
	hist__store_reset(s);
	if (odd)
		return hist__error(&db->err, HIST_E_SCHEMA,
			"%s: not a hist history as hist writes it (a view, trigger, virtual table, generated "
			"column or missing table in its schema); refused", name);
	return HIST_OK;
}

/* The source's tests missing here, with ids from the counter on. */
static int merge_tests(hist_db *db)
{
	sqlite3_stmt *s = NULL;
	int64_t next;
	int error;

	if ((error = hist__store_stmt_int(&next, db, S_NEXT_TEST)) < 0 || (error = hist__store_stmt(&s, db, S_MERGE_TESTS)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, next);
	if ((error = hist__store_step_done(db, s)) < 0 || (error = hist__store_stmt(&s, db, S_SET_NEXT_TEST)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, next + sqlite3_changes64(db->sql));
	return hist__store_step_done(db, s);
}

/* The runs here that the source's results go to: loaded whole into
 * temp.pending before the results meet them. */
static const char target_runs_sql[] =
	"SELECT mr.id FROM src.runs r JOIN src.suites s ON s.id = r.suite_id JOIN main.suites ms ON ms.name = s.name"
	" JOIN main.runs mr ON mr.suite_id = ms.id AND mr.ext_id = r.ext_id"
	" WHERE r.id NOT IN (SELECT src_run FROM temp.merge_skip) ORDER BY mr.id";

static int merge_attached(hist_ingest_stats *out, hist_db *db, const char *name)
{
	int64_t version;
	int error, packed;

	if ((error = check_source(&version, db, name)) < 0 || (error = hist__store_merge_claims(db, name)) < 0 ||
		(error = hist__store_run_stmt(db, S_MERGE_SUITES)) < 0 ||
		(error = hist__store_run_stmt(db, S_MERGE_RUNS)) < 0 || (error = merge_tests(db)) < 0)
		return error;
	/* Source test id -> ours, keyed by the source id: built once and
	 * read by the two statements below. (An index on tests(id) would
	 * store every name again.) Created once per connection. */
	if ((error = hist__store_exec(db, "CREATE TEMP TABLE IF NOT EXISTS test_map(src_id INTEGER PRIMARY KEY,"
			      " main_id INTEGER NOT NULL)")) < 0 ||
		(error = hist__store_run_stmt(db, S_MAP_CLEAR)) < 0 || (error = hist__store_run_stmt(db, S_MAP_FILL)) < 0)
		return error;
	packed = version >= 6;
	if ((error = hist__store_pack_load_runs(db, target_runs_sql)) < 0 ||
		(error = hist__store_stmt_int(&out->tests, db, packed ? S_MERGE_COUNT : S_MERGE_COUNT_V5)) < 0 ||
		(error = hist__store_run_stmt(db, packed ? S_MERGE_RESULTS : S_MERGE_RESULTS_V5)) < 0)
		return error;
	out->added = sqlite3_changes64(db->sql);
	out->duplicates = out->tests - out->added;
	if ((error = hist__store_run_stmt(db, packed ? S_MERGE_RAISE : S_MERGE_RAISE_V5)) < 0 ||
		(error = hist__store_run_stmt(db, S_MAP_CLEAR)) < 0)
		return error;
	if ((error = hist__store_run_stmt(db, version < 2   ? S_MERGE_INPUTS_V1
	                                      : version < 7 ? S_MERGE_INPUTS_V6
	                                                    : S_MERGE_INPUTS)) < 0)
		return error;
	return hist__store_merge_plans(db, version, name);
}

/* The history was opened and checked before; a damaged page or a file
 * that is no database found while merging is the source's, though
 * hist__store_fail names the history. rc: SQLite's code at the failure. */
static int blame_source(hist_db *db, int error, int rc, const char *name)
{
	if ((rc & 0xff) == SQLITE_NOTADB)
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: not a hist history (not a SQLite database)", name);
	/* hist_results' own words (which run's packs are damaged), said by
	 * hist__store_fail as "PATH: words" of the history. */
	if (rc == SQLITE_CORRUPT_VTAB) {
		const char *m = hist__err_msg(&db->err);
		size_t n = strlen(db->path);
		char *words = hist__strdup(strncmp(m, db->path, n) == 0 && strncmp(m + n, ": ", 2) == 0 ? m + n + 2 : m);

		error = words ? hist__error(&db->err, HIST_E_DB, "%s: %s", name, words) : hist__store_nomem(db);
		hist__free(words);
		return error;
	}
	if ((rc & 0xff) == SQLITE_CORRUPT)
		return hist__error(&db->err, HIST_E_DB, "%s: %s", name, sqlite3_errstr(rc));
	return error;
}

int hist__store_merge(hist_ingest_stats *out, hist_db *db, const char *path, const char *name)
{
	sqlite3_stmt *s = NULL;
	int error, detach, rc = SQLITE_OK, attached = 0;

	memset(out, 0, sizeof *out);
	out->format = HIST_FORMAT_DATABASE;
	if (same_file(path, sqlite3_db_filename(db->sql, "main")))
		return hist__error(&db->err, HIST_E_INVALID, "%s: is the history database itself", name);
	/* ATTACH cannot run inside a transaction, so it comes first. */
	if ((error = hist__store_stmt(&s, db, S_ATTACH)) < 0 || (error = hist__store_bind_text(db, s, 1, path, strlen(path))) < 0 ||
		(error = hist__store_step_done(db, s)) < 0) {
		rc = sqlite3_extended_errcode(db->sql);
		goto done;
	}
	attached = 1;
	if ((error = hist__store_begin(db)) < 0)
		goto done;
	if ((error = merge_attached(out, db, name)) < 0 || (error = hist__store_commit(db)) < 0) {
		rc = sqlite3_extended_errcode(db->sql);
		hist__store_rollback(db);
	}
done:
	if (error < 0)
		error = blame_source(db, error, rc, name);
	if (attached && (detach = hist__store_run_stmt(db, S_DETACH)) < 0 && error == HIST_OK)
		error = detach;
	if (error < 0) {
		memset(out, 0, sizeof *out);
		out->format = HIST_FORMAT_DATABASE;
	}
	return error;
}
