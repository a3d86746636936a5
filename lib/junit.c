/* junit.c - JUnit XML reader.
 * Owns: walking the document with libxml2's SAX2 push parser over io.c
 * (no tree: xmlTextReader built and freed a node for every element and
 * text, 40% of the parse) and turning each
 * <testcase> into a hist__record: the test id (pytest xunit1 nodeid or the
 * junitxml key), outcome, duration; the session facts of the <testsuite>s;
 * refusing documents that declare entities before libxml2 sees them.
 * The only user of libxml2.
 * Not here: gzip and reading files (io.c), the nodeid rules (nodeid.c),
 * storage (store*.c). */
#include "junit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlversion.h>

#include "alloc.h"
#include "buf.h"
#include "hist.h"
#include "nodeid.h"
#include "num.h"
#include "xmlscan.h"

/* A test id longer than this is refused: pytest nodeids of real suites stay
 * under 1 KiB; 64 KiB leaves room for generated parameter ids. */
#define ID_MAX (64 * 1024)
/* How much of the start is examined for a BOM and the XML declaration. */
#define PROLOG_PEEK 4096
/* Text bytes of one output or result element that libxml2 still checks
 * before xmlscan.c drops the rest; far below libxml2's 10 MB text limit. */
#define TEXT_KEEP (1024 * 1024)
/* Bytes handed to the parser at a time. */
#define CHUNK (16 * 1024)

static int ascii_ieq_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != prefix[i])
			return 0;
	}
	return 1;
}

/* Encodings in which every ASCII character is its own byte, so xmlscan.c
 * reads them as bytes. Others (UTF-7, EBCDIC, UCS-4) could spell "<!ENTITY"
 * in bytes the guard would not recognise, and JUnit writers do not use them. */
static int encoding_ok(const char *name, size_t len)
{
	static const char *const ok[] = { "UTF-8", "UTF8", "UTF-16", "UTF16", "ISO-8859-", "ISO8859-",
		"ISO_8859-", "ISO-LATIN-", "LATIN", "L1", "US-ASCII", "ASCII", "WINDOWS-125", "CP125",
		"KOI8-", "SHIFT_JIS", "EUC-JP", "EUC-KR", "GB2312", "GBK", "GB18030", "BIG5" };

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (ascii_ieq_prefix(name, len, ok[i]))
			return 1;
	return 0;
}

#ifdef HIST_TESTING
int hist__junit_test_options;
#endif

/* ------------------------------------------------------------------ */
/* The parse                                                           */

/* Element and attribute names the walk looks for. The parser interns every
 * name in its dictionary, and xmlDictLookup interns ours there too, so a
 * name is one of these exactly when the pointers are equal: no strcmp per
 * element and attribute, which cost 5% of a parse. */
enum {
	N_TESTSUITES, N_TESTSUITE, N_TESTRUN, N_TESTCASE, N_FAILURE, N_ERROR, N_SKIPPED, N_FLAKY_FAILURE,
	N_FLAKY_ERROR, N_RERUN_FAILURE, N_RERUN_ERROR, N_NAME, N_CLASSNAME, N_CLASS, N_FILE, N_TIME,
	N_TIMESTAMP, N_TYPE, N_COUNT
};

static const char *const names[N_COUNT] = {
	[N_TESTSUITES] = "testsuites",
	[N_TESTSUITE] = "testsuite",
	[N_TESTRUN] = "testrun",
	[N_TESTCASE] = "testcase",
	[N_FAILURE] = "failure",
	[N_ERROR] = "error",
	[N_SKIPPED] = "skipped",
	[N_FLAKY_FAILURE] = "flakyFailure",
	[N_FLAKY_ERROR] = "flakyError",
	[N_RERUN_FAILURE] = "rerunFailure",
	[N_RERUN_ERROR] = "rerunError",
	[N_NAME] = "name",
	[N_CLASSNAME] = "classname",
	[N_CLASS] = "class",
	[N_FILE] = "file",
	[N_TIME] = "time",
	[N_TIMESTAMP] = "timestamp",
	[N_TYPE] = "type",
};

/* One attribute as SAX2 gives it: localname, prefix, URI, value, end. */
enum { A_LOCAL, A_PREFIX, A_URI, A_VALUE, A_END, A_FIELDS };

typedef struct {
	int depth;
	int results;          /* outcome children seen */
	hist_outcome outcome; /* the worst of them */
	unsigned int attempts;
	int64_t duration_us;
	unsigned long line;
	int skip;             /* no name: nothing to identify it by */
	hist__buf id;
	int id_is_key;
} open_case;

typedef struct {
	hist__input *in;
	const char *name;
	const hist__sink *sink;
	hist__err *err;
	xmlParserCtxtPtr ctxt;
	hist__xmlscan scan;
	int utf16;
	int io_error;         /* a HIST_E_* from the input or the scan */
	hist__buf xml_msg;    /* the first libxml2 error */
	unsigned long xml_line;
	int xml_failed;
	int xml_nomem;        /* libxml2 ran out of memory (XML_ERR_NO_MEMORY) */
	char generic_msg[160]; /* the first thing libxml2 said outside its error
	                        * structure ("xmlNewTextReader : malloc failed") */
	open_case *cases;     /* testcases open (nested ones are rare) */
	size_t ncases, capcases;
	open_case pending;    /* the last finished testcase, not yet sent */
	int have_pending;
	hist__buf cls, tname, file; /* attributes of the testcase being opened */
	hist__session session;
	int64_t top_time_sum;
	int have_top_time, have_root_time;
	const xmlChar *interned[N_COUNT]; /* names[], in the parser's dictionary */
	int depth;            /* of the next element to start; the root's is 0 */
	int skip_depth;       /* elements are ignored down to the end of the
	                       * one at this depth; -1 when none is */
	int root_is_suites;
	int walk_error;       /* a HIST_E_* of the walk; the parser is stopped */
	size_t text_run;      /* bytes of the text node libxml2's tree would be building */
} junit;

static int read_cb(void *ctx, char *buf, int len)
{
	junit *j = ctx;
	long n, w;

	if (j->io_error)
		return -1;
	/* Loop: elision may leave nothing of a chunk, and 0 would mean EOF. */
	do {
		if ((n = hist__input_read(j->in, buf, (size_t)len)) < 0) {
			j->io_error = (int)n;
			return -1;
		}
		if (n == 0)
			return 0;
		if ((w = hist__xmlscan_filter(&j->scan, (unsigned char *)buf, (size_t)n)) < 0) {
			j->io_error = hist__error(j->err, HIST_E_PARSE,
				"%s:%lu: the DOCTYPE declares an entity (<!ENTITY>); refused: entities can "
				"read files and expand without bound", j->name, j->scan.line);
			return -1;
		}
	} while (w == 0);
	return (int)w;
}

/* libxml2's limits without XML_PARSE_HUGE, reported in its own words as
 * "out of memory" or an "internal error": the reason the user needs. */
static const char *limit_reason(const xmlError *e)
{
	if (!e->message)
		return NULL;
	if (e->code == XML_ERR_NO_MEMORY && strstr(e->message, "huge text node"))
		return "text longer than 10 MB outside <system-out>, <system-err> and the result elements "
		       "(libxml2's limit)";
	if (strstr(e->message, "Huge input lookup"))
		return "a name, attribute value, comment, CDATA section or processing instruction longer "
		       "than 10 MB (libxml2's limit)";
	return NULL;
}

/* The line the parser is at: in a start or end callback, that of the
 * tag's closing '>' (where libxml2's tree dated its nodes). */
static unsigned long parser_line(const junit *j)
{
	return j->ctxt && j->ctxt->input && j->ctxt->input->line > 0 ? (unsigned long)j->ctxt->input->line : 1;
}

/* The walk of a parser context: callbacks get the context (SAX2's own
 * handlers, kept for the DTD, need it as their user data). */
static junit *of(void *ctx)
{
	return ((xmlParserCtxtPtr)ctx)->_private;
}

static void error_cb(void *arg, xmlErrorPtr e)
{
	junit *j = of(arg);
	const char *msg = e ? limit_reason(e) : NULL;
	size_t len;

	if (!j) /* while the context is made: its failure is the caller's */
		return;
	if (e && e->code == XML_ERR_NO_MEMORY && !msg)
		j->xml_nomem = 1;
	if (!e || e->level < XML_ERR_ERROR || j->xml_failed)
		return;
	j->xml_failed = 1;
	j->xml_line = e->line > 0 ? (unsigned long)e->line : parser_line(j);
	hist__buf_clear(&j->xml_msg);
	if (!msg)
		msg = e->message;
	if (msg) {
		len = strlen(msg);
		while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			len--;
		/* The message may be long or span lines; it becomes one line. */
		for (size_t i = 0; i < len && i < 400; i++)
			hist__buf_putc(&j->xml_msg, msg[i] == '\n' ? ' ' : msg[i]);
	}
}

/* libxml2 reports some allocation failures only to the thread's
 * structured handler (its buffers, tree nodes) and then goes on with an
 * attribute value cut short or empty: a test id silently wrong. The parse
 * installs this handler for its duration, so any of them fails the input. */
static void thread_error_cb(void *arg, xmlErrorPtr e)
{
	junit *j = arg;

	if (e && e->code == XML_ERR_NO_MEMORY && !limit_reason(e))
		j->xml_nomem = 1;
}

/* Some libxml2 paths (xmlNewTextReader, encoding set-up, ...) report a
 * failure only as text to the thread's generic error function, which is
 * stderr by default: a tool would print libxml2's words before its own
 * line. The parse installs this for its duration: the text is kept, and
 * the input fails with our message. */
static void generic_cb(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void generic_cb(void *arg, const char *fmt, ...)
{
	junit *j = arg;
	va_list ap;
	size_t len;

	if (j->generic_msg[0])
		return;
	va_start(ap, fmt);
	vsnprintf(j->generic_msg, sizeof j->generic_msg, fmt, ap);
	va_end(ap);
	len = strcspn(j->generic_msg, "\n");
	while (len && j->generic_msg[len - 1] == ' ')
		len--;
	j->generic_msg[len] = '\0';
	if (!len) /* an empty message still fails the input */
		snprintf(j->generic_msg, sizeof j->generic_msg, "libxml2 error");
}

static int generic_is_nomem(const char *msg)
{
	return strstr(msg, "alloc") || strstr(msg, "memory");
}

/* n is names[which]. */
static int name_is(const junit *j, const xmlChar *n, int which)
{
	return n && n == j->interned[which];
}

/* The local name that counts of an element or attribute: none when its
 * prefix is bound to no namespace (libxml2 then names it "prefix:local",
 * which is none of ours). */
static const xmlChar *local_name(const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	return prefix && !uri ? NULL : local;
}

static unsigned long node_line(junit *j)
{
	return parser_line(j);
}

/* The walk failed: keep the first reason, stop the parser. */
static void walk_fail(junit *j, int error)
{
	if (!j->walk_error)
		j->walk_error = error;
	xmlStopParser(j->ctxt);
}

static int nomem(junit *j)
{
	return hist__error(j->err, HIST_E_NOMEM, "%s: out of memory", j->name);
}

static int put_error(junit *j, int error, const char *what)
{
	if (error == HIST_E_NOMEM)
		return nomem(j);
	return hist__error(j->err, error, "%s:%lu: %s longer than %d bytes", j->name, node_line(j), what,
		ID_MAX);
}

/* The test id. pytest's xunit1 names the file: then the exact nodeid is
 * file "::" classes "::" name, the classes being classname past the module
 * path ("tests.sub.test_m.TestA.TestB" -> "TestA::TestB"). Otherwise, or
 * when classname does not start with that module path, the key
 * classname "::" name that hist_nodeid_junit_key computes from a nodeid. */
static int make_id(junit *j, open_case *c)
{
	const char *cls = hist__buf_cstr(&j->cls), *file = hist__buf_cstr(&j->file);
	size_t clen = j->cls.len, flen = j->file.len, mlen = flen, i;
	int error = HIST_OK, match = 0;

	hist__buf_clear(&c->id);
	if (flen) {
		/* A Windows run writes the file with '\\'; nodeids use '/'. */
		for (i = 0; i < flen; i++)
			if (j->file.ptr[i] == '\\')
				j->file.ptr[i] = '/';
		mlen = hist__nodeid_module_len(file, flen);
		match = clen >= mlen;
		for (i = 0; match && i < mlen; i++)
			match = cls[i] == (file[i] == '/' ? '.' : file[i]);
		match = match && (clen == mlen || cls[mlen] == '.');
	}
	if (match) {
		for (i = 0; !error && i < flen; i++)
			error = hist__buf_putc(&c->id, file[i]);
		for (i = mlen; !error && i < clen; i++)
			error = cls[i] == '.' ? hist__buf_put(&c->id, "::", 2) : hist__buf_putc(&c->id, cls[i]);
		if (!error)
			error = hist__buf_put(&c->id, "::", 2);
		c->id_is_key = 0;
	} else {
		if (!(error = hist__buf_put(&c->id, cls, clen)))
			error = hist__buf_put(&c->id, "::", 2);
		c->id_is_key = 1;
	}
	if (!error)
		error = hist__buf_put(&c->id, hist__buf_cstr(&j->tname), j->tname.len);
	if (error < 0)
		return put_error(j, error, "test id");
	/* pytest-xdist's --dist loadgroup appends "@group" to names. */
	c->id.len = hist__nodeid_strip_group(c->id.ptr, c->id.len, c->id_is_key);
	c->id.ptr[c->id.len] = '\0';
	return HIST_OK;
}

static int send(junit *j, const open_case *c)
{
	hist__record r;

	r.id = hist__buf_cstr(&c->id);
	r.id_len = c->id.len;
	r.id_is_key = c->id_is_key;
	r.outcome = c->results ? c->outcome : HIST_OUTCOME_PASSED;
	r.duration_us = c->duration_us;
	r.setup_us = -1;
	r.attempts = c->attempts;
	r.line = c->line;
	return j->sink->record(j->sink->ctx, &r);
}

/* pytest writes two <testcase> elements for one test whose call failed and
 * whose teardown then errored: the first with setup+call time and the
 * <failure>, the second with the teardown time and the <error>. Adjacent
 * testcases with one id are therefore one result: the worse outcome, the
 * sum of the times. */
static int finish_case(junit *j, open_case *c)
{
	open_case *p = &j->pending;
	hist__buf swap;
	int error;

	if (c->skip)
		return HIST_OK;
	if (j->have_pending && p->id_is_key == c->id_is_key && p->id.len == c->id.len &&
		memcmp(hist__buf_cstr(&p->id), hist__buf_cstr(&c->id), c->id.len) == 0) {
		hist_outcome po = p->results ? p->outcome : HIST_OUTCOME_PASSED;
		hist_outcome co = c->results ? c->outcome : HIST_OUTCOME_PASSED;

		p->outcome = po > co ? po : co;
		p->results = 1;
		if (c->duration_us >= 0)
			p->duration_us = p->duration_us >= 0 ? p->duration_us + c->duration_us : c->duration_us;
		if (c->attempts > p->attempts)
			p->attempts = c->attempts;
		p->line = c->line;
		return HIST_OK;
	}
	if (j->have_pending && (error = send(j, p)) < 0)
		return error;
	/* The finished case becomes pending; buffers swap so none is copied. */
	swap = p->id;
	*p = *c;
	c->id = swap;
	j->have_pending = 1;
	return HIST_OK;
}

/* An attribute's value as libxml2's tree would hold it. Without
 * XML_PARSE_NOENT, SAX2 hands over a value that had a reference with
 * every '&' written "&#38;" (the tree builder parses it again); any other
 * reference is already replaced, so "&#38;" is the only '&' there is. */
static int copy_attr(junit *j, hist__buf *b, const xmlChar *const *a, const char *what)
{
	const char *v = (const char *)a[A_VALUE], *end = (const char *)a[A_END];
	int error = HIST_OK;

	hist__buf_clear(b);
	while (!error && v < end) {
		const char *amp = memchr(v, '&', (size_t)(end - v));

		if (!amp) {
			error = hist__buf_put(b, v, (size_t)(end - v));
			break;
		}
		if ((error = hist__buf_put(b, v, (size_t)(amp - v))) < 0)
			break;
		error = hist__buf_putc(b, '&');
		v = amp + (end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0 ? 5 : 1);
	}
	if (error < 0)
		return put_error(j, error, what);
	return HIST_OK;
}

/* The attributes libxml2's tree keeps: a DTD's defaults (the last
 * defaulted ones) are not, without XML_PARSE_DTDATTR. */
static int attr_count(const junit *j, int nb_attributes, int nb_defaulted)
{
	return j->ctxt->loadsubset & XML_COMPLETE_ATTRS ? nb_attributes : nb_attributes - nb_defaulted;
}

/* The value of the unprefixed attribute names[which], as xmlGetNoNsProp
 * finds it (a DTD's default too: count is all the attributes here),
 * NUL-terminated in b; NULL when absent, or when it could not be copied
 * (then the walk has failed). */
static const char *plain_attr(junit *j, hist__buf *b, const xmlChar **attrs, int count, int which)
{
	int error;

	for (int i = 0; i < count; i++) {
		const xmlChar *const *a = attrs + i * A_FIELDS;

		if (!a[A_PREFIX] && name_is(j, a[A_LOCAL], which)) {
			if ((error = copy_attr(j, b, a, "attribute")) < 0) {
				walk_fail(j, error);
				return NULL;
			}
			return hist__buf_cstr(b);
		}
	}
	return NULL;
}

static int open_testcase(junit *j, int depth, const xmlChar **attrs, int count)
{
	open_case *c;
	int error, have_name = 0, have_cls = 0;
	int64_t us = -1;

	if (j->ncases == j->capcases) {
		size_t cap = j->capcases ? j->capcases * 2 : 4;
		open_case *p = hist__realloc(j->cases, cap * sizeof *p);

		if (!p)
			return nomem(j);
		memset(p + j->capcases, 0, (cap - j->capcases) * sizeof *p);
		for (size_t i = j->capcases; i < cap; i++)
			p[i].id = (hist__buf)HIST__BUF_INIT(ID_MAX);
		j->cases = p;
		j->capcases = cap;
	}
	c = &j->cases[j->ncases++];
	c->depth = depth;
	c->results = 0;
	c->outcome = HIST_OUTCOME_PASSED;
	c->attempts = 1;
	c->line = node_line(j);
	hist__buf_clear(&j->cls);
	hist__buf_clear(&j->tname);
	hist__buf_clear(&j->file);
	for (int i = 0; i < count; i++) {
		const xmlChar *const *a = attrs + i * A_FIELDS;
		const xmlChar *n = local_name(a[A_LOCAL], a[A_PREFIX], a[A_URI]);

		if (name_is(j, n, N_NAME)) {
			have_name = 1;
			error = copy_attr(j, &j->tname, a, "test name");
		} else if (name_is(j, n, N_CLASSNAME)) {
			have_cls = 1;
			error = copy_attr(j, &j->cls, a, "classname");
		} else if (name_is(j, n, N_CLASS) && !have_cls) {
			/* PHPUnit and a few others spell it "class". */
			error = copy_attr(j, &j->cls, a, "classname");
		} else if (name_is(j, n, N_FILE)) {
			error = copy_attr(j, &j->file, a, "file name");
		} else if (name_is(j, n, N_TIME)) {
			us = hist__num_seconds_us((const char *)a[A_VALUE], (size_t)(a[A_END] - a[A_VALUE]));
			error = HIST_OK;
		} else {
			error = HIST_OK;
		}
		if (error < 0)
			return error;
	}
	c->duration_us = us;
	c->skip = !have_name;
	if (!c->skip && (error = make_id(j, c)) < 0)
		return error;
	return HIST_OK;
}

/* A child of the innermost open testcase that carries its result. */
static void testcase_child(junit *j, open_case *c, const xmlChar *n, const xmlChar **attrs, int count)
{
	hist_outcome o;

	if (name_is(j, n, N_FAILURE)) {
		o = HIST_OUTCOME_FAILED;
	} else if (name_is(j, n, N_ERROR)) {
		o = HIST_OUTCOME_ERROR;
	} else if (name_is(j, n, N_SKIPPED)) {
		/* pytest writes an expected failure as <skipped type="pytest.xfail">. */
		const char *type = plain_attr(j, &j->file, attrs, count, N_TYPE);

		if (j->walk_error)
			return;
		o = type && strcmp(type, "pytest.xfail") == 0 ? HIST_OUTCOME_XFAILED : HIST_OUTCOME_SKIPPED;
	} else {
		/* Surefire: a flaky test passed on a rerun; a rerunFailure is one
		 * more failed attempt beside the final <failure>. */
		if (name_is(j, n, N_FLAKY_FAILURE) || name_is(j, n, N_FLAKY_ERROR) || name_is(j, n, N_RERUN_FAILURE) ||
			name_is(j, n, N_RERUN_ERROR))
			c->attempts++;
		return;
	}
	if (!c->results || o > c->outcome)
		c->outcome = o;
	c->results = 1;
}

static void suite_attrs(junit *j, int depth, const xmlChar **attrs, int count)
{
	const char *ts = plain_attr(j, &j->cls, attrs, count, N_TIMESTAMP);
	const char *tm = !j->walk_error ? plain_attr(j, &j->tname, attrs, count, N_TIME) : NULL;
	int64_t v;

	if (j->walk_error)
		return;
	if (ts && hist__num_iso8601_us(&v, ts, strlen(ts)) == 0 &&
		(j->session.start_us < 0 || v < j->session.start_us))
		j->session.start_us = v;
	if (tm && (v = hist__num_seconds_us(tm, strlen(tm))) >= 0) {
		if (depth == 0 && j->root_is_suites) {
			j->session.wall_us = v;
			j->have_root_time = 1;
		} else if (depth == (j->root_is_suites ? 1 : 0)) {
			j->top_time_sum += v;
			j->have_top_time = 1;
		}
	}
}

/* ---- SAX2 callbacks: the walk ---------------------------------------- */

/* A limit libxml2's tree builder kept (the parser alone does not): the
 * input fails with its words, as a parser error would. */
static void tree_limit(junit *j, const char *msg)
{
	if (!j->xml_failed) {
		j->xml_failed = 1;
		j->xml_line = parser_line(j);
		hist__buf_clear(&j->xml_msg);
		hist__buf_puts(&j->xml_msg, msg);
	}
	walk_fail(j, HIST_E_PARSE);
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
	int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted, const xmlChar **attrs)
{
	junit *j = of(ctx);
	int depth = j->depth++, count = attr_count(j, nb_attributes, nb_defaulted), error;
	const xmlChar *n = local_name(local, prefix, uri);
	open_case *top = j->ncases ? &j->cases[j->ncases - 1] : NULL;

	(void)nb_namespaces;
	(void)namespaces;
	j->text_run = 0;
	if (j->walk_error)
		return;
	/* libxml2's depth limit lives in its tree builder (nodePush). */
	if (depth > (int)xmlParserMaxDepth && !(j->ctxt->options & XML_PARSE_HUGE)) {
		char msg[80];

		snprintf(msg, sizeof msg, "Excessive depth in document: %u use XML_PARSE_HUGE option",
			xmlParserMaxDepth);
		tree_limit(j, msg);
		return;
	}
	if (j->skip_depth >= 0)
		return;
	if (depth == 0) {
		/* Eclipse's JUnit export wraps suites in <testrun>. Other roots
		 * (NUnit, CTest dashboards, ...) are not JUnit: no tests. */
		j->root_is_suites = name_is(j, n, N_TESTSUITES) || name_is(j, n, N_TESTRUN);
		if (!j->root_is_suites && !name_is(j, n, N_TESTSUITE)) {
			j->skip_depth = depth;
			return;
		}
	}
	if (name_is(j, n, N_TESTSUITE) || name_is(j, n, N_TESTSUITES) || (depth == 0 && j->root_is_suites)) {
		suite_attrs(j, depth, attrs, nb_attributes);
	} else if (name_is(j, n, N_TESTCASE)) {
		if ((error = open_testcase(j, depth, attrs, count)) < 0)
			walk_fail(j, error);
	} else {
		/* Results, properties, system-out: skipped whole. */
		if (top && depth == top->depth + 1)
			testcase_child(j, top, n, attrs, nb_attributes);
		j->skip_depth = depth;
	}
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	junit *j = of(ctx);
	int depth = --j->depth, error;
	open_case *top = j->ncases ? &j->cases[j->ncases - 1] : NULL;

	j->text_run = 0;
	if (j->skip_depth >= 0) {
		if (depth == j->skip_depth)
			j->skip_depth = -1;
		return;
	}
	if (j->walk_error)
		return;
	if (top && depth == top->depth && name_is(j, local_name(local, prefix, uri), N_TESTCASE)) {
		if ((error = finish_case(j, top)) < 0) {
			walk_fail(j, error);
			return;
		}
		j->ncases--;
	}
}

/* Text. libxml2's tree refused a text node past XML_MAX_TEXT_LENGTH as
 * out of memory; without a tree the same limit holds here, so a file is
 * refused (or not) as before. xmlscan.c has already cut output and
 * result text to TEXT_KEEP. */
static void on_text(void *ctx, const xmlChar *s, int len)
{
	junit *j = of(ctx);

	(void)s;
	if (j->depth == 0 || j->walk_error)
		return;
	if (j->text_run && j->text_run + (size_t)len > XML_MAX_TEXT_LENGTH) {
		tree_limit(j, "text longer than 10 MB outside <system-out>, <system-err> and the result elements "
			      "(libxml2's limit)");
		return;
	}
	j->text_run += (size_t)len;
}

/* A node between texts: the next text starts a new node. */
static void on_other(void *ctx, const xmlChar *a, const xmlChar *b)
{
	(void)a;
	(void)b;
	of(ctx)->text_run = 0;
}

static void on_comment(void *ctx, const xmlChar *a)
{
	on_other(ctx, a, NULL);
}

static void on_cdata(void *ctx, const xmlChar *s, int len)
{
	(void)len;
	on_other(ctx, s, NULL);
}

/* A reference libxml2 leaves in place (an external entity of a DTD read
 * on purpose, or one a DTD might declare): refused, as the tree walk
 * refused its node. Inside skipped elements it was never looked at. */
static void on_reference(void *ctx, const xmlChar *name)
{
	junit *j = of(ctx);

	(void)name;
	if (j->walk_error || j->skip_depth >= 0)
		return;
	walk_fail(j, hist__error(j->err, HIST_E_PARSE, "%s:%lu: entity reference refused", j->name, node_line(j)));
}

/* Feeds the whole input to the parser; HIST_E_PARSE when libxml2 failed
 * it, the walk's error when a callback did. */
static int walk(junit *j, xmlSAXHandler *sax, int options)
{
	char buf[CHUNK];
	int n, rc = 0, first;

	/* Like xmlNewTextReader: the first 4 bytes (when there are as many)
	 * go with the context, for the encoding. */
	if ((n = read_cb(j, buf, 4)) < 0)
		return j->io_error;
	first = n;
	while (first < 4 && n > 0) {
		if ((n = read_cb(j, buf + first, 4 - first)) < 0)
			return j->io_error;
		first += n;
	}
	/* No file name, as xmlReaderForIO gave none: libxml2 2.9 leaks the
	 * input when making its canonical path fails. */
	j->ctxt = xmlCreatePushParserCtxt(sax, NULL, first == 4 ? buf : NULL, first == 4 ? 4 : 0, NULL);
	if (!j->ctxt)
		return j->io_error ? j->io_error : nomem(j);
	j->ctxt->_private = j;
	xmlCtxtUseOptions(j->ctxt, options);
	j->ctxt->linenumbers = 1;
	for (int i = 0; i < N_COUNT; i++)
		if (!(j->interned[i] = xmlDictLookup(j->ctxt->dict, (const xmlChar *)names[i], -1)))
			return nomem(j);
	if (first > 0 && first < 4)
		rc = xmlParseChunk(j->ctxt, buf, first, 0);
	while (rc == 0 && !j->walk_error && j->ctxt->wellFormed) {
		if ((n = read_cb(j, buf, sizeof buf)) < 0)
			return j->io_error;
		rc = xmlParseChunk(j->ctxt, buf, n, n == 0);
		if (n == 0)
			break;
	}
	if (j->walk_error)
		return j->walk_error;
	return rc != 0 || !j->ctxt->wellFormed ? HIST_E_PARSE : HIST_OK;
}

/* Checks the start of the input: UCS-4 and EBCDIC are refused, UTF-16 is
 * scanned as code units, and an XML declaration must name an encoding
 * xmlscan.c can read as bytes. */
static int check_prolog(junit *j)
{
	const unsigned char *p;
	long n = hist__input_peek(j->in, &p, PROLOG_PEEK);
	size_t len, i;

	if (n < 0)
		return (int)n;
	len = (size_t)n;
	if (len == 0)
		return hist__error(j->err, HIST_E_PARSE, "%s:1: empty input, no XML document", j->name);
	/* UCS-4 in any byte order (a BOM or '<' in four bytes), and EBCDIC's
	 * "<?xm". */
	if (len >= 4 && ((p[0] == 0 && p[1] == 0) || (p[2] == 0 && p[3] == 0 &&
		((p[0] == '<' && p[1] == 0) || (p[0] == 0xff && p[1] == 0xfe)))))
		goto unsupported;
	if (len >= 4 && p[0] == 0x4c && p[1] == 0x6f && p[2] == 0xa7 && p[3] == 0x94)
		goto unsupported;
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == '<' && p[1] == 0))) {
		j->utf16 = 1;
		return HIST_OK;
	}
	if (len >= 2 && ((p[0] == 0xfe && p[1] == 0xff) || (p[0] == 0 && p[1] == '<'))) {
		j->utf16 = 2;
		return HIST_OK;
	}
	i = hist__utf8_bom_len(p, len);
	if (len - i >= 5 && memcmp(p + i, "<?xml", 5) == 0) {
		/* The declaration ends at the first "?>"; find encoding= in it. */
		const char *s = (const char *)p + i, *end = s + (len - i), *q, *e;

		for (q = s; q + 1 < end && !(q[0] == '?' && q[1] == '>'); q++)
			;
		end = q;
		for (q = s; q + 8 <= end && memcmp(q, "encoding", 8) != 0; q++)
			;
		if (q + 8 <= end) {
			q += 8;
			while (q < end && (*q == ' ' || *q == '=' || *q == '\t' || *q == '\r' || *q == '\n'))
				q++;
			if (q < end && (*q == '"' || *q == '\'')) {
				char quote = *q++;

				for (e = q; e < end && *e != quote; e++)
					;
				if (!encoding_ok(q, (size_t)(e - q)))
					return hist__error(j->err, HIST_E_PARSE, "%s:1: unsupported encoding \"%.*s\"",
						j->name, (int)(e - q > 40 ? 40 : e - q), q);
			}
		}
	}
	return HIST_OK;
unsupported:
	return hist__error(j->err, HIST_E_PARSE, "%s:1: unsupported encoding (UCS-4 or EBCDIC)", j->name);
}

int hist__junit_parse(hist__input *in, const hist__sink *sink, hist__err *err)
{
	junit j;
	int error, options, handler_set = 0;
	unsigned char drain[512];
	xmlStructuredErrorFunc old_handler = NULL;
	xmlGenericErrorFunc old_generic = NULL;
	void *old_ctx = NULL, *old_generic_ctx = NULL;
	long n;
	xmlSAXHandler sax;

	memset(&j, 0, sizeof j);
	j.skip_depth = -1;
	j.in = in;
	j.name = hist__input_name(in);
	j.sink = sink;
	j.err = err;
	j.xml_msg = (hist__buf)HIST__BUF_INIT(0);
	j.cls = (hist__buf)HIST__BUF_INIT(ID_MAX);
	j.tname = (hist__buf)HIST__BUF_INIT(ID_MAX);
	j.file = (hist__buf)HIST__BUF_INIT(ID_MAX);
	j.pending.id = (hist__buf)HIST__BUF_INIT(ID_MAX);
	j.session = (hist__session)HIST__SESSION_INIT;

	if ((error = check_prolog(&j)) < 0)
		goto done;
	hist__xmlscan_init(&j.scan, j.utf16, TEXT_KEEP);
	/* No network, no DTD loading, no entity substitution, no XInclude and
	 * no HUGE: libxml2's own limits on depth (256), names and text stay. */
	options = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
#if LIBXML_VERSION >= 21300
	options |= XML_PARSE_NO_XXE;
#endif
#ifdef HIST_TESTING
	options ^= hist__junit_test_options;
#endif
	old_handler = xmlStructuredError;
	old_ctx = xmlStructuredErrorContext;
	old_generic = xmlGenericError;
	old_generic_ctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&j, thread_error_cb);
	xmlSetGenericErrorFunc(&j, generic_cb);
	handler_set = 1;
	/* SAX2's handlers for the document, its DTD and entities (so the
	 * options above decide what is declared, loaded or substituted, as
	 * they did for xmlTextReader), the walk's for the rest: no tree. */
	xmlSAXVersion(&sax, 2);
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_cdata;
	sax.comment = on_comment;
	sax.processingInstruction = on_other;
	sax.reference = on_reference;
	sax.serror = error_cb;
	error = walk(&j, &sax, options);
	if (j.io_error) {
		/* The input's own message ("truncated gzip stream") or the scan's. */
		error = j.io_error;
	} else if (j.xml_nomem || (j.generic_msg[0] && generic_is_nomem(j.generic_msg))) {
		/* Not the input's fault: libxml2 reports its own allocation
		 * failures as errors of the document, or not at all to the
		 * reader, whose values may then be cut short. */
		error = nomem(&j);
	} else if (error == HIST_E_PARSE && j.xml_failed) {
		error = hist__error(err, HIST_E_PARSE, "%s:%lu: %s", j.name, j.xml_line,
			hist__buf_cstr(&j.xml_msg));
	} else if (j.generic_msg[0] && (error == HIST_OK || !hist__err_msg(err)[0])) {
		/* libxml2 said something only as text: never a silent success. */
		error = hist__error(err, HIST_E_PARSE, "%s:%lu: %s", j.name, parser_line(&j), j.generic_msg);
	} else if (error == HIST_E_PARSE && !hist__err_msg(err)[0]) {
		error = hist__error(err, HIST_E_PARSE, "%s:%lu: malformed XML", j.name, parser_line(&j));
	}
	if (error < 0)
		goto done;
	if (j.have_pending && (error = send(&j, &j.pending)) < 0)
		goto done;
	/* libxml2 stops at the end of the document; the content hash covers
	 * every byte, so read whatever it left. */
	while ((n = hist__input_read(in, drain, sizeof drain)) > 0)
		;
	if ((error = (int)n) < 0)
		goto done;
	if (!j.have_root_time && j.have_top_time)
		j.session.wall_us = j.top_time_sum;
	if (sink->session)
		error = sink->session(sink->ctx, &j.session);
done:
	if (j.ctxt) {
		xmlFreeDoc(j.ctxt->myDoc);
		xmlFreeParserCtxt(j.ctxt);
	}
	if (handler_set) {
		xmlSetStructuredErrorFunc(old_ctx, old_handler);
		xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	}
	for (size_t i = 0; i < j.capcases; i++)
		hist__buf_free(&j.cases[i].id);
	hist__free(j.cases);
	hist__buf_free(&j.pending.id);
	hist__buf_free(&j.xml_msg);
	hist__buf_free(&j.cls);
	hist__buf_free(&j.tname);
	hist__buf_free(&j.file);
	return error;
}

const char *hist__junit_libxml_version(void)
{
	return LIBXML_DOTTED_VERSION;
}
