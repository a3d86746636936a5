/* emit.c - the plan id, shard files, plan.json, the preview table and the SVG.
 * Owns: every byte a plan shows the outside, and writing the plan's files
 * (atomically, through io.c) with stale shard files removed after.
 * Not here: what goes on which shard (plan.c), assembling the plan
 * (planner.c), XXH3 itself (hash.c). Output is deterministic:
 * integers and fixed-precision decimals only, keys in a fixed order. */
#include "emit.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "hash.h"
#include "io.h"
#include "num.h"

/* A shard's tests come longest first, so their records and names lie
 * scattered over memory: each step waits for two cache misses (a third
 * of emitting a million tests). Asking for the record AHEAD tests on and
 * for the name AHEAD / 2 on hides that wait. */
#define AHEAD 16

static inline void fetch_ahead(const hist_plan *p, size_t r, size_t end)
{
	if (r + AHEAD < end)
		__builtin_prefetch(&p->tests[p->order[r + AHEAD]]);
	if (r + AHEAD / 2 < end) {
		const hist__plan_test *t = &p->tests[p->order[r + AHEAD / 2]];
		__builtin_prefetch(t->id);
		if (t->len > 64)
			__builtin_prefetch(t->id + 64);
	}
}

int hist__emit_seconds(hist__buf *b, int64_t us, int decimals)
{
	char s[HIST__SECONDS_SIZE];

	return hist__buf_puts(b, hist__seconds(s, us, decimals));
}

/* The id names the split itself, so shard files of different plans never
 * mix. XXH3 runs at memory speed; FNV-1a, a byte at a time, took a tenth of
 * a second on a million tests. */
static void set_id(hist_plan *p)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v = hist__hash64_digest(p->id_hash);

	for (int i = 15; i >= 0; i--, v >>= 4)
		p->id[i] = hex[v & 15];
	p->id[16] = '\0';
}

static void hash_label(const hist_plan *p, unsigned int k)
{
	char label[32];
	int len = snprintf(label, sizeof label, "shard %u/%u\n", k, p->shards);

	hist__hash64_update(p->id_hash, label, (size_t)len);
}

/* The id without writing the files. The bytes go through a buffer: two
 * hash updates a test cost more than the hashing. */
static void hash_shards(hist_plan *p)
{
	char buf[65536];
	size_t used = 0;

	hist__hash64_reset(p->id_hash);
	for (unsigned int k = 0; k < p->shards; k++) {
		hash_label(p, k + 1);
		for (size_t r = p->start[k]; r < p->start[k + 1]; r++) {
			const hist__plan_test *t = &p->tests[p->order[r]];

			fetch_ahead(p, r, p->start[k + 1]);
			if (sizeof buf - used < (size_t)t->len + 1) {
				hist__hash64_update(p->id_hash, buf, used);
				used = 0;
			}
			if (t->len + 1 > sizeof buf) {
				hist__hash64_update(p->id_hash, t->id, t->len);
			} else {
				memcpy(buf + used, t->id, t->len);
				used += t->len;
			}
			buf[used++] = '\n';
		}
		hist__hash64_update(p->id_hash, buf, used);
		used = 0;
	}
	set_id(p);
}

const char *hist__emit_id(const hist_plan *plan)
{
	/* Naming writes the id alone, once, under the lock: to every reader
	 * the plan stays unchanged (hist.h lets threads share it). */
	hist_plan *p = (hist_plan *)plan;

	if (!atomic_load_explicit(&p->id_done, memory_order_acquire)) {
		pthread_mutex_lock(&p->id_mu);
		if (!atomic_load_explicit(&p->id_done, memory_order_relaxed)) {
			hash_shards(p);
			atomic_store_explicit(&p->id_done, 1, memory_order_release);
		}
		pthread_mutex_unlock(&p->id_mu);
	}
	return p->id;
}

/* Written out a piece at a time: the buffer stays in the cache instead of
 * growing to a whole shard (1.7 MB at a million tests, copied twice). */
#define SHARD_PIECE (128 * 1024)

/* A shard file starts with this, then the plan id: hist_plan_write puts
 * the id in at this offset once the files it wrote named the plan. */
#define ID_AT (sizeof "# hist plan " - 1)

static int shard_head(hist__buf *b, const hist_plan *p, const char *id, unsigned int k)
{
	int error;

	if ((error = hist__buf_printf(b, "# hist plan %s\n# shard %u/%u\n# predicted ", id, k, p->shards)) < 0 ||
	    (error = hist__emit_seconds(b, p->predicted[k - 1], 3)) < 0)
		return error;
	return hist__buf_printf(b, " s, %zu tests\n", hist_plan_shard_size(p, k));
}

/* Shard k's text into b; with a file f, b goes to f whenever it holds a
 * piece, and the caller writes what is left. */
static int shard_text(hist__buf *b, const hist_plan *p, unsigned int k, hist__atomic *f)
{
	int error;

	if ((error = shard_head(b, p, hist__emit_id(p), k)) < 0)
		return error;
	for (size_t r = p->start[k - 1]; r < p->start[k]; r++) {
		const hist__plan_test *t = &p->tests[p->order[r]];
		fetch_ahead(p, r, p->start[k]);
		if ((error = hist__buf_put_line(b, t->id, t->len)) < 0)
			return error;
		if (f && b->len >= SHARD_PIECE) {
			if ((error = hist__atomic_write(f, b->ptr, b->len)) < 0)
				return error;
			hist__buf_clear(b);
		}
	}
	return HIST_OK;
}

int hist__emit_shard(hist__buf *b, const hist_plan *p, unsigned int k)
{
	return shard_text(b, p, k, NULL);
}

/* ------------------------------------------------------------------ */
/* Text helpers                                                        */

/* Bytes of a valid UTF-8 sequence starting at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n = s[0] < 0x80             ? 1
	           : (s[0] & 0xe0) == 0xc0 ? 2
	           : (s[0] & 0xf0) == 0xe0 ? 3
	           : (s[0] & 0xf8) == 0xf0 ? 4
	                                   : 0;

	if (n == 0 || n > left || (n == 2 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* A JSON string; invalid UTF-8 becomes U+FFFD so the document stays valid. */
static int json_string(hist__buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	int error = hist__buf_putc(b, '"');

	while (!error && left) {
		size_t n = utf8_len(p, left);

		if (n == 0) {
			error = hist__buf_puts(b, "\\ufffd");
			n = 1;
		} else if (*p == '"' || *p == '\\') {
			error = hist__buf_printf(b, "\\%c", *p);
		} else if (*p < 0x20) {
			error = hist__buf_printf(b, "\\u%04x", *p);
		} else {
			error = hist__buf_put(b, (const char *)p, n);
		}
		p += n;
		left -= n;
	}
	return error ? error : hist__buf_putc(b, '"');
}

/* Text for XML: markup characters escaped, bytes XML cannot hold dropped. */
static int xml_text(hist__buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	int error = HIST_OK;

	while (!error && left) {
		size_t n = utf8_len(p, left);

		if (n == 0 || (*p < 0x20 && *p != '\t'))
			n = n ? n : 1;
		else if (*p == '&')
			error = hist__buf_puts(b, "&amp;");
		else if (*p == '<')
			error = hist__buf_puts(b, "&lt;");
		else if (*p == '>')
			error = hist__buf_puts(b, "&gt;");
		else if (*p == '"')
			error = hist__buf_puts(b, "&quot;");
		else
			error = hist__buf_put(b, (const char *)p, n);
		p += n;
		left -= n;
	}
	return error;
}

/* The shortest "%.*g" that reads back as the same double: 0.3, not
 * 0.29999999999999999. */
static int shortest_double(hist__buf *b, double v)
{
	char s[40];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	return hist__buf_puts(b, s);
}

/* Makes a whole document with make, then hands it to the caller's fn. */
static int render(int (*make)(hist__buf *, const hist_plan *), const hist_plan *plan, hist_write_fn fn,
                  void *payload)
{
	hist__buf b = HIST__BUF_INIT(0);
	int error = make(&b, plan);

	if (error == HIST_OK && fn(hist__buf_cstr(&b), b.len, payload))
		error = HIST_E_IO;
	hist__buf_free(&b);
	return error;
}

/* A seconds value as a JSON member: "name": 12.345678 */
static int json_seconds(hist__buf *b, const char *indent, const char *name, int64_t us, const char *after)
{
	int error;

	if ((error = hist__buf_printf(b, "%s\"%s\": ", indent, name)) < 0 ||
	    (error = hist__emit_seconds(b, us, 6)) < 0)
		return error;
	return hist__buf_puts(b, after);
}

/* The backtest's mean absolute error per prediction of estimator e. */
static int64_t backtest_mean(const hist_plan *p, int e)
{
	return p->backtest_n ? p->backtest_err_us[e] / (int64_t)p->backtest_n : 0;
}

/* --estimator auto: what each estimator's backtest said. */
static int json_backtest(hist__buf *b, const hist_plan *p)
{
	int error;

	if (!p->estimator_auto)
		return HIST_OK;
	if ((error = hist__buf_printf(b, "  \"estimator_backtest\": {\"predictions\": %llu",
	                              (unsigned long long)p->backtest_n)) < 0)
		return error;
	for (int e = 0; e < HIST_EST_COUNT; e++) {
		if ((error = hist__buf_printf(b, ", \"%s\": ", hist_estimator_name((hist_estimator)e))) < 0 ||
		    (error = hist__emit_seconds(b, backtest_mean(p, e), 6)) < 0)
			return error;
	}
	return hist__buf_puts(b, "},\n");
}

static int preview_backtest(hist__buf *b, const hist_plan *p)
{
	int error;

	if ((error = hist__buf_printf(b, " (auto, mean error over %llu predictions:",
	                              (unsigned long long)p->backtest_n)) < 0)
		return error;
	for (int e = 0; e < HIST_EST_COUNT; e++) {
		if ((error = hist__buf_printf(b, "%s %s ", e ? "," : "", hist_estimator_name((hist_estimator)e))) < 0 ||
		    (error = hist__emit_seconds(b, backtest_mean(p, e), 6)) < 0 ||
		    (error = hist__buf_puts(b, " s")) < 0)
			return error;
	}
	return hist__buf_puts(b, ")");
}

/* ------------------------------------------------------------------ */
/* plan.json                                                           */

typedef struct {
	const char *key;
	uint32_t g;
} named_group;

static int by_key(const void *a, const void *b)
{
	return strcmp(((const named_group *)a)->key, ((const named_group *)b)->key);
}

/* "group_markers" and "groups" (key, shard, its tests in shard order),
 * groups in byte order of their keys: what the plugin and histmerge --plan
 * need to keep a group, and a test new in it, on the group's shard. */
static int json_groups(hist__buf *b, const hist_plan *p)
{
	const char *m = p->group_markers;
	named_group *byname = NULL;
	uint32_t *shard = NULL, *count = NULL;
	int error;

	if ((error = hist__buf_puts(b, "  \"group_markers\": [")) < 0)
		return error;
	for (int first = 1; *m; m += *m == ',') {
		size_t len = strcspn(m, ",");
		char *name;

		if (!len)
			continue;
		if (!(name = hist__strndup(m, len)))
			return HIST_E_NOMEM;
		if ((!first && (error = hist__buf_puts(b, ", ")) < 0) || (error = json_string(b, name)) < 0) {
			hist__free(name);
			return error;
		}
		hist__free(name);
		first = 0;
		m += len;
	}
	if ((error = hist__buf_puts(b, p->groups ? "],\n  \"groups\": [\n" : "],\n  \"groups\": [],\n")) < 0 ||
	    !p->groups)
		return error;
	if (!(byname = hist__malloc(p->groups * sizeof *byname)) || !(shard = hist__malloc(p->groups * sizeof *shard)) ||
	    !(count = hist__calloc(p->groups, sizeof *count))) {
		error = HIST_E_NOMEM;
		goto done;
	}
	for (size_t g = 0; g < p->groups; g++)
		byname[g] = (named_group){p->group_keys[g], (uint32_t)g};
	qsort(byname, p->groups, sizeof *byname, by_key);
	for (unsigned int k = 0; k < p->shards; k++)
		for (size_t r = p->start[k]; r < p->start[k + 1]; r++) {
			uint32_t g = p->tests[p->order[r]].group;
			if (g) {
				shard[g - 1] = k + 1;
				count[g - 1]++;
			}
		}
	for (size_t i = 0; i < p->groups && error == HIST_OK; i++) {
		uint32_t g = byname[i].g, k = shard[g], left = count[g];

		if ((error = hist__buf_puts(b, "    {\"key\": ")) < 0 || (error = json_string(b, byname[i].key)) < 0 ||
		    (error = hist__buf_printf(b, ", \"shard\": %u, \"tests\": [\n", k)) < 0)
			break;
		for (size_t r = p->start[k - 1]; r < p->start[k] && error == HIST_OK; r++) {
			const hist__plan_test *t = &p->tests[p->order[r]];

			if (t->group != g + 1)
				continue;
			if ((error = hist__buf_puts(b, "      ")) < 0 || (error = json_string(b, t->id)) < 0)
				break;
			error = hist__buf_puts(b, --left ? ",\n" : "\n");
		}
		if (error == HIST_OK)
			error = hist__buf_puts(b, i + 1 < p->groups ? "    ]},\n" : "    ]}\n  ],\n");
	}
done:
	hist__free(byname);
	hist__free(shard);
	hist__free(count);
	return error;
}

static int json_document(hist__buf *b, const hist_plan *p)
{
	int error;

	if ((error =
	         hist__buf_printf(b, "{\n  \"plan_id\": \"%s\",\n  \"shard_count\": %u,\n  \"shards\": [\n",
	                          hist__emit_id(p), p->shards)) < 0)
		return error;
	for (unsigned int k = 1; k <= p->shards; k++) {
		if ((error = hist__buf_printf(b,
		                              "    {\"index\": %u, \"file\": \"shard-%u.txt\", \"tests\": "
		                              "%zu, \"predicted_seconds\": ",
		                              k, k, hist_plan_shard_size(p, k))) < 0 ||
		    (error = hist__emit_seconds(b, p->predicted[k - 1], 6)) < 0 ||
		    (error = hist__buf_puts(b, k < p->shards ? "},\n" : "}\n")) < 0)
			return error;
	}
	if ((error = hist__buf_printf(b, "  ],\n  \"tests\": %zu,\n  \"tests_without_history\": %zu,\n", p->n,
	                              p->without_history)) < 0 ||
	    (error = json_seconds(b, "  ", "total_seconds", p->total_us, ",\n")) < 0 ||
	    (error = json_seconds(b, "  ", "work_seconds", p->work_us, ",\n")) < 0 ||
	    (error = json_seconds(b, "  ", "makespan_seconds", p->makespan_us, ",\n")) < 0 ||
	    (error = json_seconds(b, "  ", "lower_bound_seconds", p->lower_bound_us, ",\n")) < 0 ||
	    (error = json_seconds(b, "  ", "longest_unit_seconds", p->longest_unit_us, ",\n")) < 0)
		return error;
	if (p->target_us > 0)
		error = json_seconds(b, "  ", "target_seconds", p->target_us, ",\n");
	else
		error = hist__buf_puts(b, "  \"target_seconds\": null,\n");
	/* Only when asked for, so plans made without them keep their bytes. */
	if (error == HIST_OK && p->max_tests_per_shard)
		error = hist__buf_printf(b, "  \"max_tests_per_shard\": %zu,\n", p->max_tests_per_shard);
	if (error == HIST_OK && p->workers)
		error = hist__buf_printf(b, "  \"workers\": %u,\n", p->workers);
	if (error == HIST_OK && p->spread_milli &&
	    ((error = hist__buf_puts(b, "  \"spread_variance\": ")) < 0 ||
	     (error = shortest_double(b, p->spread_milli / 1000.0)) < 0 || (error = hist__buf_puts(b, ",\n")) < 0))
		return error;
	if (error < 0 ||
	    (error = hist__buf_printf(b, "  \"estimator\": \"%s\",\n", hist_estimator_name(p->estimator))) < 0 ||
	    (error = json_backtest(b, p)) < 0 || (error = hist__buf_puts(b, "  \"alpha\": ")) < 0 ||
	    (error = shortest_double(b, p->alpha)) < 0 ||
	    (error = hist__buf_printf(b, ",\n  \"window\": %u,\n  \"scope\": \"%s\",\n  \"suite\": ",
	                              p->window, hist_scope_name(p->scope))) < 0 ||
	    (error = json_string(b, p->suite ? p->suite : "default")) < 0 ||
	    (error = hist__buf_puts(b, ",\n  \"overheads\": {\n")) < 0 ||
	    (error = json_seconds(b, "    ", "test_seconds", p->test_overhead_us, ",\n")) < 0 ||
	    (error = hist__buf_printf(b, "    \"test_source\": \"%s\",\n",
	                              hist_source_name(p->test_overhead_source))) < 0 ||
	    (error = json_seconds(b, "    ", "shard_seconds", p->shard_overhead_us, ",\n")) < 0 ||
	    (error = hist__buf_printf(b, "    \"shard_source\": \"%s\",\n",
	                              hist_source_name(p->shard_overhead_source))) < 0 ||
	    (error = json_seconds(b, "    ", "scope_setup_seconds", p->scope_setup_us, ",\n")) < 0 ||
	    (error = hist__buf_printf(b, "    \"scopes_with_setup\": %zu,\n    \"scopes_split\": %zu,\n",
	                              p->scopes_with_setup, p->scopes_split)) < 0)
		return error;
	if (p->collect_per_test_us >= 0)
		error = json_seconds(b, "    ", "collect_per_test_seconds", p->collect_per_test_us, "\n  },\n");
	else
		error = hist__buf_puts(b, "    \"collect_per_test_seconds\": null\n  },\n");
	if (error < 0)
		return error;
	if ((error = hist__buf_printf(b, "  \"fallback\": %s,\n", p->fallback ? "\"hash\"" : "null")) < 0 ||
	    (p->group_markers && (error = json_groups(b, p)) < 0))
		return error;
	return hist__buf_printf(b, "  \"test_list\": \"%s\"\n}\n", hist_plan_test_list(p));
}

int hist_plan_json(const hist_plan *plan, hist_write_fn fn, void *payload)
{
	return render(json_document, plan, fn, payload);
}

/* ------------------------------------------------------------------ */
/* The preview table                                                   */

#define BAR 40

/* Columns from 0 to BAR for us on a scale where `full` fills the bar. */
static int64_t columns(int64_t us, int64_t full)
{
	return full > 0 ? (us * BAR + full / 2) / full : 0;
}

static int percent_over(hist__buf *b, int64_t value, int64_t bound)
{
	/* Hundredths of a percent, rounded half up. */
	int64_t h = bound > 0 ? ((value - bound) * 20000 / bound + 1) / 2 : 0;

	if (h < 0)
		h = 0;
	return hist__buf_printf(b, "%lld.%02lld%%", (long long)(h / 100), (long long)(h % 100));
}

static int preview(hist__buf *b, const hist_plan *p)
{
	int64_t full = p->makespan_us > p->lower_bound_us ? p->makespan_us : p->lower_bound_us;
	int64_t bound_col = columns(p->lower_bound_us, full);
	hist__buf num = HIST__BUF_INIT(0);
	size_t width = 9;
	int error = HIST_OK;

	/* The seconds column is as wide as the widest value. */
	for (unsigned int k = 1; k <= p->shards && !error; k++) {
		hist__buf_clear(&num);
		if (!(error = hist__emit_seconds(&num, p->predicted[k - 1], 3)) && num.len + 2 > width)
			width = num.len + 2;
	}
	if (!error)
		error = hist__buf_printf(b, "%5s %7s  %*s  %s\n", "shard", "tests", (int)width, "predicted",
		                         "# = predicted, . = up to the lower bound");
	for (unsigned int k = 1; k <= p->shards && !error; k++) {
		int64_t col = columns(p->predicted[k - 1], full);

		hist__buf_clear(&num);
		if ((error = hist__emit_seconds(&num, p->predicted[k - 1], 3)) < 0 ||
		    (error = hist__buf_puts(&num, " s")) < 0 ||
		    (error = hist__buf_printf(b, "%5u %7zu  %*s  ", k, hist_plan_shard_size(p, k), (int)width,
		                              num.ptr)) < 0)
			break;
		for (int64_t c = 0; c < BAR && !error; c++)
			if (c < col || c < bound_col)
				error = hist__buf_putc(b, c < col ? '#' : '.');
		if (!error)
			error = hist__buf_putc(b, '\n');
	}
	if (error < 0 || (error = hist__buf_puts(b, "lower bound ")) < 0 ||
	    (error = hist__emit_seconds(b, p->lower_bound_us, 3)) < 0 ||
	    (error = hist__buf_puts(b, " s = shard start-up ")) < 0 ||
	    (error = hist__emit_seconds(b, p->shard_overhead_us, 3)) < 0 ||
	    (error = hist__buf_puts(b, " s + max(work ")) < 0 ||
	    (error = hist__emit_seconds(b, p->work_us, 3)) < 0 ||
	    (error = (p->workers ? hist__buf_printf(b, " s / (%u shards x %u workers), longest unit ", p->shards,
	                                            p->workers)
	                         : hist__buf_printf(b, " s / %u, longest unit ", p->shards))) < 0 ||
	    (error = hist__emit_seconds(b, p->longest_unit_us, 3)) < 0 ||
	    (error = hist__buf_puts(b, " s)\nmakespan    ")) < 0 ||
	    (error = hist__emit_seconds(b, p->makespan_us, 3)) < 0 ||
	    (error = hist__buf_puts(b, " s, ")) < 0 ||
	    (error = percent_over(b, p->makespan_us, p->lower_bound_us)) < 0)
		goto done;
	if ((error = hist__buf_puts(b, " above the lower bound")) < 0)
		goto done;
	if (p->target_us > 0 &&
	    ((error = hist__buf_puts(b, "; target ")) < 0 ||
	     (error = hist__emit_seconds(b, p->target_us, 3)) < 0 ||
	     (error = hist__buf_puts(b, p->target_missed ? " s, missed" : " s, met")) < 0))
		goto done;
	if ((error = hist__buf_puts(b, "\noverheads   per test ")) < 0 ||
	    (error = hist__emit_seconds(b, p->test_overhead_us, 3)) < 0 ||
	    (error = hist__buf_printf(b, " s (%s), per shard ", hist_source_name(p->test_overhead_source))) <
	        0 ||
	    (error = hist__emit_seconds(b, p->shard_overhead_us, 3)) < 0 ||
	    (error = hist__buf_printf(b, " s (%s), collection per test ",
	                              hist_source_name(p->shard_overhead_source))) < 0 ||
	    (error = p->collect_per_test_us >= 0 ? hist__emit_seconds(b, p->collect_per_test_us, 6)
	                                         : hist__buf_puts(b, "unknown")) < 0 ||
	    (error = hist__buf_puts(b, p->collect_per_test_us >= 0 ? " s, scope set-up paid again "
	                                                           : ", scope set-up paid again ")) < 0 ||
	    (error = hist__emit_seconds(b, p->scope_setup_us, 3)) < 0 ||
	    (error = hist__buf_printf(b, " s (%zu of %zu modules with set-up split)\n", p->scopes_split,
	                              p->scopes_with_setup)) < 0 ||
	    (error = hist__buf_printf(b, "plan %s: %zu tests, %zu without history; %s", hist__emit_id(p), p->n,
	                              p->without_history, hist_estimator_name(p->estimator))) < 0)
		goto done;
	if (p->estimator == HIST_EST_EMA &&
	    ((error = hist__buf_puts(b, " alpha ")) < 0 || (error = shortest_double(b, p->alpha)) < 0))
		goto done;
	if (p->estimator_auto && (error = preview_backtest(b, p)) < 0)
		goto done;
	error = hist__buf_printf(b, " over %u runs, scope %s%s\n", p->window, hist_scope_name(p->scope),
	                         p->fallback ? "; split by stable hash (no durations in the history)" : "");
done:
	hist__buf_free(&num);
	return error;
}

int hist_plan_preview(const hist_plan *plan, hist_write_fn fn, void *payload)
{
	return render(preview, plan, fn, payload);
}

/* ------------------------------------------------------------------ */
/* The SVG picture                                                     */

#define SVG_LEFT 80   /* room for "shard 12" */
#define SVG_BARS 560  /* the makespan (or lower bound) is this wide */
#define SVG_RIGHT 200 /* room for the label after the longest bar */
#define SVG_ROW 22
#define SVG_TOP 52

static int svg(hist__buf *b, const hist_plan *p)
{
	int64_t full = p->makespan_us > p->lower_bound_us ? p->makespan_us : p->lower_bound_us;
	int64_t width = SVG_LEFT + SVG_BARS + SVG_RIGHT, height = SVG_TOP + (int64_t)p->shards * SVG_ROW + 30;
	int64_t lb_x = SVG_LEFT + (full > 0 ? p->lower_bound_us * SVG_BARS / full : 0);
	int error;

	if ((error = hist__buf_printf(
	         b,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%lld\" height=\"%lld\" "
	         "viewBox=\"0 0 %lld %lld\" font-family=\"sans-serif\" font-size=\"12\">\n"
	         "<title>hist plan %s</title>\n<rect width=\"%lld\" height=\"%lld\" fill=\"#ffffff\"/>\n"
	         "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">plan %s: %u shards, %zu "
	         "tests, suite ",
	         (long long)width, (long long)height, (long long)width, (long long)height, hist__emit_id(p),
	         (long long)width, (long long)height, hist__emit_id(p), p->shards, p->n)) < 0 ||
	    (error = xml_text(b, p->suite ? p->suite : "default")) < 0 ||
	    (error = hist__buf_puts(b, "</text>\n<text x=\"10\" y=\"38\" fill=\"#555555\">makespan ")) < 0 ||
	    (error = hist__emit_seconds(b, p->makespan_us, 3)) < 0 ||
	    (error = hist__buf_puts(b, " s, lower bound ")) < 0 ||
	    (error = hist__emit_seconds(b, p->lower_bound_us, 3)) < 0 ||
	    (error = hist__buf_printf(b, " s; light part of a bar: shard start-up%s</text>\n",
	                              p->fallback ? "; split by stable hash (no durations in the history)"
	                                          : "")) < 0)
		return error;
	for (unsigned int k = 1; k <= p->shards; k++) {
		int64_t y = SVG_TOP + (int64_t)(k - 1) * SVG_ROW, pred = p->predicted[k - 1];
		int64_t w = full > 0 ? pred * SVG_BARS / full : 0;
		int64_t start = full > 0 ? p->shard_overhead_us * SVG_BARS / full : 0;
		const char *fill = pred == p->makespan_us ? "#e15759" : "#4e79a7";

		if (start > w)
			start = w;
		if ((error = hist__buf_printf(
		         b,
		         "<text x=\"10\" y=\"%lld\">shard %u</text>\n"
		         "<rect x=\"%d\" y=\"%lld\" width=\"%lld\" height=\"16\" fill=\"#b9c9dc\"/>\n"
		         "<rect x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"16\" fill=\"%s\"><title>shard "
		         "%u: "
		         "%zu tests, ",
		         (long long)(y + 12), k, SVG_LEFT, (long long)y, (long long)start,
		         (long long)(SVG_LEFT + start), (long long)y, (long long)(w - start), fill, k,
		         hist_plan_shard_size(p, k))) < 0 ||
		    (error = hist__emit_seconds(b, pred, 3)) < 0 ||
		    (error = hist__buf_printf(b, " s</title></rect>\n<text x=\"%lld\" y=\"%lld\">",
		                              (long long)(SVG_LEFT + w + 6), (long long)(y + 12))) < 0 ||
		    (error = hist__emit_seconds(b, pred, 3)) < 0 ||
		    (error = hist__buf_printf(b, " s, %zu tests</text>\n", hist_plan_shard_size(p, k))) < 0)
			return error;
	}
	if ((error = hist__buf_printf(
	         b,
	         "<line x1=\"%lld\" y1=\"%d\" x2=\"%lld\" y2=\"%lld\" stroke=\"#222222\" "
	         "stroke-dasharray=\"4 3\"/>\n<text x=\"%lld\" y=\"%lld\" text-anchor=\"middle\" "
	         "fill=\"#222222\">lower bound</text>\n</svg>\n",
	         (long long)lb_x, SVG_TOP - 4, (long long)lb_x,
	         (long long)(SVG_TOP + (int64_t)p->shards * SVG_ROW), (long long)lb_x,
	         (long long)(SVG_TOP + (int64_t)p->shards * SVG_ROW + 16))) < 0)
		return error;
	return HIST_OK;
}

int hist_plan_svg(const hist_plan *plan, hist_write_fn fn, void *payload)
{
	return render(svg, plan, fn, payload);
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static int write_file(hist_plan *plan, const char *path, const hist__buf *content)
{
	hist__atomic *f = NULL;
	int error;

	if ((error = hist__atomic_open(&f, path, &plan->err)) < 0 ||
	    (error = hist__atomic_write(f, content->ptr ? content->ptr : "", content->len)) < 0)
		goto done;
	error = hist__atomic_commit(&f);
done:
	hist__atomic_abort(f);
	return error;
}

/* "shard-K.txt" with K > shards: a file of an older, larger plan. */
static int stale_shard(const char *name, unsigned int shards)
{
	char *end;
	unsigned long k;

	if (strncmp(name, "shard-", 6) != 0 || name[6] < '1' || name[6] > '9')
		return 0;
	errno = 0;
	k = strtoul(name + 6, &end, 10);
	return errno == 0 && strcmp(end, ".txt") == 0 && k > shards;
}

static int remove_stale(hist_plan *plan, const char *dir)
{
	hist__buf path = HIST__BUF_INIT(0);
	DIR *d = opendir(dir);
	struct dirent *e;
	int error = HIST_OK;

	if (!d)
		return hist__error(&plan->err, HIST_E_IO, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (!stale_shard(e->d_name, plan->shards))
			continue;
		hist__buf_clear(&path);
		if ((error = hist__buf_printf(&path, "%s/%s", dir, e->d_name)) < 0) {
			hist__error(&plan->err, error, "out of memory");
			break;
		}
		if (unlink(path.ptr) < 0 && errno != ENOENT) {
			error = hist__error(&plan->err, HIST_E_IO, "%s: cannot remove a stale shard file: %s",
			                    path.ptr, strerror(errno));
			break;
		}
	}
	closedir(d);
	hist__buf_free(&path);
	return error;
}

/* The files of a plan, made by a few threads at once: each takes the
 * next file, creates it, renders it and writes it, so the kernel's part
 * (creating the file, copying its bytes into the page cache: most of a
 * 100,000-test plan's writing) runs on every core. Each file reports into
 * its own hist__err (a file keeps it for its later sync and rename), so
 * the threads share nothing but the counter. */
#define WRITERS_MAX 4

typedef struct {
	hist_plan *plan;
	const char *dir;
	hist__atomic **files;
	hist__err *errs;
	int *codes;
	size_t end;
	atomic_size_t next;
	atomic_int failed; /* a file failed: the others stop taking files */
	/* Naming the plan as its shard files are written: shard i's lines
	 * are hashed once shards 0..i-1's are (hashed == i), the holder of
	 * that turn alone touching plan->id_hash. */
	int naming;
	pthread_mutex_t turn_mu;
	pthread_cond_t turn_cv;
	size_t hashed;
} write_job;

/* A shard whose turn to be hashed has not come is held in memory up to
 * this size (past a million tests a shard of 64 holds 1.7 MB), then its
 * writer waits for the turn. Test builds hold less, so that wait runs. */
#ifdef HIST_TESTING
#define NAMING_HOLD (2 * SHARD_PIECE)
#else
#define NAMING_HOLD (4 * 1024 * 1024)
#endif

/* 1 when shard i's turn has come (and its label is hashed), 0 when it has
 * not (without wait) or a file failed (with wait). */
static int take_turn(write_job *j, size_t i, int wait)
{
	int mine;

	pthread_mutex_lock(&j->turn_mu);
	while (wait && j->hashed != i && !atomic_load(&j->failed))
		pthread_cond_wait(&j->turn_cv, &j->turn_mu);
	mine = j->hashed == i;
	pthread_mutex_unlock(&j->turn_mu);
	if (mine)
		hash_label(j->plan, (unsigned int)i + 1);
	return mine;
}

/* Shard i's turn is over, or (failed) none will come. */
static void pass_turn(write_job *j, int failed)
{
	pthread_mutex_lock(&j->turn_mu);
	if (failed)
		atomic_store(&j->failed, 1);
	else
		j->hashed++;
	pthread_cond_broadcast(&j->turn_cv);
	pthread_mutex_unlock(&j->turn_mu);
}

/* Shard i's file while the writers name the plan: each nodeid is gathered
 * once, for the file and for the id. The header holds a stand-in id that
 * hist_plan_write overwrites. The caller writes what is left in b, unless
 * another file failed meanwhile. */
static int shard_named(write_job *j, size_t i, hist__buf *b, hist__atomic *f)
{
	const hist_plan *p = j->plan;
	unsigned int k = (unsigned int)i + 1;
	size_t from, check = SHARD_PIECE; /* b's bytes from `from` on are not hashed yet */
	int mine = 0, error;

	if ((error = shard_head(b, p, "0000000000000000", k)) < 0)
		return error;
	from = b->len;
	for (size_t r = p->start[k - 1]; r < p->start[k]; r++) {
		const hist__plan_test *t = &p->tests[p->order[r]];
		fetch_ahead(p, r, p->start[k]);
		if ((error = hist__buf_put_line(b, t->id, t->len)) < 0)
			return error;
		if (b->len < check)
			continue;
		if (!mine && !(mine = take_turn(j, i, b->len >= NAMING_HOLD))) {
			if (b->len >= NAMING_HOLD)
				return HIST_OK;
			check = b->len + SHARD_PIECE;
			continue;
		}
		hist__hash64_update(p->id_hash, b->ptr + from, b->len - from);
		if ((error = hist__atomic_write(f, b->ptr, b->len)) < 0)
			return error;
		hist__buf_clear(b);
		from = 0;
		check = SHARD_PIECE;
	}
	if (!mine && !take_turn(j, i, 1))
		return HIST_OK;
	hist__hash64_update(p->id_hash, b->ptr + from, b->len - from);
	pass_turn(j, 0);
	return HIST_OK;
}

static int write_one(write_job *j, size_t i, hist__buf *content, hist__buf *path)
{
	const hist_plan *plan = j->plan;
	unsigned int k = (unsigned int)i + 1;
	hist__err *err = &j->errs[i];
	int error;

	hist__buf_clear(content);
	hist__buf_clear(path);
	error = k <= plan->shards ? hist__buf_printf(path, "%s/shard-%u.txt", j->dir, k)
	                          : hist__buf_printf(path, "%s/plan.json", j->dir);
	if (error < 0)
		return hist__error(err, error, "out of memory");
	if ((error = hist__atomic_open(&j->files[i], path->ptr, err)) < 0)
		return error;
	error = k > plan->shards ? json_document(content, plan)
	        : j->naming      ? shard_named(j, i, content, j->files[i])
	                         : shard_text(content, plan, k, j->files[i]);
	if (error < 0 && error != HIST_E_IO) /* an I/O error has its message */
		return hist__error(err, error, "out of memory");
	if (error < 0 || atomic_load(&j->failed))
		return error;
	return hist__atomic_write(j->files[i], content->ptr ? content->ptr : "", content->len);
}

static void *writer(void *payload)
{
	write_job *j = payload;
	hist__buf content = HIST__BUF_INIT(0), path = HIST__BUF_INIT(0);
	size_t i;

	while (!atomic_load(&j->failed) && (i = atomic_fetch_add(&j->next, 1)) < j->end)
		if ((j->codes[i] = write_one(j, i, &content, &path)) < 0)
			pass_turn(j, 1);
	hist__buf_free(&content);
	hist__buf_free(&path);
	return NULL;
}

/* Files [from, end) by up to `threads` threads, this one included. */
static int write_files(write_job *j, size_t from, size_t end, unsigned int threads)
{
	pthread_t helper[WRITERS_MAX - 1];
	unsigned int helpers = 0;

	atomic_store(&j->next, from);
	j->end = end;
	/* A thread that cannot start is no error: the others take its files. */
	while (helpers + 1 < threads && pthread_create(&helper[helpers], NULL, writer, j) == 0)
		helpers++;
	writer(j);
	while (helpers)
		pthread_join(helper[--helpers], NULL);
	/* The first failure in file order is the one reported. */
	for (size_t i = from; i < end; i++)
		if (j->codes[i] < 0)
			return j->codes[i];
	return HIST_OK;
}

/* 1 with plan->id_mu held and the hash reset, when the id is still to be
 * hashed: the shard files' writers hash it (shard_named). */
static int lock_naming(hist_plan *plan)
{
	if (atomic_load_explicit(&plan->id_done, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&plan->id_mu);
	if (atomic_load_explicit(&plan->id_done, memory_order_relaxed)) {
		pthread_mutex_unlock(&plan->id_mu);
		return 0;
	}
	hist__hash64_reset(plan->id_hash);
	return 1;
}

/* Every shard is hashed: the id is known, and goes into each file's
 * header over the stand-in. */
static int name_files(hist_plan *plan, hist__atomic **files, size_t n)
{
	int error;

	set_id(plan);
	for (size_t i = 0; i < n; i++)
		if ((error = hist__atomic_write_at(files[i], plan->id, 16, ID_AT)) < 0)
			return error;
	atomic_store_explicit(&plan->id_done, 1, memory_order_release);
	return HIST_OK;
}

/* Threads to write with: the cores there are, at most WRITERS_MAX. */
static unsigned int writers(size_t files)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = cores < 1 ? 1 : cores > WRITERS_MAX ? WRITERS_MAX : (unsigned int)cores;

	return files < n ? (unsigned int)files : n;
}

/* Removes the last made directories of path, deepest first, each only
 * if empty; path is changed on the way. */
static void unmake_dirs(char *path, int made)
{
	size_t len = strlen(path);

	while (made-- > 0 && rmdir(path) == 0) {
		while (len > 1 && path[len - 1] == '/')
			path[--len] = '\0';
		while (len > 0 && path[len - 1] != '/')
			path[--len] = '\0';
	}
}

/* mkdir -p dir: *made counts the directories made (the deepest ones of
 * dir), so a failure after can take them away again; on its own failure
 * it takes away what it made. */
static int make_dirs(hist__err *err, const char *dir, int *made)
{
	char *path = hist__strdup(dir);
	size_t made_end = 0; /* where the deepest directory made ends in path */
	int error = HIST_OK;

	*made = 0;
	if (!path)
		return hist__error(err, HIST_E_NOMEM, "out of memory");
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) == 0) {
			++*made;
			made_end = (size_t)(p - path);
		} else if (errno != EEXIST) {
			error = hist__error(err, HIST_E_IO, "%s: cannot create the directory: %s", path,
			                    strerror(errno));
			path[made_end] = '\0';
			unmake_dirs(path, *made);
			*made = 0;
			break;
		}
		if (!(*p = c))
			break;
	}
	hist__free(path);
	return error;
}

/* Takes away the directories hist_plan_write made for dir. */
static void unmake_plan_dirs(const char *dir, int made)
{
	char *path = hist__strdup(dir);

	if (path)
		unmake_dirs(path, made);
	hist__free(path);
}

int hist_plan_write(hist_plan *plan, const char *dir)
{
	write_job j;
	size_t n = (size_t)plan->shards + 1;
	unsigned int threads = writers(n);
	struct stat st;
	int created = 0, turns = 0, error = HIST_OK; /* created: directories made; turns: 2 once turn_mu and turn_cv are made */

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return hist__error(&plan->err, HIST_E_IO, "%s: not a directory", dir);
	} else if (errno != ENOENT) {
		return hist__error(&plan->err, HIST_E_IO, "%s: cannot create the directory: %s", dir,
		                   strerror(errno));
	} else if ((error = make_dirs(&plan->err, dir, &created)) < 0) {
		return error;
	}
	memset(&j, 0, sizeof j);
	j.plan = plan;
	j.dir = dir;
	atomic_init(&j.next, 0);
	atomic_init(&j.failed, 0);
	if (pthread_mutex_init(&j.turn_mu, NULL) == 0 && ++turns && pthread_cond_init(&j.turn_cv, NULL) == 0)
		turns++;
	if (turns < 2 || !(j.files = hist__calloc(n, sizeof *j.files)) || !(j.errs = hist__calloc(n, sizeof *j.errs)) ||
	    !(j.codes = hist__calloc(n, sizeof *j.codes))) {
		error = hist__error(&plan->err, HIST_E_NOMEM, "out of memory");
		goto done;
	}
	/* Every file is written, then all are made durable together, and only
	 * then renamed into place (shard files first, plan.json last), so a
	 * failure on the way leaves the older plan whole. */
	if (n <= HIST__ATOMIC_OPEN_MAX && lock_naming(plan)) {
		j.naming = 1;
		error = write_files(&j, 0, n - 1, threads);
		if (error == HIST_OK)
			error = name_files(plan, j.files, n - 1);
		pthread_mutex_unlock(&plan->id_mu);
		if (error < 0 || (error = write_files(&j, n - 1, n, 1)) < 0)
			goto done;
	}
	/* Past HIST__ATOMIC_OPEN_MAX open files, those written are synced
	 * first (and the id is hashed before, by hist__emit_id). */
	for (size_t from = 0; !j.naming && from < n; from += HIST__ATOMIC_OPEN_MAX) {
		size_t end = n - from < HIST__ATOMIC_OPEN_MAX ? n : from + HIST__ATOMIC_OPEN_MAX;

		if ((error = write_files(&j, from, end, threads)) < 0)
			goto done;
		if (end - from == HIST__ATOMIC_OPEN_MAX && (error = hist__atomic_sync_all(j.files + from, end - from)) < 0)
			goto done;
	}
	if ((error = hist__atomic_commit_all(j.files, n)) == HIST_OK)
		error = remove_stale(plan, dir);
done:
	for (size_t i = 0; j.files && i < n; i++)
		hist__atomic_abort(j.files[i]);
	/* The first file's message that says why, as the plan's. */
	for (size_t i = 0; error < 0 && j.errs && i < n; i++) {
		if (j.errs[i].msg || j.errs[i].no_mem) {
			hist__err_clear(&plan->err);
			plan->err = j.errs[i];
			j.errs[i] = (hist__err)HIST__ERR_INIT;
			break;
		}
	}
	for (size_t i = 0; j.errs && i < n; i++)
		hist__err_clear(&j.errs[i]);
	/* Directories made here go again unless a file reached them (rmdir
	 * removes only an empty one). */
	if (error < 0 && created)
		unmake_plan_dirs(dir, created);
	if (turns > 1)
		pthread_cond_destroy(&j.turn_cv);
	if (turns > 0)
		pthread_mutex_destroy(&j.turn_mu);
	hist__free(j.files);
	hist__free(j.errs);
	hist__free(j.codes);
	return error;
}

int hist_plan_write_svg(hist_plan *plan, const char *path)
{
	hist__buf b = HIST__BUF_INIT(0);
	int error;

	if ((error = svg(&b, plan)) < 0)
		hist__error(&plan->err, error, "out of memory");
	else
		error = write_file(plan, path, &b);
	hist__buf_free(&b);
	return error;
}
