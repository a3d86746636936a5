/* junit.c - JUnit XML reader.
 * Owns: walking the document with xmlTextReader over io.c and turning each
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

#include <libxml/xmlreader.h>

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

/* Element and attribute names the walk looks for. The reader interns every
 * name in its dictionary (it parses with dictNames), and
 * xmlTextReaderConstString interns ours there too, so a name is one of
 * these exactly when the pointers are equal: no strcmp per element and
 * attribute, which cost 5% of a parse. */
enum {
	N_TESTSUITES, N_TESTSUITE, N_TESTRUN, N_TESTCASE, N_FAILURE, N_ERROR, N_SKIPPED, N_FLAKY_FAILURE,
	N_FLAKY_ERROR, N_RERUN_FAILURE, N_RERUN_ERROR, N_NAME, N_CLASSNAME, N_CLASS, N_FILE, N_TIME, N_COUNT
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
};

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
	xmlTextReaderPtr reader;
	hist__xmlscan scan;
	int utf16;
	int scan_handed;      /* the input runs the scan now (see read_cb) */
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
	const xmlChar *interned[N_COUNT]; /* names[], in the reader's dictionary */
} junit;

static long scan_filter(void *state, unsigned char *buf, size_t n)
{
	return hist__xmlscan_filter(state, buf, n);
}

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
		if (n == 0 || j->scan_handed)
			return (int)n;
		if ((w = hist__xmlscan_filter(&j->scan, (unsigned char *)buf, (size_t)n)) < 0) {
			j->io_error = hist__error(j->err, HIST_E_PARSE,
				"%s:%lu: the DOCTYPE declares an entity (<!ENTITY>); refused: entities can "
				"read files and expand without bound", j->name, j->scan.line);
			return -1;
		}
		/* Past the prolog the scan can refuse nothing any more: the input
		 * runs it from here, on its read-ahead thread when it has one
		 * (9% of this thread's time on large reports). Out of memory
		 * for its copy, the scan simply stays here. */
		if (j->scan.root_seen && hist__input_set_filter(j->in, scan_filter, &j->scan, sizeof j->scan) == HIST_OK)
			j->scan_handed = 1;
	} while (w == 0);
	return (int)w;
}

static int close_cb(void *ctx)
{
	(void)ctx; /* the caller owns the input */
	return 0;
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

static void error_cb(void *arg, xmlErrorPtr e)
{
	junit *j = arg;
	const char *msg = e ? limit_reason(e) : NULL;
	size_t len;

	if (e && e->code == XML_ERR_NO_MEMORY && !msg)
		j->xml_nomem = 1;
	if (!e || e->level < XML_ERR_ERROR || j->xml_failed)
		return;
	j->xml_failed = 1;
	j->xml_line = e->line > 0 ? (unsigned long)e->line
				  : (unsigned long)xmlTextReaderGetParserLineNumber(j->reader);
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

static unsigned long node_line(junit *j)
{
	xmlNodePtr node = xmlTextReaderCurrentNode(j->reader);
	long line = node ? xmlGetLineNo(node) : -1;

	return line > 0 ? (unsigned long)line : (unsigned long)xmlTextReaderGetParserLineNumber(j->reader);
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

static int copy_attr(junit *j, hist__buf *b, const xmlChar *v, const char *what)
{
	int error;

	hist__buf_clear(b);
	if ((error = hist__buf_puts(b, (const char *)v)) < 0)
		return put_error(j, error, what);
	return HIST_OK;
}

static int open_testcase(junit *j, int depth)
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
	while (xmlTextReaderMoveToNextAttribute(j->reader) == 1) {
		const xmlChar *n = xmlTextReaderConstLocalName(j->reader);
		const xmlChar *v = xmlTextReaderConstValue(j->reader);

		if (!v)
			continue;
		if (name_is(j, n, N_NAME)) {
			have_name = 1;
			error = copy_attr(j, &j->tname, v, "test name");
		} else if (name_is(j, n, N_CLASSNAME)) {
			have_cls = 1;
			error = copy_attr(j, &j->cls, v, "classname");
		} else if (name_is(j, n, N_CLASS) && !have_cls) {
			/* PHPUnit and a few others spell it "class". */
			error = copy_attr(j, &j->cls, v, "classname");
		} else if (name_is(j, n, N_FILE)) {
			error = copy_attr(j, &j->file, v, "file name");
		} else if (name_is(j, n, N_TIME)) {
			us = hist__num_seconds_us((const char *)v, strlen((const char *)v));
			error = HIST_OK;
		} else {
			error = HIST_OK;
		}
		if (error < 0)
			return error;
	}
	xmlTextReaderMoveToElement(j->reader);
	c->duration_us = us;
	c->skip = !have_name;
	if (!c->skip && (error = make_id(j, c)) < 0)
		return error;
	return HIST_OK;
}

/* A child of the innermost open testcase that carries its result. */
static void testcase_child(junit *j, open_case *c, const xmlChar *n)
{
	hist_outcome o;

	if (name_is(j, n, N_FAILURE)) {
		o = HIST_OUTCOME_FAILED;
	} else if (name_is(j, n, N_ERROR)) {
		o = HIST_OUTCOME_ERROR;
	} else if (name_is(j, n, N_SKIPPED)) {
		/* pytest writes an expected failure as <skipped type="pytest.xfail">. */
		xmlChar *type = xmlTextReaderGetAttribute(j->reader, (const xmlChar *)"type");

		o = type && strcmp((const char *)type, "pytest.xfail") == 0 ? HIST_OUTCOME_XFAILED : HIST_OUTCOME_SKIPPED;
		xmlFree(type);
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

static void suite_attrs(junit *j, int depth, int root_is_suites)
{
	xmlChar *ts = xmlTextReaderGetAttribute(j->reader, (const xmlChar *)"timestamp");
	xmlChar *tm = xmlTextReaderGetAttribute(j->reader, (const xmlChar *)"time");
	int64_t v;

	if (ts && hist__num_iso8601_us(&v, (const char *)ts, strlen((const char *)ts)) == 0 &&
		(j->session.start_us < 0 || v < j->session.start_us))
		j->session.start_us = v;
	if (tm && (v = hist__num_seconds_us((const char *)tm, strlen((const char *)tm))) >= 0) {
		if (depth == 0 && root_is_suites) {
			j->session.wall_us = v;
			j->have_root_time = 1;
		} else if (depth == (root_is_suites ? 1 : 0)) {
			j->top_time_sum += v;
			j->have_top_time = 1;
		}
	}
	xmlFree(ts);
	xmlFree(tm);
}

static int walk(junit *j)
{
	int ret = xmlTextReaderRead(j->reader), error, root_is_suites = 0;

	while (ret == 1) {
		int type = xmlTextReaderNodeType(j->reader);
		int depth = xmlTextReaderDepth(j->reader);
		const xmlChar *n = xmlTextReaderConstLocalName(j->reader);
		open_case *top = j->ncases ? &j->cases[j->ncases - 1] : NULL;

		if (type == XML_READER_TYPE_ENTITY_REFERENCE || type == XML_READER_TYPE_ENTITY) {
			/* xmlscan.c stops declarations; this is defence in depth. */
			return hist__error(j->err, HIST_E_PARSE, "%s:%lu: entity reference refused", j->name,
				node_line(j));
		}
		if (type == XML_READER_TYPE_END_ELEMENT) {
			if (top && depth == top->depth && name_is(j, n, N_TESTCASE)) {
				if ((error = finish_case(j, top)) < 0)
					return error;
				j->ncases--;
			}
			ret = xmlTextReaderRead(j->reader);
			continue;
		}
		if (type != XML_READER_TYPE_ELEMENT) {
			ret = xmlTextReaderRead(j->reader);
			continue;
		}
		if (depth == 0) {
			/* Eclipse's JUnit export wraps suites in <testrun>. Other roots
			 * (NUnit, CTest dashboards, ...) are not JUnit: no tests. */
			root_is_suites = name_is(j, n, N_TESTSUITES) || name_is(j, n, N_TESTRUN);
			if (!root_is_suites && !name_is(j, n, N_TESTSUITE)) {
				ret = xmlTextReaderNext(j->reader);
				continue;
			}
		}
		if (name_is(j, n, N_TESTSUITE) || name_is(j, n, N_TESTSUITES) || (depth == 0 && root_is_suites)) {
			suite_attrs(j, depth, root_is_suites);
			ret = xmlTextReaderRead(j->reader);
		} else if (name_is(j, n, N_TESTCASE)) {
			if ((error = open_testcase(j, depth)) < 0)
				return error;
			if (xmlTextReaderIsEmptyElement(j->reader)) {
				if ((error = finish_case(j, &j->cases[j->ncases - 1])) < 0)
					return error;
				j->ncases--;
			}
			ret = xmlTextReaderRead(j->reader);
		} else {
			/* Results, properties, system-out: skipped whole, the text
			 * never copied out of the parser. */
			if (top && depth == top->depth + 1)
				testcase_child(j, top, n);
			ret = xmlTextReaderNext(j->reader);
		}
	}
	return ret < 0 ? HIST_E_PARSE : HIST_OK;
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

	memset(&j, 0, sizeof j);
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
	options = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOBLANKS;
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
	j.reader = xmlReaderForIO(read_cb, close_cb, &j, NULL, NULL, options);
	if (!j.reader) {
		error = j.io_error ? j.io_error : nomem(&j);
		goto done;
	}
	xmlTextReaderSetStructuredErrorHandler(j.reader, error_cb, &j);
	for (int i = 0; i < N_COUNT; i++)
		if (!(j.interned[i] = xmlTextReaderConstString(j.reader, (const xmlChar *)names[i]))) {
			error = nomem(&j);
			goto done;
		}
	error = walk(&j);
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
		error = hist__error(err, HIST_E_PARSE, "%s:%d: %s", j.name,
			xmlTextReaderGetParserLineNumber(j.reader), j.generic_msg);
	} else if (error == HIST_E_PARSE && !hist__err_msg(err)[0]) {
		error = hist__error(err, HIST_E_PARSE, "%s:%d: malformed XML", j.name,
			xmlTextReaderGetParserLineNumber(j.reader));
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
	xmlFreeTextReader(j.reader);
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
