/* store_window.c - reading the recent history back.
 * Owns: the newest runs of a suite (the window); its results handed over
 * by test id (one decode of the packs, chunk by chunk across the runs, or
 * a k-way merge of one cursor per run over the results table), then its
 * tests by name; and the totals of the window's inputs (raw rows: the
 * overhead model that reads them is estimate.c's).
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

/* Steps cursor i of the packs' walk: 1 with the chunk under it in
 * head[i], 0 at its end (then, when it was heap[0], it leaves the heap).
 * A chunk that does not rise, or lies past the highest test id, is damage. */
static int pack_step(uint32_t *heap, size_t *n, int64_t *head, sqlite3_stmt *c, uint32_t i, int in_heap,
	hist_db *db, const int64_t *runs, int64_t max_test)
{
	int row = hist__store_step_row(db, c);
	int64_t chunk;

	if (row < 0)
		return row;
	if (!row) {
		if (in_heap)
			heap[0] = heap[--*n];
		return 0;
	}
	if (hist__pack_chunk(&chunk, c, 0) < 0 || chunk > max_test / HIST__PACK_CHUNK ||
		(in_heap && chunk <= head[i]))
		return hist__store_pack_damaged(db, runs[i]);
	head[i] = chunk;
	return 1;
}

/* The packs' walk: one cursor per run, read in lock step chunk by chunk,
 * so each pack is decoded once and memory holds one chunk of each run.
 * Within a chunk the rows are grouped by test with a counting sort over
 * the chunk's HIST__PACK_CHUNK ids, the runs placed oldest first. */
static int walk_packs(hist_db *db, const int64_t *runs, size_t nruns, int64_t max_test,
	const hist__window_sink *k)
{
	sqlite3_stmt **c = NULL;
	uint32_t heap[HIST__STORE_MAX_WINDOW];
	int64_t head[HIST__STORE_MAX_WINDOW]; /* chunk under each cursor */
	uint32_t start[HIST__PACK_CHUNK + 1];
	hist__pack_row dec[HIST__PACK_CHUNK];
	hist__history_sample *got = NULL, *placed = NULL;
	unsigned char *slot = NULL;
	size_t n = 0, cap = nruns * HIST__PACK_CHUNK;
	int error = HIST_OK;

	if ((error = cursors(&c, db, nruns, S_PACKS_OF_RUN)) < 0)
		return error;
	if (!(got = hist__malloc(cap * sizeof *got)) || !(placed = hist__malloc(cap * sizeof *placed)) ||
		!(slot = hist__malloc(cap))) {
		error = hist__store_nomem(db);
		goto done;
	}
	for (size_t i = 0; i < nruns; i++) {
		sqlite3_bind_int64(c[i], 1, runs[i]);
		if ((error = pack_step(heap, &n, head, c[i], (uint32_t)i, 0, db, runs, max_test)) < 0)
			goto done;
		if (error == 1)
			heap[n++] = (uint32_t)i;
	}
	error = HIST_OK;
	for (size_t i = n / 2; i-- > 0;)
		hist__heap_down(heap, n, i, head, 1);
	while (n > 0) {
		int64_t chunk = head[heap[0]], base = chunk * HIST__PACK_CHUNK;
		size_t ngot = 0;

		memset(start, 0, sizeof start);
		/* This chunk of every run that has it: ties go to the higher
		 * cursor, the older run, so each test's rows come oldest first. */
		while (n > 0 && head[heap[0]] == chunk) {
			uint32_t top = heap[0];
			size_t m;

			if (hist__pack_decode(dec, &m, chunk, sqlite3_column_blob(c[top], 1),
				    (size_t)sqlite3_column_bytes(c[top], 1)) < 0) {
				error = hist__store_pack_damaged(db, runs[top]);
				goto done;
			}
			if (m && dec[m - 1].test_id > max_test) {
				error = unknown_test(db, dec[m - 1].test_id);
				goto done;
			}
			for (size_t j = 0; j < m; j++) {
				const hist__pack_row *p = &dec[j];
				unsigned char at = (unsigned char)(p->test_id - base);
				start[at + 1]++;
				slot[ngot] = at;
				got[ngot++] = (hist__history_sample){ p->duration_us, p->setup_us, p->attempts, (uint16_t)top,
					(unsigned char)p->outcome };
			}
			if ((error = pack_step(heap, &n, head, c[top], top, 1, db, runs, max_test)) < 0)
				goto done;
			hist__heap_down(heap, n, 0, head, 1);
		}
		for (size_t t = 0; t < HIST__PACK_CHUNK; t++)
			start[t + 1] += start[t];
		for (size_t g = 0; g < ngot; g++)
			placed[start[slot[g]]++] = got[g];
		/* start[t] is now where test t's rows end. */
		for (size_t t = 0, from = 0; t < HIST__PACK_CHUNK; from = start[t++])
			if (start[t] > from && (error = k->samples(k->payload, base + (int64_t)t, placed + from,
							start[t] - from)) != 0)
				goto done;
		error = HIST_OK;
	}
done:
	for (size_t i = 0; i < nruns; i++)
		hist__store_reset(c[i]);
	hist__free(got);
	hist__free(placed);
	hist__free(slot);
	return error;
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

int hist__store_window(hist_db *db, const char *suite, unsigned int window, const hist__window_sink *k)
{
	int64_t *runs = NULL, max_test;
	size_t nruns = 0;
	int error, began, packed;

	if (window > HIST__STORE_MAX_WINDOW)
		return hist__error(&db->err, HIST_E_INVALID, "window of %u runs: at most %d", window,
			HIST__STORE_MAX_WINDOW);
	if ((error = hist__store_read_begin(&began, db)) < 0)
		return error;
	if ((error = window_runs(&runs, &nruns, db, suite ? suite : "default", window)) < 0 || nruns == 0)
		goto done;
	if ((error = max_test_id(&max_test, db)) < 0 || (error = packs_usable(&packed, db, runs, nruns)) < 0 ||
		(error = k->begin(k->payload, max_test)) != 0)
		goto done;
	if ((error = packed ? walk_packs(db, runs, nruns, max_test, k) : walk_results(db, runs, nruns, max_test, k)) !=
		0)
		goto done;
	error = walk_names(db, max_test, k);
done:
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
