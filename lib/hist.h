/* hist.h - the public interface of libhist.
 *
 * libhist keeps the history of pytest results in one SQLite file, estimates
 * each test's duration and splits a suite into shards that finish together.
 * The tools histmerge, histplan and histstats are thin front ends over this
 * header; another program can do all they do through it.
 *
 * Conventions
 * - Fallible calls return int: HIST_OK (0) or a negative HIST_E_* code, and
 *   take their out-parameters first.
 * - Handles are opaque with create/free pairs; every *_free accepts NULL.
 * - hist_db_open returns a handle even when it fails (unless out of memory),
 *   so hist_db_errmsg can say why. After any failing call on a handle,
 *   hist_db_errmsg(db) names the file and line where that applies:
 *   "r3.xml:1204: <testcase> has no name".
 * - Option structs carry a version as their first member; initialise them
 *   with the *_INIT macro. They are append-only: a caller built against a
 *   newer header passes a newer version and gets HIST_E_INVALID.
 * - The library never prints, exits, reads the environment or touches
 *   signals, and keeps no mutable globals. Progress goes to callbacks.
 * - Threads: a hist_db handle must be used by one thread at a time. Distinct
 *   handles (also on the same file) may be used from different threads and
 *   processes; SQLite's locking with a busy timeout serialises writers.
 *   hist_ingest_path may write to SQLite from a thread of its own while it
 *   parses on the caller's; that thread has ended when it returns, and
 *   callbacks are called on the caller's thread.
 *   A hist_test_list is, like a plan (below), only read once made. Calls
 *   that take no handle keep no state and may run on any thread.
 * - Strings a call returns are owned by the library: static ones (names,
 *   versions) live forever, a handle's (messages, nodeids, the plan id)
 *   as long as the handle, and an errmsg until the next call on it.
 * - Strings are UTF-8. Durations are microseconds in int64_t.
 */
#ifndef HIST_H
#define HIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HIST_VERSION_MAJOR 0
#define HIST_VERSION_MINOR 1
#define HIST_VERSION_PATCH 0
#define HIST_VERSION_STRING "0.1.0"

#if defined(__GNUC__) && __GNUC__ >= 4
#define HIST_API __attribute__((visibility("default")))
#else
#define HIST_API
#endif

/* Return codes. Pass them up unchanged. */
enum {
	HIST_OK = 0,
	HIST_E_NOMEM = -1,   /* an allocation failed; nothing was changed */
	HIST_E_IO = -2,      /* a file could not be read or written */
	HIST_E_PARSE = -3,   /* an input is malformed; errmsg has FILE:LINE */
	HIST_E_FORMAT = -4,  /* an input is of no format hist knows */
	HIST_E_SCHEMA = -5,  /* the database is not a hist history, or newer */
	HIST_E_DB = -6,      /* SQLite failed (busy past the timeout, full...) */
	HIST_E_INVALID = -7, /* a bad argument or option */
	HIST_E_NOTFOUND = -8 /* the named thing does not exist */
};

/* A short English name for a return code ("parse error"); never NULL. */
HIST_API const char *hist_strerror(int code);

/* The library's version string, and those of its dependencies, for --version. */
HIST_API const char *hist_version(void);
/* "SQLite 3.40.1, libxml2 2.9.14, zlib 1.2.13, xxHash 0.8.1" */
HIST_API const char *hist_dependency_versions(void);

/* Outcomes, ordered by how bad they are (a merge keeps the worse). */
typedef enum {
	HIST_OUTCOME_SKIPPED = 0,
	HIST_OUTCOME_XFAILED = 1,
	HIST_OUTCOME_PASSED = 2,
	HIST_OUTCOME_XPASSED = 3,
	HIST_OUTCOME_FAILED = 4,
	HIST_OUTCOME_ERROR = 5
} hist_outcome;
#define HIST_OUTCOME_COUNT 6

/* "passed", "failed", ...; NULL for an out-of-range value. */
HIST_API const char *hist_outcome_name(hist_outcome o);

/* ------------------------------------------------------------------ */
/* The history database                                                */

typedef struct hist_db hist_db;

#define HIST_DB_OPTIONS_VERSION 1
typedef struct {
	unsigned int version;
	unsigned int busy_timeout_ms; /* wait this long for a writer; default 30000 */
	int read_only;                /* open without creating or writing,
	                                 except to upgrade an older history
	                                 (a missing file is HIST_E_NOTFOUND) */
} hist_db_options;
#define HIST_DB_OPTIONS_INIT { HIST_DB_OPTIONS_VERSION, 30000, 0 }

/* Opens (creating it unless read_only) and migrates to the current schema,
 * one transaction per step. A file written by a newer libhist is
 * HIST_E_SCHEMA; so is a file that is not a hist history (not SQLite, or
 * another program's database, which is left untouched). opts NULL means
 * HIST_DB_OPTIONS_INIT. *out is set even on failure unless out of memory;
 * free it either way. */
HIST_API int hist_db_open(hist_db **out, const char *path, const hist_db_options *opts);
/* An empty history of the current schema, held in memory and gone with
 * the handle; nothing is created on disk. What a plan is made from when the
 * history file does not exist yet (the first pipeline, an empty CI cache):
 * every test is without history, a hash plan. Same rules as hist_db_open. */
HIST_API int hist_db_open_empty(hist_db **out);
/* Closes, folding the WAL back into the main file. NULL is a no-op. */
HIST_API void hist_db_free(hist_db *db);
/* The message of the last failure on db; never NULL. */
HIST_API const char *hist_db_errmsg(const hist_db *db);
/* The schema version this build writes (PRAGMA user_version). */
HIST_API int hist_db_schema_version(void);

typedef struct {
	int64_t runs;
	/* distinct tests with at least one result; a JUnit key counts only
	 * when no nodeid with a result has it (the same test, as planning
	 * matches them) */
	int64_t tests;
	int64_t results;
} hist_counts;

/* Counts for one suite, or for all when suite is NULL (an unknown suite
 * counts zero). Fails only as SQLite does: HIST_E_DB, HIST_E_IO or
 * HIST_E_NOMEM. */
HIST_API int hist_db_counts(hist_counts *out, hist_db *db, const char *suite);
/* *out = 1 when the suite (any suite for NULL) has a result in db, else 0:
 * what hist_db_counts' results > 0 tells, without counting (that reads
 * every result). Fails only as SQLite does. */
HIST_API int hist_db_has_results(int *out, hist_db *db, const char *suite);

/* ------------------------------------------------------------------ */
/* Pruning the history                                                 */

/* A run that pruning removes (or would, on a dry run). The strings are
 * valid during the callback only. */
typedef struct {
	const char *suite;
	const char *run_id;
	int64_t started_us;
	int64_t results;    /* its results, removed with it */
} hist_pruned_run;

#define HIST_PRUNE_OPTIONS_VERSION 1
typedef struct {
	unsigned int version;
	const char *suite;         /* prune this suite only; NULL: every suite */
	unsigned int keep_runs;    /* keep the newest N runs of each suite
	                              (by start, then run id); 0: no limit */
	int64_t before_us;         /* remove runs started before this time (µs
	                              since the epoch); INT64_MIN: no limit */
	unsigned int drop_unseen;  /* remove the results of tests that no run
	                              among the newest K of their suite has;
	                              0: keep them */
	int dry_run;               /* count and report, change nothing */
	/* Called for each run removed, by suite, then start, then run id;
	 * may be NULL. */
	void (*removed_run)(const hist_pruned_run *run, void *payload);
	void *payload;
} hist_prune_options;
#define HIST_PRUNE_OPTIONS_INIT { HIST_PRUNE_OPTIONS_VERSION, NULL, 0, INT64_MIN, 0, 0, NULL, NULL }

typedef struct {
	int64_t runs;           /* runs removed */
	int64_t results;        /* results removed: with their runs, or unseen */
	int64_t inputs;         /* inputs of the removed runs, forgotten (their
	                           files would be stored again if given again) */
	int64_t unseen_tests;   /* (suite, test) pairs removed by drop_unseen */
	int64_t unseen_results; /* their results (part of results) */
	int64_t tests;          /* test ids left without any result, forgotten */
	int64_t runs_kept;      /* runs of the pruned suites that remain */
	int64_t plans;          /* plans (hist_db_plan_add) no run left ran:
	                           those a removed run ran, and those no run
	                           ran that are older than every run left */
} hist_prune_stats;

/* Removes runs older than keep_runs or before_us (a run either condition
 * names goes), with their results and inputs; then, with drop_unseen, the
 * results of tests absent from the newest drop_unseen runs left in their
 * suite; then the test ids no result names any more. One transaction,
 * waiting for other writers up to the handle's busy timeout: readers keep
 * reading, and a failure leaves the history as it was. Options that
 * remove nothing (all zero) are HIST_E_INVALID. */
HIST_API int hist_db_prune(hist_prune_stats *out, hist_db *db, const hist_prune_options *opts);

/* Rewrites the file without free pages (SQLite's VACUUM), waiting for
 * other writers like any write. */
HIST_API int hist_db_vacuum(hist_db *db);

/* ------------------------------------------------------------------ */
/* What the history says                                               */

/* One test of one suite over the window (the newest runs of its suite). */
typedef struct {
	const char *suite;
	const char *nodeid;   /* or its JUnit key when is_key */
	int is_key;
	unsigned int runs;    /* runs of the window with a result for it */
	int64_t estimate_us;  /* median of its known durations (skips left
	                         out); -1 when none */
	int64_t min_us, max_us; /* the spread of those durations; -1: none */
	int64_t last_us;      /* its duration in the window's newest run; -1:
	                         not there (or unknown) */
	int64_t before_us;    /* median of its durations before that run; -1 */
	unsigned int passed;  /* runs it passed (xfailed, xpassed count too) */
	unsigned int failed;  /* runs it failed or errored */
	unsigned int rerun;   /* runs it passed only on a rerun */
	unsigned int last_seen; /* how many runs ago its newest result is (0:
	                         the newest run of the window) */
} hist_stats_test;

/* Slowest files: the sum of their tests' estimates. */
typedef struct {
	const char *suite;
	const char *file;     /* the nodeid up to "::" */
	size_t tests;
	int64_t estimate_us;
} hist_stats_file;

typedef enum {
	HIST_STATS_SLOWEST = 0, /* estimate descending, then suite, nodeid */
	HIST_STATS_FLAKY,       /* passed and failed in the window, or passed
	                           on a rerun; most failures+reruns first */
	HIST_STATS_REGRESSIONS, /* last run at least HIST_STATS_REGRESSION_RATIO
	                           times before_us and HIST_STATS_REGRESSION_MIN_US
	                           more, with HIST_STATS_REGRESSION_RUNS results
	                           before it; largest excess first */
	HIST_STATS_UNSEEN       /* a result in the window, none in its newest
	                           `recent` runs; longest unseen first */
} hist_stats_list;
#define HIST_STATS_REGRESSION_RATIO 2
#define HIST_STATS_REGRESSION_MIN_US 500000
#define HIST_STATS_REGRESSION_RUNS 3

#define HIST_STATS_OPTIONS_VERSION 1
typedef struct {
	unsigned int version;
	const char *suite;     /* NULL: every suite, each over its own window */
	unsigned int window;   /* newest runs per suite; 0 = 20 */
	unsigned int recent;   /* "unseen": absent from this many newest runs; 0 = 3 */
} hist_stats_options;
#define HIST_STATS_OPTIONS_INIT { HIST_STATS_OPTIONS_VERSION, NULL, 0, 0 }

typedef struct hist_stats hist_stats;

/* Reads the window of each suite in one snapshot and ranks its tests.
 * *out is NULL on failure; messages: hist_db_errmsg(db). */
HIST_API int hist_stats_create(hist_stats **out, hist_db *db, const hist_stats_options *opts);
HIST_API void hist_stats_free(hist_stats *stats);
HIST_API size_t hist_stats_count(const hist_stats *stats, hist_stats_list list);
/* The i-th test of a list, in the list's order; owned by stats. */
HIST_API const hist_stats_test *hist_stats_get(const hist_stats *stats, hist_stats_list list, size_t i);
HIST_API size_t hist_stats_file_count(const hist_stats *stats);
HIST_API const hist_stats_file *hist_stats_file_get(const hist_stats *stats, size_t i);
/* pytest-split's .test_durations ({nodeid: seconds}, by nodeid, the
 * estimates of tests known by nodeid) into path, atomically. With several
 * suites, a test's estimate is the one of the first suite by name. */
HIST_API int hist_stats_export_durations(const hist_stats *stats, const char *path, hist_db *db);

/* histstats --html: the page. */
#define HIST_HTML_OPTIONS_VERSION 1
typedef struct {
	unsigned int version;
	const char *suite;    /* NULL: every suite (give what stats was made with) */
	size_t top;           /* rows per table, and plans shown; 0 = 10 */
	unsigned int window;  /* durations in a test's trend line; 0 = 20 */
} hist_html_options;
#define HIST_HTML_OPTIONS_INIT { HIST_HTML_OPTIONS_VERSION, NULL, 0, 0 }
/* One self-contained HTML page into path, atomically: counts, the slowest
 * tests with the trend of their durations, flaky tests, regressions, tests
 * not seen lately, and the newest plans that ran (hist_db_plan_runs) as
 * bars of predicted against actual seconds per shard. Inline CSS and SVG,
 * no script and no external URL; every string from the history escaped;
 * the same history gives the same bytes. */
HIST_API int hist_stats_write_html(const hist_stats *stats, hist_db *db, const hist_html_options *opts,
	const char *path);

/* One result of a test, for its history. Strings valid during the call. */
typedef struct {
	const char *suite;
	const char *run_id;
	int64_t started_us;
	hist_outcome outcome;
	int64_t duration_us;  /* -1 unknown */
	int64_t setup_us;     /* -1 unknown */
	unsigned int attempts;
} hist_test_result;

/* Calls fn for each result of nodeid (or the JUnit key of that name) in
 * every run of suite (NULL: every suite), by suite, then start, then run
 * id. A non-zero return from fn stops the walk and is returned. */
HIST_API int hist_db_test_history(hist_db *db, const char *suite, const char *nodeid,
	int (*fn)(const hist_test_result *r, void *payload), void *payload);

/* ------------------------------------------------------------------ */
/* Plans that ran (histmerge --plan stores them, histstats --plans     */
/* reads them)                                                         */

/* A plan as stored: what histplan's plan.json predicted per shard. */
typedef struct {
	const char *suite;           /* the suite whose runs ran it */
	const char *plan_id;         /* 16 lowercase hex digits */
	int64_t stored_us;           /* when stored, µs since the epoch */
	unsigned int shards;         /* 1..HIST_MAX_SHARDS */
	const int64_t *predicted_us; /* [shards]: shard k at [k - 1], >= 0 */
	const size_t *tests;         /* [shards]: tests the shard lists */
} hist_plan_record;

/* Stores plan in one transaction. A plan stored before with the same
 * suite and id (the same split; its predictions may differ when the
 * history did) is kept when it comes first by (stored_us, shards, each
 * shard's predicted_us and tests in order), else replaced: any order of
 * adds and merges keeps the same one. HIST_E_INVALID for a bad id, shard
 * count or prediction. */
HIST_API int hist_db_plan_add(hist_db *db, const hist_plan_record *plan);

/* One shard of a plan in one run. */
typedef struct {
	size_t tests;          /* tests its shard file listed */
	int64_t predicted_us;
	int64_t actual_us;     /* the session wall time its report gives (the
	                          longest, when it reported more than once);
	                          -1: no report, or none that says */
	unsigned int reports;  /* reports of this shard in the run; 0: missing */
} hist_plan_shard_run;

/* A plan and one run whose reports carry its id (run_id NULL: a stored
 * plan no report of its suite names). Strings and the shard array are
 * valid during the callback only. */
typedef struct {
	const char *suite;
	const char *plan_id;
	const char *run_id;
	int64_t started_us;    /* the run's start; the plan's stored_us when
	                          no run */
	int64_t stored_us;
	unsigned int shards;
	const hist_plan_shard_run *shard; /* [shards]: shard k at [k - 1] */
} hist_plan_run;

/* Calls fn for the newest `limit` (0: all) plan runs of suite (NULL:
 * every suite), newest first by started_us, then suite, plan id and run
 * id. A non-zero return from fn stops the walk and is returned. */
HIST_API int hist_db_plan_runs(hist_db *db, const char *suite, size_t limit,
	int (*fn)(const hist_plan_run *run, void *payload), void *payload);

/* ------------------------------------------------------------------ */
/* Ingesting results                                                   */

typedef enum {
	HIST_FORMAT_UNKNOWN = 0,
	HIST_FORMAT_JUNIT,
	HIST_FORMAT_REPORTLOG,  /* pytest-reportlog JSONL */
	HIST_FORMAT_HIST,       /* the plugin's --hist-report JSONL */
	HIST_FORMAT_BALANCE,    /* pytest-balance JSONL */
	HIST_FORMAT_DURATIONS,  /* pytest-split .test_durations */
	HIST_FORMAT_DATABASE    /* another hist database */
} hist_format;

HIST_API const char *hist_format_name(hist_format f); /* "junit", "reportlog", ... */

#define HIST_INGEST_OPTIONS_VERSION 1
typedef struct {
	unsigned int version;
	const char *suite;        /* runs are tagged with it; NULL = "default" */
	const char *run_id;       /* the run these results belong to; required
	                             except for database inputs, which keep theirs */
	int64_t fallback_start_us; /* run start (µs since the epoch) when the input
	                             carries none; the tool passes "now" */
	/* Called now and then with bytes consumed of the current input. */
	void (*progress)(const char *name, uint64_t bytes, void *payload);
	void *payload;
} hist_ingest_options;
#define HIST_INGEST_OPTIONS_INIT { HIST_INGEST_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL }

typedef struct {
	hist_format format;
	int64_t tests;      /* test records read from the input */
	int64_t added;      /* results stored */
	int64_t duplicates; /* tests - added: results already stored for that run
	                       and test (kept if greater: attempts, outcome,
	                       duration), or all of them when already_seen */
	int already_seen;   /* the input's content was ingested before */
} hist_ingest_stats;

/* Ingests one input in one transaction: all of it or nothing. path "-" is
 * stdin; name is what messages call it (NULL: path). A gzip input is detected
 * by its magic bytes and the format by the content. Directories are walked by
 * the caller (hist_walk below). Re-ingesting the same content (by a hash of
 * the decompressed bytes, whatever the run id) adds nothing and sets
 * already_seen. A hist database input is merged with its own runs and
 * suites (opts->suite and run_id do not apply); it must be a path, not
 * stdin or gzip. On failure nothing is stored, *out is zero but for format,
 * and hist_db_errmsg names the input: "r.xml:37: reason". opts NULL means
 * HIST_INGEST_OPTIONS_INIT. */
HIST_API int hist_ingest_path(hist_ingest_stats *out, hist_db *db, const char *path,
	const char *name, const hist_ingest_options *opts);

/* Calls fn for every regular file under path in byte order of names (path
 * itself when it is not a directory), so directory inputs ingest
 * deterministically. Symlinks under path are followed to files, never to
 * directories; other special files are skipped. A non-zero return from fn
 * stops the walk and is returned (HIST_E_NOMEM too); NULL path or fn is
 * HIST_E_INVALID. errmsg_fn (may be NULL) gets paths that cannot be read,
 * with strerror's text; the walk goes on, and they do not fail it. */
HIST_API int hist_walk(const char *path, int (*fn)(const char *file, void *payload),
	void (*errmsg_fn)(const char *file, const char *message, void *payload), void *payload);

/* ------------------------------------------------------------------ */
/* CI environment                                                      */

/* Derives a run id from the CI environment through getenv_fn (so tests can
 * pass their own). Writes at most size bytes including the NUL to buf.
 * Returns HIST_OK, HIST_E_NOTFOUND when no known CI variable is set (an
 * empty value counts as unset), or HIST_E_INVALID when buf is too small or
 * getenv_fn is NULL. Checked in this order, the first set one wins:
 *   GitHub Actions  "gh-<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>" (attempt 1
 *                   when unset: a re-run is another run)
 *   GitLab CI       "gl-<CI_PIPELINE_ID>"
 *   Buildkite       "bk-<BUILDKITE_BUILD_ID>"
 *   CircleCI        "circle-<CIRCLE_WORKFLOW_ID>"
 *   Azure Pipelines "az-<BUILD_BUILDID>" */
HIST_API int hist_ci_run_id(char *buf, size_t size,
	const char *(*getenv_fn)(const char *name, void *payload), void *payload);

/* ------------------------------------------------------------------ */
/* Nodeids                                                             */

/* The stable shard hash: 64-bit FNV-1a over the nodeid's UTF-8 bytes
 * (offset basis 0xcbf29ce484222325, prime 0x100000001b3), then murmur3's
 * fmix64 (h ^= h >> 33; h *= 0xff51afd7ed558ccd; h ^= h >> 33;
 * h *= 0xc4ceb9fe1a85ec53; h ^= h >> 33; all modulo 2^64) so that every
 * byte's every bit reaches the low bits (doc/formats.md). A plan made
 * without durations puts each test on shard (hash % N) + 1 (see
 * hist_plan_fallback); the plugin places a test no plan lists by it too
 * (doc/plugin.md "Where each test runs"). The plugin computes the same in Python;
 * tests/vectors/shard_hash.tsv holds cases both sides check. */
HIST_API uint64_t hist_nodeid_hash(const char *nodeid, size_t len);

/* The key pytest's junitxml (xunit2) reduces a nodeid to: "classname::name"
 * with classname the dotted path of the file (.py dropped, / to .) followed
 * by the classes, parameters kept in name. Writes a NUL-terminated string of
 * at most size bytes; returns the length it needs (excluding NUL), so a
 * caller can size a buffer, or HIST_E_INVALID for an empty nodeid. */
HIST_API int64_t hist_nodeid_junit_key(char *buf, size_t size, const char *nodeid, size_t len);

/* ------------------------------------------------------------------ */
/* Planning                                                            */

/* HIST_EST_AUTO: each of the others predicts each run of the window from
 * the runs before it; the one that predicted best estimates the suite. */
typedef enum { HIST_EST_EMA = 0, HIST_EST_MEDIAN, HIST_EST_LAST, HIST_EST_AUTO } hist_estimator;
#define HIST_EST_COUNT 3 /* the estimators AUTO chooses from */
typedef enum { HIST_SCOPE_TEST = 0, HIST_SCOPE_CLASS, HIST_SCOPE_MODULE } hist_scope;

/* "ema", "median", "last", "auto"; "test", "class", "module"; NULL out of range. */
HIST_API const char *hist_estimator_name(hist_estimator e);
HIST_API const char *hist_scope_name(hist_scope s);

/* The suite as collected now: the output of `pytest --collect-only -q`,
 * one nodeid a line, then pytest's trailer (a blank line, then a summary
 * such as "150 tests collected in 0.12s", a "=== warnings summary ===" or
 * "=== ERRORS ===" section), which is skipped. A blank line followed by more
 * nodeids, a duplicate nodeid, a NUL byte, a line starting with '#', a line
 * over 64 KiB, or the output of --collect-only without -q (or with -qq) is
 * HIST_E_INVALID with "NAME:LINE: reason". A trailing '\r' is dropped.
 * Like hist_db_open, *out is set even on failure (unless out of memory) so
 * hist_test_list_errmsg can say why; free it either way. */
typedef struct hist_test_list hist_test_list;
/* path "-" reads stdin; a gzip file is read through. name is what messages
 * call it (NULL: path). Reading can also fail with HIST_E_IO, HIST_E_PARSE
 * (damaged gzip) or HIST_E_NOMEM. */
HIST_API int hist_test_list_read(hist_test_list **out, const char *path, const char *name);
HIST_API int hist_test_list_parse(hist_test_list **out, const char *data, size_t len, const char *name);
HIST_API const char *hist_test_list_errmsg(const hist_test_list *list); /* never NULL */
HIST_API size_t hist_test_list_count(const hist_test_list *list);
/* The nodeids in list order, owned by the list, NUL-terminated. */
HIST_API const char *const *hist_test_list_ids(const hist_test_list *list);
/* A list read from the plugin's `--hist-collect` file (first line "# hist
 * collect 1", doc/formats.md) also has each test's group key, NULL for a
 * test in no group, in list order; the group markers are the names the
 * plugin grouped by ("serial,xdist_group", "" for none). For plain
 * `--collect-only -q` output both are NULL. */
HIST_API const char *const *hist_test_list_groups(const hist_test_list *list);
HIST_API const char *hist_test_list_group_markers(const hist_test_list *list);
HIST_API void hist_test_list_free(hist_test_list *list);

typedef struct hist_plan hist_plan;

#define HIST_MAX_SHARDS 1024  /* more CI jobs than this is a typo, not a plan */
#define HIST_MAX_WORKERS 256  /* xdist workers a shard is planned for */
#define HIST_MAX_WINDOW 1000  /* runs an estimate looks back */
/* Per-test overhead when neither history nor the caller gives one: pytest's
 * own cost per test (hooks, reporting), outside JUnit's time, measured 1-4 ms
 * on real suites. 1 ms keeps a test whose JUnit time reads 0.000 from being
 * free without guessing high. */
#define HIST_TEST_OVERHEAD_DEFAULT_US 1000
/* A module's set-up is charged per shard only when at least this big;
 * smaller differences between a module's tests are noise. */
#define HIST_SCOPE_SETUP_MIN_US 10000
/* Items the improvement pass may look at when the caller gives 0: enough
 * for suites up to 100,000 tests to settle (bench/plan_quality.sh), tens of
 * milliseconds at 1,000,000 tests, where LPT alone is within 0.001%. */
#define HIST_PLAN_EFFORT_DEFAULT 10000000u

#define HIST_PLAN_OPTIONS_VERSION 3
typedef struct {
	unsigned int version;
	const char *suite;            /* NULL = "default" */
	unsigned int shards;          /* N in [1, HIST_MAX_SHARDS], or 0 with target_us */
	int64_t target_us;            /* > 0 (with shards 0): the fewest shards whose
	                                 predicted makespan is at most this */
	unsigned int max_shards;      /* cap for target_us and max_tests_per_shard;
	                                 0 = HIST_MAX_SHARDS */
	hist_estimator estimator;
	double alpha;                 /* EMA weight of the newest sample, (0,1] */
	unsigned int window;          /* newest runs considered, [1, HIST_MAX_WINDOW] */
	hist_scope scope;             /* what must stay on one shard */
	const char *const *tests;     /* the suite as collected now, or NULL for
	                                 the tests of the newest run */
	size_t test_count;
	int64_t test_overhead_us;     /* >= 0: use it; -1: learn from history, else
	                                 HIST_TEST_OVERHEAD_DEFAULT_US */
	int64_t shard_overhead_us;    /* >= 0: use it; -1: learn from history, else 0 */
	uint64_t effort;              /* units the improvement pass may look at (a
	                                 count, never a clock, so every machine
	                                 plans alike); 0 = HIST_PLAN_EFFORT_DEFAULT */
	/* Called with a sentence for what the caller should tell the user: the
	 * plan fell back to hashing, tests known only by their JUnit key... */
	void (*warning)(const char *message, void *payload);
	/* Called now and then while the history is read ("results read", how
	 * many so far): a million-test history takes a second or two. */
	void (*progress)(const char *what, uint64_t done, void *payload);
	void *payload;
	/* Version 2. Per test of tests (same order), its group key or NULL:
	 * a group's tests stay on one shard. NULL: no groups. */
	const char *const *groups;
	/* The group markers the keys came from (hist_test_list_group_markers),
	 * for plan.json; NULL when the test list carried no groups. */
	const char *group_markers;
	/* > 0 (with shards 0): at least ceil(tests / K) shards (a group counts
	 * as its tests); alone it gives that count, with target_us it raises
	 * the search's start; max_shards caps it either way. */
	size_t max_tests_per_shard;
	/* > 1: each shard runs on this many xdist workers (<= HIST_MAX_WORKERS):
	 * its predicted time is their makespan (LPT over its tests, a group on
	 * one worker), not its sum, and the partition balances that. */
	unsigned int workers;
	/* Version 3. K in [0, HIST_SPREAD_MAX]: balance each shard's load +
	 * K x sqrt(sum of its tests' variances), the variances learnt from
	 * how far each test's samples stray (doc/histplan.md), so noisy tests
	 * do not pile on one shard. Predictions stay the expected times.
	 * 0: off. Kept to 3 decimals. */
	double spread_variance;
} hist_plan_options;
#define HIST_SPREAD_MAX 10
#define HIST_PLAN_OPTIONS_INIT { HIST_PLAN_OPTIONS_VERSION, NULL, 0, 0, 0, HIST_EST_EMA, 0.3, 10, \
	HIST_SCOPE_TEST, NULL, 0, -1, -1, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 }

/* Builds a plan from the history of opts->suite in db: estimates every test
 * (see doc/histplan.md), keeps scopes whole, partitions and orders the
 * shards. Bad options or a bad test list are HIST_E_INVALID; a history
 * read failure passes its code up. Messages: hist_db_errmsg(db). The plan
 * owns copies of everything it needs; db and opts->tests may go after.
 * A plan is not changed by reading it, so threads may share it; the write
 * calls keep their message in it, so one thread at a time writes. */
HIST_API int hist_plan_create(hist_plan **out, hist_db *db, const hist_plan_options *opts);
HIST_API void hist_plan_free(hist_plan *plan);

/* Shards are numbered 1..N. A shard's tests come longest first, ties in
 * byte order of nodeids; out-of-range arguments give 0 / NULL / -1. */
HIST_API unsigned int hist_plan_shard_count(const hist_plan *plan);
HIST_API size_t hist_plan_shard_size(const hist_plan *plan, unsigned int k);
HIST_API const char *hist_plan_shard_test(const hist_plan *plan, unsigned int k, size_t i);
/* Shard start-up + its tests' estimates and overheads + the set-up of every
 * module it runs part of. */
HIST_API int64_t hist_plan_shard_predicted_us(const hist_plan *plan, unsigned int k);
/* 16 lowercase hex digits: XXH3-64 over the shards' nodeids (doc/histplan.md
 * "Outputs"); owned by the plan. Hashed when first needed (hist_plan_write
 * hashes it as it writes the shard files), so the first call may take a
 * while; any thread may make it. */
HIST_API const char *hist_plan_id(const hist_plan *plan);
/* 1 when the history knew no duration of the suite and each test (its
 * scope's prefix at class and module scope) went to shard
 * (hist_nodeid_hash % N) + 1. */
HIST_API int hist_plan_fallback(const hist_plan *plan);
/* Where the plan's tests came from: "collection" when the caller gave them
 * (opts->tests: a collection of the tree to be tested, so a test the plan
 * does not list is new and one it lists must be collected), "history" when
 * they are the tests of the history's newest run. plan.json's "test_list". */
HIST_API const char *hist_plan_test_list(const hist_plan *plan);

typedef enum { HIST_SOURCE_DEFAULT = 0, HIST_SOURCE_HISTORY, HIST_SOURCE_OPTION } hist_source;
HIST_API const char *hist_source_name(hist_source s); /* "default", "history", "option" */

#define HIST_PLAN_SUMMARY_VERSION 1
typedef struct {
	unsigned int version;          /* set by the caller (INIT); fields up to it are filled */
	size_t tests;
	size_t tests_without_history;  /* estimated by their file's or the suite's median */
	int64_t total_us;              /* sum of the shards' predictions */
	int64_t makespan_us;           /* the largest prediction */
	int64_t lower_bound_us;        /* shard start-up + max(work / N, longest unit) */
	int64_t work_us;               /* tests' estimates + overheads + each set-up once */
	int64_t longest_unit_us;       /* the largest thing no plan can split */
	int64_t target_us;             /* the caller's target, or 0 */
	int64_t test_overhead_us;
	hist_source test_overhead_source;
	int64_t shard_overhead_us;
	hist_source shard_overhead_source;
	int64_t scope_setup_us;        /* set-up paid again by shards that split a scope */
	size_t scopes_with_setup;      /* modules whose set-up is charged per shard */
	size_t scopes_split;           /* of those, how many the plan splits */
} hist_plan_summary;
#define HIST_PLAN_SUMMARY_INIT { HIST_PLAN_SUMMARY_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
	HIST_SOURCE_DEFAULT, 0, HIST_SOURCE_DEFAULT, 0, 0, 0 }
/* HIST_E_INVALID for a version this build does not know. */
HIST_API int hist_plan_get_summary(hist_plan_summary *out, const hist_plan *plan);

/* Output goes to fn in pieces; a non-zero return from fn stops it and is
 * returned as HIST_E_IO. Otherwise HIST_OK or HIST_E_NOMEM. */
typedef int (*hist_write_fn)(const char *data, size_t len, void *payload);
/* plan.json's document: fixed key order, seconds with 6 decimals. */
HIST_API int hist_plan_json(const hist_plan *plan, hist_write_fn fn, void *payload);
/* The table --preview prints: shard, tests, predicted seconds, a bar. */
HIST_API int hist_plan_preview(const hist_plan *plan, hist_write_fn fn, void *payload);
/* A self-contained SVG picture, one bar per shard. */
HIST_API int hist_plan_svg(const hist_plan *plan, hist_write_fn fn, void *payload);
/* Writes dir/shard-1.txt .. dir/shard-N.txt and dir/plan.json, each
 * atomically, creating dir (one level) when missing; then removes
 * shard-K.txt for K > N left by an older plan. On failure before the first
 * file is in place, nothing is left behind (a dir it created is removed).
 * Both writes return HIST_OK, HIST_E_IO or HIST_E_NOMEM, with the file in
 * hist_plan_errmsg. */
HIST_API int hist_plan_write(hist_plan *plan, const char *dir);
/* hist_plan_svg's picture into path, atomically. */
HIST_API int hist_plan_write_svg(hist_plan *plan, const char *path);
/* The message of the last failing write; never NULL. */
HIST_API const char *hist_plan_errmsg(const hist_plan *plan);

/* ------------------------------------------------------------------ */
/* Checking a run against its plan (histmerge --plan)                  */

/* After the shards of a plan ran, their --hist-report files account for
 * every planned test: it ran once, the user's selection deselected it, or
 * (plans made from history) its shard reported it gone. Other inputs
 * (JUnit, reportlog, databases) are not a shard's account and are passed
 * over. A check is used by one thread at a time. */
typedef struct hist_plan_check hist_plan_check;

/* Reads the plan in dir: dir/plan.json (plan_id, shard_count, test_list;
 * without test_list the plan counts as made from history) and
 * dir/shard-1.txt .. shard-N.txt, which must carry that plan's id and their
 * k/N and list no test twice. HIST_E_IO for a missing or unreadable file,
 * HIST_E_PARSE for a malformed one or a directory mixing two plans, with
 * the file (and line) in hist_plan_check_errmsg. Like hist_db_open, *out
 * is set even on failure (unless out of memory); free it either way. */
HIST_API int hist_plan_check_open(hist_plan_check **out, const char *dir);
HIST_API void hist_plan_check_free(hist_plan_check *check);
HIST_API const char *hist_plan_check_errmsg(const hist_plan_check *check); /* never NULL */
/* The plan's id (16 hex digits), its N, and "collection" or "history". */
HIST_API const char *hist_plan_check_id(const hist_plan_check *check);
HIST_API unsigned int hist_plan_check_shard_count(const hist_plan_check *check);
HIST_API const char *hist_plan_check_test_list(const hist_plan_check *check);
/* Shard k (1..N): the seconds plan.json predicted, in µs (-1 when it does
 * not say), and how many tests its shard file lists. */
HIST_API int64_t hist_plan_check_predicted_us(const hist_plan_check *check, unsigned int k);
HIST_API size_t hist_plan_check_shard_tests(const hist_plan_check *check, unsigned int k);

/* Reads one input (path "-" is stdin; name is what messages call it, NULL:
 * path). Returns 1 when it is a hist JSONL report (of this plan or not:
 * a report of another plan, or of a session without one, is a problem at
 * the finish), 0 when it is another format, or HIST_E_IO / HIST_E_PARSE /
 * HIST_E_NOMEM when it cannot be read, with the message. */
HIST_API int hist_plan_check_add(hist_plan_check *check, const char *path, const char *name);

typedef enum {
	HIST_CHECK_OTHER_PLAN = 0, /* a report of another plan, or of no plan */
	HIST_CHECK_SHARD_MISSING,  /* no report of shard k among the inputs */
	HIST_CHECK_SHARD_TWICE,    /* a second report of shard k */
	HIST_CHECK_INTERRUPTED,    /* shard k's session was interrupted */
	HIST_CHECK_RAN_TWICE,      /* a test ran again (another shard, or the same) */
	HIST_CHECK_NOT_RUN,        /* planned, and no shard ran or deselected it */
	HIST_CHECK_GONE,           /* collection plans: a listed test was not collected */
	HIST_CHECK_UNPLANNED,      /* collection plans: a test ran that no shard lists */
	HIST_CHECK_GROUP_SPLIT     /* plans with groups: a test ran away from its group's shard */
} hist_check_kind;

typedef struct {
	hist_check_kind kind;
	const char *file;     /* the report or shard file the problem is in */
	unsigned long line;   /* its line there; 0 for the whole file */
	const char *nodeid;   /* the test; NULL for a report or shard problem */
	unsigned int shard;   /* 1-based; 0 when no shard is concerned */
	const char *message;  /* the reason, without file and line */
} hist_check_problem;

typedef struct {
	size_t planned;     /* tests the shard files list */
	size_t ran;         /* planned tests that ran (once or more) */
	size_t deselected;  /* planned tests the user's selection removed, not run */
	size_t gone;        /* history plans: planned tests a shard did not collect */
	size_t unaccounted; /* planned tests none of the above */
	size_t unplanned;   /* tests that ran and no shard lists (new since the plan) */
	size_t ran_twice;   /* tests that ran more than once */
	size_t reports;     /* reports of this plan's shards */
	size_t problems;    /* calls made to the problem callback */
} hist_plan_check_totals;

/* Accounts every planned test and calls problem (may be NULL) once for
 * each problem, in a fixed order: reports of other plans in the order
 * added; missing, doubled and interrupted shards by k; then tests in byte
 * order of nodeids. A planned test missing because its shard's report is
 * missing or interrupted is counted in that shard's problem, not named
 * again. The strings live until the callback returns. HIST_OK or
 * HIST_E_NOMEM; the run is exact when out->problems is 0. */
HIST_API int hist_plan_check_finish(hist_plan_check_totals *out, hist_plan_check *check,
	void (*problem)(const hist_check_problem *p, void *payload), void *payload);

#ifdef __cplusplus
}
#endif

#endif
