/* store_batch.c - results on their way into the history.
 * Owns: the batch (plain memory a parser fills), the hist_batch virtual
 * table that shows it to SQL, and storing a batch in a few statements:
 * test ids from the counter, results put into the chunks they fall in
 * (from memory, or through temp.pending where stored results can meet
 * them: store_pack.c), conflicts resolved.
 * Not here: the statements' text and the handle (store.c), transactions
 * (the caller's: ingest.c and pipe.c). */
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "hash.h"
#include "store_db.h"

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
	unsigned char pend;   /* stored through temp.pending (else packed from memory) */
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

/* ---- the batch as a table ----------------------------------------- */

/* hist_batch: the batch being stored, as an eponymous virtual table of
 * this connection only (nothing in the file names it). Columns in the
 * order of this declaration; the rowid is the row's index in the batch. */
enum { B_NAME, B_IS_KEY, B_TEST, B_OUTCOME, B_DURATION, B_SETUP, B_ATTEMPTS, B_FRESH, B_PEND };

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
	int rc;

	(void)argc;
	(void)argv;
	(void)msg;
	rc = hist__store_vtab_connect(sql, "CREATE TABLE x(name TEXT, is_key INTEGER, test INTEGER, outcome INTEGER,"
				       " duration_us INTEGER, setup_us INTEGER, attempts INTEGER, fresh INTEGER, pend INTEGER)",
		sizeof(batch_vtab), out);
	if (rc == SQLITE_OK)
		((batch_vtab *)*out)->db = aux;
	return rc;
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
	case B_PEND:
		sqlite3_result_int(ctx, r->pend);
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

	/* What the tables' CHECK and NOT NULL constraints would refuse: the
	 * batch statements ignore rather than abort (see S_BATCH_TESTS). */
	if ((unsigned)r->outcome >= HIST_OUTCOME_COUNT || r->attempts < 1 || r->id_len == 0 ||
		r->id_len > (size_t)INT32_MAX)
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
	row->pend = 1;
	return b->count == HIST__BATCH_ROWS || b->names.len >= HIST__BATCH_BYTES;
}

/* Each row's test id from the tests table; rows of unknown tests keep
 * theirs (-1 unless already set). */
static int batch_lookup(hist_db *db, hist__batch *b)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = hist__store_stmt(&s, db, S_BATCH_LOOKUP)) < 0)
		return error;
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t i = sqlite3_column_int64(s, 0);

		if (i >= 0 && (size_t)i < b->count)
			b->rows[i].test = sqlite3_column_int64(s, 1);
	}
	hist__store_reset(s);
	return row;
}

/* Adds the rows marked fresh, and moves the counter past next. */
static int batch_add_tests(int64_t *added, hist_db *db, int64_t next)
{
	sqlite3_stmt *s = NULL;
	int error;

	if ((error = hist__store_run_stmt(db, S_BATCH_TESTS)) < 0)
		return error;
	*added = sqlite3_changes64(db->sql);
	if ((error = hist__store_stmt(&s, db, S_SET_NEXT_TEST)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, next);
	return hist__store_step_done(db, s);
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
		return hist__store_nomem(db);
	memset(db->dedup, 0, DEDUP_SLOTS * sizeof *db->dedup);
	if ((error = hist__store_stmt_int(&next, db, S_NEXT_TEST)) < 0)
		return error;
	first = next;
	for (size_t i = 0; i < b->count; i++) {
		batch_row *r = &b->rows[i];
		const char *name = b->names.ptr + r->name;
		uint32_t h;

		if (r->test >= 0)
			continue;
		h = (uint32_t)(hist__hash_bytes(name, r->name_len) + (uint64_t)r->is_key) & (DEDUP_SLOTS - 1);
		for (; db->dedup[h]; h = (h + 1) & (DEDUP_SLOTS - 1)) {
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
	if ((error = hist__store_stmt_int(&next, db, S_NEXT_TEST)) < 0)
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
	hist__pack_open *open = NULL;
	int64_t tests_added = 0, direct = 0;
	size_t pending = 0;
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
	/* Each result goes to its chunk: from memory where nothing stored
	 * can meet it, else through temp.pending, where the stored results
	 * of its chunk join it (once a transaction) for the conflict rule. */
	for (size_t i = 0; i < b->count; i++) {
		batch_row *r = &b->rows[i];

		if ((i == 0 || r->test / HIST__PACK_CHUNK != b->rows[i - 1].test / HIST__PACK_CHUNK) &&
			(error = hist__store_pack_route(&open, db, run, r->test)) < 0)
			goto done;
		r->pend = !open;
		if (open)
			direct += hist__store_pack_put(open, &(hist__pack_row){ r->test, r->duration_us, r->setup_us,
								     r->attempts, r->outcome });
		else
			pending++;
	}
	if (pending) {
		if ((error = hist__store_stmt(&s, db, S_BATCH_RESULTS)) < 0)
			goto done;
		sqlite3_bind_int64(s, 1, run);
		if ((error = hist__store_step_done(db, s)) < 0)
			goto done;
		*added = sqlite3_changes64(db->sql);
		if ((size_t)*added < pending) {
			if ((error = hist__store_stmt(&s, db, S_BATCH_RAISE)) < 0)
				goto done;
			sqlite3_bind_int64(s, 1, run);
			if ((error = hist__store_step_done(db, s)) < 0)
				goto done;
		}
	}
	*added += direct;
	error = hist__store_pack_settle(db);
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

int hist__store_batch_module(hist_db *db)
{
	int rc = sqlite3_create_module_v2(db->sql, "hist_batch", &batch_module, db, NULL);

	return rc == SQLITE_OK ? HIST_OK : hist__store_fail(db, rc);
}
