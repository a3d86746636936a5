/* store_window.c - reading the recent history back.
 * Owns: the newest runs of a suite (the window); its results handed over
 * by test id (one decode of the packs, chunk by chunk across the runs, or
 * a k-way merge of one cursor per run over the results table), then its
 * tests by name, the packs and names read on a thread of their own while
 * the caller's sink runs; and the totals of the window's inputs (raw rows:
 * the overhead model that reads them is estimate.c's).
 * Not here: what the rows mean (estimate.c), the statements' text
 * (store.c). */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "heap.h"
#include "store_db.h"

/* The ids of the newest `window` runs of suite, newest first. */
static int window_runs(int64_t **out, size_t *count, hist_db *db, const char *suite, unsigned int window)
{
	sqlite3_stmt *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int error, row;

	*out = NULL;
	*count = 0;
	if ((error = hist__store_stmt(&s, db, S_WINDOW)) < 0)
		return error;
	if ((error = hist__store_bind_text(db, s, 1, suite, strlen(suite))) < 0)
		goto done;
	sqlite3_bind_int64(s, 2, window);
	while ((row = hist__store_step_row(db, s)) == 1) {
		if (n == cap) {
			int64_t *p;
			cap = cap ? cap * 2 : 16;
			if (!(p = hist__realloc(ids, cap * sizeof *ids))) {
				error = hist__store_nomem(db);
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
	hist__store_reset(s);
	hist__free(ids);
	return error;
}

/* One cursor per run of the window, statement `which` (S_RUN_RESULTS in
 * db->cursors, S_PACKS_OF_RUN in db->pack_cursors). They live in the
 * handle so each is prepared once, like every other statement. */
static int cursors(sqlite3_stmt ***out, hist_db *db, size_t n, int which)
{
	sqlite3_stmt ***arr = which == S_PACKS_OF_RUN ? &db->pack_cursors : &db->cursors;
	size_t *have = which == S_PACKS_OF_RUN ? &db->npack_cursors : &db->ncursors;

	if (n > *have) {
		sqlite3_stmt **p = hist__realloc(*arr, n * sizeof *p);
		if (!p)
			return hist__store_nomem(db);
		memset(p + *have, 0, (n - *have) * sizeof *p);
		*arr = p;
		*have = n;
	}
	for (size_t i = 0; i < n; i++) {
		int error;
		if ((*arr)[i])
			continue;
		if ((error = hist__store_prepare(&(*arr)[i], db, which)) < 0)
			return error;
	}
	*out = *arr;
	return HIST_OK;
}

/* The highest test id there can be: every id is below the counter. */
static int max_test_id(int64_t *out, hist_db *db)
{
	int error;

	if ((error = hist__store_stmt_int(out, db, S_NEXT_TEST)) < 0)
		return error;
	(*out)--;
	if (*out < 0 || *out >= (int64_t)UINT32_MAX - 2)
		return hist__error(&db->err, HIST_E_DB, "%s: test ids past 2^32", db->path);
	return HIST_OK;
}

static int unknown_test(hist_db *db, int64_t id)
{
	return hist__error(&db->err, HIST_E_DB, "%s: result of unknown test %lld", db->path, (long long)id);
}

/* The results table's walk: a k-way merge of one cursor per run (each
 * already in test id order), so memory holds one test's rows. */
static int walk_results(hist_db *db, const int64_t *runs, size_t nruns, int64_t max_test,
	const hist__window_sink *k)
{
	sqlite3_stmt **c = NULL;
	/* Cursors by the test id under each, then oldest run first (cursor i
	 * reads the run of age i: ties to the higher index). */
	uint32_t heap[HIST__STORE_MAX_WINDOW];
	int64_t head[HIST__STORE_MAX_WINDOW]; /* test id under each cursor */
	hist__history_sample *rows = NULL;
	size_t n = 0, have = 0;
	int64_t cur = -1;
	int error = HIST_OK, row;

	if ((error = cursors(&c, db, nruns, S_RUN_RESULTS)) < 0)
		return error;
	if (!(rows = hist__malloc(nruns * sizeof *rows)))
		return hist__store_nomem(db);
	for (size_t i = 0; i < nruns; i++) {
		sqlite3_bind_int64(c[i], 1, runs[i]);
		if ((row = hist__store_step_row(db, c[i])) < 0) {
			error = row;
			goto done;
		}
		if (row) {
			head[i] = sqlite3_column_int64(c[i], 0);
			heap[n++] = (uint32_t)i;
		}
	}
	for (size_t i = n / 2; i-- > 0;)
		hist__heap_down(heap, n, i, head, 1);
	while (n > 0) {
		uint32_t top = heap[0];
		int64_t id = head[top];

		if (id < 0 || id > max_test) {
			error = unknown_test(db, id);
			goto done;
		}
		if (id != cur) {
			if (have && (error = k->samples(k->payload, cur, rows, have)) != 0)
				goto done;
			have = 0;
			cur = id;
		}
		/* (run_id, test_id) is the key: one row a run. */
		if (have == nruns) {
			error = hist__error(&db->err, HIST_E_DB, "%s: test %lld twice in a run", db->path, (long long)id);
			goto done;
		}
		rows[have++] = (hist__history_sample){ sqlite3_column_int64(c[top], 2), sqlite3_column_int64(c[top], 3),
			(uint32_t)sqlite3_column_int64(c[top], 4), (uint16_t)top,
			(unsigned char)sqlite3_column_int(c[top], 1) };
		if ((row = hist__store_step_row(db, c[top])) < 0) {
			error = row;
			goto done;
		}
		if (row)
			head[top] = sqlite3_column_int64(c[top], 0);
		else
			heap[0] = heap[--n];
		hist__heap_down(heap, n, 0, head, 1);
	}
	if (have)
		error = k->samples(k->payload, cur, rows, have);
done:
	for (size_t i = 0; i < nruns; i++)
		hist__store_reset(c[i]);
	hist__free(rows);
	return error;
}

/* 1 in *ok: read the packs directly. Tests turn it off to compare with
 * the same results read row by row through hist_results (S_RUN_RESULTS). */
static int packs_usable(int *ok, hist_db *db, const int64_t *runs, size_t nruns)
{
	(void)runs;
	(void)nruns;
	*ok = 1;
#ifdef HIST_TESTING
	if (db->no_packs)
		*ok = 0;
#else
	(void)db;
#endif
	return HIST_OK;
}

/* The tests by name: only ids the results can name (0..max_test). */
static int walk_names(hist_db *db, int64_t max_test, const hist__window_sink *k)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = hist__store_stmt(&s, db, S_TESTS_BY_NAME)) < 0)
		return error;
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);

		if (id < 0 || id > max_test)
			continue;
		if ((error = k->named(k->payload, id, (const char *)sqlite3_column_text(s, 1),
			     (size_t)sqlite3_column_bytes(s, 1), sqlite3_column_int(s, 2))) != 0)
			goto done;
	}
	error = row;
done:
	hist__store_reset(s);
	return error;
}

/* ---- the packs' and the names' walk, read on a thread of their own ----
 *
 * The reader thread steps SQLite and decodes the packs while this thread
 * runs the caller's sink: on the realistic suites the two took about the
 * same time, one after the other. They meet in a ring of BATCHES batches:
 * the reader fills one while the sink empties another. The reader never
 * writes db->err (the sink may, through its own pointer to it): it keeps
 * what failed, and the caller's thread says so after the join. */
#define BATCHES 4
#define BATCH_CHUNKS 4             /* chunks of samples a batch */
#define BATCH_NAMES 4096           /* names a batch */
#define BATCH_BYTES (256 * 1024)   /* their bytes, unless one name is longer */

typedef struct {
	int64_t id;
	uint32_t at, n; /* rows[at, at + n) or bytes[at, at + n) */
	int is_key;
} batch_entry;

typedef struct {
	int names; /* 0: samples, 1: names */
	size_t nent, nrows, nbytes, bytes_cap;
	batch_entry *ent;
	hist__history_sample *rows;
	char *bytes;
} batch;

enum { READ_OK, READ_SQLITE, READ_DAMAGED, READ_UNKNOWN, READ_NOMEM };

typedef struct {
	hist_db *db;
	const int64_t *runs;
	size_t nruns;
	int64_t max_test;
	sqlite3_stmt **c, *names;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	batch b[BATCHES];
	size_t filled, taken; /* batches handed over, batches emptied */
	int done;             /* the reader has finished */
	int stop;             /* the sink failed: the reader stops */
	int fail, rc;         /* READ_*, SQLite's code */
	/* No second thread: batch_filled hands each batch to this sink. */
	const hist__window_sink *inline_sink;
	int inline_error;
	int64_t what;         /* the damaged run, the unknown test */
	/* The reader's scratch for one chunk of every run. */
	uint32_t heap[HIST__STORE_MAX_WINDOW];
	int64_t head[HIST__STORE_MAX_WINDOW];
	uint32_t start[HIST__PACK_CHUNK + 1];
	hist__pack_row dec[HIST__PACK_CHUNK];
	hist__history_sample *got;
	unsigned char *slot;
} reader;

static int read_fail(reader *r, int fail, int rc, int64_t what)
{
	r->fail = fail;
	r->rc = rc;
	r->what = what;
	return -1;
}

/* 1 with a row, 0 at the end, -1 failed (kept in r). */
static int read_step(reader *r, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return read_fail(r, READ_SQLITE, rc, 0);
}

/* The batch to fill next, or NULL when the sink has stopped. */
static batch *batch_to_fill(reader *r, int names)
{
	batch *b;

	pthread_mutex_lock(&r->mu);
	while (r->filled - r->taken == BATCHES && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	b = r->stop ? NULL : &r->b[r->filled % BATCHES];
	pthread_mutex_unlock(&r->mu);
	if (b) {
		b->names = names;
		b->nent = b->nrows = b->nbytes = 0;
	}
	return b;
}

static int sink_batch(const batch *b, const hist__window_sink *k);

static void batch_filled(reader *r)
{
	if (r->inline_sink) {
		r->inline_error = sink_batch(&r->b[r->filled % BATCHES], r->inline_sink);
		r->filled++;
		r->taken++;
		r->stop = r->inline_error != 0;
		return;
	}
	pthread_mutex_lock(&r->mu);
	r->filled++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Steps cursor i of the packs' walk: 1 with the chunk under it in
 * head[i], 0 at its end (then, when it was heap[0], it leaves the heap),
 * -1 failed. A chunk that does not rise, or lies past the highest test
 * id, is damage. */
static int pack_step(reader *r, size_t *n, uint32_t i, int in_heap)
{
	int row = read_step(r, r->c[i]);
	int64_t chunk;

	if (row <= 0) {
		if (!row && in_heap)
			r->heap[0] = r->heap[--*n];
		return row;
	}
	if (hist__pack_chunk(&chunk, r->c[i], 0) < 0 || chunk > r->max_test / HIST__PACK_CHUNK ||
		(in_heap && chunk <= r->head[i]))
		return read_fail(r, READ_DAMAGED, 0, r->runs[i]);
	r->head[i] = chunk;
	return 1;
}

/* The packs' walk: one cursor per run, read in lock step chunk by chunk,
 * so each pack is decoded once and memory holds one chunk of each run.
 * Within a chunk the rows are grouped by test with a counting sort over
 * the chunk's HIST__PACK_CHUNK ids, the runs placed oldest first, into
 * the batch. */
static int read_packs(reader *r)
{
	size_t n = 0, chunks = 0, nruns = r->nruns;
	batch *b = NULL;
	int got;

	for (size_t i = 0; i < nruns; i++) {
		if ((got = pack_step(r, &n, (uint32_t)i, 0)) < 0)
			return -1;
		if (got == 1)
			r->heap[n++] = (uint32_t)i;
	}
	for (size_t i = n / 2; i-- > 0;)
		hist__heap_down(r->heap, n, i, r->head, 1);
	while (n > 0) {
		int64_t chunk = r->head[r->heap[0]], base = chunk * HIST__PACK_CHUNK;
		size_t ngot = 0;

		if (!b && !(b = batch_to_fill(r, 0)))
			return 0;
		memset(r->start, 0, sizeof r->start);
		/* This chunk of every run that has it: ties go to the higher
		 * cursor, the older run, so each test's rows come oldest first. */
		while (n > 0 && r->head[r->heap[0]] == chunk) {
			uint32_t top = r->heap[0];
			size_t m;

			if (hist__pack_decode(r->dec, &m, chunk, sqlite3_column_blob(r->c[top], 1),
				    (size_t)sqlite3_column_bytes(r->c[top], 1)) < 0)
				return read_fail(r, READ_DAMAGED, 0, r->runs[top]);
			if (m && r->dec[m - 1].test_id > r->max_test)
				return read_fail(r, READ_UNKNOWN, 0, r->dec[m - 1].test_id);
			for (size_t j = 0; j < m; j++) {
				const hist__pack_row *p = &r->dec[j];
				unsigned char at = (unsigned char)(p->test_id - base);
				r->start[at + 1]++;
				r->slot[ngot] = at;
				r->got[ngot++] = (hist__history_sample){ p->duration_us, p->setup_us, p->attempts, (uint16_t)top,
					(unsigned char)p->outcome };
			}
			if (pack_step(r, &n, top, 1) < 0)
				return -1;
			hist__heap_down(r->heap, n, 0, r->head, 1);
		}
		for (size_t t = 0; t < HIST__PACK_CHUNK; t++)
			r->start[t + 1] += r->start[t];
		for (size_t t = 0; t < HIST__PACK_CHUNK; t++)
			if (r->start[t + 1] > r->start[t])
				b->ent[b->nent++] = (batch_entry){ base + (int64_t)t, (uint32_t)(b->nrows + r->start[t]),
					r->start[t + 1] - r->start[t], 0 };
		for (size_t g = 0; g < ngot; g++)
			b->rows[b->nrows + r->start[r->slot[g]]++] = r->got[g];
		b->nrows += ngot;
		if (++chunks % BATCH_CHUNKS == 0) {
			batch_filled(r);
			b = NULL;
		}
	}
	if (b)
		batch_filled(r);
	return 0;
}

/* The tests by name: only ids the results can name (0..max_test). */
static int read_names(reader *r)
{
	batch *b = NULL;
	int row;

	while ((row = read_step(r, r->names)) == 1) {
		int64_t id = sqlite3_column_int64(r->names, 0);
		const char *name = (const char *)sqlite3_column_text(r->names, 1);
		size_t len = (size_t)sqlite3_column_bytes(r->names, 1);

		if (id < 0 || id > r->max_test)
			continue;
		if (!name && len)
			return read_fail(r, READ_NOMEM, 0, 0);
		if (b && (b->nent == BATCH_NAMES || b->bytes_cap - b->nbytes < len)) {
			batch_filled(r);
			b = NULL;
		}
		if (!b && !(b = batch_to_fill(r, 1)))
			return 0;
		if (len > b->bytes_cap) {
			/* One name longer than a batch holds: its batch grows. */
			char *p = len <= UINT32_MAX ? hist__realloc(b->bytes, len) : NULL;
			if (!p)
				return read_fail(r, READ_NOMEM, 0, 0);
			b->bytes = p;
			b->bytes_cap = len;
		}
		memcpy(b->bytes + b->nbytes, name ? name : "", len);
		b->ent[b->nent++] = (batch_entry){ id, (uint32_t)b->nbytes, (uint32_t)len, sqlite3_column_int(r->names, 2) };
		b->nbytes += len;
	}
	if (row < 0)
		return -1;
	if (b)
		batch_filled(r);
	return 0;
}

static void *read_window(void *payload)
{
	reader *r = payload;

	if (read_packs(r) == 0)
		read_names(r);
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* The next filled batch, or NULL when the reader is done. */
static batch *batch_to_take(reader *r)
{
	batch *b;

	pthread_mutex_lock(&r->mu);
	while (r->taken == r->filled && !r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	b = r->taken < r->filled ? &r->b[r->taken % BATCHES] : NULL;
	pthread_mutex_unlock(&r->mu);
	return b;
}

static void batch_taken(reader *r, int stop)
{
	pthread_mutex_lock(&r->mu);
	r->taken++;
	r->stop |= stop;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* The batch's tests to the sink; the first non-zero return stops. */
static int sink_batch(const batch *b, const hist__window_sink *k)
{
	int error = 0;

	for (size_t e = 0; e < b->nent && error == 0; e++) {
		const batch_entry *x = &b->ent[e];
		error = b->names ? k->named(k->payload, x->id, b->bytes + x->at, x->n, x->is_key)
		                 : k->samples(k->payload, x->id, b->rows + x->at, x->n);
	}
	return error;
}

/* Hands each batch to the sink, in order; the first non-zero stops. */
static int sink_batches(reader *r, const hist__window_sink *k)
{
	batch *b;
	int error = HIST_OK;

	while (error == 0 && (b = batch_to_take(r))) {
		error = sink_batch(b, k);
		batch_taken(r, error != 0);
	}
	if (error != 0) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return error;
}

/* What the reader kept, said in db->err. */
static int reader_error(reader *r)
{
	switch (r->fail) {
	case READ_SQLITE: return hist__store_fail(r->db, r->rc);
	case READ_DAMAGED: return hist__store_pack_damaged(r->db, r->what);
	case READ_UNKNOWN: return unknown_test(r->db, r->what);
	case READ_NOMEM: return hist__store_nomem(r->db);
	default: return HIST_OK;
	}
}

static void reader_free(reader *r)
{
	for (size_t i = 0; i < BATCHES; i++) {
		hist__free(r->b[i].ent);
		hist__free(r->b[i].rows);
		hist__free(r->b[i].bytes);
	}
	hist__free(r->got);
	hist__free(r->slot);
	hist__free(r);
}

static int one_thread(const hist_db *db)
{
#ifdef HIST_TESTING
	return db->one_thread;
#else
	(void)db;
	return 0;
#endif
}

static int walk_packs(hist_db *db, const int64_t *runs, size_t nruns, int64_t max_test,
	const hist__window_sink *k)
{
	size_t chunk_rows = nruns * HIST__PACK_CHUNK;
	size_t ent_cap = BATCH_CHUNKS * HIST__PACK_CHUNK > BATCH_NAMES ? BATCH_CHUNKS * HIST__PACK_CHUNK : BATCH_NAMES;
	reader *r;
	pthread_t thread;
	int error, sync = 0;

	if (!(r = hist__calloc(1, sizeof *r)))
		return hist__store_nomem(db);
	r->db = db;
	r->runs = runs;
	r->nruns = nruns;
	r->max_test = max_test;
	if ((error = cursors(&r->c, db, nruns, S_PACKS_OF_RUN)) < 0 ||
		(error = hist__store_stmt(&r->names, db, S_TESTS_BY_NAME)) < 0)
		goto done;
	if (!(r->got = hist__malloc(chunk_rows * sizeof *r->got)) || !(r->slot = hist__malloc(chunk_rows))) {
		error = hist__store_nomem(db);
		goto done;
	}
	for (size_t i = 0; i < BATCHES; i++) {
		batch *b = &r->b[i];
		if (!(b->ent = hist__malloc(ent_cap * sizeof *b->ent)) ||
			!(b->rows = hist__malloc(BATCH_CHUNKS * chunk_rows * sizeof *b->rows)) ||
			!(b->bytes = hist__malloc(BATCH_BYTES))) {
			error = hist__store_nomem(db);
			goto done;
		}
		b->bytes_cap = BATCH_BYTES;
	}
	for (size_t i = 0; i < nruns; i++)
		sqlite3_bind_int64(r->c[i], 1, runs[i]);
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		error = hist__store_nomem(db);
		goto done;
	}
	if (pthread_cond_init(&r->cv, NULL) != 0) {
		pthread_mutex_destroy(&r->mu);
		error = hist__store_nomem(db);
		goto done;
	}
	sync = 1;
	/* Without a second thread, this one reads and sinks in turn. */
	if (!one_thread(db) && pthread_create(&thread, NULL, read_window, r) == 0) {
		error = sink_batches(r, k);
		pthread_join(thread, NULL);
	} else {
		r->inline_sink = k;
		read_window(r);
		error = r->inline_error;
	}
	if (error == 0)
		error = reader_error(r);
done:
	for (size_t i = 0; r->c && i < nruns; i++)
		hist__store_reset(r->c[i]);
	hist__store_reset(r->names);
	if (sync) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
	}
	reader_free(r);
	return error;
}

static int set_cache(hist_db *db, int64_t size)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA main.cache_size = %lld", (long long)size);
	return hist__store_exec(db, sql);
}

/* The walk reads each page once, in order: a few pages of cache are
 * enough, each cursor's leaf and its parents. Recycled, they stay in the
 * CPU's cache, and fewer are made (100,000 real tests: 1.4 MB less memory,
 * 1.4 ms less CPU on the reader thread). *old: the size to restore, when
 * *shrunk; a smaller cache is left as it is. */
static int small_cache(int64_t *old, int *shrunk, hist_db *db, size_t cursors)
{
	int64_t page, want = 16 + 4 * (int64_t)cursors;
	int error;

	*shrunk = 0;
	if ((error = hist__store_query_int(old, db, "PRAGMA main.cache_size")) < 0 ||
		(error = hist__store_query_int(&page, db, "PRAGMA main.page_size")) < 0)
		return error;
	/* A size below 0 is in KiB, above in pages. */
	if (want * page >= (*old < 0 ? -*old * 1024 : *old * page))
		return HIST_OK;
	if ((error = set_cache(db, want)) < 0)
		return error;
	*shrunk = 1;
	return HIST_OK;
}

int hist__store_window(hist_db *db, const char *suite, unsigned int window, const hist__window_sink *k)
{
	int64_t *runs = NULL, max_test, cache = 0;
	size_t nruns = 0;
	int error, began, packed, shrunk = 0;

	if (window > HIST__STORE_MAX_WINDOW)
		return hist__error(&db->err, HIST_E_INVALID, "window of %u runs: at most %d", window,
			HIST__STORE_MAX_WINDOW);
	if ((error = hist__store_read_begin(&began, db)) < 0)
		return error;
	if ((error = window_runs(&runs, &nruns, db, suite ? suite : "default", window)) < 0 || nruns == 0)
		goto done;
	if ((error = max_test_id(&max_test, db)) < 0 || (error = packs_usable(&packed, db, runs, nruns)) < 0 ||
		(error = small_cache(&cache, &shrunk, db, nruns + 1)) < 0 || (error = k->begin(k->payload, max_test)) != 0)
		goto done;
	if (packed)
		error = walk_packs(db, runs, nruns, max_test, k);
	else if ((error = walk_results(db, runs, nruns, max_test, k)) == 0)
		error = walk_names(db, max_test, k);
done:
	if (shrunk) {
		int restored = set_cache(db, cache);

		error = error == 0 ? restored : error;
	}
	hist__store_read_end(db, began);
	hist__free(runs);
	return error;
}

/* hist__store_each_test over hist__store_window: the rows kept by test
 * id (they come in id order, so first[] fills as they come), then handed
 * over by name. */
typedef struct {
	hist_db *db;
	hist__history_sample *rows;
	size_t count, cap;
	uint32_t *first; /* by test id; max_test + 2 entries */
	int64_t max_test;
	int closed; /* first[] complete */
	int (*fn)(void *payload, const hist__history_test *test);
	void *payload;
} kept_rows;

static int kept_begin(void *payload, int64_t max_test)
{
	kept_rows *w = payload;
	size_t slots = (size_t)max_test + 2;

	w->max_test = max_test;
	if (!(w->first = hist__malloc(slots * sizeof *w->first)))
		return hist__store_nomem(w->db);
	memset(w->first, 0xff, slots * sizeof *w->first);
	return HIST_OK;
}

static int kept_samples(void *payload, int64_t id, const hist__history_sample *rows, size_t n)
{
	kept_rows *w = payload;

	if (w->count + n > w->cap) {
		/* Row numbers are uint32_t to keep first[] small. */
		size_t cap = w->cap ? w->cap * 2 : 65536, bytes;
		hist__history_sample *r;
		while (cap < w->count + n)
			cap *= 2;
		if (cap > UINT32_MAX || hist__mul_overflow(cap, sizeof *r, &bytes) || !(r = hist__realloc(w->rows, bytes)))
			return hist__store_nomem(w->db);
		w->rows = r;
		w->cap = cap;
	}
	w->first[id] = (uint32_t)w->count;
	memcpy(w->rows + w->count, rows, n * sizeof *rows);
	w->count += n;
	return HIST_OK;
}

static int kept_named(void *payload, int64_t id, const char *name, size_t len, int is_key)
{
	kept_rows *w = payload;
	hist__history_test t;

	if (!w->closed) {
		/* Tests without rows start where the next test starts. */
		size_t slots = (size_t)w->max_test + 2;
		w->first[slots - 1] = (uint32_t)w->count;
		for (size_t i = slots - 1; i-- > 0;)
			if (w->first[i] == UINT32_MAX)
				w->first[i] = w->first[i + 1];
		w->closed = 1;
	}
	if (w->first[id] == w->first[id + 1])
		return 0;
	t.id = name;
	t.id_len = len;
	t.id_is_key = is_key;
	t.rows = &w->rows[w->first[id]];
	t.n = w->first[id + 1] - w->first[id];
	return w->fn(w->payload, &t);
}

int hist__store_each_test(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_test *test), void *payload)
{
	kept_rows w = { db, NULL, 0, 0, NULL, -1, 0, fn, payload };
	hist__window_sink k = { kept_begin, kept_samples, kept_named, &w };
	int error = hist__store_window(db, suite, window, &k);

	hist__free(w.rows);
	hist__free(w.first);
	return error;
}

/* hist__store_each_result's walk: each test's rows, one call a row. */
typedef struct {
	int (*fn)(void *payload, const hist__history_row *row);
	void *payload;
} by_row;

static int each_row(void *payload, const hist__history_test *t)
{
	const by_row *b = payload;
	hist__history_row h;
	int error;

	h.id = t->id;
	h.id_len = t->id_len;
	h.id_is_key = t->id_is_key;
	for (size_t j = 0; j < t->n; j++) {
		const hist__history_sample *r = &t->rows[j];
		h.age = r->age;
		h.outcome = (hist_outcome)r->outcome;
		h.duration_us = r->duration_us;
		h.setup_us = r->setup_us;
		h.attempts = r->attempts;
		h.same_test = j != 0;
		if ((error = b->fn(b->payload, &h)) != 0)
			return error;
	}
	return 0;
}

int hist__store_each_result(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_row *row), void *payload)
{
	by_row b = { fn, payload };

	return hist__store_each_test(db, suite, window, each_row, &b);
}

int hist__store_inputs(hist__input_row **out, size_t *count, hist_db *db, const char *suite, unsigned int window)
{
	sqlite3_stmt *s = NULL;
	hist__input_row *rows = NULL;
	size_t n = 0, cap = 0;
	int error, row;

	*out = NULL;
	*count = 0;
	if ((error = hist__store_stmt(&s, db, S_OVERHEADS)) < 0)
		return error;
	if ((error = hist__store_bind_text(db, s, 1, suite ? suite : "default", strlen(suite ? suite : "default"))) < 0)
		goto done;
	sqlite3_bind_int64(s, 2, window);
	while ((row = hist__store_step_row(db, s)) == 1) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			hist__input_row *p = hist__realloc(rows, ncap * sizeof *p);
			if (!p) {
				error = hist__store_nomem(db);
				goto done;
			}
			rows = p;
			cap = ncap;
		}
		rows[n].wall_us = hist__store_column_known(s, 0);
		rows[n].collect_us = hist__store_column_known(s, 1);
		rows[n].tests = sqlite3_column_int64(s, 2);
		rows[n].test_us = sqlite3_column_int64(s, 3);
		rows[n].workers = hist__store_column_known(s, 4);
		rows[n].age = (unsigned int)sqlite3_column_int64(s, 5);
		rows[n].startup_us = hist__store_column_known(s, 6);
		n++;
	}
	if ((error = row) < 0)
		goto done;
	*out = rows;
	*count = n;
	rows = NULL;
	error = HIST_OK;
done:
	hist__store_reset(s);
	hist__free(rows);
	return error;
}
