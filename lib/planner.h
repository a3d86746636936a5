/* planner.h - making a plan (private).
 * hist_plan_create is the front of planning: it reads the history in one
 * snapshot, has estimate.c estimate, plan.c partition and emit.c name the
 * result. Only planner.c assembles a struct hist_plan; emit.c and the
 * accessors read it. */
#ifndef HIST_PLANNER_H
#define HIST_PLANNER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "hash.h"
#include "hist.h"
#include "plan.h"

struct hist_plan {
	hist__err err; /* of the emit calls */
	hist__arena_block *arena;
	hist__plan_test *tests; /* the suite */
	size_t n;
	unsigned int shards;
	uint32_t *order;    /* test indexes shard by shard, each longest first */
	size_t *start;      /* shards + 1 offsets into order */
	int64_t *predicted; /* per shard, µs */
	/* The id is hashed once, when first needed (hist__emit_id): by
	 * hist_plan_write as it writes the shard files, so each nodeid is
	 * gathered once, else by the first caller that shows it. id_mu
	 * guards the hashing; id_hash is made with the plan, so naming it
	 * later cannot fail. */
	char id[17];
	atomic_int id_done;
	pthread_mutex_t id_mu;
	hist__hash64 *id_hash; /* NULL until id_mu is set up too */
	int fallback;
	int from_collection; /* the test list was the caller's (--tests), not the history's */
	int target_missed; /* no plan up to max_shards met target_us */
	int64_t lower_bound_us, work_us, longest_unit_us, total_us, makespan_us;
	int64_t scope_setup_us;
	size_t scopes_with_setup, scopes_split;
	/* What the plan was made with, for plan.json. */
	char *suite;
	hist_estimator estimator; /* the one used (auto: the one chosen) */
	int estimator_auto;       /* chosen by backtest (--estimator auto) */
	int64_t backtest_err_us[HIST_EST_COUNT];
	uint64_t backtest_n;
	double alpha;
	unsigned int window;
	hist_scope scope;
	int64_t target_us;
	size_t without_history;
	int64_t test_overhead_us, shard_overhead_us;
	hist_source test_overhead_source, shard_overhead_source;
	int64_t collect_per_test_us; /* charged to modules' set-up; -1: unknown */
	/* Groups (--hist-collect): tests[i].group - 1 indexes group_keys. */
	const char **group_keys; /* in the arena */
	size_t groups;
	char *group_markers; /* NULL: the test list carried no groups */
	size_t max_tests_per_shard; /* the caller's K, or 0 */
	unsigned int workers;       /* W > 1 the shards were planned for, or 0 */
	unsigned int spread_milli;  /* the spread K x 1000, or 0 */
};

/* The stages after estimation: partitions plan->tests (plan->n of them) per
 * in, keeps the partition in the plan and readies its naming (the id is
 * hashed when first needed: hist__emit_id). The tests call it on suites
 * they make up. */
int hist__planner_finish(hist_plan *plan, const hist__plan_input *in, hist__err *err);

#endif
