/* store.h - the history database (private). Its files, lib/store*.c, are
 * the only users of SQLite (store_db.h is what they share).
 *
 * Writers: ingest.c wraps each input in hist__store_begin/commit; a failure
 * calls hist__store_rollback so a bad input leaves nothing.
 * Readers: planner.c reads the recent history (one ordered pass for
 * estimate.c, then the inputs' totals) in one snapshot. */
#ifndef HIST_STORE_H
#define HIST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "hist.h"
#include "record.h"

/* The error slot of the handle, for modules that report through it. */
hist__err *hist__db_err(hist_db *db);

int hist__store_begin(hist_db *db);   /* BEGIN IMMEDIATE */
int hist__store_commit(hist_db *db);
void hist__store_rollback(hist_db *db);

/* Finds or creates the run (suite, ext_id) and returns its row id. start_us
 * lowers the run's start time when earlier than what is stored. */
int hist__store_run(int64_t *out, hist_db *db, const char *suite, const char *ext_id, int64_t start_us);
/* Results on their way to the store. A batch is plain memory, apart from
 * any handle: a parser may fill one on its thread while the store writes
 * another. Full at HIST__BATCH_ROWS results or past HIST__BATCH_BYTES of
 * ids, so its memory is bounded by that plus one record. */
#define HIST__BATCH_ROWS 1024
#define HIST__BATCH_BYTES (256 * 1024)
typedef struct hist__batch hist__batch;

int hist__batch_new(hist__batch **out);
void hist__batch_free(hist__batch *b); /* NULL is a no-op */
/* Copies r in. Returns 1 when the batch is now full (store it before the
 * next add), 0 when not, HIST_E_INVALID for an outcome out of range, no
 * attempts, an empty id or one past INT32_MAX bytes, or HIST_E_NOMEM. */
int hist__batch_add(hist__batch *b, const hist__record *r);
size_t hist__batch_count(const hist__batch *b);
void hist__batch_clear(hist__batch *b); /* empty again, memory kept */
/* Stores the results of b for run inside the open transaction and empties
 * b; *added: how many were new. A result meeting a stored one of the same
 * (run, test) replaces it when greater in (attempts, outcome, duration,
 * setup), so any order of inputs gives the same database. */
int hist__store_batch(int64_t *added, hist_db *db, int64_t run, hist__batch *b);
/* One result through a batch of one; *added is 1 when new. */
int hist__store_result(int *added, hist_db *db, int64_t run, const hist__record *r);
/* 1 in *seen when an input with this content hash, or with this raw hash
 * (the file's bytes before gunzip), was ingested already; *tests then is
 * how many test records it held. */
int hist__store_input_seen(int *seen, int64_t *tests, hist_db *db, const unsigned char hash[16]);
/* 1 in *out when the history holds any input at all. */
int hist__store_any_input(int *out, hist_db *db);
/* Where an input's content counts (store_owner.c): in the run first by
 * (suite, run id). For content `hash` (or a file's raw hash) offered to
 * run (suite, run_ext): HIST__INPUT_NEW, not stored yet; HIST__INPUT_HELD,
 * stored in this run or one before it (nothing to add; *tests: how many
 * test records it held); HIST__INPUT_TAKE, stored in a run after this one
 * that holds nothing else: with take set, that run is removed (inside the
 * caller's transaction) so the content can be stored in this one. A run
 * after this one holding other inputs too is HIST_E_INVALID, naming
 * `name`: its results cannot be told apart by input. */
enum { HIST__INPUT_NEW = 0, HIST__INPUT_HELD = 1, HIST__INPUT_TAKE = 2 };
int hist__store_input_owner(int *state, int64_t *tests, hist_db *db, const unsigned char hash[16], const char *suite,
	const char *run_ext, const char *name, int take);
/* Inside a merge's transaction, with the source attached: the same rule
 * per source input. Source runs that give up all their inputs are skipped
 * (temp.merge_skip), runs here that do are removed; a run giving up some
 * but not all is HIST_E_INVALID naming path. */
int hist__store_merge_claims(hist_db *db, const char *path);
/* Remembers an input: its hash, raw hash (NULL: unknown), run, session
 * facts and totals, which the overhead estimates read (wall time minus
 * test time over test count). */
int hist__store_input_add(hist_db *db, const unsigned char hash[16], const unsigned char *raw_hash, int64_t run,
	const hist__session *s, int64_t tests, int64_t test_us);
/* Inside a merge's transaction, with the source (schema `version`)
 * attached and its suites merged: its plans, each kept or not by the
 * rule of hist_db_plan_add (store_plans.c). */
int hist__store_merge_plans(hist_db *db, int64_t version, const char *path);
/* Merges another hist database (ATTACHed by path) in one transaction;
 * messages call it name. */
int hist__store_merge(hist_ingest_stats *out, hist_db *db, const char *path, const char *name);

/* One result of the recent history. */
typedef struct {
	const char *id;       /* valid during the callback only */
	size_t id_len;
	int id_is_key;
	unsigned int age;     /* 0 = the newest run of the window */
	hist_outcome outcome;
	int64_t duration_us;
	int64_t setup_us;     /* -1 unknown */
	unsigned int attempts;
	/* 1: the same test as the row before (the store's word, so readers
	 * need not compare names); 0: compare. */
	int same_test;
} hist__history_row;

/* One result of a test of the recent history, without the test's name. */
typedef struct {
	int64_t duration_us; /* -1 unknown */
	int64_t setup_us;    /* -1 unknown */
	uint32_t attempts;
	uint16_t age;        /* 0 = the newest run of the window */
	unsigned char outcome;
} hist__history_sample;

/* A test of the recent history with all its results, oldest run first. */
typedef struct {
	const char *id; /* valid during the callback only, like rows */
	size_t id_len;
	int id_is_key;
	const hist__history_sample *rows;
	size_t n;
} hist__history_test;

/* The window of suite for the estimator, in two walks that never hold
 * the window's rows: begin(max_test) once (test ids are 0..max_test);
 * then samples() for each test with results in the window, ascending test
 * id, its rows oldest run first (valid during the call only); then
 * named() for each test of the history in name byte order (a nodeid
 * before the JUnit key spelt the same), also those without results. A
 * non-zero return from a callback stops the walk and is returned. No
 * call when the suite has no run. Memory: one chunk of packs per run and
 * a few batches. The callbacks run on the caller's thread while another
 * reads the history (store_window.c): they must not use db. */
typedef struct {
	int (*begin)(void *payload, int64_t max_test);
	int (*samples)(void *payload, int64_t test, const hist__history_sample *rows, size_t n);
	int (*named)(void *payload, int64_t test, const char *name, size_t len, int is_key);
	void *payload;
} hist__window_sink;
int hist__store_window(hist_db *db, const char *suite, unsigned int window, const hist__window_sink *sink);

/* hist__store_each_result a test at a time (the same order and rows):
 * fn sees each test once, with its rows, instead of once a result. */
int hist__store_each_test(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_test *test), void *payload);

/* Calls fn for each result of the newest `window` runs of suite, grouped by
 * test (in id byte order) and, within a test, oldest run first. Runs are
 * ordered by (started_us, ext_id); NULL suite is "default". A non-zero
 * return from fn stops the walk and is returned. window is at most
 * HIST__STORE_MAX_WINDOW (HIST_E_INVALID past it): each run of the window
 * holds an open cursor while the results are merged. Memory: about 24 bytes
 * per result of the window plus 4 per test. */
#define HIST__STORE_MAX_WINDOW 1000
int hist__store_each_result(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_row *row), void *payload);

/* The totals of one input of the window, as ingested. */
typedef struct {
	int64_t wall_us;    /* -1: unknown */
	int64_t collect_us; /* -1: unknown */
	int64_t tests;
	int64_t test_us;
	int64_t workers;    /* xdist workers; 0 without, -1: unknown */
	unsigned int age;   /* its run: 0 = the newest of the window */
	int64_t startup_us; /* process start to session start (within wall_us); -1: unknown */
} hist__input_row;

/* The inputs of the newest `window` runs of suite (NULL: "default"), in
 * content-hash order; free *out with hist__free. */
int hist__store_inputs(hist__input_row **out, size_t *count, hist_db *db, const char *suite, unsigned int window);

/* Readers see one snapshot across their queries, even while another
 * process commits (WAL readers never block writers). Nests: inside a
 * transaction *began is 0 and end does nothing. */
int hist__store_read_begin(int *began, hist_db *db);
void hist__store_read_end(hist_db *db, int began);

/* Calls fn with the name of each suite that has runs (only suite, when
 * not NULL), by name (store_stats.c). */
int hist__store_suites(hist_db *db, const char *suite, int (*fn)(void *payload, const char *name), void *payload);
/* Read snapshot around several reads (store.c). */
int hist__store_snapshot_begin(int *began, hist_db *db);
void hist__store_snapshot_end(hist_db *db, int began);

const char *hist__store_sqlite_version(void);

/* PRAGMA integrity_check and foreign_key_check: HIST_OK, or HIST_E_DB
 * with the first problem in the message. */
int hist__store_check(hist_db *db);

#ifdef HIST_TESTING
/* on: the window read decodes the packs row by row through hist_results
 * instead of its own two passes; both must agree. */
void hist__store_test_no_packs(hist_db *db, int on);
/* on: every result of a batch goes through temp.pending, none is packed
 * from memory (store_pack.c), so tests can compare the two. */
void hist__store_test_no_direct(hist_db *db, int on);
/* on: the window read reads and sinks on the caller's thread, as when no
 * second thread can start; the batches must come out the same. */
void hist__store_test_one_thread(hist_db *db, int on);
/* on: a new file takes every migration step instead of its one script. */
void hist__store_test_replay_steps(int on);
/* store_testing.c, in test builds only: sql becomes one more migration step (NULL removes it),
 * so tests can open a file of today's version with a "later build". */
void hist__store_test_migration(const char *sql);
/* on: SQLite allocates through alloc.c (so hist__alloc_fail_at reaches
 * it); off: back to SQLite's own. Only with no database open. */
int hist__store_test_malloc(int on);
/* The whole content, by names (never row ids), one row a line in a fixed
 * order: equal histories dump equal whatever order they were built in. */
int hist__store_dump(hist__buf *out, hist_db *db);
#endif

#endif
