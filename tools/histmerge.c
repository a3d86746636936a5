/* histmerge - add test results (files, directories, stdin, other histories)
 * to the history database. A thin front end over hist_ingest_path: the
 * options and the summary here, the inputs in histmerge_inputs.c, the
 * --plan account in histmerge_plan.c. */
#include "histmerge.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("Usage: histmerge [OPTION]... INPUT...\n"
	      "Add test results to the history database.\n"
	      "\n"
	      "INPUT is a file, a directory (its files, in byte order of names) or - for\n"
	      "stdin. Formats are told by content, gzip by its magic bytes: JUnit XML,\n"
	      "pytest-reportlog, hist and pytest-balance JSONL, pytest-split\n"
	      ".test_durations, or another hist database (merged with its own runs).\n"
	      "Each input is stored whole or not at all; an input stored before adds\n"
	      "nothing.\n"
	      "\n"
	      "  --db PATH      history database, created when missing\n"
	      "                 (default: $HIST_DB, else .hist.db)\n"
	      "  --suite NAME   tag the runs with this suite (default: $HIST_SUITE, else default)\n"
	      "  --run-id ID    the run all these results belong to (default: from the CI\n"
	      "                 environment, else local-TIME-PID)\n"
	      "  --plan DIR     then check the run against the plan in DIR (shard files and\n"
	      "                 plan.json): from the shards' --hist-report files, every\n"
	      "                 planned test ran once or was deselected; exit 1 naming each\n"
	      "                 test run twice or not at all and each shard report missing\n"
	      "  --json         print a summary as JSON on stdout\n"
	      "  -q, --quiet    no summary and no progress\n"
	      "  -v, --verbose  a line per input\n"
	      "      --help     show this help\n"
	      "      --version  show versions\n"
	      "\n"
	      "Run ids from CI: gh-RUN_ID-ATTEMPT (GitHub Actions), gl-PIPELINE_ID (GitLab),\n"
	      "bk-BUILD_ID (Buildkite), circle-WORKFLOW_ID (CircleCI), az-BUILDID (Azure).\n"
	      "Exit status: 0 every input stored; 1 an input was rejected or the database\n"
	      "failed (the other inputs are still stored); 2 usage error.\n",
		f);
}

static const char *env(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

/* local-20261124T221500Z-4242: it only names the run. */
static void local_run_id(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(buf, size, "local-%04d%02d%02dT%02d%02d%02dZ-%ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec, (long)getpid());
}

/* --json: the counts, the "inputs" list and the "plan" object (null
 * without --plan) as one document. */
static void print_json(const merge *m, const char *plan_doc)
{
	printf("{\"files\": %lld, \"tests\": %lld, \"added\": %lld, \"duplicates\": %lld, \"rejected\": %lld, "
	       "\"run_id\": ",
		(long long)m->files, (long long)m->tests, (long long)m->added, (long long)m->duplicates,
		(long long)m->rejected);
	cli_json_string(stdout, m->opts.run_id);
	printf(", \"inputs\": [%s], \"plan\": ", m->list ? m->list : "");
	if (m->check)
		merge_print_plan_json(m, plan_doc);
	else
		printf("null");
	printf("}\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "suite", required_argument, NULL, 's' },
		{ "run-id", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "plan", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	merge m = { 0 };
	hist_db_options dbo = HIST_DB_OPTIONS_INIT;
	const char *db_opt = NULL, *suite_opt = NULL, *run_opt = NULL, *plan_opt = NULL, *db_path;
	char *plan_doc = NULL;
	char run_id[256];
	struct timespec now;
	int c, verbosity = 0, status;

	cli_init("histmerge");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qv", options, NULL)) != -1) {
		switch (c) {
		case 'd': db_opt = optarg; break;
		case 's': suite_opt = optarg; break;
		case 'r': run_opt = optarg; break;
		case 'j': m.json = 1; break;
		case 'p': plan_opt = optarg; break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity = 1; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': cli_version(); return CLI_OK;
		default: return cli_option_error(c, argv);
		}
	}
	if (optind == argc)
		return cli_usage_error("no input given");
	if ((suite_opt && !*suite_opt) || (run_opt && !*run_opt) || (db_opt && !*db_opt))
		return cli_usage_error("%s: expected a non-empty value",
			suite_opt && !*suite_opt ? "--suite" : run_opt && !*run_opt ? "--run-id" : "--db");
	for (int i = optind; plan_opt && i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			return cli_usage_error("--plan reads each report again after storing it: give the "
			                       "reports as files, not on stdin");
	cli_set_verbosity(verbosity);
	/* A plan that cannot be read fails the run, but the results are
	 * still stored: the next plan needs them. */
	if (plan_opt && hist_plan_check_open(&m.check, plan_opt) < 0) {
		cli_error("%s (the run is not checked against the plan)", hist_plan_check_errmsg(m.check));
		hist_plan_check_free(m.check);
		m.check = NULL;
		m.check_failed = 1;
	}
	if (!run_opt && hist_ci_run_id(run_id, sizeof run_id, env, NULL) != HIST_OK)
		local_run_id(run_id, sizeof run_id);

	db_path = cli_db_path(db_opt);
	dbo.busy_timeout_ms = cli_busy_timeout_ms();
	if (hist_db_open(&m.db, db_path, &dbo) < 0) {
		cli_error("%s", hist_db_errmsg(m.db));
		hist_db_free(m.db);
		return CLI_FAILURE;
	}
	merge_remember_db_files(&m, db_path);
	clock_gettime(CLOCK_REALTIME, &now);
	m.opts = (hist_ingest_options)HIST_INGEST_OPTIONS_INIT;
	m.opts.suite = cli_suite(suite_opt);
	m.opts.run_id = run_opt ? run_opt : run_id;
	m.opts.fallback_start_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	m.opts.progress = merge_progress;
	m.opts.payload = &m;
	if (m.json && !(m.list_f = open_memstream(&m.list, &m.list_len))) {
		cli_error("out of memory");
		hist_db_free(m.db);
		return CLI_FAILURE;
	}

	status = CLI_OK;
	for (int i = optind; i < argc && status == CLI_OK; i++) {
		int error;
		m.top = argv[i];
		if (strcmp(argv[i], "-") == 0)
			error = merge_ingest_one(argv[i], &m);
		else
			error = hist_walk(argv[i], merge_ingest_one, merge_unreadable, &m);
		if (error < 0) {
			cli_error("%s: %s", argv[i], hist_strerror(error));
			status = CLI_FAILURE;
		}
	}
	if (m.check && merge_store_plan(&m) < 0)
		status = CLI_FAILURE;
	hist_db_free(m.db);
	if (m.rejected || m.check_failed)
		status = CLI_FAILURE;

	if (verbosity >= 0)
		cli_error("%lld %s, %lld %s, %lld %s added, %lld %s, %lld %s rejected", (long long)m.files,
			cli_plural(m.files, "file", "files"), (long long)m.tests, cli_plural(m.tests, "test", "tests"),
			(long long)m.added, cli_plural(m.added, "result", "results"), (long long)m.duplicates,
			cli_plural(m.duplicates, "duplicate", "duplicates"), (long long)m.rejected,
			cli_plural(m.rejected, "file", "files"));
	if (m.json)
		fclose(m.list_f);
	m.list_f = NULL;
	/* Every input stored, then the account: a failing check never keeps
	 * results out of the history. */
	if (m.check && merge_finish_check(&m, &plan_doc) != 0)
		status = CLI_FAILURE;
	if (m.json) {
		print_json(&m, plan_doc);
		free(m.list);
	}
	free(plan_doc);
	hist_plan_check_free(m.check);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the output failed");
		status = CLI_FAILURE;
	}
	return status;
}
