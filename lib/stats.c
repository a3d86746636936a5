/* stats.c - what the history says about each test: histstats' tables.
 * Owns: the per-test figures over a window (estimate, spread, outcomes),
 * the rules for flaky, regressed and unseen tests, the slowest files, the
 * orders of every list, and the .test_durations export.
 * Not here: SQL (store_window.c, store_stats.c), formatting (the tool). */
#include "hist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "io.h"
#include "num.h"
#include "store.h"

#define DEFAULT_WINDOW 20
#define DEFAULT_RECENT 3

struct hist_stats {
	hist_stats_test *tests;   /* every test of every suite read */
	size_t count, cap;
	hist_stats_file *files;
	size_t nfiles;
	const hist_stats_test **lists[4]; /* pointers into tests, per list */
	size_t lens[4];
	char **names;             /* owned strings: suites, nodeids, files */
	size_t nnames, names_cap;
};

/* State while one suite's window streams by. */
typedef struct {
	hist_stats *st;
	hist_db *db;
	const char *suite;        /* owned by st */
	unsigned int recent;
	hist__buf id;             /* the current test's id */
	int is_key, have;
	int64_t durs[HIST__STORE_MAX_WINDOW], before[HIST__STORE_MAX_WINDOW];
	size_t ndurs, nbefore;
	hist_stats_test cur;
} reader;

static int keep_name(char **out, hist_stats *st, const char *s, size_t len)
{
	char *copy;

	if (st->nnames == st->names_cap) {
		size_t cap = st->names_cap ? st->names_cap * 2 : 1024;
		char **n = hist__realloc(st->names, cap * sizeof *n);
		if (!n)
			return HIST_E_NOMEM;
		st->names = n;
		st->names_cap = cap;
	}
	if (!(copy = hist__malloc(len + 1)))
		return HIST_E_NOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	st->names[st->nnames++] = copy;
	*out = copy;
	return HIST_OK;
}

/* The test that just ended, with its figures, into the table. */
static int finish_test(reader *r)
{
	hist_stats *st = r->st;
	hist_stats_test *t = &r->cur;
	char *name;
	int error;

	if (!r->have)
		return HIST_OK;
	r->have = 0;
	if (st->count == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 1024;
		hist_stats_test *n = hist__realloc(st->tests, cap * sizeof *n);
		if (!n)
			return HIST_E_NOMEM;
		st->tests = n;
		st->cap = cap;
	}
	if ((error = keep_name(&name, st, r->id.ptr, r->id.len)) < 0)
		return error;
	t->suite = r->suite;
	t->nodeid = name;
	t->is_key = r->is_key;
	t->min_us = t->max_us = -1;
	for (size_t i = 0; i < r->ndurs; i++) {
		if (t->min_us < 0 || r->durs[i] < t->min_us)
			t->min_us = r->durs[i];
		if (r->durs[i] > t->max_us)
			t->max_us = r->durs[i];
	}
	t->estimate_us = hist__median(r->durs, r->ndurs);
	t->before_us = r->nbefore >= HIST_STATS_REGRESSION_RUNS ? hist__median(r->before, r->nbefore) : -1;
	st->tests[st->count++] = *t;
	return HIST_OK;
}

static int on_row(void *payload, const hist__history_row *row)
{
	reader *r = payload;
	hist_stats_test *t = &r->cur;
	int error;

	if (!r->have || row->id_len != r->id.len || row->id_is_key != r->is_key ||
		memcmp(row->id, r->id.ptr, row->id_len) != 0) {
		if ((error = finish_test(r)) < 0)
			return error;
		hist__buf_clear(&r->id);
		if ((error = hist__buf_put(&r->id, row->id, row->id_len)) < 0)
			return error;
		r->is_key = row->id_is_key;
		r->have = 1;
		r->ndurs = r->nbefore = 0;
		memset(t, 0, sizeof *t);
		t->last_us = -1;
		t->last_seen = row->age;
	}
	/* Oldest run first: the last row seen is the newest. */
	t->runs++;
	t->last_seen = row->age;
	if (row->outcome == HIST_OUTCOME_FAILED || row->outcome == HIST_OUTCOME_ERROR)
		t->failed++;
	else if (row->outcome != HIST_OUTCOME_SKIPPED) {
		t->passed++;
		if (row->attempts > 1)
			t->rerun++;
	}
	/* A skip's duration says nothing about the test's. */
	if (row->outcome != HIST_OUTCOME_SKIPPED && row->duration_us >= 0 && r->ndurs < HIST__STORE_MAX_WINDOW) {
		r->durs[r->ndurs++] = row->duration_us;
		if (row->age == 0)
			t->last_us = row->duration_us;
		else
			r->before[r->nbefore++] = row->duration_us;
	}
	return HIST_OK;
}

static int read_suite(void *payload, const char *name)
{
	reader *r = payload;
	char *suite;
	int error;

	if ((error = keep_name(&suite, r->st, name, strlen(name))) < 0)
		return error;
	r->suite = suite;
	r->have = 0;
	return HIST_OK;
}

/* Suites first (their names go into st), then each one's window. */
typedef struct {
	hist_stats *st;
	size_t first, count;
} suite_list;

static int collect_suite(void *payload, const char *name)
{
	suite_list *l = payload;
	char *copy;
	int error;

	if ((error = keep_name(&copy, l->st, name, strlen(name))) < 0)
		return error;
	if (l->count == 0)
		l->first = l->st->nnames - 1;
	l->count++;
	return HIST_OK;
}

/* Total orders: equal figures fall back to suite, then id bytes. */
static int by_name(const hist_stats_test *a, const hist_stats_test *b)
{
	int c = strcmp(a->suite, b->suite);

	if (!c)
		c = strcmp(a->nodeid, b->nodeid);
	return c ? c : a->is_key - b->is_key;
}

#define DESC(x, y)                         \
	do {                                   \
		if ((x) != (y))                    \
			return (x) > (y) ? -1 : 1; \
	} while (0)

static int cmp_slowest(const void *pa, const void *pb)
{
	const hist_stats_test *a = *(const hist_stats_test *const *)pa, *b = *(const hist_stats_test *const *)pb;

	DESC(a->estimate_us, b->estimate_us);
	return by_name(a, b);
}

static int cmp_flaky(const void *pa, const void *pb)
{
	const hist_stats_test *a = *(const hist_stats_test *const *)pa, *b = *(const hist_stats_test *const *)pb;

	DESC(a->failed + a->rerun, b->failed + b->rerun);
	return by_name(a, b);
}

static int cmp_regression(const void *pa, const void *pb)
{
	const hist_stats_test *a = *(const hist_stats_test *const *)pa, *b = *(const hist_stats_test *const *)pb;

	DESC(a->last_us - a->before_us, b->last_us - b->before_us);
	return by_name(a, b);
}

static int cmp_unseen(const void *pa, const void *pb)
{
	const hist_stats_test *a = *(const hist_stats_test *const *)pa, *b = *(const hist_stats_test *const *)pb;

	DESC(a->last_seen, b->last_seen);
	return by_name(a, b);
}

static int cmp_file(const void *pa, const void *pb)
{
	const hist_stats_file *a = pa, *b = pb;
	int c;

	DESC(a->estimate_us, b->estimate_us);
	c = strcmp(a->suite, b->suite);
	return c ? c : strcmp(a->file, b->file);
}

static int in_list(const hist_stats_test *t, hist_stats_list list, unsigned int recent)
{
	switch (list) {
	case HIST_STATS_SLOWEST:
		return t->estimate_us >= 0;
	case HIST_STATS_FLAKY:
		return t->rerun > 0 || (t->passed > 0 && t->failed > 0);
	case HIST_STATS_REGRESSIONS:
		return t->last_us >= 0 && t->before_us >= 0 &&
		       t->last_us >= HIST_STATS_REGRESSION_RATIO * t->before_us &&
		       t->last_us - t->before_us >= HIST_STATS_REGRESSION_MIN_US;
	case HIST_STATS_UNSEEN:
		return t->last_seen >= recent;
	}
	return 0;
}

static int make_lists(hist_stats *st, unsigned int recent)
{
	static int (*const cmp[4])(const void *, const void *) = { cmp_slowest, cmp_flaky, cmp_regression,
		cmp_unseen };

	for (int l = 0; l < 4; l++) {
		size_t n = 0;
		if (st->count && !(st->lists[l] = hist__malloc(st->count * sizeof *st->lists[l])))
			return HIST_E_NOMEM;
		for (size_t i = 0; i < st->count; i++)
			if (in_list(&st->tests[i], (hist_stats_list)l, recent))
				st->lists[l][n++] = &st->tests[i];
		st->lens[l] = n;
		if (n > 1)
			qsort(st->lists[l], n, sizeof *st->lists[l], cmp[l]);
	}
	return HIST_OK;
}

/* Files from the nodeids (JUnit keys have none), summed in name order. */
static int make_files(hist_stats *st)
{
	const hist_stats_test **by = NULL;
	size_t n = 0;
	int error = HIST_OK;

	if (!st->count)
		return HIST_OK;
	if (!(by = hist__malloc(st->count * sizeof *by)) || !(st->files = hist__calloc(st->count, sizeof *st->files))) {
		hist__free(by);
		return HIST_E_NOMEM;
	}
	for (size_t i = 0; i < st->count; i++)
		if (!st->tests[i].is_key && st->tests[i].estimate_us >= 0)
			by[n++] = &st->tests[i];
	/* The tests are read in suite, then id order already. */
	for (size_t i = 0; i < n && error == HIST_OK; i++) {
		const char *id = by[i]->nodeid, *sep = strstr(id, "::");
		size_t len = sep ? (size_t)(sep - id) : strlen(id);
		hist_stats_file *f = st->nfiles ? &st->files[st->nfiles - 1] : NULL;
		char *name;

		if (f && f->suite == by[i]->suite && strlen(f->file) == len && memcmp(f->file, id, len) == 0) {
			f->tests++;
			f->estimate_us += by[i]->estimate_us;
			continue;
		}
		if ((error = keep_name(&name, st, id, len)) < 0)
			break;
		f = &st->files[st->nfiles++];
		f->suite = by[i]->suite;
		f->file = name;
		f->tests = 1;
		f->estimate_us = by[i]->estimate_us;
	}
	hist__free(by);
	if (error == HIST_OK && st->nfiles > 1)
		qsort(st->files, st->nfiles, sizeof *st->files, cmp_file);
	return error;
}

int hist_stats_create(hist_stats **out, hist_db *db, const hist_stats_options *opts)
{
	hist_stats_options defaults = HIST_STATS_OPTIONS_INIT;
	hist_stats *st = NULL;
	reader *r = NULL;
	suite_list suites = { NULL, 0, 0 };
	unsigned int window, recent;
	int error, began = 0;

	*out = NULL;
	if (!db)
		return HIST_E_INVALID;
	if (!opts)
		opts = &defaults;
	if (opts->version == 0 || opts->version > HIST_STATS_OPTIONS_VERSION)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "hist_stats_options version %u is not supported",
			opts->version);
	window = opts->window ? opts->window : DEFAULT_WINDOW;
	recent = opts->recent ? opts->recent : DEFAULT_RECENT;
	if (window > HIST__STORE_MAX_WINDOW)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "window of %u runs: at most %d", window,
			HIST__STORE_MAX_WINDOW);
	if (!(st = hist__calloc(1, sizeof *st)) || !(r = hist__calloc(1, sizeof *r))) {
		error = HIST_E_NOMEM;
		goto done;
	}
	suites.st = st;
	r->st = st;
	r->db = db;
	r->recent = recent;
	r->id = (hist__buf)HIST__BUF_INIT(0);
	/* One snapshot: a histmerge committing meanwhile changes nothing. */
	if ((error = hist__store_snapshot_begin(&began, db)) < 0 ||
		(error = hist__store_suites(db, opts->suite, collect_suite, &suites)) < 0)
		goto done;
	for (size_t i = 0; i < suites.count; i++) {
		if ((error = read_suite(r, st->names[suites.first + i])) < 0 ||
			(error = hist__store_each_result(db, r->suite, window, on_row, r)) < 0 ||
			(error = finish_test(r)) < 0)
			goto done;
	}
	if ((error = make_lists(st, recent)) < 0 || (error = make_files(st)) < 0)
		goto done;
	*out = st;
	st = NULL;
done:
	hist__store_snapshot_end(db, began);
	if (error == HIST_E_NOMEM)
		hist__error(hist__db_err(db), error, "%s", hist_strerror(error));
	if (r)
		hist__buf_free(&r->id);
	hist__free(r);
	hist_stats_free(st);
	return error;
}

void hist_stats_free(hist_stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nnames; i++)
		hist__free(st->names[i]);
	for (int l = 0; l < 4; l++)
		hist__free(st->lists[l]);
	hist__free(st->names);
	hist__free(st->tests);
	hist__free(st->files);
	hist__free(st);
}

size_t hist_stats_count(const hist_stats *st, hist_stats_list list)
{
	return st && (unsigned)list < 4 ? st->lens[list] : 0;
}

const hist_stats_test *hist_stats_get(const hist_stats *st, hist_stats_list list, size_t i)
{
	return st && (unsigned)list < 4 && i < st->lens[list] ? st->lists[list][i] : NULL;
}

size_t hist_stats_file_count(const hist_stats *st)
{
	return st ? st->nfiles : 0;
}

const hist_stats_file *hist_stats_file_get(const hist_stats *st, size_t i)
{
	return st && i < st->nfiles ? &st->files[i] : NULL;
}

static int cmp_export(const void *pa, const void *pb)
{
	const hist_stats_test *a = *(const hist_stats_test *const *)pa, *b = *(const hist_stats_test *const *)pb;
	int c = strcmp(a->nodeid, b->nodeid);

	return c ? c : strcmp(a->suite, b->suite);
}

/* A JSON string of a nodeid: quotes, backslashes and control bytes escaped. */
static int put_json_string(hist__buf *b, const char *s)
{
	int error = hist__buf_putc(b, '"');

	for (; *s && error == HIST_OK; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			error = hist__buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			error = hist__buf_printf(b, "\\u%04x", c);
		else
			error = hist__buf_putc(b, (char)c);
	}
	return error == HIST_OK ? hist__buf_putc(b, '"') : error;
}

int hist_stats_export_durations(const hist_stats *st, const char *path, hist_db *db)
{
	const hist_stats_test **by = NULL;
	hist__buf b = HIST__BUF_INIT(0);
	hist__atomic *f = NULL;
	size_t n = 0, written = 0;
	int error = HIST_OK;

	if (!st || !path || !db)
		return db ? hist__error(hist__db_err(db), HIST_E_INVALID, "no statistics or path") : HIST_E_INVALID;
	if (st->count && !(by = hist__malloc(st->count * sizeof *by)))
		return hist__error(hist__db_err(db), HIST_E_NOMEM, "%s", hist_strerror(HIST_E_NOMEM));
	for (size_t i = 0; i < st->count; i++)
		if (!st->tests[i].is_key && st->tests[i].estimate_us >= 0)
			by[n++] = &st->tests[i];
	if (n > 1)
		qsort(by, n, sizeof *by, cmp_export);
	error = hist__buf_putc(&b, '{');
	for (size_t i = 0; i < n && error == HIST_OK; i++) {
		/* The first suite by name speaks for a test in several. */
		if (i && strcmp(by[i]->nodeid, by[i - 1]->nodeid) == 0)
			continue;
		if ((error = hist__buf_puts(&b, written++ ? ",\n  " : "\n  ")) == HIST_OK &&
			(error = put_json_string(&b, by[i]->nodeid)) == HIST_OK)
			error = hist__buf_printf(&b, ": %lld.%06lld", (long long)(by[i]->estimate_us / 1000000),
				(long long)(by[i]->estimate_us % 1000000));
	}
	if (error == HIST_OK)
		error = hist__buf_puts(&b, written ? "\n}\n" : "}\n");
	if (error == HIST_OK && (error = hist__atomic_open(&f, path, hist__db_err(db))) == HIST_OK &&
		(error = hist__atomic_write(f, b.ptr, b.len)) == HIST_OK)
		error = hist__atomic_commit(&f);
	if (error == HIST_E_NOMEM)
		hist__error(hist__db_err(db), error, "%s", hist_strerror(error));
	hist__atomic_abort(f);
	hist__buf_free(&b);
	hist__free(by);
	return error;
}
