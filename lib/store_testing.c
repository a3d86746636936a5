/* store_testing.c - the store's hooks for tests; built only into the test
 * objects (HIST_TESTING), never into libhist.a or libhist.so.
 * Owns: an extra migration step (a "later build"), routing SQLite's
 * allocations through alloc.c for fault injection, and a dump of a whole
 * history by names.
 * Not here: anything the shipped library calls. */
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "store_db.h"

const char *hist__store_test_sql;
int hist__store_test_replay;

void hist__store_test_no_packs(hist_db *db, int on)
{
	db->no_packs = on;
}

void hist__store_test_one_thread(hist_db *db, int on)
{
	db->one_thread = on;
}

void hist__store_test_no_direct(hist_db *db, int on)
{
	db->no_direct = on;
}

void hist__store_test_replay_steps(int on)
{
	hist__store_test_replay = on;
}

void hist__store_test_migration(const char *sql)
{
	hist__store_test_sql = sql;
}

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
		" x.attempts FROM hist_results x JOIN runs r ON r.id = x.run_id JOIN suites s ON s.id = r.suite_id"
		" JOIN t ON t.id = x.test_id ORDER BY 2, 3, 4, 5",
		"SELECT 'input', hex(i.hash), s.name, r.ext_id, i.wall_us, i.collect_us, i.workers, i.plan_id,"
		" i.shard_index, i.shard_total, i.tests, i.test_us, i.startup_us FROM inputs i JOIN runs r ON r.id = i.run_id"
		" JOIN suites s ON s.id = r.suite_id ORDER BY 2",
		"SELECT 'plan', s.name, p.id, p.stored_us, p.shard_total FROM plans p JOIN suites s ON s.id = p.suite_id"
		" ORDER BY 2, 3",
		"SELECT 'plan_shard', s.name, p.plan_id, p.shard, p.tests, p.predicted_us FROM plan_shards p"
		" JOIN suites s ON s.id = p.suite_id ORDER BY 2, 3, 4",
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
			error = hist__store_fail(db, rc);
		sqlite3_finalize(s);
	}
	return error;
}
