/* suite_gen.c - a generated suite that looks like a big real one.
 * Nodeids of 60-160 bytes (tests/<area>/<pkg>/<module>/test_<name>.py::
 * TestClass::test_name[param-values]), 10-40 tests a file, tens of
 * thousands of files at 1M tests, log-normal durations (median 20 ms,
 * sigma 1.6), ~2% failures with long tracebacks, ~3% skips, ~5% with
 * captured output. The same SEED and TESTS give the same suite in every
 * mode, so the reports and the history describe one suite; run r of a
 * history (and RUN of a report) varies durations by ~10% and picks which
 * flaky tests fail. Deterministic: byte-identical output for the same
 * arguments.
 *
 *   suite_gen xunit2 TESTS SEED RUN OUT.xml          pytest --junitxml, xunit2
 *   suite_gen reportlog TESTS SEED RUN OUT.jsonl.gz  pytest-reportlog, gzipped
 *   suite_gen history TESTS RUNS SEED DB             RUNS runs through the store
 *   suite_gen stats TESTS SEED                       nodeid lengths, files
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hist.h"
#include "rng.h"
#include "store.h"

static const char *const area[] = {
	"unit", "integration", "functional", "regression", "system", "api", "e2e", "contract",
	"perf", "compat", "smoke", "acceptance", "migration", "security", "cli", "plugins",
	"storage", "network", "scheduler", "billing", "auth", "search", "ingest", "reporting",
};
static const char *const word[] = {
	"accounts", "adapters", "aggregation", "allocation", "analytics", "archive", "arrays",
	"async_io", "attachments", "audit", "backends", "batching", "blob_store", "bootstrap",
	"buffers", "cache", "calendar", "catalog", "channels", "checkpoint", "cluster", "codecs",
	"compression", "config", "connectors", "consensus", "credentials", "cursor", "dataframe",
	"datetime", "decimal", "dependency", "dispatch", "documents", "encoding", "engine",
	"events", "exporters", "expressions", "extensions", "fixtures", "formatting", "gateway",
	"geometry", "graph", "grouping", "handlers", "hashing", "http_client", "indexing",
	"inference", "interval", "invoices", "iterators", "journal", "kernels", "layout",
	"ledger", "lifecycle", "linalg", "locking", "logging", "manifest", "mapping", "messaging",
	"metadata", "metrics", "middleware", "migrations", "models", "multiindex", "namespaces",
	"notifications", "numeric", "observers", "optimizer", "orders", "parsers", "partitions",
	"payments", "permissions", "pipeline", "plotting", "policies", "pooling", "projection",
	"protocol", "queries", "queueing", "ranges", "readers", "recovery", "registry",
	"renderers", "replication", "resampling", "resolver", "retries", "routing", "sampling",
	"schema", "selectors", "serializers", "sessions", "sharding", "signals", "snapshots",
	"sparse", "statistics", "streaming", "strings", "subscriptions", "tasks", "templates",
	"tenancy", "throttling", "timezones", "tokens", "transactions", "transforms", "uploads",
	"validation", "versioning", "views", "webhooks", "windowing", "workers", "writers",
};
static const char *const verb[] = {
	"accepts", "rejects", "handles", "returns", "raises", "preserves", "roundtrips",
	"parses", "formats", "merges", "splits", "sorts", "filters", "groups", "caches",
	"retries", "expires", "validates", "serializes", "compares", "resolves", "migrates",
	"updates", "deletes", "creates", "reads", "writes", "locks", "streams", "batches",
	"counts", "emits", "ignores", "normalizes", "truncates", "pads", "escapes", "rounds",
	"converts", "schedules",
};
static const char *const noun[] = {
	"empty_input", "unicode_names", "large_payload", "missing_key", "nested_values",
	"duplicate_rows", "negative_offset", "timezone_aware_dates", "null_columns",
	"concurrent_writers", "partial_failure", "default_config", "custom_dtype", "zero_length",
	"overflowing_counter", "stale_cache", "expired_token", "invalid_schema", "sparse_matrix",
	"mixed_types", "boundary_values", "legacy_format", "keyword_arguments", "closed_connection",
	"readonly_mode", "utf8_bom", "big_endian_input", "multiindex_columns", "categorical_data",
	"empty_dataframe", "nan_values", "infinite_values", "slow_consumer", "retry_after_header",
};
static const char *const param_a[] = {
	"int8", "int16", "int32", "int64", "uint8", "uint64", "float32", "float64", "complex128",
	"bool", "object", "string", "datetime64[ns]", "timedelta64", "category", "Decimal",
};
static const char *const param_b[] = {
	"True", "False", "None", "little", "big", "utf-8", "latin-1", "C", "F", "inner", "outer",
	"left", "right", "sum", "mean", "max", "min", "first", "last", "gzip", "bz2", "zstd",
};
#define COUNT(a) (sizeof(a) / sizeof(a)[0])

typedef struct {
	char *id;          /* the nodeid */
	size_t len;
	size_t module_len; /* bytes of the file path */
	size_t class_len;  /* nodeid bytes up to the class, 0: no class */
	double base_us;    /* typical duration */
	unsigned char kind; /* 0 passes, 1 flaky (fails now and then), 2 skips */
	unsigned char out;  /* prints to stdout */
	unsigned short line;
} gtest;

static gtest *tests;
static long ntests, nfiles;

static uint64_t below(uint64_t n)
{
	return next_u64() % n;
}

static double normal(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static char *copy_of(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p) {
		fprintf(stderr, "suite_gen: out of memory\n");
		exit(1);
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A file path that no other file has: file number f picks the area, the
 * package and the module directory; what is left of f picks the second
 * word of the name, so two files never share a path. */
static int file_path(char *buf, size_t size, long f)
{
	long rest = f;
	const char *a = area[rest % (long)COUNT(area)];
	rest /= (long)COUNT(area);
	const char *p = word[rest % 32];
	rest /= 32;
	const char *m = word[32 + rest % 48];
	rest /= 48;
	const char *n1 = word[below(COUNT(word))];
	const char *n2 = word[rest % (long)COUNT(word)];
	rest /= (long)COUNT(word);
	if (rest)
		return snprintf(buf, size, "tests/%s/%s/%s/test_%s_%s%ld.py", a, p, m, n1, n2, rest);
	return snprintf(buf, size, "tests/%s/%s/%s/test_%s_%s.py", a, p, m, n1, n2);
}

static void make_suite(long n, uint64_t seed)
{
	char path[256], id[512];
	long i = 0;

	rng_state = seed;
	ntests = n;
	if (!(tests = calloc((size_t)n, sizeof *tests))) {
		fprintf(stderr, "suite_gen: out of memory\n");
		exit(1);
	}
	for (long f = 0; i < n; f++) {
		long in_file = 10 + (long)below(31), done = 0;
		int plen = file_path(path, sizeof path, f);
		unsigned short line = 12;

		nfiles++;
		for (long fn = 0; done < in_file && i < n; fn++) {
			/* A test function, in a class most of the time; a third are
			 * parametrised, 2-8 cases each. */
			long cases = below(3) == 0 ? 2 + (long)below(7) : 1;
			int cls = fn % 8 < 6;
			char cname[96] = "";
			int clen = 0;
			const char *v = verb[fn % (long)COUNT(verb)], *o = noun[below(COUNT(noun))];

			if (cls) {
				/* TestCamelCase from a word: "http_client" -> "TestHttpClient". */
				const char *w = word[below(COUNT(word))];
				clen = snprintf(cname, sizeof cname, "::Test");
				for (int up = 1; *w; w++) {
					if (*w == '_') {
						up = 1;
						continue;
					}
					cname[clen++] = up && *w >= 'a' && *w <= 'z' ? (char)(*w - 'a' + 'A') : *w;
					up = 0;
				}
				cname[clen] = '\0';
			}
			for (long c = 0; c < cases && done < in_file && i < n; c++, done++, i++) {
				gtest *t = &tests[i];
				int len = snprintf(id, sizeof id, "%s%s::test_%s_%s", path, cname, v, o);
				if (fn >= (long)COUNT(verb))
					len += snprintf(id + len, sizeof id - (size_t)len, "_%ld", fn);
				if (cases > 1)
					len += snprintf(id + len, sizeof id - (size_t)len, "[%s-%s-%ld]",
					                param_a[below(COUNT(param_a))], param_b[below(COUNT(param_b))], c);
				t->id = copy_of(id, (size_t)len);
				t->len = (size_t)len;
				t->module_len = (size_t)plen;
				t->class_len = cls ? (size_t)plen + (size_t)clen : 0;
				t->base_us = exp(log(20000.0) + 1.6 * normal());
				double r = uniform();
				t->kind = r < 0.03 ? 1 : r < 0.06 ? 2 : 0;
				t->out = uniform() < 0.05;
				t->line = line;
				line = (unsigned short)(line + 4 + below(30));
			}
		}
	}
}

/* Run r's duration of test i and whether it fails: per run and test, so
 * any run can be made alone. */
static void run_of(long i, long run, int64_t *us, int *failed)
{
	uint64_t keep = rng_state;
	double d;

	rng_state = ((uint64_t)run << 40) ^ (uint64_t)i ^ 0x5bd1e995u;
	d = tests[i].base_us * (1.0 + 0.1 * normal());
	*us = d < 1 ? 1 : (int64_t)d;
	*failed = tests[i].kind == 1 && uniform() < 0.6;
	rng_state = keep;
}

/* ---- output: plain or gzipped -------------------------------------- */

static FILE *plain;
static gzFile gz;

static void put(const char *s, size_t n)
{
	if (gz ? gzwrite(gz, s, (unsigned)n) != (int)n : fwrite(s, 1, n, plain) != n) {
		fprintf(stderr, "suite_gen: write failed\n");
		exit(1);
	}
}

static void puts_(const char *s)
{
	put(s, strlen(s));
}

static void printf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void printf_(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A traceback of 20-60 lines, as pytest's long style prints them. Each
 * line goes through esc (XML or JSON escaping) and ends with sep. */
static void traceback(long i, void (*esc)(const char *), const char *sep)
{
	char line[256];
	long frames = 2 + (long)below(4);
	const gtest *t = &tests[i];

	for (long f = 0; f < frames; f++) {
		long body = 4 + (long)below(10);
		snprintf(line, sizeof line, "%.*s:%ld: in %s", (int)t->module_len, t->id,
		         (long)t->line + f * 7, word[below(COUNT(word))]);
		esc(line), puts_(sep);
		for (long b = 0; b < body; b++) {
			snprintf(line, sizeof line, "    %s = self.%s(%s, timeout=%ld)  # %s",
			         noun[below(COUNT(noun))], verb[below(COUNT(verb))], word[below(COUNT(word))],
			         (long)below(600), b + 1 == body ? "<-- here" : "\"ok\" & done");
			esc(line), puts_(sep);
		}
	}
	snprintf(line, sizeof line, ">       assert result == expected");
	esc(line), puts_(sep);
	snprintf(line, sizeof line, "E       AssertionError: assert <Frame %s rows=%ld> == <Frame %s rows=%ld>",
	         word[below(COUNT(word))], (long)below(9999), word[below(COUNT(word))], (long)below(9999));
	esc(line), puts_(sep);
	snprintf(line, sizeof line, "%.*s:%u: AssertionError", (int)t->module_len, t->id, t->line);
	esc(line);
}

static void xml_esc(const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : *s == '"' ? "&quot;" : NULL;
		if (!e)
			continue;
		put(run, (size_t)(s - run));
		puts_(e);
		run = s + 1;
	}
	put(run, (size_t)(s - run));
}

static void json_esc(const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		if (*s != '"' && *s != '\\')
			continue;
		put(run, (size_t)(s - run));
		puts_(*s == '"' ? "\\\"" : "\\\\");
		run = s + 1;
	}
	put(run, (size_t)(s - run));
}

static void xunit2(long run)
{
	int64_t total = 0;
	long failures = 0, skipped = 0;

	for (long i = 0; i < ntests; i++) {
		int64_t us;
		int failed;
		run_of(i, run, &us, &failed);
		total += us;
		failures += failed;
		skipped += tests[i].kind == 2;
	}
	puts_("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
	printf_("<testsuites><testsuite name=\"pytest\" errors=\"0\" failures=\"%ld\" skipped=\"%ld\" "
	        "tests=\"%ld\" time=\"%.3f\" timestamp=\"2026-11-24T10:%02ld:00.000000\" "
	        "hostname=\"ci-runner-7\">",
	        failures, skipped, ntests, (double)total / 1e6 + 0.002 * (double)ntests, run % 60);
	for (long i = 0; i < ntests; i++) {
		const gtest *t = &tests[i];
		/* classname: the path with dots, then the class; name: the rest. */
		size_t head = t->class_len ? t->class_len : t->module_len;
		const char *name = t->id + head + 2;
		int64_t us;
		int failed;

		run_of(i, run, &us, &failed);
		puts_("<testcase classname=\"");
		for (size_t k = 0; k < t->module_len - 3; k++)
			put(t->id[k] == '/' ? "." : t->id + k, 1);
		if (t->class_len)
			printf_(".%.*s", (int)(t->class_len - t->module_len - 2), t->id + t->module_len + 2);
		puts_("\" name=\"");
		xml_esc(name);
		printf_("\" time=\"%.3f\"", (double)us / 1e6);
		if (t->kind == 2) {
			printf_("><skipped type=\"pytest.skip\" message=\"requires %s\">%.*s:%u: requires %s"
			        "</skipped></testcase>",
			        word[i % (long)COUNT(word)], (int)t->module_len, t->id, t->line,
			        word[i % (long)COUNT(word)]);
		} else if (failed || t->out) {
			puts_(">");
			if (failed) {
				puts_("<failure message=\"AssertionError: assert &lt;Frame&gt; == &lt;Frame&gt;\">");
				traceback(i, xml_esc, "\n");
				puts_("</failure>");
			}
			if (t->out) {
				puts_("<system-out>");
				for (long k = 0; k < 3 + i % 6; k++)
					printf_("%s: processed %ld records in %.3f s &amp; flushed\n",
					        word[(i + k) % (long)COUNT(word)], (i * 37 + k) % 10000, (double)us / 1e6);
				puts_("</system-out>");
			}
			puts_("</testcase>");
		} else {
			puts_(" />");
		}
		puts_("\n");
	}
	puts_("</testsuite></testsuites>\n");
}

static void report_head(const gtest *t)
{
	const char *fn = t->id + (t->class_len ? t->class_len : t->module_len) + 2;

	puts_("{\"nodeid\": \"");
	json_esc(t->id);
	printf_("\", \"location\": [\"%.*s\", %u, \"", (int)t->module_len, t->id, t->line);
	if (t->class_len)
		printf_("%.*s.", (int)(t->class_len - t->module_len - 2), t->id + t->module_len + 2);
	json_esc(fn);
	puts_("\"], \"keywords\": {\"");
	json_esc(fn);
	if (t->class_len)
		printf_("\": 1, \"%.*s", (int)(t->class_len - t->module_len - 2), t->id + t->module_len + 2);
	printf_("\": 1, \"%.*s\": 1, \"%s\": 1}, ", (int)t->module_len, t->id, "project");
}

static void report_tail(const char *when, double start, double dur)
{
	printf_("\"when\": \"%s\", \"user_properties\": [], \"duration\": %.9f, \"start\": %.6f, "
	        "\"stop\": %.6f, \"$report_type\": \"TestReport\"}\n",
	        when, dur, start, start + dur);
}

static void reportlog(long run)
{
	double clock = 1764000000.0 + (double)run * 3600.0;

	puts_("{\"pytest_version\": \"8.3.4\", \"$report_type\": \"SessionStart\"}\n");
	for (long i = 0; i < ntests; i++) {
		const gtest *t = &tests[i];
		int64_t us;
		int failed;
		double setup, call;

		run_of(i, run, &us, &failed);
		setup = (double)us * 0.1 / 1e6;
		call = (double)us * 0.85 / 1e6;
		report_head(t);
		if (t->kind == 2) {
			printf_("\"outcome\": \"skipped\", \"longrepr\": [\"%.*s\", %u, \"Skipped: requires %s\"], "
			        "\"sections\": [], ",
			        (int)t->module_len, t->id, t->line, word[i % (long)COUNT(word)]);
			report_tail("setup", clock, setup);
		} else {
			puts_("\"outcome\": \"passed\", \"longrepr\": null, \"sections\": [], ");
			report_tail("setup", clock, setup);
			report_head(t);
			if (failed) {
				printf_("\"outcome\": \"failed\", \"longrepr\": {\"reprcrash\": {\"path\": \"/src/%.*s\", "
				        "\"lineno\": %u, \"message\": \"AssertionError\"}, \"reprtraceback\": "
				        "{\"reprentries\": [{\"type\": \"ReprEntry\", \"data\": {\"lines\": [\"",
				        (int)t->module_len, t->id, t->line);
				traceback(i, json_esc, "\", \"");
				printf_("\"], \"reprfuncargs\": {\"args\": []}, \"reprlocals\": null, \"reprfileloc\": "
				        "{\"path\": \"%.*s\", \"lineno\": %u, \"message\": \"AssertionError\"}, "
				        "\"style\": \"long\"}}], \"extraline\": null, \"style\": \"long\"}, "
				        "\"sections\": [], \"chain\": []}, ",
				        (int)t->module_len, t->id, t->line);
			} else {
				puts_("\"outcome\": \"passed\", \"longrepr\": null, ");
			}
			puts_("\"sections\": [");
			if (t->out) {
				puts_("[\"Captured stdout call\", \"");
				for (long k = 0; k < 3 + i % 6; k++)
					printf_("%s: processed %ld records in %.3f s\\n", word[(i + k) % (long)COUNT(word)],
					        (i * 37 + k) % 10000, (double)us / 1e6);
				puts_("\"]");
			}
			puts_("], ");
			report_tail("call", clock + setup, call);
		}
		report_head(t);
		puts_("\"outcome\": \"passed\", \"longrepr\": null, \"sections\": [], ");
		report_tail("teardown", clock + setup + call, (double)us * 0.05 / 1e6);
		clock += (double)us / 1e6 + 0.002;
	}
	puts_("{\"exitstatus\": 1, \"$report_type\": \"SessionFinish\"}\n");
}

static int fail(hist_db *db, const char *what)
{
	fprintf(stderr, "suite_gen: %s: %s\n", what, hist_db_errmsg(db));
	hist_db_free(db);
	return 1;
}

/* RUNS runs, oldest first, one transaction each, with a session record
 * (wall time, 2 ms of pytest a test, 0.5 ms of collection a test). */
static int history(const char *path, long runs)
{
	hist__batch *b = NULL;
	hist_db *db;

	remove(path);
	if (hist_db_open(&db, path, NULL) < 0 || hist__batch_new(&b) < 0)
		return fail(db, path);
	for (long r = 0; r < runs; r++) {
		hist__session session = HIST__SESSION_INIT;
		unsigned char hash[16] = {0};
		char run_id[32];
		int64_t run, total = 0, added;

		snprintf(run_id, sizeof run_id, "ci-%ld", 1000 + r);
		session.start_us = 1764000000000000 + r * 3600000000;
		if (hist__store_begin(db) < 0 || hist__store_run(&run, db, "default", run_id, session.start_us) < 0)
			return fail(db, "run");
		for (long i = 0; i < ntests; i++) {
			int64_t us;
			int failed, full;
			hist__record rec = {tests[i].id, tests[i].len, 0, HIST_OUTCOME_PASSED, 0, 0, 1, 0};

			run_of(i, r, &us, &failed);
			if (tests[i].kind == 2) {
				rec.outcome = HIST_OUTCOME_SKIPPED;
				rec.duration_us = us / 100;
				rec.setup_us = us / 100;
			} else {
				rec.outcome = failed ? HIST_OUTCOME_FAILED : HIST_OUTCOME_PASSED;
				rec.duration_us = us;
				rec.setup_us = us / 10;
			}
			total += rec.duration_us;
			if ((full = hist__batch_add(b, &rec)) < 0)
				return fail(db, "batch");
			if (full && hist__store_batch(&added, db, run, b) < 0)
				return fail(db, "result");
		}
		if (hist__batch_count(b) && hist__store_batch(&added, db, run, b) < 0)
			return fail(db, "result");
		session.collect_us = 500 * ntests;
		session.wall_us = total + 2000 * ntests + session.collect_us;
		memcpy(hash, &r, sizeof r);
		memcpy(hash + 8, "suitegen", 8);
		if (hist__store_input_add(db, hash, NULL, run, &session, ntests, total) < 0 ||
		    hist__store_commit(db) < 0)
			return fail(db, "commit");
	}
	hist__batch_free(b);
	hist_db_free(db);
	return 0;
}

static void stats(void)
{
	size_t min = SIZE_MAX, max = 0, sum = 0;

	for (long i = 0; i < ntests; i++) {
		size_t n = tests[i].len;
		min = n < min ? n : min;
		max = n > max ? n : max;
		sum += n;
	}
	printf("%ld tests, %ld files (%.1f a file), nodeid bytes: min %zu mean %.1f max %zu\n", ntests,
	       nfiles, (double)ntests / (double)nfiles, min, (double)sum / (double)ntests, max);
}

static int usage(void)
{
	fprintf(stderr, "usage: suite_gen xunit2|reportlog TESTS SEED RUN OUT\n"
	                "       suite_gen history TESTS RUNS SEED DB\n"
	                "       suite_gen stats TESTS SEED\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;

	if (n <= 0)
		return usage();
	if (strcmp(mode, "stats") == 0 && argc == 4) {
		make_suite(n, strtoull(argv[3], NULL, 10));
		stats();
		return 0;
	}
	if (strcmp(mode, "history") == 0 && argc == 6) {
		long runs = atol(argv[3]);
		if (runs <= 0)
			return usage();
		make_suite(n, strtoull(argv[4], NULL, 10));
		return history(argv[5], runs);
	}
	if ((strcmp(mode, "xunit2") == 0 || strcmp(mode, "reportlog") == 0) && argc == 6) {
		const char *out = argv[5];
		int is_xml = mode[0] == 'x';
		make_suite(n, strtoull(argv[3], NULL, 10));
		rng_state = 99;
		if (is_xml ? !(plain = fopen(out, "wb")) : !(gz = gzopen(out, "wb6"))) {
			perror(out);
			return 1;
		}
		if (is_xml)
			xunit2(atol(argv[4]));
		else
			reportlog(atol(argv[4]));
		if (is_xml ? fclose(plain) != 0 : gzclose(gz) != Z_OK) {
			fprintf(stderr, "suite_gen: %s: write failed\n", out);
			return 1;
		}
		return 0;
	}
	return usage();
}
