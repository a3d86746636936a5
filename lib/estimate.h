/* estimate.h - duration estimates from history (private).
 * One ordered pass over the recent history (hist__store_each_result) gives
 * each test of the suite an estimate; tests without one get the median of
 * their file, else of the suite; modules get their set-up cost. The result
 * is the test array plan.c partitions. */
#ifndef HIST_ESTIMATE_H
#define HIST_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hist.h"
#include "plan.h"
#include "store.h"

/* The estimate of n samples (µs, oldest first), or -1 when n is 0.
 * EMA: e = s[0], then e = alpha * s[i] + (1 - alpha) * e, rounded half up.
 * Median: the middle one, or the mean of the two middle ones rounded down
 * (this reorders samples). Last: s[n - 1]. */
int64_t hist__estimate(int64_t *samples, size_t n, hist_estimator estimator, double alpha);

typedef struct hist__suite hist__suite;

typedef struct {
	hist_estimator estimator;
	double alpha;
	const char *const *tests; /* the suite as collected now, or NULL */
	size_t test_count;
	void (*warning)(const char *message, void *payload);
	void (*progress)(const char *what, uint64_t done, void *payload);
	void *payload;
} hist__suite_options;

/* Errors (a bad test in o->tests is HIST_E_INVALID) go to err, which must
 * outlive the suite. */
int hist__suite_new(hist__suite **out, const hist__suite_options *o, hist__err *err);
/* The callback of hist__store_each_result: rows grouped by test, oldest
 * run first within a test. */
int hist__suite_row(void *payload, const hist__history_row *row);

/* What the pass learnt, ready for hist__plan_build. */
typedef struct {
	int64_t *module_setup; /* per module, µs charged per shard (0: none) */
	size_t modules;
	size_t without_history; /* tests estimated by a median */
	int fallback;           /* no test of the suite has a duration */
} hist__suite_result;

/* After the last row: moves the tests into plan (tests, n, arena) with
 * est_us, cost_us (estimate + test_overhead_us) and module set, and fills
 * res (free res->module_setup with hist__free). */
int hist__suite_finish(hist__suite *s, hist_plan *plan, int64_t test_overhead_us, hist__suite_result *res);
void hist__suite_free(hist__suite *s);

#endif
