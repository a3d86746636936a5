/* report.c - histstats --html: the history drawn as one HTML page.
 * Owns: the page (inline CSS and SVG, no script, no external URL), its
 * escaping of every string the history holds, the trend sparklines and
 * the bars of plans predicted against actual. Integer arithmetic for
 * every coordinate, so the same history gives the same bytes anywhere.
 * Not here: the figures themselves (stats.c, store_stats.c,
 * store_plans.c), writing files (io.c). */
#include "hist.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "io.h"
#include "num.h"
#include "store.h"

#define DEFAULT_TOP 10
#define DEFAULT_WINDOW 20
/* Sparkline and plan bar geometry, in CSS pixels. */
#define SPARK_W 160
#define SPARK_H 28
#define BAR_W 480
#define BAR_ROW 30
#define BAR_LABEL 70

typedef struct {
	hist__buf *b;
	int error;
} page;

static void put(page *p, const char *s)
{
	if (p->error == HIST_OK)
		p->error = hist__buf_puts(p->b, s);
}

static void putf(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(page *p, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		p->error = HIST_E_INVALID;
		return;
	}
	put(p, tmp);
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/* Text from the history, safe in element content and in quoted attribute
 * values: the five markup characters as references, control characters
 * and bytes that are not UTF-8 as U+FFFD (so the page is well-formed
 * whatever a nodeid holds). */
static void esc(page *p, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text);

	for (size_t i = 0; i < len && p->error == HIST_OK;) {
		size_t n = utf8_len(s + i, len - i);
		const char *ref = NULL;

		if (n == 1) {
			switch (s[i]) {
			case '&': ref = "&amp;"; break;
			case '<': ref = "&lt;"; break;
			case '>': ref = "&gt;"; break;
			case '"': ref = "&quot;"; break;
			case '\'': ref = "&#39;"; break;
			default:
				if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7f)
					ref = "\xef\xbf\xbd";
			}
		}
		if (n == 0) {
			ref = "\xef\xbf\xbd";
			n = 1;
		}
		if (ref)
			put(p, ref);
		else
			p->error = hist__buf_put(p->b, (const char *)s + i, n);
		i += n;
	}
}

static void seconds(page *p, int64_t us, int decimals)
{
	char s[HIST__SECONDS_SIZE];

	if (us < 0)
		put(p, "-");
	else
		put(p, hist__seconds(s, us, decimals));
}

/* µs since the epoch as "2026-11-24T22:15:00Z". */
static void utc(char *buf, size_t size, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us < 0 || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
}

/* ---- trends ------------------------------------------------------------ */

typedef struct {
	int64_t d[HIST__STORE_MAX_WINDOW];
	size_t n, window;
} trend;

static int trend_row(const hist_test_result *r, void *payload)
{
	trend *t = payload;

	if (r->duration_us < 0 || r->outcome == HIST_OUTCOME_SKIPPED)
		return 0;
	if (t->n == t->window) {
		memmove(t->d, t->d + 1, (t->n - 1) * sizeof *t->d);
		t->n--;
	}
	t->d[t->n++] = r->duration_us;
	return 0;
}

/* A test's last `window` known durations, oldest first, as a line scaled
 * to its own largest; the newest is a dot. */
static int sparkline(page *p, hist_db *db, const hist_stats_test *test, size_t window)
{
	trend *t = hist__calloc(1, sizeof *t);
	int64_t max = 1;
	int error;

	if (!t)
		return HIST_E_NOMEM;
	t->window = window;
	if ((error = hist_db_test_history(db, test->suite, test->nodeid, trend_row, t)) < 0) {
		hist__free(t);
		return error;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->d[i] > max)
			max = t->d[i];
	putf(p, "<svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>", SPARK_W,
		SPARK_H, SPARK_W, SPARK_H);
	putf(p, "last %zu durations, oldest first:", t->n);
	for (size_t i = 0; i < t->n; i++) {
		put(p, " ");
		seconds(p, t->d[i], 3);
	}
	put(p, " s</title>");
	if (t->n) {
		int64_t x = 0, y = 0;
		put(p, "<polyline points=\"");
		for (size_t i = 0; i < t->n; i++) {
			x = t->n == 1 ? SPARK_W / 2 : 3 + (int64_t)i * (SPARK_W - 6) / (int64_t)(t->n - 1);
			y = SPARK_H - 3 - t->d[i] * (SPARK_H - 6) / max;
			putf(p, "%s%lld,%lld", i ? " " : "", (long long)x, (long long)y);
		}
		putf(p, "\"/><circle cx=\"%lld\" cy=\"%lld\" r=\"2.5\"/>", (long long)x, (long long)y);
	}
	put(p, "</svg>");
	hist__free(t);
	return HIST_OK;
}

/* ---- sections ------------------------------------------------------------ */

static size_t rows(size_t n, size_t top)
{
	return n < top ? n : top;
}

/* A section's heading and intro paragraph (intro may be NULL); with no
 * rows it says none_text and closes, else it opens a table whose columns
 * are suite, test and the NULL-ended cols. Returns whether rows follow. */
static int section_open(page *p, const char *id, const char *title, const char *intro, size_t n,
			const char *none_text, const char *const *cols)
{
	putf(p, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
	if (intro)
		putf(p, "<p>%s</p>\n", intro);
	if (!n) {
		putf(p, "<p class=\"none\">%s</p></section>\n", none_text);
		return 0;
	}
	put(p, "<table><tr><th>suite</th><th>test</th>");
	for (size_t i = 0; cols[i]; i++)
		putf(p, "<th>%s</th>", cols[i]);
	put(p, "</tr>\n");
	return 1;
}

static void section_close(page *p)
{
	put(p, "</table></section>\n");
}

/* A row's first cells: the test's suite and nodeid. */
static void row_open(page *p, const hist_stats_test *t)
{
	put(p, "<tr><td class=\"suite\">");
	esc(p, t->suite);
	put(p, "</td><td class=\"id\">");
	esc(p, t->nodeid);
	put(p, "</td>");
}

static void seconds_cell(page *p, int64_t us)
{
	put(p, "<td>");
	seconds(p, us, 3);
	put(p, "</td>");
}

static int slowest(page *p, const hist_stats *st, hist_db *db, size_t top, size_t window)
{
	static const char *const cols[] = { "median s", "min s", "max s", "runs", "trend", NULL };
	size_t n = rows(hist_stats_count(st, HIST_STATS_SLOWEST), top);
	char intro[160];
	int error = HIST_OK;

	snprintf(intro, sizeof intro,
		"Median of each test's durations over the window, with its spread; the line is its last %zu "
		"durations, oldest first.",
		window);
	if (!section_open(p, "slowest", "Slowest tests", intro, n, "No durations in the history.", cols))
		return HIST_OK;
	for (size_t i = 0; i < n && error == HIST_OK && p->error == HIST_OK; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_SLOWEST, i);
		row_open(p, t);
		seconds_cell(p, t->estimate_us);
		seconds_cell(p, t->min_us);
		seconds_cell(p, t->max_us);
		putf(p, "<td>%u</td><td>", t->runs);
		error = sparkline(p, db, t, window);
		put(p, "</td></tr>\n");
	}
	section_close(p);
	return error;
}

static void flaky(page *p, const hist_stats *st, size_t top)
{
	static const char *const cols[] = { "runs", "passed", "failed", "reruns", "failing share", NULL };
	size_t n = rows(hist_stats_count(st, HIST_STATS_FLAKY), top);

	if (!section_open(p, "flaky", "Flaky tests", "Passed and failed in the window, or passed only on a rerun.", n,
		    "No flaky test in the window.", cols))
		return;
	for (size_t i = 0; i < n; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_FLAKY, i);
		unsigned int bad = t->failed + t->rerun, all = t->runs ? t->runs : 1;
		row_open(p, t);
		putf(p, "<td>%u</td><td>%u</td><td>%u</td><td>%u</td>", t->runs, t->passed, t->failed, t->rerun);
		putf(p, "<td><svg width=\"100\" height=\"12\" role=\"img\"><title>%u of %u runs</title>"
			"<rect class=\"ok\" width=\"100\" height=\"12\"/><rect class=\"bad\" width=\"%u\" height=\"12\"/></svg></td></tr>\n",
			bad, t->runs, (bad > all ? all : bad) * 100 / all);
	}
	section_close(p);
}

static int regressions(page *p, const hist_stats *st, hist_db *db, size_t top, size_t window)
{
	static const char *const cols[] = { "last s", "before s", "ratio", "trend", NULL };
	size_t n = rows(hist_stats_count(st, HIST_STATS_REGRESSIONS), top);
	int error = HIST_OK;

	if (!section_open(p, "regressions", "Duration regressions",
		    "The last run took at least twice the median of the earlier results in the window, and 0.5 s more.", n,
		    "No duration regression in the last run.", cols))
		return HIST_OK;
	for (size_t i = 0; i < n && error == HIST_OK && p->error == HIST_OK; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_REGRESSIONS, i);
		int64_t r100 = t->before_us > 0 ? t->last_us * 100 / t->before_us : 0;
		row_open(p, t);
		seconds_cell(p, t->last_us);
		seconds_cell(p, t->before_us);
		putf(p, "<td>%lld.%02lld</td><td>", (long long)(r100 / 100), (long long)(r100 % 100));
		error = sparkline(p, db, t, window);
		put(p, "</td></tr>\n");
	}
	section_close(p);
	return error;
}

static void unseen(page *p, const hist_stats *st, size_t top)
{
	static const char *const cols[] = { "runs ago", "runs", NULL };
	size_t n = rows(hist_stats_count(st, HIST_STATS_UNSEEN), top);

	if (!section_open(p, "unseen", "Not seen lately", NULL, n, "Every test of the window ran lately.", cols))
		return;
	for (size_t i = 0; i < n; i++) {
		const hist_stats_test *t = hist_stats_get(st, HIST_STATS_UNSEEN, i);
		row_open(p, t);
		putf(p, "<td>%u</td><td>%u</td></tr>\n", t->last_seen, t->runs);
	}
	section_close(p);
}

/* One bar of a shard's pair at height y: what ("predicted" or "actual")
 * drawn in CSS class cls on the plan's scale, its seconds as the tooltip
 * and written after the bar. */
static void bar(page *p, const char *cls, const char *what, unsigned int k, int64_t y, int64_t us, int64_t scale)
{
	int64_t w = us * BAR_W / scale;

	putf(p, "<rect class=\"%s\" x=\"%d\" y=\"%lld\" width=\"%lld\" height=\"11\"><title>shard %u %s ", cls,
		BAR_LABEL, (long long)y, (long long)(w > 0 ? w : 1), k, what);
	seconds(p, us, 3);
	putf(p, " s</title></rect><text class=\"fig\" x=\"%lld\" y=\"%lld\">", (long long)(BAR_LABEL + w + 4),
		(long long)(y + 10));
	seconds(p, us, 3);
	putf(p, " s %s</text>", what);
}

/* One plan run: a pair of bars a shard, predicted above actual, on one
 * scale; a shard with no report says so in place of its bar. */
static int plan_run(const hist_plan_run *r, void *payload)
{
	page *p = payload;
	int64_t scale = 1, h = (int64_t)r->shards * BAR_ROW + 8;
	unsigned int reported = 0;
	char when[64];

	for (unsigned int k = 0; k < r->shards; k++) {
		if (r->shard[k].predicted_us > scale)
			scale = r->shard[k].predicted_us;
		if (r->shard[k].actual_us > scale)
			scale = r->shard[k].actual_us;
		reported += r->shard[k].reports > 0;
	}
	utc(when, sizeof when, r->run_id ? r->started_us : r->stored_us);
	putf(p, "<div class=\"plan\"><h3>plan %s, suite ", r->plan_id);
	esc(p, r->suite);
	if (r->run_id) {
		put(p, ", run ");
		esc(p, r->run_id);
		putf(p, " (%s)", when);
	} else {
		putf(p, ": no run reported it (stored %s)", when);
	}
	putf(p, "</h3>\n<p>%u of %u shards reported", reported, r->shards);
	if (reported < r->shards) {
		unsigned int listed = 0;
		put(p, "; missing:");
		for (unsigned int k = 0; k < r->shards; k++)
			if (!r->shard[k].reports)
				putf(p, "%s shard %u", listed++ ? "," : "", k + 1);
	}
	putf(p, ".</p>\n<svg class=\"bars\" width=\"%d\" height=\"%lld\" viewBox=\"0 0 %d %lld\" role=\"img\">"
		"<title>predicted and actual seconds per shard</title>\n",
		BAR_LABEL + BAR_W + 150, (long long)h, BAR_LABEL + BAR_W + 150, (long long)h);
	for (unsigned int k = 0; k < r->shards; k++) {
		const hist_plan_shard_run *s = &r->shard[k];
		int64_t y = 4 + (int64_t)k * BAR_ROW;
		putf(p, "<text x=\"0\" y=\"%lld\">shard %u</text>", (long long)(y + 18), k + 1);
		bar(p, "pred", "predicted", k + 1, y, s->predicted_us, scale);
		if (s->actual_us >= 0) {
			bar(p, "act", "actual", k + 1, y + 13, s->actual_us, scale);
			put(p, "\n");
		} else {
			putf(p, "<text class=\"missing\" x=\"%d\" y=\"%lld\">%s</text>\n", BAR_LABEL, (long long)(y + 23),
				s->reports ? "reported no wall time" : "missing: no report");
		}
	}
	put(p, "</svg></div>\n");
	return p->error;
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
	"h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .3em;border-bottom:2px solid #4a6fa5}"
	"h3{font-size:1em;margin:1em 0 .2em}p{margin:.2em 0 .5em}"
	"table{border-collapse:collapse}th,td{padding:2px 8px;text-align:right;vertical-align:middle}"
	"th{background:#e8eef6}th:nth-child(-n+2){text-align:left}tr:nth-child(even) td{background:#f6f8fb}"
	"td.id,td.suite{text-align:left;font-family:monospace;word-break:break-all;max-width:40em}"
	".counts span{display:inline-block;margin-right:1.5em;padding:.3em .8em;background:#e8eef6;border-radius:4px}"
	".spark polyline{fill:none;stroke:#4a6fa5;stroke-width:1.5}.spark circle{fill:#d9534f}"
	"rect.ok{fill:#9fd49f}rect.bad{fill:#d9534f}rect.pred{fill:#9db4d6}rect.act{fill:#e8913c}"
	"svg text{font:12px sans-serif;fill:#222}svg text.missing{fill:#d9534f;font-weight:bold}"
	".none{color:#666;font-style:italic}.legend span{display:inline-block;width:1em;height:.8em;margin:0 .3em}";

int hist_stats_write_html(const hist_stats *st, hist_db *db, const hist_html_options *opts, const char *path)
{
	hist_html_options defaults = HIST_HTML_OPTIONS_INIT;
	hist__buf b = HIST__BUF_INIT(0);
	page p = { &b, HIST_OK };
	hist__atomic *f = NULL;
	hist_counts counts;
	size_t top, window;
	int error;

	if (!st || !db || !path)
		return db ? hist__error(hist__db_err(db), HIST_E_INVALID, "no statistics or path") : HIST_E_INVALID;
	if (!opts)
		opts = &defaults;
	if (opts->version == 0 || opts->version > HIST_HTML_OPTIONS_VERSION)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "hist_html_options version %u is not supported",
			opts->version);
	top = opts->top ? opts->top : DEFAULT_TOP;
	window = opts->window ? opts->window : DEFAULT_WINDOW;
	if (window > HIST__STORE_MAX_WINDOW)
		window = HIST__STORE_MAX_WINDOW;
	if ((error = hist_db_counts(&counts, db, opts->suite)) < 0)
		return error;
	put(&p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>hist report: ");
	esc(&p, opts->suite ? opts->suite : "every suite");
	put(&p, "</title>\n<style>");
	put(&p, style);
	put(&p, "</style></head>\n<body>\n<h1>hist report: ");
	esc(&p, opts->suite ? opts->suite : "every suite");
	putf(&p, "</h1>\n<p class=\"counts\"><span>%lld runs</span><span>%lld tests</span><span>%lld results</span></p>\n",
		(long long)counts.runs, (long long)counts.tests, (long long)counts.results);
	if ((error = slowest(&p, st, db, top, window)) < 0)
		goto done;
	flaky(&p, st, top);
	if ((error = regressions(&p, st, db, top, window)) < 0)
		goto done;
	unseen(&p, st, top);
	put(&p, "<section id=\"plans\"><h2>Plans that ran</h2>\n<p class=\"legend\">Each shard's seconds "
		"<span style=\"background:#9db4d6\"></span>predicted by the plan and "
		"<span style=\"background:#e8913c\"></span>the wall time its pytest session took, newest run first.</p>\n");
	{
		size_t before = b.len;
		if ((error = hist_db_plan_runs(db, opts->suite, top, plan_run, &p)) < 0)
			goto done;
		if (b.len == before)
			put(&p, "<p class=\"none\">No plan stored: histmerge --plan DIR stores the plan its reports ran.</p>\n");
	}
	put(&p, "</section>\n</body></html>\n");
	if ((error = p.error) < 0)
		goto done;
	if ((error = hist__atomic_open(&f, path, hist__db_err(db))) == HIST_OK &&
		(error = hist__atomic_write(f, b.ptr, b.len)) == HIST_OK)
		error = hist__atomic_commit(&f);
done:
	if (error == HIST_E_NOMEM)
		hist__error(hist__db_err(db), error, "%s", hist_strerror(error));
	hist__atomic_abort(f);
	hist__buf_free(&b);
	return error;
}
