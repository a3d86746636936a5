/* check_hostile.c - the second line of defence in the JUnit reader, and
 * libxml2's limits. xmlscan.c refuses "<!ENTITY" in the document, so these
 * inputs declare nothing there: their entities live in an external DTD that
 * exists, their URLs name real files and a listening socket. Each test
 * fails when one libxml2 option that keeps DTDs, entities, XInclude, the
 * network or HUGE out is flipped (scripts/flip-xml-options.sh proves it);
 * hist__junit_test_options weakens one layer where the next is tested. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <libxml/parser.h>
#include <sqlite3.h>

#include "check_util.h"
#include "collect.h"
#include "io.h"
#include "junit.h"
#include "alloc.h"

#define SECRET "HIST-FIXTURE-SECRET"

static void setup(void)
{
	scratch_make();
	hist__junit_test_options = 0;
}

static void teardown(void)
{
	hist__junit_test_options = 0;
	scratch_remove();
}

/* Parses the file at path into c; returns the code, the message in msg. */
static int parse_file(const char *path, collector *c, char *msg, size_t msgsize)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { collect_record, collect_session, c, NULL };
	hist__input *in = NULL;
	const char *base = strrchr(path, '/');
	int error;

	collector_init(c);
	if ((error = hist__input_open(&in, path, base ? base + 1 : path, &e)) == 0)
		error = hist__junit_parse(in, &sink, &e);
	snprintf(msg, msgsize, "%s", hist__err_msg(&e));
	hist__input_free(in);
	hist__err_clear(&e);
	return error;
}

static void write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

/* The secret's absolute path (a file:// URL needs one). */
static const char *secret_path(void)
{
	static char path[8192];
	const char *rel = fixture("secret/secret.txt");
	char cwd[1024];

	if (rel[0] == '/') {
		snprintf(path, sizeof path, "%s", rel);
	} else {
		ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
		snprintf(path, sizeof path, "%s/%s", cwd, rel);
	}
	return path;
}

/* scratch/ext.dtd: an internal entity, an external one naming the secret,
 * parameter entities that put the secret into a general entity's value,
 * and a default attribute. Every one is live once libxml2 reads the file. */
static const char *write_dtd(void)
{
	char dtd[20000];
	const char *s = secret_path();

	snprintf(dtd, sizeof dtd,
		"<!ENTITY plain \"from-the-dtd\">\n"
		"<!ENTITY xxe SYSTEM \"file://%s\">\n"
		"<!ENTITY %% s SYSTEM \"file://%s\">\n"
		"<!ENTITY %% w \"<!ENTITY leak '%%s;'>\">\n"
		"%%w;\n"
		"<!ATTLIST testcase classname CDATA \"from-the-dtd-default\">\n",
		s, s);
	write_str(scratch_path(0, "ext.dtd"), dtd);
	return scratch_path(0, "ext.dtd");
}

/* scratch/name: a DOCTYPE naming the DTD at dtd_url, then body. */
static const char *write_doc(const char *name, const char *dtd_url, const char *body)
{
	char doc[8192];

	snprintf(doc, sizeof doc, "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite SYSTEM \"%s\">\n%s\n", dtd_url,
		body);
	write_str(scratch_path(1, name), doc);
	return scratch_path(1, name);
}

static void assert_no_secret(const collector *c, const char *msg)
{
	ck_assert_ptr_null(strstr(msg, SECRET));
	for (size_t i = 0; i < c->n; i++)
		ck_assert_msg(!strstr(c->r[i].id, SECRET), "secret stored as test id %s", c->r[i].id);
}

START_TEST(probe_inputs_are_live)
{
	/* Guards the tests below: with DTD loading and substitution on, the
	 * same input does store the secret as a test id. */
	collector c;
	char msg[512], url[4096];

	snprintf(url, sizeof url, "file://%s", write_dtd());
	hist__junit_test_options = XML_PARSE_DTDLOAD | XML_PARSE_NOENT;
	ck_assert_int_eq(parse_file(write_doc("a.xml", url, "<testsuite><testcase classname=\"c\" name=\"&leak;\"/>"
		"</testsuite>"), &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_ptr_nonnull(strstr(c.r[0].id, SECRET));
	collector_free(&c);
}
END_TEST

START_TEST(external_dtd_is_never_loaded)
{
	/* An entity of the DTD in an attribute: undeclared unless the DTD was
	 * read (DTDLOAD, DTDATTR and DTDVALID each read it). */
	collector c;
	char msg[512];
	const char *dtd = write_dtd(), *doc;

	doc = write_doc("e.xml", dtd, "<testsuite><testcase classname=\"c\" name=\"&plain;\"/></testsuite>");
	ck_assert_int_eq(parse_file(doc, &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "e.xml:3: Entity 'plain' not defined");
	ck_assert_uint_eq(c.n, 0);
	collector_free(&c);
}
END_TEST

START_TEST(parameter_entities_in_external_dtd_read_nothing)
{
	/* The secret reaches "leak" only through parameter entities of the
	 * external DTD, by a file:// URL (DTDVALID alone expands them). */
	collector c;
	char msg[512], url[4096];
	const char *doc;

	snprintf(url, sizeof url, "file://%s", write_dtd());
	doc = write_doc("a.xml", url, "<testsuite><testcase classname=\"c\" name=\"&leak;\"/>"
		"<testcase classname=\"c\" name=\"t\">&xxe;</testcase></testsuite>");
	ck_assert_int_eq(parse_file(doc, &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "a.xml:3: Entity 'leak' not defined");
	assert_no_secret(&c, msg);
	collector_free(&c);
}
END_TEST

START_TEST(entities_stay_references_when_the_dtd_is_read)
{
	/* Layer two alone: the DTD is read (weakened on purpose), so the
	 * entities are declared; no substitution may happen all the same. */
	collector c;
	char msg[512];
	const char *dtd = write_dtd(), *doc;

	hist__junit_test_options = XML_PARSE_DTDLOAD;
	doc = write_doc("a.xml", dtd, "<testsuite><testcase classname=\"c\" name=\"&leak;\"/></testsuite>");
	ck_assert_int_eq(parse_file(doc, &c, msg, sizeof msg), HIST_E_PARSE);
	assert_no_secret(&c, msg);
	collector_free(&c);
	/* An external entity in content stays a reference node, which the
	 * walk refuses (NOENT would read the file into the text). */
	doc = write_doc("b.xml", dtd, "<testsuite><testcase classname=\"c\" name=\"t\">&xxe;</testcase></testsuite>");
	ck_assert_int_eq(parse_file(doc, &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "b.xml:3: entity reference refused");
	ck_assert_uint_eq(c.n, 0);
	collector_free(&c);
}
END_TEST

START_TEST(default_attributes_are_not_applied)
{
	/* A nameless testcase is no test; DTDATTR would name it from the
	 * external DTD's or the internal subset's ATTLIST default. */
	collector c;
	char msg[512];
	const char *doc;

	doc = write_doc("c.xml", write_dtd(), "<testsuite><testcase name=\"t\"/></testsuite>");
	ck_assert_int_eq(parse_file(doc, &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.r[0].id, "::t");
	collector_free(&c);
	write_str(scratch_path(1, "d.xml"), "<!DOCTYPE testsuite [<!ATTLIST testcase name CDATA \"dflt\">]>\n"
		"<testsuite><testcase classname=\"c\"/></testsuite>\n");
	ck_assert_int_eq(parse_file(scratch_path(1, "d.xml"), &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 0);
	collector_free(&c);
}
END_TEST

START_TEST(xinclude_is_not_processed)
{
	collector c;
	char msg[512], doc[1024];

	write_str(scratch_path(0, "other.xml"), "<testcase classname=\"inc\" name=\"included\"/>\n");
	snprintf(doc, sizeof doc, "<testsuite xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
		"<testcase classname=\"c\" name=\"t\"/><xi:include href=\"file://%s\"/></testsuite>\n",
		scratch_path(0, "other.xml"));
	write_str(scratch_path(1, "inc.xml"), doc);
	ck_assert_int_eq(parse_file(scratch_path(1, "inc.xml"), &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.r[0].id, "c::t");
	collector_free(&c);
}
END_TEST

/* A listener on 127.0.0.1 that counts connections until told to stop. */
typedef struct {
	int fd;
	atomic_int stop, connections;
} listener;

static void *listen_loop(void *arg)
{
	listener *l = arg;

	while (!atomic_load(&l->stop)) {
		struct pollfd p = { l->fd, POLLIN, 0 };

		if (poll(&p, 1, 50) == 1) {
			int c = accept(l->fd, NULL, NULL);

			if (c >= 0) {
				atomic_fetch_add(&l->connections, 1);
				close(c); /* the client reads end of file at once */
			}
		}
	}
	return NULL;
}

static void quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

START_TEST(network_is_never_touched)
{
	/* Layer three alone: DTD loading weakened on purpose, an http:// DTD
	 * on a port that listens. NONET must keep libxml2 from connecting. */
	listener l = { -1, 0, 0 };
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	pthread_t t;
	collector c;
	char msg[512], url[128];

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(l.fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(l.fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(l.fd, 8), 0);
	ck_assert_int_eq(getsockname(l.fd, (struct sockaddr *)&a, &alen), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, listen_loop, &l), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/junit.dtd", (unsigned)ntohs(a.sin_port));
	hist__junit_test_options = XML_PARSE_DTDLOAD;
	/* NONET's refusal goes to libxml2's generic handler (stderr). */
	xmlSetGenericErrorFunc(NULL, quiet);
	ck_assert_int_eq(parse_file(write_doc("n.xml", url, "<testsuite><testcase classname=\"c\" name=\"t\"/>"
		"</testsuite>"), &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 1);
	collector_free(&c);
	/* A connection made during the parse is queued by now: one more
	 * round of the loop sees it. */
	nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	atomic_store(&l.stop, 1);
	pthread_join(t, NULL);
	close(l.fd);
	xmlSetGenericErrorFunc(NULL, NULL);
	ck_assert_int_eq(atomic_load(&l.connections), 0);
}
END_TEST

/* scratch/name: <testsuite> with one testcase, then `pad` bytes of `fill`
 * written where `where` says, then a second testcase; gzip when gz. */
enum { IN_WHITESPACE, IN_TESTCASE, IN_ATTRIBUTE, IN_COMMENT, IN_CDATA, IN_PI };

static const char *write_huge(const char *name, int where, size_t pad, int gz)
{
	static const char *const open_[] = { "\n", "<testcase classname=\"c\" name=\"x\">",
		"<properties><property name=\"p\" value=\"", "<!--", "<testcase classname=\"c\" name=\"y\"><![CDATA[",
		"<?pi " };
	static const char *const close_[] = { "\n", "</testcase>\n", "\"/></properties>\n", "-->\n",
		"]]></testcase>\n", "?>\n" };
	const char *path = scratch_path(1, name);
	char chunk[65536];
	gzFile z = gz ? gzopen(path, "wb1") : NULL;
	FILE *f = gz ? NULL : fopen(path, "wb");
	const char *head = "<testsuite>\n<testcase classname=\"c\" name=\"a\"/>\n";
	const char *tail = "<testcase classname=\"c\" name=\"b\"/></testsuite>\n";

	ck_assert(gz ? z != NULL : f != NULL);
	memset(chunk, where == IN_WHITESPACE ? ' ' : 'x', sizeof chunk);
#define PUT(p, n) (gz ? (size_t)gzwrite(z, (p), (unsigned)(n)) : fwrite((p), 1, (n), f))
	ck_assert_uint_eq(PUT(head, strlen(head)), strlen(head));
	ck_assert_uint_eq(PUT(open_[where], strlen(open_[where])), strlen(open_[where]));
	for (size_t done = 0; done < pad; done += sizeof chunk) {
		size_t n = pad - done < sizeof chunk ? pad - done : sizeof chunk;

		ck_assert_uint_eq(PUT(chunk, n), n);
	}
	ck_assert_uint_eq(PUT(close_[where], strlen(close_[where])), strlen(close_[where]));
	ck_assert_uint_eq(PUT(tail, strlen(tail)), strlen(tail));
#undef PUT
	ck_assert_int_eq(gz ? gzclose(z) : fclose(f), 0);
	return path;
}

#define OVER_LIMIT (11u << 20) /* libxml2's text limit is 10,000,000 bytes */

/* name, with OVER_LIMIT bytes where says, is refused at line for reason. */
static void huge_refused(const char *name, int where, int gz, int line, const char *reason)
{
	collector c;
	char msg[512], want[512];

	ck_assert_int_eq(parse_file(write_huge(name, where, OVER_LIMIT, gz), &c, msg, sizeof msg), HIST_E_PARSE);
	snprintf(want, sizeof want, "%s:%d: %s", name, line, reason);
	ck_assert_str_eq(msg, want);
	collector_free(&c);
}

START_TEST(huge_text_outside_output_is_a_limit_not_out_of_memory)
{
	static const char text_reason[] = "text longer than 10 MB outside <system-out>, <system-err> and the "
					  "result elements (libxml2's limit)";
	static const char lookup_reason[] = "a name, attribute value, comment, CDATA section or processing "
					    "instruction longer than 10 MB (libxml2's limit)";
	collector c;
	char msg[512];

	/* Whitespace between testcases, in a gzip of a few hundred KB (the
	 * text ends on line 4). */
	huge_refused("ws.xml.gz", IN_WHITESPACE, 1, 4, text_reason);
	/* Text straight inside a testcase. */
	huge_refused("tc.xml", IN_TESTCASE, 0, 3, text_reason);
	/* An attribute, a comment, a CDATA section outside the output, a
	 * processing instruction. */
	huge_refused("at.xml", IN_ATTRIBUTE, 0, 3, lookup_reason);
	huge_refused("cm.xml", IN_COMMENT, 0, 3, lookup_reason);
	huge_refused("cd.xml", IN_CDATA, 0, 3, lookup_reason);
	huge_refused("pi.xml", IN_PI, 0, 3, lookup_reason);
	/* Under the limit the same file parses. */
	ck_assert_int_eq(parse_file(write_huge("ok.xml.gz", IN_WHITESPACE, 9u << 20, 1), &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 2);
	collector_free(&c);
}
END_TEST

START_TEST(million_deep_nesting_stops_at_depth_256)
{
	const char *path = scratch_path(1, "deep.xml");
	FILE *f = fopen(path, "wb");
	collector c;
	char msg[512];

	ck_assert_ptr_nonnull(f);
	fputs("<testsuite>\n", f);
	for (int i = 0; i < 1000000; i++)
		fputs("<a>", f);
	for (int i = 0; i < 1000000; i++)
		fputs("</a>", f);
	fputs("</testsuite>\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(parse_file(path, &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "deep.xml:2: Excessive depth in document: 256 use XML_PARSE_HUGE option");
	collector_free(&c);
}
END_TEST


/* ------------------------------------------------------------------ */
/* Crafted history databases given to a merge                          */

static int ingest(hist_db *db, const char *path, const char *run_id)
{
	hist_ingest_options o = HIST_INGEST_OPTIONS_INIT;
	hist_ingest_stats st;

	o.run_id = run_id;
	return hist_ingest_path(&st, db, path, NULL, &o);
}

/* scratch/src.db: a new real history (one JUnit input), then `sql` run
 * on it with the sqlite3 API as an attacker would. */
static const char *crafted_source(const char *sql)
{
	const char *path = scratch_path(2, "src.db");
	hist_db *db;
	sqlite3 *raw = NULL;
	char *msg = NULL;

	unlink(path);
	db = open_ok(path);
	ck_assert_int_eq(ingest(db, fixture("junit/pytest-xunit1.xml"), "r1"), HIST_OK);
	hist_db_free(db);
	ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(raw, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(raw);
	return path;
}

/* Merges src into a history that already holds results: refused with
 * code and `want`, the history as it was. */
static void merge_refused_with(const char *src, int code, const char *want)
{
	hist_db *db = open_ok(scratch_path(3, "h.db"));
	hist_ingest_stats st;
	char *before, *after;
	int error;

	ck_assert_int_eq(ingest(db, fixture("jsonl/hist-sample.jsonl"), "r2"), HIST_OK);
	before = dump(db);
	error = hist_ingest_path(&st, db, src, "src.db", NULL);
	ck_assert_msg(error == code, "%d %s", error, hist_db_errmsg(db));
	/* The input named once, by the name given (not "src.db: /path/src.db: "). */
	ck_assert_str_eq(hist_db_errmsg(db), want);
	after = dump(db);
	ck_assert_str_eq(before, after);
	hist__free(before);
	hist__free(after);
	hist_db_free(db);
}

static void merge_refused(const char *src, const char *want)
{
	merge_refused_with(src, HIST_E_SCHEMA, want);
}

static const char odd_schema[] = "src.db: not a hist history as hist writes it (a view, trigger, virtual "
				 "table, generated column or missing table in its schema); refused";

START_TEST(crafted_schemas_are_refused_fast)
{
	/* A view that would give 10^12 rows for the results. */
	merge_refused(crafted_source("ALTER TABLE packs RENAME TO p0; CREATE VIEW packs AS WITH RECURSIVE"
		" c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) SELECT p.* FROM p0 p, c"),
		odd_schema);
	merge_refused(crafted_source("DROP TABLE packs"), odd_schema);
	merge_refused(crafted_source("CREATE TRIGGER t AFTER INSERT ON suites BEGIN DELETE FROM runs; END"),
		odd_schema);
	/* A generated column that builds a 100 MB value for every row read. */
	merge_refused(crafted_source("ALTER TABLE runs ADD COLUMN g TEXT AS (zeroblob(100000000)) VIRTUAL"),
		odd_schema);
	merge_refused(crafted_source("DROP TABLE inputs"), odd_schema);
}
END_TEST

/* The packs of a crafted history (the only copy of its results since
 * schema 6): refused with the run named, whatever the bytes say. */
START_TEST(crafted_packs_are_refused)
{
	static const char damaged[] = "src.db: packed results of run 1 are damaged";

	/* Not a pack; an outcome past xpassed; a test id step past the chunk;
	 * a varint that never ends; chunk numbers that overflow the test ids
	 * (hist__pack_chunk, the check every pack read makes). */
	merge_refused_with(crafted_source("UPDATE packs SET data = x'05ff'"), HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET data = x'0107'"), HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET data = x'ff0300'"), HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET data = x'01' || zeroblob(10) || x'ffffffffffffffffffffff'"),
		HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET chunk = 1 << 40"), HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET chunk = -1"), HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET chunk = 9223372036854775807"), HIST_E_DB, damaged);
	/* Not integers: a whole read would take them for chunk 0. */
	merge_refused_with(crafted_source("UPDATE packs SET chunk = 0.5"), HIST_E_DB, damaged);
	merge_refused_with(crafted_source("UPDATE packs SET chunk = 'zero'"), HIST_E_DB, damaged);
}
END_TEST

/* The file's bytes, to check a refused operation changed nothing. */
static char *file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_ge(n = ftell(f), 0);
	rewind(f);
	b = hist__malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Checks the file at path still holds before's bytes; frees before. */
static void assert_unchanged(const char *path, char *before, size_t nbefore, const char *what)
{
	size_t nafter;
	char *after = file_bytes(path, &nafter);

	ck_assert_msg(nbefore == nafter && memcmp(before, after, nbefore) == 0, "%s: the file changed", what);
	hist__free(before);
	hist__free(after);
}

static int count_result(const hist_test_result *r, void *payload)
{
	(void)r;
	++*(int *)payload;
	return 0;
}

/* A history whose test "t::both" ran in suite a's old run a1 (run 1) and
 * in suite b's run b1 (run 3), with a2 (run 2) newer in a: pruning a to
 * one run leaves b1 the only run with t::both, so whether its name stays
 * hangs on the one-pack probe of b1. `sql` then damages b1's pack. */
static const char *crafted_probe_history(const char *sql)
{
	const char *path = scratch_path(2, "probe.db");
	hist_db *db;
	sqlite3 *raw = NULL;
	char *msg = NULL;

	unlink(path);
	db = open_ok(path);
	put_result(db, "a", "a1", 1000, "t::both", 0, HIST_OUTCOME_PASSED, 10, 1);
	put_result(db, "a", "a2", 2000, "t::other", 0, HIST_OUTCOME_PASSED, 10, 1);
	put_result(db, "b", "b1", 1000, "t::both", 0, HIST_OUTCOME_PASSED, 10, 1);
	hist_db_free(db);
	ck_assert_int_eq(sqlite3_open(path, &raw), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(raw, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(raw);
	return path;
}

/* Each tool's path to a one-pack read (histprune's "a result left?",
 * histstats --test, histmerge into a run that has results) on a pack
 * whose chunk number a whole read refuses: the same refusal, naming the
 * run, and the file's bytes as they were. Before this every one of them
 * looked for the pack at its right place only: prune forgot t::both
 * (b1 still held its result, unreadable), --test showed one result of
 * two, and the merge stored one more pack beside the damaged one. */
START_TEST(one_pack_reads_refuse_crafted_chunks)
{
	static const char *const chunks[] = { "-1", "1 << 40", "9223372036854775807", "0.5", "'zero'", "x'00'" };
	const char *junit = scratch_path(1, "b1.xml");

	write_str(junit, "<testsuite><testcase classname=\"t\" name=\"new\" time=\"1\"/></testsuite>\n");
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		char sql[128], want[512];
		const char *path;
		hist_prune_options po = HIST_PRUNE_OPTIONS_INIT;
		hist_prune_stats ps;
		hist_ingest_options io = HIST_INGEST_OPTIONS_INIT;
		hist_ingest_stats is;
		hist_db *db;
		char *before;
		size_t nbefore;
		int seen = 0;

		snprintf(sql, sizeof sql, "UPDATE packs SET chunk = %s WHERE run_id = 3", chunks[i]);
		path = crafted_probe_history(sql);
		snprintf(want, sizeof want, "%s: packed results of run 3 are damaged", path);
		before = file_bytes(path, &nbefore);
		db = open_ok(path);
		po.suite = "a";
		po.keep_runs = 1;
		ck_assert_msg(hist_db_prune(&ps, db, &po) == HIST_E_DB, "%s: prune: %s", chunks[i], hist_db_errmsg(db));
		ck_assert_str_eq(hist_db_errmsg(db), want);
		ck_assert_msg(hist_db_test_history(db, NULL, "t::both", count_result, &seen) == HIST_E_DB,
			"%s: --test: %d results", chunks[i], seen);
		ck_assert_str_eq(hist_db_errmsg(db), want);
		io.suite = "b";
		io.run_id = "b1";
		ck_assert_msg(hist_ingest_path(&is, db, junit, NULL, &io) == HIST_E_DB, "%s: merge: %s", chunks[i],
			hist_db_errmsg(db));
		/* An ingest's messages name the input first. */
		ck_assert_ptr_nonnull(strstr(hist_db_errmsg(db), want));
		hist_db_free(db);
		assert_unchanged(path, before, nbefore, chunks[i]);
	}
}
END_TEST

/* The user's own history (say from a poisoned CI cache) with a trigger
 * or view: refused by every open, read-only too, and nothing runs. */
START_TEST(own_history_with_a_trigger_or_view_is_refused)
{
	static const char *const crafts[] = {
		"CREATE TABLE seen(x); CREATE TRIGGER t AFTER INSERT ON runs BEGIN INSERT INTO seen VALUES (1); END",
		"CREATE VIEW v AS SELECT * FROM runs",
	};

	for (size_t i = 0; i < sizeof crafts / sizeof crafts[0]; i++) {
		const char *path = crafted_source(crafts[i]);
		hist_db_options ro = HIST_DB_OPTIONS_INIT;
		char want[512], *before;
		size_t nbefore;
		hist_db *db = NULL;

		snprintf(want, sizeof want,
			"%s: not a hist history as hist writes it (a view or trigger in its schema); refused", path);
		before = file_bytes(path, &nbefore);
		ck_assert_int_eq(hist_db_open(&db, path, NULL), HIST_E_SCHEMA);
		ck_assert_str_eq(hist_db_errmsg(db), want);
		hist_db_free(db);
		ro.read_only = 1;
		ck_assert_int_eq(hist_db_open(&db, path, &ro), HIST_E_SCHEMA);
		ck_assert_str_eq(hist_db_errmsg(db), want);
		hist_db_free(db);
		assert_unchanged(path, before, nbefore, crafts[i]);
	}
}
END_TEST

START_TEST(a_huge_page_count_is_a_damaged_file)
{
	/* The header claims 2^31 pages (with the version-valid-for field set
	 * so SQLite believes it). */
	const char *src = crafted_source("SELECT 1");
	hist_db *db;
	hist_ingest_stats st;
	unsigned char h[100];
	FILE *f = fopen(src, "r+b");
	char *before, *after;

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(h, 1, sizeof h, f), sizeof h);
	h[28] = 0x7f, h[29] = h[30] = h[31] = 0xf0;
	memcpy(h + 92, h + 24, 4);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(h, 1, sizeof h, f), sizeof h);
	ck_assert_int_eq(fclose(f), 0);
	db = open_ok(scratch_path(3, "h.db"));
	before = dump(db);
	ck_assert_int_eq(hist_ingest_path(&st, db, src, "src.db", NULL), HIST_E_DB);
	/* The source is damaged, not the history SQLite's message names. */
	ck_assert_str_eq(hist_db_errmsg(db), "src.db: database disk image is malformed");
	after = dump(db);
	ck_assert_str_eq(before, after);
	hist__free(before);
	hist__free(after);
	hist_db_free(db);
}
END_TEST

Suite *check_hostile_suite(void);
Suite *check_hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("xml");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, probe_inputs_are_live);
	tcase_add_test(tc, external_dtd_is_never_loaded);
	tcase_add_test(tc, parameter_entities_in_external_dtd_read_nothing);
	tcase_add_test(tc, entities_stay_references_when_the_dtd_is_read);
	tcase_add_test(tc, default_attributes_are_not_applied);
	tcase_add_test(tc, xinclude_is_not_processed);
	tcase_add_test(tc, network_is_never_touched);
	tcase_add_test(tc, huge_text_outside_output_is_a_limit_not_out_of_memory);
	tcase_add_test(tc, million_deep_nesting_stops_at_depth_256);
	suite_add_tcase(s, tc);
	tc = tcase_create("db");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, crafted_schemas_are_refused_fast);
	tcase_add_test(tc, crafted_packs_are_refused);
	tcase_add_test(tc, own_history_with_a_trigger_or_view_is_refused);
	tcase_add_test(tc, one_pack_reads_refuse_crafted_chunks);
	tcase_add_test(tc, a_huge_page_count_is_a_damaged_file);
	suite_add_tcase(s, tc);
	return s;
}
