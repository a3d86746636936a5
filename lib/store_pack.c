/* store_pack.c - the results, packed by run.
 * Owns: the packs table (each run's results, HIST__PACK_CHUNK = 256 test
 * ids a row, as one compact blob that fits in a page), encoding and
 * decoding it, and writing it: a chunk with nothing stored is filled in
 * memory and packed from there; the chunks a transaction changes that
 * hold stored results are loaded into temp.pending, changed there with
 * SQL, and packed again at commit.
 * Not here: reading packs as rows for SQL (store_results.c), the window
 * read (store_window.c), the statements' text (store.c).
 *
 * Why: since schema 6 the packs are the only copy of the results (7 bytes
 * a result, against 19 for a SQLite row), and planning reads the newest
 * runs' results a pack (256 results) a step instead of a VDBE program a
 * result (1M tests x 5 runs: 1.4 s of the 2.2 s a plan took).
 *
 * Writing, in one transaction:
 *  - a batch's result for a chunk of which nothing is stored (a run new
 *    to the history, new tests) goes to that chunk's copy in memory
 *    (hist__store_pack_route, _put), packed once the batches move past
 *    it or at commit; a chunk packed so is stored like any other;
 *  - before a writer meets stored results it loads them into temp.pending
 *    (a table of this connection, keyed like the results table of schema
 *    5): the batch writer the chunks its results fall in
 *    (hist__store_pack_touch), merge and prune whole runs
 *    (hist__store_pack_load_run);
 *  - the writers' statements insert, raise and delete rows of
 *    temp.pending, with the conflict rule in SQL as before;
 *  - hist__store_commit calls hist__store_packs_flush, which packs the
 *    chunks still in memory, then every loaded chunk (every chunk of a
 *    whole run) from temp.pending, replaces its packs and empties
 *    temp.pending, inside the same transaction; a rollback empties it
 *    with the rest (and drops the chunks in memory);
 *  - a run deleted takes its packs with it (ON DELETE CASCADE). */
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

/* The varint of v at p (room for 10 bytes); returns its length. */
static size_t varint_at(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* One result at enc (room for ENC_MAX bytes), prev the id before it in
 * the pack; returns its length. unknown: FLAG_NO_DURATION and
 * FLAG_NO_SETUP, for those of r's values to leave out. */
#define ENC_MAX (4 * 10 + 1)
static size_t encode_row(unsigned char *enc, int64_t prev, const hist__pack_row *r, int unknown)
{
	int flags = r->outcome | unknown | (r->attempts > 1 ? FLAG_RERUN : 0);
	size_t n = varint_at(enc, (uint64_t)(r->test_id - prev));

	enc[n++] = (unsigned char)flags;
	if (!(flags & FLAG_NO_DURATION))
		n += varint_at(enc + n, zigzag(r->duration_us));
	if (!(flags & FLAG_NO_SETUP))
		n += varint_at(enc + n, zigzag(r->setup_us));
	if (flags & FLAG_RERUN)
		n += varint_at(enc + n, r->attempts);
	return n;
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
	/* Durations take 2 to 4: unrolled. With the loop alone, decoding was
	 * a seventh of planning's instructions (100,000 tests x 5 runs); now
	 * it is a ninth. */
	if (end - *p >= 4) {
		const unsigned char *q = *p;
		v = (uint64_t)(q[0] & 0x7f) | (uint64_t)(q[1] & 0x7f) << 7;
		if (!(q[1] & 0x80)) {
			*out = v;
			*p += 2;
			return 1;
		}
		v |= (uint64_t)(q[2] & 0x7f) << 14;
		if (!(q[2] & 0x80)) {
			*out = v;
			*p += 3;
			return 1;
		}
		v |= (uint64_t)(q[3] & 0x7f) << 21;
		if (!(q[3] & 0x80)) {
			*out = v;
			*p += 4;
			return 1;
		}
		v = 0;
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

/* Chunk numbers whose test ids fit 32 bits; checked before an id is made
 * from one (chunk * HIST__PACK_CHUNK would overflow). */
static inline int chunk_in_range(int64_t chunk)
{
	return chunk >= 0 && chunk < HIST__PACK_MAX_CHUNK;
}

int hist__pack_chunk(int64_t *chunk, sqlite3_stmt *s, int col)
{
	*chunk = sqlite3_column_int64(s, col);
	/* A real or text would be read as the integer it starts with. */
	return sqlite3_column_type(s, col) == SQLITE_INTEGER && chunk_in_range(*chunk) ? 0 : -1;
}

int hist__pack_one_row(sqlite3_stmt *s, int64_t chunk)
{
	int64_t got;

	if (hist__pack_chunk(&got, s, 1) < 0)
		return -1;
	return sqlite3_column_int(s, 3) == 1 && got == chunk;
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

	*n = 0;
	if (!chunk_in_range(chunk))
		return -1;
	hist__pack_reader_init(&r, chunk, data, len);
	/* Ids rise within the chunk, so it holds at most HIST__PACK_CHUNK rows. */
	while (k < HIST__PACK_CHUNK && (got = next_row(&rows[k], &r)) == 1)
		k++;
	*n = k;
	return got < 0 || r.p != r.end ? -1 : 0;
}

/* Skips one varint; 0 past end or longer than 10 bytes. */
static inline int skip_varint(const unsigned char **p, const unsigned char *end)
{
	for (int i = 0; i < 10 && *p < end; i++)
		if (!(*(*p)++ & 0x80))
			return 1;
	return 0;
}

int hist__pack_count(uint32_t *count, int64_t *past, int64_t max_test, int64_t chunk, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	int64_t id, limit;

	if (!chunk_in_range(chunk))
		return -1;
	id = chunk * HIST__PACK_CHUNK - 1;
	limit = (chunk + 1) * HIST__PACK_CHUNK;
	while (p < end) {
		uint64_t delta;
		unsigned char flags;

		if (!get_varint(&delta, &p, end) || delta == 0 || delta > (uint64_t)HIST__PACK_CHUNK || p == end)
			return -1;
		flags = *p++;
		id += (int64_t)delta;
		if (id >= limit || (flags & ~63) || (!(flags & FLAG_NO_DURATION) && !skip_varint(&p, end)) ||
			(!(flags & FLAG_NO_SETUP) && !skip_varint(&p, end)) || ((flags & FLAG_RERUN) && !skip_varint(&p, end)))
			return -1;
		if (id > max_test) {
			*past = id;
			return -2;
		}
		count[id + 1]++;
	}
	return 0;
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
	db->nopen = 0;
	for (size_t i = 0; i < db->ntouched; i++)
		hist__free(db->touched[i].bits);
	hist__free(db->touched);
	db->touched = NULL;
	db->ntouched = 0;
}

int hist__store_pack_damaged(hist_db *db, int64_t run)
{
	return hist__error(&db->err, HIST_E_DB, "%s: packed results of run %lld are damaged", db->path, (long long)run);
}

/* The entry of run, made when missing. */
static int touched_run(hist__pack_touched **out, hist_db *db, int64_t run)
{
	hist__pack_touched *p;

	for (size_t i = db->ntouched; i-- > 0;)
		if (db->touched[i].run == run) {
			*out = &db->touched[i];
			return HIST_OK;
		}
	if (!(p = hist__realloc(db->touched, (db->ntouched + 1) * sizeof *p)))
		return hist__store_nomem(db);
	db->touched = p;
	*out = &p[db->ntouched++];
	**out = (hist__pack_touched){ run, NULL, 0, 0 };
	return HIST_OK;
}

/* Sets chunk's bit; *was: it was set before. */
static int touched_set(int *was, hist_db *db, hist__pack_touched *t, uint64_t chunk)
{
	if (chunk / 64 >= t->words) {
		size_t words = (size_t)(chunk / 64) + 1 + t->words;
		uint64_t *bits = hist__realloc(t->bits, words * sizeof *bits);
		if (!bits)
			return hist__store_nomem(db);
		memset(bits + t->words, 0, (words - t->words) * sizeof *bits);
		t->bits = bits;
		t->words = words;
	}
	*was = (int)(t->bits[chunk / 64] >> (chunk % 64) & 1);
	t->bits[chunk / 64] |= (uint64_t)1 << (chunk % 64);
	return HIST_OK;
}

/* The rows of one stored pack of run into temp.pending. */
static int load_pack(hist_db *db, int64_t run, int64_t chunk, const void *data, size_t len)
{
	hist__pack_row rows[HIST__PACK_CHUNK];
	sqlite3_stmt *s = NULL;
	size_t n;
	int error;

	if (hist__pack_decode(rows, &n, chunk, data, len) < 0)
		return hist__store_pack_damaged(db, run);
	if ((error = hist__store_stmt(&s, db, S_PENDING_ADD)) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, rows[i].test_id);
		sqlite3_bind_int(s, 3, rows[i].outcome);
		hist__store_bind_known(s, 4, rows[i].duration_us);
		hist__store_bind_known(s, 5, rows[i].setup_us);
		sqlite3_bind_int64(s, 6, rows[i].attempts);
		if ((error = hist__store_step_done(db, s)) < 0)
			return error;
	}
	return HIST_OK;
}

/* Loads the stored pack of chunk of run into temp.pending; *found: there
 * was one. */
static int load_chunk(int *found, hist_db *db, int64_t run, int64_t chunk)
{
	sqlite3_stmt *s = NULL;
	int error;

	*found = 0;
	if ((error = hist__store_stmt(&s, db, S_PACK_GET)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, chunk);
	/* A row found damaged after the pack was loaded fails the
	 * transaction, and what was loaded goes with it. */
	while ((error = hist__store_step_row(db, s)) > 0) {
		int got = hist__pack_one_row(s, chunk);

		if (got < 0) {
			error = hist__store_pack_damaged(db, run);
			break;
		}
		if (got == 1) {
			*found = 1;
			if ((error = load_pack(db, run, chunk, sqlite3_column_blob(s, 2),
				     (size_t)sqlite3_column_bytes(s, 2))) < 0)
				break;
		}
	}
	hist__store_reset(s);
	return error;
}

static int check_test_id(hist_db *db, int64_t test_id)
{
	if (test_id < 0 || test_id / HIST__PACK_CHUNK >= HIST__PACK_MAX_CHUNK)
		return hist__error(&db->err, HIST_E_DB, "%s: test id %lld out of range", db->path, (long long)test_id);
	return HIST_OK;
}

int hist__store_pack_touch(hist_db *db, int64_t run, int64_t test_id)
{
	hist__pack_touched *t = NULL;
	int64_t chunk = test_id / HIST__PACK_CHUNK;
	int error, was, found;

	if ((error = check_test_id(db, test_id)) < 0 || (error = touched_run(&t, db, run)) < 0 ||
		(error = touched_set(&was, db, t, (uint64_t)chunk)) < 0)
		return error;
	return was || t->whole ? HIST_OK : load_chunk(&found, db, run, chunk);
}

/* ---- chunks packed from memory -------------------------------------- */

/* A chunk no stored result can meet (nothing of it is stored: most
 * chunks of a run new to the history) takes its results in memory, by
 * the conflict rule, and is packed from there: through temp.pending,
 * inserting the rows, reading them back in order and deleting them cost
 * as much as the rest of the commit (100,000 real tests). The packs are
 * the same either way (check_store_pack.c compares them). */
struct hist__pack_open {
	int64_t run, chunk;
	int hit; /* by the batch being stored */
	uint64_t have[HIST__PACK_CHUNK / 64];
	hist__pack_row rows[HIST__PACK_CHUNK]; /* by test id within the chunk */
};

/* Chunks open at once: a batch of results in test id order meets a few
 * (HIST__BATCH_ROWS / HIST__PACK_CHUNK + 1); past this, chunks go through
 * temp.pending, so a batch in no order costs 264 KB at most. */
#define OPEN_MAX 32

static int packs_put(hist_db *db, int64_t run, int64_t chunk, const void *data, size_t len)
{
	sqlite3_stmt *s = NULL;
	int error;

	if (!len)
		return HIST_OK;
	if ((error = hist__store_stmt(&s, db, S_PACK_ADD)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, chunk);
	if (len > INT32_MAX)
		return hist__error(&db->err, HIST_E_DB, "%s: pack of run %lld too large", db->path, (long long)run);
	sqlite3_bind_blob(s, 3, data, (int)len, SQLITE_STATIC);
	return hist__store_step_done(db, s);
}

static int open_write(hist_db *db, const hist__pack_open *o)
{
	unsigned char out[HIST__PACK_CHUNK * ENC_MAX];
	int64_t prev = o->chunk * HIST__PACK_CHUNK - 1;
	size_t len = 0;

	for (size_t k = 0; k < HIST__PACK_CHUNK; k++) {
		const hist__pack_row *r = &o->rows[k];

		if (!(o->have[k / 64] >> (k % 64) & 1))
			continue;
		len += encode_row(out + len, prev, r,
			(r->duration_us < 0 ? FLAG_NO_DURATION : 0) | (r->setup_us < 0 ? FLAG_NO_SETUP : 0));
		prev = r->test_id;
	}
	return packs_put(db, o->run, o->chunk, out, len);
}

/* Packs the open chunks (all, or those the last batch did not meet). */
static int open_write_all(hist_db *db, int all)
{
	size_t kept = 0;
	int error;

	for (size_t i = 0; i < db->nopen; i++) {
		hist__pack_open *o = &db->open[i];

		if (all || !o->hit) {
			if ((error = open_write(db, o)) < 0)
				return error;
			continue;
		}
		o->hit = 0;
		if (kept != i)
			db->open[kept] = *o;
		kept++;
	}
	db->nopen = kept;
	return HIST_OK;
}

int hist__store_pack_settle(hist_db *db)
{
	return open_write_all(db, 0);
}

int hist__store_pack_route(hist__pack_open **out, hist_db *db, int64_t run, int64_t test_id)
{
	hist__pack_touched *t = NULL;
	hist__pack_open *o;
	int64_t chunk = test_id / HIST__PACK_CHUNK;
	int error, was, found;

	*out = NULL;
	if ((error = check_test_id(db, test_id)) < 0)
		return error;
	for (size_t i = 0; i < db->nopen; i++)
		if (db->open[i].run == run && db->open[i].chunk == chunk) {
			db->open[i].hit = 1;
			*out = &db->open[i];
			return HIST_OK;
		}
	if (db->nopen == OPEN_MAX
#ifdef HIST_TESTING
		|| db->no_direct
#endif
	)
		return hist__store_pack_touch(db, run, test_id);
	if ((error = touched_run(&t, db, run)) < 0)
		return error;
	if (t->whole || (chunk / 64 < (int64_t)t->words && (t->bits[chunk / 64] >> (chunk % 64) & 1)))
		return HIST_OK;
	if ((error = load_chunk(&found, db, run, chunk)) < 0)
		return error;
	/* t may have moved: touched_run again. */
	if (found)
		return (error = touched_run(&t, db, run)) < 0 ? error : touched_set(&was, db, t, (uint64_t)chunk);
	if (!db->open && !(db->open = hist__malloc(OPEN_MAX * sizeof *db->open)))
		return hist__store_nomem(db);
	o = &db->open[db->nopen++];
	o->run = run;
	o->chunk = chunk;
	o->hit = 1;
	memset(o->have, 0, sizeof o->have);
	*out = o;
	return HIST_OK;
}

/* The conflict rule (GREATER in store.c): (attempts, outcome, duration,
 * setup), unknown (-1) below every known value. */
static int greater(const hist__pack_row *n, const hist__pack_row *o)
{
	if (n->attempts != o->attempts)
		return n->attempts > o->attempts;
	if (n->outcome != o->outcome)
		return n->outcome > o->outcome;
	if (n->duration_us != o->duration_us)
		return n->duration_us > o->duration_us;
	return n->setup_us > o->setup_us;
}

int hist__store_pack_put(hist__pack_open *o, const hist__pack_row *r)
{
	size_t k = (size_t)(r->test_id - o->chunk * HIST__PACK_CHUNK);
	hist__pack_row v = *r;
	int fresh = !(o->have[k / 64] >> (k % 64) & 1);

	/* Every negative is unknown, as hist_batch shows it to SQL. */
	if (v.duration_us < 0)
		v.duration_us = -1;
	if (v.setup_us < 0)
		v.setup_us = -1;
	if (fresh || greater(&v, &o->rows[k]))
		o->rows[k] = v;
	o->have[k / 64] |= (uint64_t)1 << (k % 64);
	return fresh;
}

int hist__store_pack_load_run(hist_db *db, int64_t run)
{
	hist__pack_touched *t = NULL;
	sqlite3_stmt *s = NULL;
	int error, row, was;

	/* Whole runs are read from the packs: the open chunks join them. */
	if ((error = open_write_all(db, 1)) < 0 || (error = touched_run(&t, db, run)) < 0 || t->whole)
		return error;
	if ((error = hist__store_stmt(&s, db, S_PACKS_OF_RUN)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t chunk;

		/* t stays valid: nothing else is touched meanwhile. */
		if (hist__pack_chunk(&chunk, s, 0) < 0) {
			error = hist__store_pack_damaged(db, run);
			goto done;
		}
		if ((error = touched_set(&was, db, t, (uint64_t)chunk)) < 0 ||
			(!was && (error = load_pack(db, run, chunk, sqlite3_column_blob(s, 1),
					  (size_t)sqlite3_column_bytes(s, 1))) < 0))
			goto done;
	}
	if ((error = row) < 0)
		goto done;
	t->whole = 1;
	error = HIST_OK;
done:
	hist__store_reset(s);
	return error;
}

int hist__store_pack_load_runs(hist_db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t *runs = NULL;
	size_t n = 0, cap = 0;
	int rc, error = HIST_OK;

	/* Listed first, then loaded: loading steps statements of its own. */
	if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL)) != SQLITE_OK)
		return hist__store_fail(db, rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			int64_t *p = hist__realloc(runs, ncap * sizeof *p);
			if (!p) {
				error = hist__store_nomem(db);
				goto done;
			}
			runs = p;
			cap = ncap;
		}
		runs[n++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE) {
		error = hist__store_fail(db, rc);
		goto done;
	}
	for (size_t i = 0; i < n && error == HIST_OK; i++)
		error = hist__store_pack_load_run(db, runs[i]);
done:
	sqlite3_finalize(s);
	hist__free(runs);
	return error;
}

/* Packs the results of run with test ids in [lo, hi) (whole chunks), as
 * `read` gives them (run, lo, hi bound; rows of test_id, outcome,
 * duration_us, setup_us, attempts by test id), and replaces the packs of
 * those chunks. */
static int pack_range(hist_db *db, sqlite3_stmt *read, hist__buf *b, int64_t run, int64_t lo, int64_t hi)
{
	sqlite3_stmt *s = NULL;
	int64_t chunk = -1, prev = 0;
	unsigned char enc[ENC_MAX];
	hist__pack_row r;
	size_t n;
	int error, row;

	if ((error = hist__store_stmt(&s, db, S_PACK_DROP)) < 0)
		return error;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, lo / HIST__PACK_CHUNK);
	sqlite3_bind_int64(s, 3, hi / HIST__PACK_CHUNK);
	if ((error = hist__store_step_done(db, s)) < 0)
		return error;
	s = read;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	hist__buf_clear(b);
	while ((row = hist__store_step_row(db, s)) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		int outcome = sqlite3_column_int(s, 1);
		int64_t attempts = sqlite3_column_int64(s, 4);

		if (id < 0 || id / HIST__PACK_CHUNK >= HIST__PACK_MAX_CHUNK || outcome < 0 || outcome > 5 ||
			attempts < 1 || attempts > UINT32_MAX) {
			error = hist__error(&db->err, HIST_E_DB, "%s: result out of range in run %lld", db->path,
				(long long)run);
			goto done;
		}
		if (id / HIST__PACK_CHUNK != chunk) {
			if ((error = packs_put(db, run, chunk, b->ptr, b->len)) < 0)
				goto done;
			hist__buf_clear(b);
			chunk = id / HIST__PACK_CHUNK;
			prev = chunk * HIST__PACK_CHUNK - 1;
		}
		r = (hist__pack_row){ id, sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), (uint32_t)attempts,
			outcome };
		/* One result is encoded on the stack and appended once: a put
		 * per field was a fifth of packing 100,000 results at commit. */
		n = encode_row(enc, prev, &r,
			(sqlite3_column_type(s, 2) == SQLITE_NULL ? FLAG_NO_DURATION : 0) |
				(sqlite3_column_type(s, 3) == SQLITE_NULL ? FLAG_NO_SETUP : 0));
		if ((error = hist__buf_put(b, (const char *)enc, n)) < 0) {
			error = hist__store_nomem(db);
			goto done;
		}
		prev = id;
	}
	if ((error = row) < 0)
		goto done;
	error = packs_put(db, run, chunk, b->ptr, b->len);
done:
	hist__store_reset(s);
	return error;
}

int hist__store_packs_flush(hist_db *db)
{
	hist__buf b = HIST__BUF_INIT(0);
	sqlite3_stmt *read = NULL;
	int error;

	if ((error = open_write_all(db, 1)) < 0 || !db->ntouched ||
		(error = hist__store_stmt(&read, db, S_PACK_READ)) < 0)
		goto done;
	for (size_t i = 0; i < db->ntouched && error == HIST_OK; i++) {
		const hist__pack_touched *t = &db->touched[i];
		size_t nchunks = t->words * 64;

		if (t->whole) {
			error = pack_range(db, read, &b, t->run, 0, HIST__PACK_MAX_CHUNK * HIST__PACK_CHUNK);
			continue;
		}
		/* Adjacent chunks in one read. */
		for (size_t c = 0; c < nchunks && error == HIST_OK;) {
			size_t e = c;
			while (e < nchunks && (t->bits[e / 64] >> (e % 64) & 1))
				e++;
			if (e > c)
				error = pack_range(db, read, &b, t->run, (int64_t)c * HIST__PACK_CHUNK,
					(int64_t)e * HIST__PACK_CHUNK);
			c = e + 1;
		}
	}
	if (error == HIST_OK)
		error = hist__store_run_stmt(db, S_PENDING_CLEAR);
done:
	hist__store_pack_forget(db);
	hist__buf_free(&b);
	return error;
}

int hist__store_packs_from_results(hist_db *db)
{
	static const char read_sql[] = "SELECT test_id, outcome, duration_us, setup_us, attempts FROM main.results"
				       " WHERE run_id = ?1 AND test_id >= ?2 AND test_id < ?3 ORDER BY test_id";
	hist__buf b = HIST__BUF_INIT(0);
	sqlite3_stmt *runs = NULL, *read = NULL;
	int rc, error = HIST_OK;

	/* Not cached: results is dropped right after. */
	if ((rc = sqlite3_prepare_v2(db->sql, "SELECT id FROM main.runs ORDER BY id", -1, &runs, NULL)) != SQLITE_OK ||
		(rc = sqlite3_prepare_v2(db->sql, read_sql, -1, &read, NULL)) != SQLITE_OK) {
		error = hist__store_fail(db, rc);
		goto done;
	}
	while (error == HIST_OK && (rc = hist__store_step_row(db, runs)) == 1)
		error = pack_range(db, read, &b, sqlite3_column_int64(runs, 0), 0, HIST__PACK_MAX_CHUNK * HIST__PACK_CHUNK);
	if (error == HIST_OK && rc < 0)
		error = rc;
done:
	sqlite3_finalize(runs);
	sqlite3_finalize(read);
	hist__buf_free(&b);
	return error;
}
