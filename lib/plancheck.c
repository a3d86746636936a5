/* plancheck.c - a run checked against its plan: every planned test once.
 * Owns: reading a plan's directory (plan.json and shard-K.txt), accounting
 * the shards' hist JSONL reports against it, and naming each test run twice,
 * planned but neither run nor deselected, or (plans made from a collection)
 * not collected or run without being planned, and each shard whose report
 * is missing, doubled or interrupted.
 * Not here: parsing reports (jsonl.c), storing them (ingest.c), making
 * plans (estimate.c, plan.c, emit.c). */
#include "hist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "buf.h"
#include "err.h"
#include "io.h"
#include "nodeid.h"
#include "json.h"
#include "jsonl.h"
#include "num.h"
#include "record.h"
#include "strmap.h"

/* Bytes looked at to tell a hist report from other inputs. */
#define SNIFF_BYTES 4096
/* A shard file line (a nodeid) past this is refused, as histplan's lists. */
#define LINE_MAX_BYTES (64 * 1024)
/* plan.json is small; its strings (plan id, suite) are short. */
#define PLAN_JSON_LINE_MAX (1024 * 1024)
#define PLAN_JSON_TEXT_MAX 4096

/* One test the plan lists or a report names. */
typedef struct {
	const char *id; /* the plan's line, or the reported nodeid; arena */
	uint32_t len;
	uint32_t shard;       /* planned on this shard; 0: no shard lists it */
	unsigned long line;   /* its line in that shard file */
	uint32_t runs;        /* results in reports of this plan */
	uint32_t first;       /* report of the first run + 1 */
	unsigned long first_line;
	uint32_t deselected;  /* report + 1 that deselected it, or 0 */
	uint32_t gone;        /* report + 1 that says it was not collected */
	unsigned long gone_line;
	int gone_pruned;      /* that report's shard collected its file, not others' */
	const char *group;    /* a run on another shard than its group's: the key */
	uint32_t group_report; /* report + 1 of that run, or 0 */
	uint32_t group_shard; /* the shard its group runs on */
	unsigned long group_line;
	const char *by;       /* a key line: the nodeid that matched it first; arena */
} entry;

/* A run beyond a test's first: each is named. */
typedef struct {
	uint32_t entry, report;
	unsigned long line;
} again;

typedef struct {
	char *name;
	char *plan_id;      /* NULL: the session ran without a plan */
	unsigned int shard, shards;
	int has_session, interrupted, ours;
	uint32_t cut;       /* entry + 1 of the test the interruption cut off */
	unsigned char hash[16]; /* of the content: the same report given twice counts once */
} report;

/* What a report says, held until its session line (the last) tells
 * whose plan it ran. */
typedef struct {
	int kind; /* -1: a result; else a hist__mark */
	const char *id;
	uint32_t len;
	unsigned long line;
	const char *group; /* a result's group key, or NULL */
	uint32_t group_len;
} event;

struct hist_plan_check {
	hist__err err;
	char *dir;
	char plan_id[17];
	unsigned int shards;
	int from_collection;
	int has_groups;         /* plan.json has "group_markers" */
	hist__strmap groups;    /* group key -> index into group_shard */
	uint32_t *group_shard;
	size_t ngroups, groupcap;
	char **shard_file;  /* "DIR/shard-K.txt", K = 1..N at [K - 1] */
	uint32_t *shard_report; /* report + 1 of shard K's first report */
	int64_t *predicted; /* plan.json's predicted µs of shard K at [K - 1]
	                       (HIST_MAX_SHARDS of them); -1: not given */
	size_t *shard_tests; /* tests shard K's file lists */
	hist__arena_block *arena;
	entry *e;
	size_t n, cap;
	hist__strmap map;
	size_t planned;
	report *r;
	size_t nr, rcap;
	again *extra;
	size_t nextra, extracap;
	/* The report being read. */
	hist__arena_block *scratch;
	event *ev;
	size_t nev, evcap;
	hist__session session;
	int got_session;
	char *session_plan;
	hist__buf key, msg, where;
	hist__buf group; /* the group key of the record to come (HIST__MARK_GROUP) */
};

static int nomem(hist_plan_check *c)
{
	return hist__error(&c->err, HIST_E_NOMEM, "out of memory");
}

/* ptr (of *cap items of size) with room for one more than n: ptr itself,
 * a larger copy, or NULL when out of memory (ptr is then left as it was). */
static void *grow(void *ptr, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 64, bytes;
	void *q;

	if (n < *cap)
		return ptr;
	if (hist__mul_overflow(want, size, &bytes) || !(q = hist__realloc(ptr, bytes)))
		return NULL;
	*cap = want;
	return q;
}

/* The entry for id, added (unplanned) when absent; its index in *out. */
static int entry_put(uint32_t *out, hist_plan_check *c, const char *id, size_t len, int *added)
{
	const char *copy;
	void *p;
	int error;

	if (hist__strmap_get(out, &c->map, id, len)) {
		*added = 0;
		return HIST_OK;
	}
	if (c->n >= UINT32_MAX || len >= UINT32_MAX || !(p = grow(c->e, &c->cap, c->n, sizeof *c->e)))
		return nomem(c);
	c->e = p;
	if (!(copy = hist__arena_dup(&c->arena, id, len)))
		return nomem(c);
	if ((error = hist__strmap_put(out, added, &c->map, copy, len, (uint32_t)c->n)) < 0)
		return nomem(c);
	memset(&c->e[c->n], 0, sizeof c->e[c->n]);
	c->e[c->n].id = copy;
	c->e[c->n].len = (uint32_t)len;
	c->n++;
	return HIST_OK;
}

/* The planned entry a reported nodeid stands for: the same line, else
 * its JUnit key (plans made from xunit2 history list keys); else a new
 * unplanned entry under the nodeid. Two files can share a key
 * (tests/a/b/t.py in a package, tests/a.b/t.py): a key line stands for the
 * first nodeid that matched it, so the other is not taken for a second run. */
static int entry_of(uint32_t *out, hist_plan_check *c, const char *id, size_t len)
{
	int added, keyed;

	if (hist__strmap_get(out, &c->map, id, len))
		return HIST_OK;
	if ((keyed = hist__nodeid_key(&c->key, id, len)) < 0)
		return nomem(c);
	if (keyed && c->key.len && hist__strmap_get(out, &c->map, c->key.ptr, c->key.len) && c->e[*out].shard) {
		entry *e = &c->e[*out];

		if (!e->by && !(e->by = hist__arena_dup(&c->arena, id, len)))
			return nomem(c);
		if (strlen(e->by) == len && memcmp(e->by, id, len) == 0)
			return HIST_OK;
	}
	return entry_put(out, c, id, len, &added);
}

/* ------------------------------------------------------------------ */
/* Reading the plan                                                    */

static int is_hex_id(const char *s, size_t len)
{
	if (len != 16)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A whole number in [1, max] spelled in s, or 0. */
static unsigned int small_number(const char *s, size_t len, unsigned int max)
{
	unsigned long v = 0;

	if (len == 0 || len > 9)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= max ? (unsigned int)v : 0;
}

/* One member of a JSON object, *t holding its key: *which is its 1-based
 * place in keys (NULL-ended; 0 when absent), then the ':' is read and the
 * value's first token goes into *t (strings kept when keep and a key matched). */
static int read_member(hist__json *js, hist__json_token *t, const char *const *keys, int keep, int *which)
{
	int error;

	if (*t != HIST__JSON_STRING)
		return hist__json_error(js, "expected a string key");
	*which = 0;
	for (int i = 0; keys[i] && !*which; i++)
		if (strcmp(hist__buf_cstr(&js->text), keys[i]) == 0)
			*which = i + 1;
	if ((error = hist__json_next(js, t, 0)) < 0)
		return error;
	if (*t != HIST__JSON_COLON)
		return hist__json_error(js, "expected ':'");
	return hist__json_next(js, t, keep && *which != 0);
}

/* After a member's value (*t its first token): past it, and past a ',',
 * to the next key or the '}'. */
static int next_member(hist__json *js, hist__json_token *t)
{
	int error;

	if ((error = hist__json_skip(js, *t)) < 0 || (error = hist__json_next(js, t, 1)) < 0)
		return error;
	if (*t == HIST__JSON_COMMA && (error = hist__json_next(js, t, 1)) < 0)
		return error;
	return HIST_OK;
}

/* One {"key": K, "shard": k, "tests": [...]} of plan.json's "groups" (t
 * holds its '{'): the key and shard go into c->groups. */
static int read_group(hist_plan_check *c, hist__json *js, hist__json_token t)
{
	char *key = NULL;
	uint32_t shard = 0, at;
	int error, added;

	if (t != HIST__JSON_OBJECT)
		return hist__json_error(js, "a group is not an object");
	if ((error = hist__json_next(js, &t, 1)) < 0)
		return error;
	while (t != HIST__JSON_OBJECT_END) {
		static const char *const keys[] = {"key", "shard", NULL};
		int which;

		if ((error = read_member(js, &t, keys, 1, &which)) < 0)
			return error;
		if (which == 1) {
			if (t != HIST__JSON_STRING || js->text.len == 0)
				return hist__json_error(js, "a group's key is not a string");
			if (!(key = hist__arena_dup(&c->arena, js->text.ptr, js->text.len)))
				return nomem(c);
		} else if (which == 2) {
			if (t != HIST__JSON_NUMBER || !(shard = small_number(js->text.ptr, js->text.len, HIST_MAX_SHARDS)))
				return hist__json_error(js, "a group's shard is not a whole number from 1 to %d",
				                        HIST_MAX_SHARDS);
		}
		if ((error = next_member(js, &t)) < 0)
			return error;
	}
	if (!key || !shard)
		return hist__json_error(js, "a group without its key or shard");
	if ((error = hist__strmap_put(&at, &added, &c->groups, key, strlen(key), (uint32_t)c->ngroups)) < 0)
		return nomem(c);
	if (!added)
		return hist__json_error(js, "group %s twice", key);
	{
		void *p = grow(c->group_shard, &c->groupcap, c->ngroups, sizeof *c->group_shard);
		if (!p)
			return nomem(c);
		c->group_shard = p;
	}
	c->group_shard[c->ngroups++] = shard;
	return HIST_OK;
}

/* plan.json's "groups": an array of groups (t holds its '['). */
static int read_groups(hist_plan_check *c, hist__json *js, hist__json_token t)
{
	int error;

	if (t != HIST__JSON_ARRAY)
		return hist__json_error(js, "groups is not an array");
	if ((error = hist__json_next(js, &t, 0)) < 0)
		return error;
	while (t != HIST__JSON_ARRAY_END) {
		if ((error = read_group(c, js, t)) < 0 || (error = hist__json_next(js, &t, 0)) < 0)
			return error;
		if (t == HIST__JSON_COMMA && (error = hist__json_next(js, &t, 0)) < 0)
			return error;
	}
	return HIST_OK;
}

/* plan.json's "shards": [{"index": K, ..., "predicted_seconds": S}, ...],
 * the array's first token already read. Other keys are passed over. */
static int read_shards(hist_plan_check *c, hist__json *js)
{
	hist__json_token t;
	int error;

	if ((error = hist__json_next(js, &t, 0)) < 0)
		return error;
	while (t != HIST__JSON_ARRAY_END) {
		unsigned int index = 0;
		int64_t us = -1;

		if (t != HIST__JSON_OBJECT)
			return hist__json_error(js, "shards: expected an object per shard");
		if ((error = hist__json_next(js, &t, 1)) < 0)
			return error;
		while (t != HIST__JSON_OBJECT_END) {
			static const char *const keys[] = {"index", "predicted_seconds", NULL};
			int which;

			if ((error = read_member(js, &t, keys, 0, &which)) < 0)
				return error;
			if (which == 1 && (t != HIST__JSON_NUMBER ||
			                   !(index = small_number(js->text.ptr, js->text.len, HIST_MAX_SHARDS))))
				return hist__json_error(js, "shards: index is not a whole number from 1 to %d",
				                        HIST_MAX_SHARDS);
			if (which == 2 && (t != HIST__JSON_NUMBER ||
			                   (us = hist__num_json_seconds_us(js->text.ptr, js->text.len)) < 0))
				return hist__json_error(js, "shards: predicted_seconds is not a number of seconds");
			if ((error = next_member(js, &t)) < 0)
				return error;
		}
		if (index && us >= 0) {
			if (c->predicted[index - 1] >= 0)
				return hist__json_error(js, "shards: shard %u given twice", index);
			c->predicted[index - 1] = us;
		}
		if ((error = hist__json_next(js, &t, 0)) < 0)
			return error;
		if (t == HIST__JSON_COMMA && (error = hist__json_next(js, &t, 0)) < 0)
			return error;
	}
	return HIST_OK;
}

/* plan.json: plan_id, shard_count, test_list, each shard's predicted
 * seconds and the groups; the rest is for people. */
static int read_plan_json(hist_plan_check *c, const char *path)
{
	hist__input *in = NULL;
	hist__json js;
	hist__json_token t;
	int error, seen_id = 0, list = 0;

	memset(&js, 0, sizeof js);
	if ((error = hist__input_open(&in, path, path, &c->err)) < 0)
		goto done;
	if ((error = hist__json_init(&js, in, PLAN_JSON_LINE_MAX, PLAN_JSON_TEXT_MAX, &c->err)) < 0 ||
	    (error = hist__json_next(&js, &t, 0)) < 0)
		goto done;
	if (t != HIST__JSON_OBJECT) {
		error = hist__json_error(&js, "expected a JSON object (histplan's plan.json)");
		goto done;
	}
	if ((error = hist__json_next(&js, &t, 1)) < 0)
		goto done;
	while (t != HIST__JSON_OBJECT_END) {
		static const char *const keys[] = {"plan_id", "shard_count", "test_list", "shards", "group_markers",
		                                   "groups", NULL};
		int which;

		if ((error = read_member(&js, &t, keys, 1, &which)) < 0)
			goto done;
		if (which == 5) {
			c->has_groups = 1;
		} else if (which == 6) {
			if ((error = read_groups(c, &js, t)) < 0)
				goto done;
			t = HIST__JSON_NULL; /* read whole */
		} else if (which == 1) {
			if (t != HIST__JSON_STRING || !is_hex_id(js.text.ptr, js.text.len)) {
				error = hist__json_error(&js, "plan_id is not 16 hex digits");
				goto done;
			}
			memcpy(c->plan_id, js.text.ptr, 16);
			c->plan_id[16] = '\0';
			seen_id = 1;
		} else if (which == 2) {
			if (t != HIST__JSON_NUMBER ||
			    !(c->shards = small_number(js.text.ptr, js.text.len, HIST_MAX_SHARDS))) {
				error = hist__json_error(&js, "shard_count is not a whole number from 1 to %d",
				                         HIST_MAX_SHARDS);
				goto done;
			}
		} else if (which == 3) {
			if (t == HIST__JSON_STRING && strcmp(hist__buf_cstr(&js.text), "collection") == 0)
				list = 1;
			else if (t == HIST__JSON_STRING && strcmp(hist__buf_cstr(&js.text), "history") == 0)
				list = 0;
			else {
				error = hist__json_error(&js, "test_list is neither \"collection\" nor \"history\"");
				goto done;
			}
		} else if (which == 4 && t == HIST__JSON_ARRAY) {
			if ((error = read_shards(c, &js)) < 0)
				goto done;
			t = HIST__JSON_NULL; /* read to its end: nothing left to skip */
		}
		if ((error = next_member(&js, &t)) < 0)
			goto done;
	}
	if (!seen_id || !c->shards) {
		error = hist__error(&c->err, HIST_E_PARSE, "%s: no plan_id or shard_count: not histplan's plan.json",
		                    path);
		goto done;
	}
	for (size_t g = 0; g < c->ngroups; g++)
		if (c->group_shard[g] > c->shards) {
			error = hist__error(&c->err, HIST_E_PARSE, "%s: a group on shard %u of %u", path,
			                    c->group_shard[g], c->shards);
			goto done;
		}
	/* Plans from before "test_list" were all checked leniently. */
	c->from_collection = list;
done:
	hist__json_free(&js);
	hist__input_free(in);
	return error;
}

/* One line of a shard file (without its '\n'). */
static int shard_line(hist_plan_check *c, unsigned int k, const char *s, size_t len, unsigned long line)
{
	const char *name = c->shard_file[k - 1];
	uint32_t at;
	int added, error;

	if (line == 1 || line == 2) {
		char want[64];
		size_t wl;

		wl = line == 1 ? (size_t)snprintf(want, sizeof want, "# hist plan %s", c->plan_id)
		               : (size_t)snprintf(want, sizeof want, "# shard %u/%u", k, c->shards);
		if (len == wl && memcmp(s, want, wl) == 0)
			return HIST_OK;
		if (line == 1 && len == 28 && memcmp(s, "# hist plan ", 12) == 0)
			return hist__error(&c->err, HIST_E_PARSE,
			                   "%s:1: belongs to plan %.16s but %s/plan.json to plan %s: the "
			                   "directory mixes two plans",
			                   name, s + 12, c->dir, c->plan_id);
		return hist__error(&c->err, HIST_E_PARSE, "%s:%lu: expected '%s' (histplan's shard file)", name,
		                   line, want);
	}
	if (len == 0 || s[0] == '#')
		return HIST_OK;
	if (memchr(s, '\0', len))
		return hist__error(&c->err, HIST_E_PARSE, "%s:%lu: a NUL byte", name, line);
	if ((error = entry_put(&at, c, s, len, &added)) < 0)
		return error;
	if (!added)
		return hist__error(&c->err, HIST_E_PARSE, "%s:%lu: %.*s is listed twice (also %s:%lu)", name, line,
		                   (int)len, s, c->shard_file[c->e[at].shard - 1], c->e[at].line);
	c->e[at].shard = k;
	c->e[at].line = line;
	c->planned++;
	c->shard_tests[k - 1]++;
	return HIST_OK;
}

/* Shard file k, line by line. */
static int read_shard(hist_plan_check *c, unsigned int k)
{
	hist__input *in = NULL;
	hist__buf line = HIST__BUF_INIT(LINE_MAX_BYTES);
	unsigned long no = 0;
	char chunk[16384];
	long got;
	int error = HIST_OK;

	if ((error = hist__input_open(&in, c->shard_file[k - 1], c->shard_file[k - 1], &c->err)) < 0)
		goto done;
	while ((got = hist__input_read(in, chunk, sizeof chunk)) > 0) {
		const char *p = chunk, *end = chunk + got, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			if ((error = hist__buf_put(&line, p, (size_t)(nl - p))) < 0)
				goto too_long;
			if ((error = shard_line(c, k, line.ptr ? line.ptr : "", line.len, ++no)) < 0)
				goto done;
			hist__buf_clear(&line);
			p = nl + 1;
		}
		if ((error = hist__buf_put(&line, p, (size_t)(end - p))) < 0)
			goto too_long;
	}
	if ((error = (int)got) < 0)
		goto done;
	if (line.len && (error = shard_line(c, k, line.ptr, line.len, ++no)) < 0)
		goto done;
	if (no < 2)
		error = hist__error(&c->err, HIST_E_PARSE, "%s: no '# hist plan' and '# shard' header lines",
		                    c->shard_file[k - 1]);
	goto done;
too_long:
	error = error == HIST_E_NOMEM ? nomem(c)
	                              : hist__error(&c->err, HIST_E_PARSE, "%s:%lu: line too long",
	                                            c->shard_file[k - 1], no + 1);
done:
	hist__buf_free(&line);
	hist__input_free(in);
	return error;
}

int hist_plan_check_open(hist_plan_check **out, const char *dir)
{
	hist_plan_check *c;
	hist__buf path = HIST__BUF_INIT(0);
	int error;

	*out = NULL;
	if (!(c = hist__calloc(1, sizeof *c)))
		return HIST_E_NOMEM;
	*out = c;
	c->key = (hist__buf)HIST__BUF_INIT(0);
	c->msg = (hist__buf)HIST__BUF_INIT(0);
	c->where = (hist__buf)HIST__BUF_INIT(0);
	c->group = (hist__buf)HIST__BUF_INIT(0);
	if (!dir)
		return hist__error(&c->err, HIST_E_INVALID, "no plan directory");
	if (!(c->dir = hist__strdup(dir)))
		return nomem(c);
	if (hist__buf_printf(&path, "%s/plan.json", dir) < 0 ||
	    !(c->predicted = hist__calloc(HIST_MAX_SHARDS, sizeof *c->predicted))) {
		error = nomem(c);
		goto done;
	}
	for (unsigned int k = 0; k < HIST_MAX_SHARDS; k++)
		c->predicted[k] = -1;
	if ((error = read_plan_json(c, path.ptr)) < 0)
		goto done;
	if (!(c->shard_file = hist__calloc(c->shards, sizeof *c->shard_file)) ||
	    !(c->shard_report = hist__calloc(c->shards, sizeof *c->shard_report)) ||
	    !(c->shard_tests = hist__calloc(c->shards, sizeof *c->shard_tests))) {
		error = nomem(c);
		goto done;
	}
	for (unsigned int k = 1; k <= c->shards; k++) {
		hist__buf_clear(&path);
		if (hist__buf_printf(&path, "%s/shard-%u.txt", dir, k) < 0 ||
		    !(c->shard_file[k - 1] = hist__strdup(path.ptr))) {
			error = nomem(c);
			goto done;
		}
	}
	for (unsigned int k = 1; k <= c->shards; k++)
		if ((error = read_shard(c, k)) < 0)
			goto done;
done:
	hist__buf_free(&path);
	return error;
}

const char *hist_plan_check_errmsg(const hist_plan_check *c)
{
	return c ? hist__err_msg(&c->err) : hist_strerror(HIST_E_NOMEM);
}

const char *hist_plan_check_id(const hist_plan_check *c)
{
	return c->plan_id;
}

unsigned int hist_plan_check_shard_count(const hist_plan_check *c)
{
	return c->shards;
}

const char *hist_plan_check_test_list(const hist_plan_check *c)
{
	return c->from_collection ? "collection" : "history";
}

int64_t hist_plan_check_predicted_us(const hist_plan_check *c, unsigned int k)
{
	return c->predicted && c->shard_tests && k >= 1 && k <= c->shards ? c->predicted[k - 1] : -1;
}

size_t hist_plan_check_shard_tests(const hist_plan_check *c, unsigned int k)
{
	return c->shard_tests && k >= 1 && k <= c->shards ? c->shard_tests[k - 1] : 0;
}

void hist_plan_check_free(hist_plan_check *c)
{
	if (!c)
		return;
	for (unsigned int k = 0; c->shard_file && k < c->shards; k++)
		hist__free(c->shard_file[k]);
	hist__free(c->shard_file);
	hist__free(c->shard_report);
	hist__free(c->predicted);
	hist__free(c->shard_tests);
	for (size_t i = 0; i < c->nr; i++) {
		hist__free(c->r[i].name);
		hist__free(c->r[i].plan_id);
	}
	hist__free(c->r);
	hist__free(c->e);
	hist__free(c->extra);
	hist__free(c->ev);
	hist__free(c->session_plan);
	hist__strmap_free(&c->map);
	hist__strmap_free(&c->groups);
	hist__free(c->group_shard);
	hist__arena_free(c->arena);
	hist__arena_free(c->scratch);
	hist__buf_free(&c->key);
	hist__buf_free(&c->msg);
	hist__buf_free(&c->where);
	hist__buf_free(&c->group);
	hist__err_clear(&c->err);
	hist__free(c->dir);
	hist__free(c);
}

/* ------------------------------------------------------------------ */
/* Reading a report                                                    */

static int hold(hist_plan_check *c, int kind, const char *id, size_t len, unsigned long line, const char *group,
                size_t group_len)
{
	const char *copy, *gcopy = NULL;
	void *p;

	if (len >= UINT32_MAX || group_len >= UINT32_MAX || !(p = grow(c->ev, &c->evcap, c->nev, sizeof *c->ev)))
		return nomem(c);
	c->ev = p;
	if (!(copy = hist__arena_dup(&c->scratch, id, len)) ||
	    (group && !(gcopy = hist__arena_dup(&c->scratch, group, group_len))))
		return nomem(c);
	c->ev[c->nev++] = (event){kind, copy, (uint32_t)len, line, gcopy, (uint32_t)group_len};
	return HIST_OK;
}

static int on_record(void *ctx, const hist__record *r)
{
	hist_plan_check *c = ctx;
	int error = hold(c, -1, r->id, r->id_len, r->line, c->group.len ? c->group.ptr : NULL, c->group.len);

	hist__buf_clear(&c->group);
	return error;
}

static int on_mark(void *ctx, hist__mark kind, const char *id, size_t len, unsigned long line)
{
	hist_plan_check *c = ctx;

	if (kind == HIST__MARK_GROUP) {
		/* The next record's group: kept only when the plan has groups. */
		hist__buf_clear(&c->group);
		if (c->has_groups && len && hist__buf_put(&c->group, id, len) < 0)
			return nomem(c);
		return HIST_OK;
	}
	return hold(c, (int)kind, id, len, line, NULL, 0);
}

static int on_session(void *ctx, const hist__session *s)
{
	hist_plan_check *c = ctx;

	hist__free(c->session_plan);
	c->session_plan = NULL;
	if (s->plan_id && !(c->session_plan = hist__strdup(s->plan_id)))
		return nomem(c);
	c->session = *s;
	c->session.plan_id = c->session_plan;
	/* The parser calls this once per input, also without a session line;
	 * shard 0 with no plan is what a report without one looks like. */
	c->got_session = 1;
	return HIST_OK;
}

/* The shard group key runs on: the plan's, else (a group new since the
 * plan) the one its stable hash names, as the plugin places it. */
static uint32_t group_shard_of(const hist_plan_check *c, const char *key, size_t len)
{
	uint32_t g;

	if (hist__strmap_get(&g, &c->groups, key, len))
		return c->group_shard[g];
	return (uint32_t)(hist_nodeid_hash(key, len) % c->shards) + 1;
}

/* The held lines of report ri, a report of this plan, into the account. */
static int account(hist_plan_check *c, uint32_t ri)
{
	report *rep = &c->r[ri];
	uint32_t at;
	int error;

	for (size_t i = 0; i < c->nev; i++) {
		const event *v = &c->ev[i];
		entry *x;

		if ((error = entry_of(&at, c, v->id, v->len)) < 0)
			return error;
		x = &c->e[at];
		if (v->kind < 0) {
			if (v->group && !x->group_report) {
				uint32_t k = group_shard_of(c, v->group, v->group_len);

				if (k != rep->shard) {
					if (!(x->group = hist__arena_dup(&c->arena, v->group, v->group_len)))
						return nomem(c);
					x->group_report = ri + 1;
					x->group_shard = k;
					x->group_line = v->line;
				}
			}
			if (x->runs++ == 0) {
				x->first = ri + 1;
				x->first_line = v->line;
			} else {
				void *p = grow(c->extra, &c->extracap, c->nextra, sizeof *c->extra);

				if (!p)
					return nomem(c);
				c->extra = p;
				c->extra[c->nextra++] = (again){at, ri, v->line};
			}
		} else if (v->kind == HIST__MARK_DESELECTED) {
			if (!x->deselected)
				x->deselected = ri + 1;
		} else if (v->kind == HIST__MARK_GONE || v->kind == HIST__MARK_GONE_PRUNED) {
			if (!x->gone) {
				x->gone = ri + 1;
				x->gone_line = v->line;
				x->gone_pruned = v->kind == HIST__MARK_GONE_PRUNED;
			}
		} else if (!rep->cut) {
			rep->cut = at + 1;
		}
	}
	return HIST_OK;
}

int hist_plan_check_add(hist_plan_check *c, const char *path, const char *name)
{
	const hist__sink sink = {on_record, on_session, c, on_mark};
	hist__input *in = NULL;
	const unsigned char *data;
	unsigned char hash[16], chunk[4096];
	void *grown;
	report *rep;
	long n;
	int error;

	if (!path)
		return hist__error(&c->err, HIST_E_INVALID, "no input path");
	if (!name)
		name = path;
	c->nev = 0;
	hist__arena_free(c->scratch);
	c->scratch = NULL;
	c->got_session = 0;
	if ((error = hist__input_open(&in, path, name, &c->err)) < 0)
		goto done;
	if ((n = hist__input_peek(in, &data, SNIFF_BYTES)) < 0) {
		error = (int)n;
		goto done;
	}
	/* JUnit, reportlog, a database...: results, but not a shard's account
	 * of what it ran and deselected. */
	if (hist__jsonl_sniff(data, (size_t)n) != HIST_FORMAT_HIST) {
		error = 0;
		goto done;
	}
	if ((error = hist__jsonl_parse(in, HIST_FORMAT_HIST, &sink, &c->err)) < 0)
		goto done;
	while ((n = hist__input_read(in, chunk, sizeof chunk)) > 0)
		;
	if ((error = (int)n) < 0)
		goto done;
	hist__input_hash(in, hash);
	/* The same content again (a file named twice, a directory and a file
	 * in it) is the same run of the shard, as the store also sees it. */
	for (size_t i = 0; i < c->nr; i++)
		if (memcmp(c->r[i].hash, hash, sizeof hash) == 0) {
			error = 1;
			goto done;
		}
	if (!(grown = grow(c->r, &c->rcap, c->nr, sizeof *c->r))) {
		error = nomem(c);
		goto done;
	}
	c->r = grown;
	rep = &c->r[c->nr];
	memset(rep, 0, sizeof *rep);
	if (!(rep->name = hist__strdup(name)) ||
	    (c->session.plan_id && !(rep->plan_id = hist__strdup(c->session.plan_id)))) {
		hist__free(rep->name);
		error = nomem(c);
		goto done;
	}
	c->nr++;
	memcpy(rep->hash, hash, sizeof hash);
	rep->shard = (unsigned int)c->session.shard_index;
	rep->shards = (unsigned int)c->session.shard_total;
	rep->interrupted = c->session.interrupted;
	rep->ours = rep->plan_id && strcmp(rep->plan_id, c->plan_id) == 0 && rep->shards == c->shards &&
	            rep->shard >= 1;
	if (rep->ours) {
		if (!c->shard_report[rep->shard - 1])
			c->shard_report[rep->shard - 1] = (uint32_t)c->nr;
		if ((error = account(c, (uint32_t)(c->nr - 1))) < 0)
			goto done;
	}
	error = 1;
done:
	hist__input_free(in);
	return error;
}

/* ------------------------------------------------------------------ */
/* The verdict                                                         */

typedef struct {
	hist_plan_check *c;
	void (*fn)(const hist_check_problem *p, void *payload);
	void *payload;
	hist_plan_check_totals *t;
} verdict;

static int say(verdict *v, hist_check_kind kind, const char *file, unsigned long line, const char *nodeid,
               unsigned int shard, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int say(verdict *v, hist_check_kind kind, const char *file, unsigned long line, const char *nodeid,
               unsigned int shard, const char *fmt, ...)
{
	hist_check_problem p;
	va_list ap;
	int error;

	hist__buf_clear(&v->c->msg);
	va_start(ap, fmt);
	error = hist__buf_vprintf(&v->c->msg, fmt, ap);
	va_end(ap);
	if (error < 0)
		return nomem(v->c);
	p = (hist_check_problem){kind, file, line, nodeid, shard, v->c->msg.ptr};
	v->t->problems++;
	if (v->fn)
		v->fn(&p, v->payload);
	return HIST_OK;
}

/* Where a report's line is: "r3.jsonl.gz:12". */
static const char *where(hist_plan_check *c, uint32_t report_plus_1, unsigned long line)
{
	hist__buf_clear(&c->where);
	if (hist__buf_printf(&c->where, "%s:%lu", c->r[report_plus_1 - 1].name, line) < 0)
		return "?";
	return c->where.ptr;
}

static int by_id(const void *a, const void *b, void *ctx)
{
	const entry *e = ctx, *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
	int d = memcmp(x->id, y->id, x->len < y->len ? x->len : y->len);

	return d ? d : (x->len > y->len) - (x->len < y->len);
}

/* qsort_r is not C11: a small merge sort with a context instead. */
static void sort_ids(uint32_t *a, uint32_t *tmp, size_t n, const entry *e)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	sort_ids(a, tmp, h, e);
	sort_ids(a + h, tmp, n - h, e);
	while (i < h && j < n)
		tmp[k++] = by_id(&a[j], &a[i], (void *)e) < 0 ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof *a);
}

static int by_entry_then_report(const void *a, const void *b)
{
	const again *x = a, *y = b;

	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return x->report < y->report ? -1 : x->report > y->report;
}

/* A planned test that ran nowhere and was not deselected: does its
 * absence count against the test (1), or is it its shard's (0)? */
static int shard_answers(const hist_plan_check *c, const entry *x)
{
	uint32_t r = c->shard_report[x->shard - 1];

	return r && !c->r[r - 1].interrupted;
}

static int report_problems(verdict *v, size_t *unaccounted)
{
	hist_plan_check *c = v->c;
	int error;

	for (size_t i = 0; i < c->nr; i++) {
		const report *r = &c->r[i];

		if (r->ours)
			continue;
		if (!r->plan_id)
			error = say(v, HIST_CHECK_OTHER_PLAN, r->name, 0, NULL, 0,
			            "a report of a session without a plan (pytest ran without --shard-file), "
			            "not of plan %s in %s; its tests are not counted",
			            c->plan_id, c->dir);
		else
			error = say(v, HIST_CHECK_OTHER_PLAN, r->name, 0, NULL, 0,
			            "a report of plan %s (shard %u/%u), not of plan %s in %s; its tests are not "
			            "counted",
			            r->plan_id, r->shard, r->shards, c->plan_id, c->dir);
		if (error < 0)
			return error;
	}
	for (unsigned int k = 1; k <= c->shards; k++) {
		uint32_t first = c->shard_report[k - 1];

		if (!first) {
			error = say(v, HIST_CHECK_SHARD_MISSING, c->shard_file[k - 1], 0, NULL, k,
			            "no report of shard %u/%u among the inputs (its job failed to start, or ran "
			            "without --hist-report): %zu planned %s unaccounted",
			            k, c->shards, unaccounted[k - 1], unaccounted[k - 1] == 1 ? "test" : "tests");
			if (error < 0)
				return error;
			continue;
		}
		for (size_t i = 0; i < c->nr; i++) {
			const report *r = &c->r[i];

			if (!r->ours || r->shard != k)
				continue;
			if (i + 1 != first &&
			    (error = say(v, HIST_CHECK_SHARD_TWICE, r->name, 0, NULL, k,
			                 "a second report of shard %u/%u (the first: %s): a test in both ran "
			                 "twice",
			                 k, c->shards, c->r[first - 1].name)) < 0)
				return error;
			if (!r->interrupted)
				continue;
			if (r->cut)
				error = say(v, HIST_CHECK_INTERRUPTED, r->name, 0, NULL, k,
				            "shard %u/%u was interrupted (a CI cancel or timeout) while %s ran: "
				            "%zu planned %s unaccounted; run the shard again",
				            k, c->shards, c->e[r->cut - 1].id, unaccounted[k - 1],
				            unaccounted[k - 1] == 1 ? "test" : "tests");
			else
				error = say(v, HIST_CHECK_INTERRUPTED, r->name, 0, NULL, k,
				            "shard %u/%u was interrupted (a CI cancel or timeout): %zu planned %s "
				            "unaccounted; run the shard again",
				            k, c->shards, unaccounted[k - 1], unaccounted[k - 1] == 1 ? "test" : "tests");
			if (error < 0)
				return error;
		}
	}
	return HIST_OK;
}

static int test_problems(verdict *v, const uint32_t *order)
{
	hist_plan_check *c = v->c;
	size_t xi;
	int error = HIST_OK;

	for (size_t oi = 0; oi < c->n && error == HIST_OK; oi++) {
		uint32_t at = order[oi];
		const entry *x = &c->e[at];
		const char *id = x->id;

		/* Runs beyond the first, in report order: extra is sorted by
		 * entry, so they start at the first not below it. */
		size_t lo = 0, hi = c->nextra;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (c->extra[mid].entry < at)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (xi = lo; xi < c->nextra && c->extra[xi].entry == at; xi++) {
			const again *a = &c->extra[xi];
			const report *first = &c->r[x->first - 1], *r = &c->r[a->report];

			error = say(v, HIST_CHECK_RAN_TWICE, r->name, a->line, id, r->shard,
			            "%s ran again on shard %u/%u; it already ran on shard %u/%u (%s)", id, r->shard,
			            c->shards, first->shard, c->shards, where(c, x->first, x->first_line));
			if (error < 0)
				return error;
		}
		if (x->group_report) {
			const report *r = &c->r[x->group_report - 1];

			error = say(v, HIST_CHECK_GROUP_SPLIT, r->name, x->group_line, id, r->shard,
			            "%s ran on shard %u/%u, but its group %s runs on shard %u/%u: a group "
			            "stays on one shard",
			            id, r->shard, c->shards, x->group, x->group_shard, c->shards);
			if (error < 0)
				return error;
		}
		if (x->shard && !x->runs && !x->deselected) {
			if (x->gone && c->from_collection)
				error = say(v, HIST_CHECK_GONE, c->r[x->gone - 1].name, x->gone_line, id, x->shard,
				            "%s, listed on shard %u/%u (%s:%lu), was not collected; the plan was "
				            "made from a collection of this tree (--tests), so every listed test "
				            "must be collected",
				            id, x->shard, c->shards, c->shard_file[x->shard - 1], x->line);
			else if (!x->gone && shard_answers(c, x))
				error = say(v, HIST_CHECK_NOT_RUN, c->shard_file[x->shard - 1], x->line, id, x->shard,
				            "%s was planned on shard %u/%u, and no shard ran it or deselected it", id,
				            x->shard, c->shards);
		} else if (!x->shard && x->runs && c->from_collection) {
			const report *r = &c->r[x->first - 1];

			error = say(v, HIST_CHECK_UNPLANNED, r->name, x->first_line, id, r->shard,
			            "%s ran on shard %u/%u, and no shard file lists it; the plan was made from a "
			            "collection of this tree (--tests), so every test must be in it: plan again",
			            id, r->shard, c->shards);
		}
	}
	return error;
}

/* Whether x counts gone: planned, not run, not deselected, reported not
 * collected, in a plan from history (from --tests that is a problem). */
static int counts_gone(const hist_plan_check *c, const entry *x)
{
	return x->shard && !x->runs && !x->deselected && x->gone && !c->from_collection;
}

int64_t hist_plan_check_gone_pruned(hist_plan_check *c,
	void (*fn)(const char *nodeid, unsigned int shard, void *payload), void *payload)
{
	uint32_t *order, *tmp;
	size_t n = 0;

	if (!(order = hist__malloc((c->n ? c->n : 1) * sizeof *order)) ||
	    !(tmp = hist__malloc((c->n ? c->n : 1) * sizeof *tmp))) {
		hist__free(order);
		return nomem(c);
	}
	for (size_t i = 0; i < c->n; i++)
		if (counts_gone(c, &c->e[i]) && c->e[i].gone_pruned)
			order[n++] = (uint32_t)i;
	if (fn) {
		sort_ids(order, tmp, n, c->e);
		for (size_t i = 0; i < n; i++)
			fn(c->e[order[i]].id, c->e[order[i]].shard, payload);
	}
	hist__free(order);
	hist__free(tmp);
	return (int64_t)n;
}

int hist_plan_check_finish(hist_plan_check_totals *out, hist_plan_check *c,
                           void (*problem)(const hist_check_problem *p, void *payload), void *payload)
{
	verdict v = {c, problem, payload, out};
	size_t *unaccounted = NULL;
	uint32_t *order = NULL, *tmp = NULL;
	int error;

	memset(out, 0, sizeof *out);
	if (!(unaccounted = hist__calloc(c->shards, sizeof *unaccounted)) ||
	    !(order = hist__malloc((c->n ? c->n : 1) * sizeof *order)) ||
	    !(tmp = hist__malloc((c->n ? c->n : 1) * sizeof *tmp))) {
		error = nomem(c);
		goto done;
	}
	out->planned = c->planned;
	for (size_t i = 0; i < c->nr; i++)
		out->reports += c->r[i].ours ? 1 : 0;
	for (size_t i = 0; i < c->n; i++) {
		const entry *x = &c->e[i];

		order[i] = (uint32_t)i;
		out->ran_twice += x->runs > 1 ? 1 : 0;
		if (!x->shard) {
			out->unplanned += x->runs > 0 ? 1 : 0;
			continue;
		}
		if (x->runs)
			out->ran++;
		else if (x->deselected)
			out->deselected++;
		else if (counts_gone(c, x))
			out->gone++;
		else {
			out->unaccounted++;
			if (!x->gone && !shard_answers(c, x))
				unaccounted[x->shard - 1]++;
		}
	}
	sort_ids(order, tmp, c->n, c->e);
	if (c->nextra)
		qsort(c->extra, c->nextra, sizeof *c->extra, by_entry_then_report);
	if ((error = report_problems(&v, unaccounted)) < 0 || (error = test_problems(&v, order)) < 0)
		goto done;
	error = HIST_OK;
done:
	hist__free(unaccounted);
	hist__free(order);
	hist__free(tmp);
	return error;
}
