/* plan.h - partitioning a suite into shards (private).
 * Pure: arrays in, arrays out; no SQLite, no files. planner.c hands it the
 * tests estimate.c made and keeps what it returns in the plan. */
#ifndef HIST_PLAN_H
#define HIST_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hist.h"

/* Partitions items 0..n-1 into `shards` bins, minimising the largest sum.
 * w[] must come in the total order (weight descending, ties broken by the
 * caller), so ties among items break by index and the result is the same on
 * every machine. First LPT: each item in turn to the lightest bin (ties: the
 * lowest index); then, while effort lasts, the heaviest bin gives an item to
 * or swaps one with another bin wherever that lowers the larger of the two.
 * Effort counts items looked at; 0 gives plain LPT. Every step lowers the
 * sorted load vector, so the result is never worse than LPT.
 * shard_of[i] gets the bin of item i, load[k] the sum of bin k. */
int hist__partition(uint32_t *shard_of, int64_t *load, const int64_t *w, size_t n, unsigned int shards,
                    uint64_t effort);

/* Spreads noisy items over bins: a bin's risk is its load + K x
 * sqrt(sum of its items' variances), K = k_milli / 1000, in integers.
 * Starting from shard_of and load (a partition of w), while effort lasts,
 * the bin of the largest risk (ties: the lowest) moves an item to, or
 * swaps one of its noisiest items with, another bin wherever that lowers
 * the larger risk of the two most (ties: the first step found, swaps
 * before moves, in item order). Every step lowers the sorted risk vector,
 * so it ends. var[i] is item i's variance (µs²); all 0 or k_milli 0 changes
 * nothing. Loads stay sums of w. */
int hist__spread(uint32_t *shard_of, int64_t *load, const int64_t *w, const uint64_t *var, size_t n,
                 unsigned int shards, unsigned int k_milli, uint64_t effort);

/* One test as plan.c sees it. */
typedef struct {
	const char *id; /* nodeid, NUL-terminated, owned by the plan's arena */
	uint32_t len;
	uint32_t module; /* index of its file */
	int64_t est_us;  /* the estimate before overhead */
	int64_t cost_us; /* what it adds to its shard: estimate + per-test overhead */
	int known;       /* 1: the estimate came from its own history */
	uint32_t group;  /* its group + 1 (hist__plan_input.group_keys); 0: none */
	uint32_t klass;  /* its class + 1 (hist__plan_input.class_setup); 0: no class set-up */
} hist__plan_test;

typedef struct {
	hist_scope scope;
	unsigned int shards; /* N, or 0 with target_us */
	int64_t target_us;
	unsigned int max_shards;
	int64_t shard_overhead_us;
	uint64_t effort;
	int fallback;                /* 1: place by stable hash, not by estimate */
	const int64_t *module_setup; /* per module: charged once per shard that runs
	                                part of it (0 = none) */
	size_t modules;
	const char *const *group_keys; /* a group's tests are one unit; the hash
	                                  fallback places it by its key */
	size_t groups;
	unsigned int min_shards; /* with target_us: search from at least this many */
	unsigned int workers;    /* > 1: a shard runs on this many xdist workers; its
	                            time is their makespan, not its sum (0, 1: one) */
	const int64_t *class_setup; /* per class: charged once per shard that runs
	                               part of it (tests' klass - 1) */
	size_t classes;
	int in_name_order; /* 1: the tests rise in byte order of their nodeids
	                      (0: plan.c checks, and sorts them when they do not) */
	unsigned int spread_milli; /* K x 1000: after balancing, lower the largest
	                              load + K x sqrt(sum of the spreads squared)
	                              (hist__spread); 0: off */
	const uint32_t *spread_us; /* per test (same order), how far its samples
	                              stray (hist__estimate_spread); NULL: none */
} hist__plan_input;


/* What a partition made: the order of the tests and the predictions. */
typedef struct {
	unsigned int shards;
	uint32_t *order;    /* test indexes shard by shard, each longest first */
	size_t *start;      /* shards + 1 offsets into order */
	int64_t *predicted; /* per shard, µs */
	int target_missed;  /* no plan up to max_shards met target_us */
	int64_t lower_bound_us, work_us, longest_unit_us, total_us, makespan_us;
	int64_t scope_setup_us;
	size_t scopes_with_setup, scopes_split;
} hist__plan_result;

/* Partitions tests[0..n) (est_us, cost_us and module filled) per in into
 * out; the caller frees out->order, start and predicted with hist__free.
 * On failure out holds nothing. */
int hist__plan_build(hist__plan_result *out, const hist__plan_test *tests, size_t n, const hist__plan_input *in,
                     hist__err *err);

#endif
