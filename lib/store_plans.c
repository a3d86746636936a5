/* store_plans.c - the plans runs were checked against.
 * Owns: storing a plan's per-shard predictions (histmerge --plan), the rule
 * that picks one version of a plan stored twice, carrying plans over in a
 * merge, and reading each plan beside the runs that ran it (histstats
 * --plans): predicted per shard against the wall time its report gave.
 * Not here: reading plan.json (plancheck.c), the schema (store.c), pruning
 * (store_prune.c). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "store_db.h"

/* Same bound as histplan's. */
#define MAX_SHARDS 1024

/* A plan read back or offered: its shards in order. */
typedef struct {
	int64_t stored_us;
	unsigned int shards;
	int64_t *predicted_us;
	int64_t *tests;
} plan_rows;

static void rows_free(plan_rows *r)
{
	hist__free(r->predicted_us);
	hist__free(r->tests);
	memset(r, 0, sizeof *r);
}

static int rows_alloc(hist_db *db, plan_rows *r, unsigned int shards)
{
	r->shards = shards;
	r->predicted_us = hist__calloc(shards, sizeof *r->predicted_us);
	r->tests = hist__calloc(shards, sizeof *r->tests);
	return r->predicted_us && r->tests ? HIST_OK : hist__store_nomem(db);
}

/* The total order that picks one version of a plan: negative when a comes
 * first. Every add and merge keeps the first, so the result does not
 * depend on the order they come in. */
static int rows_cmp(const plan_rows *a, const plan_rows *b)
{
	if (a->stored_us != b->stored_us)
		return a->stored_us < b->stored_us ? -1 : 1;
	if (a->shards != b->shards)
		return a->shards < b->shards ? -1 : 1;
	for (unsigned int k = 0; k < a->shards; k++) {
		if (a->predicted_us[k] != b->predicted_us[k])
			return a->predicted_us[k] < b->predicted_us[k] ? -1 : 1;
		if (a->tests[k] != b->tests[k])
			return a->tests[k] < b->tests[k] ? -1 : 1;
	}
	return 0;
}

static int is_plan_id(const char *id)
{
	if (!id || strlen(id) != 16)
		return 0;
	for (int i = 0; i < 16; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

/* Steps a one-off statement to its end. */
static int exec_bound(hist_db *db, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_DONE || rc == SQLITE_ROW ? HIST_OK : hist__store_fail(db, rc);
}

static int prepare(sqlite3_stmt **s, hist_db *db, const char *sql)
{
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, s, NULL);

	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}

/* The suite's id, created when missing. */
static int suite_id(int64_t *out, hist_db *db, const char *name)
{
	sqlite3_stmt *s = NULL;
	int error, rc;

	if ((error = prepare(&s, db, "INSERT INTO suites(name) VALUES (?1) ON CONFLICT(name) DO NOTHING")) < 0)
		return error;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	error = exec_bound(db, s);
	sqlite3_finalize(s);
	s = NULL;
	if (error < 0 || (error = prepare(&s, db, "SELECT id FROM suites WHERE name = ?1")) < 0)
		return error;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		error = hist__store_fail(db, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc);
	sqlite3_finalize(s);
	return error;
}

/* The version of plan (suite_id, id) stored in schema `schema` ("main" or
 * "src"): *found 0 when none. A plan whose shard rows are not 1..N is
 * HIST_E_DB naming `where`. */
static int read_plan(int *found, plan_rows *out, hist_db *db, const char *schema, int64_t suite, const char *id,
	const char *where)
{
	char sql[256];
	sqlite3_stmt *s = NULL;
	unsigned int k = 0;
	int rc, error = HIST_OK;

	*found = 0;
	memset(out, 0, sizeof *out);
	snprintf(sql, sizeof sql, "SELECT stored_us, shard_total FROM %s.plans WHERE suite_id = ?1 AND id = ?2", schema);
	if ((error = prepare(&s, db, sql)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t total = sqlite3_column_int64(s, 1);
		out->stored_us = sqlite3_column_int64(s, 0);
		if (total < 1 || total > MAX_SHARDS)
			error = hist__error(&db->err, HIST_E_DB, "%s: plan %s has %lld shards", where, id, (long long)total);
		else if ((error = rows_alloc(db, out, (unsigned int)total)) == HIST_OK)
			*found = 1;
	} else if (rc != SQLITE_DONE) {
		error = hist__store_fail(db, rc);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (!*found || error < 0)
		goto done;
	snprintf(sql, sizeof sql,
		"SELECT shard, tests, predicted_us FROM %s.plan_shards WHERE suite_id = ?1 AND plan_id = ?2 ORDER BY shard",
		schema);
	if ((error = prepare(&s, db, sql)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, suite);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k >= out->shards || sqlite3_column_int64(s, 0) != (int64_t)k + 1)
			break;
		out->tests[k] = sqlite3_column_int64(s, 1);
		out->predicted_us[k] = sqlite3_column_int64(s, 2);
		k++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		error = hist__store_fail(db, rc);
	else if (rc == SQLITE_ROW || k != out->shards)
		error = hist__error(&db->err, HIST_E_DB,
			"%s: plan %s has %u shards but its shard rows are not 1 to %u; refused", where, id,
			out->shards, out->shards);
done:
	sqlite3_finalize(s);
	if (error < 0)
		rows_free(out);
	return error;
}

/* Writes plan p over whatever main holds for (suite, id). */
static int write_plan(hist_db *db, int64_t suite, const char *id, const plan_rows *p)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = prepare(&s, db, "DELETE FROM plans WHERE suite_id = ?1 AND id = ?2")) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	error = exec_bound(db, s);
	sqlite3_finalize(s);
	s = NULL;
	if (error < 0 || (error = prepare(&s, db, "INSERT INTO plans(suite_id, id, stored_us, shard_total)"
						  " VALUES (?1, ?2, ?3, ?4)")) < 0)
		return error;
	sqlite3_bind_int64(s, 1, suite);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, p->stored_us);
	sqlite3_bind_int64(s, 4, p->shards);
	error = exec_bound(db, s);
	sqlite3_finalize(s);
	s = NULL;
	if (error < 0 || (error = prepare(&s, db, "INSERT INTO plan_shards(suite_id, plan_id, shard, tests,"
						  " predicted_us) VALUES (?1, ?2, ?3, ?4, ?5)")) < 0)
		return error;
	for (unsigned int k = 0; k < p->shards && error == HIST_OK; k++) {
		sqlite3_bind_int64(s, 1, suite);
		sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)k + 1);
		sqlite3_bind_int64(s, 4, p->tests[k]);
		sqlite3_bind_int64(s, 5, p->predicted_us[k]);
		error = exec_bound(db, s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return error;
}

/* Keeps whichever of p and the stored version comes first. */
static int offer(hist_db *db, int64_t suite, const char *id, const plan_rows *p, const char *where)
{
	plan_rows held;
	int found, error;

	if ((error = read_plan(&found, &held, db, "main", suite, id, where)) < 0)
		return error;
	if (!found || rows_cmp(p, &held) < 0)
		error = write_plan(db, suite, id, p);
	rows_free(&held);
	return error;
}

int hist_db_plan_add(hist_db *db, const hist_plan_record *plan)
{
	plan_rows p;
	int64_t suite = 0;
	int error;

	if (!db || !plan)
		return db ? hist__error(&db->err, HIST_E_INVALID, "no plan") : HIST_E_INVALID;
	if (!is_plan_id(plan->plan_id))
		return hist__error(&db->err, HIST_E_INVALID, "plan id %s is not 16 hex digits",
			plan->plan_id ? plan->plan_id : "(none)");
	if (!plan->suite || !*plan->suite || plan->shards < 1 || plan->shards > MAX_SHARDS || !plan->predicted_us ||
		!plan->tests)
		return hist__error(&db->err, HIST_E_INVALID, "plan %s: no suite, or not 1 to %d shards", plan->plan_id,
			MAX_SHARDS);
	for (unsigned int k = 0; k < plan->shards; k++)
		if (plan->predicted_us[k] < 0 || plan->tests[k] > (size_t)INT64_MAX)
			return hist__error(&db->err, HIST_E_INVALID, "plan %s: shard %u: a negative prediction",
				plan->plan_id, k + 1);
	memset(&p, 0, sizeof p);
	if ((error = rows_alloc(db, &p, plan->shards)) < 0)
		goto done;
	p.stored_us = plan->stored_us;
	for (unsigned int k = 0; k < plan->shards; k++) {
		p.predicted_us[k] = plan->predicted_us[k];
		p.tests[k] = (int64_t)plan->tests[k];
	}
	if ((error = hist__store_begin(db)) < 0)
		goto done;
	if ((error = suite_id(&suite, db, plan->suite)) < 0 || (error = offer(db, suite, plan->plan_id, &p, db->path)) < 0 ||
		(error = hist__store_commit(db)) < 0)
		hist__store_rollback(db);
done:
	rows_free(&p);
	return error;
}

int hist__store_merge_plans(hist_db *db, int64_t version, const char *path)
{
	sqlite3_stmt *s = NULL;
	int64_t tables;
	int rc, error;

	if (version < 5)
		return HIST_OK;
	if ((error = hist__store_query_int(&tables, db, "SELECT count(*) FROM src.sqlite_schema WHERE type = 'table'"
							 " AND name IN ('plans', 'plan_shards')")) < 0)
		return error;
	if (tables != 2)
		return hist__error(&db->err, HIST_E_SCHEMA, "%s: schema version %lld without its plans tables; refused",
			path, (long long)version);
	/* By suite and id: the same work whatever the source's row order. */
	if ((error = prepare(&s, db, "SELECT ms.id, p.suite_id, p.id FROM src.plans p JOIN src.suites s"
				     " ON s.id = p.suite_id JOIN main.suites ms ON ms.name = s.name ORDER BY s.name, p.id")) < 0)
		return error;
	while (error == HIST_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 2);
		plan_rows p;
		int found;

		if (!id || !is_plan_id(id)) {
			error = hist__error(&db->err, HIST_E_SCHEMA, "%s: a plan id that is not 16 hex digits; refused",
				path);
			break;
		}
		if ((error = read_plan(&found, &p, db, "src", sqlite3_column_int64(s, 1), id, path)) < 0)
			break;
		if (found)
			error = offer(db, sqlite3_column_int64(s, 0), id, &p, path);
		rows_free(&p);
	}
	if (error == HIST_OK && rc != SQLITE_DONE)
		error = hist__store_fail(db, rc);
	sqlite3_finalize(s);
	return error;
}

/* ---- reading -------------------------------------------------------- */

/* Each plan with each run of its suite whose inputs carry its id, and each
 * plan no such run names (run NULL, at its stored time). */
static const char plan_runs_sql[] =
	"SELECT s.name, p.id, r.ext_id, r.started_us, p.stored_us, p.shard_total, p.suite_id, r.id"
	" FROM plans p JOIN suites s ON s.id = p.suite_id JOIN runs r ON r.suite_id = p.suite_id"
	" WHERE (?1 IS NULL OR s.name = ?1)"
	" AND EXISTS (SELECT 1 FROM inputs i WHERE i.run_id = r.id AND i.plan_id = p.id)"
	" UNION ALL SELECT s.name, p.id, NULL, p.stored_us, p.stored_us, p.shard_total, p.suite_id, NULL"
	" FROM plans p JOIN suites s ON s.id = p.suite_id WHERE (?1 IS NULL OR s.name = ?1)"
	" AND NOT EXISTS (SELECT 1 FROM inputs i JOIN runs r ON r.id = i.run_id"
	" WHERE r.suite_id = p.suite_id AND i.plan_id = p.id)"
	" ORDER BY 4 DESC, 1, 2, 3 LIMIT ?2";

/* The reports of run ?1 for plan ?2, by shard. */
static const char actual_sql[] =
	"SELECT shard_index, count(*), max(wall_us) FROM inputs WHERE run_id = ?1 AND plan_id = ?2"
	" AND shard_index IS NOT NULL GROUP BY shard_index ORDER BY shard_index";

static int one_run(hist_db *db, sqlite3_stmt *row, sqlite3_stmt *actual, int (*fn)(const hist_plan_run *, void *),
	void *payload)
{
	hist_plan_shard_run *shard = NULL;
	hist_plan_run r;
	plan_rows p;
	int found, rc, error;

	memset(&r, 0, sizeof r);
	r.suite = (const char *)sqlite3_column_text(row, 0);
	r.plan_id = (const char *)sqlite3_column_text(row, 1);
	r.run_id = (const char *)sqlite3_column_text(row, 2);
	r.started_us = sqlite3_column_int64(row, 3);
	r.stored_us = sqlite3_column_int64(row, 4);
	if (!r.suite || !r.plan_id)
		return hist__store_nomem(db);
	if ((error = read_plan(&found, &p, db, "main", sqlite3_column_int64(row, 6), r.plan_id, db->path)) < 0)
		return error;
	if (!found)
		return hist__error(&db->err, HIST_E_DB, "%s: plan %s vanished while read", db->path, r.plan_id);
	if (!(shard = hist__calloc(p.shards, sizeof *shard))) {
		error = hist__store_nomem(db);
		goto done;
	}
	r.shards = p.shards;
	r.shard = shard;
	for (unsigned int k = 0; k < p.shards; k++) {
		shard[k].tests = (size_t)p.tests[k];
		shard[k].predicted_us = p.predicted_us[k];
		shard[k].actual_us = -1;
	}
	if (r.run_id) {
		sqlite3_bind_int64(actual, 1, sqlite3_column_int64(row, 7));
		sqlite3_bind_text(actual, 2, r.plan_id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(actual)) == SQLITE_ROW) {
			int64_t k = sqlite3_column_int64(actual, 0);
			if (k < 1 || k > (int64_t)p.shards)
				continue;
			shard[k - 1].reports = (unsigned int)sqlite3_column_int64(actual, 1);
			shard[k - 1].actual_us = hist__store_column_known(actual, 2);
		}
		if (rc != SQLITE_DONE)
			error = hist__store_fail(db, rc);
		sqlite3_reset(actual);
		sqlite3_clear_bindings(actual);
	}
	if (error == HIST_OK)
		error = fn(&r, payload);
done:
	hist__free(shard);
	rows_free(&p);
	return error;
}

int hist_db_plan_runs(hist_db *db, const char *suite, size_t limit,
	int (*fn)(const hist_plan_run *run, void *payload), void *payload)
{
	sqlite3_stmt *s = NULL, *actual = NULL;
	int rc = SQLITE_DONE, error, began;

	if (!db || !fn)
		return db ? hist__error(&db->err, HIST_E_INVALID, "no callback") : HIST_E_INVALID;
	if ((error = hist__store_read_begin(&began, db)) < 0)
		return error;
	if ((error = prepare(&s, db, plan_runs_sql)) < 0 || (error = prepare(&actual, db, actual_sql)) < 0)
		goto done;
	if (suite)
		sqlite3_bind_text(s, 1, suite, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, limit && limit < (size_t)INT64_MAX ? (int64_t)limit : -1);
	while (error == HIST_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		error = one_run(db, s, actual, fn, payload);
	if (error == HIST_OK && rc != SQLITE_DONE)
		error = hist__store_fail(db, rc);
done:
	sqlite3_finalize(s);
	sqlite3_finalize(actual);
	hist__store_read_end(db, began);
	return error;
}
