/* planner.c - the front of planning: history in, a named plan out.
 * Owns: hist_plan_create (checking the options, reading the history in one
 * snapshot, choosing the overheads, the warnings, then estimate ->
 * partition; the plan id is hashed when first needed), the only place a
 * struct hist_plan is assembled,
 * and the plan's public accessors.
 * Not here: SQL (store*.c), estimates (estimate.c), partitioning (plan.c),
 * output formats and the id's hash (emit.c). */
#include "planner.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "emit.h"
#include "estimate.h"
#include "num.h"
#include "store.h"
#include "strmap.h"

static int check_options(hist__err *err, const hist_plan_options *o)
{
	if (!o || o->version == 0 || o->version > HIST_PLAN_OPTIONS_VERSION)
		return hist__error(err, HIST_E_INVALID, "hist_plan_options version %u is not supported",
		                   o ? o->version : 0);
	if (o->shards > HIST_MAX_SHARDS)
		return hist__error(err, HIST_E_INVALID, "%u shards: at most %d", o->shards, HIST_MAX_SHARDS);
	size_t per_shard = o->version >= 2 ? o->max_tests_per_shard : 0;
	unsigned int workers = o->version >= 2 ? o->workers : 0;

	if (o->shards == 0 && o->target_us <= 0 && per_shard == 0)
		return hist__error(err, HIST_E_INVALID,
		                   "give a number of shards, a positive target or a number of tests per shard");
	if (o->shards && (o->target_us || per_shard))
		return hist__error(err, HIST_E_INVALID,
		                   "a number of shards excludes a target and a number of tests per shard");
	if (workers > HIST_MAX_WORKERS)
		return hist__error(err, HIST_E_INVALID, "%u workers: at most %d", workers, HIST_MAX_WORKERS);
	if (o->max_shards > HIST_MAX_SHARDS)
		return hist__error(err, HIST_E_INVALID, "max shards %u: at most %d", o->max_shards,
		                   HIST_MAX_SHARDS);
	if (!hist_estimator_name(o->estimator))
		return hist__error(err, HIST_E_INVALID, "unknown estimator %d", (int)o->estimator);
	if (!hist_scope_name(o->scope))
		return hist__error(err, HIST_E_INVALID, "unknown scope %d", (int)o->scope);
	/* Written so that NaN fails too. */
	if (!(o->alpha > 0.0 && o->alpha <= 1.0))
		return hist__error(err, HIST_E_INVALID, "alpha %g: must be in (0, 1]", o->alpha);
	if (o->window < 1 || o->window > HIST_MAX_WINDOW)
		return hist__error(err, HIST_E_INVALID, "window of %u runs: must be in [1, %d]", o->window,
		                   HIST_MAX_WINDOW);
	if (!o->tests && o->test_count)
		return hist__error(err, HIST_E_INVALID, "test_count %zu without tests", o->test_count);
	if (o->version >= 2 && o->groups && !o->tests)
		return hist__error(err, HIST_E_INVALID, "groups without tests");
	if (o->version >= 3 && !(o->spread_variance >= 0.0 && o->spread_variance <= HIST_SPREAD_MAX))
		return hist__error(err, HIST_E_INVALID, "spread variance %g: must be in [0, %d]", o->spread_variance, HIST_SPREAD_MAX);
	if (o->test_overhead_us < -1 || o->shard_overhead_us < -1)
		return hist__error(err, HIST_E_INVALID, "overheads must be >= 0 (or -1: learn them)");
	return HIST_OK;
}

/* The caller's value, else what history shows, else the default. */
static int64_t overhead(hist_source *src, int64_t option, int64_t learned, int64_t fallback)
{
	*src = option >= 0 ? HIST_SOURCE_OPTION : learned >= 0 ? HIST_SOURCE_HISTORY : HIST_SOURCE_DEFAULT;
	return option >= 0 ? option : learned >= 0 ? learned : fallback;
}

static void warn(const hist_plan_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const hist_plan_options *o, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!o->warning)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	o->warning(msg, o->payload);
}

/* Numbers the groups of the caller's tests (o->groups, in list order) and
 * marks each planned test with its group. The plan's tests are the listed
 * ones in list order (estimate.c keeps that order). */
static int assign_groups(hist_plan *plan, const hist_plan_options *o, hist__err *err)
{
	hist__strmap keys = HIST__STRMAP_INIT;
	int error = HIST_OK;

	if (o->version < 2 || !o->group_markers)
		return HIST_OK;
	if (!(plan->group_markers = hist__strdup(o->group_markers)))
		return hist__error(err, HIST_E_NOMEM, "out of memory");
	if (!o->groups)
		return HIST_OK;
	if (plan->n != o->test_count)
		return hist__error(err, HIST_E_INVALID, "groups: %zu planned tests for %zu listed", plan->n,
		                   o->test_count);
	if (!(plan->group_keys = hist__malloc((plan->n ? plan->n : 1) * sizeof *plan->group_keys)))
		return hist__error(err, HIST_E_NOMEM, "out of memory");
	for (size_t i = 0; i < plan->n; i++) {
		const char *key = o->groups[i];
		uint32_t g;
		int added;

		if (strcmp(plan->tests[i].id, o->tests[i]) != 0) {
			error = hist__error(err, HIST_E_INVALID, "groups: planned test %zu is %s, listed %s", i,
			                    plan->tests[i].id, o->tests[i]);
			break;
		}
		if (!key)
			continue;
		if ((error = hist__strmap_put(&g, &added, &keys, key, strlen(key), (uint32_t)plan->groups)) < 0) {
			hist__error(err, error, "out of memory");
			break;
		}
		if (added && !(plan->group_keys[plan->groups++] = hist__arena_dup(&plan->arena, key, strlen(key)))) {
			error = hist__error(err, HIST_E_NOMEM, "out of memory");
			break;
		}
		plan->tests[i].group = g + 1;
	}
	hist__strmap_free(&keys);
	return error;
}

/* The N of --shards, or what --max-tests-per-shard asks: ceil(tests / K)
 * (a group is its tests, so it needs no rule of its own), capped by
 * max_shards with a warning. With a target as well, that count is where
 * the target's search starts (min_shards), so both are met. */
static int shard_count(unsigned int *shards, unsigned int *min_shards, hist_plan *plan,
                       const hist_plan_options *o)
{
	size_t k = o->version >= 2 ? o->max_tests_per_shard : 0, need;
	unsigned int most = o->max_shards ? o->max_shards : HIST_MAX_SHARDS;

	*shards = o->shards;
	*min_shards = 0;
	plan->max_tests_per_shard = k;
	if (!k)
		return HIST_OK;
	need = plan->n ? plan->n / k + (plan->n % k != 0) : 1;
	if (need > most) {
		warn(o, "%zu tests at most %zu a shard need %zu shards: capped at %u (max shards)", plan->n, k, need,
		     most);
		need = most;
	}
	if (o->target_us > 0)
		*min_shards = (unsigned int)need;
	else
		*shards = (unsigned int)need;
	return HIST_OK;
}

int hist__planner_finish(hist_plan *plan, const hist__plan_input *in, hist__err *err)
{
	hist__plan_result r;
	int error;

	if ((error = hist__plan_build(&r, plan->tests, plan->n, in, err)) < 0)
		return error;
	plan->shards = r.shards;
	plan->order = r.order;
	plan->start = r.start;
	plan->predicted = r.predicted;
	plan->target_missed = r.target_missed;
	plan->lower_bound_us = r.lower_bound_us;
	plan->work_us = r.work_us;
	plan->longest_unit_us = r.longest_unit_us;
	plan->total_us = r.total_us;
	plan->makespan_us = r.makespan_us;
	plan->scope_setup_us = r.scope_setup_us;
	plan->scopes_with_setup = r.scopes_with_setup;
	plan->scopes_split = r.scopes_split;
	plan->fallback = in->fallback;
	if (pthread_mutex_init(&plan->id_mu, NULL) != 0)
		return hist__error(err, HIST_E_NOMEM, "out of memory");
	if (hist__hash64_open(&plan->id_hash) < 0) {
		pthread_mutex_destroy(&plan->id_mu);
		return hist__error(err, HIST_E_NOMEM, "out of memory");
	}
	return HIST_OK;
}

/* The tests of the plan: the suite listed, else the newest run's. */
static int64_t suite_tests(const hist_plan_options *opts, const hist__input_row *inputs, size_t n)
{
	int64_t tests = 0;

	if (opts->tests)
		return (int64_t)opts->test_count;
	for (size_t i = 0; i < n; i++)
		tests += inputs[i].age == 0 ? inputs[i].tests : 0;
	return tests;
}

int hist_plan_create(hist_plan **out, hist_db *db, const hist_plan_options *opts)
{
	hist__err *err = hist__db_err(db);
	hist__suite_options so;
	hist__suite *s = NULL;
	hist__window_sink sink;
	hist__suite_result res;
	hist__input_row *inputs = NULL;
	size_t ninputs = 0;
	hist__overheads ov;
	hist__plan_input in;
	hist_plan *plan = NULL;
	const char *suite;
	unsigned int in_shards = 0, min_shards = 0, spread_milli;
	unsigned char near[HIST__STORE_MAX_WINDOW];
	int error, began = 0;

	*out = NULL;
	memset(&res, 0, sizeof res);
	if ((error = check_options(err, opts)) < 0)
		return error;
	suite = opts->suite ? opts->suite : "default";
	spread_milli = opts->version >= 3 ? (unsigned int)(opts->spread_variance * 1000 + 0.5) : 0;
	so = (hist__suite_options){opts->estimator, opts->alpha, opts->tests, opts->test_count, opts->progress,
	                           opts->payload, NULL, 0, spread_milli > 0};
	/* One snapshot for every read, so the estimates and the overheads
	 * see the same history even while another process ingests. */
	if ((error = hist__store_read_begin(&began, db)) < 0 ||
	    (error = hist__store_inputs(&inputs, &ninputs, db, suite, opts->window)) < 0)
		goto done;
	/* With N given, a shard runs about 1/N of the tests: estimates come
	 * from the runs whose processes were that size, where a test has
	 * any (a serial history teaches serial-sized times). */
	if (hist__estimate_near_runs(near, sizeof near, inputs, ninputs, suite_tests(opts, inputs, ninputs),
	                             opts->shards)) {
		so.near = near;
		so.near_count = sizeof near;
	}
	if ((error = hist__suite_new(&s, &so, err)) < 0)
		goto done;
	sink = (hist__window_sink){hist__suite_begin, hist__suite_samples, hist__suite_named, s};
	if ((error = hist__store_window(db, suite, opts->window, &sink)) < 0)
		goto done;
	hist__store_read_end(db, began);
	began = 0;
	if ((error = hist__estimate_overheads(&ov, inputs, ninputs)) < 0) {
		hist__error(err, error, "out of memory");
		goto done;
	}
	if (!(plan = hist__calloc(1, sizeof *plan)) || !(plan->suite = hist__strdup(suite))) {
		error = hist__error(err, HIST_E_NOMEM, "out of memory");
		goto done;
	}
	plan->test_overhead_us = overhead(&plan->test_overhead_source, opts->test_overhead_us,
	                                  ov.test_overhead_us, HIST_TEST_OVERHEAD_DEFAULT_US);
	plan->shard_overhead_us =
	    overhead(&plan->shard_overhead_source, opts->shard_overhead_us, ov.shard_overhead_us, 0);
	if ((error = hist__suite_finish(s, plan->test_overhead_us, &res)) < 0)
		goto done;
	plan->tests = res.tests;
	plan->n = res.n;
	plan->arena = res.arena;
	res.tests = NULL;
	res.arena = NULL;
	if (res.key_only)
		warn(opts,
		     "%zu tests of the newest run are known only by their JUnit key (xunit2 "
		     "reports carry no nodeid): the shard files list them by key; give the collected "
		     "suite for nodeids and exact scopes",
		     res.key_only);
	if (res.bad_ids)
		warn(opts,
		     "%zu tests of the newest run have nodeids no shard file can hold (a line "
		     "break, a leading '#') and are left out",
		     res.bad_ids);
	/* A shard collects only the files it runs: each module's collection
	 * (its tests x the collection per test) is set-up that every shard
	 * taking part of the module pays again. What every shard pays anyway
	 * (the process's start, the imports of the root conftest, the fixed
	 * part of collection) is the start-up, fitted from inputs of different
	 * sizes; 0 while the history cannot tell it (hist__estimate_overheads). */
	plan->collect_per_test_us = ov.collect_per_test_us;
	if (ov.collect_per_test_us >= 0)
		for (size_t i = 0; i < plan->n; i++)
			res.module_setup[plan->tests[i].module] += ov.collect_per_test_us;
	/* The pass's maps are done with: free them before planning needs its
	 * own memory. */
	hist__suite_free(s);
	s = NULL;
	plan->estimator = res.estimator;
	plan->estimator_auto = opts->estimator == HIST_EST_AUTO;
	memcpy(plan->backtest_err_us, res.backtest_err_us, sizeof plan->backtest_err_us);
	plan->backtest_n = res.backtest_n;
	plan->alpha = opts->alpha;
	plan->window = opts->window;
	plan->scope = opts->scope;
	plan->target_us = opts->shards ? 0 : opts->target_us;
	plan->without_history = res.without_history;
	plan->from_collection = opts->tests != NULL;
	plan->workers = opts->version >= 2 && opts->workers > 1 ? opts->workers : 0;
	plan->spread_milli = spread_milli;
	if ((error = assign_groups(plan, opts, err)) < 0)
		goto done;
	if (res.fallback && plan->n)
		warn(opts,
		     "no test of the suite has a duration in the history of suite '%s': split by the "
		     "stable hash of the %s",
		     suite, opts->scope == HIST_SCOPE_TEST ? "nodeid" : "scope");
	else if (res.fallback)
		warn(opts,
		     "no test to plan for suite '%s': the shards are empty, and the plugin places "
		     "each test file by the stable hash of its path",
		     suite);
	if ((error = shard_count(&in_shards, &min_shards, plan, opts)) < 0)
		goto done;
	in = (hist__plan_input){opts->scope,
	                        in_shards,
	                        opts->target_us,
	                        opts->max_shards,
	                        plan->shard_overhead_us,
	                        opts->effort ? opts->effort : HIST_PLAN_EFFORT_DEFAULT,
	                        res.fallback,
	                        res.module_setup,
	                        res.modules,
	                        (const char *const *)plan->group_keys,
	                        plan->groups,
	                        min_shards,
	                        plan->workers,
	                        res.class_setup,
	                        res.classes,
	                        res.in_name_order,
	                        spread_milli,
	                        res.spread_us};
	if ((error = hist__planner_finish(plan, &in, err)) < 0)
		goto done;
	if (plan->target_missed) {
		char a[HIST__SECONDS_SIZE], b[HIST__SECONDS_SIZE];
		warn(opts,
		     "no plan meets the target of %s s with up to %u shards: %u shards give the "
		     "shortest predicted makespan, %s s",
		     hist__seconds(a, opts->target_us, 3),
		     opts->max_shards ? opts->max_shards : HIST_MAX_SHARDS, plan->shards,
		     hist__seconds(b, plan->makespan_us, 3));
	}
	*out = plan;
	plan = NULL;
	error = HIST_OK;
done:
	hist__store_read_end(db, began);
	hist__suite_free(s);
	hist__free(inputs);
	hist__free(res.tests);
	hist__arena_free(res.arena);
	hist__free(res.module_setup);
	hist__free(res.class_setup);
	hist__free(res.spread_us);
	hist_plan_free(plan);
	return error;
}

/* ------------------------------------------------------------------ */
/* The public face of a plan.                                          */

void hist_plan_free(hist_plan *plan)
{
	if (!plan)
		return;
	hist__err_clear(&plan->err);
	if (plan->id_hash) {
		pthread_mutex_destroy(&plan->id_mu);
		hist__hash64_free(plan->id_hash);
	}
	hist__arena_free(plan->arena);
	hist__free(plan->tests);
	hist__free(plan->order);
	hist__free(plan->start);
	hist__free(plan->predicted);
	hist__free(plan->suite);
	hist__free(plan->group_keys);
	hist__free(plan->group_markers);
	hist__free(plan);
}

unsigned int hist_plan_shard_count(const hist_plan *plan)
{
	return plan->shards;
}

size_t hist_plan_shard_size(const hist_plan *plan, unsigned int k)
{
	return k >= 1 && k <= plan->shards ? plan->start[k] - plan->start[k - 1] : 0;
}

const char *hist_plan_shard_test(const hist_plan *plan, unsigned int k, size_t i)
{
	if (i >= hist_plan_shard_size(plan, k))
		return NULL;
	return plan->tests[plan->order[plan->start[k - 1] + i]].id;
}

int64_t hist_plan_shard_predicted_us(const hist_plan *plan, unsigned int k)
{
	return k >= 1 && k <= plan->shards ? plan->predicted[k - 1] : -1;
}

const char *hist_plan_id(const hist_plan *plan)
{
	return hist__emit_id(plan);
}

int hist_plan_fallback(const hist_plan *plan)
{
	return plan->fallback;
}

const char *hist_plan_test_list(const hist_plan *plan)
{
	return plan->from_collection ? "collection" : "history";
}

int hist_plan_get_summary(hist_plan_summary *out, const hist_plan *plan)
{
	if (!out || out->version < 1 || out->version > HIST_PLAN_SUMMARY_VERSION)
		return HIST_E_INVALID;
	out->tests = plan->n;
	out->tests_without_history = plan->without_history;
	out->total_us = plan->total_us;
	out->makespan_us = plan->makespan_us;
	out->lower_bound_us = plan->lower_bound_us;
	out->work_us = plan->work_us;
	out->longest_unit_us = plan->longest_unit_us;
	out->target_us = plan->target_us;
	out->test_overhead_us = plan->test_overhead_us;
	out->test_overhead_source = plan->test_overhead_source;
	out->shard_overhead_us = plan->shard_overhead_us;
	out->shard_overhead_source = plan->shard_overhead_source;
	out->scope_setup_us = plan->scope_setup_us;
	out->scopes_with_setup = plan->scopes_with_setup;
	out->scopes_split = plan->scopes_split;
	return HIST_OK;
}

const char *hist_plan_errmsg(const hist_plan *plan)
{
	return hist__err_msg(&plan->err);
}
