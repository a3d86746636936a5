/* histstats - what the history holds: runs, tests and results, over all
 * suites or one. A thin front end over hist_db_counts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "hist.h"

static void usage(FILE *f)
{
	fputs("Usage: histstats [OPTION]...\n"
	      "Show what the history database holds: runs, tests and results.\n"
	      "\n"
	      "  --db PATH      history database, never created\n"
	      "                 (default: $HIST_DB, else .hist.db)\n"
	      "  --suite NAME   count only the runs of this suite (default: $HIST_SUITE,\n"
	      "                 else every suite)\n"
	      "  --json         print {\"runs\": R, \"tests\": T, \"results\": N} on stdout\n"
	      "      --help     show this help\n"
	      "      --version  show versions\n"
	      "\n"
	      "Exit status: 0 success; 1 the database is missing or unreadable; 2 usage error.\n",
		f);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "suite", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	hist_db_options o = HIST_DB_OPTIONS_INIT;
	const char *db_opt = NULL, *suite = getenv("HIST_SUITE");
	hist_db *db = NULL;
	hist_counts counts;
	int c, json = 0;

	cli_init("histstats");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case 'd': db_opt = optarg; break;
		case 's': suite = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': cli_version(); return CLI_OK;
		default: return cli_option_error(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	/* Unlike the tools that write, no suite named means all of them. */
	if (suite && !*suite)
		suite = NULL;

	o.read_only = 1;
	if (hist_db_open(&db, cli_db_path(db_opt), &o) < 0 || hist_db_counts(&counts, db, suite) < 0) {
		cli_error("%s", hist_db_errmsg(db));
		hist_db_free(db);
		return CLI_FAILURE;
	}
	hist_db_free(db);
	if (json)
		printf("{\"runs\": %lld, \"tests\": %lld, \"results\": %lld}\n", (long long)counts.runs,
			(long long)counts.tests, (long long)counts.results);
	else
		printf("suite    %s\nruns     %lld\ntests    %lld\nresults  %lld\n", suite ? suite : "(all)",
			(long long)counts.runs, (long long)counts.tests, (long long)counts.results);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("writing the output failed");
		return CLI_FAILURE;
	}
	return CLI_OK;
}
