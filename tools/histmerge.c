/* histmerge - add test results (files, directories, stdin, other histories)
 * to the history database. A thin front end over hist_ingest_path. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hist.h"

typedef struct {
	hist_db *db;
	hist_ingest_options opts;
	const char *top;       /* the INPUT being walked */
	struct stat db_files[4]; /* the database and its -wal, -shm, -journal */
	int json;
	int64_t files, tests, added, duplicates, rejected;
	char *list;            /* the --json "inputs" array, built as we go */
	size_t list_len;
	FILE *list_f;
	int64_t listed;
	int64_t input_size;    /* bytes of the input being read; 0: unknown */
	hist_plan_check *check; /* --plan: the plan the reports are checked against */
	hist_plan_check_totals plan_totals;
	int check_failed;       /* a report could not be read for the check */
} merge;

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

/* hist_check_kind's names in --json, in enum order. */
static const char *const check_kind[] = { "other_plan", "shard_missing", "shard_twice", "interrupted",
	"ran_twice", "not_run", "gone", "unplanned" };

static const char *env(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

/* One element of the --json "inputs" list. */
static void list_input(merge *m, const char *name, const hist_ingest_stats *st, const char *error)
{
	if (!m->list_f)
		return;
	fprintf(m->list_f, "%s{\"file\": ", m->listed++ ? ", " : "");
	cli_json_string(m->list_f, name);
	fprintf(m->list_f, ", \"format\": \"%s\", \"tests\": %lld, \"added\": %lld, \"duplicates\": %lld, "
			   "\"already_seen\": %s, \"error\": ",
		hist_format_name(st->format), (long long)st->tests, (long long)st->added, (long long)st->duplicates,
		st->already_seen ? "true" : "false");
	if (error)
		cli_json_string(m->list_f, error);
	else
		fputs("null", m->list_f);
	fputc('}', m->list_f);
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The database and its companion files are not inputs when a directory
 * holding them is walked. */
static int is_db_file(const merge *m, const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return 0;
	for (int i = 0; i < 4; i++)
		if (m->db_files[i].st_ino && st.st_dev == m->db_files[i].st_dev && st.st_ino == m->db_files[i].st_ino)
			return 1;
	return 0;
}

/* A regular file's size, for a percentage; 0 for stdin, pipes and
 * anything else whose end is not known beforehand. */
static int64_t input_size(const char *file)
{
	struct stat st;

	if (!file || stat(file, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	return (int64_t)st.st_size;
}

static int ingest_one(const char *file, void *payload)
{
	merge *m = payload;
	int stdin_input = strcmp(file, "-") == 0 && file == m->top;
	const char *name = stdin_input ? "<stdin>" : file;
	hist_ingest_stats st;
	int error;

	if (file != m->top && is_db_file(m, file)) {
		if (cli_verbosity() > 0)
			cli_error("%s: skipped: the history database itself", file);
		return 0;
	}
	m->files++;
	m->input_size = input_size(stdin_input ? NULL : file);
	error = hist_ingest_path(&st, m->db, file, name, &m->opts);
	cli_progress_done();
	list_input(m, name, &st, error < 0 ? hist_db_errmsg(m->db) : NULL);
	if (error < 0) {
		cli_error("%s", hist_db_errmsg(m->db));
		m->rejected++;
		return 0;
	}
	m->tests += st.tests;
	m->added += st.added;
	m->duplicates += st.duplicates;
	/* Stored; now read again for the plan's account. */
	if (m->check && (error = hist_plan_check_add(m->check, file, name)) < 0) {
		cli_error("%s", hist_plan_check_errmsg(m->check));
		m->check_failed = 1;
	}
	if (cli_verbosity() > 0)
		cli_error("%s: %s, %lld %s, %lld added, %lld %s%s", name, hist_format_name(st.format),
			(long long)st.tests, plural(st.tests, "test", "tests"), (long long)st.added,
			(long long)st.duplicates, plural(st.duplicates, "duplicate", "duplicates"),
			st.already_seen ? " (ingested before)" : "");
	return 0;
}

static void unreadable(const char *file, const char *message, void *payload)
{
	merge *m = payload;
	hist_ingest_stats st = { 0 };
	char text[8192];

	snprintf(text, sizeof text, "%s: %s", file, message);
	cli_error("%s", text);
	list_input(m, file, &st, text);
	m->files++;
	m->rejected++;
}

static void print_problem(const hist_check_problem *p, void *payload)
{
	merge *m = payload;

	if (p->line)
		cli_error("%s:%lu: %s", p->file, p->line, p->message);
	else
		cli_error("%s: %s", p->file, p->message);
	if (!m->list_f)
		return;
	fprintf(m->list_f, "%s{\"kind\": \"%s\", \"file\": ", m->listed++ ? ", " : "", check_kind[p->kind]);
	cli_json_string(m->list_f, p->file);
	fprintf(m->list_f, ", \"line\": %lu, \"nodeid\": ", p->line);
	if (p->nodeid)
		cli_json_string(m->list_f, p->nodeid);
	else
		fputs("null", m->list_f);
	fprintf(m->list_f, ", \"shard\": %u, \"message\": ", p->shard);
	cli_json_string(m->list_f, p->message);
	fputc('}', m->list_f);
}

/* Accounts the run against the plan: problems on stderr (and in the JSON
 * "plan" object, which this prints into the list stream's place). */
static int finish_check(merge *m, char **doc)
{
	hist_plan_check_totals t;
	size_t len = 0;
	int error;

	m->listed = 0;
	if (m->list_f)
		fclose(m->list_f);
	m->list_f = m->json ? open_memstream(doc, &len) : NULL;
	if (m->json && !m->list_f)
		return -1;
	error = hist_plan_check_finish(&t, m->check, print_problem, m);
	if (m->list_f)
		fclose(m->list_f);
	m->list_f = NULL;
	if (error < 0) {
		cli_error("%s", hist_plan_check_errmsg(m->check));
		return -1;
	}
	if (cli_verbosity() >= 0)
		cli_error("plan %s: %zu planned tests: %zu ran, %zu deselected, %zu gone, %zu unaccounted; %zu "
		          "unplanned ran, %zu ran twice; %zu %s of %u %s; %zu %s",
		          hist_plan_check_id(m->check), t.planned, t.ran, t.deselected, t.gone, t.unaccounted,
		          t.unplanned, t.ran_twice, t.reports, plural((int64_t)t.reports, "report", "reports"),
		          hist_plan_check_shard_count(m->check),
		          plural(hist_plan_check_shard_count(m->check), "shard", "shards"), t.problems,
		          plural((int64_t)t.problems, "problem", "problems"));
	m->plan_totals = t;
	return t.problems ? 1 : 0;
}

/* Called by the library every few thousand records; bytes are those of
 * the file as stored (compressed, for gzip), like its size. */
static void progress(const char *name, uint64_t bytes, void *payload)
{
	const merge *m = payload;
	double mib = (double)bytes / (1024.0 * 1024.0);

	if (m->input_size > 0 && bytes <= (uint64_t)m->input_size)
		cli_progress("%s: %d%% of %.1f MiB", name, (int)(100.0 * (double)bytes / (double)m->input_size),
			(double)m->input_size / (1024.0 * 1024.0));
	else
		cli_progress("%s: %.1f MiB read", name, mib);
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

static void remember_db_files(merge *m, const char *db)
{
	static const char *const suffix[4] = { "", "-wal", "-shm", "-journal" };
	char path[4096];

	for (int i = 0; i < 4; i++) {
		memset(&m->db_files[i], 0, sizeof m->db_files[i]);
		if ((size_t)snprintf(path, sizeof path, "%s%s", db, suffix[i]) < sizeof path)
			stat(path, &m->db_files[i]);
	}
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
	remember_db_files(&m, db_path);
	clock_gettime(CLOCK_REALTIME, &now);
	m.opts = (hist_ingest_options)HIST_INGEST_OPTIONS_INIT;
	m.opts.suite = cli_suite(suite_opt);
	m.opts.run_id = run_opt ? run_opt : run_id;
	m.opts.fallback_start_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	m.opts.progress = progress;
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
			error = ingest_one(argv[i], &m);
		else
			error = hist_walk(argv[i], ingest_one, unreadable, &m);
		if (error < 0) {
			cli_error("%s: %s", argv[i], hist_strerror(error));
			status = CLI_FAILURE;
		}
	}
	hist_db_free(m.db);
	if (m.rejected || m.check_failed)
		status = CLI_FAILURE;

	if (verbosity >= 0)
		cli_error("%lld %s, %lld %s, %lld %s added, %lld %s, %lld %s rejected", (long long)m.files,
			plural(m.files, "file", "files"), (long long)m.tests, plural(m.tests, "test", "tests"),
			(long long)m.added, plural(m.added, "result", "results"), (long long)m.duplicates,
			plural(m.duplicates, "duplicate", "duplicates"), (long long)m.rejected,
			plural(m.rejected, "file", "files"));
	if (m.json)
		fclose(m.list_f);
	m.list_f = NULL;
	/* Every input stored, then the account: a failing check never keeps
	 * results out of the history. */
	if (m.check && finish_check(&m, &plan_doc) != 0)
		status = CLI_FAILURE;
	if (m.json) {
		printf("{\"files\": %lld, \"tests\": %lld, \"added\": %lld, \"duplicates\": %lld, \"rejected\": %lld, "
		       "\"run_id\": ",
			(long long)m.files, (long long)m.tests, (long long)m.added, (long long)m.duplicates,
			(long long)m.rejected);
		cli_json_string(stdout, m.opts.run_id);
		printf(", \"inputs\": [%s], \"plan\": ", m.list ? m.list : "");
		if (m.check) {
			const hist_plan_check_totals *t = &m.plan_totals;

			printf("{\"plan_id\": \"%s\", \"test_list\": \"%s\", \"shards\": %u, \"planned\": %zu, "
			       "\"ran\": %zu, \"deselected\": %zu, \"gone\": %zu, \"unaccounted\": %zu, "
			       "\"unplanned\": %zu, \"ran_twice\": %zu, \"reports\": %zu, \"problems\": [%s]}}\n",
				hist_plan_check_id(m.check), hist_plan_check_test_list(m.check),
				hist_plan_check_shard_count(m.check), t->planned, t->ran, t->deselected, t->gone,
				t->unaccounted, t->unplanned, t->ran_twice, t->reports, plan_doc ? plan_doc : "");
		} else {
			puts("null}");
		}
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
