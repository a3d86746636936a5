/* estimate.h - duration estimates from history (private).
 * One pass over the recent history (hist__store_window's two walks,
 * handed in by planner.c) gives each test of the
 * suite an estimate; tests without one get the median of their file, else
 * of the suite; modules get their set-up cost. The result is plain arrays:
 * the tests plan.c partitions and each module's set-up. */
#ifndef HIST_ESTIMATE_H
#define HIST_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"
#include "hist.h"
#include "plan.h"
#include "store.h"

/* The estimate of n samples (µs, oldest first), or -1 when n is 0.
 * EMA: e = s[0], then e = alpha * s[i] + (1 - alpha) * e, rounded half up.
 * Median: the middle one, or the mean of the two middle ones rounded down
 * (this reorders samples). Last: s[n - 1]. */
int64_t hist__estimate(int64_t *samples, size_t n, hist_estimator estimator, double alpha);

/* Samples a test needs before its spread counts: with fewer, a deviation
 * says nothing. */
#define HIST__SPREAD_MIN_SAMPLES 3

/* How far a test's samples (µs, n of them) stray from their middle: 1.4826
 * x the median absolute deviation (a standard deviation that one slow run
 * cannot inflate), rounded half up; 0 with fewer than
 * HIST__SPREAD_MIN_SAMPLES. Reorders samples. */
int64_t hist__estimate_spread(int64_t *samples, size_t n);

typedef struct hist__suite hist__suite;

typedef struct {
	hist_estimator estimator;
	double alpha;
	const char *const *tests; /* the suite as collected now, or NULL */
	size_t test_count;
	void (*progress)(const char *what, uint64_t done, void *payload);
	void *payload;
	/* By run age (0: the newest of the window): 1 for the runs whose
	 * processes were about the size of the plan's shards
	 * (hist__estimate_near_runs). A test with samples from at least two
	 * of them takes their estimate where it is lower than the estimate of
	 * all its samples. NULL: every run alike. */
	const unsigned char *near;
	size_t near_count;
	/* 1: each test's spread (hist__estimate_spread of its timed samples)
	 * goes to hist__suite_result.spread_us; 0: no spreads (no work). */
	int spread;
} hist__suite_options;

/* Errors (a bad test in o->tests is HIST_E_INVALID) go to err, which must
 * outlive the suite. */
int hist__suite_new(hist__suite **out, const hist__suite_options *o, hist__err *err);
/* The callback of hist__store_each_result: rows grouped by test, oldest
 * run first within a test. The reference the tests hold the walk below to. */
int hist__suite_row(void *payload, const hist__history_row *row);
/* The sink of hist__store_window, instead of rows (never both): begin
 * sizes the stats by test id, samples summarizes each id's rows (kept,
 * ~24 bytes an id), named places an id in the suite under its name. The
 * same rows give what hist__suite_row gives. */
int hist__suite_begin(void *payload, int64_t max_test);
int hist__suite_samples(void *payload, int64_t test, const hist__history_sample *rows, size_t n);
int hist__suite_named(void *payload, int64_t test, const char *name, size_t len, int is_key);

/* What the pass learnt, ready for hist__plan_build. */
typedef struct {
	hist__plan_test *tests; /* the suite, with est_us, cost_us and module */
	size_t n;
	hist__arena_block *arena; /* the tests' nodeids */
	int64_t *module_setup;    /* per module, µs charged per shard (0: none) */
	size_t modules;
	int64_t *class_setup;     /* per class with set-up (tests' klass - 1), µs charged per shard */
	size_t classes;
	size_t without_history; /* tests estimated by a median */
	int fallback;           /* no test of the suite has a duration */
	size_t key_only;        /* tests of the newest run known only by their JUnit key */
	size_t bad_ids;         /* tests of the newest run no shard file can hold, left out */
	int in_name_order;      /* tests[] rise in byte order of their nodeids (the history's order) */
	hist_estimator estimator; /* the one used: the option's, or what auto chose */
	int64_t backtest_err_us[HIST_EST_COUNT]; /* auto: summed absolute errors */
	uint64_t backtest_n;                      /* auto: predictions backtested */
	uint32_t *spread_us; /* per test (tests' order), with o.spread: µs; else NULL */
} hist__suite_result;

/* After the last row: hands the tests over in res with est_us, cost_us
 * (estimate + test_overhead_us) and module set. The caller frees
 * res->tests, res->module_setup, res->class_setup and res->spread_us with hist__free and res->arena with
 * hist__arena_free, also on failure. */
int hist__suite_finish(hist__suite *s, int64_t test_overhead_us, hist__suite_result *res);
void hist__suite_free(hist__suite *s);

typedef struct {
	int64_t test_overhead_us;    /* -1: history carries no run wall times */
	int64_t shard_overhead_us;   /* startup_us + collect_fixed_us; -1: no session records */
	int64_t collect_per_test_us; /* collection per test collected; -1: unknown */
	int64_t startup_us;          /* timed start-up + fixed part of the rest; 0: cannot tell */
	int64_t collect_fixed_us;    /* fixed part of collection; 0: cannot tell */
	int fitted;                  /* 1: start-up fitted, 2: collection fitted (bits) */
} hist__overheads;

/* What every shard pays, learned from the inputs of the window (the
 * plugin's session records: wall, start-up, collection, tests). The
 * start-up the records time is their median; two lines fitted by least
 * squares over inputs of different sizes: wall - start-up - collection -
 * the tests' time = fixed part + tests x per-test overhead, and
 * collection = fixed part + tests x collection per test. When every input
 * has about the same size (only unsharded runs), the fixed parts are 0 and
 * the per-test parts are the medians of the ratios over the inputs.
 * Without timed start-ups (JUnit, older reports) the first line's fixed
 * part is the whole start-up. */
int hist__estimate_overheads(hist__overheads *out, const hist__input_row *rows, size_t n);

/* A test's time depends on the process it runs in (a gc.collect() costs
 * what the process holds), so samples from processes of the plan's shard
 * size predict its shards best. near[age] (window entries, 0: the newest
 * run) = 1 for each run of the inputs whose tests per input are within a
 * factor 2 of suite_tests / shards, the tests a shard of the plan will
 * run; runs without inputs are not near. Returns the runs near; 0 when
 * either count is <= 0 (unknown). */
size_t hist__estimate_near_runs(unsigned char *near, size_t window, const hist__input_row *rows, size_t n,
	int64_t suite_tests, int64_t shards);

#endif
