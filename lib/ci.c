/* ci.c - run ids from the CI environment.
 * Owns: which CI variables name "one pipeline" and the prefix each gets, so
 * all result files of one pipeline (and only those) share a run id.
 * Not here: reading the environment (the caller's getenv_fn). */
#include "hist.h"

#include <stdio.h>

/* Checked in this order; the first whose variable is set wins. The prefix
 * keeps ids of different systems apart in one history. */
static const struct {
	const char *prefix;
	const char *id;      /* the pipeline (workflow run, build) */
	const char *attempt; /* a re-run of it, or NULL */
} systems[] = {
	{ "gh", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT" }, /* GitHub Actions */
	{ "gl", "CI_PIPELINE_ID", NULL },                /* GitLab CI */
	{ "bk", "BUILDKITE_BUILD_ID", NULL },            /* Buildkite */
	{ "circle", "CIRCLE_WORKFLOW_ID", NULL },        /* CircleCI */
	{ "az", "BUILD_BUILDID", NULL },                 /* Azure Pipelines */
};

int hist_ci_run_id(char *buf, size_t size, const char *(*getenv_fn)(const char *name, void *payload), void *payload)
{
	if (!buf || !getenv_fn)
		return HIST_E_INVALID;
	for (size_t i = 0; i < sizeof systems / sizeof systems[0]; i++) {
		const char *id = getenv_fn(systems[i].id, payload), *attempt;
		int n;

		if (!id || !*id)
			continue;
		if (systems[i].attempt) {
			/* A re-run of a GitHub workflow is another pipeline run: its
			 * results must not merge into the first attempt's. */
			attempt = getenv_fn(systems[i].attempt, payload);
			n = snprintf(buf, size, "%s-%s-%s", systems[i].prefix, id, attempt && *attempt ? attempt : "1");
		} else {
			n = snprintf(buf, size, "%s-%s", systems[i].prefix, id);
		}
		return n >= 0 && (size_t)n < size ? HIST_OK : HIST_E_INVALID;
	}
	return HIST_E_NOTFOUND;
}
