/* plan.h - partitioning a suite into shards (private).
 * Pure: arrays in, a hist_plan out; no SQLite, no files. estimate.c feeds
 * it, emit.c prints what it made. */
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

/* One test as plan.c sees it. */
typedef struct {
	const char *id; /* nodeid, NUL-terminated, owned by the plan's arena */
	uint32_t len;
	uint32_t module; /* index of its file */
	int64_t est_us;  /* the estimate before overhead */
	int64_t cost_us; /* what it adds to its shard: estimate + per-test overhead */
	int known;       /* 1: the estimate came from its own history */
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
} hist__plan_input;

/* A memory block the plan owns (nodeid strings). */
typedef struct hist__arena_block {
	struct hist__arena_block *next;
	size_t used, size;
	char data[];
} hist__arena_block;

struct hist_plan {
	hist__err err; /* of the emit calls */
	hist__arena_block *arena;
	hist__plan_test *tests; /* the suite */
	size_t n;
	unsigned int shards;
	uint32_t *order;    /* test indexes shard by shard, each longest first */
	size_t *start;      /* shards + 1 offsets into order */
	int64_t *predicted; /* per shard, µs */
	char id[17];
	int fallback;
	int from_collection; /* the test list was the caller's (--tests), not the history's */
	int target_missed; /* no plan up to max_shards met target_us */
	int64_t lower_bound_us, work_us, longest_unit_us, total_us, makespan_us;
	int64_t scope_setup_us;
	size_t scopes_with_setup, scopes_split;
	/* What the plan was made with, for plan.json. */
	char *suite;
	hist_estimator estimator;
	double alpha;
	unsigned int window;
	hist_scope scope;
	int64_t target_us;
	size_t without_history;
	int64_t test_overhead_us, shard_overhead_us;
	hist_source test_overhead_source, shard_overhead_source;
	int64_t collect_per_test_us; /* charged to modules' set-up; -1: unknown */
};

/* Copies len bytes and a NUL into the arena; NULL when out of memory. */
char *hist__arena_dup(hist__arena_block **arena, const char *s, size_t len);
void hist__arena_free(hist__arena_block *arena);

/* Partitions plan->tests (set by the caller, with est_us, cost_us and module
 * filled) per in, and fills order, start, predicted and the bounds. The id
 * comes after, from hist__emit_plan_id. */
int hist__plan_build(hist_plan *plan, const hist__plan_input *in, hist__err *err);

#endif
