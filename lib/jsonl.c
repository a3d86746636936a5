/* jsonl.c - JSON inputs: pytest-reportlog, hist and pytest-balance JSONL,
 * pytest-split .test_durations.
 * Owns: telling the formats apart from their first bytes, and turning each
 * format's lines into one hist__record per test and one hist__session.
 * Not here: tokens, UTF-8 and caps (json.c), numbers (num.c), storage. */
#include "jsonl.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "hash.h"
#include "json.h"
#include "nodeid.h"
#include "num.h"

/* A physical line past this is refused: reportlog lines carry captured
 * output and tracebacks, a few MB at worst. */
#define LINE_MAX_BYTES ((size_t)64 * 1024 * 1024)
/* Nodeids and the other strings kept (outcome, phase, plan id). */
#define TEXT_MAX (64 * 1024)
/* Room for a field's number: more than json.c lets a number be. */
#define NUMBER_BYTES 1100
/* Room for a keyword value (an outcome, a phase): longer is an error. */
#define WORD_BYTES 64

/* ------------------------------------------------------------------ */
/* Sniffing                                                            */

/* Walks the first object in data (as far as data goes): which keys it has
 * at the top level and whether the first member's value is a number. */
hist_format hist__jsonl_sniff(const unsigned char *data, size_t len)
{
	int depth = 0, in_str = 0, esc = 0, key_pending = 0, members = 0, after_colon = 0;
	int reportlog = 0, hist = 0, balance = 0, first_number = 0, nodeid = 0, when = 0;
	size_t i = hist__utf8_bom_len(data, len), start = 0;

	if (!hist__json_looks_like_object(data + i, len - i))
		return HIST_FORMAT_UNKNOWN;
	for (; i < len; i++) {
		unsigned char c = data[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				in_str = 0;
				key_pending = depth == 1 && !after_colon;
				if (key_pending) {
					const char *k = (const char *)data + start;
					size_t n = i - start;

#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
					reportlog |= IS("$report_type");
					hist |= IS("hist");
					balance |= IS("test_id");
					nodeid |= IS("nodeid");
					when |= IS("when");
#undef IS
				}
			}
			continue;
		}
		if (c == '"') {
			in_str = 1;
			start = i + 1;
		} else if (c == '{' || c == '[') {
			depth++;
			after_colon = 0;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				if (members == 0)
					return HIST_FORMAT_DURATIONS; /* "{}": no tests */
				break;
			}
		} else if (c == ':' && depth == 1) {
			after_colon = 1;
			members++;
		} else if (c == ',' && depth == 1) {
			after_colon = 0;
		} else if (depth == 1 && after_colon && members == 1 && (c == '-' || (c >= '0' && c <= '9'))) {
			first_number = 1;
		}
	}
	if (reportlog)
		return HIST_FORMAT_REPORTLOG;
	if (hist)
		return HIST_FORMAT_HIST;
	if (balance)
		return HIST_FORMAT_BALANCE;
	if (first_number)
		return HIST_FORMAT_DURATIONS;
	if (nodeid && when)
		return HIST_FORMAT_REPORTLOG; /* a TestReport line too long to see its end */
	return HIST_FORMAT_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* One JSONL line into named fields                                    */

enum { F_ABSENT = 0, F_STRING, F_NUMBER, F_NULL, F_TRUE, F_FALSE, F_OTHER };

typedef struct {
	const char *key;
	int keep;  /* keep a string value */
	int type;  /* of the value read, F_* */
	hist__buf val;
} field;

/* The most fields a format reads (parse_hist's). */
#define MAX_FIELDS 24

typedef struct {
	hist__json js;
	const char *name;
	const hist__sink *sink;
	hist__err *err;
	hist__session session;
	hist__buf plan_id;
	unsigned long line; /* where the current object started */
	hist__json_member members[MAX_FIELDS]; /* the fast path's view of members_of */
	const field *members_of;
} reader;

static int type_of(hist__json_token t)
{
	switch (t) {
	case HIST__JSON_EOF: return F_ABSENT;
	case HIST__JSON_STRING: return F_STRING;
	case HIST__JSON_NUMBER: return F_NUMBER;
	case HIST__JSON_NULL: return F_NULL;
	case HIST__JSON_TRUE: return F_TRUE;
	case HIST__JSON_FALSE: return F_FALSE;
	default: return F_OTHER;
	}
}

static int nomem(reader *r)
{
	return hist__error(r->err, HIST_E_NOMEM, "%s: out of memory", r->name);
}

/* The common line, read whole (json.c's fast path); 1 when it was. */
static int read_fast(reader *r, field *f, size_t nf)
{
	hist__json_member *m = r->members;

	if (nf > MAX_FIELDS)
		return 0;
	/* The members are set up once per format, not once a line. */
	if (r->members_of != f) {
		for (size_t i = 0; i < nf; i++) {
			m[i].key = f[i].key;
			m[i].key_len = strlen(f[i].key);
			m[i].keep = f[i].keep;
			m[i].val = &f[i].val;
		}
		r->members_of = f;
	}
	if (!hist__json_fast_object(&r->js, m, nf, &r->line))
		return 0;
	for (size_t i = 0; i < nf; i++)
		f[i].type = type_of(m[i].found);
	return 1;
}

/* Reads one object (one line) into fields; 1 read, 0 at the end. */
static int read_object(reader *r, field *f, size_t nf)
{
	hist__json_token t;
	int error;

	if (read_fast(r, f, nf))
		return 1;
	for (size_t i = 0; i < nf; i++) {
		f[i].type = F_ABSENT;
		hist__buf_clear(&f[i].val);
	}
	if ((error = hist__json_next(&r->js, &t, 0)) < 0)
		return error;
	if (t == HIST__JSON_EOF)
		return 0;
	r->line = r->js.line;
	if (t != HIST__JSON_OBJECT)
		return hist__json_error(&r->js, "expected a JSON object");
	if ((error = hist__json_next(&r->js, &t, 1)) < 0)
		return error;
	while (t != HIST__JSON_OBJECT_END) {
		field *x = NULL;

		if (t != HIST__JSON_STRING)
			return hist__json_error(&r->js, "expected a string key");
		/* The first byte rejects most keys before a full compare. */
		for (size_t i = 0; i < nf && !x; i++)
			if (f[i].key[0] == hist__buf_cstr(&r->js.text)[0] &&
				strcmp(hist__buf_cstr(&r->js.text), f[i].key) == 0 && strlen(f[i].key) == r->js.text.len)
				x = &f[i];
		if ((error = hist__json_next(&r->js, &t, 0)) < 0)
			return error;
		if (t != HIST__JSON_COLON)
			return hist__json_error(&r->js, "expected ':'");
		if ((error = hist__json_next(&r->js, &t, x && x->keep)) < 0)
			return error;
		if (x) {
			hist__buf_clear(&x->val);
			x->type = type_of(t);
			if ((x->type == F_STRING && x->keep) || x->type == F_NUMBER) {
				if ((error = hist__buf_put(&x->val, r->js.text.ptr, r->js.text.len)) < 0)
					return error == HIST_E_NOMEM ? nomem(r) : hist__json_error(&r->js, "value too long");
			}
		}
		if ((error = hist__json_skip(&r->js, t)) < 0 || (error = hist__json_next(&r->js, &t, 1)) < 0)
			return error;
		if (t == HIST__JSON_COMMA) {
			if ((error = hist__json_next(&r->js, &t, 1)) < 0)
				return error;
			if (t == HIST__JSON_OBJECT_END)
				return hist__json_error(&r->js, "expected a string key");
		} else if (t != HIST__JSON_OBJECT_END) {
			return hist__json_error(&r->js, "expected ',' or '}'");
		}
	}
	if ((error = hist__json_end_line(&r->js)) < 0)
		return error;
	return 1;
}

static void free_fields(field *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++)
		hist__buf_free(&f[i].val);
}

static int is(const field *f, const char *s)
{
	return f->type == F_STRING && strcmp(hist__buf_cstr(&f->val), s) == 0 && strlen(s) == f->val.len;
}

/* Seconds to µs; -1 when absent, null, or not a usable number. */
static int64_t seconds(const field *f)
{
	return f->type == F_NUMBER ? hist__num_json_seconds_us(f->val.ptr, f->val.len) : -1;
}

static int integer(const field *f, long lo, long hi, long *out)
{
	int64_t us;

	if (f->type != F_NUMBER)
		return 0;
	us = hist__num_json_seconds_us(f->val.ptr, f->val.len);
	if (us < 0 || us % 1000000 || us / 1000000 < lo || us / 1000000 > hi)
		return -1;
	*out = (long)(us / 1000000);
	return 1;
}

static int outcome_of(const field *f, hist_outcome *out, int *rerun)
{
	*rerun = is(f, "rerun");
	for (int i = 0; i < HIST_OUTCOME_COUNT; i++)
		if (is(f, hist_outcome_name((hist_outcome)i))) {
			*out = (hist_outcome)i;
			return 0;
		}
	return *rerun ? 0 : -1;
}

/* id is the caller's own copy: an xdist "@group" suffix is cut off in
 * place. The length kept, or a HIST_E_PARSE for an id no test has. */
static int normalise(reader *r, char *id, size_t len, size_t *out, unsigned long line)
{
	*out = hist__nodeid_strip_group(id, len, 0);
	id[*out] = '\0';
	if (*out == 0)
		return hist__error(r->err, HIST_E_PARSE, "%s:%lu: empty nodeid", r->name, line);
	/* JSON can spell U+0000 ("\u0000"); no test name holds one, and every
	 * reader after us would cut the id there. */
	if (memchr(id, '\0', *out))
		return hist__error(r->err, HIST_E_PARSE, "%s:%lu: nodeid contains U+0000", r->name, line);
	return HIST_OK;
}

static int send(reader *r, char *id, size_t len, hist_outcome o, int64_t dur, int64_t setup,
	unsigned attempts, unsigned long line)
{
	hist__record rec;
	int error;

	if ((error = normalise(r, id, len, &rec.id_len, line)) < 0)
		return error;
	rec.id = id;
	rec.id_is_key = 0;
	rec.outcome = o;
	rec.duration_us = dur;
	rec.setup_us = setup;
	rec.attempts = attempts ? attempts : 1;
	rec.line = line;
	return r->sink->record(r->sink->ctx, &rec);
}

static void lower_start(reader *r, int64_t us)
{
	if (us >= 0 && (r->session.start_us < 0 || us < r->session.start_us))
		r->session.start_us = us;
}

/* ------------------------------------------------------------------ */
/* Tests still open (reportlog, balance): phases of different tests
 * interleave under xdist, so each is kept by nodeid until its teardown.
 * The table holds as many tests as run at once, not the file. */

typedef struct {
	char *id;
	size_t len;
	uint64_t hash;
	uint64_t seq;         /* opening order, for what is left at the end */
	int64_t phase[3];     /* setup, call, teardown of this attempt; -1 none */
	int outcome[3];       /* per phase, -1 none */
	int xfail[3];         /* wasxfail on that phase */
	unsigned attempts;
	int rerun_marked;     /* the attempt was retried; its lines are done */
} open_test;

typedef struct {
	open_test **slot;
	size_t cap, count;
	uint64_t seq;
} open_map;

static open_test *map_find(open_map *m, const char *id, size_t len, uint64_t h, size_t *at)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = h & (m->cap - 1); m->slot[i]; i = (i + 1) & (m->cap - 1))
		if (m->slot[i]->hash == h && m->slot[i]->len == len && memcmp(m->slot[i]->id, id, len) == 0)
			break;
	*at = i;
	return m->slot[i];
}

static int map_grow(open_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	open_test **s = hist__calloc(cap, sizeof *s);

	if (!s)
		return HIST_E_NOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slot[i]) {
			size_t k = m->slot[i]->hash & (cap - 1);

			while (s[k])
				k = (k + 1) & (cap - 1);
			s[k] = m->slot[i];
		}
	}
	hist__free(m->slot);
	m->slot = s;
	m->cap = cap;
	return HIST_OK;
}

static int map_open(open_map *m, const char *id, size_t len, open_test **out)
{
	uint64_t h = hist__hash_bytes(id, len);
	size_t at = 0;
	open_test *t = map_find(m, id, len, h, &at);

	if (t) {
		*out = t;
		return HIST_OK;
	}
	if ((m->count + 1) * 2 > m->cap) {
		if (map_grow(m) < 0)
			return HIST_E_NOMEM;
		map_find(m, id, len, h, &at);
	}
	/* One block: the entry, then its id. */
	if (len > SIZE_MAX - sizeof *t - 1 || !(t = hist__malloc(sizeof *t + len + 1)))
		return HIST_E_NOMEM;
	memset(t, 0, sizeof *t);
	t->id = (char *)(t + 1);
	memcpy(t->id, id, len);
	t->id[len] = '\0';
	t->len = len;
	t->hash = h;
	t->seq = m->seq++;
	t->attempts = 1;
	for (int p = 0; p < 3; p++)
		t->phase[p] = t->outcome[p] = -1;
	m->slot[at] = t;
	m->count++;
	*out = t;
	return HIST_OK;
}

/* Removes t (linear probing: later entries of its run shift back). */
static void map_close(open_map *m, open_test *t)
{
	size_t at = 0, i, j;

	map_find(m, t->id, t->len, t->hash, &at);
	m->slot[at] = NULL;
	m->count--;
	for (i = (at + 1) & (m->cap - 1); m->slot[i]; i = (i + 1) & (m->cap - 1)) {
		open_test *x = m->slot[i];

		m->slot[i] = NULL;
		for (j = x->hash & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1))
			;
		m->slot[j] = x;
	}
	hist__free(t);
}

static int by_seq(const void *a, const void *b)
{
	const open_test *x = *(open_test *const *)a, *y = *(open_test *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void map_free(open_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i])
			hist__free(m->slot[i]);
	hist__free(m->slot);
	memset(m, 0, sizeof *m);
}

/* The final attempt's outcome from its phases, as pytest's terminal
 * summary counts them (tests/vectors/outcome.tsv): a failed or skipped
 * setup decides; a failed teardown makes an error of whatever came before
 * (also of a failed call); a skipped teardown (an xfail there) makes an
 * expected failure of a pass. */
static hist_outcome final_outcome(const open_test *t)
{
	hist_outcome o = HIST_OUTCOME_PASSED;

	if (t->outcome[0] == HIST_OUTCOME_FAILED)
		o = HIST_OUTCOME_ERROR;
	else if (t->outcome[0] == HIST_OUTCOME_SKIPPED)
		o = t->xfail[0] ? HIST_OUTCOME_XFAILED : HIST_OUTCOME_SKIPPED;
	else if (t->outcome[1] == HIST_OUTCOME_PASSED)
		o = t->xfail[1] ? HIST_OUTCOME_XPASSED : HIST_OUTCOME_PASSED;
	else if (t->outcome[1] == HIST_OUTCOME_FAILED)
		o = HIST_OUTCOME_FAILED;
	else if (t->outcome[1] == HIST_OUTCOME_SKIPPED)
		o = t->xfail[1] ? HIST_OUTCOME_XFAILED : HIST_OUTCOME_SKIPPED;
	if (t->outcome[2] == HIST_OUTCOME_FAILED)
		o = HIST_OUTCOME_ERROR;
	else if (t->outcome[2] == HIST_OUTCOME_SKIPPED && o != HIST_OUTCOME_ERROR && o != HIST_OUTCOME_FAILED)
		o = HIST_OUTCOME_XFAILED;
	return o;
}

/* setup + call + teardown, leaving out unknown (-1) phases; -1 when all
 * are unknown. */
static int64_t phase_sum(const int64_t phase[3])
{
	int64_t sum = -1;

	for (int p = 0; p < 3; p++)
		if (phase[p] >= 0)
			sum = (sum < 0 ? 0 : sum) + phase[p];
	return sum;
}

static int emit_open(reader *r, open_map *m, open_test *t, unsigned long line, int reportlog)
{
	int error = send(r, t->id, t->len, reportlog ? final_outcome(t) : HIST_OUTCOME_PASSED, phase_sum(t->phase),
		t->phase[0], t->attempts, line);

	map_close(m, t);
	return error;
}

/* What is still open at the end (an interrupted run, a file cut at a line
 * end) is sent as far as it got, in the order the tests started. */
static int emit_rest(reader *r, open_map *m, int reportlog)
{
	open_test **all;
	size_t n = 0;
	int error = HIST_OK;

	if (!m->count)
		return HIST_OK;
	if (!(all = hist__malloc(m->count * sizeof *all)))
		return nomem(r);
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i])
			all[n++] = m->slot[i];
	qsort(all, n, sizeof *all, by_seq);
	for (size_t i = 0; i < n && !error; i++) {
		/* A reportlog test that stopped after a passed setup has no result
		 * to tell: it is left out rather than called passed. */
		if (reportlog && all[i]->outcome[1] < 0 && all[i]->outcome[0] == HIST_OUTCOME_PASSED)
			map_close(m, all[i]);
		else
			error = emit_open(r, m, all[i], r->js.line, reportlog);
	}
	hist__free(all);
	return error;
}

static int phase_index(const field *when)
{
	return is(when, "setup") ? 0 : is(when, "call") ? 1 : is(when, "teardown") ? 2 : -1;
}

/* ------------------------------------------------------------------ */
/* The formats                                                         */

static int parse_reportlog(reader *r)
{
	enum { TYPE, NODEID, WHEN, OUTCOME, DURATION, WASXFAIL, START, NF };
	field f[NF] = { { "$report_type", 1, 0, HIST__BUF_INIT(TEXT_MAX) }, { "nodeid", 1, 0, HIST__BUF_INIT(TEXT_MAX) },
		{ "when", 1, 0, HIST__BUF_INIT(WORD_BYTES) }, { "outcome", 1, 0, HIST__BUF_INIT(WORD_BYTES) },
		{ "duration", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "wasxfail", 0, 0, HIST__BUF_INIT(WORD_BYTES) },
		{ "start", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) } };
	open_map m = { NULL, 0, 0, 0 };
	open_test *t;
	int error, got, p;

	while ((got = error = read_object(r, f, NF)) > 0) {
		hist_outcome o = HIST_OUTCOME_PASSED;
		int rerun = 0;

		if (!is(&f[TYPE], "TestReport"))
			continue; /* SessionStart, CollectReport, WarningMessage... */
		if (f[NODEID].type != F_STRING || (p = phase_index(&f[WHEN])) < 0) {
			error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: TestReport without a nodeid or phase", r->name,
				r->line);
			break;
		}
		if (outcome_of(&f[OUTCOME], &o, &rerun) < 0 ||
			(!rerun && o != HIST_OUTCOME_PASSED && o != HIST_OUTCOME_FAILED && o != HIST_OUTCOME_SKIPPED)) {
			error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: unknown outcome \"%.40s\"", r->name, r->line,
				hist__buf_cstr(&f[OUTCOME].val));
			break;
		}
		if ((error = map_open(&m, f[NODEID].val.ptr, f[NODEID].val.len, &t)) < 0) {
			error = nomem(r);
			break;
		}
		lower_start(r, seconds(&f[START]));
		if (rerun) {
			/* pytest-rerunfailures: this attempt is retried; its times do
			 * not count, only that it happened. */
			if (!t->rerun_marked) {
				t->attempts++;
				t->rerun_marked = 1;
			}
			continue;
		}
		if (t->rerun_marked) {
			t->rerun_marked = 0;
			for (int k = 0; k < 3; k++)
				t->phase[k] = t->outcome[k] = -1, t->xfail[k] = 0;
		}
		t->phase[p] = seconds(&f[DURATION]);
		t->outcome[p] = (int)o;
		t->xfail[p] = f[WASXFAIL].type != F_ABSENT && f[WASXFAIL].type != F_NULL;
		if (p == 2 && (error = emit_open(r, &m, t, r->line, 1)) < 0)
			break;
	}
	if (got == 0)
		error = emit_rest(r, &m, 1);
	map_free(&m);
	free_fields(f, NF);
	return error;
}

static int parse_hist(reader *r)
{
	enum { HIST, TYPE, NODEID, OUTCOME, ATTEMPT, SETUP, CALL, TEARDOWN, START, COLLECT, WALL, WORKERS,
		PLAN, SHARD, SHARDS, INTERRUPTED, GROUP, STARTUP, PRUNED, NF };
	field f[NF] = { { "hist", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "type", 1, 0, HIST__BUF_INIT(WORD_BYTES) },
		{ "nodeid", 1, 0, HIST__BUF_INIT(TEXT_MAX) }, { "outcome", 1, 0, HIST__BUF_INIT(WORD_BYTES) },
		{ "attempt", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "setup", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "call", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "teardown", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "start", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "collect", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "wall", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "workers", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "plan_id", 1, 0, HIST__BUF_INIT(1024) }, { "shard", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "shards", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) }, { "interrupted", 0, 0, HIST__BUF_INIT(WORD_BYTES) },
		{ "group", 1, 0, HIST__BUF_INIT(TEXT_MAX) }, { "startup", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "pruned", 0, 0, HIST__BUF_INIT(WORD_BYTES) } };
	int error, got, mark;
	long v;

	while ((got = error = read_object(r, f, NF)) > 0) {
		if (integer(&f[HIST], 1, 1, &v) != 1) {
			error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: not a hist version 1 line (\"hist\": 1)",
				r->name, r->line);
			break;
		}
		if (is(&f[TYPE], "test")) {
			hist_outcome o = HIST_OUTCOME_PASSED;
			int64_t ph[3] = { seconds(&f[SETUP]), seconds(&f[CALL]), seconds(&f[TEARDOWN]) };
			int rerun = 0;
			long attempt = 1;

			if (f[NODEID].type != F_STRING) {
				error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: test line without a nodeid", r->name,
					r->line);
				break;
			}
			if (outcome_of(&f[OUTCOME], &o, &rerun) < 0) {
				error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: unknown outcome \"%.40s\"", r->name,
					r->line, hist__buf_cstr(&f[OUTCOME].val));
				break;
			}
			if (integer(&f[ATTEMPT], 1, 1000000, &attempt) < 0) {
				error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: attempt is not a positive integer",
					r->name, r->line);
				break;
			}
			lower_start(r, seconds(&f[START]));
			if (rerun)
				continue; /* the final attempt's line carries the count */
			/* A test's group key (--hist-group-marker) goes just before
			 * its record, to the plan check. */
			if (f[GROUP].type == F_STRING && r->sink->mark &&
				(error = r->sink->mark(r->sink->ctx, HIST__MARK_GROUP, f[GROUP].val.ptr, f[GROUP].val.len,
				     r->line)) < 0)
				break;
			if ((error = send(r, f[NODEID].val.ptr, f[NODEID].val.len, o, phase_sum(ph), ph[0], (unsigned)attempt,
				     r->line)) < 0)
				break;
		} else if ((mark = is(&f[TYPE], "deselected") ? HIST__MARK_DESELECTED
				: is(&f[TYPE], "gone")             ? HIST__MARK_GONE
				: is(&f[TYPE], "interrupted")      ? HIST__MARK_INTERRUPTED
								   : -1) >= 0) {
			/* No result: a cut-off test's partial time is no duration.
			 * Only the plan check reads these. */
			size_t len;

			if (f[NODEID].type != F_STRING) {
				error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: %s line without a nodeid", r->name,
					r->line, hist__buf_cstr(&f[TYPE].val));
				break;
			}
			if ((error = normalise(r, f[NODEID].val.ptr, f[NODEID].val.len, &len, r->line)) < 0)
				break;
			if (mark == HIST__MARK_GONE && f[PRUNED].type == F_TRUE)
				mark = HIST__MARK_GONE_PRUNED;
			if (r->sink->mark &&
				(error = r->sink->mark(r->sink->ctx, (hist__mark)mark, f[NODEID].val.ptr, len, r->line)) < 0)
				break;
		} else if (is(&f[TYPE], "session")) {
			long k = 0, n = 0, w = 0;

			/* The session's own start wins over its tests' first start. */
			if (seconds(&f[START]) >= 0)
				r->session.start_us = seconds(&f[START]);
			r->session.collect_us = seconds(&f[COLLECT]);
			r->session.wall_us = seconds(&f[WALL]);
			r->session.startup_us = seconds(&f[STARTUP]);
			if (integer(&f[WORKERS], 0, 100000, &w) < 0 || integer(&f[SHARD], 1, HIST_MAX_SHARDS, &k) < 0 ||
				integer(&f[SHARDS], 1, HIST_MAX_SHARDS, &n) < 0 || k > n || (k && !n)) {
				error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: bad workers, shard or shards", r->name,
					r->line);
				break;
			}
			if (f[INTERRUPTED].type != F_ABSENT && f[INTERRUPTED].type != F_NULL &&
				f[INTERRUPTED].type != F_TRUE && f[INTERRUPTED].type != F_FALSE) {
				error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: interrupted is not true or false",
					r->name, r->line);
				break;
			}
			r->session.interrupted = f[INTERRUPTED].type == F_TRUE;
			r->session.workers = (int)w;
			r->session.shard_index = (int)k;
			r->session.shard_total = (int)n;
			hist__buf_clear(&r->plan_id);
			r->session.plan_id = NULL;
			if (f[PLAN].type == F_STRING) {
				if (hist__buf_put(&r->plan_id, f[PLAN].val.ptr, f[PLAN].val.len) < 0) {
					error = nomem(r);
					break;
				}
				r->session.plan_id = hist__buf_cstr(&r->plan_id);
			}
		}
		/* Other types are for newer readers. */
	}
	free_fields(f, NF);
	return got == 0 ? HIST_OK : error;
}

/* pytest-balance: one line per phase (or per test, without "phase"); a
 * test is done at its teardown line, and a phase it already has starts a
 * new attempt (a rerun: counted, its earlier phases dropped). One input is
 * one run, so a second run_id is refused: folding two runs into one would
 * sum their phases or keep one run's durations only. */
static int parse_balance(reader *r)
{
	enum { TEST_ID, DURATION, TIMESTAMP, PHASE, RUN_ID, NF };
	field f[NF] = { { "test_id", 1, 0, HIST__BUF_INIT(TEXT_MAX) }, { "duration", 0, 0, HIST__BUF_INIT(NUMBER_BYTES) },
		{ "timestamp", 1, 0, HIST__BUF_INIT(256) }, { "phase", 1, 0, HIST__BUF_INIT(WORD_BYTES) },
		{ "run_id", 1, 0, HIST__BUF_INIT(TEXT_MAX) } };
	hist__buf run = HIST__BUF_INIT(TEXT_MAX);
	unsigned long run_line = 0;
	open_map m = { NULL, 0, 0, 0 };
	open_test *t;
	int error, got, p;

	while ((got = error = read_object(r, f, NF)) > 0) {
		int64_t us = seconds(&f[DURATION]), ts = -1;

		if (f[TEST_ID].type != F_STRING) {
			error = hist__error(r->err, HIST_E_PARSE, "%s:%lu: line without a test_id", r->name, r->line);
			break;
		}
		if (f[TIMESTAMP].type == F_NUMBER)
			ts = seconds(&f[TIMESTAMP]);
		else if (f[TIMESTAMP].type == F_STRING && hist__num_iso8601_us(&ts, f[TIMESTAMP].val.ptr,
								     f[TIMESTAMP].val.len) < 0)
			ts = -1;
		lower_start(r, ts);
		if (f[RUN_ID].type == F_STRING && !run_line) {
			if (hist__buf_put(&run, f[RUN_ID].val.ptr, f[RUN_ID].val.len) < 0) {
				error = nomem(r);
				break;
			}
			run_line = r->line;
		} else if (f[RUN_ID].type == F_STRING &&
			   (run.len != f[RUN_ID].val.len || memcmp(run.ptr, f[RUN_ID].val.ptr, run.len) != 0)) {
			error = hist__error(r->err, HIST_E_PARSE,
					    "%s:%lu: run_id \"%.*s\" after \"%.*s\" of line %lu: one input is one run; "
					    "split the file by run_id",
					    r->name, r->line, (int)(f[RUN_ID].val.len > 200 ? 200 : f[RUN_ID].val.len),
					    f[RUN_ID].val.ptr, (int)(run.len > 200 ? 200 : run.len), run.ptr, run_line);
			break;
		}
		p = f[PHASE].type == F_STRING ? phase_index(&f[PHASE]) : 2;
		if (p < 0)
			continue; /* a phase it does not know */
		if ((error = map_open(&m, f[TEST_ID].val.ptr, f[TEST_ID].val.len, &t)) < 0) {
			error = nomem(r);
			break;
		}
		if (t->phase[p] >= 0 || (p == 0 && t->phase[1] >= 0)) {
			t->attempts++;
			for (int q = 0; q < 3; q++)
				t->phase[q] = -1;
		}
		if (us >= 0)
			t->phase[p] = (t->phase[p] < 0 ? 0 : t->phase[p]) + us;
		if (p == 2 && (error = emit_open(r, &m, t, r->line, 0)) < 0)
			break;
	}
	if (got == 0)
		error = emit_rest(r, &m, 0);
	map_free(&m);
	free_fields(f, NF);
	hist__buf_free(&run);
	return error;
}

/* pytest-split: {"nodeid": seconds, ...}, streamed member by member. */
static int parse_durations(reader *r)
{
	hist__json_token t;
	hist__buf id = HIST__BUF_INIT(TEXT_MAX);
	int error;

	if ((error = hist__json_next(&r->js, &t, 0)) < 0)
		goto done;
	if (t != HIST__JSON_OBJECT) {
		error = hist__json_error(&r->js, "expected a JSON object of nodeid: seconds");
		goto done;
	}
	if ((error = hist__json_next(&r->js, &t, 1)) < 0)
		goto done;
	while (t != HIST__JSON_OBJECT_END) {
		unsigned long line = r->js.line;
		int64_t us;

		if (t != HIST__JSON_STRING) {
			error = hist__json_error(&r->js, "expected a nodeid");
			goto done;
		}
		hist__buf_clear(&id);
		if ((error = hist__buf_put(&id, r->js.text.ptr, r->js.text.len)) < 0) {
			error = nomem(r);
			goto done;
		}
		if ((error = hist__json_next(&r->js, &t, 0)) < 0)
			goto done;
		if (t != HIST__JSON_COLON) {
			error = hist__json_error(&r->js, "expected ':'");
			goto done;
		}
		if ((error = hist__json_next(&r->js, &t, 0)) < 0)
			goto done;
		if (t != HIST__JSON_NUMBER) {
			error = hist__json_error(&r->js, "expected a number of seconds");
			goto done;
		}
		us = hist__num_json_seconds_us(r->js.text.ptr, r->js.text.len);
		if ((error = send(r, id.ptr, id.len, HIST_OUTCOME_PASSED, us, -1, 1, line)) < 0)
			goto done;
		if ((error = hist__json_next(&r->js, &t, 1)) < 0)
			goto done;
		if (t == HIST__JSON_COMMA) {
			if ((error = hist__json_next(&r->js, &t, 1)) < 0)
				goto done;
			if (t != HIST__JSON_STRING) {
				error = hist__json_error(&r->js, "expected a nodeid");
				goto done;
			}
		} else if (t != HIST__JSON_OBJECT_END) {
			error = hist__json_error(&r->js, "expected ',' or '}'");
			goto done;
		}
	}
	if ((error = hist__json_next(&r->js, &t, 0)) < 0)
		goto done;
	if (t != HIST__JSON_EOF)
		error = hist__json_error(&r->js, "text after the durations object");
done:
	hist__buf_free(&id);
	return error;
}

int hist__jsonl_parse(hist__input *in, hist_format format, const hist__sink *sink, hist__err *err)
{
	reader r;
	const unsigned char *p;
	unsigned char bom[3];
	int error;

	memset(&r, 0, sizeof r);
	r.name = hist__input_name(in);
	r.sink = sink;
	r.err = err;
	r.session = (hist__session)HIST__SESSION_INIT;
	r.plan_id = (hist__buf)HIST__BUF_INIT(1024);
	if ((error = hist__json_init(&r.js, in, LINE_MAX_BYTES, TEXT_MAX, err)) < 0)
		goto done;
	/* A UTF-8 BOM (Windows editors) is not JSON; skip it. */
	if (hist__input_peek(in, &p, 3) == 3 && hist__utf8_bom_len(p, 3) &&
		hist__input_read(in, bom, 3) != 3) {
		error = hist__error(err, HIST_E_IO, "%s: read failed", r.name);
		goto done;
	}
	switch (format) {
	case HIST_FORMAT_REPORTLOG: error = parse_reportlog(&r); break;
	case HIST_FORMAT_HIST: error = parse_hist(&r); break;
	case HIST_FORMAT_BALANCE: error = parse_balance(&r); break;
	case HIST_FORMAT_DURATIONS: error = parse_durations(&r); break;
	default:
		error = hist__error(err, HIST_E_INVALID, "%s: not a JSON format: %s", r.name, hist_format_name(format));
		goto done;
	}
	if (error == 0 && sink->session)
		error = sink->session(sink->ctx, &r.session);
done:
	hist__json_free(&r.js);
	hist__buf_free(&r.plan_id);
	return error;
}
