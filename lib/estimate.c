/* estimate.c - duration estimates from history.
 * Owns: EMA / median / last over the recent window, matching collected
 * nodeids to history (exact nodeid, else the JUnit key of xunit2 reports),
 * the estimate of tests without history, each module's set-up cost, and
 * the overhead model (medians over the window's inputs). Plain arrays out.
 * Not here: reading the history or the collected list (planner.c hands in
 * store rows and the list), partitioning (plan.c), warnings and output
 * (planner.c, emit.c). */
#include "estimate.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "nodeid.h"
#include "num.h"
#include "strmap.h"


/* ------------------------------------------------------------------ */
/* Estimators                                                          */

int64_t hist__estimate(int64_t *s, size_t n, hist_estimator estimator, double alpha)
{
	double e;

	if (n == 0)
		return -1;
	switch (estimator) {
	case HIST_EST_LAST: return s[n - 1];
	case HIST_EST_MEDIAN: return hist__median(s, n);
	case HIST_EST_EMA:
	case HIST_EST_AUTO: break;
	}
	e = (double)s[0];
	for (size_t i = 1; i < n; i++)
		e = alpha * (double)s[i] + (1.0 - alpha) * e;
	/* Durations are >= 0, so adding 0.5 and truncating rounds half up
	 * without libm. */
	return (int64_t)(e + 0.5);
}

int64_t hist__estimate_spread(int64_t *s, size_t n)
{
	int64_t med, mad;

	if (n < HIST__SPREAD_MIN_SAMPLES)
		return 0;
	med = hist__median(s, n);
	for (size_t i = 0; i < n; i++)
		s[i] = s[i] > med ? s[i] - med : med - s[i];
	mad = hist__median(s, n);
	/* 1.4826 x MAD is the standard deviation of normal samples; by
	 * integers (MAD <= 2^63 / 14826 for any real duration), rounded half up. */
	if (mad > INT64_MAX / 14826)
		return INT64_MAX / 10000;
	return (mad * 14826 + 5000) / 10000;
}

/* ------------------------------------------------------------------ */
/* One pass over the history                                           */

enum { KIND_NONE = 0, KIND_SKIP, KIND_ERROR, KIND_DURATION };

/* What the results under one history id (a nodeid or a JUnit key) say. */
typedef struct {
	int64_t est;        /* µs; -1 none */
	int64_t setup;      /* median set-up phase of the timed results; -1 none */
	uint32_t spread;    /* µs, hist__estimate_spread of the timed samples (in the padding) */
	unsigned char kind; /* DURATION > ERROR > SKIP > NONE: which samples made est */
} stats;

/* Two bits a history id beside its stats (hist__suite.flags, four ids a
 * byte): the names come in name order, not id order, and the bits they
 * look up stay in the cache (256 KB at a million ids) where the stats
 * (24 MB) cost a memory miss a name. */
#define FLAG_SEEN 1u   /* had results (by test id: ids without stay 0) */
#define FLAG_NEWEST 2u /* a result from the newest run of the window */

/* Beside each stats with --estimator auto: every estimator's estimate,
 * and the history id's own part of the backtest, which counts for the
 * suite once the id turns out to be one of its tests. */
typedef struct {
	int64_t alt[HIST_EST_COUNT];
	int64_t bt_err[HIST_EST_COUNT];
	uint64_t bt_n;
} auto_stats;

#define NONE_ENTRY UINT32_MAX

typedef struct {
	const char *id;
	uint32_t len;
	uint32_t exact; /* stats of the results under this nodeid; NONE_ENTRY: none */
	uint32_t key;   /* of the results under its JUnit key (xunit2 reports) */
	uint32_t module; /* its file's scope id (take_scopes) */
	uint32_t mlen;   /* the length of its file's part of id */
	uint32_t cls;    /* its class's scope id; NONE_ENTRY: outside a class */
} entry;

/* Numbers the scopes (files, classes) of the tests in the order they first
 * appear. The history hands tests over in name order, so a scope's tests
 * come together and each new scope sorts after the one before: while that
 * holds, a scope that differs from the last one is new, and no map is
 * needed (hashing a million prefixes and the map's pages were a fifth of
 * planning). The first scope out of order starts the map, filled with
 * every scope so far, and the map decides from there. Ids are the same
 * either way. */
typedef struct {
	hist__strmap map;
	int mapped;        /* a scope came out of order: the map knows them all */
	const char *last;  /* the newest test's scope */
	size_t last_len;
	uint32_t last_id;
	uint32_t count;    /* scopes numbered */
} scope_ids;

#define SCOPE_IDS_INIT {HIST__STRMAP_INIT, 0, NULL, 0, 0, 0}

/* A JUnit-key group of the history, kept until the suite is known. */
typedef struct {
	const char *key;
	uint32_t len;
	uint32_t st;
} key_group;

struct hist__suite {
	hist__err *err;
	hist__suite_options o;
	int listed;                 /* the caller gave the suite */
	hist__arena_block *arena;   /* nodeids, handed to the plan */
	hist__arena_block *scratch; /* JUnit keys, freed with the suite */
	entry *t;
	size_t n, cap;
	hist__strmap ids;   /* nodeid -> entry */
	/* Files and classes of t[0 .. scoped) are numbered (take_scopes):
	 * without a list, as each test comes, while the names are still being
	 * read on the other thread; else at the end. */
	scope_ids mods, classes;
	size_t scoped;
	size_t prev_clen; /* t[scoped - 1]'s class scope length (its path's without a class) */
	/* Pages the names will need, touched while the samples come (warm):
	 * an entry and WARM_NAME_BYTES of the arena for each test of the
	 * newest run. */
	char *warm_arena;
	size_t warm_arena_size, warm_arena_done, warm_entries_done;
	/* The plan's tests, made by finish: allocated and warmed with the
	 * entries (room for nst), else NULL. */
	hist__plan_test *pt;
	size_t warm_pt_done;
	hist__strmap keys;  /* JUnit key -> first entry with it */
	uint32_t *key_next; /* further entries with the same key */
	int keys_built;
	key_group *kg;
	size_t nkg, kgcap;
	/* Stats by history id: indexed by test id after hist__suite_begin,
	 * else one a group of hist__suite_row, in the order they end. */
	stats *st;
	auto_stats *au; /* with --estimator auto, beside st */
	unsigned char *flags; /* FLAG_* of each history id, beside st */
	size_t nst, stcap;
	int by_id;
	/* the group being read (hist__suite_row) */
	hist__buf cur;
	int in_group, cur_is_key, cur_newest, cur_skipped;
	int64_t *dur, *errdur, *setup, *scratch_s;
	size_t ndur, nerr, nsetup, scap;
	/* The samples of dur from runs of the plan's shard size (o.near). */
	int64_t *durnear;
	size_t ndurnear;
	/* --estimator auto: each estimator's absolute errors predicting a
	 * test's sample from the samples before it, summed over the suite. */
	int64_t bt_err[HIST_EST_COUNT];
	uint64_t bt_n;
	size_t bad_ids, key_only;
	uint64_t rows; /* read so far, for progress */
};

/* memcmp order, a prefix first: SQLite's BINARY collation. */
static int name_order(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static unsigned int get_flags(const hist__suite *s, uint32_t i)
{
	return (unsigned int)s->flags[i >> 2] >> ((i & 3) * 2) & 3u;
}

static void set_flags(hist__suite *s, uint32_t i, unsigned int f)
{
	unsigned int shift = (i & 3) * 2;

	s->flags[i >> 2] = (unsigned char)((s->flags[i >> 2] & ~(3u << shift)) | f << shift);
}

/* A nodeid that a shard file can hold on one line. */
static const char *bad_nodeid(const char *id, size_t len)
{
	if (len == 0)
		return "an empty nodeid";
	if (memchr(id, '\n', len) || memchr(id, '\r', len))
		return "a nodeid with a line break";
	if (memchr(id, '\0', len))
		return "a nodeid with a NUL byte";
	if (id[0] == '#')
		return "a nodeid starting with '#'";
	if (len > HIST__MAX_NODEID)
		return "a nodeid longer than 64 KiB";
	return NULL;
}

static int take_scopes(hist__suite *s);

/* Adds id as a test (copied into the arena). With `mapped` the id map finds
 * it, and an id already there is not added again (*added 0). */
static int add_entry(uint32_t *out, hist__suite *s, const char *id, size_t len, int mapped, int *added)
{
	uint32_t idx = (uint32_t)s->n;
	char *copy;
	int error;

	*added = 0;
	if (s->n >= NONE_ENTRY - 1)
		return hist__error(s->err, HIST_E_INVALID, "more than %u tests", NONE_ENTRY - 1);
	if (s->n == s->cap) {
		/* By test id, no more tests can come than history ids (but the
		 * JUnit keys of the newest run, added after them): sized once
		 * instead of doubled, which copied and faulted in the array
		 * again and again. */
		size_t cap = s->by_id && s->nst > s->cap ? s->nst : s->cap ? s->cap * 2 : 1024;
		entry *t = hist__realloc(s->t, cap * sizeof *t);
		if (!t)
			return hist__error(s->err, HIST_E_NOMEM, "out of memory");
		s->t = t;
		s->cap = cap;
	}
	/* The map points at the copy: the caller's bytes may go. (A duplicate
	 * wastes its copy; it is an error or a rare key spelt like a nodeid.)
	 * Without a list no map is needed: the history comes in strictly rising
	 * nodeid order (checked), so no id can come twice. */
	if (!(copy = hist__arena_dup(&s->arena, id, len)))
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	if (mapped && (error = hist__strmap_put(&idx, added, &s->ids, copy, len, idx)) < 0)
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	*added |= !mapped;
	*out = idx;
	if (!*added)
		return HIST_OK;
	s->t[idx] = (entry){copy, (uint32_t)len, NONE_ENTRY, NONE_ENTRY, 0, 0, NONE_ENTRY};
	s->n++;
	/* Without a list the tests come in their final order: their scopes
	 * are numbered now, on this thread's time while the reader reads the
	 * next names, instead of all at the end. */
	return s->listed ? HIST_OK : take_scopes(s);
}

int hist__suite_new(hist__suite **out, const hist__suite_options *o, hist__err *err)
{
	hist__suite *s;
	int error = HIST_OK;

	*out = NULL;
	if (!(s = hist__calloc(1, sizeof *s)))
		return hist__error(err, HIST_E_NOMEM, "out of memory");
	s->err = err;
	s->o = *o;
	s->listed = o->tests != NULL;
	s->cur = (hist__buf)HIST__BUF_INIT(0);
	s->mods = s->classes = (scope_ids)SCOPE_IDS_INIT;
	if (s->listed && (error = hist__strmap_reserve(&s->ids, o->test_count)) < 0) {
		hist__error(err, error, "out of memory");
		goto done;
	}
	for (size_t i = 0; s->listed && i < o->test_count; i++) {
		const char *id = o->tests[i], *why;
		size_t len = id ? strlen(id) : 0;
		uint32_t idx;
		int added;

		if ((why = bad_nodeid(id ? id : "", len))) {
			error = hist__error(err, HIST_E_INVALID, "tests[%zu]: %s", i, why);
			goto done;
		}
		if ((error = add_entry(&idx, s, id, len, 1, &added)) < 0)
			goto done;
		if (!added) {
			error = hist__error(err, HIST_E_INVALID,
			                    "tests[%zu]: duplicate nodeid %s (also tests[%u])", i, id, idx);
			goto done;
		}
	}
done:
	if (error < 0) {
		hist__suite_free(s);
		return error;
	}
	*out = s;
	return HIST_OK;
}

/* The JUnit key of a nodeid, copied into the scratch arena. */
static int junit_key(const char **out, size_t *len, hist__suite *s, const char *id, size_t idlen)
{
	char small[256], *big = NULL, *copy;
	int64_t need = hist_nodeid_junit_key(small, sizeof small, id, idlen);

	if (need < 0)
		return hist__error(s->err, HIST_E_INVALID, "%s: no JUnit key", id);
	if ((size_t)need >= sizeof small) {
		if (!(big = hist__malloc((size_t)need + 1)))
			return hist__error(s->err, HIST_E_NOMEM, "out of memory");
		hist_nodeid_junit_key(big, (size_t)need + 1, id, idlen);
	}
	copy = hist__arena_dup(&s->scratch, big ? big : small, (size_t)need);
	hist__free(big);
	if (!copy)
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	*out = copy;
	*len = (size_t)need;
	return HIST_OK;
}

/* Maps the JUnit key of every entry, so key rows of xunit2 history find
 * their tests. Made once, when the first key appears. */
static int build_keys(hist__suite *s)
{
	int error;

	s->keys_built = 1;
	if (!(s->key_next = hist__malloc((s->n ? s->n : 1) * sizeof *s->key_next)))
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	if ((error = hist__strmap_reserve(&s->keys, s->n)) < 0)
		return hist__error(s->err, error, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		const char *key;
		size_t len;
		uint32_t first;
		int added;

		s->key_next[i] = NONE_ENTRY;
		if ((error = junit_key(&key, &len, s, s->t[i].id, s->t[i].len)) < 0)
			return error;
		if ((error = hist__strmap_put(&first, &added, &s->keys, key, len, (uint32_t)i)) < 0)
			return hist__error(s->err, error, "out of memory");
		if (!added) {
			/* Two nodeids with one key (rare: "a/b.py" and "a.b.py"): both
			 * take the key's history. Chain after the first. */
			s->key_next[i] = s->key_next[first];
			s->key_next[first] = (uint32_t)i;
		}
	}
	return HIST_OK;
}

/* The newest predictions a test's samples take part in the backtest. */
#define BACKTEST_MAX 10

static void add_error(int64_t *sum, int64_t d)
{
	*sum = d > INT64_MAX - *sum ? INT64_MAX : *sum + d;
}

/* Backtests each estimator on samples v[0..n) (oldest first): v[k] is
 * predicted from v[0..k) for the last BACKTEST_MAX k, and the absolute
 * errors add to the history id's (sums of errors >= 0 that stop at
 * INT64_MAX: the same in any order). */
static void backtest(hist__suite *s, auto_stats *au, const int64_t *v, size_t n)
{
	for (size_t k = n > BACKTEST_MAX ? n - BACKTEST_MAX : 1; k < n; k++) {
		for (int e = 0; e < HIST_EST_COUNT; e++) {
			int64_t p;

			memcpy(s->scratch_s, v, k * sizeof *v); /* the median reorders */
			p = hist__estimate(s->scratch_s, k, (hist_estimator)e, s->o.alpha);
			add_error(&au->bt_err[e], p > v[k] ? p - v[k] : v[k] - p);
		}
		au->bt_n++;
	}
}

/* The estimate of v[0..n) by the options' estimator; with auto (au), each
 * estimator's in au->alt (chosen at the end) after backtesting them. */
static int64_t estimate_all(hist__suite *s, auto_stats *au, int64_t *v, size_t n)
{
	if (!au)
		return hist__estimate(v, n, s->o.estimator, s->o.alpha);
	backtest(s, au, v, n);
	for (int e = HIST_EST_COUNT - 1; e >= 0; e--) {
		memcpy(s->scratch_s, v, n * sizeof *v);
		au->alt[e] = hist__estimate(s->scratch_s, n, (hist_estimator)e, s->o.alpha);
	}
	return au->alt[HIST_EST_EMA];
}

/* Samples from runs of the plan's shard size (o.near) that a test needs
 * before they count: one run of shards is one draw of a noisy machine. */
#define NEAR_MIN_SAMPLES 2

/* est, or estimator e over the samples of runs of the shards' size if lower. */
static int64_t lower_near(hist__suite *s, hist_estimator e, int64_t est)
{
	int64_t v;

	memcpy(s->scratch_s, s->durnear, s->ndurnear * sizeof *s->durnear); /* the median reorders */
	v = hist__estimate(s->scratch_s, s->ndurnear, e, s->o.alpha);
	return v < est ? v : est;
}

/* The estimate est of all a test's samples, or of its samples from runs
 * of the shards' size where lower (with auto, each estimator's alike).
 * A smaller process makes a test faster where its time grows with what
 * the process holds (gc.collect()), while load only ever slows: so near
 * runs that say faster are the process, and near runs that say slower
 * are a slow moment of those few runs, which all the samples outweigh. */
static int64_t at_shard_size(hist__suite *s, auto_stats *au, int64_t est)
{
	if (!au)
		return lower_near(s, s->o.estimator, est);
	for (int e = 0; e < HIST_EST_COUNT; e++)
		au->alt[e] = lower_near(s, (hist_estimator)e, au->alt[e]);
	return au->alt[HIST_EST_EMA];
}

/* The stats of the samples read since begin_samples into st[i]. */
static void summarize(hist__suite *s, uint32_t i)
{
	stats *st = &s->st[i];
	auto_stats *au = s->au ? &s->au[i] : NULL;

	*st = (stats){-1, -1, 0, KIND_NONE};
	set_flags(s, i, FLAG_SEEN | (s->cur_newest ? FLAG_NEWEST : 0));
	if (au)
		*au = (auto_stats){{-1, -1, -1}, {0, 0, 0}, 0};
	if (s->ndur) {
		st->est = estimate_all(s, au, s->dur, s->ndur);
		if (s->ndurnear >= NEAR_MIN_SAMPLES && s->ndurnear < s->ndur)
			st->est = at_shard_size(s, au, st->est);
		st->kind = KIND_DURATION;
		if (s->o.spread) {
			int64_t sp;

			memcpy(s->scratch_s, s->dur, s->ndur * sizeof *s->dur); /* it reorders */
			sp = hist__estimate_spread(s->scratch_s, s->ndur);
			st->spread = sp > UINT32_MAX ? UINT32_MAX : (uint32_t)sp;
		}
		if (s->nsetup) {
			/* Reorders setup[], which is done with. */
			st->setup = hist__median(s->setup, s->nsetup);
		}
	} else if (s->nerr) {
		/* A test that only errored still holds its shard that long. */
		st->est = estimate_all(s, au, s->errdur, s->nerr);
		st->kind = KIND_ERROR;
	} else if (s->cur_skipped) {
		/* Known to skip: it costs its overhead, nothing more. */
		st->est = 0;
		if (au)
			au->alt[0] = au->alt[1] = au->alt[2] = 0;
		st->kind = KIND_SKIP;
	}
}

/* History id i belongs to the suite: its backtest counts. */
static void take_backtest(hist__suite *s, uint32_t i)
{
	if (!s->au)
		return;
	for (int e = 0; e < HIST_EST_COUNT; e++)
		add_error(&s->bt_err[e], s->au[i].bt_err[e]);
	s->bt_n += s->au[i].bt_n;
}

/* An entry whose JUnit key has given it nothing yet. */
static int key_unset(const hist__suite *s, size_t i)
{
	return s->t[i].key == NONE_ENTRY || s->st[s->t[i].key].kind == KIND_NONE;
}

/* History id `name` (stats st[i]) meets the suite: a test of it (by
 * nodeid or JUnit key), or, without a list, a test of the newest run. */
static int place(hist__suite *s, uint32_t i, const char *name, size_t len, int is_key)
{
	uint32_t idx;
	int error, added;

	if (!is_key) {
		if (!s->listed) {
			/* The suite is the tests of the newest run. */
			take_backtest(s, i);
			if (!(get_flags(s, i) & FLAG_NEWEST))
				return HIST_OK;
			if (s->n && !(name_order(s->t[s->n - 1].id, s->t[s->n - 1].len, name, len) < 0))
				return hist__error(s->err, HIST_E_DB, "history out of test order at %.*s",
				                   (int)len, name);
			if (bad_nodeid(name, len)) {
				s->bad_ids++;
				return HIST_OK;
			}
			if ((error = add_entry(&idx, s, name, len, 0, &added)) < 0)
				return error;
		} else {
			/* With a list, only history of listed tests is read. */
			if (len > HIST__STRMAP_MAX_KEY || !hist__strmap_get(&idx, &s->ids, name, len))
				return HIST_OK;
			take_backtest(s, i);
		}
		s->t[idx].exact = i;
		return HIST_OK;
	}
	if (s->listed) {
		if (!s->keys_built && (error = build_keys(s)) < 0)
			return error;
		if (len > HIST__STRMAP_MAX_KEY || !hist__strmap_get(&idx, &s->keys, name, len))
			return HIST_OK;
		take_backtest(s, i);
		for (; idx != NONE_ENTRY; idx = s->key_next[idx])
			if (key_unset(s, idx))
				s->t[idx].key = i;
		return HIST_OK;
	}
	/* Without a list, keys wait for the end, when the nodeids are known. */
	take_backtest(s, i);
	if (s->nkg == s->kgcap) {
		size_t cap = s->kgcap ? s->kgcap * 2 : 256;
		key_group *kg = hist__realloc(s->kg, cap * sizeof *kg);
		if (!kg)
			return hist__error(s->err, HIST_E_NOMEM, "out of memory");
		s->kg = kg;
		s->kgcap = cap;
	}
	if (!(name = hist__arena_dup(&s->scratch, name, len)))
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	s->kg[s->nkg++] = (key_group){name, (uint32_t)len, i};
	return HIST_OK;
}

/* Room for `more` samples in each array: a row adds to dur or errdur
 * (and setup only with dur), so their sum bounds every array. */
static int room(hist__suite *s, size_t more)
{
	size_t cap = s->scap ? s->scap * 2 : 16;
	int64_t *a, *b, *c;

	if (s->ndur + s->nerr + more <= s->scap)
		return HIST_OK;
	while (cap < s->ndur + s->nerr + more)
		cap *= 2;
	if ((a = hist__realloc(s->dur, cap * sizeof *a)))
		s->dur = a;
	if (a && (b = hist__realloc(s->errdur, cap * sizeof *b)))
		s->errdur = b;
	else
		b = NULL;
	if (b && (c = hist__realloc(s->setup, cap * sizeof *c)))
		s->setup = c;
	else
		c = NULL;
	if (c && (c = hist__realloc(s->scratch_s, cap * sizeof *c)))
		s->scratch_s = c;
	if (c && (c = hist__realloc(s->durnear, cap * sizeof *c)))
		s->durnear = c;
	if (!c)
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	s->scap = cap;
	return HIST_OK;
}

static void begin_samples(hist__suite *s)
{
	s->cur_newest = s->cur_skipped = 0;
	s->ndur = s->nerr = s->nsetup = 0;
	s->ndurnear = 0;
}

/* One result of the history id being read, with room made for it. */
static inline void put_sample(hist__suite *s, unsigned int age, hist_outcome outcome, int64_t duration_us,
                              int64_t setup_us)
{
	int near = s->o.near && age < s->o.near_count && s->o.near[age];

	if (age == 0)
		s->cur_newest = 1;
	switch (outcome) {
	case HIST_OUTCOME_PASSED:
	case HIST_OUTCOME_FAILED:
	case HIST_OUTCOME_XFAILED:
	case HIST_OUTCOME_XPASSED:
		if (duration_us < 0)
			break;
		s->dur[s->ndur++] = duration_us;
		if (near)
			s->durnear[s->ndurnear++] = duration_us;
		if (setup_us >= 0)
			s->setup[s->nsetup++] = setup_us;
		break;
	case HIST_OUTCOME_ERROR:
		if (duration_us < 0)
			break;
		s->errdur[s->nerr++] = duration_us;
		break;
	case HIST_OUTCOME_SKIPPED: s->cur_skipped = 1; break;
	}
}

static int add_sample(hist__suite *s, unsigned int age, hist_outcome outcome, int64_t duration_us, int64_t setup_us)
{
	int error = room(s, 1);

	if (error == HIST_OK)
		put_sample(s, age, outcome, duration_us, setup_us);
	return error;
}

/* Room for the stats of one more group of hist__suite_row. */
static int next_stats(uint32_t *out, hist__suite *s)
{
	if (s->nst == s->stcap) {
		size_t cap = s->stcap ? s->stcap * 2 : 256;
		stats *st;
		auto_stats *au;
		unsigned char *flags;

		if (cap >= NONE_ENTRY || !(st = hist__realloc(s->st, cap * sizeof *st)))
			return hist__error(s->err, HIST_E_NOMEM, "out of memory");
		s->st = st;
		if (!(flags = hist__realloc(s->flags, cap / 4 + 1)))
			return hist__error(s->err, HIST_E_NOMEM, "out of memory");
		memset(flags + (s->stcap ? s->stcap / 4 + 1 : 0), 0, cap / 4 + 1 - (s->stcap ? s->stcap / 4 + 1 : 0));
		s->flags = flags;
		if (s->o.estimator == HIST_EST_AUTO) {
			if (!(au = hist__realloc(s->au, cap * sizeof *au)))
				return hist__error(s->err, HIST_E_NOMEM, "out of memory");
			s->au = au;
		}
		s->stcap = cap;
	}
	*out = (uint32_t)s->nst++;
	return HIST_OK;
}

static int end_group(hist__suite *s)
{
	uint32_t i = 0;
	int error;

	s->in_group = 0;
	if ((error = next_stats(&i, s)) < 0)
		return error;
	summarize(s, i);
	return place(s, i, s->cur.ptr ? s->cur.ptr : "", s->cur.len, s->cur_is_key);
}

static int start_group(hist__suite *s, const hist__history_row *row)
{
	int error;

	hist__buf_clear(&s->cur);
	if ((error = hist__buf_put(&s->cur, row->id, row->id_len)) < 0)
		return hist__error(s->err, error, "out of memory");
	s->in_group = 1;
	s->cur_is_key = row->id_is_key != 0;
	begin_samples(s);
	return HIST_OK;
}

int hist__suite_row(void *payload, const hist__history_row *row)
{
	hist__suite *s = payload;
	int error;

	if (s->by_id)
		return hist__error(s->err, HIST_E_INVALID, "rows after hist__suite_begin");
	if (!s->in_group || (!row->same_test && ((row->id_is_key != 0) != s->cur_is_key || row->id_len != s->cur.len ||
	                                         memcmp(row->id, s->cur.ptr, row->id_len) != 0))) {
		if (s->in_group && (error = end_group(s)) < 0)
			return error;
		if ((error = start_group(s, row)) < 0)
			return error;
	}
	/* A power of two: the test is a mask, not a division, per row. */
	if (s->o.progress && (++s->rows & ((1u << 18) - 1)) == 0)
		s->o.progress("results read", s->rows, s->o.payload);
	return add_sample(s, row->age, row->outcome, row->duration_us, row->setup_us);
}

/* Bytes of the arena touched ahead for each test of the newest run: below
 * the shortest names of real suites, so no page is touched in vain. */
#define WARM_NAME_BYTES 32

/* The names come after every sample, on this thread, and the reader
 * thread steps the names' rows as fast as this thread copies them: the
 * page faults of the arena and the entries (2,000 at the realistic 100k)
 * were a good part of that copying. The samples come slower than this
 * thread takes them, so the pages are touched there, a test's share
 * with each test of the newest run. Without a list only (with one, the
 * entries exist already). */
static void warm(hist__suite *s)
{
	if (s->warm_entries_done < s->cap) {
		memset(&s->t[s->warm_entries_done], 0, sizeof *s->t);
		s->warm_entries_done++;
	}
	if (s->pt && s->warm_pt_done < s->nst) {
		memset(&s->pt[s->warm_pt_done], 0, sizeof *s->pt);
		s->warm_pt_done++;
	}
	if (s->warm_arena_size - s->warm_arena_done >= WARM_NAME_BYTES) {
		memset(s->warm_arena + s->warm_arena_done, 0, WARM_NAME_BYTES);
		s->warm_arena_done += WARM_NAME_BYTES;
	}
}

int hist__suite_begin(void *payload, int64_t max_test)
{
	hist__suite *s = payload;
	size_t n = (size_t)max_test + 1;

	if (s->by_id || s->in_group || s->nst || max_test < 0 || max_test >= (int64_t)NONE_ENTRY - 1)
		return hist__error(s->err, HIST_E_INVALID, "hist__suite_begin: test ids 0..%lld after rows",
		                   (long long)max_test);
	/* Flags zeroed: not seen until the test's samples come. */
	if (!(s->st = hist__malloc(n * sizeof *s->st)) || !(s->flags = hist__calloc(n / 4 + 1, 1)) ||
	    (s->o.estimator == HIST_EST_AUTO && !(s->au = hist__calloc(n, sizeof *s->au))))
		return hist__error(s->err, HIST_E_NOMEM, "out of memory");
	s->nst = s->stcap = n;
	s->by_id = 1;
	/* Room for the names, to warm (no more tests can come than ids, but
	 * for JUnit keys); without it the arrays grow as before. */
	if (!s->listed && !s->t && n <= SIZE_MAX / WARM_NAME_BYTES && (s->t = hist__malloc(n * sizeof *s->t))) {
		s->cap = n;
		if ((s->warm_arena = hist__arena_reserve(&s->arena, n * WARM_NAME_BYTES)))
			s->warm_arena_size = n * WARM_NAME_BYTES;
		s->pt = hist__malloc(n * sizeof *s->pt);
	}
	return HIST_OK;
}

int hist__suite_samples(void *payload, int64_t test, const hist__history_sample *rows, size_t n)
{
	hist__suite *s = payload;
	uint64_t before = s->rows;
	int error;

	if (!s->by_id || test < 0 || (uint64_t)test >= s->nst)
		return hist__error(s->err, HIST_E_INVALID, "samples of test id %lld out of range", (long long)test);
	s->rows += n;
	if (s->o.progress && (before >> 18) != (s->rows >> 18))
		s->o.progress("results read", s->rows >> 18 << 18, s->o.payload);
	begin_samples(s);
	/* Room for the test's rows at once, not a check a row. */
	if ((error = room(s, n)) < 0)
		return error;
	for (size_t j = 0; j < n; j++)
		put_sample(s, rows[j].age, (hist_outcome)rows[j].outcome, rows[j].duration_us, rows[j].setup_us);
	summarize(s, (uint32_t)test);
	if (s->cur_newest && !s->listed)
		warm(s);
	return HIST_OK;
}

int hist__suite_named(void *payload, int64_t test, const char *name, size_t len, int is_key)
{
	hist__suite *s = payload;

	if (!s->by_id || test < 0 || (uint64_t)test >= s->nst)
		return hist__error(s->err, HIST_E_INVALID, "name of test id %lld out of range", (long long)test);
	/* A history id is read once; one without results in the window says
	 * nothing. */
	if (!(get_flags(s, (uint32_t)test) & FLAG_SEEN))
		return HIST_OK;
	set_flags(s, (uint32_t)test, get_flags(s, (uint32_t)test) & ~FLAG_SEEN);
	return place(s, (uint32_t)test, name ? name : "", len, is_key != 0);
}

void hist__suite_free(hist__suite *s)
{
	if (!s)
		return;
	hist__arena_free(s->arena);
	hist__arena_free(s->scratch);
	hist__free(s->t);
	hist__strmap_free(&s->ids);
	hist__strmap_free(&s->keys);
	hist__strmap_free(&s->mods.map);
	hist__strmap_free(&s->classes.map);
	hist__free(s->key_next);
	hist__free(s->kg);
	hist__free(s->pt);
	hist__free(s->st);
	hist__free(s->au);
	hist__free(s->flags);
	hist__buf_free(&s->cur);
	hist__free(s->dur);
	hist__free(s->errdur);
	hist__free(s->setup);
	hist__free(s->scratch_s);
	hist__free(s->durnear);
	hist__free(s);
}

/* Without a list, JUnit keys of the history meet the nodeids of the newest
 * run: a key that names one of them adds to its history. A key of the
 * newest run that names none is a test known only by its key (xunit2
 * reports): it is planned under the key, which the plugin matches against
 * the key of each collected nodeid. */
static int match_key_groups(hist__suite *s)
{
	size_t nodeids = s->n;
	int error;

	if (!s->nkg)
		return HIST_OK;
	if ((error = build_keys(s)) < 0)
		return error;
	for (size_t g = 0; g < s->nkg; g++) {
		const key_group *k = &s->kg[g];
		uint32_t i;
		int added;

		if (hist__strmap_get(&i, &s->keys, k->key, k->len)) {
			for (; i != NONE_ENTRY; i = s->key_next[i])
				if (key_unset(s, i))
					s->t[i].key = k->st;
			continue;
		}
		if (!(get_flags(s, k->st) & FLAG_NEWEST))
			continue;
		if (bad_nodeid(k->key, k->len)) {
			s->bad_ids++;
			continue;
		}
		/* A key spelt like a nodeid of the run would list it twice. */
		if (!s->ids.cap) {
			if ((error = hist__strmap_reserve(&s->ids, nodeids + 1)) < 0)
				return hist__error(s->err, error, "out of memory");
			for (size_t j = 0; j < nodeids; j++)
				if ((error = hist__strmap_put(&i, &added, &s->ids, s->t[j].id, s->t[j].len,
				                              (uint32_t)j)) < 0)
					return hist__error(s->err, error, "out of memory");
		}
		if (hist__strmap_get(&i, &s->ids, k->key, k->len))
			continue;
		if ((error = add_entry(&i, s, k->key, k->len, 1, &added)) < 0)
			return error;
		s->t[i].exact = k->st;
		s->key_only++;
	}
	return HIST_OK;
}

/* Groups values by module with a counting sort: val[off[m] .. off[m+1])
 * holds module m's. */
static int group_by_module(size_t **off_out, size_t modules, const entry *t, size_t n,
                           const int *take)
{
	size_t *off = hist__calloc(modules + 1, sizeof *off);

	if (!off)
		return HIST_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (take[i])
			off[t[i].module + 1]++;
	for (size_t m = 0; m < modules; m++)
		off[m + 1] += off[m];
	*off_out = off;
	return HIST_OK;
}

/* Puts the scopes numbered so far into the map: test i's scope is
 * t[i].id[0 .. scope_len), its id t[i].module or t[i].cls (NONE_ENTRY:
 * none). Before the map, ids rise with the tests, so a scope's first test
 * is where the ids first reach it. */
static int map_scopes(scope_ids *k, const entry *t, size_t n, hist_scope scope)
{
	uint32_t next = 0;
	int error, added;

	if ((error = hist__strmap_reserve(&k->map, (size_t)k->count * 2 + 16)) < 0)
		return error;
	for (size_t i = 0; i < n && next < k->count; i++) {
		uint32_t got;

		if ((scope == HIST_SCOPE_MODULE ? t[i].module : t[i].cls) != next)
			continue;
		if ((error = hist__strmap_put(&got, &added, &k->map, t[i].id,
		                              hist__nodeid_scope_len(t[i].id, t[i].len, scope), next)) < 0)
			return error;
		next++;
	}
	k->mapped = 1;
	return HIST_OK;
}

/* The id of scope key[0 .. len) of test i (t[0 .. i) are the tests
 * before it). */
static int scope_id(uint32_t *out, scope_ids *k, const char *key, size_t len, const entry *t, size_t i,
                    hist_scope scope)
{
	int error, added;

	if (k->last && len == k->last_len && memcmp(key, k->last, len) == 0) {
		*out = k->last_id;
		return HIST_OK;
	}
	if (!k->mapped && (!k->last || name_order(key, len, k->last, k->last_len) > 0)) {
		*out = k->count++;
	} else {
		if (!k->mapped && (error = map_scopes(k, t, i, scope)) < 0)
			return error;
		if ((error = hist__strmap_put(out, &added, &k->map, key, len, k->count)) < 0)
			return error;
		k->count += (uint32_t)added;
	}
	k->last = key;
	k->last_len = len;
	k->last_id = *out;
	return HIST_OK;
}

/* Numbers the file and the class of the next test, t[s->scoped], in
 * test order: the ids depend on nothing else, so they are the same
 * whether a test is numbered as it comes or at the end. */
static int take_scopes(hist__suite *s)
{
	entry *e = &s->t[s->scoped];
	const entry *p = s->scoped ? e - 1 : NULL;
	size_t mlen, clen, known = s->prev_clen;
	int error;

	/* Tests come in name order, a file's and a class's together: a test
	 * that starts like the one before up to its class (or file) and "::"
	 * has that file, and its class is that one or one named after it. Only
	 * the rest of its names is looked at, and the ids are the test
	 * before's, as scope_id would find them (its last scope). */
	if (p && p->len >= known + 2 && e->len >= known + 2 && memcmp(e->id, p->id, known + 2) == 0) {
		e->module = p->module;
		e->mlen = p->mlen;
		mlen = p->mlen;
		clen = hist__nodeid_class_len_after(e->id, e->len, known);
		if (clen == known) {
			e->cls = p->cls;
			s->scoped++;
			return HIST_OK;
		}
	} else {
		mlen = hist__nodeid_scope_len(e->id, e->len, HIST_SCOPE_MODULE);
		if ((error = scope_id(&e->module, &s->mods, e->id, mlen, s->t, s->scoped, HIST_SCOPE_MODULE)) < 0)
			return hist__error(s->err, error, "out of memory");
		e->mlen = (uint32_t)mlen; /* a nodeid is at most 64 KiB */
		clen = hist__nodeid_class_len(e->id, e->len, mlen);
	}
	e->cls = NONE_ENTRY;
	if (clen != mlen && (error = scope_id(&e->cls, &s->classes, e->id, clen, s->t, s->scoped, HIST_SCOPE_CLASS)) < 0)
		return hist__error(s->err, error, "out of memory");
	s->prev_clen = clen;
	s->scoped++;
	return HIST_OK;
}

/* A class's set-up (class-scoped fixtures, setup_class) shows in the
 * set-up phase of the test that opens the class, above its module's
 * typical set-up (mtypical, the median). Like a module's, that excess is
 * taken off the opener and charged to each shard that runs part of the
 * class (res->class_setup, tests' klass). The opener is the class's first
 * collected test with the collected suite, else its largest set-up. A
 * class opened by its module's opener is left out: its set-up is in the
 * module's already. A class of one test cannot be split, nor told. */
static int class_setup(hist__suite_result *res, hist__suite *s, hist__plan_test *t, size_t n,
                       const int64_t *setup, const int64_t *mtypical, const uint32_t *mopener)
{
	uint32_t *opener = NULL, *count = NULL, *num = NULL, nclasses = 0, charged = 0;
	int64_t *excess = NULL;
	int error = HIST_OK;

	if (!(opener = hist__malloc((n ? n : 1) * sizeof *opener)) || !(count = hist__calloc(n ? n : 1, sizeof *count))) {
		error = HIST_E_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t c = s->t[i].cls;

		if (c == NONE_ENTRY)
			continue;
		if (c == nclasses)
			opener[nclasses++] = NONE_ENTRY;
		count[c]++;
		if (setup[i] < 0)
			continue;
		/* Suite order: with the collected suite the first timed is the
		 * first collected. */
		if (opener[c] == NONE_ENTRY ||
		    (!s->listed && (setup[i] > setup[opener[c]] ||
		                    (setup[i] == setup[opener[c]] && strcmp(t[i].id, t[opener[c]].id) < 0))))
			opener[c] = (uint32_t)i;
	}
	if (!(excess = hist__calloc(nclasses ? nclasses : 1, sizeof *excess)) ||
	    !(num = hist__calloc(nclasses ? nclasses : 1, sizeof *num))) {
		error = HIST_E_NOMEM;
		goto done;
	}
	for (uint32_t c = 0; c < nclasses; c++) {
		uint32_t i = opener[c], m;
		int64_t e;

		if (i == NONE_ENTRY || count[c] < 2)
			continue;
		m = s->t[i].module;
		if (mtypical[m] < 0 || mopener[m] == i)
			continue;
		if ((e = setup[i] - mtypical[m]) < HIST_SCOPE_SETUP_MIN_US)
			continue;
		t[i].est_us -= e < t[i].est_us ? e : t[i].est_us;
		/* Numbered from 1 in suite order; a test's 0: no class set-up. */
		excess[charged++] = e;
		num[c] = charged;
	}
	for (size_t i = 0; i < n; i++)
		t[i].klass = s->t[i].cls != NONE_ENTRY ? num[s->t[i].cls] : 0;
	/* Most suites have none: NULL then, nothing for the caller to free. */
	if (charged) {
		res->class_setup = excess;
		res->classes = charged;
		excess = NULL;
	}
done:
	hist__free(opener);
	hist__free(count);
	hist__free(num);
	hist__free(excess);
	return error < 0 ? hist__error(s->err, error, "out of memory") : HIST_OK;
}

/* Tests ahead whose stats are fetched while one is read. */
#define STATS_AHEAD 16

/* A median not taken yet (medians of durations are >= 0, or -1: none). */
#define MEDIAN_UNSET (-2)

/* The estimate of a test of module m without history of its own: the
 * median of its module's timed estimates, else the suite's (0 with none
 * timed). The first ask groups the timed estimates by module into est
 * (*off); each median is taken once, into mmedian[m] and *suite. */
static int fallback_estimate(int64_t *out, size_t **off, int64_t *est, int64_t *suite, int64_t *mmedian,
                             const entry *e, size_t n, size_t modules, const int *is_timed,
                             const hist__plan_test *t, size_t timed, uint32_t m)
{
	size_t *o;

	if (!*off) {
		size_t *fill;
		int error;

		if ((error = group_by_module(off, modules, e, n, is_timed)) < 0)
			return error;
		if (!(fill = hist__malloc((modules + 1) * sizeof *fill)))
			return HIST_E_NOMEM;
		memcpy(fill, *off, (modules + 1) * sizeof *fill);
		for (size_t i = 0; i < n; i++)
			if (is_timed[i])
				est[fill[t[i].module]++] = t[i].est_us;
		hist__free(fill);
	}
	o = *off;
	if (mmedian[m] == MEDIAN_UNSET)
		mmedian[m] = o[m + 1] > o[m] ? hist__median(est + o[m], o[m + 1] - o[m]) : -1;
	if (mmedian[m] >= 0) {
		*out = mmedian[m];
		return HIST_OK;
	}
	if (*suite == MEDIAN_UNSET) {
		int64_t *all;

		*suite = 0;
		if (timed) {
			if (!(all = hist__malloc(timed * sizeof *all)))
				return HIST_E_NOMEM;
			memcpy(all, est, timed * sizeof *all);
			*suite = hist__median(all, timed);
			hist__free(all);
		}
	}
	*out = *suite;
	return HIST_OK;
}

int hist__suite_finish(hist__suite *s, int64_t test_overhead_us, hist__suite_result *res)
{
	static const stats no_stats = {-1, -1, 0, KIND_NONE};
	hist__plan_test *t = NULL;
	int64_t *est = NULL, *setup = NULL, *msetup = NULL, *mmedian = NULL, *mtypical = NULL, suite_median = MEDIAN_UNSET;
	uint32_t *who = NULL, *mopener = NULL;
	size_t *off = NULL, *fill = NULL, modules = 0, timed = 0, n;
	int *is_timed = NULL, error;

	memset(res, 0, sizeof *res);
	if (s->in_group && (error = end_group(s)) < 0)
		return error;
	if (!s->listed && (error = match_key_groups(s)) < 0)
		return error;
	res->key_only = s->key_only;
	/* place() checked the history's nodeids rise; tests known only by
	 * their key come after them, in any order. */
	res->in_name_order = !s->listed && !s->key_only;
	res->bad_ids = s->bad_ids;
	res->estimator = s->o.estimator;
	if (s->o.estimator == HIST_EST_AUTO) {
		/* The least error wins, ties in enum order; a history with no
		 * test seen twice cannot tell, and EMA (the default) stays. */
		res->estimator = HIST_EST_EMA;
		for (int e = 1; s->bt_n && e < HIST_EST_COUNT; e++)
			if (s->bt_err[e] < s->bt_err[res->estimator])
				res->estimator = (hist_estimator)e;
		memcpy(res->backtest_err_us, s->bt_err, sizeof res->backtest_err_us);
		res->backtest_n = s->bt_n;
	}
	n = s->n;
	/* The array warmed while the samples came, when it holds them all
	 * (every field of each test is set below). */
	if (n && n <= s->nst && s->pt) {
		t = s->pt;
		s->pt = NULL;
	}
	if ((s->o.spread && !(res->spread_us = hist__calloc(n ? n : 1, sizeof *res->spread_us))) ||
	    (!t && !(t = hist__calloc(n ? n : 1, sizeof *t))) ||
	    !(is_timed = hist__calloc(n ? n : 1, sizeof *is_timed)) ||
	    !(est = hist__malloc((n ? n : 1) * sizeof *est)) ||
	    !(setup = hist__malloc((n ? n : 1) * sizeof *setup)) ||
	    !(who = hist__malloc((n ? n : 1) * sizeof *who))) {
		error = hist__error(s->err, HIST_E_NOMEM, "out of memory");
		goto done;
	}
	/* Exact nodeid history first, else what its JUnit key found. */
	for (size_t i = 0; i < n; i++) {
		const entry *e = &s->t[i];
		uint32_t which, ahead = i + STATS_AHEAD < n ? s->t[i + STATS_AHEAD].exact : NONE_ENTRY;

		/* The stats lie in id order, the tests in name order: each would
		 * wait for memory, so the stats come asked for ahead. */
		if (ahead != NONE_ENTRY) {
			__builtin_prefetch(&s->st[ahead]);
			if (s->au)
				__builtin_prefetch(&s->au[ahead].alt[res->estimator]);
		}
		which = e->exact != NONE_ENTRY && s->st[e->exact].kind != KIND_NONE ? e->exact : e->key;
		const stats *st = which != NONE_ENTRY ? &s->st[which] : &no_stats;

		/* With a list, and for tests known only by their key, numbered
		 * here. */
		if (i == s->scoped && (error = take_scopes(s)) < 0)
			goto done;
		t[i] = (hist__plan_test){e->id, e->len, e->module,
		                         s->au ? (which != NONE_ENTRY ? s->au[which].alt[res->estimator] : -1) : st->est, 0,
		                         st->kind != KIND_NONE, 0, 0};
		if (res->spread_us)
			res->spread_us[i] = st->spread;
		is_timed[i] = st->kind == KIND_DURATION || st->kind == KIND_ERROR;
		setup[i] = st->kind == KIND_DURATION ? st->setup : -1;
		timed += (size_t)is_timed[i];
		res->without_history += st->kind == KIND_NONE;
	}
	modules = s->mods.count;
	if (!(msetup = hist__calloc(modules ? modules : 1, sizeof *msetup)) ||
	    !(mmedian = hist__malloc((modules ? modules : 1) * sizeof *mmedian)) ||
	    !(mtypical = hist__malloc((modules ? modules : 1) * sizeof *mtypical)) ||
	    !(mopener = hist__malloc((modules ? modules : 1) * sizeof *mopener)) ||
	    !(fill = hist__malloc((modules + 1) * sizeof *fill))) {
		error = hist__error(s->err, HIST_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t m = 0; m < modules; m++) {
		mtypical[m] = -1;
		mopener[m] = NONE_ENTRY;
		mmedian[m] = MEDIAN_UNSET;
	}
	res->fallback = timed == 0;
	/* Without its own history a test is like the others of its file, else
	 * like the suite. A history where every test has its own (the usual
	 * case) needs neither median: each is taken when a test first asks
	 * (MEDIAN_UNSET), and a median depends only on the values, not on the
	 * order the others' left them in. */
	for (size_t i = 0; i < n; i++) {
		if (res->fallback) {
			t[i].est_us = 0;
		} else if (!is_timed[i] && t[i].est_us < 0) {
			if ((error = fallback_estimate(&t[i].est_us, &off, est, &suite_median, mmedian, s->t, n, modules,
			                               is_timed, t, timed, t[i].module)) < 0) {
				error = hist__error(s->err, error, "out of memory");
				goto done;
			}
		}
	}
	/* A module's set-up: its tests' typical set-up phase is their median;
	 * the test that opens the module pays the module- and class-scoped
	 * fixtures on top. That excess is charged to each shard running part of
	 * the module instead of to the opener. pytest runs a module in collection
	 * order, so with the collected suite the opener is the module's first
	 * test; without it, the test with the largest set-up. */
	for (size_t i = 0; i < n; i++)
		is_timed[i] = setup[i] >= 0;
	hist__free(off);
	off = NULL;
	if (group_by_module(&off, modules, s->t, n, is_timed) < 0) {
		error = hist__error(s->err, HIST_E_NOMEM, "out of memory");
		goto done;
	}
	memcpy(fill, off, (modules + 1) * sizeof *fill);
	for (size_t i = 0; i < n; i++)
		if (is_timed[i]) {
			est[fill[t[i].module]] = setup[i];
			who[fill[t[i].module]++] = (uint32_t)i;
		}
	for (size_t m = 0; m < modules; m++) {
		size_t a = off[m], b = off[m + 1];
		uint32_t opener = NONE_ENTRY;
		int64_t typical, excess;

		if (b - a < 2)
			continue;
		for (size_t j = a; j < b; j++) {
			uint32_t i = who[j];
			/* who[] is in suite order: the first is the first collected. */
			if (s->listed) {
				opener = i;
				break;
			}
			if (opener == NONE_ENTRY || setup[i] > setup[opener] ||
			    (setup[i] == setup[opener] && strcmp(t[i].id, t[opener].id) < 0))
				opener = i;
		}
		typical = hist__median(est + a, b - a);
		mtypical[m] = typical;
		mopener[m] = opener;
		excess = setup[opener] - typical;
		if (excess < HIST_SCOPE_SETUP_MIN_US)
			continue;
		msetup[m] = excess;
		t[opener].est_us -= excess < t[opener].est_us ? excess : t[opener].est_us;
	}
	if ((error = class_setup(res, s, t, n, setup, mtypical, mopener)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		t[i].cost_us = t[i].est_us + test_overhead_us;
	res->tests = t;
	res->n = n;
	res->arena = s->arena;
	s->arena = NULL;
	t = NULL;
	res->module_setup = msetup;
	res->modules = modules;
	msetup = NULL;
	error = HIST_OK;
done:
	hist__free(t);
	hist__free(est);
	hist__free(setup);
	hist__free(msetup);
	hist__free(mmedian);
	hist__free(mtypical);
	hist__free(mopener);
	hist__free(who);
	hist__free(off);
	hist__free(fill);
	hist__free(is_timed);
	return error;
}

/* ------------------------------------------------------------------ */
/* Overheads                                                           */

/* A straight line y = a + b x through points (x_i, y_i), least squares,
 * when the x differ enough to tell a fixed part from a part per x: the
 * smallest x at most 3/4 of the largest (runs of one size give no slope).
 * Neither part is negative: a negative intercept becomes 0 and a negative
 * slope 0, the other part then the median (of y / x, of y) of the points.
 * Returns 1 when fitted, 0 when the points cannot tell (*a, *b untouched).
 * Sums run in input order in double: the same rows give the same line. */
static int fit_line(int64_t *a, int64_t *b, const int64_t *x, int64_t *y, int64_t *ratio, size_t n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, mx, my, den, fb, fa;
	int64_t lo = INT64_MAX, hi = 0;

	for (size_t i = 0; i < n; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	if (n < 2 || (double)lo > 0.75 * (double)hi)
		return 0;
	for (size_t i = 0; i < n; i++) {
		sx += (double)x[i];
		sy += (double)y[i];
	}
	mx = sx / (double)n;
	my = sy / (double)n;
	for (size_t i = 0; i < n; i++) {
		sxx += ((double)x[i] - mx) * ((double)x[i] - mx);
		sxy += ((double)x[i] - mx) * ((double)y[i] - my);
	}
	den = sxx > 0 ? sxx : 1;
	fb = sxy / den;
	fa = my - fb * mx;
	if (fb < 0) {
		*b = 0;
		*a = hist__median(y, n); /* reorders y, which is done with */
	} else if (fa < 0) {
		*a = 0;
		*b = hist__median(ratio, n);
	} else {
		*a = (int64_t)(fa + 0.5);
		*b = (int64_t)(fb + 0.5);
	}
	return 1;
}

size_t hist__estimate_near_runs(unsigned char *near, size_t window, const hist__input_row *rows, size_t n,
	int64_t suite_tests, int64_t shards)
{
	int64_t tests[HIST__STORE_MAX_WINDOW] = {0}, inputs[HIST__STORE_MAX_WINDOW] = {0};
	size_t count = 0;

	window = window < HIST__STORE_MAX_WINDOW ? window : HIST__STORE_MAX_WINDOW;
	memset(near, 0, window);
	if (suite_tests <= 0 || shards <= 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].age < window && rows[i].tests > 0) {
			tests[rows[i].age] += rows[i].tests;
			inputs[rows[i].age]++;
		}
	/* A run's process size is its tests per input (each input one
	 * process; an xdist worker collects its input's whole list too),
	 * compared with suite_tests / shards without rounding: the shards of
	 * a plan of 2N are within the factor of a plan of N's. */
	for (size_t a = 0; a < window; a++)
		if (inputs[a] && tests[a] * shards <= 2 * suite_tests * inputs[a] &&
		    2 * tests[a] * shards >= suite_tests * inputs[a]) {
			near[a] = 1;
			count++;
		}
	return count;
}

/* An input whose wall tells the session's cost: under xdist the tests'
 * time adds up over workers and says nothing of the wall. */
static int wall_tells(const hist__input_row *r)
{
	return r->wall_us >= 0 && r->tests > 0 && r->workers <= 0;
}

int hist__estimate_overheads(hist__overheads *out, const hist__input_row *rows, size_t n)
{
	int64_t *rx, *ry, *rr, *cx, *cy, *cr, *su, a, b, startup = 0;
	size_t nr = 0, nc = 0, nsu = 0, size = (n ? n : 1) * sizeof *rx;
	int error = HIST_OK;

	out->test_overhead_us = out->shard_overhead_us = out->collect_per_test_us = -1;
	out->startup_us = out->collect_fixed_us = 0;
	out->fitted = 0;
	rx = hist__malloc(size);
	ry = hist__malloc(size);
	rr = hist__malloc(size);
	cx = hist__malloc(size);
	cy = hist__malloc(size);
	cr = hist__malloc(size);
	su = hist__malloc(size);
	if (!rx || !ry || !rr || !cx || !cy || !cr || !su) {
		error = HIST_E_NOMEM;
		goto done;
	}
	/* Session records that time the start-up (from the process's start to
	 * the session's) take it out of the line below, so it is known from
	 * the first serial run on instead of from shards of several sizes;
	 * then inputs without one (JUnit, older reports) do not mix into it. */
	for (size_t i = 0; i < n; i++)
		if (wall_tells(&rows[i]) && rows[i].startup_us >= 0)
			su[nsu++] = rows[i].startup_us;
	for (size_t i = 0; i < n; i++) {
		int64_t wall = rows[i].wall_us, coll = rows[i].collect_us, tests = rows[i].tests;

		/* What the session cost beyond its start-up, collection and the
		 * tests' own time: pytest's work around each test, plus the
		 * start-up where no record times it. */
		if (wall_tells(&rows[i]) && (!nsu || rows[i].startup_us >= 0)) {
			int64_t rest = wall - (nsu ? rows[i].startup_us : 0) - (coll >= 0 ? coll : 0) - rows[i].test_us;
			rx[nr] = tests;
			ry[nr] = rest > 0 ? rest : 0;
			rr[nr] = ry[nr] / tests;
			nr++;
		}
		/* Collection: importing what every shard imports, plus a part
		 * that grows with what the shard collects. */
		if (coll >= 0 && tests > 0) {
			cx[nc] = tests;
			cy[nc] = coll;
			cr[nc] = coll / tests;
			nc++;
		}
	}
	/* Inputs of different sizes (the shards of plans with different N, a
	 * serial run beside its shards) tell the fixed part from the part per
	 * test. Runs of one size cannot: then, as before any shard ran, all of
	 * it is per test (the median ratio) and the fixed parts are 0. */
	if (nsu)
		startup = hist__median(su, nsu);
	if (fit_line(&a, &b, rx, ry, rr, nr)) {
		out->startup_us = startup + a;
		out->test_overhead_us = b;
		out->fitted |= 1;
	} else if (nr) {
		out->startup_us = startup;
		out->test_overhead_us = hist__median(rr, nr);
	}
	if (fit_line(&a, &b, cx, cy, cr, nc)) {
		out->collect_fixed_us = a;
		out->collect_per_test_us = b;
		out->fitted |= 2;
	} else if (nc) {
		out->collect_per_test_us = hist__median(cr, nc);
	}
	/* Collection records stand for whole collections per test, so none is
	 * left for a start-up until a fit or a timed start-up tells one. */
	if (out->fitted || nc || nsu)
		out->shard_overhead_us = out->startup_us + out->collect_fixed_us;
done:
	hist__free(rx);
	hist__free(ry);
	hist__free(rr);
	hist__free(cx);
	hist__free(cy);
	hist__free(cr);
	hist__free(su);
	return error;
}
