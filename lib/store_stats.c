/* store_stats.c - what histstats reads beside the window.
 * Owns: the suites that have runs, and one test's results in every run.
 * Not here: ranking tests (stats.c), the window read (store_window.c). */
#include "store.h"

#include <string.h>

#include "store_db.h"

int hist__store_suites(hist_db *db, const char *suite, int (*fn)(void *payload, const char *name), void *payload)
{
	static const char sql[] = "SELECT s.name FROM suites s WHERE (?1 IS NULL OR s.name = ?1)"
				  " AND EXISTS (SELECT 1 FROM runs r WHERE r.suite_id = s.id) ORDER BY s.name";
	sqlite3_stmt *s = NULL;
	int rc, error = HIST_OK;

	if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL)) != SQLITE_OK)
		return hist__store_fail(db, rc);
	if (suite)
		sqlite3_bind_text(s, 1, suite, -1, SQLITE_STATIC);
	while (error == HIST_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		error = name ? fn(payload, name) : hist__store_nomem(db);
	}
	if (error == HIST_OK && rc != SQLITE_DONE)
		error = hist__store_fail(db, rc);
	sqlite3_finalize(s);
	return error;
}

int hist_db_test_history(hist_db *db, const char *suite, const char *nodeid,
	int (*fn)(const hist_test_result *r, void *payload), void *payload)
{
	/* CROSS JOIN keeps runs the outer loop: hist_results reads one pack
	 * for a (run, test), so each run is one probe instead of a scan of
	 * every result. */
	static const char sql[] =
		"SELECT s.name, r.ext_id, r.started_us, x.outcome, coalesce(x.duration_us, -1),"
		" coalesce(x.setup_us, -1), x.attempts FROM tests t CROSS JOIN runs r CROSS JOIN hist_results x"
		" JOIN suites s ON s.id = r.suite_id WHERE t.name = ?2 AND x.run_id = r.id AND x.test_id = t.id"
		" AND (?1 IS NULL OR s.name = ?1) ORDER BY s.name, r.started_us, r.ext_id, t.is_key";
	sqlite3_stmt *s = NULL;
	int rc, error = HIST_OK, began;

	if (!db || !nodeid || !fn)
		return db ? hist__error(&db->err, HIST_E_INVALID, "no test named") : HIST_E_INVALID;
	if ((error = hist__store_read_begin(&began, db)) < 0)
		return error;
	if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL)) != SQLITE_OK) {
		error = hist__store_fail(db, rc);
		goto done;
	}
	if (suite)
		sqlite3_bind_text(s, 1, suite, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, nodeid, -1, SQLITE_STATIC);
	while (error == HIST_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		hist_test_result r;
		r.suite = (const char *)sqlite3_column_text(s, 0);
		r.run_id = (const char *)sqlite3_column_text(s, 1);
		r.started_us = sqlite3_column_int64(s, 2);
		r.outcome = (hist_outcome)sqlite3_column_int(s, 3);
		r.duration_us = sqlite3_column_int64(s, 4);
		r.setup_us = sqlite3_column_int64(s, 5);
		r.attempts = (unsigned int)sqlite3_column_int64(s, 6);
		error = r.suite && r.run_id ? fn(&r, payload) : hist__store_nomem(db);
	}
	if (error == HIST_OK && rc != SQLITE_DONE)
		error = hist__store_fail(db, rc);
done:
	sqlite3_finalize(s);
	hist__store_read_end(db, began);
	return error;
}

int hist__store_snapshot_begin(int *began, hist_db *db)
{
	return hist__store_read_begin(began, db);
}

void hist__store_snapshot_end(hist_db *db, int began)
{
	hist__store_read_end(db, began);
}
