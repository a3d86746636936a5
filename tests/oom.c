/* oom.c - allocation failure at every k (make check-oom, under ASan with
 * LeakSanitizer). SQLite's allocator (SQLITE_CONFIG_MALLOC) and libxml2's
 * (xmlMemSetup) are routed through libhist's fault counter, which only a
 * test program may do: both settings are process-global. For an ingest of
 * two files, a merge of a schema 1 history and of a current one (its packs
 * read through the virtual table), a plan and a prune, the k-th allocation of the
 * operation fails, for every k (or every STRIDE-th, with an offset that
 * moves each run); each time the call fails with an error and a message,
 * or succeeds because the failure was absorbed, and the history then holds
 * exactly what it held before or exactly what a run without failures
 * gives. Leaks are LeakSanitizer's to report at exit.
 *
 * usage: oom FIXTURES SCRATCH [STRIDE [OFFSET [ONLY]]] (ONLY: walk only
 * the operations whose name holds it) */
#include <libxml/parser.h>
#include <libxml/xmlmemory.h>
#include <limits.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "hist.h"
#include "io.h"
#include "junit.h"
#include "store.h"

static const char *fixtures, *scratch;
static char last_msg[1024]; /* the failed call's message */
static long made;           /* allocations the last operation made */

/* Turns failures off, counting what the operation allocated. */
static void faults_off(void)
{
	made = hist__alloc_fail_at(-1);
}

/* ---- the routed allocators ------------------------------------------ */

static void *sq_malloc(int n)
{
	return hist__alloc_inject() ? NULL : malloc((size_t)n);
}

static void sq_free(void *p)
{
	free(p);
}

static void *sq_realloc(void *p, int n)
{
	return hist__alloc_inject() ? NULL : realloc(p, (size_t)n);
}

static int sq_size(void *p)
{
	return p ? (int)malloc_usable_size(p) : 0;
}

static int sq_roundup(int n)
{
	return (n + 7) & ~7;
}

static int sq_init(void *app)
{
	(void)app;
	return SQLITE_OK;
}

static void sq_shutdown(void *app)
{
	(void)app;
}

static void *xml_malloc(size_t n)
{
	return hist__alloc_inject() ? NULL : malloc(n);
}

static void *xml_realloc(void *p, size_t n)
{
	return hist__alloc_inject() ? NULL : realloc(p, n);
}

static char *xml_strdup(const char *s)
{
	return hist__alloc_inject() ? NULL : strdup(s);
}

/* libxml2 also tells stderr about some failures; the walk makes many. */
static void quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void route_allocators(void)
{
	static const sqlite3_mem_methods m = { sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init,
		sq_shutdown, NULL };

	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK ||
		xmlMemSetup(free, xml_malloc, xml_realloc, xml_strdup) != 0) {
		fprintf(stderr, "oom: cannot route the allocators\n");
		exit(2);
	}
	xmlSetGenericErrorFunc(NULL, quiet);
	/* Their one-time set-up happens here, with nothing failing. */
	sqlite3_initialize();
	xmlInitParser();
}

/* ---- the operations ----------------------------------------------- */

static char path_buf[4][512];

static const char *fx(int slot, const char *rel)
{
	snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", fixtures, rel);
	return path_buf[slot];
}

static const char *db_path(void)
{
	static char p[512];

	snprintf(p, sizeof p, "%s/oom.db", scratch);
	return p;
}

static void fail(const char *what, long k, const char *msg)
{
	fprintf(stderr, "oom: %s at k=%ld: %s\n", what, k, msg);
	exit(1);
}

static char *dump_db(hist_db *db)
{
	hist__buf b = HIST__BUF_INIT(0);

	if (hist__store_dump(&b, db) != HIST_OK)
		fail("dump", -1, hist_db_errmsg(db));
	return hist__buf_detach(&b);
}

static void remove_db(void)
{
	char p[600];

	unlink(db_path());
	snprintf(p, sizeof p, "%s-wal", db_path());
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db_path());
	unlink(p);
}

static void copy(const char *from, const char *to)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");

	if (!in || !out)
		fail("copy", -1, from);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			fail("copy", -1, to);
	fclose(in);
	if (fclose(out) != 0)
		fail("copy", -1, to);
}

/* The history every operation starts from: two runs, made once and
 * copied (closing folds the WAL into the one file). */
static hist_db *fresh_db(void)
{
	static char base[600];
	hist_db *db = NULL;
	hist_ingest_options o = HIST_INGEST_OPTIONS_INIT;
	hist_ingest_stats st;

	remove_db();
	if (base[0]) {
		copy(base, db_path());
		if (hist_db_open(&db, db_path(), NULL) != HIST_OK)
			fail("open", -1, hist_db_errmsg(db));
		return db;
	}
	if (hist_db_open(&db, db_path(), NULL) != HIST_OK)
		fail("open", -1, hist_db_errmsg(db));
	o.run_id = "base";
	if (hist_ingest_path(&st, db, fx(0, "jsonl/hist-sample.jsonl"), NULL, &o) != HIST_OK)
		fail("base ingest", -1, hist_db_errmsg(db));
	o.run_id = "base2";
	if (hist_ingest_path(&st, db, fx(0, "junit/pytest-xunit2.xml"), NULL, &o) != HIST_OK)
		fail("base ingest", -1, hist_db_errmsg(db));
	hist_db_free(db);
	snprintf(base, sizeof base, "%s/base.db", scratch);
	copy(db_path(), base);
	return fresh_db();
}

/* Each returns the call's code and leaves its output in *out (a dump of
 * the history, or the plan as JSON), made with failures off. */
typedef int (*operation)(hist_db *db, char **out);

static int ingest(hist_db *db, char **out, int both)
{
	hist_ingest_options o = HIST_INGEST_OPTIONS_INIT;
	hist_ingest_stats st;
	int error;

	o.run_id = "r1";
	error = hist_ingest_path(&st, db, fx(1, "junit/pytest-xunit1.xml"), NULL, &o);
	if (error == HIST_OK && both) {
		o.run_id = "r2";
		error = hist_ingest_path(&st, db, fx(1, "jsonl/pytest-reportlog-xdist.jsonl"), NULL, &o);
	}
	faults_off();
	snprintf(last_msg, sizeof last_msg, "%s", error ? hist_db_errmsg(db) : "");
	*out = dump_db(db);
	return error;
}

/* Two inputs, each its own transaction: after a failure in the second,
 * the history holds the first (what ingest_first gives). */
static int ingest_two(hist_db *db, char **out)
{
	return ingest(db, out, 1);
}

static int ingest_first(hist_db *db, char **out)
{
	return ingest(db, out, 0);
}

static int merge_v1(hist_db *db, char **out)
{
	hist_ingest_stats st;
	int error = hist_ingest_path(&st, db, fx(1, "db/v1.db"), NULL, NULL);

	faults_off();
	snprintf(last_msg, sizeof last_msg, "%s", error ? hist_db_errmsg(db) : "");
	*out = dump_db(db);
	return error;
}

/* A history of the current schema (results in packs, read through the
 * hist_results virtual table): made once in main with failures off. It
 * has a run the base lacks and adds to the base's run "base". */
static char current_db[600];

static void make_current_source(void)
{
	hist_db *db = NULL;
	hist_ingest_options o = HIST_INGEST_OPTIONS_INIT;
	hist_ingest_stats st;

	snprintf(current_db, sizeof current_db, "%s/current.db", scratch);
	unlink(current_db);
	if (hist_db_open(&db, current_db, NULL) != HIST_OK)
		fail("open", -1, hist_db_errmsg(db));
	o.run_id = "c1";
	if (hist_ingest_path(&st, db, fx(0, "junit/pytest-xunit1.xml"), NULL, &o) != HIST_OK)
		fail("current ingest", -1, hist_db_errmsg(db));
	o.run_id = "base";
	if (hist_ingest_path(&st, db, fx(0, "jsonl/pytest-reportlog-xdist.jsonl"), NULL, &o) != HIST_OK)
		fail("current ingest", -1, hist_db_errmsg(db));
	hist_db_free(db);
}

static int merge_current(hist_db *db, char **out)
{
	hist_ingest_stats st;
	int error = hist_ingest_path(&st, db, current_db, NULL, NULL);

	faults_off();
	snprintf(last_msg, sizeof last_msg, "%s", error ? hist_db_errmsg(db) : "");
	*out = dump_db(db);
	return error;
}

static int prune(hist_db *db, char **out)
{
	hist_prune_options po = HIST_PRUNE_OPTIONS_INIT;
	hist_prune_stats st;
	int error;

	po.keep_runs = 1;
	po.drop_unseen = 1;
	error = hist_db_prune(&st, db, &po);
	faults_off();
	snprintf(last_msg, sizeof last_msg, "%s", error ? hist_db_errmsg(db) : "");
	*out = dump_db(db);
	return error;
}

static int append(const char *data, size_t len, void *payload)
{
	return hist__buf_put(payload, data, len) < 0 ? HIST_E_NOMEM : HIST_OK;
}

static int plan(hist_db *db, char **out)
{
	static const char *const tests[] = { "tests/test_hist.py::test_a", "tests/test_hist.py::test_b",
		"tests/test_new.py::test_c[1]", "tests/test_new.py::test_c[2]" };
	hist_plan_options po = HIST_PLAN_OPTIONS_INIT;
	hist_plan *p = NULL;
	hist__buf b = HIST__BUF_INIT(0);
	int error;

	po.shards = 2;
	po.tests = tests;
	po.test_count = sizeof tests / sizeof *tests;
	error = hist_plan_create(&p, db, &po);
	snprintf(last_msg, sizeof last_msg, "%s", error ? hist_db_errmsg(db) : "");
	/* hist_plan_json says why by its code alone (hist.h). */
	if (error == HIST_OK && (error = hist_plan_json(p, append, &b)) != HIST_OK)
		snprintf(last_msg, sizeof last_msg, "%s", hist_strerror(error));
	faults_off();
	if (error == HIST_OK && !hist_plan_id(p)[0])
		fail("plan", -1, "no plan id");
	hist_plan_free(p);
	/* The history too must be as it was: a plan only reads. */
	if (error == HIST_OK) {
		char *d = dump_db(db);

		hist__buf_put(&b, d, strlen(d));
		hist__free(d);
	} else {
		hist__buf_free(&b);
		b = (hist__buf)HIST__BUF_INIT(0);
		*out = dump_db(db);
		return error;
	}
	*out = hist__buf_detach(&b);
	return error;
}

/* ---- the walk ------------------------------------------------------ */

/* mid, when not NULL, gives a state a failure may also leave (the work
 * done before the failing step, committed on its own). */
static const char *only;

static long walk(const char *name, operation op, operation mid, long stride, long offset)
{
	hist_db *db;
	char *before, *after_ok, *got, *between = NULL;
	long total, k, tried = 0, failed = 0, absorbed = 0;

	if (only && !strstr(name, only))
		return 0;
	db = fresh_db();
	before = dump_db(db);

	if (mid) {
		mid(db, &between);
		hist_db_free(db);
		db = fresh_db();
	}

	/* The run without failures: what success looks like, and how many
	 * allocations it makes. */
	hist__alloc_fail_at(LONG_MAX);
	if (op(db, &after_ok) != HIST_OK)
		fail(name, -1, hist_db_errmsg(db));
	hist_db_free(db);
	db = fresh_db();
	hist__free(before);
	before = dump_db(db);
	hist__alloc_fail_at(LONG_MAX);
	op(db, &got);
	total = made;
	hist__free(got);
	hist_db_free(db);
	for (k = offset % stride; k < total; k += stride) {
		int error;

		db = fresh_db();
		hist__alloc_fail_at(k);
		error = op(db, &got);
		tried++;
		if (error == HIST_OK) {
			absorbed++;
			if (strcmp(got, after_ok) != 0) {
				fprintf(stderr, "--- want\n%s--- got\n%s", after_ok, got);
				fail(name, k, "succeeded with a different result");
			}
		} else {
			failed++;
			if (!last_msg[0]) {
				fprintf(stderr, "oom: error %d (%s)\n", error, hist_strerror(error));
				fail(name, k, "an error without a message");
			}
			if (strcmp(got, before) != 0 && strcmp(got, after_ok) != 0 &&
				(!between || strcmp(got, between) != 0))
				fail(name, k, "the history is neither as before nor as after");
		}
		hist__free(got);
		hist_db_free(db);
	}
	fflush(stdout);
	printf("oom: %s: %ld allocations, %ld failed at (stride %ld): %ld errors, %ld absorbed\n", name, total,
		tried, stride, failed, absorbed);
	fflush(stdout);
	hist__free(before);
	hist__free(after_ok);
	hist__free(between);
	return tried;
}

/* ---- the JUnit parse alone, every k ----------------------------------- */

/* What the parser handed over, kept with plain snprintf: the sink's own
 * allocations must not fail (its failures are its own to report). */
typedef struct {
	char text[1 << 16];
	size_t len;
} kept;

static int keep(kept *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int keep(kept *k, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(k->text + k->len, sizeof k->text - k->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof k->text - k->len)
		fail("parse", -1, "the records do not fit");
	k->len += (size_t)n;
	return HIST_OK;
}

static int keep_record(void *ctx, const hist__record *r)
{
	return keep(ctx, "%s|%d|%d|%lld|%u\n", r->id, r->id_is_key, (int)r->outcome, (long long)r->duration_us,
		r->attempts);
}

static int keep_session(void *ctx, const hist__session *ses)
{
	return keep(ctx, "session %lld %lld\n", (long long)ses->start_us, (long long)ses->wall_us);
}

/* Cheap enough for every k in make check: libxml2 once went on with an
 * attribute value cut short when one of its allocations failed. */
static void walk_parse(const char *rel)
{
	static kept want, got;
	long total = 0, errors = 0;

	for (long k = -1; k < total; k++) {
		kept *out = k < 0 ? &want : &got;
		hist__sink sink = { keep_record, keep_session, out, NULL };
		hist__err e = HIST__ERR_INIT;
		hist__input *in = NULL;
		int error;

		out->len = 0;
		out->text[0] = '\0';
		hist__alloc_fail_at(k < 0 ? LONG_MAX : k);
		if ((error = hist__input_open(&in, fx(1, rel), rel, &e)) == HIST_OK)
			error = hist__junit_parse(in, &sink, &e);
		faults_off();
		if (k < 0) {
			if (error != HIST_OK)
				fail("parse", k, hist__err_msg(&e));
			total = made;
		} else if (error == HIST_OK ? strcmp(got.text, want.text) != 0
					    : error != HIST_E_NOMEM || !hist__err_msg(&e)[0]) {
			fprintf(stderr, "oom: parse: error %d; got:\n%s", error, got.text);
			fail("parse", k, error == HIST_OK ? "succeeded with other records" : hist__err_msg(&e));
		}
		errors += k >= 0 && error != HIST_OK;
		hist__input_free(in);
		hist__err_clear(&e);
	}
	printf("oom: parse of %s: %ld allocations, every one failed: %ld errors, %ld absorbed\n", rel, total, errors,
		total - errors);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long stride, offset;

	if (argc < 3) {
		fprintf(stderr, "usage: oom FIXTURES SCRATCH [STRIDE [OFFSET [ONLY]]]\n");
		return 2;
	}
	fixtures = argv[1];
	scratch = argv[2];
	stride = argc > 3 ? atol(argv[3]) : 1;
	offset = argc > 4 ? atol(argv[4]) : 0;
	only = argc > 5 ? argv[5] : NULL;
	if (stride < 1)
		stride = 1;
	route_allocators();
	if (!only || strstr("parse", only))
		walk_parse("junit/pytest-xunit1.xml");
	walk("ingest of a JUnit and a reportlog file", ingest_two, ingest_first, stride, offset);
	walk("merge of a v1 history", merge_v1, NULL, stride, offset);
	make_current_source();
	walk("merge of a current history", merge_current, NULL, stride, offset);
	walk("plan", plan, NULL, stride, offset);
	walk("prune", prune, NULL, stride, offset);
	remove_db();
	snprintf(path_buf[0], sizeof path_buf[0], "%s/base.db", scratch);
	unlink(path_buf[0]);
	unlink(current_db);
	xmlCleanupParser();
	sqlite3_shutdown();
	return 0;
}
