/* check_ingest.c - one input, one transaction: format detection, counts,
 * idempotence, hostile inputs that must leave the history as it was,
 * allocation failures, and walking directories. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <zlib.h>

#include "alloc.h"
#include "buf.h"
#include "check_util.h"
#include "store.h"

static hist_ingest_options opts(const char *run_id)
{
	hist_ingest_options o = HIST_INGEST_OPTIONS_INIT;

	o.run_id = run_id;
	o.fallback_start_us = 1700000000000000;
	return o;
}

static hist_ingest_stats ingest_ok(hist_db *db, const char *path, const char *run_id)
{
	hist_ingest_options o = opts(run_id);
	hist_ingest_stats st;
	int error = hist_ingest_path(&st, db, path, NULL, &o);

	ck_assert_msg(error == HIST_OK, "%s: %s", path, hist_db_errmsg(db));
	return st;
}

START_TEST(ingest_junit_then_again_adds_nothing)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_stats st = ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r1");
	hist_counts c;
	char *d;

	ck_assert_int_eq(st.format, HIST_FORMAT_JUNIT);
	ck_assert_int_eq(st.tests, 23);
	ck_assert_int_eq(st.added, 23);
	ck_assert_int_eq(st.duplicates, 0);
	ck_assert_int_eq(st.already_seen, 0);
	d = dump(db);
	/* The run starts at the suite's timestamp, not the fallback. */
	ck_assert_ptr_nonnull(strstr(d, "run|default|r1|1795559345249048\n"));
	ck_assert_ptr_nonnull(strstr(d, "result|default|r1|tests/test_basic.py::test_b|0|2|1251000|NULL|1\n"));
	/* The input remembers the session's wall time and its test total. */
	ck_assert_ptr_nonnull(strstr(d, "|default|r1|1688000|NULL|NULL|NULL|NULL|NULL|23|1653000|NULL\n"));

	st = ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r2");
	ck_assert_int_eq(st.already_seen, 1);
	ck_assert_int_eq(st.tests, 23);
	ck_assert_int_eq(st.added, 0);
	ck_assert_int_eq(st.duplicates, 23);
	ck_assert_int_eq(hist_db_counts(&c, db, NULL), HIST_OK);
	ck_assert_int_eq(c.runs, 1);
	ck_assert_int_eq(c.results, 23);
	free(d);
	hist_db_free(db);
}
END_TEST

START_TEST(ingest_gzip_and_stdin_read_alike)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("r1");
	hist_ingest_stats st;
	int saved = dup(0), fd;
	char cmd[16384];

	snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", fixture("junit/pytest-xunit2.xml"), scratch_path(1, "x2.xml.gz"));
	ck_assert_int_eq(system(cmd), 0);
	st = ingest_ok(db, scratch_path(1, "x2.xml.gz"), "r1");
	ck_assert_int_eq(st.added, 23);
	/* The same bytes on stdin: the content hash says it was seen. */
	fd = open(fixture("junit/pytest-xunit2.xml"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 0);
	close(fd);
	ck_assert_int_eq(hist_ingest_path(&st, db, "-", "<stdin>", &o), HIST_OK);
	dup2(saved, 0);
	close(saved);
	ck_assert_int_eq(st.already_seen, 1);
	ck_assert_int_eq(st.duplicates, 23);
	hist_db_free(db);
}
END_TEST

/* A file seen before is known by its bytes before any parsing: even while
 * another writer holds the database, which a parse would wait for. */
START_TEST(ingest_knows_a_seen_file_without_the_write_lock)
{
	hist_db_options quick = HIST_DB_OPTIONS_INIT;
	hist_ingest_options o = opts("r2");
	hist_db *db, *other = NULL;
	hist_ingest_stats st;
	char cmd[16384];
	int64_t run;

	quick.busy_timeout_ms = 50;
	snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", fixture("junit/pytest-xunit2.xml"), scratch_path(1, "x2.xml.gz"));
	ck_assert_int_eq(system(cmd), 0);
	db = NULL;
	ck_assert_int_eq(hist_db_open(&db, scratch_path(0, "h.db"), &quick), HIST_OK);
	ingest_ok(db, scratch_path(1, "x2.xml.gz"), "r1");
	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r1");
	ck_assert_int_eq(hist_db_open(&other, scratch_path(0, "h.db"), NULL), HIST_OK);
	ck_assert_int_eq(hist__store_begin(other), HIST_OK);
	ck_assert_int_eq(hist__store_run(&run, other, "default", "elsewhere", 1), HIST_OK);
	/* The same gzip file, the same plain file: seen, no lock needed. */
	st = ingest_ok(db, scratch_path(1, "x2.xml.gz"), "r2");
	ck_assert_int_eq(st.already_seen, 1);
	ck_assert_int_eq(st.format, HIST_FORMAT_JUNIT);
	ck_assert_int_eq(st.tests, 23);
	ck_assert_int_eq(st.duplicates, 23);
	ck_assert_int_eq(st.added, 0);
	st = ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r2");
	ck_assert_int_eq(st.already_seen, 1);
	ck_assert_int_eq(st.tests, 23);
	/* New content must wait for the lock, and gives up after 50 ms. */
	ck_assert_int_eq(hist_ingest_path(&st, db, fixture("junit/nested-suites.xml"), NULL, &o), HIST_E_DB);
	hist__store_rollback(other);
	hist_db_free(other);
	hist_db_free(db);
}
END_TEST

START_TEST(ingest_run_start_is_the_earliest)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	const char *later = "<testsuite timestamp=\"2026-11-24T23:00:00\"><testcase classname=\"a\" name=\"t\" time=\"1\"/>"
			    "</testsuite>\n";
	const char *none = "<testsuite><testcase classname=\"a\" name=\"u\" time=\"2\"/></testsuite>\n";
	char *d;

	write_file(scratch_path(1, "later.xml"), later, strlen(later));
	write_file(scratch_path(2, "none.xml"), none, strlen(none));
	ingest_ok(db, scratch_path(2, "none.xml"), "r");
	d = dump(db);
	ck_assert_ptr_nonnull(strstr(d, "run|default|r|1700000000000000\n"));
	free(d);
	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r");
	ingest_ok(db, scratch_path(1, "later.xml"), "r");
	d = dump(db);
	ck_assert_ptr_nonnull(strstr(d, "run|default|r|1700000000000000\n"));
	free(d);
	hist_db_free(db);

	/* Another order, another file: the same run start. */
	db = open_ok(scratch_path(0, "h2.db"));
	ingest_ok(db, scratch_path(1, "later.xml"), "r");
	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r");
	d = dump(db);
	ck_assert_ptr_nonnull(strstr(d, "run|default|r|1795559345249048\n"));
	free(d);
	hist_db_free(db);
}
END_TEST

/* Every hostile or broken input is refused with its name and, where the
 * parser knows it, a line; the history is byte for byte what it was. */
START_TEST(ingest_bad_inputs_change_nothing)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("bad");
	DIR *d = opendir(fixture("bad"));
	char *before, *after, secret[256] = "";
	struct dirent *e;
	FILE *f;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "good");
	before = dump(db);
	f = fopen(fixture("secret/secret.txt"), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(secret, sizeof secret, f));
	fclose(f);
	secret[strcspn(secret, "\n")] = '\0';
	ck_assert_uint_gt(strlen(secret), 8);
	while ((e = readdir(d))) {
		char path[8192];
		hist_ingest_stats st;
		int error;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s", fixture("bad"));
		snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", e->d_name);
		error = hist_ingest_path(&st, db, path, NULL, &o);
		ck_assert_msg(error < 0, "%s was accepted", path);
		ck_assert_msg(strncmp(hist_db_errmsg(db), path, strlen(path)) == 0, "%s: message '%s'", path,
			hist_db_errmsg(db));
		ck_assert_ptr_null(strstr(hist_db_errmsg(db), secret));
		ck_assert_int_eq(st.tests, 0);
		ck_assert_int_eq(st.added, 0);
		ck_assert_int_eq(hist__store_check(db), HIST_OK);
		after = dump(db);
		ck_assert_msg(strcmp(before, after) == 0, "%s changed the history", path);
		ck_assert_ptr_null(strstr(after, secret));
		free(after);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 10);
	free(before);
	hist_db_free(db);
}
END_TEST

START_TEST(ingest_names_what_it_cannot_take)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("r");
	hist_ingest_stats st;
	char cmd[16384];
	int saved, fd;

	write_file(scratch_path(1, "blank.xml"), "\xef\xbb\xbf \n\t\r\n", 7);
	ck_assert_int_eq(hist_ingest_path(&st, db, scratch_path(1, "blank.xml"), "blank.xml", &o), HIST_E_PARSE);
	ck_assert_str_eq(hist_db_errmsg(db), "blank.xml: empty file");
	write_file(scratch_path(1, "x.bin"), "\x00\x01\x02", 3);
	ck_assert_int_eq(hist_ingest_path(&st, db, scratch_path(1, "x.bin"), "x.bin", &o), HIST_E_FORMAT);
	ck_assert_str_eq(hist_db_errmsg(db), "x.bin: unknown format (not JUnit XML, a JSON report or a hist database)");
	ck_assert_int_eq(hist_ingest_path(&st, db, scratch_path(1, "missing.xml"), "missing.xml", &o), HIST_E_IO);
	ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), "missing.xml"));

	/* A database needs a path SQLite can open: not stdin, not gzip. */
	snprintf(cmd, sizeof cmd, "cp '%s' '%s' && gzip -k '%s'", fixture("db/v1.db"), scratch_path(1, "v1.db"), scratch_path(2, "v1.db"));
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(hist_ingest_path(&st, db, scratch_path(1, "v1.db.gz"), "v1.db.gz", &o), HIST_E_FORMAT);
	ck_assert_str_eq(hist_db_errmsg(db), "v1.db.gz: a compressed history database; decompress it first");
	saved = dup(0);
	fd = open(scratch_path(1, "v1.db"), O_RDONLY);
	dup2(fd, 0);
	close(fd);
	ck_assert_int_eq(hist_ingest_path(&st, db, "-", "<stdin>", &o), HIST_E_FORMAT);
	dup2(saved, 0);
	close(saved);
	ck_assert_str_eq(hist_db_errmsg(db), "<stdin>: a history database cannot be read from stdin; give its path");

	/* Results need a run; options from a newer header are refused. */
	o.run_id = NULL;
	ck_assert_int_eq(hist_ingest_path(&st, db, fixture("junit/pytest-xunit1.xml"), "x1.xml", &o), HIST_E_INVALID);
	ck_assert_str_eq(hist_db_errmsg(db), "x1.xml: no run id for its results");
	o.version = HIST_INGEST_OPTIONS_VERSION + 1;
	ck_assert_int_eq(hist_ingest_path(&st, db, fixture("junit/pytest-xunit1.xml"), NULL, &o), HIST_E_INVALID);
	hist_db_free(db);
}
END_TEST

/* hist_db_has_results says what hist_db_counts' results > 0 says, for
 * each suite and all: before any input, after a run without results, and
 * with results in one suite of two. */
static void has_results_as_counts(hist_db *db, const char *const *suites, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hist_counts c;
		int any = -1;

		ck_assert_int_eq(hist_db_counts(&c, db, suites[i]), HIST_OK);
		ck_assert_int_eq(hist_db_has_results(&any, db, suites[i]), HIST_OK);
		ck_assert_msg(any == (c.results > 0), "suite %s: has %d, %lld results", suites[i] ? suites[i] : "(all)",
		              any, (long long)c.results);
	}
}

START_TEST(has_results_agrees_with_the_counts)
{
	static const char *const suites[] = {NULL, "default", "integration", "none"};
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("empty");
	hist_ingest_stats st;
	const char *empty = scratch_path(1, "empty.xml");
	FILE *f = fopen(empty, "w");
	hist_counts c;
	int any = -1;

	has_results_as_counts(db, suites, 4);
	ck_assert_int_eq(hist_db_has_results(&any, db, NULL), HIST_OK);
	ck_assert_int_eq(any, 0);
	ck_assert_ptr_nonnull(f);
	fputs("<testsuite name=\"s\" tests=\"0\"></testsuite>\n", f);
	fclose(f);
	o.suite = "integration";
	ck_assert_int_eq(hist_ingest_path(&st, db, empty, NULL, &o), HIST_OK);
	ck_assert_int_eq(hist_db_counts(&c, db, "integration"), HIST_OK);
	ck_assert_int_eq(c.runs, 1);
	ck_assert_int_eq(c.results, 0);
	has_results_as_counts(db, suites, 4);
	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r1");
	has_results_as_counts(db, suites, 4);
	ck_assert_int_eq(hist_db_has_results(&any, db, "default"), HIST_OK);
	ck_assert_int_eq(any, 1);
	ck_assert_int_eq(hist_db_has_results(&any, db, "integration"), HIST_OK);
	ck_assert_int_eq(any, 0);
	hist_db_free(db);
}
END_TEST

START_TEST(ingest_merges_a_database_input)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_stats st = ingest_ok(db, fixture("db/v1.db"), "ignored");
	hist_counts c;
	char *d;

	ck_assert_int_eq(st.format, HIST_FORMAT_DATABASE);
	ck_assert_int_eq(st.tests, 5);
	ck_assert_int_eq(st.added, 5);
	st = ingest_ok(db, fixture("db/v1.db"), "ignored");
	ck_assert_int_eq(st.added, 0);
	ck_assert_int_eq(st.duplicates, 5);
	/* It keeps its own runs and suites. */
	ck_assert_int_eq(hist_db_counts(&c, db, "integration"), HIST_OK);
	ck_assert_int_eq(c.runs, 1);
	ck_assert_int_eq(c.results, 1);
	d = dump(db);
	ck_assert_ptr_null(strstr(d, "ignored"));
	ck_assert_ptr_nonnull(strstr(d, "run|default|gh-101-1|1764000000000000\n"));
	free(d);
	hist_db_free(db);
}
END_TEST

/* The session record's start-up is stored with its input and travels
 * with it when the history is merged into another. */
START_TEST(ingest_keeps_the_session_startup)
{
	char *path = strdup(scratch_path(0, "h.db"));
	hist_db *db = open_ok(path), *other = open_ok(scratch_path(0, "o.db"));
	const char *line = "|default|r1|12500000|1234000|2|3f2a9c01|3|4|8|";
	char *d;

	ingest_ok(db, fixture("jsonl/hist-sample.jsonl"), "r1");
	d = dump(db);
	ck_assert_ptr_nonnull(strstr(d, line));
	ck_assert_ptr_nonnull(strstr(strstr(d, line), "|750000\n"));
	free(d);
	hist_db_free(db);
	ingest_ok(other, path, "ignored");
	d = dump(other);
	ck_assert_ptr_nonnull(strstr(strstr(d, line), "|750000\n"));
	free(d);
	hist_db_free(other);
	free(path);
}
END_TEST

/* A JUnit file of n testcases (several batches: the store thread writes
 * while the parser reads), testcase i on line i + 2; cut > 0 ends it in
 * the middle of testcase cut. */
static void write_big_junit(const char *path, int n, int cut)
{
	hist__buf b = HIST__BUF_INIT(0);
	char mark[32];
	const char *at;

	ck_assert_int_eq(hist__buf_puts(&b, "<testsuite timestamp=\"2026-11-24T10:00:00\">\n"), HIST_OK);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(hist__buf_printf(&b, "<testcase classname=\"tests.m%d\" name=\"test_%d\" time=\"0.%03d\"/>\n",
					 i / 50, i, i % 1000),
			HIST_OK);
	ck_assert_int_eq(hist__buf_puts(&b, "</testsuite>\n"), HIST_OK);
	snprintf(mark, sizeof mark, "name=\"test_%d\"", cut);
	ck_assert_ptr_nonnull(at = strstr(hist__buf_cstr(&b), mark));
	write_file(path, hist__buf_cstr(&b), cut ? (size_t)(at + 8 - b.ptr) : b.len);
	hist__buf_free(&b);
}

/* Progress goes to the callback, every 4096 records, with the bytes read
 * so far: the library itself never prints. */
static struct {
	int calls;
	uint64_t last;
	int rising;
	char name[32];
} seen_progress;

static void record_progress(const char *name, uint64_t bytes, void *payload)
{
	ck_assert_ptr_eq(payload, &seen_progress);
	if (seen_progress.calls++ && bytes < seen_progress.last)
		seen_progress.rising = 0;
	seen_progress.last = bytes;
	snprintf(seen_progress.name, sizeof seen_progress.name, "%s", name);
}

START_TEST(ingest_reports_progress_to_its_callback)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("r1");
	hist_ingest_stats st;
	struct stat sb;

	write_big_junit(scratch_path(1, "big.xml"), 10000, 0);
	memset(&seen_progress, 0, sizeof seen_progress);
	seen_progress.rising = 1;
	o.progress = record_progress;
	o.payload = &seen_progress;
	ck_assert_int_eq(hist_ingest_path(&st, db, scratch_path(1, "big.xml"), "big.xml", &o), HIST_OK);
	ck_assert_int_eq(st.tests, 10000);
	ck_assert_int_eq(seen_progress.calls, 10000 / 4096);
	ck_assert(seen_progress.rising);
	ck_assert_str_eq(seen_progress.name, "big.xml");
	ck_assert_int_eq(stat(scratch_path(1, "big.xml"), &sb), 0);
	ck_assert_uint_gt(seen_progress.last, 0);
	ck_assert_uint_le(seen_progress.last, (uint64_t)sb.st_size);
	hist_db_free(db);
}
END_TEST

START_TEST(ingest_large_input_is_one_transaction)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("r2");
	hist_ingest_stats st;
	hist_counts c;
	char *before, *after, want[64];

	write_big_junit(scratch_path(1, "big.xml"), 5000, 0);
	st = ingest_ok(db, scratch_path(1, "big.xml"), "r1");
	ck_assert_int_eq(st.tests, 5000);
	ck_assert_int_eq(st.added, 5000);
	ck_assert_int_eq(hist_db_counts(&c, db, NULL), HIST_OK);
	ck_assert_int_eq(c.tests, 5000);
	ck_assert_int_eq(c.results, 5000);
	before = dump(db);
	ck_assert_ptr_nonnull(strstr(before, "result|default|r1|tests.m99::test_4999|1|2|999000|NULL|1\n"));
	/* Cut inside testcase 4500: the parser fails after the store thread
	 * wrote four batches, and all of it goes. */
	write_big_junit(scratch_path(1, "cut.xml"), 5000, 4500);
	ck_assert_int_eq(hist_ingest_path(&st, db, scratch_path(1, "cut.xml"), "cut.xml", &o), HIST_E_PARSE);
	snprintf(want, sizeof want, "cut.xml:%d: ", 4500 + 2);
	ck_assert_msg(strncmp(hist_db_errmsg(db), want, strlen(want)) == 0, "%s", hist_db_errmsg(db));
	ck_assert_int_eq(st.tests, 0);
	after = dump(db);
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	free(before);
	hist_db_free(db);
}
END_TEST

/* A .jsonl.gz cut short (a broken CI artifact) after the store thread had
 * taken batches of it: the file is rejected naming the line the data
 * breaks off in, and nothing of it is stored; the history is as it was. */
START_TEST(ingest_truncated_gzip_stores_nothing)
{
	hist_db *db = open_ok(scratch_path(0, "h.db"));
	hist_ingest_options o = opts("r2");
	hist_ingest_stats st;
	const char *cut = scratch_path(1, "cut.jsonl.gz");
	hist__buf b = HIST__BUF_INIT(0);
	struct stat sb;
	char *before, *after;
	const char *msg;
	unsigned long at;
	gzFile g;

	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "r1");
	before = dump(db);
	for (int i = 0; i < 6000; i++)
		ck_assert_int_eq(hist__buf_printf(&b, "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"tests/m%d.py::test_%d\", "
					 "\"attempt\": 1, \"outcome\": \"passed\", \"setup\": 0.0, \"call\": 0.%03d, "
					 "\"teardown\": 0.0, \"worker\": \"master\", \"start\": 1764000000.0}\n",
					 i / 50, i, i % 1000),
			HIST_OK);
	/* Compressed whole, then cut at four fifths: past several batches. */
	ck_assert_ptr_nonnull(g = gzopen(cut, "wb"));
	ck_assert_int_eq(gzwrite(g, b.ptr, (unsigned)b.len), (int)b.len);
	ck_assert_int_eq(gzclose(g), Z_OK);
	ck_assert_int_eq(stat(cut, &sb), 0);
	ck_assert_int_eq(truncate(cut, sb.st_size * 4 / 5), 0);
	ck_assert_int_eq(hist_ingest_path(&st, db, cut, "cut.jsonl.gz", &o), HIST_E_PARSE);
	msg = hist_db_errmsg(db);
	ck_assert_msg(sscanf(msg, "cut.jsonl.gz:%lu: ", &at) == 1 && at > 3000 && at < 6000, "%s", msg);
	ck_assert_ptr_nonnull(strstr(msg, ": truncated gzip stream: the data breaks off inside line "));
	ck_assert_int_eq(st.tests, 0);
	after = dump(db);
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	free(after);
	free(before);
	hist__buf_free(&b);
	hist_db_free(db);
}
END_TEST

/* libxml2 allocates through alloc.c too (no size header needed, so
 * blocks from before the switch still free correctly). */
static char *xml_strdup(const char *s)
{
	return hist__strdup(s);
}

/* libxml2 2.9 also reports some allocation failures (before junit.c's
 * handler is installed) through its generic handler, which prints. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void allocations_through_alloc_c(int on, int libxml)
{
	static xmlFreeFunc f;
	static xmlMallocFunc m;
	static xmlReallocFunc r;
	static xmlStrdupFunc d;

	if (libxml)
		xmlSetGenericErrorFunc(NULL, on ? quiet : NULL);
	if (libxml && on) {
		ck_assert_int_eq(xmlMemGet(&f, &m, &r, &d), 0);
		ck_assert_int_eq(xmlMemSetup(hist__free, hist__malloc, hist__realloc, xml_strdup), 0);
	} else if (libxml) {
		ck_assert_int_eq(xmlMemSetup(f, m, r, d), 0);
	}
	ck_assert_int_eq(hist__store_test_malloc(on), HIST_OK);
}

/* Raise the failing allocation from the first until ingest succeeds:
 * every failure must be clean (HIST_E_NOMEM, the history unchanged,
 * nothing leaked - the ASan build checks that), and success must come.
 * libxml2's allocations join when libxml is set: it reports its own
 * failures as errors of the document, which junit.c turns back into
 * HIST_E_NOMEM. */
static void ingest_under_failures(const char *fixture_path, int libxml, long stride)
{
	char *input = strdup(fixture_path); /* fixture() reuses its buffer */
	hist_db *db;
	hist_ingest_options o = opts("r");
	char *before;
	long k, total = 0;

	allocations_through_alloc_c(1, libxml);
	db = open_ok(scratch_path(0, "h.db"));
	ingest_ok(db, fixture("junit/pytest-xunit1.xml"), "first");
	before = dump(db);
	if (stride) {
		/* How many allocations a clean ingest makes, on a copy. */
		hist_db_free(db);
		copy_file(scratch_path(0, "h.db"), scratch_path(1, "pristine.db"));
		copy_file(scratch_path(0, "h.db"), scratch_path(2, "count.db"));
		db = open_ok(scratch_path(2, "count.db"));
		hist__alloc_fail_at(LONG_MAX);
		ingest_ok(db, input, "r");
		total = hist__alloc_fail_at(-1);
		hist_db_free(db);
		db = open_ok(scratch_path(0, "h.db"));
	}
	/* stride > 0 skips ahead (k/stride more each time) through inputs
	 * that make too many allocations to fail each, and goes on past a
	 * failure SQLite shrugs off (a cache page) to the last allocation. */
	for (k = 0;; k += 1 + (stride ? k / stride : 0)) {
		hist_ingest_stats st;
		int error;
		char *after;

		hist__alloc_fail_at(k);
		error = hist_ingest_path(&st, db, input, "in", &o);
		hist__alloc_fail_at(-1);
		if (error == HIST_OK && (!stride || k >= total))
			break;
		if (error == HIST_OK) {
			hist_db_free(db);
			copy_file(scratch_path(1, "pristine.db"), scratch_path(0, "h.db"));
			db = open_ok(scratch_path(0, "h.db"));
			continue;
		}
		ck_assert_msg(error == HIST_E_NOMEM, "k=%ld: %s (%d)", k, hist_db_errmsg(db), error);
		after = dump(db);
		ck_assert_msg(strcmp(before, after) == 0, "k=%ld changed the history", k);
		free(after);
		ck_assert_int_lt(k, 100000);
	}
	ck_assert_int_gt(k, 20);
	ck_assert_int_eq(hist__store_check(db), HIST_OK);
	free(before);
	free(input);
	hist_db_free(db);
	allocations_through_alloc_c(0, libxml);
}

START_TEST(ingest_survives_every_allocation_failure)
{
	ingest_under_failures(fixture("junit/pytest-xunit2.xml"), 0, 0);
	ingest_under_failures(fixture("db/v1.db"), 0, 0);
	ingest_under_failures(fixture("junit/nested-suites.xml"), 1, 0);
	/* Failures on the store thread, while the parser runs ahead. */
	write_big_junit(scratch_path(1, "big.xml"), 5000, 0);
	ingest_under_failures(scratch_path(1, "big.xml"), 0, 16);
	ingest_under_failures(scratch_path(1, "big.xml"), 1, 16);
}
END_TEST

typedef struct {
	hist__buf seen;
	int stop_at;
	int calls;
} walked;

static int on_file(const char *file, void *payload)
{
	walked *w = payload;

	ck_assert_int_eq(hist__buf_printf(&w->seen, "%s\n", file + strlen(scratch_dir())), HIST_OK);
	return ++w->calls == w->stop_at ? 7 : 0;
}

static void on_error(const char *file, const char *message, void *payload)
{
	walked *w = payload;

	ck_assert_int_eq(hist__buf_printf(&w->seen, "! %s: %s\n", file + strlen(scratch_dir()), message), HIST_OK);
}

START_TEST(walk_is_sorted_recursive_and_skips_dir_links)
{
	walked w = { HIST__BUF_INIT(0), 0, 0 };
	char path[8192];

	ck_assert_int_eq(mkdir(scratch_path(0, "in"), 0755), 0);
	ck_assert_int_eq(mkdir(scratch_path(0, "in/sub"), 0755), 0);
	ck_assert_int_eq(mkdir(scratch_path(0, "in/Sub2"), 0755), 0);
	write_file(scratch_path(0, "in/b.xml"), "x", 1);
	write_file(scratch_path(0, "in/a.xml"), "x", 1);
	write_file(scratch_path(0, "in/B.xml"), "x", 1);
	write_file(scratch_path(0, "in/.test_durations"), "x", 1);
	write_file(scratch_path(0, "in/sub/z.xml"), "x", 1);
	write_file(scratch_path(0, "in/Sub2/y.xml"), "x", 1);
	ck_assert_int_eq(symlink("sub", scratch_path(0, "in/link-to-dir")), 0);
	ck_assert_int_eq(symlink("a.xml", scratch_path(0, "in/link-to-file")), 0);
	ck_assert_int_eq(symlink("nowhere", scratch_path(0, "in/dangling")), 0);
	ck_assert_int_eq(mkfifo(scratch_path(0, "in/fifo"), 0644), 0);
	snprintf(path, sizeof path, "%s/", scratch_path(1, "in"));
	ck_assert_int_eq(hist_walk(path, on_file, on_error, &w), HIST_OK);
	ck_assert_str_eq(hist__buf_cstr(&w.seen), "/in/.test_durations\n"
						  "/in/B.xml\n"
						  "/in/Sub2/y.xml\n"
						  "/in/a.xml\n"
						  "/in/b.xml\n"
						  "! /in/dangling: No such file or directory\n"
						  "/in/link-to-file\n"
						  "/in/sub/z.xml\n");
	/* A file given directly is visited; a missing one reported. */
	hist__buf_clear(&w.seen);
	ck_assert_int_eq(hist_walk(scratch_path(0, "in/a.xml"), on_file, on_error, &w), HIST_OK);
	ck_assert_int_eq(hist_walk(scratch_path(0, "nothing"), on_file, on_error, &w), HIST_OK);
	ck_assert_str_eq(hist__buf_cstr(&w.seen), "/in/a.xml\n! /nothing: No such file or directory\n");
	/* fn's non-zero return stops the walk. */
	hist__buf_clear(&w.seen);
	w.calls = 0;
	w.stop_at = 2;
	ck_assert_int_eq(hist_walk(scratch_path(0, "in"), on_file, on_error, &w), 7);
	ck_assert_str_eq(hist__buf_cstr(&w.seen), "/in/.test_durations\n/in/B.xml\n");
	hist__buf_free(&w.seen);
}
END_TEST

START_TEST(dependency_versions_name_each_library)
{
	const char *v = hist_dependency_versions();

	ck_assert_ptr_nonnull(strstr(v, "SQLite 3."));
	ck_assert_ptr_nonnull(strstr(v, ", libxml2 "));
	ck_assert_ptr_nonnull(strstr(v, ", zlib 1."));
	ck_assert_ptr_nonnull(strstr(v, ", xxHash 0."));
	ck_assert_ptr_eq(v, hist_dependency_versions());
}
END_TEST

Suite *check_ingest_suite(void);
Suite *check_ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, scratch_make, scratch_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, ingest_junit_then_again_adds_nothing);
	tcase_add_test(tc, has_results_agrees_with_the_counts);
	tcase_add_test(tc, ingest_gzip_and_stdin_read_alike);
	tcase_add_test(tc, ingest_run_start_is_the_earliest);
	tcase_add_test(tc, ingest_knows_a_seen_file_without_the_write_lock);
	tcase_add_test(tc, ingest_reports_progress_to_its_callback);
	tcase_add_test(tc, ingest_bad_inputs_change_nothing);
	tcase_add_test(tc, ingest_names_what_it_cannot_take);
	tcase_add_test(tc, ingest_merges_a_database_input);
	tcase_add_test(tc, ingest_keeps_the_session_startup);
	tcase_add_test(tc, ingest_survives_every_allocation_failure);
	tcase_add_test(tc, ingest_large_input_is_one_transaction);
	tcase_add_test(tc, ingest_truncated_gzip_stores_nothing);
	tcase_add_test(tc, walk_is_sorted_recursive_and_skips_dir_links);
	tcase_add_test(tc, dependency_versions_name_each_library);
	suite_add_tcase(s, tc);
	return s;
}
