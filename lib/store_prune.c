/* store_prune.c - keeping the history bounded.
 * Owns: choosing the runs to remove (newest N per suite, older than a
 * time), dropping tests no recent run has, forgetting the test ids left
 * without results and the plans no run left ran, and VACUUM. One transaction for all of it.
 * Not here: the schema and the writers (store.c), the options' meaning on
 * the command line (tools/histprune.c). */
#include "store.h"

#include <string.h>

#include "store_db.h"

/* Scratch tables of this connection, emptied before each use. */
static const char setup_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS prune_runs(id INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE IF NOT EXISTS prune_recent(run_id INTEGER PRIMARY KEY, suite_id INTEGER NOT NULL);"
	"CREATE TEMP TABLE IF NOT EXISTS prune_seen(suite_id INTEGER, test_id INTEGER,"
	" PRIMARY KEY(suite_id, test_id)) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS prune_drop(test_id INTEGER, suite_id INTEGER, run_id INTEGER,"
	" PRIMARY KEY(test_id, suite_id, run_id)) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS prune_dead(id INTEGER PRIMARY KEY);"
	"DELETE FROM temp.prune_runs; DELETE FROM temp.prune_recent; DELETE FROM temp.prune_seen;"
	"DELETE FROM temp.prune_drop; DELETE FROM temp.prune_dead;";

/* The runs to remove: past the newest ?2 of their suite (?2 > 0), or
 * started before ?3. "Newest" is by start, then run id, as everywhere. */
static const char pick_runs_sql[] =
	"INSERT INTO temp.prune_runs(id) SELECT id FROM (SELECT r.id, r.started_us,"
	" row_number() OVER (PARTITION BY r.suite_id ORDER BY r.started_us DESC, r.ext_id DESC) AS newer"
	" FROM runs r JOIN suites s ON s.id = r.suite_id WHERE ?1 IS NULL OR s.name = ?1)"
	" WHERE (?2 > 0 AND newer > ?2) OR started_us < ?3";

/* What goes, for the report, in a fixed order. */
static const char report_sql[] = "SELECT s.name, r.ext_id, r.started_us,"
				 " (SELECT count(*) FROM hist_results x WHERE x.run_id = r.id)"
				 " FROM temp.prune_runs p JOIN runs r ON r.id = p.id JOIN suites s ON s.id = r.suite_id"
				 " ORDER BY s.name, r.started_us, r.ext_id";

/* The newest ?2 runs left in each pruned suite, and the tests they have. */
static const char recent_sql[] =
	"INSERT INTO temp.prune_recent(run_id, suite_id) SELECT id, suite_id FROM (SELECT r.id, r.suite_id,"
	" row_number() OVER (PARTITION BY r.suite_id ORDER BY r.started_us DESC, r.ext_id DESC) AS newer"
	" FROM runs r JOIN suites s ON s.id = r.suite_id"
	" WHERE (?1 IS NULL OR s.name = ?1) AND r.id NOT IN (SELECT id FROM temp.prune_runs))"
	" WHERE newer <= ?2";
static const char seen_sql[] = "INSERT OR IGNORE INTO temp.prune_seen(suite_id, test_id)"
			       " SELECT p.suite_id, x.test_id FROM temp.prune_recent p"
			       " CROSS JOIN hist_results x ON x.run_id = p.run_id";
/* The results, in the runs that stay, of tests their suite's recent runs
 * do not have. */
static const char unseen_sql[] =
	"INSERT INTO temp.prune_drop(test_id, suite_id, run_id) SELECT x.test_id, r.suite_id, r.id"
	" FROM runs r JOIN suites s ON s.id = r.suite_id CROSS JOIN hist_results x ON x.run_id = r.id"
	" WHERE (?1 IS NULL OR s.name = ?1) AND r.id NOT IN (SELECT id FROM temp.prune_runs)"
	" AND NOT EXISTS (SELECT 1 FROM temp.prune_seen q WHERE q.suite_id = r.suite_id AND q.test_id = x.test_id)";
static const char unseen_count_sql[] = "SELECT count(*), count(DISTINCT suite_id << 32 | test_id) FROM temp.prune_drop";

/* The runs that lose unseen results, loaded whole into temp.pending
 * (repacked at commit, store_pack.c) where those results are deleted.
 * Deleted runs take their packs along (ON DELETE CASCADE). */
static const char drop_runs_sql[] = "SELECT DISTINCT run_id FROM temp.prune_drop ORDER BY 1";
static const char delete_sql[] =
	"DELETE FROM temp.pending WHERE (run_id, test_id) IN (SELECT run_id, test_id FROM temp.prune_drop)";
static const char delete_inputs_sql[] = "DELETE FROM inputs WHERE run_id IN (SELECT id FROM temp.prune_runs)";
static const char delete_runs_sql[] = "DELETE FROM runs WHERE id IN (SELECT id FROM temp.prune_runs)";

/* Before anything goes: the tests that lose results (in a removed run,
 * or dropped as unseen) and keep none. Every test is looked at, but most
 * stop at once: results is keyed by (run, test), so "a result left" is
 * one probe per run, and CROSS JOIN keeps runs the outer loop (temp
 * tables have no statistics; SQLite otherwise scanned every result once
 * per test: 550 s for 100,000 tests x 50 runs). A test that had no
 * result before is not ours to remove. */
static const char dead_sql[] =
	"INSERT INTO temp.prune_dead(id) SELECT t.id FROM tests t WHERE NOT EXISTS"
	" (SELECT 1 FROM runs r CROSS JOIN hist_results x ON x.run_id = r.id AND x.test_id = t.id"
	" WHERE r.id NOT IN (SELECT id FROM temp.prune_runs) AND NOT EXISTS (SELECT 1 FROM temp.prune_drop d"
	" WHERE d.test_id = t.id AND d.suite_id = r.suite_id AND d.run_id = r.id))"
	" AND (EXISTS (SELECT 1 FROM temp.prune_runs p CROSS JOIN hist_results x ON x.run_id = p.id AND x.test_id = t.id)"
	" OR EXISTS (SELECT 1 FROM temp.prune_drop d WHERE d.test_id = t.id))";
/* The plans (histmerge --plan) of the pruned suites that no run left ran:
 * those some removed run ran, and those no run ran at all that are older
 * than every run left in their suite (or whose suite has none left).
 * Evaluated before the runs and inputs go. Their shards go with them. */
static const char delete_plans_sql[] =
	"DELETE FROM plans AS p WHERE (?1 IS NULL OR p.suite_id IN (SELECT id FROM suites WHERE name = ?1))"
	" AND NOT EXISTS (SELECT 1 FROM runs r JOIN inputs i ON i.run_id = r.id WHERE r.suite_id = p.suite_id"
	" AND i.plan_id = p.id AND r.id NOT IN (SELECT id FROM temp.prune_runs))"
	" AND (EXISTS (SELECT 1 FROM runs r JOIN inputs i ON i.run_id = r.id WHERE r.suite_id = p.suite_id"
	" AND i.plan_id = p.id)"
	" OR p.stored_us < coalesce((SELECT min(r.started_us) FROM runs r WHERE r.suite_id = p.suite_id"
	" AND r.id NOT IN (SELECT id FROM temp.prune_runs)), 9223372036854775807))";
static const char delete_tests_sql[] = "DELETE FROM tests WHERE id IN (SELECT id FROM temp.prune_dead)";

static const char kept_sql[] = "SELECT count(*) FROM runs r JOIN suites s ON s.id = r.suite_id"
			       " WHERE ?1 IS NULL OR s.name = ?1";

/* One statement with the prune's parameters bound where it names them:
 * ?1 suite, ?2 a run count, ?3 a start time. Steps it to the end; the
 * first row's integer columns go to cols (up to ncols). */
static int run(hist_db *db, const char *sql, const hist_prune_options *o, unsigned int count, int64_t *cols,
	int ncols)
{
	sqlite3_stmt *s = NULL;
	int rc, first = 1;

	if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL)) != SQLITE_OK)
		return hist__store_fail(db, rc);
	for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
		const char *name = sqlite3_bind_parameter_name(s, i);
		if (!name)
			continue;
		if (strcmp(name, "?1") == 0 && o->suite)
			rc = sqlite3_bind_text(s, i, o->suite, -1, SQLITE_STATIC);
		else if (strcmp(name, "?2") == 0)
			rc = sqlite3_bind_int64(s, i, count);
		else if (strcmp(name, "?3") == 0)
			rc = sqlite3_bind_int64(s, i, o->before_us);
		if (rc != SQLITE_OK)
			break;
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; first && c < ncols; c++)
			cols[c] = sqlite3_column_int64(s, c);
		first = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

/* Tells the caller each run that goes, and counts them. */
static int report(hist_prune_stats *out, hist_db *db, const hist_prune_options *o)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db->sql, report_sql, -1, &s, NULL)) != SQLITE_OK)
		return hist__store_fail(db, rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hist_pruned_run r;

		r.suite = (const char *)sqlite3_column_text(s, 0);
		r.run_id = (const char *)sqlite3_column_text(s, 1);
		r.started_us = sqlite3_column_int64(s, 2);
		r.results = sqlite3_column_int64(s, 3);
		if (!r.suite || !r.run_id) {
			rc = SQLITE_NOMEM;
			break;
		}
		out->runs++;
		out->results += r.results;
		if (o->removed_run)
			o->removed_run(&r, o->payload);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? HIST_OK : hist__store_fail(db, rc);
}

static int prune(hist_prune_stats *out, hist_db *db, const hist_prune_options *o)
{
	int64_t n[2] = { 0, 0 };
	sqlite3 *sq = db->sql;
	int error;

	if ((error = hist__store_exec(db, setup_sql)) < 0 || (error = run(db, pick_runs_sql, o, o->keep_runs, NULL, 0)) < 0 ||
		(error = report(out, db, o)) < 0)
		return error;
	if (o->drop_unseen > 0) {
		if ((error = run(db, recent_sql, o, o->drop_unseen, NULL, 0)) < 0 ||
			(error = run(db, seen_sql, o, 0, NULL, 0)) < 0 || (error = run(db, unseen_sql, o, 0, NULL, 0)) < 0 ||
			(error = run(db, unseen_count_sql, o, 0, n, 2)) < 0)
			return error;
		out->unseen_results = n[0];
		out->unseen_tests = n[1];
		out->results += n[0];
	}
	if ((error = run(db, delete_plans_sql, o, 0, NULL, 0)) < 0)
		return error;
	out->plans = sqlite3_changes64(sq);
	if ((error = run(db, dead_sql, o, 0, NULL, 0)) < 0 || (error = hist__store_pack_load_runs(db, drop_runs_sql)) < 0 ||
		(error = hist__store_exec(db, delete_sql)) < 0 ||
		(error = hist__store_exec(db, delete_inputs_sql)) < 0)
		return error;
	out->inputs = sqlite3_changes64(sq);
	if ((error = hist__store_exec(db, delete_runs_sql)) < 0 || (error = hist__store_exec(db, delete_tests_sql)) < 0)
		return error;
	out->tests = sqlite3_changes64(sq);
	return run(db, kept_sql, o, 0, &out->runs_kept, 1);
}

int hist_db_prune(hist_prune_stats *out, hist_db *db, const hist_prune_options *opts)
{
	int error;

	memset(out, 0, sizeof *out);
	if (!db || !opts)
		return db ? hist__error(hist__db_err(db), HIST_E_INVALID, "no prune options") : HIST_E_INVALID;
	if (opts->version == 0 || opts->version > HIST_PRUNE_OPTIONS_VERSION)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "hist_prune_options version %u is not supported",
			opts->version);
	if (opts->keep_runs == 0 && opts->before_us == INT64_MIN && opts->drop_unseen == 0)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "nothing to prune: no limit given");
	if ((error = hist__store_begin(db)) < 0)
		return error;
	if ((error = prune(out, db, opts)) < 0 || opts->dry_run || (error = hist__store_commit(db)) < 0) {
		hist__store_rollback(db);
		if (error < 0)
			memset(out, 0, sizeof *out);
	}
	return error;
}

int hist_db_vacuum(hist_db *db)
{
	return db ? hist__store_exec(db, "VACUUM") : HIST_E_INVALID;
}
