/* histplan.c - split a pytest suite into shards that finish together.
 * A thin front end over hist_plan_create and the hist_plan_write/_json/
 * _preview/_svg calls: options in, files and tables out. */
#include <getopt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hist.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: histplan [OPTION]... (--shards N | --target-seconds S | --max-tests-per-shard K)\n"
	        "Split a pytest suite into shards that finish together, from its history.\n"
	        "\n"
	        "  -n, --shards N          split into N shards (1..%d)\n"
	        "      --target-seconds S  the fewest shards whose predicted makespan is <= S\n"
	        "      --max-tests-per-shard K\n"
	        "                          at least ceil(tests / K) shards (alone: that many)\n"
	        "      --max-shards M      at most M shards with --target-seconds or\n"
	        "                          --max-tests-per-shard (default %d)\n"
	        "      --workers W         each shard runs under pytest -n W: predict and\n"
	        "                          balance its W-worker makespan, not its sum (1..%d)\n"
	        "      --print-shards      print the number of shards chosen on stdout\n"
	        "      --db PATH           history database (default $HIST_DB, else .hist.db)\n"
	        "      --suite NAME        the suite's history (default $HIST_SUITE, else default)\n"
	        "  -t, --tests FILE|-      the suite as collected now: `pytest --collect-only -q`\n"
	        "                          output, or the plugin's --hist-collect file (with\n"
	        "                          groups) (default: the tests of the newest run)\n"
	        "      --scope SCOPE       keep each test|class|module on one shard (default test)\n"
	        "      --estimator E       ema|median|last over the window, or auto: the one\n"
	        "                          that best predicted each run from those before (default ema)\n"
	        "      --alpha A           EMA weight of the newest run, in (0, 1] (default 0.3)\n"
	        "      --window K          newest runs to estimate from, 1..%d (default 10)\n"
	        "      --test-overhead S   seconds pytest spends per test beyond its own time\n"
	        "                          (default: learnt from history, else 0.001)\n"
	        "      --shard-overhead S  seconds each shard spends starting (collection,\n"
	        "                          session fixtures; default: learnt from history, else 0)\n"
	        "      --effort STEPS      improvement pass budget, a count (default %u)\n"
	        "      --spread-variance K keep noisy tests apart: balance each shard's expected\n"
	        "                          time + K standard deviations of its tests' history\n"
	        "                          (0..%d; default 0, off); predictions stay expected\n"
	        "  -o, --out DIR           write DIR/shard-K.txt and DIR/plan.json (default shards)\n"
	        "      --dry-run           write no shard files\n"
	        "      --preview           print a table of the shards\n"
	        "      --json              print plan.json's document\n"
	        "      --svg FILE          draw the plan as an SVG picture\n"
	        "  -q, --quiet             no summary line\n"
	        "  -v, --verbose           more detail\n"
	        "      --help              this help\n"
	        "      --version           versions of histplan and its libraries\n"
	        "\n"
	        "Exit status: 0 success, 1 runtime failure, 2 usage error.\n",
	        HIST_MAX_SHARDS, HIST_MAX_SHARDS, HIST_MAX_WORKERS, HIST_MAX_WINDOW, HIST_PLAN_EFFORT_DEFAULT,
	        HIST_SPREAD_MAX);
}

enum {
	OPT_TARGET = 256,
	OPT_MAX_TESTS,
	OPT_MAX_SHARDS,
	OPT_WORKERS,
	OPT_PRINT_SHARDS,
	OPT_DB,
	OPT_SUITE,
	OPT_SCOPE,
	OPT_ESTIMATOR,
	OPT_ALPHA,
	OPT_WINDOW,
	OPT_TEST_OVERHEAD,
	OPT_SHARD_OVERHEAD,
	OPT_EFFORT,
	OPT_SPREAD,
	OPT_DRY_RUN,
	OPT_PREVIEW,
	OPT_JSON,
	OPT_SVG,
	OPT_HELP,
	OPT_VERSION
};

static const struct option options[] = {{"shards", required_argument, NULL, 'n'},
                                        {"target-seconds", required_argument, NULL, OPT_TARGET},
                                        {"max-tests-per-shard", required_argument, NULL, OPT_MAX_TESTS},
                                        {"max-shards", required_argument, NULL, OPT_MAX_SHARDS},
                                        {"workers", required_argument, NULL, OPT_WORKERS},
                                        {"print-shards", no_argument, NULL, OPT_PRINT_SHARDS},
                                        {"db", required_argument, NULL, OPT_DB},
                                        {"suite", required_argument, NULL, OPT_SUITE},
                                        {"tests", required_argument, NULL, 't'},
                                        {"scope", required_argument, NULL, OPT_SCOPE},
                                        {"estimator", required_argument, NULL, OPT_ESTIMATOR},
                                        {"alpha", required_argument, NULL, OPT_ALPHA},
                                        {"window", required_argument, NULL, OPT_WINDOW},
                                        {"test-overhead", required_argument, NULL, OPT_TEST_OVERHEAD},
                                        {"shard-overhead", required_argument, NULL, OPT_SHARD_OVERHEAD},
                                        {"effort", required_argument, NULL, OPT_EFFORT},
                                        {"spread-variance", required_argument, NULL, OPT_SPREAD},
                                        {"out", required_argument, NULL, 'o'},
                                        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                                        {"preview", no_argument, NULL, OPT_PREVIEW},
                                        {"json", no_argument, NULL, OPT_JSON},
                                        {"svg", required_argument, NULL, OPT_SVG},
                                        {"quiet", no_argument, NULL, 'q'},
                                        {"verbose", no_argument, NULL, 'v'},
                                        {"help", no_argument, NULL, OPT_HELP},
                                        {"version", no_argument, NULL, OPT_VERSION},
                                        {NULL, 0, NULL, 0}};

/* Seconds in [0, 1e9) as µs; -1 when s is not such a number. */
static int64_t parse_seconds(const char *s)
{
	double v;

	if (cli_parse_double(&v, s) < 0 || v < 0 || v >= 1e9)
		return -1;
	return (int64_t)(v * 1e6 + 0.5);
}

/* Index of s in names (NULL-terminated), or -1. */
static int pick(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void warning(const char *message, void *payload)
{
	(void)payload;
	cli_error("warning: %s", message);
}

static void progress(const char *what, uint64_t done, void *payload)
{
	(void)payload;
	cli_progress("history: %llu %s", (unsigned long long)done, what);
}

static int to_stdout(const char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

/* A whole number option from lo to hi: 0, or the usage error's status. */
static int whole(long *v, const char *name, const char *arg, long lo, long hi)
{
	if (cli_parse_long(v, arg, lo, hi) < 0)
		return cli_usage_error("--%s: expected a whole number from %ld to %ld, got '%s'", name, lo, hi, arg);
	return 0;
}

/* No history to plan from and no --tests: no file at db_path (suite
 * NULL), or a file without a result of suite. Either way the one way out
 * is the collected suite. */
static void nothing_to_plan(const char *db_path, const char *suite)
{
	cli_error("%s: %s%s%s, and no --tests to plan from: give the collected suite (pytest "
	          "--collect-only -q > tests.txt; histplan --tests tests.txt) for a first plan",
	          db_path, suite ? "no result of suite '" : "no such history database", suite ? suite : "",
	          suite ? "' in the history" : "");
}

int main(int argc, char **argv)
{
	static const char *const scopes[] = {"test", "class", "module", NULL};
	static const char *const estimators[] = {"ema", "median", "last", "auto", NULL};
	hist_plan_options o = HIST_PLAN_OPTIONS_INIT;
	hist_plan_summary sum = HIST_PLAN_SUMMARY_INIT;
	hist_db_options dbo = HIST_DB_OPTIONS_INIT;
	const char *db_opt = NULL, *db_path, *suite_opt = NULL, *tests = NULL, *out = "shards", *svg = NULL;
	int dry_run = 0, preview = 0, json = 0, print_shards = 0, verbosity = 0, c, error, status = CLI_FAILURE;
	hist_test_list *list = NULL;
	hist_db *db = NULL;
	hist_plan *plan = NULL;
	long v;

	cli_init("histplan");
#ifdef M_MMAP_THRESHOLD
	/* Planning frees the estimator's tables just before the partition
	 * allocates its own: kept in the heap instead of unmapped, they are
	 * reused rather than faulted in afresh (1,000,000 tests: 81,000 page
	 * faults -> 69,000, CPU -8%, peak RSS 250 -> 279 MB). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:t:o:qv", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			if ((error = whole(&v, "shards", optarg, 1, HIST_MAX_SHARDS)))
				return error;
			o.shards = (unsigned int)v;
			break;
		case OPT_TARGET:
			if ((o.target_us = parse_seconds(optarg)) <= 0)
				return cli_usage_error(
				    "--target-seconds: expected a positive number of seconds, got '%s'",
				    optarg);
			break;
		case OPT_MAX_SHARDS:
			if ((error = whole(&v, "max-shards", optarg, 1, HIST_MAX_SHARDS)))
				return error;
			o.max_shards = (unsigned int)v;
			break;
		case OPT_MAX_TESTS:
			if ((error = whole(&v, "max-tests-per-shard", optarg, 1, 2000000000L)))
				return error;
			o.max_tests_per_shard = (size_t)v;
			break;
		case OPT_WORKERS:
			if ((error = whole(&v, "workers", optarg, 1, HIST_MAX_WORKERS)))
				return error;
			o.workers = (unsigned int)v;
			break;
		case OPT_PRINT_SHARDS: print_shards = 1; break;
		case OPT_DB: db_opt = optarg; break;
		case OPT_SUITE: suite_opt = optarg; break;
		case 't': tests = optarg; break;
		case OPT_SCOPE:
			if ((c = pick(optarg, scopes)) < 0)
				return cli_usage_error("--scope: expected test, class or module, got '%s'",
				                       optarg);
			o.scope = (hist_scope)c;
			break;
		case OPT_ESTIMATOR:
			if ((c = pick(optarg, estimators)) < 0)
				return cli_usage_error("--estimator: expected ema, median, last or auto, got '%s'",
				                       optarg);
			o.estimator = (hist_estimator)c;
			break;
		case OPT_ALPHA:
			if (cli_parse_double(&o.alpha, optarg) < 0 || !(o.alpha > 0 && o.alpha <= 1))
				return cli_usage_error("--alpha: expected a number in (0, 1], got '%s'",
				                       optarg);
			break;
		case OPT_WINDOW:
			if ((error = whole(&v, "window", optarg, 1, HIST_MAX_WINDOW)))
				return error;
			o.window = (unsigned int)v;
			break;
		case OPT_TEST_OVERHEAD:
		case OPT_SHARD_OVERHEAD: {
			int64_t us = parse_seconds(optarg);
			if (us < 0)
				return cli_usage_error(
				    "--%s: expected a number of seconds >= 0, got '%s'",
				    c == OPT_TEST_OVERHEAD ? "test-overhead" : "shard-overhead", optarg);
			*(c == OPT_TEST_OVERHEAD ? &o.test_overhead_us : &o.shard_overhead_us) = us;
			break;
		}
		case OPT_EFFORT:
			if ((error = whole(&v, "effort", optarg, 1, 2000000000L)))
				return error;
			o.effort = (uint64_t)v;
			break;
		case OPT_SPREAD:
			if (cli_parse_double(&o.spread_variance, optarg) < 0 ||
			    !(o.spread_variance >= 0 && o.spread_variance <= HIST_SPREAD_MAX))
				return cli_usage_error("--spread-variance: expected a number in [0, %d], got '%s'",
				                       HIST_SPREAD_MAX, optarg);
			break;
		case 'o': out = optarg; break;
		case OPT_DRY_RUN: dry_run = 1; break;
		case OPT_PREVIEW: preview = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_SVG: svg = optarg; break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity = 1; break;
		case OPT_HELP: usage(stdout); return CLI_OK;
		case OPT_VERSION: cli_version(); return CLI_OK;
		default: return cli_option_error(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (o.shards && (o.target_us || o.max_tests_per_shard))
		return cli_usage_error("--shards excludes --target-seconds and --max-tests-per-shard");
	if (!o.shards && !o.target_us && !o.max_tests_per_shard)
		return cli_usage_error("give --shards N, --target-seconds S or --max-tests-per-shard K");
	if (o.max_shards && !o.target_us && !o.max_tests_per_shard)
		return cli_usage_error("--max-shards goes with --target-seconds or --max-tests-per-shard");
	if (preview + json + print_shards > 1)
		return cli_usage_error("--preview, --json and --print-shards all print to stdout: pick one");
	cli_set_verbosity(verbosity);
	o.suite = cli_suite(suite_opt);
	o.warning = warning;
	o.progress = progress;

	if (tests) {
		if ((error = hist_test_list_read(&list, tests, NULL)) < 0) {
			cli_error("%s", hist_test_list_errmsg(list));
			status = error == HIST_E_INVALID ? CLI_USAGE : CLI_FAILURE;
			goto done;
		}
		o.tests = hist_test_list_ids(list);
		o.test_count = hist_test_list_count(list);
		o.groups = hist_test_list_groups(list);
		o.group_markers = hist_test_list_group_markers(list);
	}
	/* Planning reads; it never creates or upgrades a history. */
	dbo.read_only = 1;
	db_path = cli_db_path(db_opt);
	dbo.busy_timeout_ms = cli_busy_timeout_ms();
	if ((error = hist_db_open(&db, db_path, &dbo)) == HIST_E_NOTFOUND) {
		/* The first pipeline (an empty CI cache): with the collected suite
		 * there is a plan to make, by hash; without it there is nothing
		 * to plan. No file is made: histmerge creates the history. */
		if (!list) {
			nothing_to_plan(db_path, NULL);
			goto done;
		}
		cli_error("warning: %s: no such history database yet (a first pipeline, an empty CI "
		          "cache): planning the %zu tests of %s without history",
		          db_path, hist_test_list_count(list), strcmp(tests, "-") ? tests : "stdin");
		hist_db_free(db);
		error = hist_db_open_empty(&db);
	}
	if (error < 0) {
		cli_error("%s", db ? hist_db_errmsg(db) : hist_strerror(error));
		goto done;
	}
	/* A history without a result of the suite (a new suite, a typo in
	 * --suite, everything pruned) is as empty as no file: without the
	 * collected suite there is nothing to plan. */
	if (!list) {
		int any;
		if ((error = hist_db_has_results(&any, db, o.suite)) < 0) {
			cli_error("%s", hist_db_errmsg(db));
			goto done;
		}
		if (!any) {
			nothing_to_plan(db_path, o.suite);
			goto done;
		}
	}
	if ((error = hist_plan_create(&plan, db, &o)) < 0) {
		cli_error("%s", hist_db_errmsg(db));
		status = error == HIST_E_INVALID ? CLI_USAGE : CLI_FAILURE;
		goto done;
	}
	cli_progress_done();
	if ((!dry_run && hist_plan_write(plan, out) < 0) || (svg && hist_plan_write_svg(plan, svg) < 0)) {
		cli_error("%s", hist_plan_errmsg(plan));
		goto done;
	}
	if ((json && hist_plan_json(plan, to_stdout, NULL) < 0) ||
	    (preview && hist_plan_preview(plan, to_stdout, NULL) < 0) ||
	    (print_shards && printf("%u\n", hist_plan_shard_count(plan)) < 0) || fflush(stdout) != 0) {
		cli_error("stdout: write error");
		goto done;
	}
	hist_plan_get_summary(&sum, plan);
	if (verbosity >= 0) {
		char a[32], b[32];
		fprintf(stderr,
		        "histplan: %u shards, %zu tests (%zu without history), makespan %s s, "
		        "lower bound %s s, plan %s%s%s\n",
		        hist_plan_shard_count(plan), sum.tests, sum.tests_without_history,
		        cli_seconds(a, sum.makespan_us), cli_seconds(b, sum.lower_bound_us),
		        hist_plan_id(plan), dry_run ? "" : " in ", dry_run ? "" : out);
	}
	if (verbosity > 0) {
		char a[32], b[32], c2[32];
		fprintf(stderr,
		        "histplan: overheads: per test %s s (%s), per shard %s s (%s), scope set-up "
		        "paid again %s s\n",
		        cli_seconds(a, sum.test_overhead_us), hist_source_name(sum.test_overhead_source),
		        cli_seconds(b, sum.shard_overhead_us), hist_source_name(sum.shard_overhead_source),
		        cli_seconds(c2, sum.scope_setup_us));
	}
	status = CLI_OK;
done:
	hist_plan_free(plan);
	hist_db_free(db);
	hist_test_list_free(list);
	return status;
}
