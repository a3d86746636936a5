/* check_jsonl.c - the JSON formats: sniffing, real pytest reportlog output
 * (serial and under xdist), the hist format of doc/formats.md, pytest-balance,
 * .test_durations, and every way a line can be bad. */
#include <string.h>

#include "alloc.h"
#include "check_util.h"
#include "collect.h"
#include "hist.h"
#include "io.h"
#include "json.h"
#include "jsonl.h"
#include "vectors.h"

static hist_format sniff_file(const char *rel)
{
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	const unsigned char *p;
	long n;
	hist_format f;

	ck_assert_int_eq(hist__input_open(&in, fixture(rel), rel, &e), 0);
	n = hist__input_peek(in, &p, 4096);
	ck_assert_int_ge(n, 0);
	f = hist__jsonl_sniff(p, (size_t)n);
	hist__input_free(in);
	return f;
}

static hist_format sniff(const char *s)
{
	return hist__jsonl_sniff((const unsigned char *)s, strlen(s));
}

START_TEST(sniffing)
{
	ck_assert_int_eq(sniff_file("jsonl/pytest-reportlog.jsonl"), HIST_FORMAT_REPORTLOG);
	ck_assert_int_eq(sniff_file("jsonl/pytest-reportlog-xdist.jsonl"), HIST_FORMAT_REPORTLOG);
	ck_assert_int_eq(sniff_file("jsonl/reportlog-pytest8.jsonl"), HIST_FORMAT_REPORTLOG);
	ck_assert_int_eq(sniff_file("jsonl/hist-sample.jsonl"), HIST_FORMAT_HIST);
	ck_assert_int_eq(sniff_file("jsonl/hist-sample.jsonl.gz"), HIST_FORMAT_HIST);
	ck_assert_int_eq(sniff_file("jsonl/balance.jsonl"), HIST_FORMAT_BALANCE);
	ck_assert_int_eq(sniff_file("jsonl/test_durations.json"), HIST_FORMAT_DURATIONS);
	ck_assert_int_eq(sniff_file("jsonl/test_durations-compact.json"), HIST_FORMAT_DURATIONS);
	ck_assert_int_eq(sniff_file("junit/pytest-xunit1.xml"), HIST_FORMAT_UNKNOWN);
	ck_assert_int_eq(sniff_file("bad/unknown-format.txt"), HIST_FORMAT_UNKNOWN);
	ck_assert_int_eq(sniff_file("bad/empty.xml"), HIST_FORMAT_UNKNOWN);
	/* The first member's value is a number for hist lines too: the key
	 * decides. A nodeid merely containing "hist" is not the key. */
	ck_assert_int_eq(sniff("{\"hist\": 1, \"type\": \"test\"}"), HIST_FORMAT_HIST);
	ck_assert_int_eq(sniff("{\"tests/test_hist.py::t\": 0.1, \"hist\\\"x\": 2}"), HIST_FORMAT_DURATIONS);
	ck_assert_int_eq(sniff("{\n  \"tests/a.py::t\": 0.1"), HIST_FORMAT_DURATIONS);
	ck_assert_int_eq(sniff("{\n  \"tests/a.py::t\": -1"), HIST_FORMAT_DURATIONS);
	ck_assert_int_eq(sniff("{}"), HIST_FORMAT_DURATIONS);
	ck_assert_int_eq(sniff("\xef\xbb\xbf{\"pytest_version\": \"7.2.1\", \"$report_type\": \"SessionStart\"}"),
		HIST_FORMAT_REPORTLOG);
	/* A TestReport line cut before its "$report_type". */
	ck_assert_int_eq(sniff("{\"nodeid\": \"a.py::t\", \"location\": [\"a.py\", 0, \"t\"], \"when\": \"setup\", "
			       "\"longrepr\": \"xxxxxxxx"), HIST_FORMAT_REPORTLOG);
	ck_assert_int_eq(sniff("{\"nested\": {\"hist\": 1}, \"x\": 2}"), HIST_FORMAT_UNKNOWN);
	ck_assert_int_eq(sniff("{\"a\": \"b\"}"), HIST_FORMAT_UNKNOWN);
	ck_assert_int_eq(sniff("[1, 2]"), HIST_FORMAT_UNKNOWN);
	ck_assert_int_eq(sniff(""), HIST_FORMAT_UNKNOWN);
}
END_TEST

static int parse_in(hist__input *in, hist_format f, collector *c, char *msg, size_t msgsize, hist__err *e)
{
	hist__sink sink = { collect_record, collect_session, c, NULL };
	int error = hist__jsonl_parse(in, f, &sink, e);

	snprintf(msg, msgsize, "%s", hist__err_msg(e));
	return error;
}

static void parse_ok(const char *rel, hist_format f, collector *c)
{
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	char msg[512];
	int error;

	collector_init(c);
	ck_assert_int_eq(hist__input_open(&in, fixture(rel), rel, &e), 0);
	error = parse_in(in, f, c, msg, sizeof msg, &e);
	ck_assert_msg(error == 0, "%s: %d %s", rel, error, msg);
	ck_assert_int_eq(c->sessions, 1);
	hist__input_free(in);
	hist__err_clear(&e);
}

static int parse_mem(const char *doc, size_t len, hist_format f, collector *c, char *msg, size_t msgsize)
{
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	int error;

	collector_init(c);
	ck_assert_int_eq(hist__input_open_mem(&in, doc, len, "m", &e), 0);
	error = parse_in(in, f, c, msg, msgsize, &e);
	hist__input_free(in);
	hist__err_clear(&e);
	return error;
}

START_TEST(reportlog_real_pytest_output)
{
	collector c;
	const collected *r;

	parse_ok("jsonl/pytest-reportlog.jsonl", HIST_FORMAT_REPORTLOG, &c);
	ck_assert_uint_eq(c.n, 23);
	r = must_find(&c, "tests/test_basic.py::test_b");
	ck_assert_int_eq(r->duration_us, 1250688); /* setup + call + teardown, full precision */
	ck_assert_int_eq(r->setup_us, 58);
	ck_assert_uint_eq(r->line, 13);
	r = must_find(&c, "tests/test_basic.py::test_flaky_passes_on_second_attempt");
	ck_assert_uint_eq(r->attempts, 2);
	ck_assert_int_eq(r->outcome, HIST_OUTCOME_PASSED);
	ck_assert_int_eq(r->duration_us, 20415); /* the final attempt only */
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_xpass")->outcome, HIST_OUTCOME_XPASSED);
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_xfail")->outcome, HIST_OUTCOME_XFAILED);
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_xpass_strict")->outcome, HIST_OUTCOME_FAILED);
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_skipped")->outcome, HIST_OUTCOME_SKIPPED);
	r = must_find(&c, "tests/test_basic.py::test_call_fails_and_teardown_errors");
	ck_assert_int_eq(r->outcome, HIST_OUTCOME_ERROR);
	ck_assert_int_eq(r->duration_us, 50877);
	ck_assert_int_eq(must_find(&c, "tests/sub/test_classes.py::TestOuter::test_setup_error")->outcome,
		HIST_OUTCOME_ERROR);
	ck_assert_int_eq(must_find(&c, "tests/sub/test_classes.py::test_skip_in_call")->outcome,
		HIST_OUTCOME_SKIPPED);
	r = must_find(&c, "tests/sub/test_classes.py::TestOuter::test_uses_module_resource");
	ck_assert_int_eq(r->setup_us, 300665); /* the module fixture's sleep */
	must_find(&c, "tests/test_params.py::test_named_ids[x@y]"); /* '@' inside [...] stays */
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_PASSED), 14);
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_XPASSED), 1);
	for (size_t i = 0; i < c.n; i++)
		ck_assert_int_eq(c.r[i].id_is_key, 0);
	ck_assert_int_eq(c.session.start_us, -1); /* pytest 7.2 writes no "start" */
	collector_free(&c);
}
END_TEST

static int by_id(const void *a, const void *b)
{
	return strcmp(((const collected *)a)->id, ((const collected *)b)->id);
}

START_TEST(reportlog_under_xdist_gives_the_same_tests)
{
	collector s, x;

	parse_ok("jsonl/pytest-reportlog.jsonl", HIST_FORMAT_REPORTLOG, &s);
	parse_ok("jsonl/pytest-reportlog-xdist.jsonl", HIST_FORMAT_REPORTLOG, &x);
	ck_assert_uint_eq(x.n, s.n);
	qsort(s.r, s.n, sizeof *s.r, by_id);
	qsort(x.r, x.n, sizeof *x.r, by_id);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_str_eq(x.r[i].id, s.r[i].id);
		ck_assert_int_eq(x.r[i].outcome, s.r[i].outcome);
		ck_assert_uint_eq(x.r[i].attempts, s.r[i].attempts);
	}
	collector_free(&s);
	collector_free(&x);
}
END_TEST

START_TEST(reportlog_newer_pytest)
{
	collector c;

	parse_ok("jsonl/reportlog-pytest8.jsonl", HIST_FORMAT_REPORTLOG, &c);
	/* test_cut_short stops after its setup: no result, left out. */
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.r[0].id, "test_new.py::test_ok");
	ck_assert_int_eq(c.r[0].duration_us, 500300);
	ck_assert_int_eq(c.r[1].outcome, HIST_OUTCOME_SKIPPED);
	ck_assert_int_eq(c.r[1].duration_us, 400);
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_XFAILED); /* skipped in setup with wasxfail */
	ck_assert_int_eq(c.session.start_us, 1764000010250000);
	collector_free(&c);
}
END_TEST

static void check_hist_sample(const collector *c)
{
	const collected *r;

	ck_assert_uint_eq(c->n, 8);
	ck_assert_str_eq(c->r[0].id, "tests/test_a.py::test_x[1]");
	ck_assert_int_eq(c->r[0].duration_us, 501442); /* 0.000121 + 0.501234 + 0.000087 */
	ck_assert_int_eq(c->r[0].setup_us, 121);
	r = must_find(c, "tests/test_a.py::test_flaky");
	ck_assert_uint_eq(r->attempts, 2);
	ck_assert_int_eq(r->duration_us, 125300);
	ck_assert_uint_eq(r->line, 4);
	ck_assert_int_eq(must_find(c, "tests/test_b.py::test_skip")->duration_us, 400); /* call null */
	ck_assert_int_eq(must_find(c, "tests/test_b.py::test_xf")->outcome, HIST_OUTCOME_XFAILED);
	ck_assert_int_eq(must_find(c, "tests/test_b.py::test_xp")->outcome, HIST_OUTCOME_XPASSED);
	ck_assert_int_eq(must_find(c, "tests/test_b.py::test_err")->outcome, HIST_OUTCOME_ERROR);
	ck_assert_int_eq(must_find(c, "tests/test_c.py::test_grouped")->duration_us, 2750000); /* @db gone */
	ck_assert_int_eq(c->session.start_us, 1764000000000000);
	ck_assert_int_eq(c->session.collect_us, 1234000);
	ck_assert_int_eq(c->session.wall_us, 12500000);
	ck_assert_int_eq(c->session.startup_us, 750000);
	ck_assert_int_eq(c->session.workers, 2);
	ck_assert_str_eq(c->session.plan_id, "3f2a9c01");
	ck_assert_int_eq(c->session.shard_index, 3);
	ck_assert_int_eq(c->session.shard_total, 4);
}

START_TEST(hist_jsonl_format)
{
	collector c;

	parse_ok("jsonl/hist-sample.jsonl", HIST_FORMAT_HIST, &c);
	check_hist_sample(&c);
	collector_free(&c);
	parse_ok("jsonl/hist-sample.jsonl.gz", HIST_FORMAT_HIST, &c);
	check_hist_sample(&c);
	collector_free(&c);
	parse_ok("jsonl/hist-noshard.jsonl", HIST_FORMAT_HIST, &c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(c.r[0].duration_us, 6000);
	ck_assert_ptr_null(c.session.plan_id);
	ck_assert_int_eq(c.session.shard_index, 0);
	ck_assert_int_eq(c.session.shard_total, 0);
	ck_assert_int_eq(c.session.workers, 0);
	ck_assert_int_eq(c.session.wall_us, 1000000);
	collector_free(&c);
}
END_TEST

/* The lines that name a test without a result (CONTRACT-13): no record,
 * a mark for the plan check; the session says it was interrupted. */
static char marks[8][64];
static int nmarks;

static int keep_mark(void *ctx, hist__mark kind, const char *id, size_t len, unsigned long line)
{
	(void)ctx;
	ck_assert_int_lt(nmarks, 8);
	snprintf(marks[nmarks++], sizeof marks[0], "%d %.*s %lu", (int)kind, (int)len, id, line);
	return 0;
}

START_TEST(hist_jsonl_marks_and_interruption)
{
	static const char doc[] =
		"{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"a.py::t1\", \"outcome\": \"passed\", \"call\": 0.5}\n"
		"{\"hist\": 1, \"type\": \"deselected\", \"nodeid\": \"a.py::t2\"}\n"
		"{\"hist\": 1, \"type\": \"gone\", \"nodeid\": \"a.py::t3\"}\n"
		"{\"hist\": 1, \"type\": \"interrupted\", \"nodeid\": \"a.py::t4\"}\n"
		"{\"hist\": 1, \"type\": \"newer\", \"nodeid\": \"a.py::t5\"}\n"
		"{\"hist\": 1, \"type\": \"session\", \"wall\": 9.0, \"interrupted\": true}\n";
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	collector c;
	hist__sink sink = { collect_record, collect_session, &c, keep_mark };

	collector_init(&c);
	nmarks = 0;
	ck_assert_int_eq(hist__input_open_mem(&in, doc, sizeof doc - 1, "m", &e), 0);
	ck_assert_int_eq(hist__jsonl_parse(in, HIST_FORMAT_HIST, &sink, &e), 0);
	/* One result: the cut-off test has none, not even a partial one. */
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.r[0].id, "a.py::t1");
	ck_assert_int_eq(nmarks, 3);
	ck_assert_str_eq(marks[0], "0 a.py::t2 2");
	ck_assert_str_eq(marks[1], "1 a.py::t3 3");
	ck_assert_str_eq(marks[2], "2 a.py::t4 4");
	ck_assert_int_eq(c.session.interrupted, 1);
	ck_assert_int_eq(c.session.wall_us, 9000000);
	hist__input_free(in);
	collector_free(&c);
	/* Without a mark callback (ingest) the lines pass by. */
	collector_init(&c);
	sink.mark = NULL;
	ck_assert_int_eq(hist__input_open_mem(&in, doc, sizeof doc - 1, "m", &e), 0);
	ck_assert_int_eq(hist__jsonl_parse(in, HIST_FORMAT_HIST, &sink, &e), 0);
	ck_assert_uint_eq(c.n, 1);
	hist__input_free(in);
	collector_free(&c);
	hist__err_clear(&e);
}
END_TEST

/* One row of tests/vectors/outcome.tsv as pytest-reportlog lines (the
 * wasxfail flag on setup and call, as the plugin applies it) through the
 * reportlog reader: the outcome must be the row's. */
static void outcome_row(char **f, int n, void *payload)
{
	static const char *const when[3] = {"setup", "call", "teardown"};
	char doc[2048];
	size_t len = 0;
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	collector c;
	hist__sink sink = { collect_record, collect_session, &c, NULL };

	ck_assert_int_eq(n, 5);
	for (int p = 0; p < 3; p++)
		if (strcmp(f[p], "-") != 0)
			len += (size_t)snprintf(doc + len, sizeof doc - len,
				"{\"$report_type\": \"TestReport\", \"nodeid\": \"a.py::t\", \"when\": \"%s\", "
				"\"outcome\": \"%s\", \"duration\": 0.1%s}\n", when[p], f[p],
				strcmp(f[3], "1") == 0 && p < 2 ? ", \"wasxfail\": \"\"" : "");
	collector_init(&c);
	ck_assert_int_eq(hist__input_open_mem(&in, doc, len, "m", &e), 0);
	ck_assert_int_eq(hist__jsonl_parse(in, HIST_FORMAT_REPORTLOG, &sink, &e), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_msg(strcmp(hist_outcome_name(c.r[0].outcome), f[4]) == 0, "%s %s %s %s: got %s, want %s", f[0],
		f[1], f[2], f[3], hist_outcome_name(c.r[0].outcome), f[4]);
	hist__input_free(in);
	collector_free(&c);
	hist__err_clear(&e);
	++*(int *)payload;
}

/* The outcome rule shared with the plugin: tests/vectors/outcome.tsv,
 * generated from real pytest runs. */
START_TEST(reportlog_outcome_vectors)
{
	vectors v;
	int seen = 0;

	vectors_open(&v, "outcome");
	while (vectors_next(&v)) {
		const char *f[5] = {vectors_get(&v, "setup"), vectors_get(&v, "call"), vectors_get(&v, "teardown"),
		                    vectors_get(&v, "wasxfail"), vectors_get(&v, "outcome")};
		outcome_row((char **)f, 5, &seen);
	}
	ck_assert_int_gt(vectors_close(&v), 0);
}
END_TEST

START_TEST(balance_format)
{
	collector c;

	parse_ok("jsonl/balance.jsonl", HIST_FORMAT_BALANCE, &c);
	ck_assert_uint_eq(c.n, 3);
	/* Phases of interleaved tests summed per test, sent at teardown. */
	ck_assert_str_eq(c.r[0].id, "tests/test_a.py::test_two");
	ck_assert_int_eq(c.r[0].duration_us, 1255000);
	ck_assert_int_eq(c.r[0].setup_us, 2000);
	ck_assert_str_eq(c.r[1].id, "tests/test_a.py::test_one");
	ck_assert_int_eq(c.r[1].duration_us, 505000);
	ck_assert_str_eq(c.r[2].id, "tests/test_b.py::test_iso"); /* no teardown: sent at the end */
	ck_assert_int_eq(c.r[2].duration_us, 750000);
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_PASSED);
	ck_assert_int_eq(c.session.start_us, 1764000000000000); /* the ISO timestamp is earliest */
	collector_free(&c);
}
END_TEST

/* A phase seen again before the test's teardown is a new attempt (a
 * rerun): counted, and only the final attempt's phases make the duration. */
START_TEST(balance_repeated_phase_is_a_new_attempt)
{
	static const char doc[] =
		"{\"test_id\": \"t.py::a\", \"duration\": 0.5, \"run_id\": \"r1\", \"phase\": \"setup\"}\n"
		"{\"test_id\": \"t.py::a\", \"duration\": 2, \"run_id\": \"r1\", \"phase\": \"call\"}\n"
		"{\"test_id\": \"t.py::a\", \"duration\": 0.25, \"run_id\": \"r1\", \"phase\": \"setup\"}\n"
		"{\"test_id\": \"t.py::a\", \"duration\": 1, \"run_id\": \"r1\", \"phase\": \"call\"}\n"
		"{\"test_id\": \"t.py::a\", \"duration\": 0.125, \"run_id\": \"r1\", \"phase\": \"teardown\"}\n"
		"{\"test_id\": \"t.py::b\", \"duration\": 3, \"phase\": \"call\"}\n"
		"{\"test_id\": \"t.py::b\", \"duration\": 4, \"phase\": \"call\"}\n";
	collector c;
	char msg[256];

	ck_assert_int_eq(parse_mem(doc, sizeof doc - 1, HIST_FORMAT_BALANCE, &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.r[0].id, "t.py::a");
	ck_assert_int_eq(c.r[0].duration_us, 1375000);
	ck_assert_int_eq(c.r[0].setup_us, 250000);
	ck_assert_uint_eq(c.r[0].attempts, 2);
	ck_assert_str_eq(c.r[1].id, "t.py::b");
	ck_assert_int_eq(c.r[1].duration_us, 4000000);
	ck_assert_uint_eq(c.r[1].attempts, 2);
	collector_free(&c);
}
END_TEST

START_TEST(durations_format)
{
	collector c;

	parse_ok("jsonl/test_durations.json", HIST_FORMAT_DURATIONS, &c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.r[1].id, "tests/test_a.py::TestK::test_two[p-\xc3\xa9]");
	ck_assert_int_eq(c.r[1].duration_us, 1250000);
	ck_assert_uint_eq(c.r[1].line, 3);
	ck_assert_int_eq(c.r[2].duration_us, 100);
	ck_assert_uint_eq(c.r[2].attempts, 1);
	ck_assert_int_eq(c.r[2].setup_us, -1);
	collector_free(&c);
	parse_ok("jsonl/test_durations-compact.json", HIST_FORMAT_DURATIONS, &c);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_int_eq(c.r[1].duration_us, 12000000);
	collector_free(&c);
}
END_TEST

static const struct {
	hist_format f;
	const char *doc;
	const char *msg;
} bad[] = {
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"deselected\"}\n", "m:1: deselected line without a nodeid" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"interrupted\", \"nodeid\": \"\"}\n", "m:1: empty nodeid" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"session\", \"interrupted\": 1}\n",
		"m:1: interrupted is not true or false" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"a\", \"outcome\": \"passed\"}\n{\"hist\": 1 \"x\": 2}\n",
		"m:2: expected ',' or '}'" },
	{ HIST_FORMAT_HIST, "{\"hist\": 2, \"type\": \"test\"}\n", "m:1: not a hist version 1 line (\"hist\": 1)" },
	{ HIST_FORMAT_HIST, "\n\n{\"hist\": 1, \"type\": \"test\", \"outcome\": \"passed\"}\n",
		"m:3: test line without a nodeid" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"a\", \"outcome\": \"great\"}",
		"m:1: unknown outcome \"great\"" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"a\", \"outcome\": \"passed\", \"attempt\": 0}",
		"m:1: attempt is not a positive integer" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"session\", \"shard\": 5, \"shards\": 4}",
		"m:1: bad workers, shard or shards" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"\", \"outcome\": \"passed\"}",
		"m:1: empty nodeid" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1} {\"hist\": 1}\n", "m:1: text after the JSON value on its line" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"nodeid\": \"a\xc3(\"}\n", "m:1: invalid UTF-8" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"nodeid\": \"\xed\xa0\x80\"}\n", "m:1: invalid UTF-8" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"nodeid\": \"\xc0\xaf\"}\n", "m:1: invalid UTF-8" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"nodeid\": \"a\tb\"}\n", "m:1: control character in a string" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"nodeid\": \"a\\qb\"}\n", "m:1: bad escape in a string" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"x\": 01}\n", "m:1: bad number: leading zero" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"x\": tru}\n", "m:1: unexpected character (expected true)" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"x\": [1, 2,]}\n", "m:1: expected a value" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"x\": {\"a\" 1}}\n", "m:1: expected ':'" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1,}\n", "m:1: expected a string key" },
	{ HIST_FORMAT_HIST, "[1]\n", "m:1: expected a JSON object" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"nodeid\": \"abc", "m:1: unexpected end of input in a string" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"x\": \x01}", "m:1: unexpected byte 0x01" },
	{ HIST_FORMAT_REPORTLOG, "{\"nodeid\": \"a\", \"when\": \"call\", \"outcome\": \"passed\", \"$report_type\": \"TestReport\"}\n"
		"{\"when\": \"call\", \"$report_type\": \"TestReport\"}\n", "m:2: TestReport without a nodeid or phase" },
	{ HIST_FORMAT_REPORTLOG, "{\"nodeid\": \"a\", \"when\": \"call\", \"outcome\": \"xpassed\", \"$report_type\": \"TestReport\"}\n",
		"m:1: unknown outcome \"xpassed\"" },
	{ HIST_FORMAT_BALANCE, "{\"duration\": 1}\n", "m:1: line without a test_id" },
	/* One input is one run: a file holding two runs is refused, never
	 * folded into one (their phases were summed into one test). */
	{ HIST_FORMAT_BALANCE, "{\"test_id\": \"t.py::a\", \"duration\": 1, \"run_id\": \"r1\", \"phase\": \"call\"}\n"
		"{\"test_id\": \"t.py::a\", \"duration\": 3, \"run_id\": \"r2\", \"phase\": \"call\"}\n",
		"m:2: run_id \"r2\" after \"r1\" of line 1: one input is one run; split the file by run_id" },
	{ HIST_FORMAT_DURATIONS, "{\"a\": \"slow\"}", "m:1: expected a number of seconds" },
	{ HIST_FORMAT_DURATIONS, "{\"a\": 1,\n \"b\": 2\n}\n{}", "m:4: text after the durations object" },
	{ HIST_FORMAT_DURATIONS, "{\"a\": 1,\n \"b\": 2,\n}", "m:3: expected a nodeid" },
	{ HIST_FORMAT_DURATIONS, "[]", "m:1: expected a JSON object of nodeid: seconds" },
	{ HIST_FORMAT_DURATIONS, "{\"a\": 1, \"b\\u0000c\": 2}", "m:1: nodeid contains U+0000" },
	{ HIST_FORMAT_HIST, "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"\\u0000\", \"outcome\": \"passed\"}",
		"m:1: nodeid contains U+0000" },
	{ HIST_FORMAT_DURATIONS, "{\"a\": 1", "m:1: expected ',' or '}'" },
};

START_TEST(bad_lines_fail_with_reason_and_line)
{
	collector c;
	char msg[512];
	int error = parse_mem(bad[_i].doc, strlen(bad[_i].doc), bad[_i].f, &c, msg, sizeof msg);

	ck_assert_msg(error == HIST_E_PARSE, "%d: %d %s", _i, error, msg);
	ck_assert_str_eq(msg, bad[_i].msg);
	ck_assert_int_eq(c.sessions, 0);
	collector_free(&c);
}
END_TEST

START_TEST(bad_files)
{
	hist__err e = HIST__ERR_INIT;
	collector c;
	hist__input *in;
	char msg[256];

	collector_init(&c);
	ck_assert_int_eq(hist__input_open(&in, fixture("bad/malformed.jsonl"), "bad/malformed.jsonl", &e), 0);
	ck_assert_int_eq(parse_in(in, HIST_FORMAT_HIST, &c, msg, sizeof msg, &e), HIST_E_PARSE);
	ck_assert_str_eq(msg, "bad/malformed.jsonl:2: expected ',' or '}'");
	ck_assert_uint_eq(c.n, 1);
	hist__input_free(in);
	collector_free(&c);
	collector_init(&c);
	ck_assert_int_eq(hist__input_open(&in, fixture("bad/truncated.jsonl.gz"), "t.jsonl.gz", &e), 0);
	ck_assert_int_eq(parse_in(in, HIST_FORMAT_HIST, &c, msg, sizeof msg, &e), HIST_E_PARSE);
	ck_assert_str_eq(msg, "t.jsonl.gz:3: truncated gzip stream: the data breaks off inside line 3: 2 whole lines, "
			      "539 bytes uncompressed");
	ck_assert_int_eq(c.sessions, 0);
	hist__input_free(in);
	collector_free(&c);
	/* Found by fuzz_jsonl: an id with U+0000 in it. */
	collector_init(&c);
	ck_assert_int_eq(hist__input_open(&in, fixture("bad/nul-in-nodeid.json"), "nul.json", &e), 0);
	ck_assert_int_eq(parse_in(in, HIST_FORMAT_DURATIONS, &c, msg, sizeof msg, &e), HIST_E_PARSE);
	ck_assert_str_eq(msg, "nul.json:1: nodeid contains U+0000");
	ck_assert_uint_eq(c.n, 0);
	hist__input_free(in);
	collector_free(&c);
	hist__err_clear(&e);
}
END_TEST

START_TEST(strings_decode)
{
	static const char doc[] =
		"\xef\xbb\xbf{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"t.py::a[\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\n]\", "
		"\"outcome\": \"passed\"}\r\n\n   \n"
		"{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"t.py::b[\\udc80]\", \"outcome\": \"passed\", "
		"\"extra\": {\"deep\": [1, {\"x\": [true, false, null, -1.5e-3]}]}}";
	collector c;
	char msg[256];

	ck_assert_int_eq(parse_mem(doc, sizeof doc - 1, HIST_FORMAT_HIST, &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.r[0].id, "t.py::a[\xc3\xa9\xf0\x9f\x98\x80\"\\/\n]");
	ck_assert_str_eq(c.r[1].id, "t.py::b[\xef\xbf\xbd]"); /* a lone surrogate: U+FFFD */
	ck_assert_uint_eq(c.r[1].line, 4);
	ck_assert_int_eq(c.r[0].duration_us, -1);
	collector_free(&c);
}
END_TEST

START_TEST(nesting_and_line_caps)
{
	collector c;
	char msg[256], deep[400];
	size_t n = 0, big = 64 * 1024 * 1024 + 16;
	char *line;

	n += (size_t)snprintf(deep, sizeof deep, "{\"hist\": 1, \"x\": ");
	for (int i = 0; i < 70; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	ck_assert_int_eq(parse_mem(deep, n, HIST_FORMAT_HIST, &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "m:1: nesting deeper than 64");
	collector_free(&c);

	line = malloc(big);
	ck_assert_ptr_nonnull(line);
	memset(line, 'a', big);
	memcpy(line, "{\"hist\": 1, \"pad\": \"", 20);
	ck_assert_int_eq(parse_mem(line, big, HIST_FORMAT_HIST, &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "m:1: line too long (more than 67108864 bytes)");
	collector_free(&c);
	free(line);
}
END_TEST

START_TEST(tokenizer_keeps_strings_only_when_asked)
{
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	hist__json js;
	hist__json_token t;
	static const char doc[] = "\"abcdef\" \"abc\"\n\"toolong\"";

	ck_assert_int_eq(hist__input_open_mem(&in, doc, sizeof doc - 1, "j", &e), 0);
	ck_assert_int_eq(hist__json_init(&js, in, 100, 4, &e), 0);
	ck_assert_int_eq(hist__json_next(&js, &t, 0), 0); /* not kept: no cap */
	ck_assert_int_eq(t, HIST__JSON_STRING);
	ck_assert_int_eq(hist__json_next(&js, &t, 1), 0);
	ck_assert_str_eq(hist__buf_cstr(&js.text), "abc");
	ck_assert_int_eq(hist__json_next(&js, &t, 1), HIST_E_PARSE);
	ck_assert_str_eq(hist__err_msg(&e), "j:2: string longer than 4 bytes");
	hist__json_free(&js);
	hist__input_free(in);
	hist__err_clear(&e);
}
END_TEST

START_TEST(sink_errors_and_allocation_failures)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink;
	hist__input *in;
	collector c;
	int error = HIST_E_NOMEM;

	collector_init(&c);
	c.fail_at = 2;
	sink = (hist__sink){ collect_record, collect_session, &c, NULL };
	ck_assert_int_eq(hist__input_open(&in, fixture("jsonl/pytest-reportlog-xdist.jsonl"), NULL, &e), 0);
	ck_assert_int_eq(hist__jsonl_parse(in, HIST_FORMAT_REPORTLOG, &sink, &e), -99);
	ck_assert_uint_eq(c.n, 2);
	hist__input_free(in);
	collector_free(&c);

	for (long k = 0; error == HIST_E_NOMEM; k++) {
		collector_init(&c);
		sink = (hist__sink){ collect_record, collect_session, &c, NULL };
		hist__alloc_fail_at(k);
		if ((error = hist__input_open(&in, fixture("jsonl/balance.jsonl"), NULL, &e)) == 0) {
			error = hist__jsonl_parse(in, HIST_FORMAT_BALANCE, &sink, &e);
			hist__input_free(in);
		}
		hist__alloc_fail_at(-1);
		ck_assert_msg(error == 0 || error == HIST_E_NOMEM, "k=%ld: %d %s", k, error, hist__err_msg(&e));
		if (!error)
			ck_assert_msg(c.n == 3, "k=%ld: %zu records", k, c.n);
		collector_free(&c);
	}
	hist__err_clear(&e);
}
END_TEST

START_TEST(many_open_tests_stay_correct)
{
	/* 5000 tests open at once (phases interleaved across the whole file),
	 * which makes the open table grow and shift on every close. */
	hist__buf doc = HIST__BUF_INIT(0);
	collector c;
	char msg[256];
	const char *phase[] = { "setup", "call", "teardown" };

	for (int p = 0; p < 3; p++)
		for (int i = 0; i < 5000; i++)
			ck_assert_int_eq(hist__buf_printf(&doc, "{\"test_id\": \"t.py::t[%d]\", \"duration\": %d.5, "
				"\"phase\": \"%s\"}\n", (i * 7919) % 5000, p + 1, phase[p]), 0);
	ck_assert_int_eq(parse_mem(doc.ptr, doc.len, HIST_FORMAT_BALANCE, &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 5000);
	for (size_t i = 0; i < c.n; i++)
		ck_assert_int_eq(c.r[i].duration_us, 7500000);
	ck_assert_str_eq(c.r[0].id, "t.py::t[0]");
	ck_assert_str_eq(c.r[1].id, "t.py::t[2919]");
	collector_free(&c);
	hist__buf_free(&doc);
}
END_TEST

/* json.c reads most reportlog lines whole, with pointers, and leaves the
 * rest to its tokenizer: both must give the same records. Lines here mix
 * what the fast path takes with what it must hand over (an escaped key,
 * non-ASCII nodeids, an 'E' exponent, lines longer than its buffer, CRLF
 * and blank lines, deep keywords), across many buffer refills. */
START_TEST(whole_line_reading_matches_the_tokenizer)
{
	hist__buf doc = HIST__BUF_INIT(0);
	collector fast, slow;
	char msg[256];
	size_t big = 70 * 1024;
	char *pad = malloc(big + 1);

	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', big);
	pad[big] = '\0';
	for (int i = 0; i < 3000; i++) {
		static const char *const when[] = { "setup", "call", "teardown" };
		const char *key = i % 97 == 5 ? "\\u006eodeid" : "nodeid";
		const char *name = i % 89 == 3 ? "caf\\u00e9" : i % 83 == 2 ? "caf\xc3\xa9" : "plain";

		for (int p = 0; p < 3; p++) {
			ck_assert_int_eq(hist__buf_printf(&doc,
				"{\"%s\": \"tests/t%d.py::Test::test_%s[%d]\", \"location\": [\"tests/t%d.py\", %d, "
				"\"t\"], \"keywords\": {\"a\": {\"b\": [1, 2.5e-3, true, false, null, {\"c\": []}]}, "
				"\"k\\u00e9\\ud83d\\ude00\": 1}, \"outcome\": \"%s\", \"longrepr\": %s, \"when\": \"%s\", "
				"\"duration\": %s, \"start\": 1764000000.5, \"$report_type\": \"TestReport\"}%s\n%s",
				key, i / 7, name, i, i / 7, i, i % 31 == 4 && p == 1 ? "failed" : "passed",
				i % 31 == 4 && p == 1 ? "\"Traceback\\n  \\\"x\\\" \\\\ \\/ \\t\xe2\x82\xac\"" : "null",
				when[p], i % 53 == 1 ? "1.5E-3" : i % 59 == 2 ? "-0.0" : "0.002500",
				i % 7 == 0 ? " \r" : "", i % 101 == 9 ? "\n" : ""), 0);
			if (i % 211 == 17 && p == 0)
				ck_assert_int_eq(hist__buf_printf(&doc, "{\"$report_type\": \"WarningMessage\", "
					"\"message\": \"%s\"}\n", pad), 0);
		}
	}
	ck_assert_int_eq(parse_mem(doc.ptr, doc.len, HIST_FORMAT_REPORTLOG, &fast, msg, sizeof msg), 0);
	hist__json_test_slow = 1;
	ck_assert_int_eq(parse_mem(doc.ptr, doc.len, HIST_FORMAT_REPORTLOG, &slow, msg, sizeof msg), 0);
	hist__json_test_slow = 0;
	ck_assert_uint_eq(fast.n, 3000);
	ck_assert_uint_eq(slow.n, fast.n);
	for (size_t i = 0; i < fast.n; i++) {
		ck_assert_str_eq(fast.r[i].id, slow.r[i].id);
		ck_assert_int_eq(fast.r[i].outcome, slow.r[i].outcome);
		ck_assert_int_eq(fast.r[i].duration_us, slow.r[i].duration_us);
		ck_assert_int_eq(fast.r[i].setup_us, slow.r[i].setup_us);
		ck_assert_uint_eq(fast.r[i].line, slow.r[i].line);
	}
	ck_assert_str_eq(fast.r[1].id, "tests/t0.py::Test::test_plain[1]");
	ck_assert_int_eq(fast.r[1].duration_us, 4500); /* 3 x 1.5E-3 */
	ck_assert_str_eq(fast.r[3].id, "tests/t0.py::Test::test_caf\xc3\xa9[3]");
	ck_assert_int_eq(fast.r[4].outcome, HIST_OUTCOME_FAILED);
	ck_assert_int_eq(fast.session.start_us, slow.session.start_us);
	collector_free(&fast);
	collector_free(&slow);
	hist__buf_free(&doc);
	free(pad);
}
END_TEST

Suite *check_jsonl_suite(void);
Suite *check_jsonl_suite(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("jsonl");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sniffing);
	tcase_add_test(tc, reportlog_real_pytest_output);
	tcase_add_test(tc, reportlog_under_xdist_gives_the_same_tests);
	tcase_add_test(tc, reportlog_newer_pytest);
	tcase_add_test(tc, hist_jsonl_format);
	tcase_add_test(tc, hist_jsonl_marks_and_interruption);
	tcase_add_test(tc, reportlog_outcome_vectors);
	tcase_add_test(tc, balance_format);
	tcase_add_test(tc, balance_repeated_phase_is_a_new_attempt);
	tcase_add_test(tc, durations_format);
	tcase_add_loop_test(tc, bad_lines_fail_with_reason_and_line, 0, (int)(sizeof bad / sizeof *bad));
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, strings_decode);
	tcase_add_test(tc, nesting_and_line_caps);
	tcase_add_test(tc, tokenizer_keeps_strings_only_when_asked);
	tcase_add_test(tc, sink_errors_and_allocation_failures);
	tcase_add_test(tc, many_open_tests_stay_correct);
	tcase_add_test(tc, whole_line_reading_matches_the_tokenizer);
	suite_add_tcase(s, tc);
	return s;
}
