/* store_window.c - reading the recent history back.
 * Owns: the newest runs of a suite (the window), the k-way merge of one
 * cursor per run that hands each result to the estimator grouped by test,
 * and the totals of the window's inputs (raw rows: the overhead model that
 * reads them is estimate.c's).
 * Not here: what the rows mean (estimate.c), the statements' text
 * (store.c). */
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>
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

/* One row of the window in memory; the window has at most
 * HIST__STORE_MAX_WINDOW runs, so the age fits 16 bits. */
typedef hist__history_sample window_row;

/* The window's results grouped by test: the rows of test t are
 * rows[first[t] .. first[t+1]), oldest run first. They come from a k-way
 * merge of one cursor per run (each already in test id order), so memory
 * holds only the result, and the caller then walks the tests once in name
 * order. Asking SQLite to ORDER BY name instead sorts millions of rows:
 * 4.9 s against 0.7 s for 1M tests x 5 runs (see doc/benchmarks.md). */
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
			return hist__store_nomem(db);
		memset(p + db->ncursors, 0, (n - db->ncursors) * sizeof *p);
		db->cursors = p;
		db->ncursors = n;
	}
	for (size_t i = 0; i < n; i++) {
		int error;
		if (db->cursors[i])
			continue;
		if ((error = hist__store_prepare(&db->cursors[i], db, S_RUN_RESULTS)) < 0)
			return error;
	}
	*out = db->cursors;
	return HIST_OK;
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
			return hist__store_nomem(db);
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
	/* Cursors by the test id under each, then oldest run first (cursor i
	 * reads the run of age i: ties to the higher index). */
	uint32_t heap[HIST__STORE_MAX_WINDOW];
	int64_t head[HIST__STORE_MAX_WINDOW]; /* test id under each cursor */
	size_t n = 0, slots;
	int error = HIST_OK, row;

	/* Every id is below the counter. */
	if ((error = hist__store_stmt_int(&w->max_test, db, S_NEXT_TEST)) < 0)
		return error;
	w->max_test--;
	if (w->max_test < 0 || w->max_test >= (int64_t)UINT32_MAX - 2)
		return hist__error(&db->err, HIST_E_DB, "%s: test ids past 2^32", db->path);
	slots = (size_t)w->max_test + 2;
	if (!(w->first = hist__malloc(slots * sizeof *w->first)))
		return hist__store_nomem(db);
	memset(w->first, 0xff, slots * sizeof *w->first);
	if ((error = cursors(&c, db, nruns)) < 0)
		return error;
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
		if ((error = window_rows_add(w, db, c[top], head[top], (uint16_t)top)) < 0)
			goto done;
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
	/* Tests without rows start where the next test starts. */
	w->first[slots - 1] = (uint32_t)w->count;
	for (size_t t = slots - 1; t-- > 0;)
		if (w->first[t] == UINT32_MAX)
			w->first[t] = w->first[t + 1];
done:
	for (size_t i = 0; i < nruns; i++)
		hist__store_reset(c[i]);
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

/* One pass over the packs of the window, oldest run first: counts the
 * rows of each test into count[id + 1] when pos is NULL, else writes each
 * row at pos[id]++. */
static int packs_pass(window_rows *w, hist_db *db, const int64_t *runs, size_t nruns, uint32_t *count,
	uint32_t *pos)
{
	hist__pack_row rows[HIST__PACK_CHUNK];
	sqlite3_stmt *s = NULL;
	int error = HIST_OK, row = 0;

	if ((error = hist__store_stmt(&s, db, S_PACKS_OF_RUN)) < 0)
		return error;
	for (size_t age = nruns; age-- > 0 && error == HIST_OK;) {
		sqlite3_bind_int64(s, 1, runs[age]);
		while ((row = hist__store_step_row(db, s)) == 1) {
			int64_t past = 0;
			size_t n;
			int got;

			if (!pos) {
				/* Only the ids, for the counts. */
				got = hist__pack_count(count, &past, w->max_test, sqlite3_column_int64(s, 0),
					sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
				if (got == -2)
					error = hist__error(&db->err, HIST_E_DB, "%s: result of unknown test %lld", db->path,
						(long long)past);
				else if (got < 0)
					error = hist__error(&db->err, HIST_E_DB, "%s: packed results of run %lld are damaged",
						db->path, (long long)runs[age]);
				if (error < 0)
					break;
				continue;
			}
			if (hist__pack_decode(rows, &n, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1),
				    (size_t)sqlite3_column_bytes(s, 1)) < 0) {
				error = hist__error(&db->err, HIST_E_DB, "%s: packed results of run %lld are damaged",
					db->path, (long long)runs[age]);
				break;
			}
			if (n && rows[n - 1].test_id > w->max_test) {
				error = hist__error(&db->err, HIST_E_DB, "%s: result of unknown test %lld", db->path,
					(long long)rows[n - 1].test_id);
				break;
			}
			for (size_t i = 0; i < n; i++) {
				const hist__pack_row *p = &rows[i];
				/* Both passes read the same bytes; never trusted. */
				if (pos[p->test_id] >= w->first[p->test_id + 1]) {
					error = hist__error(&db->err, HIST_E_DB, "%s: packed results of run %lld are damaged",
						db->path, (long long)runs[age]);
					break;
				}
				w->rows[pos[p->test_id]++] = (window_row){ p->duration_us, p->setup_us, p->attempts,
					(uint16_t)age, (unsigned char)p->outcome };
			}
			if (error < 0)
				break;
		}
		hist__store_reset(s);
		if (row < 0)
			error = row;
	}
	return error;
}

/* The window from the packs: counts, then places each row, so the rows
 * of a test are together and oldest run first, as the cursors give them. */
static int window_rows_packed(window_rows *w, hist_db *db, const int64_t *runs, size_t nruns)
{
	uint32_t *pos = NULL;
	size_t slots, bytes;
	int error;

	if ((error = hist__store_stmt_int(&w->max_test, db, S_NEXT_TEST)) < 0)
		return error;
	w->max_test--;
	if (w->max_test < 0 || w->max_test >= (int64_t)UINT32_MAX - 2)
		return hist__error(&db->err, HIST_E_DB, "%s: test ids past 2^32", db->path);
	slots = (size_t)w->max_test + 2;
	if (!(w->first = hist__calloc(slots, sizeof *w->first)) || !(pos = hist__malloc(slots * sizeof *pos))) {
		error = hist__store_nomem(db);
		goto done;
	}
	if ((error = packs_pass(w, db, runs, nruns, w->first, NULL)) < 0)
		goto done;
	for (size_t t = 1; t < slots; t++) {
		if (w->first[t] > UINT32_MAX - w->first[t - 1]) {
			error = hist__store_nomem(db);
			goto done;
		}
		w->first[t] += w->first[t - 1];
	}
	w->count = w->cap = w->first[slots - 1];
	if (hist__mul_overflow(w->count ? w->count : 1, sizeof *w->rows, &bytes) || !(w->rows = hist__malloc(bytes))) {
		error = hist__store_nomem(db);
		goto done;
	}
	memcpy(pos, w->first, slots * sizeof *pos);
	error = packs_pass(w, db, runs, nruns, NULL, pos);
done:
	hist__free(pos);
	return error;
}

static int each_test(const window_rows *w, hist_db *db, int (*fn)(void *payload, const hist__history_test *test),
	void *payload)
{
	sqlite3_stmt *s = NULL;
	int error, row;

	if ((error = hist__store_stmt(&s, db, S_TESTS_BY_NAME)) < 0)
		return error;
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		hist__history_test t;

		if (id < 0 || id > w->max_test || w->first[id] == w->first[id + 1])
			continue;
		t.id = (const char *)sqlite3_column_text(s, 1);
		t.id_len = (size_t)sqlite3_column_bytes(s, 1);
		t.id_is_key = sqlite3_column_int(s, 2);
		t.rows = &w->rows[w->first[id]];
		t.n = w->first[id + 1] - w->first[id];
		if ((error = fn(payload, &t)) != 0)
			goto done;
	}
	error = row;
done:
	hist__store_reset(s);
	return error;
}

int hist__store_each_test(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_test *test), void *payload)
{
	window_rows w = { 0 };
	int64_t *runs = NULL;
	size_t nruns = 0;
	int error, began, packed;

	if (window > HIST__STORE_MAX_WINDOW)
		return hist__error(&db->err, HIST_E_INVALID, "window of %u runs: at most %d", window,
			HIST__STORE_MAX_WINDOW);
	if ((error = hist__store_read_begin(&began, db)) < 0)
		return error;
	if ((error = window_runs(&runs, &nruns, db, suite ? suite : "default", window)) < 0 || nruns == 0)
		goto done;
	if ((error = packs_usable(&packed, db, runs, nruns)) < 0 ||
		(error = packed ? window_rows_packed(&w, db, runs, nruns) : window_rows_read(&w, db, runs, nruns)) < 0)
		goto done;
	error = each_test(&w, db, fn, payload);
done:
	hist__store_read_end(db, began);
	hist__free(w.rows);
	hist__free(w.first);
	hist__free(runs);
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
		const window_row *r = &t->rows[j];
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
