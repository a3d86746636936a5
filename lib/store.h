/* store.h - the history database (private). The only user of SQLite.
 *
 * Writers: ingest.c wraps each input in hist__store_begin/commit; a failure
 * calls hist__store_rollback so a bad input leaves nothing.
 * Readers: estimate.c walks the recent history in one ordered pass. */
#ifndef HIST_STORE_H
#define HIST_STORE_H

#include <stddef.h>
#include <stdint.h>

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
/* Stores one result; *added is 1 when new, 0 when (run, test) was there.
 * Conflicts resolve to the greater of (attempts, outcome, duration), so any
 * order of inputs gives the same database. */
int hist__store_result(int *added, hist_db *db, int64_t run, const hist__record *r);
/* 1 in *seen when an input with this content hash was ingested already. */
int hist__store_input_seen(int *seen, hist_db *db, const unsigned char hash[16]);
/* Remembers an input: its hash, run, session facts and totals, which the
 * overhead estimates read (wall time minus test time over test count). */
int hist__store_input_add(hist_db *db, const unsigned char hash[16], int64_t run,
	const hist__session *s, int64_t tests, int64_t test_us);
/* Merges another hist database (ATTACHed by path) in one transaction. */
int hist__store_merge(hist_ingest_stats *out, hist_db *db, const char *path);

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
} hist__history_row;

/* Calls fn for each result of the newest `window` runs of suite, grouped by
 * test (in id byte order) and, within a test, oldest run first. */
int hist__store_each_result(hist_db *db, const char *suite, unsigned int window,
	int (*fn)(void *payload, const hist__history_row *row), void *payload);

typedef struct {
	int64_t test_overhead_us;  /* -1: history carries no run wall times */
	int64_t shard_overhead_us; /* -1: no plugin session records */
} hist__overheads;

/* Medians over the inputs of the newest `window` runs of suite. */
int hist__store_overheads(hist__overheads *out, hist_db *db, const char *suite, unsigned int window);

const char *hist__store_sqlite_version(void);

#endif
