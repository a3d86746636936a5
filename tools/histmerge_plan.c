/* histmerge_plan.c - histmerge --plan: the stored reports accounted
 * against the plan (hist_plan_check_*), each problem on stderr and in the
 * --json "plan" object, and the plan's predictions stored for histstats
 * --plans.
 * Not here: reading the inputs (histmerge_inputs.c). */
#include "histmerge.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* hist_check_kind's names in --json, in enum order. */
static const char *const check_kind[] = { "other_plan", "shard_missing", "shard_twice", "interrupted",
	"ran_twice", "not_run", "gone", "unplanned", "group_split" };

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

#define SHOW_GONE 20

typedef struct {
	merge *m;
	int64_t shown;
} gone_list;

static void print_gone_pruned(const char *nodeid, unsigned int shard, void *payload)
{
	gone_list *g = payload;

	if (g->shown++ < SHOW_GONE)
		cli_error("  shard %u/%u: %s", shard, hist_plan_check_shard_count(g->m->check), nodeid);
}

/* Gone tests of a plan from history whose shard collected their file: a
 * warning, not a problem (the plan is lenient about removed tests), but
 * never silent, since the reports cannot tell a removed test from one that
 * a test module makes from other modules at import. */
static int warn_gone_pruned(merge *m)
{
	gone_list g = { m, 0 };
	int64_t n = hist_plan_check_gone_pruned(m->check, NULL, NULL);

	m->gone_pruned = n > 0 ? n : 0;
	if (n < 0) {
		cli_error("%s", hist_plan_check_errmsg(m->check));
		return -1;
	}
	if (!n || cli_verbosity() < 0)
		return 0;
	cli_error("warning: plan %s: %lld gone tests were not yielded by files their shard collected while it "
	          "skipped the files of other shards: removed or renamed since the plan, or a test module takes "
	          "its tests or parameters from other test modules at import (a registry they fill), which such "
	          "a shard cannot see, and then they ran on no shard. If these tests still exist, run every "
	          "shard with --hist-prune-collection no, or plan with histplan --tests (then they fail the "
	          "run):", hist_plan_check_id(m->check), (long long)n);
	if (hist_plan_check_gone_pruned(m->check, print_gone_pruned, &g) < 0) {
		cli_error("%s", hist_plan_check_errmsg(m->check));
		return -1;
	}
	if (g.shown > SHOW_GONE)
		cli_error("  ... and %lld more", (long long)(g.shown - SHOW_GONE));
	return 0;
}

/* Accounts the run against the plan: problems on stderr (and in the JSON
 * "plan" object, which this prints into the list stream's place). */
int merge_finish_check(merge *m, char **doc)
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
		          t.unplanned, t.ran_twice, t.reports, cli_plural((int64_t)t.reports, "report", "reports"),
		          hist_plan_check_shard_count(m->check),
		          cli_plural(hist_plan_check_shard_count(m->check), "shard", "shards"), t.problems,
		          cli_plural((int64_t)t.problems, "problem", "problems"));
	m->plan_totals = t;
	if (warn_gone_pruned(m) < 0)
		return -1;
	return t.problems ? 1 : 0;
}

/* The plan's predictions, for histstats --plans to set beside the
 * shards' wall times; stored whether or not the run passes the check. */
int merge_store_plan(merge *m)
{
	unsigned int n = hist_plan_check_shard_count(m->check);
	hist_plan_record p;
	int64_t *pred = calloc(n, sizeof *pred);
	size_t *tests = calloc(n, sizeof *tests);
	int error = 0;

	if (!pred || !tests) {
		cli_error("out of memory");
		error = -1;
		goto done;
	}
	for (unsigned int k = 1; k <= n; k++) {
		pred[k - 1] = hist_plan_check_predicted_us(m->check, k);
		tests[k - 1] = hist_plan_check_shard_tests(m->check, k);
		if (pred[k - 1] < 0) {
			cli_error("warning: plan %s: plan.json predicts no time for shard %u; the plan is not stored "
			          "for histstats --plans", hist_plan_check_id(m->check), k);
			goto done;
		}
	}
	p.suite = m->opts.suite;
	p.plan_id = hist_plan_check_id(m->check);
	p.stored_us = m->opts.fallback_start_us;
	p.shards = n;
	p.predicted_us = pred;
	p.tests = tests;
	if ((error = hist_db_plan_add(m->db, &p)) < 0)
		cli_error("%s", hist_db_errmsg(m->db));
done:
	free(pred);
	free(tests);
	return error;
}

void merge_print_plan_json(const merge *m, const char *problems)
{
	const hist_plan_check_totals *t = &m->plan_totals;

	printf("{\"plan_id\": \"%s\", \"test_list\": \"%s\", \"shards\": %u, \"planned\": %zu, "
	       "\"ran\": %zu, \"deselected\": %zu, \"gone\": %zu, \"unaccounted\": %zu, "
	       "\"unplanned\": %zu, \"ran_twice\": %zu, \"reports\": %zu, \"problems\": [%s], "
	       "\"gone_in_collected_files\": %lld}",
		hist_plan_check_id(m->check), hist_plan_check_test_list(m->check),
		hist_plan_check_shard_count(m->check), t->planned, t->ran, t->deselected, t->gone,
		t->unaccounted, t->unplanned, t->ran_twice, t->reports, problems ? problems : "",
		(long long)m->gone_pruned);
}
