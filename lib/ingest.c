/* ingest.c - one input into the history.
 * Owns: telling formats apart by content, running the parser into the store
 * inside one transaction (the parsers hand nodeids already normalised by
 * nodeid.c), idempotence by content hash, and the counts histmerge reports.
 * Not here: reading bytes and gzip (io.c), parsing (junit.c, jsonl.c),
 * the store thread (pipe.c), SQL (store*.c), walking directories (walk.c),
 * versions (version.c). */
#include "hist.h"

#include <string.h>

#include "alloc.h"
#include "io.h"
#include "jsonl.h"
#include "junit.h"
#include "pipe.h"
#include "record.h"
#include "store.h"

/* Bytes looked at to tell formats apart: enough for a BOM, blank lines
 * and the first JSON line of any format we read. */
#define SNIFF_BYTES 4096
/* Records between progress calls: often enough for a terminal line,
 * rare enough to cost nothing. */
#define PROGRESS_EVERY 4096

static const unsigned char sqlite_magic[16] = "SQLite format 3";

typedef struct {
	hist_db *db;
	hist__input *in;
	const hist_ingest_options *opts;
	hist_ingest_stats *stats;
	int64_t run;
	int64_t test_us;     /* sum of known durations, for the overhead model */
	hist__session session;
	char *plan_id;       /* owned copy of session.plan_id */
	hist__pipe *pipe;
	/* The input's and the parser's messages: while the store thread
	 * owns the handle, they cannot go to its error slot. */
	hist__err perr;
} ingest;

/* Puts "where: " before the message a failing call left, so a store
 * failure still names the input (and the line). */
static int prefixed(hist_db *db, int error, const char *where)
{
	hist__err *err = hist__db_err(db);
	hist__err old = *err;

	err->msg = NULL;
	hist__error(err, error, "%s: %s", where, hist__err_msg(&old));
	hist__err_clear(&old);
	return error;
}

static int on_record(void *ctx, const hist__record *r)
{
	ingest *g = ctx;
	hist__record n = *r;
	int error;

	if (n.id_len == 0)
		return hist__error(&g->perr, HIST_E_PARSE, "%s:%lu: test with an empty id", hist__input_name(g->in),
			r->line);
	if ((error = hist__pipe_add(g->pipe, &n)) < 0) {
		/* A store failure has its message in the handle. */
		if (hist__pipe_store_failed(g->pipe))
			return error;
		if (error == HIST_E_INVALID)
			return hist__error(&g->perr, error, "%s:%lu: result with outcome %d and %u attempts",
				hist__input_name(g->in), r->line, (int)r->outcome, r->attempts);
		return hist__error(&g->perr, error, "%s:%lu: %s", hist__input_name(g->in), r->line,
			hist_strerror(error));
	}
	g->stats->tests++;
	if (n.duration_us > 0 && hist__add_overflow(g->test_us, n.duration_us, &g->test_us))
		g->test_us = INT64_MAX;
	if (g->opts->progress && g->stats->tests % PROGRESS_EVERY == 0)
		g->opts->progress(hist__input_name(g->in), hist__input_offset(g->in), g->opts->payload);
	return HIST_OK;
}

static int on_session(void *ctx, const hist__session *s)
{
	ingest *g = ctx;

	/* The parser hands strings valid during the call only. */
	hist__free(g->plan_id);
	g->plan_id = NULL;
	if (s->plan_id && !(g->plan_id = hist__strdup(s->plan_id)))
		return hist__error(&g->perr, HIST_E_NOMEM, "%s", hist_strerror(HIST_E_NOMEM));
	g->session = *s;
	g->session.plan_id = g->plan_id;
	/* An interrupted session's record is kept (plan, shard, its tests),
	 * but its wall, collection and start-up times are no session's cost:
	 * stored unknown, the overhead model never learns from them. */
	if (s->interrupted)
		g->session.wall_us = g->session.collect_us = g->session.startup_us = -1;
	return HIST_OK;
}

/* Where the content starts: past a UTF-8 BOM and blank space. */
static size_t content_start(const unsigned char *data, size_t len)
{
	size_t i = hist__utf8_bom_len(data, len);

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return i;
}

/* XML in UTF-16 (which libxml2 reads): a byte order mark, or "<" as the
 * first 16-bit unit in either order. */
static int utf16_xml(const unsigned char *d, size_t len)
{
	if (len >= 2 && ((d[0] == 0xff && d[1] == 0xfe) || (d[0] == 0xfe && d[1] == 0xff)))
		return 1;
	return len >= 2 && ((d[0] == '<' && d[1] == 0) || (d[0] == 0 && d[1] == '<'));
}

/* Reads what the parser left (trailing blank lines...), so the hash
 * covers the whole input. */
static int drain(hist__input *in)
{
	unsigned char buf[4096];
	long n;

	while ((n = hist__input_read(in, buf, sizeof buf)) > 0)
		;
	return (int)n;
}

/* Parses and stores inside the open transaction. raw: the file's raw
 * hash, or NULL. */
static int ingest_text(ingest *g, hist_format format, const char *suite, const unsigned char *raw)
{
	const hist__sink sink = { on_record, on_session, g, NULL };
	unsigned char hash[16];
	int error, seen;
	int64_t start, seen_tests;

	/* Started "never" until the input says when (min keeps the earliest). */
	if ((error = hist__store_run(&g->run, g->db, suite, g->opts->run_id, INT64_MAX)) < 0)
		return error;
	if ((error = hist__pipe_new(&g->pipe, g->db, g->run)) < 0)
		return hist__error(&g->perr, error, "%s: %s", hist__input_name(g->in), hist_strerror(error));
	/* From here until the pipe is finished, the handle is the store
	 * thread's. Reading (and inflating) runs on a third thread, so the
	 * parser's thread, which sets the pace on two cores, only parses. */
	hist__input_read_ahead(g->in);
	error = format == HIST_FORMAT_JUNIT ? hist__junit_parse(g->in, &sink, &g->perr)
					    : hist__jsonl_parse(g->in, format, &sink, &g->perr);
	if (error == HIST_OK)
		error = drain(g->in);
	if (error < 0) {
		/* The parser stopped, on its own or because storing failed. */
		int store = hist__pipe_store_failed(g->pipe);

		hist__pipe_free(g->pipe);
		g->pipe = NULL;
		return store ? prefixed(g->db, error, hist__input_name(g->in)) : error;
	}
	error = hist__pipe_finish(&g->stats->added, g->pipe);
	hist__pipe_free(g->pipe);
	g->pipe = NULL;
	if (error < 0)
		return prefixed(g->db, error, hist__input_name(g->in));
	g->stats->duplicates = g->stats->tests - g->stats->added;
	hist__input_hash(g->in, hash);
	/* Held by this run or one first by (suite, run id): nothing new.
	 * Held by a later run alone: that run gives it up to this one. */
	if ((error = hist__store_input_owner(&seen, &seen_tests, g->db, hash, suite, g->opts->run_id,
		     hist__input_name(g->in), 1)) < 0)
		return error;
	if (seen == HIST__INPUT_HELD) {
		/* The caller rolls this back: same content, nothing new. */
		g->stats->already_seen = 1;
		return HIST_OK;
	}
	start = g->session.start_us >= 0 ? g->session.start_us : g->opts->fallback_start_us;
	if ((error = hist__store_run(&g->run, g->db, suite, g->opts->run_id, start)) < 0)
		return error;
	return hist__store_input_add(g->db, hash, raw, g->run, &g->session, g->stats->tests, g->test_us);
}

/* What the first bytes say; HIST_FORMAT_UNKNOWN with an error set when the
 * input cannot be taken at all. */
static int sniff(hist_format *out, hist__input *in, hist__err *err, const char *path)
{
	const unsigned char *data;
	long n = hist__input_peek(in, &data, SNIFF_BYTES);
	size_t start;

	*out = HIST_FORMAT_UNKNOWN;
	if (n < 0)
		return (int)n;
	start = content_start(data, (size_t)n);
	/* Nothing but blank space (all of it fits in the peek) is empty too. */
	if (start == (size_t)n && n < SNIFF_BYTES)
		return hist__error(err, HIST_E_PARSE, "%s: empty file", hist__input_name(in));
	if ((size_t)n >= sizeof sqlite_magic && memcmp(data, sqlite_magic, sizeof sqlite_magic) == 0) {
		/* SQLite needs a file it can seek in: not a pipe, not gzip. */
		if (strcmp(path, "-") == 0)
			return hist__error(err, HIST_E_FORMAT,
				"%s: a history database cannot be read from stdin; give its path", hist__input_name(in));
		if (hist__input_is_gzip(in))
			return hist__error(err, HIST_E_FORMAT, "%s: a compressed history database; decompress it first",
				hist__input_name(in));
		*out = HIST_FORMAT_DATABASE;
		return HIST_OK;
	}
	/* '<' is XML; '{' one of the JSON formats, which jsonl.c tells apart. */
	if (utf16_xml(data, (size_t)n) || (start < (size_t)n && data[start] == '<'))
		*out = HIST_FORMAT_JUNIT;
	else if (start < (size_t)n && data[start] == '{')
		*out = hist__jsonl_sniff(data, (size_t)n);
	if (*out == HIST_FORMAT_UNKNOWN)
		return hist__error(err, HIST_E_FORMAT,
			"%s: unknown format (not JUnit XML, a JSON report or a hist database)", hist__input_name(in));
	return HIST_OK;
}

int hist_ingest_path(hist_ingest_stats *out, hist_db *db, const char *path, const char *name,
	const hist_ingest_options *opts)
{
	hist_ingest_options defaults = HIST_INGEST_OPTIONS_INIT;
	ingest g = { 0 };
	hist_format format = HIST_FORMAT_UNKNOWN;
	const char *suite;
	unsigned char raw[16];
	int error, began = 0, have_raw, seen, pre_hash;
	int64_t seen_tests;

	memset(out, 0, sizeof *out);
	if (!db)
		return HIST_E_INVALID;
	if (!path)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "no input path");
	if (!name)
		name = path;
	if (!opts)
		opts = &defaults;
	if (opts->version == 0 || opts->version > HIST_INGEST_OPTIONS_VERSION)
		return hist__error(hist__db_err(db), HIST_E_INVALID, "hist_ingest_options version %u is not supported",
			opts->version);
	suite = opts->suite ? opts->suite : "default";
	g.db = db;
	g.opts = opts;
	g.stats = out;
	g.session = (hist__session)HIST__SESSION_INIT;
	if ((error = hist__input_open(&g.in, path, name, &g.perr)) < 0 ||
		(error = sniff(&format, g.in, &g.perr, path)) < 0)
		goto done;
	out->format = format;
	if (format == HIST_FORMAT_DATABASE) {
		/* Merging has its own transaction around an ATTACH. */
		hist__input_free(g.in);
		g.in = NULL;
		/* SQLite's messages name the history; say which input too. */
		if ((error = hist__store_merge(out, db, path, name)) < 0 &&
			strncmp(hist_db_errmsg(db), name, strlen(name)) != 0)
			prefixed(db, error, name);
		goto done;
	}
	if (!opts->run_id || !*opts->run_id) {
		error = hist__error(hist__db_err(db), HIST_E_INVALID, "%s: no run id for its results",
			hist__input_name(g.in));
		goto done;
	}
	/* A file seen before is known by its bytes, before any parsing (or
	 * inflating): re-ingesting costs a read instead of a full ingest.
	 * Into a history with no input yet nothing was seen before, and a
	 * plain file's raw hash is its content hash, which the parse makes
	 * anyway (only a gzip file's is stored): that read of the whole file,
	 * before the parse can start, is skipped (1M real tests: 228 MB). */
	pre_hash = hist__input_is_gzip(g.in);
	if (!pre_hash && (error = hist__store_any_input(&pre_hash, db)) < 0)
		goto done;
	if ((error = have_raw = pre_hash ? hist__input_raw_hash(g.in, raw) : 0) < 0)
		goto done;
	if (have_raw) {
		if ((error = hist__store_input_owner(&seen, &seen_tests, db, raw, suite, opts->run_id,
			     hist__input_name(g.in), 0)) < 0)
			goto done;
		if (seen == HIST__INPUT_HELD) {
			out->already_seen = 1;
			out->tests = out->duplicates = seen_tests;
			goto done;
		}
	}
	if ((error = hist__store_begin(db)) < 0)
		goto done;
	began = 1;
	if ((error = ingest_text(&g, format, suite, have_raw ? raw : NULL)) < 0)
		goto done;
	if (out->already_seen) {
		hist__store_rollback(db);
		began = 0;
		out->added = 0;
		out->duplicates = out->tests;
		goto done;
	}
	/* A failed COMMIT (busy) leaves the transaction open: roll back. The
	 * results are packed at commit, so a full disk shows here: say which
	 * input, as a failure while parsing does. */
	if ((error = hist__store_commit(db)) == HIST_OK)
		began = 0;
	else
		prefixed(db, error, hist__input_name(g.in));
done:
	if (began)
		hist__store_rollback(db);
	if (error < 0) {
		memset(out, 0, sizeof *out);
		out->format = format;
		/* The input's or the parser's message, when it was theirs. */
		if (g.perr.msg)
			hist__error(hist__db_err(db), error, "%s", g.perr.msg);
	}
	hist__pipe_free(g.pipe);
	hist__input_free(g.in);
	hist__free(g.plan_id);
	hist__err_clear(&g.perr);
	return error;
}
