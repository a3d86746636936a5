/* histprune - keep the history bounded: remove old runs, tests no longer
 * run, then optionally VACUUM. A thin front end over hist_db_prune. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "hist.h"

typedef struct {
	int json, dry_run;
	FILE *list;     /* the --json "removed" array, built as runs go */
	char *list_buf;
	size_t list_len;
	int64_t listed;
} prune;

static void usage(FILE *f)
{
	fputs("Usage: histprune [OPTION]...\n"
	      "Remove old runs and tests no longer run from the history database.\n"
	      "\n"
	      "A run goes when any limit given names it; its results and inputs go\n"
	      "with it. \"Newest\" is by start time, then run id. All in one\n"
	      "transaction that waits for other writers (up to 30 s), so it is safe\n"
	      "from cron beside histmerge and histplan on the same file.\n"
	      "\n"
	      "  --keep-runs N     keep the newest N runs of each suite\n"
	      "  --max-age DAYS    remove runs started more than DAYS days ago (a decimal)\n"
	      "  --drop-unseen K   remove the results of tests that none of the newest K\n"
	      "                    runs left in their suite has\n"
	      "  --dry-run         report what would be removed, change nothing\n"
	      "  --vacuum          then rewrite the file to give the space back\n"
	      "  --db PATH         history database, never created\n"
	      "                    (default: $HIST_DB, else .hist.db)\n"
	      "  --suite NAME      prune only this suite (default: $HIST_SUITE, else\n"
	      "                    every suite)\n"
	      "  --json            print what was removed as JSON on stdout\n"
	      "  -q, --quiet       print nothing but errors\n"
	      "  -v, --verbose     also say which limits applied\n"
	      "      --help        show this help\n"
	      "      --version     show versions\n"
	      "\n"
	      "Test ids left without any result are forgotten. Inputs of removed runs\n"
	      "are forgotten too: giving their files again stores them again. A plan\n"
	      "(histmerge --plan) goes when no run left ran it.\n"
	      "Exit status: 0 success; 1 the database is missing, busy past the timeout\n"
	      "or failed (nothing was removed); 2 usage error.\n",
		f);
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void removed_run(const hist_pruned_run *r, void *payload)
{
	prune *p = payload;
	char when[64];

	cli_utc(when, sizeof when, r->started_us);
	if (p->list) {
		fprintf(p->list, "%s{\"suite\": ", p->listed++ ? ", " : "");
		cli_json_string(p->list, r->suite);
		fputs(", \"run_id\": ", p->list);
		cli_json_string(p->list, r->run_id);
		fprintf(p->list, ", \"started\": \"%s\", \"results\": %lld}", when, (long long)r->results);
	} else if (cli_verbosity() >= 0) {
		printf("%s run %s %s (started %s, %lld %s)\n", p->dry_run ? "would remove" : "removed", r->suite,
			r->run_id, when, (long long)r->results, plural(r->results, "result", "results"));
	}
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void print_summary(const prune *p, const hist_prune_stats *s)
{
	printf("%s %lld %s (%lld %s, %lld %s)", p->dry_run ? "would remove" : "removed", (long long)s->runs,
		plural(s->runs, "run", "runs"), (long long)(s->results - s->unseen_results),
		plural(s->results - s->unseen_results, "result", "results"), (long long)s->inputs,
		plural(s->inputs, "input", "inputs"));
	printf(", %lld unseen %s (%lld %s), %lld test %s", (long long)s->unseen_tests,
		plural(s->unseen_tests, "test", "tests"), (long long)s->unseen_results,
		plural(s->unseen_results, "result", "results"), (long long)s->tests, plural(s->tests, "id", "ids"));
	/* Plans only when some go: most histories never store one. */
	if (s->plans)
		printf(" and %lld %s", (long long)s->plans, plural(s->plans, "plan", "plans"));
	printf(" forgotten; %lld %s kept\n", (long long)s->runs_kept, plural(s->runs_kept, "run", "runs"));
}

static void print_json(const prune *p, const hist_prune_stats *s, long long before, long long after)
{
	printf("{\"dry_run\": %s, \"runs\": %lld, \"results\": %lld, \"inputs\": %lld, \"unseen_tests\": %lld, "
	       "\"unseen_results\": %lld, \"tests\": %lld, \"runs_kept\": %lld, \"plans\": %lld, \"removed\": [%s], ",
		p->dry_run ? "true" : "false", (long long)s->runs, (long long)s->results, (long long)s->inputs,
		(long long)s->unseen_tests, (long long)s->unseen_results, (long long)s->tests, (long long)s->runs_kept,
		(long long)s->plans, p->list_buf ? p->list_buf : "");
	if (after >= 0)
		printf("\"bytes_before\": %lld, \"bytes_after\": %lld}\n", before, after);
	else
		printf("\"bytes_before\": null, \"bytes_after\": null}\n");
}

/* A count option: a whole number from 1 up. */
static int count_option(unsigned int *out, const char *name, const char *arg)
{
	long v;

	if (cli_parse_long(&v, arg, 1, 1000000000) < 0)
		return cli_usage_error("%s: expected a positive integer", name);
	*out = (unsigned int)v;
	return CLI_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "suite", required_argument, NULL, 's' },
		{ "keep-runs", required_argument, NULL, 'k' },
		{ "max-age", required_argument, NULL, 'a' },
		{ "drop-unseen", required_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "vacuum", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	hist_prune_options o = HIST_PRUNE_OPTIONS_INIT;
	hist_db_options dbo = HIST_DB_OPTIONS_INIT;
	hist_prune_stats stats;
	prune p = { 0 };
	const char *db_opt = NULL, *db_path, *suite = getenv("HIST_SUITE");
	hist_db *db = NULL;
	double days = -1;
	long long before = -1, after = -1;
	int c, vacuum = 0, verbosity = 0, error;

	cli_init("histprune");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qv", options, NULL)) != -1) {
		switch (c) {
		case 'd': db_opt = optarg; break;
		case 's': suite = optarg; break;
		case 'k':
			if (count_option(&o.keep_runs, "--keep-runs", optarg) != CLI_OK)
				return CLI_USAGE;
			break;
		case 'u':
			if (count_option(&o.drop_unseen, "--drop-unseen", optarg) != CLI_OK)
				return CLI_USAGE;
			break;
		case 'a':
			if (cli_parse_double(&days, optarg) < 0 || days < 0 || days > 1e6)
				return cli_usage_error("--max-age: expected a number of days from 0 to 1000000");
			break;
		case 'n': p.dry_run = 1; break;
		case 'c': vacuum = 1; break;
		case 'j': p.json = 1; break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity = 1; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': cli_version(); return CLI_OK;
		default: return cli_option_error(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (db_opt && !*db_opt)
		return cli_usage_error("--db: expected a non-empty value");
	if (!o.keep_runs && days < 0 && !o.drop_unseen && !vacuum)
		return cli_usage_error("nothing to do: give --keep-runs, --max-age, --drop-unseen or --vacuum");
	cli_set_verbosity(verbosity);
	/* Like histstats, no suite named means all of them. */
	o.suite = suite && *suite ? suite : NULL;
	if (days >= 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		o.before_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - (int64_t)(days * 86400e6);
		if (verbosity > 0) {
			char when[64];
			cli_utc(when, sizeof when, o.before_us);
			fprintf(stderr, "histprune: --max-age %g: runs started before %s go\n", days, when);
		}
	}
	o.dry_run = p.dry_run;
	o.removed_run = removed_run;
	o.payload = &p;
	if (p.json && !(p.list = open_memstream(&p.list_buf, &p.list_len))) {
		cli_error("out of memory");
		return CLI_FAILURE;
	}

	db_path = cli_db_path(db_opt);
	memset(&stats, 0, sizeof stats);
	/* Writable but never created: a missing history is an error, and
	 * read_only would refuse to write. */
	if ((error = file_size(db_path) < 0 ? -1 : 0) < 0) {
		cli_error("%s: no such history database", db_path);
		goto done;
	}
	before = file_size(db_path);
	dbo.busy_timeout_ms = cli_busy_timeout_ms();
	if ((error = hist_db_open(&db, db_path, &dbo)) < 0)
		goto failed;
	if ((o.keep_runs || o.before_us != INT64_MIN || o.drop_unseen) && (error = hist_db_prune(&stats, db, &o)) < 0)
		goto failed;
	if (vacuum && !p.dry_run && (error = hist_db_vacuum(db)) < 0)
		goto failed;
	hist_db_free(db);
	db = NULL;
	if (vacuum && !p.dry_run)
		after = file_size(db_path);
	if (p.json) {
		fclose(p.list);
		p.list = NULL;
		print_json(&p, &stats, before, after);
	} else if (verbosity >= 0) {
		if (o.keep_runs || o.before_us != INT64_MIN || o.drop_unseen)
			print_summary(&p, &stats);
		if (after >= 0)
			printf("vacuumed: %lld bytes before, %lld after\n", before, after);
	}
	goto done;
failed:
	cli_error("%s", hist_db_errmsg(db));
done:
	hist_db_free(db);
	if (p.list)
		fclose(p.list);
	free(p.list_buf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the output failed");
		error = -1;
	}
	return error < 0 ? CLI_FAILURE : CLI_OK;
}
