/* check_corpus.c - the JUnit reader against the real-world corpus in
 * ../shared/corpus (never copied into the repository): each file's
 * expect (ok / empty / error), distinct test ids, outcome counts and the
 * sum of times must agree with expected.tsv, which an independent parser
 * (Python's expat) computed. Skips when the corpus is not there.
 *
 * What is compared for an "ok" file:
 * - distinct ids we produce == distinct_ids (distinct classname+name
 *   pairs): we merge adjacent duplicates (pytest's call failure + teardown
 *   error) but keep every distinct test, so the number of records lies
 *   between distinct_ids and testcases;
 * - failed / errored / skipped: our records by outcome (xfailed counts as
 *   skipped, as pytest writes it as <skipped>);
 * - time_sum: the sum of our known durations, within 1 µs per testcase. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "check_util.h"
#include "hist.h"
#include "io.h"
#include "junit.h"

#define CORPUS "../shared/corpus"

enum { C_DISTINCT = 1, C_COUNTS = 2, C_TIME = 4 };

/* Where our mapping deliberately differs from expected.tsv; each entry
 * lifts only the checks it names, and says why. */
static const struct {
	const char *file;
	int skip;
	const char *why;
} exceptions[] = {
	/* Testcases without a name are no tests to us (nothing identifies
	 * them); expat counts (None, None) as an id. */
	{ "junit/enricomi/python__test__files__junit-xml__no-attributes.xml", C_DISTINCT | C_COUNTS,
		"4 nameless testcases: 0 tests here" },
	{ "junit/xunit-viewer/data__test.xml", C_DISTINCT | C_COUNTS,
		"nameless testcases; failure+error in one testcase counts once, as error" },
	/* One testcase is one result with the worst outcome of its children
	 * (<skipped/><failure/><error/> is an error), where expected.tsv
	 * counts the testcase under each child. */
	{ "junit/enricomi/python__test__files__junit-xml__junit.multiresult.xml", C_COUNTS,
		"skipped+failure(+error) in one testcase: one result" },
	{ "junit/mikepenz/test_results__multiple_failures__test_multiple_errors.xml", C_COUNTS,
		"failure+error in one testcase: error" },
	{ "junit/xunit-viewer/data__multi_error_test_with_system_out.xml", C_COUNTS,
		"failure+error in one testcase: error" },
	/* Adjacent testcases with one id are one result (pytest writes a
	 * call failure and its teardown error so): the worse outcome. */
	{ "junit/dorny/__tests____fixtures__external__java__TEST-org.apache.pulsar.AddMissingPatchVersionTest.xml",
		C_COUNTS, "a skipped and a failed run of one id, adjacent: one failed result" },
	{ "junit/dorny/__tests____fixtures__external__java__pulsar-test-report.xml", C_COUNTS,
		"repeated ids merged: fewer skipped results" },
	{ "junit/gzip/gotestsum-local__gotestsum-go-test-json-flaky-rerun.xml.gz", C_COUNTS,
		"go test reruns written as adjacent testcases: merged" },
	{ "junit/mikepenz/test_results__flaky_retries__flaky_all_failures.xml", C_COUNTS,
		"retries as adjacent testcases: one result, the worst" },
	{ "junit/mikepenz/test_results__flaky_retries__flaky_success_first.xml", C_COUNTS,
		"retries as adjacent testcases: one result, the worst" },
	{ "junit/mikepenz/test_results__flaky_retries__flaky_with_classname_file.xml", C_COUNTS,
		"retries as adjacent testcases: one result, the worst" },
	{ "junit/synthetic/derived-doctest-logging.cpp_junit-xml-only.xml", C_COUNTS,
		"doctest subcases share a name: adjacent ones merged" },
	{ "junit/synthetic/derived-doctest-subcases.cpp_junit-xml-only.xml", C_COUNTS,
		"doctest subcases share a name: adjacent ones merged" },
	/* PHP's Codeception writes class= instead of classname=: we use it, so
	 * two classes' tests of one name stay two tests. */
	{ "junit/xunit-viewer/data__class_not_classname.xml", C_DISTINCT,
		"class= read as classname: 3 ids where (None, name) gives 2" },
	/* Negative times are unknown durations here; expat sums them. */
	{ "junit/gzip/jenkins-junit__src__test__resources__hudson__tasks__junit__junit-report-huge.xml.gz", C_TIME,
		"negative times are unknown here" },
	{ "junit/jenkins-junit/src__test__resources__hudson__tasks__junit__junit-report-huge.xml", C_TIME,
		"negative times are unknown here" },
	{ "junit/jenkins-junit/src__test__resources__hudson__tasks__junit__junit-report-bad-duration.xml", C_TIME,
		"negative times are unknown here" },
	/* "1,234.5" parses here (a thousands separator); "-1" does not. */
	{ "junit/synthetic/derived-testcase-time-formats.xml", C_TIME,
		"1,234.5 parses, -1 is unknown here" },
};

static int lookup_skip(const char *file)
{
	for (size_t i = 0; i < sizeof exceptions / sizeof *exceptions; i++)
		if (strcmp(exceptions[i].file, file) == 0)
			return exceptions[i].skip;
	return 0;
}

typedef struct {
	char **ids;
	size_t n, cap;
	long failed, errored, skipped;
	int64_t time_us;
} tally;

static int tally_record(void *ctx, const hist__record *r)
{
	tally *t = ctx;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ids = realloc(t->ids, t->cap * sizeof *t->ids);
		ck_assert_ptr_nonnull(t->ids);
	}
	t->ids[t->n++] = strndup(r->id, r->id_len);
	t->failed += r->outcome == HIST_OUTCOME_FAILED;
	t->errored += r->outcome == HIST_OUTCOME_ERROR;
	t->skipped += r->outcome == HIST_OUTCOME_SKIPPED || r->outcome == HIST_OUTCOME_XFAILED;
	if (r->duration_us > 0)
		t->time_us += r->duration_us;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t distinct(tally *t)
{
	size_t d = 0;

	if (t->n)
		qsort(t->ids, t->n, sizeof *t->ids, by_str);
	for (size_t i = 0; i < t->n; i++)
		d += i == 0 || strcmp(t->ids[i], t->ids[i - 1]) != 0;
	return d;
}

/* Splits a TSV line in place into at most max fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		if (!(line = strchr(line, '\t')))
			break;
		*line++ = '\0';
	}
	return n;
}

START_TEST(corpus_agrees_with_expected)
{
	struct stat st;
	FILE *tsv;
	char line[8192], report[4096] = "", path[4096];
	int rows = 0, bad = 0, counts[3] = { 0, 0, 0 };

	if (stat(CORPUS, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("corpus: SKIP (%s not found)\n", CORPUS);
		return;
	}
	tsv = fopen(CORPUS "/expected.tsv", "r");
	ck_assert_msg(tsv != NULL, "%s/expected.tsv: %s", CORPUS, strerror(errno));
	ck_assert_ptr_nonnull(fgets(line, sizeof line, tsv)); /* header */
	while (fgets(line, sizeof line, tsv)) {
		char *f[12];
		hist__err e = HIST__ERR_INIT;
		tally t = { NULL, 0, 0, 0, 0, 0, 0 };
		hist__sink sink = { tally_record, NULL, &t, NULL };
		hist__input *in = NULL;
		int error, skip, problem = 0;
		char why[512] = "";

		if (split(line, f, 12) < 12)
			continue;
		rows++;
		skip = lookup_skip(f[0]);
		snprintf(path, sizeof path, "%s/%s", CORPUS, f[0]);
		if ((error = hist__input_open(&in, path, f[0], &e)) == 0)
			error = hist__junit_parse(in, &sink, &e);
		if (strcmp(f[8], "error") == 0) {
			counts[2]++;
			if (error >= 0)
				problem = snprintf(why, sizeof why, "expected an error, got %zu records", t.n);
			else if (!strstr(hist__err_msg(&e), f[0]))
				problem = snprintf(why, sizeof why, "message does not name the file: %s", hist__err_msg(&e));
		} else if (error < 0) {
			problem = snprintf(why, sizeof why, "%s", hist__err_msg(&e));
		} else if (strcmp(f[8], "empty") == 0) {
			counts[1]++;
			if (t.n)
				problem = snprintf(why, sizeof why, "expected no tests, got %zu", t.n);
		} else {
			long want_distinct = atol(f[3]), testcases = atol(f[2]);
			size_t got_distinct = distinct(&t);
			double want_time = atof(f[7]), got_time = (double)t.time_us / 1e6;
			int fails = 0;

			counts[0]++;
			if ((long)got_distinct != want_distinct || (long)t.n > testcases)
				fails |= C_DISTINCT;
			if (t.failed != atol(f[4]) || t.errored != atol(f[5]) || t.skipped != atol(f[6]))
				fails |= C_COUNTS;
			if (fabs(got_time - want_time) > 1e-6 * (double)(testcases + 1))
				fails |= C_TIME;
			if (fails & ~skip & C_DISTINCT)
				problem = snprintf(why, sizeof why, "distinct ids %zu (want %ld), records %zu (testcases %ld)",
					got_distinct, want_distinct, t.n, testcases);
			else if (fails & ~skip & C_COUNTS)
				problem = snprintf(why, sizeof why, "failed/errored/skipped %ld/%ld/%ld, want %s/%s/%s",
					t.failed, t.errored, t.skipped, f[4], f[5], f[6]);
			else if (fails & ~skip & C_TIME)
				problem = snprintf(why, sizeof why, "time_sum %.6f, want %.6f", got_time, want_time);
			else if (skip & ~fails)
				/* An exception must still be needed, or it hides a change. */
				problem = snprintf(why, sizeof why, "listed exception %d no longer needed", skip & ~fails);
		}
		if (problem) {
			size_t used = strlen(report);

			bad++;
			if (used + 300 < sizeof report)
				snprintf(report + used, sizeof report - used, "\n  %s: %.240s", f[0], why);
		}
		for (size_t i = 0; i < t.n; i++)
			free(t.ids[i]);
		free(t.ids);
		hist__input_free(in);
		hist__err_clear(&e);
	}
	fclose(tsv);
	printf("corpus: %d files (%d ok, %d empty, %d error), %d disagree, %zu known exceptions\n", rows,
		counts[0], counts[1], counts[2], bad, sizeof exceptions / sizeof *exceptions);
	ck_assert_int_gt(rows, 0);
	ck_assert_msg(bad == 0, "%d corpus files disagree:%s", bad, report);
}
END_TEST

Suite *check_corpus_suite(void);
Suite *check_corpus_suite(void)
{
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("corpus");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, corpus_agrees_with_expected);
	suite_add_tcase(s, tc);
	return s;
}
