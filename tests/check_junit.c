/* check_junit.c - the JUnit reader on real pytest output, hand-made
 * pitfalls, other producers and the hostile set in fixtures/. */
#include <string.h>

#include <libxml/xmlversion.h>

#include "alloc.h"
#include "check_util.h"
#include "collect.h"
#include "hist.h"
#include "io.h"
#include "junit.h"

#define SECRET "HIST-FIXTURE-SECRET"

/* Parses fixtures/rel into c; returns the code, the message in msg. */
static int parse(const char *rel, collector *c, char *msg, size_t msgsize)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { collect_record, collect_session, c, NULL };
	hist__input *in = NULL;
	int error;

	collector_init(c);
	if ((error = hist__input_open(&in, fixture(rel), rel, &e)) == 0)
		error = hist__junit_parse(in, &sink, &e);
	snprintf(msg, msgsize, "%s", hist__err_msg(&e));
	hist__input_free(in);
	hist__err_clear(&e);
	return error;
}

static void parse_ok(const char *rel, collector *c)
{
	char msg[512];
	int error = parse(rel, c, msg, sizeof msg);

	ck_assert_msg(error == 0, "%s: %d %s", rel, error, msg);
	ck_assert_int_eq(c->sessions, 1);
}

START_TEST(pytest_xunit1_gives_exact_nodeids)
{
	collector c;
	const collected *r;

	parse_ok("junit/pytest-xunit1.xml", &c);
	/* 24 <testcase> elements, one test written twice (call failure, then
	 * teardown error): 23 results. */
	ck_assert_uint_eq(c.n, 23);
	for (size_t i = 0; i < c.n; i++) {
		ck_assert_int_eq(c.r[i].id_is_key, 0);
		ck_assert_uint_eq(c.r[i].attempts, 1);
		ck_assert_int_eq(c.r[i].setup_us, -1);
	}
	r = must_find(&c, "tests/test_basic.py::test_b");
	ck_assert_int_eq(r->duration_us, 1251000);
	ck_assert_int_eq(r->outcome, HIST_OUTCOME_PASSED);
	r = must_find(&c, "tests/test_basic.py::test_call_fails_and_teardown_errors");
	ck_assert_int_eq(r->outcome, HIST_OUTCOME_ERROR);
	ck_assert_int_eq(r->duration_us, 50000); /* 0.050 (setup+call) + 0.000 (teardown) */
	ck_assert_uint_eq(r->line, 15);
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_xfail")->outcome, HIST_OUTCOME_XFAILED);
	/* pytest's junitxml writes a non-strict XPASS as a plain pass and a
	 * strict one as a failure: JUnit cannot tell xpassed. */
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_xpass")->outcome, HIST_OUTCOME_PASSED);
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_xpass_strict")->outcome, HIST_OUTCOME_FAILED);
	ck_assert_int_eq(must_find(&c, "tests/test_basic.py::test_flaky_passes_on_second_attempt")->duration_us,
		41000);
	must_find(&c, "tests/sub/test_classes.py::TestOuter::TestInner::test_nested[2]");
	must_find(&c, "tests/sub/test_classes.py::test_skip_in_call");
	must_find(&c, "tests/test_params.py::test_odd_ids[a::b/c[d]]");
	must_find(&c, "tests/test_params.py::test_odd_ids[quote'\"<&>]");
	must_find(&c, "tests/test_params.py::test_odd_ids[\\xfcn\\xefc\\xf8d\\xe9-\\u2713]");
	ck_assert_int_eq(must_find(&c, "tests/sub/test_classes.py::TestOuter::test_uses_module_resource")
				 ->duration_us, 301000);
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_PASSED), 15);
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_FAILED), 2);
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_ERROR), 3);
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_SKIPPED), 2);
	ck_assert_uint_eq(count_outcome(&c, HIST_OUTCOME_XFAILED), 1);
	/* timestamp="2026-11-24T22:29:05.249048" (no zone: UTC), time="1.688" */
	ck_assert_int_eq(c.session.start_us, 1795559345249048);
	ck_assert_int_eq(c.session.wall_us, 1688000);
	ck_assert_int_eq(c.session.collect_us, -1);
	collector_free(&c);
}
END_TEST

START_TEST(pytest_xunit2_keys_match_the_nodeid_rule)
{
	collector c1, c2;
	char key[1024];

	parse_ok("junit/pytest-xunit1.xml", &c1);
	parse_ok("junit/pytest-xunit2.xml", &c2);
	ck_assert_uint_eq(c2.n, c1.n);
	/* The same suite run twice: xunit2 has only classname and name, and
	 * each key is what hist_nodeid_junit_key makes of the xunit1 nodeid. */
	for (size_t i = 0; i < c2.n; i++) {
		ck_assert_int_eq(c2.r[i].id_is_key, 1);
		ck_assert_int_lt(hist_nodeid_junit_key(key, sizeof key, c1.r[i].id, strlen(c1.r[i].id)),
			(int64_t)sizeof key);
		ck_assert_str_eq(c2.r[i].id, key);
		ck_assert_int_eq(c2.r[i].outcome, c1.r[i].outcome);
	}
	ck_assert_str_eq(c2.r[0].id, "tests.test_basic::test_a");
	ck_assert_int_eq(must_find(&c2, "tests.test_basic::test_call_fails_and_teardown_errors")->duration_us,
		51000);
	collector_free(&c1);
	collector_free(&c2);
}
END_TEST

START_TEST(time_formats)
{
	static const struct {
		const char *name;
		int64_t us;
	} want[] = {
		{ "plain", 1500000 }, { "exponent", 1000 }, { "exponent_upper", 25000000 },
		{ "blanks", 500000 }, { "thousands", 1234500000 }, { "integer", 3000000 },
		{ "rounds_half_up", 1 }, { "missing", -1 }, { "empty", -1 }, { "nan", -1 },
		{ "text", -1 }, { "negative", -1 }, { "infinite", -1 }, { "bad_commas", -1 },
	};
	collector c;
	char id[64];

	parse_ok("junit/time-formats.xml", &c);
	ck_assert_uint_eq(c.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < c.n; i++) {
		snprintf(id, sizeof id, "t.times::%s", want[i].name);
		ck_assert_str_eq(c.r[i].id, id);
		ck_assert_msg(c.r[i].duration_us == want[i].us, "%s: %lld", id, (long long)c.r[i].duration_us);
		ck_assert_int_eq(c.r[i].outcome, HIST_OUTCOME_PASSED);
	}
	ck_assert_int_eq(c.session.wall_us, 1250750000); /* <testsuites time="1,250.75"> */
	ck_assert_int_eq(c.session.start_us, -1);
	collector_free(&c);
}
END_TEST

START_TEST(nested_suites_and_session_facts)
{
	collector c;

	parse_ok("junit/nested-suites.xml", &c);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_str_eq(c.r[0].id, "app.models.UserTest::testCreate");
	ck_assert_int_eq(c.r[0].duration_us, 1250000);
	ck_assert_int_eq(c.r[1].outcome, HIST_OUTCOME_FAILED);
	ck_assert_str_eq(c.r[2].id, "app.views.IndexTest::testRender");
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_SKIPPED);
	ck_assert_int_eq(c.r[3].outcome, HIST_OUTCOME_ERROR);
	ck_assert_uint_eq(c.r[3].line, 21);
	/* 11:59:58+02:00 is earlier than 12:00:05Z; wall = 2.5 + 1.0 */
	ck_assert_int_eq(c.session.start_us, 1714557598000000);
	ck_assert_int_eq(c.session.wall_us, 3500000);
	collector_free(&c);
}
END_TEST

START_TEST(encodings_read_alike)
{
	collector a, b, l;

	parse_ok("junit/bom-utf8.xml", &a);
	parse_ok("junit/utf16-bom.xml", &b);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_str_eq(a.r[0].id, "tests.test_enc::test_caf\xc3\xa9[\xe2\x9c\x93]");
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(a.r[i].id, b.r[i].id);
		ck_assert_int_eq(a.r[i].duration_us, b.r[i].duration_us);
	}
	ck_assert_int_eq(b.session.wall_us, 750000);
	parse_ok("junit/iso-8859-1.xml", &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.r[0].id, "tests.test_caf\xc3\xa9::test_men\xc3\xbc"); /* now UTF-8 */
	ck_assert_int_eq(l.r[1].outcome, HIST_OUTCOME_FAILED);
	collector_free(&a);
	collector_free(&b);
	collector_free(&l);
}
END_TEST

START_TEST(cdata_comments_and_char_refs)
{
	collector c;

	parse_ok("junit/cdata.xml", &c);
	/* The <testcase> inside the CDATA is text, not a test. */
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.r[0].id, "tests.test_c::test_cdata_failure");
	ck_assert_int_eq(c.r[0].outcome, HIST_OUTCOME_FAILED);
	ck_assert_str_eq(c.r[1].id, "tests.test_c::test_char_refs[\xc3\xa9]");
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_PASSED); /* <failure/> in a comment */
	collector_free(&c);
}
END_TEST

START_TEST(huge_system_out_is_skipped)
{
	collector c;

	/* 24 MiB and 12 MiB of output: past libxml2's 10 MB text limit. */
	parse_ok("junit/huge-system-out.xml.gz", &c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.r[0].id, "tests.test_log::test_chatty");
	ck_assert_int_eq(c.r[0].duration_us, 3000000);
	ck_assert_str_eq(c.r[1].id, "tests.test_log::test_cdata_chatty");
	ck_assert_str_eq(c.r[2].id, "tests.test_log::test_after");
	/* Newlines pass the elision, so lines after it are still true. */
	ck_assert_uint_eq(c.r[1].line, 6279);
	ck_assert_uint_eq(c.r[2].line, 9418);
	ck_assert_int_eq(c.session.start_us, 1714564800000000);
	collector_free(&c);
}
END_TEST

START_TEST(other_producers)
{
	collector c;

	parse_ok("junit/surefire.xml", &c);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_str_eq(c.r[1].id, "com.example.CalculatorTest::dividesByZero");
	ck_assert_int_eq(c.r[1].outcome, HIST_OUTCOME_FAILED);
	ck_assert_uint_eq(c.r[1].attempts, 2); /* <failure> + <rerunFailure> */
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_PASSED);
	ck_assert_uint_eq(c.r[2].attempts, 2); /* <flakyFailure>: passed on a rerun */
	ck_assert_int_eq(c.r[3].outcome, HIST_OUTCOME_SKIPPED);
	ck_assert_int_eq(c.r[3].duration_us, 0);
	ck_assert_int_eq(c.session.wall_us, 412000);
	collector_free(&c);

	parse_ok("junit/go-junit-report.xml", &c);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_str_eq(c.r[1].id, "example.com/pkg/store::TestOpen/read_only");
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_FAILED);
	ck_assert_int_eq(c.session.start_us, 1709367300000000);
	collector_free(&c);

	parse_ok("junit/jest-junit.xml", &c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.r[0].id, "Button renders::Button renders");
	ck_assert_str_eq(c.r[2].id, "::"); /* empty classname and name */
	ck_assert_int_eq(c.session.wall_us, 2113000);
	collector_free(&c);

	parse_ok("junit/eclipse-testrun.xml", &c);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_int_eq(c.session.wall_us, 500000);
	collector_free(&c);

	/* Not JUnit: no tests, and not an error. */
	parse_ok("junit/other-root.xml", &c);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(c.session.wall_us, -1);
	collector_free(&c);
}
END_TEST

static const struct {
	const char *file;
	int code;
	const char *msg;
} bad[] = {
	{ "bad/truncated.xml", HIST_E_PARSE, "bad/truncated.xml:7: Couldn't find end of Start Tag system-ou" },
	{ "bad/truncated.xml.gz", HIST_E_PARSE,
	  "bad/truncated.xml.gz:4: truncated gzip stream: the data breaks off inside line 4: 3 whole lines, 134 bytes "
	  "uncompressed" },
	{ "bad/corrupt.gz", HIST_E_PARSE, "bad/corrupt.gz: corrupt gzip stream (invalid bit length repeat) before any data" },
	{ "bad/empty.xml", HIST_E_PARSE, "bad/empty.xml:1: empty input, no XML document" },
	{ "bad/invalid-utf8.xml", HIST_E_PARSE,
		"bad/invalid-utf8.xml:4: Input is not proper UTF-8, indicate encoding ! Bytes: 0xC3 0x28 0x62 0x61" },
	{ "bad/xxe.xml", HIST_E_PARSE, "bad/xxe.xml:3: the DOCTYPE declares an entity (<!ENTITY>); refused: "
		"entities can read files and expand without bound" },
	{ "bad/xxe-parameter.xml", HIST_E_PARSE, "bad/xxe-parameter.xml:5: the DOCTYPE declares an entity "
		"(<!ENTITY>); refused: entities can read files and expand without bound" },
	{ "bad/billion-laughs.xml", HIST_E_PARSE, "bad/billion-laughs.xml:3: the DOCTYPE declares an entity "
		"(<!ENTITY>); refused: entities can read files and expand without bound" },
	{ "bad/deep-nesting.xml", HIST_E_PARSE,
		"bad/deep-nesting.xml:3: Excessive depth in document: 256 use XML_PARSE_HUGE option" },
	{ "bad/unknown-format.txt", HIST_E_PARSE, "bad/unknown-format.txt:1: Document is empty" },
	{ "bad/utf7.xml", HIST_E_PARSE, "bad/utf7.xml:1: unsupported encoding \"UTF-7\"" },
};

START_TEST(bad_inputs_fail_with_reason_and_line)
{
	collector c;
	char msg[512];
	int error = parse(bad[_i].file, &c, msg, sizeof msg);

	ck_assert_msg(error == bad[_i].code, "%s: %d %s", bad[_i].file, error, msg);
	ck_assert_str_eq(msg, bad[_i].msg);
	ck_assert_int_eq(c.sessions, 0);
	/* The secret the XXE files name never reaches a record or a message. */
	ck_assert_ptr_null(strstr(msg, SECRET));
	for (size_t i = 0; i < c.n; i++)
		ck_assert_ptr_null(strstr(c.r[i].id, SECRET));
	ck_assert_uint_eq(c.n, strcmp(bad[_i].file, "bad/truncated.xml") == 0 ? 1 : 0);
	collector_free(&c);
}
END_TEST

START_TEST(secret_fixture_exists)
{
	/* Guards the XXE test: the file it names is really there to leak. */
	FILE *f = fopen(fixture("secret/secret.txt"), "r");
	char buf[64] = "";

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, SECRET));
}
END_TEST

static int parse_mem(const char *doc, collector *c, char *msg, size_t msgsize)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { collect_record, collect_session, c, NULL };
	hist__input *in = NULL;
	int error;

	if ((error = hist__input_open_mem(&in, doc, strlen(doc), "m.xml", &e)) == 0)
		error = hist__junit_parse(in, &sink, &e);
	snprintf(msg, msgsize, "%s", hist__err_msg(&e));
	hist__input_free(in);
	hist__err_clear(&e);
	return error;
}

START_TEST(xunit1_falls_back_to_the_key)
{
	collector c;
	char msg[256];

	collector_init(&c);
	ck_assert_int_eq(parse_mem("<testsuite>"
		"<testcase classname=\"tests.test_a\" name=\"t1\" file=\"tests/test_a.py\"/>"
		"<testcase classname=\"other.mod.K\" name=\"t2\" file=\"tests/test_a.py\"/>"
		"<testcase classname=\"tests.test_ab\" name=\"t3\" file=\"tests/test_a.py\"/>"
		"<testcase classname=\"tests.test_a.K.L\" name=\"t4[x.y]\" file=\"tests\\test_a.py\"/>"
		"<testcase classname=\"src.Foo\" name=\"t5\" file=\"src/Foo.test.js\"/>"
		"<testcase classname=\"c\"/>"
		"<testcase name=\"no_classname\"/>"
		"<testcase classname=\"pkg\" name=\"t6\" file=\"pkg/py\"/>"
		"</testsuite>", &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 7); /* the nameless testcase is no test */
	ck_assert_str_eq(c.r[0].id, "tests/test_a.py::t1");
	ck_assert_int_eq(c.r[0].id_is_key, 0);
	ck_assert_str_eq(c.r[1].id, "other.mod.K::t2");
	ck_assert_int_eq(c.r[1].id_is_key, 1);
	ck_assert_str_eq(c.r[2].id, "tests.test_ab::t3"); /* a prefix, not the module */
	ck_assert_int_eq(c.r[2].id_is_key, 1);
	ck_assert_str_eq(c.r[3].id, "tests/test_a.py::K::L::t4[x.y]"); /* Windows separators */
	ck_assert_int_eq(c.r[3].id_is_key, 0);
	ck_assert_str_eq(c.r[4].id, "src.Foo::t5"); /* the module would be "src.Foo.test.js" */
	ck_assert_int_eq(c.r[4].id_is_key, 1);
	ck_assert_str_eq(c.r[5].id, "::no_classname");
	/* pytest names "pkg/py" "pkg" (tests/vectors/path_module.tsv). */
	ck_assert_str_eq(c.r[6].id, "pkg/py::t6");
	ck_assert_int_eq(c.r[6].id_is_key, 0);
	collector_free(&c);
}
END_TEST

START_TEST(adjacent_duplicates_merge_others_do_not)
{
	collector c;
	char msg[256];

	collector_init(&c);
	ck_assert_int_eq(parse_mem("<testsuites><testsuite>"
		"<testcase classname=\"a\" name=\"x\" time=\"1\"><failure/></testcase>"
		"<testcase classname=\"a\" name=\"x\" time=\"0.5\"><error/></testcase>"
		"<testcase classname=\"a\" name=\"y\"/>"
		"<testcase classname=\"a\" name=\"x\" time=\"2\"><skipped/></testcase>"
		"<testcase classname=\"a\" name=\"x\"/>"
		"<testcase classname=\"a\" name=\"z\" time=\"1\"><skipped/><error/></testcase>"
		"<testcase classname=\"a\" name=\"s\"><skipped type=\"pytest.xfail\"/></testcase>"
		"</testsuite></testsuites>", &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 5);
	ck_assert_str_eq(c.r[0].id, "a::x");
	ck_assert_int_eq(c.r[0].outcome, HIST_OUTCOME_ERROR);
	ck_assert_int_eq(c.r[0].duration_us, 1500000);
	ck_assert_uint_eq(c.r[0].line, 1);
	ck_assert_str_eq(c.r[1].id, "a::y");
	ck_assert_int_eq(c.r[1].duration_us, -1);
	/* skipped then passed: the worse, passed; an unknown time adds nothing */
	ck_assert_str_eq(c.r[2].id, "a::x");
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_PASSED);
	ck_assert_int_eq(c.r[2].duration_us, 2000000);
	ck_assert_int_eq(c.r[3].outcome, HIST_OUTCOME_ERROR);
	ck_assert_int_eq(c.r[4].outcome, HIST_OUTCOME_XFAILED);
	collector_free(&c);
}
END_TEST

START_TEST(nested_testcases_and_odd_structure)
{
	collector c;
	char msg[256];

	collector_init(&c);
	ck_assert_int_eq(parse_mem("<?xml version='1.0'?>\n<!DOCTYPE testsuites SYSTEM \"junit.dtd\">\n"
		"<testsuites><testsuite>\n"
		"<testcase classname=\"o\" name=\"outer\"><failure/>\n"
		"  <testcase classname=\"o\" name=\"inner\"/>\n"
		"  <testsuite><testcase classname=\"o\" name=\"deeper\"><error/></testcase></testsuite>\n"
		"</testcase>\n"
		"<properties><property name=\"testcase\" value=\"&lt;testcase&gt;\"/></properties>\n"
		"</testsuite></testsuites>", &c, msg, sizeof msg), 0);
	/* Each testcase is a result; a result child counts only for its own
	 * testcase, so outer failed, inner passed, deeper errored. */
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.r[0].id, "o::inner");
	ck_assert_int_eq(c.r[0].outcome, HIST_OUTCOME_PASSED);
	ck_assert_str_eq(c.r[1].id, "o::deeper");
	ck_assert_int_eq(c.r[1].outcome, HIST_OUTCOME_ERROR);
	ck_assert_str_eq(c.r[2].id, "o::outer");
	ck_assert_int_eq(c.r[2].outcome, HIST_OUTCOME_FAILED);
	ck_assert_uint_eq(c.r[2].line, 4);
	collector_free(&c);
}
END_TEST

START_TEST(attributes_as_the_document_gives_them)
{
	collector c;
	char msg[256];

	collector_init(&c);
	/* '&' however written, a tab by reference, raw whitespace
	 * normalised. */
	ck_assert_int_eq(parse_mem("<testsuite><testcase classname=\"a&amp;b\" name=\"t[&#38;&#x26;&amp;&lt;]\"/>"
		"<testcase classname=\"a\" name=\"t[&#9;x\ny]\" time=\"1&#46;5\"/></testsuite>", &c, msg,
		sizeof msg), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.r[0].id, "a&b::t[&&&<]");
	ck_assert_str_eq(c.r[1].id, "a::t[\tx y]");
	ck_assert_int_eq(c.r[1].duration_us, 1500000);
	collector_free(&c);
	collector_init(&c);
	/* A prefix bound to a namespace names the element or attribute by its
	 * local name; an unbound one (a namespace error libxml2 lets pass)
	 * names none of ours. */
	ck_assert_int_eq(parse_mem("<j:testsuite xmlns:j=\"urn:j\"><j:testcase j:classname=\"a\" j:name=\"bound\">"
		"<j:failure/></j:testcase><p:testcase classname=\"a\" name=\"unbound\"/>"
		"<testcase classname=\"a\" p:name=\"x\" name=\"plain\"/></j:testsuite>", &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.r[0].id, "a::bound");
	ck_assert_int_eq(c.r[0].outcome, HIST_OUTCOME_FAILED);
	ck_assert_str_eq(c.r[1].id, "a::plain");
	collector_free(&c);
	collector_init(&c);
	/* An internal subset's defaults: never a testcase's attribute, but
	 * found where a single attribute is asked for (xmlGetNoNsProp). */
	ck_assert_int_eq(parse_mem("<!DOCTYPE testsuite [<!ATTLIST skipped type CDATA \"pytest.xfail\">"
		"<!ATTLIST testsuite timestamp CDATA \"2024-03-02T08:15:00\">]>"
		"<testsuite><testcase classname=\"a\" name=\"x\"><skipped/></testcase>"
		"<testcase classname=\"a\" name=\"y\"><skipped type=\"pytest.skip\"/></testcase></testsuite>", &c,
		msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_int_eq(c.r[0].outcome, HIST_OUTCOME_XFAILED);
	ck_assert_int_eq(c.r[1].outcome, HIST_OUTCOME_SKIPPED);
	ck_assert_int_eq(c.session.start_us, 1709367300000000);
	collector_free(&c);
}
END_TEST

START_TEST(refusals_in_memory)
{
	collector c;
	char msg[256];

	collector_init(&c);
	/* A DOCTYPE may name an external DTD (this one does not exist;
	 * check_hostile.c proves a real one is never read). */
	ck_assert_int_eq(parse_mem("<!DOCTYPE testsuite SYSTEM \"../secret/secret.txt\">"
		"<testsuite><testcase classname=\"a\" name=\"b\"/></testsuite>", &c, msg, sizeof msg), 0);
	ck_assert_uint_eq(c.n, 1);
	collector_free(&c);
	/* An undeclared entity is a libxml2 error, not a lookup. */
	ck_assert_int_eq(parse_mem("<testsuite><testcase classname=\"a\" name=\"&x;\"/></testsuite>", &c, msg,
		sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "m.xml:1: Entity 'x' not defined");
	collector_free(&c);
	ck_assert_int_eq(parse_mem("\x4c\x6f\xa7\x94", &c, msg, sizeof msg), HIST_E_PARSE);
	ck_assert_str_eq(msg, "m.xml:1: unsupported encoding (UCS-4 or EBCDIC)");
	collector_free(&c);
	ck_assert_int_eq(parse_mem("<?xml version='1.0' encoding='IBM037'?><a/>", &c, msg, sizeof msg),
		HIST_E_PARSE);
	ck_assert_str_eq(msg, "m.xml:1: unsupported encoding \"IBM037\"");
	collector_free(&c);
	ck_assert_int_eq(parse_mem("<testsuite><testcase name=\"a\"/></testsuite><junk/>", &c, msg, sizeof msg),
		HIST_E_PARSE);
	ck_assert_str_eq(msg, "m.xml:1: Extra content at the end of the document");
	collector_free(&c);
}
END_TEST

START_TEST(sink_errors_pass_up_unchanged)
{
	collector c;
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { collect_record, collect_session, &c, NULL };
	hist__input *in;

	collector_init(&c);
	c.fail_at = 3;
	ck_assert_int_eq(hist__input_open(&in, fixture("junit/pytest-xunit2.xml"), NULL, &e), 0);
	ck_assert_int_eq(hist__junit_parse(in, &sink, &e), -99);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_int_eq(c.sessions, 0);
	hist__input_free(in);
	hist__err_clear(&e);
	collector_free(&c);
}
END_TEST

START_TEST(the_hash_covers_the_whole_input)
{
	static const char doc[] = "<testsuite/>\n<!-- trailing comment -->\n\n";
	hist__err e = HIST__ERR_INIT;
	collector c;
	hist__sink sink = { collect_record, collect_session, &c, NULL };
	hist__input *in;
	unsigned char h1[16], h2[16];
	char buf[64];

	collector_init(&c);
	ck_assert_int_eq(hist__input_open_mem(&in, doc, sizeof doc - 1, "m", &e), 0);
	ck_assert_int_eq(hist__junit_parse(in, &sink, &e), 0);
	ck_assert_int_eq(hist__input_read(in, buf, sizeof buf), 0);
	hist__input_hash(in, h1);
	hist__input_free(in);
	ck_assert_int_eq(hist__input_open_mem(&in, doc, sizeof doc - 1, "m", &e), 0);
	while (hist__input_read(in, buf, 5) > 0)
		;
	hist__input_hash(in, h2);
	hist__input_free(in);
	ck_assert_int_eq(memcmp(h1, h2, 16), 0);
	collector_free(&c);
	hist__err_clear(&e);
}
END_TEST

START_TEST(allocation_failures_are_reported)
{
	static const char doc[] = "<testsuite><testcase classname=\"a\" name=\"b\" time=\"1\"/>"
				  "<testcase classname=\"a\" name=\"c\"/></testsuite>";
	int error = HIST_E_NOMEM;

	for (long k = 0; error == HIST_E_NOMEM; k++) {
		hist__err e = HIST__ERR_INIT;
		collector c;
		hist__sink sink = { collect_record, collect_session, &c, NULL };
		hist__input *in = NULL;

		collector_init(&c);
		hist__alloc_fail_at(k);
		error = hist__input_open_mem(&in, doc, sizeof doc - 1, "m", &e);
		if (!error)
			error = hist__junit_parse(in, &sink, &e);
		hist__alloc_fail_at(-1);
		ck_assert_msg(error == 0 || error == HIST_E_NOMEM, "k=%ld: %d", k, error);
		if (error == 0)
			ck_assert_uint_eq(c.n, 2);
		hist__input_free(in);
		hist__err_clear(&e);
		collector_free(&c);
	}
}
END_TEST

START_TEST(libxml_version_is_named)
{
	ck_assert_str_eq(hist__junit_libxml_version(), LIBXML_DOTTED_VERSION);
}
END_TEST

Suite *check_junit_suite(void);
Suite *check_junit_suite(void)
{
	Suite *s = suite_create("junit");
	TCase *tc = tcase_create("junit");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pytest_xunit1_gives_exact_nodeids);
	tcase_add_test(tc, pytest_xunit2_keys_match_the_nodeid_rule);
	tcase_add_test(tc, time_formats);
	tcase_add_test(tc, nested_suites_and_session_facts);
	tcase_add_test(tc, encodings_read_alike);
	tcase_add_test(tc, cdata_comments_and_char_refs);
	tcase_add_test(tc, huge_system_out_is_skipped);
	tcase_add_test(tc, other_producers);
	tcase_add_loop_test(tc, bad_inputs_fail_with_reason_and_line, 0, (int)(sizeof bad / sizeof *bad));
	tcase_add_test(tc, secret_fixture_exists);
	tcase_add_test(tc, xunit1_falls_back_to_the_key);
	tcase_add_test(tc, adjacent_duplicates_merge_others_do_not);
	tcase_add_test(tc, nested_testcases_and_odd_structure);
	tcase_add_test(tc, attributes_as_the_document_gives_them);
	tcase_add_test(tc, refusals_in_memory);
	tcase_add_test(tc, sink_errors_pass_up_unchanged);
	tcase_add_test(tc, the_hash_covers_the_whole_input);
	tcase_add_test(tc, allocation_failures_are_reported);
	tcase_add_test(tc, libxml_version_is_named);
	suite_add_tcase(s, tc);
	return s;
}
