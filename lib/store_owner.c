/* store_owner.c - which run an input's content counts in.
 * Owns: the rule that makes merging order-free when the same content
 * reaches the history under two runs (a file given twice with different
 * run ids, a report inside two histories): the content counts once, in
 * the run that sorts first by (suite, run id) in byte order. A run that
 * loses an input loses it whole, with all its results; where that cannot
 * be exact (the run holds other inputs too, and results carry no record
 * of the input they came from) the input is refused with the reason.
 * Not here: the statements that copy a source (store.c, store_merge.c). */
#include "store.h"

#include <string.h>

#include "store_db.h"

/* The run holding a content hash (or a raw file hash), its name, and how
 * many inputs it holds. */
static const char holder_sql[] =
	"SELECT i.tests, s.name, r.ext_id, (SELECT count(*) FROM inputs j WHERE j.run_id = r.id), r.id"
	" FROM inputs i JOIN runs r ON r.id = i.run_id JOIN suites s ON s.id = r.suite_id WHERE i.hash = ?1"
	" UNION ALL SELECT i.tests, s.name, r.ext_id, (SELECT count(*) FROM inputs j WHERE j.run_id = r.id), r.id"
	" FROM inputs i JOIN runs r ON r.id = i.run_id JOIN suites s ON s.id = r.suite_id WHERE i.raw_hash = ?1"
	" LIMIT 1";

/* (suite, run id) order: strcmp is memcmp up to the NUL, SQLite's BINARY. */
static int run_cmp(const char *suite_a, const char *run_a, const char *suite_b, const char *run_b)
{
	int c = strcmp(suite_a, suite_b);

	return c ? c : strcmp(run_a, run_b);
}

static int drop_run(hist_db *db, int64_t run)
{
	/* Its packs go with it (ON DELETE CASCADE). */
	static const char *const sql[] = { "DELETE FROM temp.pending WHERE run_id = ?1",
		"DELETE FROM inputs WHERE run_id = ?1", "DELETE FROM runs WHERE id = ?1" };
	int rc = SQLITE_OK;

	for (size_t i = 0; i < sizeof sql / sizeof sql[0] && rc == SQLITE_OK; i++) {
		sqlite3_stmt *s = NULL;
		if ((rc = sqlite3_prepare_v2(db->sql, sql[i], -1, &s, NULL)) == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, run);
			rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db->sql);
		}
		sqlite3_finalize(s);
	}
	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

int hist__store_input_owner(int *state, int64_t *tests, hist_db *db, const unsigned char hash[16], const char *suite,
	const char *run_ext, const char *name, int take)
{
	sqlite3_stmt *s = NULL;
	int rc, error = HIST_OK;

	*state = HIST__INPUT_NEW;
	*tests = 0;
	if ((rc = sqlite3_prepare_v2(db->sql, holder_sql, -1, &s, NULL)) != SQLITE_OK)
		return hist__store_fail(db, rc);
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *held_suite = (const char *)sqlite3_column_text(s, 1);
		const char *held_run = (const char *)sqlite3_column_text(s, 2);
		int64_t inputs = sqlite3_column_int64(s, 3), run = sqlite3_column_int64(s, 4);

		*tests = sqlite3_column_int64(s, 0);
		if (!held_suite || !held_run)
			error = hist__store_nomem(db);
		else if (run_cmp(held_suite, held_run, suite, run_ext) <= 0)
			*state = HIST__INPUT_HELD;
		else if (inputs > 1)
			error = hist__error(&db->err, HIST_E_INVALID,
				"%s: already stored in run %s of suite %s with %lld other inputs; it cannot count in run %s"
				" instead (the content of an input counts in the run first by suite and run id, and a run"
				" gives up its inputs only all together)",
				name, held_run, held_suite, (long long)(inputs - 1), run_ext);
		else {
			*state = HIST__INPUT_TAKE;
			if (take)
				error = drop_run(db, run);
		}
	} else if (rc != SQLITE_DONE) {
		error = hist__store_fail(db, rc);
	}
	sqlite3_finalize(s);
	return error;
}

/* Source inputs that this history holds under another run, and which side
 * gives them up: 1 the source's run, 2 this history's. */
static const char claims_sql[] =
	"INSERT INTO temp.merge_claims(hash, src_run, main_run, loser)"
	" SELECT i.hash, r.id, mr.id, CASE WHEN (ms.name, mr.ext_id) < (s.name, r.ext_id) THEN 1 ELSE 2 END"
	" FROM src.inputs i JOIN src.runs r ON r.id = i.run_id JOIN src.suites s ON s.id = r.suite_id"
	" JOIN main.inputs mi ON mi.hash = i.hash JOIN main.runs mr ON mr.id = mi.run_id"
	" JOIN main.suites ms ON ms.id = mr.suite_id WHERE (ms.name, mr.ext_id) <> (s.name, r.ext_id)";

/* A run that would give up some of its inputs but keep others. */
static const char partial_src_sql[] =
	"SELECT s.name, r.ext_id, c.n, (SELECT count(*) FROM src.inputs j WHERE j.run_id = r.id) AS total"
	" FROM (SELECT src_run, count(*) AS n FROM temp.merge_claims WHERE loser = 1 GROUP BY src_run) c"
	" JOIN src.runs r ON r.id = c.src_run JOIN src.suites s ON s.id = r.suite_id WHERE c.n < total"
	" ORDER BY 1, 2 LIMIT 1";
static const char partial_main_sql[] =
	"SELECT s.name, r.ext_id, c.n, (SELECT count(*) FROM main.inputs j WHERE j.run_id = r.id) AS total"
	" FROM (SELECT main_run, count(*) AS n FROM temp.merge_claims WHERE loser = 2 GROUP BY main_run) c"
	" JOIN main.runs r ON r.id = c.main_run JOIN main.suites s ON s.id = r.suite_id WHERE c.n < total"
	" ORDER BY 1, 2 LIMIT 1";

static const char skip_sql[] = "INSERT OR IGNORE INTO temp.merge_skip(src_run)"
			       " SELECT src_run FROM temp.merge_claims WHERE loser = 1";
static const char drop_main_sql[] =
	"DELETE FROM temp.pending WHERE run_id IN (SELECT main_run FROM temp.merge_claims WHERE loser = 2);"
	"DELETE FROM main.inputs WHERE run_id IN (SELECT main_run FROM temp.merge_claims WHERE loser = 2);"
	"DELETE FROM main.runs WHERE id IN (SELECT main_run FROM temp.merge_claims WHERE loser = 2);";

static int partial(hist_db *db, const char *sql, const char *path, const char *where)
{
	sqlite3_stmt *s = NULL;
	int rc, error = HIST_OK;

	if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL)) != SQLITE_OK)
		return hist__store_fail(db, rc);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *suite = (const char *)sqlite3_column_text(s, 0), *run = (const char *)sqlite3_column_text(s, 1);
		error = hist__error(&db->err, HIST_E_INVALID,
			"%s: run %s of suite %s (%s) shares %lld of its %lld inputs with runs that sort before it by suite"
			" and run id; the shared content would count in both, and the rest cannot be told apart from it",
			path, run ? run : "?", suite ? suite : "?", where, (long long)sqlite3_column_int64(s, 2),
			(long long)sqlite3_column_int64(s, 3));
	} else if (rc != SQLITE_DONE) {
		error = hist__store_fail(db, rc);
	}
	sqlite3_finalize(s);
	return error;
}

int hist__store_merge_claims(hist_db *db, const char *path)
{
	int error;

	if ((error = hist__store_exec(db, "CREATE TEMP TABLE IF NOT EXISTS merge_claims(hash BLOB PRIMARY KEY,"
					  " src_run INTEGER NOT NULL, main_run INTEGER NOT NULL, loser INTEGER NOT NULL);"
					  "CREATE TEMP TABLE IF NOT EXISTS merge_skip(src_run INTEGER PRIMARY KEY);"
					  "DELETE FROM temp.merge_claims; DELETE FROM temp.merge_skip;")) < 0 ||
		(error = hist__store_exec(db, claims_sql)) < 0 ||
		(error = partial(db, partial_src_sql, path, "in the history merged")) < 0 ||
		(error = partial(db, partial_main_sql, path, "in this history")) < 0 ||
		(error = hist__store_exec(db, skip_sql)) < 0)
		return error;
	return hist__store_exec(db, drop_main_sql);
}
