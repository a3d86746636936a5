/* store_db.h - what the store's files share (private to lib/store*.c).
 * Owns: the handle's layout, the statement numbers, and the helpers that
 * prepare, bind and step statements on it. Only store*.c include it (and
 * sqlite3.h): every other module goes through store.h. */
#ifndef HIST_STORE_DB_H
#define HIST_STORE_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"
#include "hist.h"
#include "store.h"

/* PRAGMA application_id: 0x68697374, "hist", so another program's database
 * with a user_version of its own is never mistaken for a history. */
#define APP_ID 1751741300

/* Every statement the library runs, prepared once per handle on first use. */
enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SUITE_GET,
	S_SUITE_ADD,
	S_RUN_GET,
	S_RUN_ADD,
	S_RUN_LOWER,
	S_NEXT_TEST,
	S_SET_NEXT_TEST,
	S_BATCH_LOOKUP,
	S_BATCH_TESTS,
	S_BATCH_RESULTS,
	S_BATCH_RAISE,
	S_INPUT_SEEN,
	S_INPUT_ADD,
	S_COUNT_RUNS,
	S_COUNT_PACKS,
	S_HAS_RESULTS,
	S_WINDOW,
	S_RUN_RESULTS,
	S_TESTS_BY_NAME,
	S_TESTS_OF_KIND,
	S_OVERHEADS,
	S_ATTACH,
	S_DETACH,
	S_SRC_VERSION,
	S_SRC_APP,
	S_SRC_TABLES,
	S_SRC_ODD,
	S_MERGE_SUITES,
	S_MERGE_RUNS,
	S_MERGE_TESTS,
	S_MAP_FILL,
	S_MAP_CLEAR,
	S_MERGE_COUNT,
	S_MERGE_COUNT_V5,
	S_MERGE_RESULTS,
	S_MERGE_RESULTS_V5,
	S_MERGE_RAISE,
	S_MERGE_RAISE_V5,
	S_MERGE_INPUTS,
	S_MERGE_INPUTS_V6,
	S_MERGE_INPUTS_V1,
	S_PACK_ADD,
	S_PACK_DROP,
	S_PACK_READ,
	S_PACK_GET,
	S_PACKS_OF_RUN,
	S_PENDING_ADD,
	S_PENDING_CLEAR,
	S_COUNT
};

/* Results packed by run (store_pack.c): HIST__PACK_CHUNK test ids a row,
 * so a row (about 2 KB) stays within a page (schema 4). Test ids stay
 * below 2^32 (the window read's limit), so chunks below
 * HIST__PACK_MAX_CHUNK; a pack past it is damaged. */
#define HIST__PACK_CHUNK 256
#define HIST__PACK_MAX_CHUNK (((int64_t)1 << 32) / HIST__PACK_CHUNK)

/* The one check of a chunk number, on every read of a pack (whole runs,
 * every pack, the window, the counts, one-pack probes): column col of s
 * is an integer in [0, HIST__PACK_MAX_CHUNK). A crafted file can hold
 * anything there (a negative or huge number, a real, text, a blob).
 * 0 with it in *chunk, -1 when the pack is damaged. */
int hist__pack_chunk(int64_t *chunk, sqlite3_stmt *s, int col);

/* One pack read alone (a probe for one test, a writer loading the chunk
 * it touches), chunk ?2 of run ?1 in database `db`: rows of run_id,
 * chunk, data, and 1 for the pack of ?2 or 0 for the run's lowest and
 * highest chunk numbers, read beside it. Whatever a whole read of the run
 * refuses sorts first or last (SQLite orders NULL, numbers, text, blobs),
 * and a real a whole read could take for ?2 lies within (?2 - 1, ?2 + 1),
 * so with every row checked (hist__pack_one_row) a probe never says "no
 * result" where a whole read of the run says it is damaged. Three index
 * seeks, no scan. */
#define HIST__PACK_ONE_SQL(db)                                                                                     \
	"SELECT run_id, chunk, data, 1 FROM " db ".packs WHERE run_id = ?1 AND chunk > ?2 - 1 AND chunk < ?2 + 1"   \
	" UNION ALL SELECT * FROM (SELECT run_id, chunk, NULL, 0 FROM " db ".packs WHERE run_id = ?1 ORDER BY chunk" \
	" LIMIT 1) UNION ALL SELECT * FROM (SELECT run_id, chunk, NULL, 0 FROM " db ".packs WHERE run_id = ?1"       \
	" ORDER BY chunk DESC LIMIT 1)"
/* A row of HIST__PACK_ONE_SQL for chunk: 1 when it is chunk's pack (data
 * in column 2), 0 when it holds nothing to read, -1 when damaged. Read
 * the statement to its end before trusting an answer. */
int hist__pack_one_row(sqlite3_stmt *s, int64_t chunk);

/* A run's chunks loaded into temp.pending in the open transaction, one
 * bit a chunk; whole: every chunk of the run was loaded (it is repacked
 * whole at commit). */
typedef struct {
	int64_t run;
	uint64_t *bits;
	size_t words;
	int whole;
} hist__pack_touched;

/* A chunk of a run with nothing stored for it, filled from batches in
 * memory and packed straight from there (store_pack.c). */
typedef struct hist__pack_open hist__pack_open;

struct hist_db {
	sqlite3 *sql;
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt **cursors; /* one S_RUN_RESULTS per run of a window */
	size_t ncursors;
	sqlite3_stmt **pack_cursors; /* one S_PACKS_OF_RUN per run of a window */
	size_t npack_cursors;
	hist__err err;
	char *path;
	const hist__batch *batch; /* what hist_batch reads while a batch is stored */
	hist__batch *one;         /* hist__store_result's batch of one */
	uint16_t *dedup;          /* the batch's table of new names (store_batch.c) */
	int insert_first;         /* the last batch was mostly new tests */
	hist__pack_touched *touched; /* chunks to repack at commit */
	size_t ntouched;
	hist__pack_open *open;       /* chunks filled in memory (store_pack.c) */
	size_t nopen;
	int pending_ready;           /* temp.pending exists */
	int wal_later;               /* a new file, still in rollback mode (store.c) */
	int began;                   /* hist__store_begin calls since open */
#ifdef HIST_TESTING
	int no_packs; /* the window read ignores the packs */
	int one_thread; /* the window read runs on the caller's thread */
	int no_direct;  /* every result goes through temp.pending */
#endif
};

/* ---- packs (store_pack.c) ---- */
typedef struct {
	int64_t test_id;
	int64_t duration_us; /* -1 unknown */
	int64_t setup_us;    /* -1 unknown */
	uint32_t attempts;
	int outcome;
} hist__pack_row;

typedef struct {
	const unsigned char *p, *end;
	int64_t id, limit;
} hist__pack_reader;

void hist__pack_reader_init(hist__pack_reader *r, int64_t chunk, const void *data, size_t len);
/* 1 and a row, 0 at the end, -1 when the pack is damaged. */
int hist__pack_next(hist__pack_row *out, hist__pack_reader *r);
/* A whole pack into rows[HIST__PACK_CHUNK]; -1 when damaged. */
int hist__pack_decode(hist__pack_row *rows, size_t *n, int64_t chunk, const void *data, size_t len);
/* Adds 1 to count[id + 1] for each result of a pack, reading no more
 * than the ids (the window read's first pass); -1 when the pack is
 * damaged, -2 with the id in *past when it names a test past max_test. */
int hist__pack_count(uint32_t *count, int64_t *past, int64_t max_test, int64_t chunk, const void *data,
	size_t len);
/* Writers change results in temp.pending, never in the packs: before a
 * writer meets the stored results of a chunk (or a whole run), these load
 * them there, once a transaction. The chunk of test_id of run: */
int hist__store_pack_touch(hist_db *db, int64_t run, int64_t test_id);
/* Where a batch's result for test_id of run goes: *out an open chunk
 * (no result of it is stored: hist__store_pack_put it there), or NULL
 * when stored results can meet it (the chunk is loaded into temp.pending
 * as by hist__store_pack_touch: store it there). */
int hist__store_pack_route(hist__pack_open **out, hist_db *db, int64_t run, int64_t test_id);
/* Puts r into its open chunk by the conflict rule; 1 when the chunk had
 * no result of that test yet. */
int hist__store_pack_put(hist__pack_open *o, const hist__pack_row *r);
/* After a batch: packs the open chunks it did not meet (they are most
 * likely complete; a later result for one loads it as stored). */
int hist__store_pack_settle(hist_db *db);
/* Every chunk of run (merge, prune): */
int hist__store_pack_load_run(hist_db *db, int64_t run);
/* Every chunk of each run that constant sql lists (one integer a row). */
int hist__store_pack_load_runs(hist_db *db, const char *sql);
/* Drops what was touched (rollback, close). */
void hist__store_pack_forget(hist_db *db);
/* Before COMMIT: packs the touched chunks from temp.pending again and
 * empties it. */
int hist__store_packs_flush(hist_db *db);
/* Migration 5 -> 6: packs every run again from the results table. */
int hist__store_packs_from_results(hist_db *db);
/* "PATH: packed results of run N are damaged". */
int hist__store_pack_damaged(hist_db *db, int64_t run);

/* Out of memory, said on the handle so the tool's message names the history. */
int hist__store_nomem(hist_db *db);
/* Reports a SQLite failure as "PATH: message" with the matching code. */
int hist__store_fail(hist_db *db, int rc);
/* A new statement `which`, not cached (the window's cursors). */
int hist__store_prepare(sqlite3_stmt **out, hist_db *db, int which);
/* The cached statement, prepared on first use. Callers bind, step, and
 * finish with hist__store_reset(). */
int hist__store_stmt(sqlite3_stmt **out, hist_db *db, int which);
void hist__store_reset(sqlite3_stmt *s);
/* Steps s expecting no row (or ignoring rows past the first). */
int hist__store_step_done(hist_db *db, sqlite3_stmt *s);
/* Steps s; 1 with a row, 0 without, or a HIST_E_* code (s is then reset). */
int hist__store_step_row(hist_db *db, sqlite3_stmt *s);
int hist__store_bind_text(hist_db *db, sqlite3_stmt *s, int i, const char *text, size_t len);
/* NULL for a negative ("unknown") value, so the row stays small. */
void hist__store_bind_known(sqlite3_stmt *s, int i, int64_t v);
int64_t hist__store_column_known(sqlite3_stmt *s, int i);
int hist__store_run_stmt(hist_db *db, int which);
/* The one integer a cached statement returns. */
int hist__store_stmt_int(int64_t *out, hist_db *db, int which);
/* Runs constant SQL with no result (pragmas, migration scripts). */
int hist__store_exec(hist_db *db, const char *sql);
/* One integer from constant SQL, for pragmas read once per open. */
int hist__store_query_int(int64_t *out, hist_db *db, const char *sql);

/* Registers hist_batch (store_batch.c) on a new connection. */
/* The xConnect of our virtual tables: declares SCHEMA, readable by our
 * own statements only, and allocates their zeroed vtab of SIZE bytes. */
int hist__store_vtab_connect(sqlite3 *sql, const char *schema, size_t size, sqlite3_vtab **out);
int hist__store_batch_module(hist_db *db);
/* Registers hist_results (store_results.c) on a new connection. */
int hist__store_results_module(hist_db *db);

#ifdef HIST_TESTING
/* store_testing.c: one more migration step when not NULL. */
extern const char *hist__store_test_sql;
/* store_testing.c: a new file takes every migration step when set. */
extern int hist__store_test_replay;
#endif

#endif
