/* histstats - what the history holds and says: counts, slowest tests and
 * files, flaky tests, duration regressions, tests not seen lately, one
 * test's history, plans predicted against actual, and pytest-split's
 * .test_durations. A thin front end over hist_db_counts, hist_stats_*,
 * hist_db_test_history and hist_db_plan_runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hist.h"

#define WIDTH 100

static void usage(FILE *f)
{
	fputs("Usage: histstats [OPTION]...\n"
	      "Show what the history database holds and what it says about the tests:\n"
	      "the slowest tests (median and spread over the newest 20 runs) and files,\n"
	      "flaky tests, duration regressions and tests not seen lately.\n"
	      "\n"
	      "  --db PATH        history database, never created\n"
	      "                   (default: $HIST_DB, else .hist.db)\n"
	      "  --suite NAME     only this suite (default: $HIST_SUITE, else every suite)\n"
	      "  --top N          rows per table, plans with --plans (default 10)\n"
	      "  --test NODEID    that test's results, one line a run\n"
	      "  --plans          the newest plans that ran (histmerge --plan stores them):\n"
	      "                   each shard's predicted seconds beside its actual wall\n"
	      "                   time, the error, and the shards that did not report\n"
	      "  --html FILE      write the report as one self-contained HTML page (no\n"
	      "                   script, no external URL) instead of printing the tables:\n"
	      "                   slowest tests with their trend, flaky tests, regressions,\n"
	      "                   tests not seen lately, plans predicted against actual\n"
	      "  --export-durations FILE\n"
	      "                   write pytest-split's .test_durations (median seconds\n"
	      "                   per nodeid) to FILE instead of printing the tables\n"
	      "  --json           the same content as one JSON document on stdout\n"
	      "  -q, --quiet      no messages but errors\n"
	      "      --help       show this help\n"
	      "      --version    show versions\n"
	      "\n"
	      "A regression is a test whose last run took at least twice the median of\n"
	      "its 3 or more earlier results in the window, and 0.5 s more. Flaky: passed\n"
	      "and failed in the window, or passed on a rerun. Not seen lately: a result\n"
	      "in the window, none in its suite's newest 3 runs.\n"
	      "Exit status: 0 success; 1 the database is missing or unreadable, the\n"
	      "test has no result, or --export-durations left out tests known only by\n"
	      "their JUnit key (the file is written with the rest); 2 usage error.\n",
		f);
}

typedef struct {
	int json, many_suites;
	size_t top;
	long long shown;
} out;

static double secs(int64_t us)
{
	return us < 0 ? 0.0 : (double)us / 1e6;
}

/* A test's name in a table: "suite: " before it when several suites show,
 * and its start cut (".." marks the cut) so the row fits. Widths are the
 * columns a terminal gives the text (cli_width), not bytes, so the figures
 * after a UTF-8 nodeid stay in line. */
static void name_cell(const out *o, const char *suite, const char *id, int width)
{
	const char *pre = o->many_suites ? suite : "", *sep = o->many_suites ? ": " : "";
	size_t cols = (size_t)width, wid = cli_width(id), wpre = o->many_suites ? cli_width(suite) + 2 : 0;

	fputs("  ", stdout);
	if (wpre + wid > cols) {
		/* What fits of the end of suite, ": " and id, after "..". */
		fputs("..", stdout);
		cols -= 2;
		if (wid >= cols) {
			pre = sep = "";
			id = cli_tail(id, cols);
		} else if (cols - wid >= 2) {
			pre = cli_tail(pre, cols - wid - 2);
		} else {
			/* One column left before id. */
			pre = "";
			sep = " ";
		}
	}
	printf("%s%s", pre, sep);
	cli_pad(stdout, id, cols - cli_width(pre) - cli_width(sep));
}

static void json_key(const char *key, const char *suite, const char *id)
{
	printf("{\"suite\": ");
	cli_json_string(stdout, suite);
	printf(", \"%s\": ", key);
	cli_json_string(stdout, id);
}

/* A section's start: its JSON key, or its title with the column names
 * right-aligned to the table's width. */
static void header(const out *o, const char *key, const char *title, const char *cols)
{
	if (o->json)
		printf(", \"%s\": [", key);
	else
		printf("\n%s%*s\n", title, (int)(WIDTH - strlen(title)), cols);
}

static size_t rows(const out *o, size_t n)
{
	return n < o->top ? n : o->top;
}

/* A row's start: its JSON object's first members (the caller writes the
 * rest and the closing brace), or its name cell of the given width. */
static void row(const out *o, size_t i, const char *key, const char *suite, const char *id, int width)
{
	if (o->json) {
		printf("%s", i ? ", " : "");
		json_key(key, suite, id);
	} else {
		name_cell(o, suite, id, width);
	}
}

static void footer(const out *o)
{
	if (o->json)
		printf("]");
}

static void print_slowest(const out *o, const hist_stats *st)
{
	size_t n = rows(o, hist_stats_count(st, HIST_STATS_SLOWEST));

	header(o, "slowest", "slowest tests", "median s     min s     max s  runs");
	for (size_t i = 0; i < n; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_SLOWEST, i);
		row(o, i, "nodeid", t->suite, t->nodeid, WIDTH - 2 - 38);
		if (o->json)
			printf(", \"estimate\": %.6f, \"min\": %.6f, \"max\": %.6f, \"runs\": %u}", secs(t->estimate_us),
				secs(t->min_us), secs(t->max_us), t->runs);
		else
			printf("%10.3f%10.3f%10.3f%8u\n", secs(t->estimate_us), secs(t->min_us), secs(t->max_us), t->runs);
	}
	footer(o);
}

static void print_files(const out *o, const hist_stats *st)
{
	size_t n = rows(o, hist_stats_file_count(st));

	header(o, "files", "slowest files", "median s sum  tests");
	for (size_t i = 0; i < n; i++) {
		const hist_stats_file *f = hist_stats_file_get(st, i);
		row(o, i, "file", f->suite, f->file, WIDTH - 2 - 21);
		if (o->json)
			printf(", \"estimate\": %.6f, \"tests\": %zu}", secs(f->estimate_us), f->tests);
		else
			printf("%14.3f%7zu\n", secs(f->estimate_us), f->tests);
	}
	footer(o);
}

static void print_flaky(const out *o, const hist_stats *st)
{
	size_t n = rows(o, hist_stats_count(st, HIST_STATS_FLAKY));

	header(o, "flaky", "flaky tests", "runs  passed  failed  reruns");
	for (size_t i = 0; i < n; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_FLAKY, i);
		row(o, i, "nodeid", t->suite, t->nodeid, WIDTH - 2 - 30);
		if (o->json)
			printf(", \"runs\": %u, \"passed\": %u, \"failed\": %u, \"reruns\": %u}", t->runs, t->passed,
				t->failed, t->rerun);
		else
			printf("%6u%8u%8u%8u\n", t->runs, t->passed, t->failed, t->rerun);
	}
	footer(o);
}

static void print_regressions(const out *o, const hist_stats *st)
{
	size_t n = rows(o, hist_stats_count(st, HIST_STATS_REGRESSIONS));

	header(o, "regressions", "duration regressions", "last s  before s   ratio");
	for (size_t i = 0; i < n; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_REGRESSIONS, i);
		double ratio = t->before_us > 0 ? (double)t->last_us / (double)t->before_us : 0.0;
		row(o, i, "nodeid", t->suite, t->nodeid, WIDTH - 2 - 28);
		if (o->json)
			printf(", \"last\": %.6f, \"before\": %.6f, \"ratio\": %.2f}", secs(t->last_us), secs(t->before_us),
				ratio);
		else
			printf("%10.3f%10.3f%8.2f\n", secs(t->last_us), secs(t->before_us), ratio);
	}
	footer(o);
}

static void print_unseen(const out *o, const hist_stats *st)
{
	size_t n = rows(o, hist_stats_count(st, HIST_STATS_UNSEEN));

	header(o, "unseen", "not seen lately", "runs ago  runs");
	for (size_t i = 0; i < n; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_UNSEEN, i);
		row(o, i, "nodeid", t->suite, t->nodeid, WIDTH - 2 - 16);
		if (o->json)
			printf(", \"runs_ago\": %u, \"runs\": %u}", t->last_seen, t->runs);
		else
			printf("%10u%6u\n", t->last_seen, t->runs);
	}
	footer(o);
}

static int test_line(const hist_test_result *r, void *payload)
{
	out *o = payload;
	char when[64];

	cli_utc(when, sizeof when, r->started_us);
	if (o->json) {
		printf("%s{\"suite\": ", o->shown ? ", " : "");
		cli_json_string(stdout, r->suite);
		printf(", \"run_id\": ");
		cli_json_string(stdout, r->run_id);
		printf(", \"started\": \"%s\", \"outcome\": \"%s\", \"duration\": ", when, hist_outcome_name(r->outcome));
		if (r->duration_us >= 0)
			printf("%.6f", secs(r->duration_us));
		else
			printf("null");
		printf(", \"attempts\": %u}", r->attempts);
	} else {
		cli_pad(stdout, r->suite, 12);
		putchar(' ');
		cli_pad(stdout, r->run_id, 30);
		printf(" %s  %-8s ", when, hist_outcome_name(r->outcome));
		if (r->duration_us >= 0)
			printf("%10.3f", secs(r->duration_us));
		else
			printf("%10s", "-");
		printf("%4u\n", r->attempts);
	}
	o->shown++;
	return 0;
}

/* --plans: each plan run, its shards' predicted seconds beside the wall
 * time their reports gave. */
typedef struct {
	int64_t predicted_us, actual_us; /* the slowest of each; -1: none known */
	unsigned int reported, missing;
} plan_sums;

static plan_sums sum_plan(const hist_plan_run *r)
{
	plan_sums s = { -1, -1, 0, 0 };

	for (unsigned int k = 0; k < r->shards; k++) {
		const hist_plan_shard_run *h = &r->shard[k];
		if (h->predicted_us > s.predicted_us)
			s.predicted_us = h->predicted_us;
		if (h->reports)
			s.reported++;
		else
			s.missing++;
		if (h->actual_us > s.actual_us)
			s.actual_us = h->actual_us;
	}
	return s;
}

/* A string of the history in a header line, its start cut to max columns
 * (between characters, never inside one). */
static void put_cut(const char *s, size_t max)
{
	if (cli_width(s) > max)
		printf("..%s", cli_tail(s, max - 2));
	else
		fputs(s, stdout);
}

/* Actual, error in seconds and as a share of the prediction: each cell
 * after a space, so a figure wider than its column still stands apart. */
static void actual_cells(int64_t predicted_us, int64_t actual_us)
{
	if (actual_us < 0) {
		printf(" %10s %10s %9s", "-", "-", "-");
		return;
	}
	printf(" %10.3f %+10.3f", secs(actual_us), secs(actual_us) - secs(predicted_us));
	if (predicted_us > 0)
		printf(" %+8.1f%%", 100.0 * ((double)actual_us - (double)predicted_us) / (double)predicted_us);
	else
		printf(" %9s", "-");
}

static void json_seconds_or_null(const char *key, int64_t us)
{
	if (us >= 0)
		printf(", \"%s\": %.6f", key, secs(us));
	else
		printf(", \"%s\": null", key);
}

static void json_error(int64_t predicted_us, int64_t actual_us)
{
	if (actual_us < 0) {
		printf(", \"error\": null, \"error_percent\": null");
		return;
	}
	printf(", \"error\": %.6f, \"error_percent\": ", secs(actual_us) - secs(predicted_us));
	if (predicted_us > 0)
		printf("%.2f", 100.0 * ((double)actual_us - (double)predicted_us) / (double)predicted_us);
	else
		printf("null");
}

static void plan_json(const out *o, const hist_plan_run *r, const plan_sums *s, const char *started,
	const char *stored)
{
	unsigned int listed = 0;

	printf("%s{\"plan_id\": \"%s\", \"suite\": ", o->shown ? ", " : "", r->plan_id);
	cli_json_string(stdout, r->suite);
	printf(", \"run_id\": ");
	if (r->run_id)
		cli_json_string(stdout, r->run_id);
	else
		printf("null");
	printf(", \"started\": \"%s\", \"stored\": \"%s\", \"shard_count\": %u, \"reported\": %u, \"missing\": [",
		started, stored, r->shards, s->reported);
	for (unsigned int k = 0; k < r->shards; k++)
		if (!r->shard[k].reports)
			printf("%s%u", listed++ ? ", " : "", k + 1);
	printf("]");
	json_seconds_or_null("predicted", s->predicted_us);
	json_seconds_or_null("actual", s->actual_us);
	json_error(s->predicted_us, s->actual_us);
	printf(", \"shards\": [");
	for (unsigned int k = 0; k < r->shards; k++) {
		const hist_plan_shard_run *h = &r->shard[k];
		printf("%s{\"shard\": %u, \"tests\": %zu, \"reports\": %u", k ? ", " : "", k + 1, h->tests,
			h->reports);
		json_seconds_or_null("predicted", h->predicted_us);
		json_seconds_or_null("actual", h->actual_us);
		json_error(h->predicted_us, h->actual_us);
		printf("}");
	}
	printf("]}");
}

static int plan_line(const hist_plan_run *r, void *payload)
{
	out *o = payload;
	plan_sums s = sum_plan(r);
	char started[64], stored[64];
	int width = 0;

	cli_utc(started, sizeof started, r->started_us);
	cli_utc(stored, sizeof stored, r->stored_us);
	if (o->json) {
		plan_json(o, r, &s, started, stored);
		o->shown++;
		return 0;
	}
	printf("%splan %s  suite ", o->shown ? "\n" : "", r->plan_id);
	put_cut(r->suite, 40);
	printf("  %u %s, %u reported\n", r->shards, r->shards == 1 ? "shard" : "shards", s.reported);
	if (r->run_id) {
		fputs("run ", stdout);
		put_cut(r->run_id, 50);
		printf("  started %s\n", started);
	} else
		printf("no run reported it; stored %s\n", stored);
	if (s.missing && r->run_id) {
		width = printf("missing:");
		for (unsigned int k = 0; k < r->shards; k++) {
			if (r->shard[k].reports)
				continue;
			if (width > WIDTH - 12) {
				printf(" ...");
				break;
			}
			width += printf(" %u", k + 1);
		}
		printf("\n");
	}
	printf("%5s %7s %12s %10s %10s %9s\n", "shard", "tests", "predicted s", "actual s", "error s", "error");
	for (unsigned int k = 0; k < r->shards; k++) {
		const hist_plan_shard_run *h = &r->shard[k];
		printf("%5u %7zu %12.3f", k + 1, h->tests, secs(h->predicted_us));
		actual_cells(h->predicted_us, h->actual_us);
		if (!h->reports)
			printf("  missing");
		else if (h->actual_us < 0)
			printf("  no wall time");
		else if (h->reports > 1)
			printf("  %u reports: the longest", h->reports);
		printf("\n");
	}
	printf("%-13s %12.3f", "slowest", secs(s.predicted_us));
	actual_cells(s.predicted_us, s.actual_us);
	if (s.missing && s.reported)
		printf("  of %u reported", s.reported);
	printf("\n");
	o->shown++;
	return 0;
}

static int show_plans(out *o, hist_db *db, const char *suite)
{
	int error;

	if (o->json)
		printf("{\"plans\": [");
	error = hist_db_plan_runs(db, suite, o->top, plan_line, o);
	if (o->json)
		printf("]}\n");
	else if (error == 0 && !o->shown)
		printf("no plan stored: histmerge --plan DIR stores the plan its reports ran\n");
	return error;
}

/* The JUnit key pytest's xunit2 gives nodeid, allocated; NULL for an
 * empty nodeid or no memory. */
static char *junit_key(const char *nodeid)
{
	size_t len = strlen(nodeid);
	int64_t need = hist_nodeid_junit_key(NULL, 0, nodeid, len);
	char *key = need >= 0 ? malloc((size_t)need + 1) : NULL;

	if (key)
		hist_nodeid_junit_key(key, (size_t)need + 1, nodeid, len);
	return key;
}

/* --test NODEID: a run that knew the test only by its JUnit key (an xunit2
 * report) holds its result under the key, so both are read, and a run with
 * both shows the nodeid's. */
typedef struct {
	hist_test_result r;
	int by_key;
} held;

typedef struct {
	held *v;
	size_t n, cap;
	int by_key;
	int oom;   /* hold failed: the walk's -1 is ours, not the library's */
} results;

static int hold(const hist_test_result *r, void *payload)
{
	results *rs = payload;
	held *h;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		held *v = realloc(rs->v, cap * sizeof *v);
		if (!v)
			return rs->oom = -1;
		rs->v = v;
		rs->cap = cap;
	}
	h = &rs->v[rs->n];
	h->r = *r;
	h->by_key = rs->by_key;
	h->r.suite = strdup(r->suite);
	h->r.run_id = strdup(r->run_id);
	if (!h->r.suite || !h->r.run_id) {
		free((char *)h->r.suite);
		free((char *)h->r.run_id);
		return rs->oom = -1;
	}
	rs->n++;
	return 0;
}

static int cmp_held(const void *pa, const void *pb)
{
	const held *a = pa, *b = pb;
	int c = strcmp(a->r.suite, b->r.suite);

	if (c)
		return c;
	if (a->r.started_us != b->r.started_us)
		return a->r.started_us < b->r.started_us ? -1 : 1;
	c = strcmp(a->r.run_id, b->r.run_id);
	return c ? c : a->by_key - b->by_key;
}

/* Says what failed itself: an allocation of its own, or the library's
 * message. */
static int show_test(out *o, hist_db *db, const char *suite, const char *nodeid)
{
	results rs = { NULL, 0, 0, 0, 0 };
	char *key = junit_key(nodeid);
	int error = *nodeid && !key ? (rs.oom = -1) : 0;

	if (!error)
		error = hist_db_test_history(db, suite, nodeid, hold, &rs);
	rs.by_key = 1;
	if (!error && key && strcmp(key, nodeid) != 0)
		error = hist_db_test_history(db, suite, key, hold, &rs);
	if (error < 0)
		cli_error("%s", rs.oom ? "out of memory" : hist_db_errmsg(db));
	if (rs.n > 1)
		qsort(rs.v, rs.n, sizeof *rs.v, cmp_held);
	if (o->json) {
		printf("{\"nodeid\": ");
		cli_json_string(stdout, nodeid);
		printf(", \"results\": [");
	} else {
		printf("%-12s %-30s %-20s  %-8s %10s%4s\n", "suite", "run", "started", "outcome", "seconds", "att");
	}
	for (size_t i = 0; i < rs.n && !error; i++)
		if (!i || strcmp(rs.v[i].r.suite, rs.v[i - 1].r.suite) != 0 ||
		    strcmp(rs.v[i].r.run_id, rs.v[i - 1].r.run_id) != 0)
			test_line(&rs.v[i].r, o);
	if (o->json)
		printf("]}\n");
	for (size_t i = 0; i < rs.n; i++) {
		free((char *)rs.v[i].r.suite);
		free((char *)rs.v[i].r.run_id);
	}
	free(rs.v);
	free(key);
	return error;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t sort_distinct(const char **v, size_t n)
{
	size_t d = 0;

	if (n > 1)
		qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n; i++)
		d += !i || strcmp(v[i], v[i - 1]) != 0;
	return d;
}

/* What --export-durations wrote and left out, counted apart from it: each
 * nodeid with an estimate once (several suites write it once), and each
 * test known only by its JUnit key (xunit2 gives no file path, so no
 * nodeid to write) unless a written nodeid has that key. -1: no memory. */
static int export_counts(const hist_stats *st, size_t *written, size_t *left_out)
{
	size_t n = hist_stats_count(st, HIST_STATS_SLOWEST), nids = 0, nkeys = 0;
	const char **ids = calloc(n + 1, sizeof *ids), **keys = calloc(n + 1, sizeof *keys);
	const char **id_keys = calloc(n + 1, sizeof *id_keys);
	int error = ids && keys && id_keys ? 0 : -1;

	*written = *left_out = 0;
	for (size_t i = 0; i < n && !error; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_SLOWEST, i);

		if (t->is_key) {
			keys[nkeys++] = t->nodeid;
		} else if ((id_keys[nids] = junit_key(t->nodeid))) {
			ids[nids++] = t->nodeid;
		} else {
			error = -1;
		}
	}
	if (!error) {
		*written = sort_distinct(ids, nids);
		sort_distinct(id_keys, nids);
		sort_distinct(keys, nkeys);
		for (size_t i = 0; i < nkeys; i++)
			*left_out += (!i || strcmp(keys[i], keys[i - 1]) != 0) &&
				     !bsearch(&keys[i], id_keys, nids, sizeof *id_keys, cmp_str);
	}
	for (size_t i = 0; id_keys && i < nids; i++)
		free((char *)id_keys[i]);
	free(ids);
	free(keys);
	free(id_keys);
	return error;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "suite", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 't' },
		{ "test", required_argument, NULL, 'T' },
		{ "export-durations", required_argument, NULL, 'e' },
		{ "plans", no_argument, NULL, 'P' },
		{ "html", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	hist_db_options dbo = HIST_DB_OPTIONS_INIT;
	hist_stats_options so = HIST_STATS_OPTIONS_INIT;
	const char *db_opt = NULL, *suite = getenv("HIST_SUITE"), *test = NULL, *export = NULL, *html = NULL;
	hist_db *db = NULL;
	hist_stats *st = NULL;
	hist_counts counts;
	out o = { 0, 0, 10, 0 };
	long top;
	int c, quiet = 0, plans = 0, error;

	cli_init("histstats");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":q", options, NULL)) != -1) {
		switch (c) {
		case 'd': db_opt = optarg; break;
		case 's': suite = optarg; break;
		case 't':
			if (cli_parse_long(&top, optarg, 1, 1000000000) < 0)
				return cli_usage_error("--top: expected a positive integer");
			o.top = (size_t)top;
			break;
		case 'T': test = optarg; break;
		case 'e': export = optarg; break;
		case 'P': plans = 1; break;
		case 'H': html = optarg; break;
		case 'j': o.json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': cli_version(); return CLI_OK;
		default: return cli_option_error(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!!test + !!export + plans + !!html > 1)
		return cli_usage_error("--test, --plans, --html and --export-durations do not go together");
	/* Unlike the tools that write, no suite named means all of them. */
	if (suite && !*suite)
		suite = NULL;
	so.suite = suite;

	dbo.read_only = 1;
	dbo.busy_timeout_ms = cli_busy_timeout_ms();
	if ((error = hist_db_open(&db, cli_db_path(db_opt), &dbo)) < 0)
		goto failed;
	if (test) {
		if ((error = show_test(&o, db, suite, test)) < 0)
			goto done;
		if (!o.shown) {
			cli_error("%s: no result in the history", test);
			error = -1;
		}
		goto done;
	}
	if (plans) {
		if ((error = show_plans(&o, db, suite)) < 0)
			goto failed;
		goto done;
	}
	if ((error = hist_db_counts(&counts, db, suite)) < 0 || (error = hist_stats_create(&st, db, &so)) < 0)
		goto failed;
	if (export) {
		size_t written, left_out;

		if ((error = hist_stats_export_durations(st, export, db)) < 0)
			goto failed;
		if ((error = export_counts(st, &written, &left_out)) < 0) {
			cli_error("out of memory");
			goto done;
		}
		if (!quiet)
			cli_error("%s: durations of %zu tests", export, written);
		if (left_out) {
			cli_error("warning: %s: %zu tests known only by their JUnit classname and name (xunit2 "
				  "reports carry no file path) left out: no nodeid to write; ingest reports with "
				  "nodeids (the plugin's --hist-report, or xunit1)",
				  export, left_out);
			error = -1;
		}
		goto done;
	}
	if (html) {
		hist_html_options ho = HIST_HTML_OPTIONS_INIT;
		ho.suite = suite;
		ho.top = o.top;
		if ((error = hist_stats_write_html(st, db, &ho, html)) < 0)
			goto failed;
		if (!quiet)
			cli_error("%s: report of %lld runs, %lld tests", html, (long long)counts.runs, (long long)counts.tests);
		goto done;
	}
	for (size_t i = 1; i < hist_stats_count(st, HIST_STATS_SLOWEST) && !o.many_suites; i++)
		o.many_suites = strcmp(hist_stats_get(st, HIST_STATS_SLOWEST, i)->suite,
					hist_stats_get(st, HIST_STATS_SLOWEST, 0)->suite) != 0;
	if (o.json)
		printf("{\"runs\": %lld, \"tests\": %lld, \"results\": %lld", (long long)counts.runs,
			(long long)counts.tests, (long long)counts.results);
	else
		printf("suite    %s\nruns     %lld\ntests    %lld\nresults  %lld\n", suite ? suite : "(all)",
			(long long)counts.runs, (long long)counts.tests, (long long)counts.results);
	print_slowest(&o, st);
	print_files(&o, st);
	print_flaky(&o, st);
	print_regressions(&o, st);
	print_unseen(&o, st);
	if (o.json)
		printf("}\n");
	goto done;
failed:
	cli_error("%s", hist_db_errmsg(db));
done:
	hist_stats_free(st);
	hist_db_free(db);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the output failed");
		error = -1;
	}
	return error < 0 ? CLI_FAILURE : CLI_OK;
}
