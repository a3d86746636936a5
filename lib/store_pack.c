/* store_pack.c - results packed by run, for the window read.
 * Owns: the packs table (each run's results, HIST__PACK_CHUNK = 256 test ids
 * a row, as one compact blob that fits in a page), keeping it equal to the results table at every commit,
 * rebuilding it, and decoding it.
 * Not here: choosing the window and handing rows to the estimator
 * (store_window.c), the statements' text (store.c).
 *
 * Why: planning reads the newest runs' results. Through SQLite that is a
 * VDBE program per result (1M tests x 5 runs: 5M rows, 1.4 s of the 2.2 s
 * a plan took); a pack row carries 256 of them for one step.
 *
 * The packs are derived data and are never trusted past the results:
 *  - writers in store*.c mark what they change: the batch writer the
 *    (run, chunk) pairs it inserted into (hist__store_pack_touch); merge and
 *    prune put whole runs into runs_unpacked;
 *  - hist__store_commit calls hist__store_packs_flush, which rebuilds every
 *    touched chunk and every run in runs_unpacked from the results table,
 *    inside the same transaction;
 *  - a run deleted takes its packs with it (ON DELETE CASCADE);
 *  - readers use packs only when no run of the window is in runs_unpacked
 *    (a history migrated from schema 2 starts with every run there), and
 *    fall back to the results table otherwise.
 * hist__store_packs_rebuild repacks everything: the entry point for any
 * writer that changes results outside these paths. */
#include "store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "store_db.h"

/* ---- encoding ------------------------------------------------------- */

/* A pack (schema 4): for each result of the chunk in test id order, a
 * varint of the id's distance from the previous one (from the chunk's
 * first id minus 1 at the start), a byte of outcome (bits 0-2), "duration
 * unknown" (bit 3), "setup unknown" (bit 4) and "rerun" (bit 5), then
 * zigzag varints of the known duration and setup, then, for a rerun, a
 * varint of attempts (else attempts is 1: most results, a byte saved). */
#define FLAG_NO_DURATION 8
#define FLAG_NO_SETUP 16
#define FLAG_RERUN 32

static int put_varint(hist__buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return hist__buf_put(b, (const char *)tmp, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* 0 when p runs past end or the varint is longer than 64 bits. */
static inline int get_varint(uint64_t *out, const unsigned char **p, const unsigned char *end)
{
	uint64_t v = 0;

	/* Most values (id steps, attempts) take one byte. */
	if (*p < end && !(**p & 0x80)) {
		*out = *(*p)++;
		return 1;
	}
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 1;
		}
	}
	return 0;
}

static inline int next_row(hist__pack_row *out, hist__pack_reader *r)
{
	uint64_t delta, dur = 0, setup = 0, attempts = 1;
	unsigned char flags;

	if (r->p == r->end)
		return 0;
	if (!get_varint(&delta, &r->p, r->end) || delta == 0 || delta > (uint64_t)HIST__PACK_CHUNK ||
		r->p == r->end)
		return -1;
	flags = *r->p++;
	if ((flags & 7) > 5 || (flags & ~63) || (!(flags & FLAG_NO_DURATION) && !get_varint(&dur, &r->p, r->end)) ||
		(!(flags & FLAG_NO_SETUP) && !get_varint(&setup, &r->p, r->end)) ||
		((flags & FLAG_RERUN) && (!get_varint(&attempts, &r->p, r->end) || attempts < 2)) ||
		attempts > UINT32_MAX)
		return -1;
	r->id += (int64_t)delta;
	if (r->id >= r->limit)
		return -1;
	out->test_id = r->id;
	out->outcome = flags & 7;
	/* -1 for unknown, as the results read says it (coalesce(.., -1)). */
	out->duration_us = flags & FLAG_NO_DURATION ? -1 : unzigzag(dur);
	out->setup_us = flags & FLAG_NO_SETUP ? -1 : unzigzag(setup);
	out->attempts = (uint32_t)attempts;
	return 1;
}

int hist__pack_next(hist__pack_row *out, hist__pack_reader *r)
{
	return next_row(out, r);
}

int hist__pack_decode(hist__pack_row *rows, size_t *n, int64_t chunk, const void *data, size_t len)
{
	hist__pack_reader r;
	size_t k = 0;
	int got = 0;

	hist__pack_reader_init(&r, chunk, data, len);
	/* Ids rise within the chunk, so it holds at most HIST__PACK_CHUNK rows. */
	while (k < HIST__PACK_CHUNK && (got = next_row(&rows[k], &r)) == 1)
		k++;
	*n = k;
	return got < 0 || r.p != r.end ? -1 : 0;
}

void hist__pack_reader_init(hist__pack_reader *r, int64_t chunk, const void *data, size_t len)
{
	r->p = data;
	r->end = r->p + len;
	r->id = chunk * HIST__PACK_CHUNK - 1;
	r->limit = (chunk + 1) * HIST__PACK_CHUNK;
}

/* ---- writing -------------------------------------------------------- */

void hist__store_pack_forget(hist_db *db)
{
	for (size_t i = 0; i < db->ntouched; i++)
		hist__free(db->touched[i].bits);
	hist__free(db->touched);
	db->touched = NULL;
	db->ntouched = 0;
}

int hist__store_pack_touch(hist_db *db, int64_t run, int64_t test_id)
{
	uint64_t chunk = (uint64_t)test_id / HIST__PACK_CHUNK;
	hist__pack_touched *t = NULL;

	if (test_id < 0)
		return HIST_OK;
	for (size_t i = db->ntouched; i-- > 0;)
		if (db->touched[i].run == run) {
			t = &db->touched[i];
			break;
		}
	if (!t) {
		hist__pack_touched *p = hist__realloc(db->touched, (db->ntouched + 1) * sizeof *p);
		if (!p)
			return hist__store_nomem(db);
		db->touched = p;
		t = &p[db->ntouched++];
		*t = (hist__pack_touched){ run, NULL, 0 };
	}
	if (chunk / 64 >= t->words) {
		size_t words = (size_t)(chunk / 64) + 1 + t->words;
		uint64_t *bits = hist__realloc(t->bits, words * sizeof *bits);
		if (!bits)
			return hist__store_nomem(db);
		memset(bits + t->words, 0, (words - t->words) * sizeof *bits);
		t->bits = bits;
		t->words = words;
	}
	t->bits[chunk / 64] |= (uint64_t)1 << (chunk % 64);
	return HIST_OK;
}

static int pack_insert(hist_db *db, int64_t run, int64_t chunk, const hist__buf *b)
{
	sqlite3_stmt *s = NULL;
	int error;

	if (!b->len)
		return HIST_OK;
	if ((error = hist__store_stmt(&s, db, S_PACK_ADD)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, chunk);
	if (b->len > INT32_MAX)
		return hist__error(&db->err, HIST_E_DB, "%s: pack of run %lld too large", db->path, (long long)run);
	sqlite3_bind_blob(s, 3, b->ptr, (int)b->len, SQLITE_STATIC);
	return hist__store_step_done(db, s);
}

/* Packs the results of run with test ids in [lo, hi) (whole chunks) and
 * replaces the packs of those chunks. */
static int pack_range(hist_db *db, hist__buf *b, int64_t run, int64_t lo, int64_t hi)
{
	sqlite3_stmt *s = NULL;
	int64_t chunk = -1, prev = 0;
	int error, row;

	if ((error = hist__store_stmt(&s, db, S_PACK_DROP)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, lo / HIST__PACK_CHUNK);
	sqlite3_bind_int64(s, 3, hi / HIST__PACK_CHUNK);
	if ((error = hist__store_step_done(db, s)) < 0 || (error = hist__store_stmt(&s, db, S_PACK_READ)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	hist__buf_clear(b);
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		int outcome = sqlite3_column_int(s, 1), flags;
		int64_t attempts = sqlite3_column_int64(s, 4);

		if (id < 0 || outcome < 0 || outcome > 5 || attempts < 1 || attempts > UINT32_MAX) {
			error = hist__error(&db->err, HIST_E_DB, "%s: result out of range in run %lld", db->path,
				(long long)run);
			goto done;
		}
		if (id / HIST__PACK_CHUNK != chunk) {
			if ((error = pack_insert(db, run, chunk, b)) < 0)
				goto done;
			hist__buf_clear(b);
			chunk = id / HIST__PACK_CHUNK;
			prev = chunk * HIST__PACK_CHUNK - 1;
		}
		flags = outcome | (sqlite3_column_type(s, 2) == SQLITE_NULL ? FLAG_NO_DURATION : 0) |
			(sqlite3_column_type(s, 3) == SQLITE_NULL ? FLAG_NO_SETUP : 0) | (attempts > 1 ? FLAG_RERUN : 0);
		if ((error = put_varint(b, (uint64_t)(id - prev))) < 0 ||
			(error = hist__buf_put(b, (const char *)&(unsigned char){ (unsigned char)flags }, 1)) < 0 ||
			(!(flags & FLAG_NO_DURATION) && (error = put_varint(b, zigzag(sqlite3_column_int64(s, 2)))) < 0) ||
			(!(flags & FLAG_NO_SETUP) && (error = put_varint(b, zigzag(sqlite3_column_int64(s, 3)))) < 0) ||
			((flags & FLAG_RERUN) && (error = put_varint(b, (uint64_t)attempts)) < 0)) {
			error = hist__store_nomem(db);
			goto done;
		}
		prev = id;
	}
	if ((error = row) < 0)
		goto done;
	error = pack_insert(db, run, chunk, b);
done:
	hist__store_reset(s);
	return error;
}

int hist__store_packs_flush(hist_db *db)
{
	hist__buf b = HIST__BUF_INIT(0);
	sqlite3_stmt *s = NULL;
	int error = HIST_OK, row;

	/* Touched chunks, runs of adjacent ones in one read. */
	for (size_t i = 0; i < db->ntouched && error == HIST_OK; i++) {
		const hist__pack_touched *t = &db->touched[i];
		size_t nchunks = t->words * 64;
		for (size_t c = 0; c < nchunks && error == HIST_OK;) {
			size_t e = c;
			while (e < nchunks && (t->bits[e / 64] >> (e % 64) & 1))
				e++;
			if (e > c)
				error = pack_range(db, &b, t->run, (int64_t)c * HIST__PACK_CHUNK,
					(int64_t)e * HIST__PACK_CHUNK);
			c = e + 1;
		}
	}
	hist__store_pack_forget(db);
	/* Whole runs, for merge, prune and histories from schema 2. */
	while (error == HIST_OK && (error = hist__store_stmt(&s, db, S_UNPACKED_FIRST)) == HIST_OK) {
		int64_t run;
		if ((row = hist__store_step_row(db, s)) <= 0) {
			error = row;
			break;
		}
		run = sqlite3_column_int64(s, 0);
		hist__store_reset(s);
		if ((error = pack_range(db, &b, run, 0, INT64_MAX / 2)) < 0 ||
			(error = hist__store_stmt(&s, db, S_UNPACKED_DONE)) < 0)
			break;
		sqlite3_bind_int64(s, 1, run);
		error = hist__store_step_done(db, s);
	}
	hist__store_reset(s);
	hist__buf_free(&b);
	return error;
}

int hist__store_packs_rebuild(hist_db *db)
{
	int error;

	if ((error = hist__store_begin(db)) < 0)
		return error;
	if ((error = hist__store_exec(db, "DELETE FROM packs; INSERT OR IGNORE INTO runs_unpacked(run_id) SELECT id FROM runs")) < 0 ||
		(error = hist__store_commit(db)) < 0)
		hist__store_rollback(db);
	return error;
}
