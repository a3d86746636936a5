/* check_plancheck.c - a run against its plan (lib/plancheck.c): plans and
 * reports written by hand as histplan and the plugin write them (CONTRACT:
 * deselected, gone and interrupted lines, the session's "interrupted"). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_util.h"

#define PLAN "0123456789abcdef"
#define OTHER "fedcba9876543210"

typedef struct {
	char text[16][512];
	int n;
} problems;

/* What check() leaves for the test to look at; teardown frees it. */
static hist_plan_check *c;
static hist_plan_check_totals t;
static problems ps;

static void setup(void)
{
	scratch_make();
}

static void teardown(void)
{
	hist_plan_check_free(c);
	c = NULL;
	scratch_remove();
}

static void put(const char *name, const char *text)
{
	write_file(scratch_path(3, name), text, strlen(text));
}

/* A plan of two shards: a.py::t1, a.py::t2 on shard 1; b.py::t3,
 * b.py::t4 on shard 2. */
static void plan(const char *test_list)
{
	char json[512];

	mkdir(scratch_path(0, "p"), 0755);
	snprintf(json, sizeof json,
	         "{\n  \"plan_id\": \"" PLAN "\",\n  \"shard_count\": 2,\n  \"shards\": [],\n"
	         "  \"fallback\": null%s%s%s\n}\n",
	         test_list ? ",\n  \"test_list\": \"" : "", test_list ? test_list : "", test_list ? "\"" : "");
	put("p/plan.json", json);
	put("p/shard-1.txt", "# hist plan " PLAN "\n# shard 1/2\n# predicted 1.000 s, 2 tests\na.py::t1\na.py::t2\n");
	put("p/shard-2.txt", "# hist plan " PLAN "\n# shard 2/2\n# predicted 1.000 s, 2 tests\nb.py::t3\nb.py::t4\n");
}

/* A report line by line; session closes it. */
#define TEST(id) "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"" id "\", \"outcome\": \"passed\", " \
	"\"attempt\": 1, \"setup\": 0.001, \"call\": 0.5, \"teardown\": 0.001, \"worker\": \"master\"}\n"
#define MARK(type, id) "{\"hist\": 1, \"type\": \"" type "\", \"nodeid\": \"" id "\"}\n"
#define SESSION(plan, k, interrupted) "{\"hist\": 1, \"type\": \"session\", \"start\": 1764000000.0, " \
	"\"collect\": 0.5, \"wall\": 2.0, \"workers\": 0, \"tests\": 2, \"plan_id\": " plan ", \"shard\": " \
	k ", \"shards\": 2, \"interrupted\": " interrupted "}\n"

static void keep(const hist_check_problem *p, void *payload)
{
	static const char *const kind[] = {"other_plan", "shard_missing", "shard_twice", "interrupted", "ran_twice",
	                                   "not_run",    "gone",          "unplanned",   "group_split"};
	problems *out = payload;
	const char *file = strrchr(p->file, '/') ? strrchr(p->file, '/') + 1 : p->file;

	ck_assert_int_lt(out->n, 16);
	snprintf(out->text[out->n++], sizeof out->text[0], "%s %s:%lu [%s] %u: %s", kind[p->kind], file, p->line,
	         p->nodeid ? p->nodeid : "-", p->shard, p->message);
}

/* Opens the plan in p/ (into c), adds the named reports, each a hist
 * report unless named *.xml, and finishes (into t and ps). */
static void check(const char *const *reports)
{
	hist_plan_check_free(c);
	c = NULL;
	ck_assert_msg(hist_plan_check_open(&c, scratch_path(0, "p")) == HIST_OK, "%s", hist_plan_check_errmsg(c));
	for (size_t i = 0; reports[i]; i++)
		ck_assert_int_eq(hist_plan_check_add(c, scratch_path(1, reports[i]), reports[i]),
		                 strstr(reports[i], ".xml") ? 0 : 1);
	memset(&ps, 0, sizeof ps);
	ck_assert_int_eq(hist_plan_check_finish(&t, c, keep, &ps), HIST_OK);
	ck_assert_uint_eq(t.problems, (size_t)ps.n);
}

START_TEST(exact_run_with_a_deselection)
{
	static const char *const reports[] = {"r1.jsonl", "r2.jsonl", NULL};
	plan("collection");
	put("r1.jsonl", TEST("a.py::t1") MARK("deselected", "a.py::t2") SESSION("\"" PLAN "\"", "1", "false"));
	put("r2.jsonl", TEST("b.py::t4") TEST("b.py::t3") SESSION("\"" PLAN "\"", "2", "false"));
	check(reports);
	ck_assert_str_eq(hist_plan_check_id(c), PLAN);
	ck_assert_uint_eq(hist_plan_check_shard_count(c), 2);
	ck_assert_str_eq(hist_plan_check_test_list(c), "collection");
	ck_assert_int_eq(ps.n, 0);
	ck_assert_uint_eq(t.planned, 4);
	ck_assert_uint_eq(t.ran, 3);
	ck_assert_uint_eq(t.deselected, 1);
	ck_assert_uint_eq(t.unaccounted, 0);
	ck_assert_uint_eq(t.reports, 2);
}
END_TEST

START_TEST(twice_not_run_and_missing_are_named)
{
	static const char *const reports[] = {"r1.jsonl", "r1b.jsonl", NULL};
	plan(NULL);
	/* Shard 1 ran t1 twice (once more on a retried job) and never t2;
	 * shard 2's report is missing. */
	put("r1.jsonl", TEST("a.py::t1") SESSION("\"" PLAN "\"", "1", "false"));
	put("r1b.jsonl", TEST("a.py::t1") TEST("b.py::t3") SESSION("\"" PLAN "\"", "1", "false"));
	check(reports);
	ck_assert_str_eq(hist_plan_check_test_list(c), "history");
	ck_assert_int_eq(ps.n, 4);
	ck_assert_str_eq(ps.text[1], "shard_missing shard-2.txt:0 [-] 2: no report of shard 2/2 among the inputs "
	                             "(its job failed to start, or ran without --hist-report): 1 planned test "
	                             "unaccounted");
	ck_assert_str_eq(ps.text[0], "shard_twice r1b.jsonl:0 [-] 1: a second report of shard 1/2 (the first: "
	                             "r1.jsonl): a test in both ran twice");
	ck_assert_str_eq(ps.text[2], "ran_twice r1b.jsonl:1 [a.py::t1] 1: a.py::t1 ran again on shard 1/2; it "
	                             "already ran on shard 1/2 (r1.jsonl:1)");
	ck_assert_str_eq(ps.text[3], "not_run shard-1.txt:5 [a.py::t2] 1: a.py::t2 was planned on shard 1/2, and "
	                             "no shard ran it or deselected it");
	/* t3 ran on the wrong shard: still once; t4's absence is shard 2's. */
	ck_assert_uint_eq(t.ran, 2);
	ck_assert_uint_eq(t.unaccounted, 2);
	ck_assert_uint_eq(t.ran_twice, 1);
}
END_TEST

START_TEST(interrupted_shard_stores_its_cut_off_test_nowhere)
{
	static const char *const reports[] = {"r1.jsonl", "r2.jsonl", NULL};
	plan("history");
	put("r1.jsonl", TEST("a.py::t1") MARK("interrupted", "a.py::t2") SESSION("\"" PLAN "\"", "1", "true"));
	put("r2.jsonl", TEST("b.py::t3") TEST("b.py::t4") SESSION("\"" PLAN "\"", "2", "false"));
	check(reports);
	ck_assert_int_eq(ps.n, 1);
	ck_assert_str_eq(ps.text[0], "interrupted r1.jsonl:0 [-] 1: shard 1/2 was interrupted (a CI cancel or "
	                             "timeout) while a.py::t2 ran: 1 planned test unaccounted; run the shard "
	                             "again");
	ck_assert_uint_eq(t.ran, 3);
	ck_assert_uint_eq(t.unaccounted, 1);
}
END_TEST

START_TEST(collection_plans_are_strict_history_plans_lenient)
{
	static const char *const reports[] = {"r1.jsonl", "r2.jsonl", NULL};
	put("r1.jsonl", TEST("a.py::t1") TEST("a.py::t2") TEST("a.py::new") SESSION("\"" PLAN "\"", "1", "false"));
	put("r2.jsonl", TEST("b.py::t3") MARK("gone", "b.py::t4") SESSION("\"" PLAN "\"", "2", "false"));
	plan("collection");
	check(reports);
	ck_assert_int_eq(ps.n, 2);
	ck_assert_str_eq(ps.text[0], "unplanned r1.jsonl:3 [a.py::new] 1: a.py::new ran on shard 1/2, and no shard "
	                             "file lists it; the plan was made from a collection of this tree (--tests), "
	                             "so every test must be in it: plan again");
	ck_assert_msg(strstr(ps.text[1], "gone r2.jsonl:2 [b.py::t4] 2: b.py::t4, listed on shard 2/2 (") &&
	                  strstr(ps.text[1], "shard-2.txt:5), was not collected; the plan was made from a "
	                                     "collection of this tree (--tests), so every listed test must "
	                                     "be collected"),
	              "%s", ps.text[1]);

	plan("history");
	check(reports);
	ck_assert_int_eq(ps.n, 0);
	ck_assert_uint_eq(t.gone, 1);
	ck_assert_uint_eq(t.unplanned, 1);
	ck_assert_uint_eq(t.unaccounted, 0);
}
END_TEST

static void name_gone(const char *nodeid, unsigned int shard, void *payload)
{
	char *out = payload;

	snprintf(out + strlen(out), 256 - strlen(out), "%u:%s ", shard, nodeid);
}

/* A gone line with "pruned": true (its shard collected its file while
 * skipping others') is counted gone as any other, and named apart: a
 * history plan cannot tell it from a removed test, so the tool warns. */
START_TEST(gone_from_collected_files_are_named_apart)
{
	static const char *const reports[] = {"r1.jsonl", "r2.jsonl", NULL};
	char names[256] = "";

	put("r1.jsonl", TEST("a.py::t1") MARK("gone", "a.py::t2") SESSION("\"" PLAN "\"", "1", "false"));
	put("r2.jsonl", "{\"hist\": 1, \"type\": \"gone\", \"nodeid\": \"b.py::t4\", \"pruned\": true}\n"
	                "{\"hist\": 1, \"type\": \"gone\", \"pruned\": true, \"nodeid\": \"b.py::t3\"}\n"
	                SESSION("\"" PLAN "\"", "2", "false"));
	plan("history");
	check(reports);
	ck_assert_int_eq(ps.n, 0);
	ck_assert_uint_eq(t.gone, 3);
	ck_assert_int_eq(hist_plan_check_gone_pruned(c, name_gone, names), 2);
	ck_assert_str_eq(names, "2:b.py::t3 2:b.py::t4 ");
	ck_assert_int_eq(hist_plan_check_gone_pruned(c, NULL, NULL), 2);
	/* From --tests they are problems already, not named again. */
	plan("collection");
	check(reports);
	ck_assert_int_eq(ps.n, 3);
	ck_assert_int_eq(hist_plan_check_gone_pruned(c, NULL, NULL), 0);
}
END_TEST

START_TEST(reports_of_other_plans_are_named_not_counted)
{
	static const char *const reports[] = {"r1.jsonl", "r2.jsonl", "old.jsonl", "plain.jsonl", "r2.jsonl", NULL};
	plan("history");
	put("r1.jsonl", TEST("a.py::t1") TEST("a.py::t2") SESSION("\"" PLAN "\"", "1", "false"));
	/* The same content twice is one report. */
	put("r2.jsonl", TEST("b.py::t3") TEST("b.py::t4") SESSION("\"" PLAN "\"", "2", "false"));
	put("old.jsonl", TEST("a.py::t1") SESSION("\"" OTHER "\"", "1", "false"));
	put("plain.jsonl", TEST("a.py::t1") SESSION("null", "null", "false"));
	check(reports);
	ck_assert_int_eq(ps.n, 2);
	ck_assert_msg(strstr(ps.text[0], "other_plan old.jsonl:0 [-] 0: a report of plan " OTHER
	                                 " (shard 1/2), not of plan " PLAN " in "),
	              "%s", ps.text[0]);
	ck_assert_msg(strstr(ps.text[1], "other_plan plain.jsonl:0 [-] 0: a report of a session without a plan "
	                                 "(pytest ran without --shard-file), not of plan " PLAN " in "),
	              "%s", ps.text[1]);
	ck_assert_uint_eq(t.ran, 4);
	ck_assert_uint_eq(t.ran_twice, 0);
	ck_assert_uint_eq(t.reports, 2);
}
END_TEST

/* Plans made from xunit2 history list JUnit keys; the plugin reports
 * nodeids, which match through hist_nodeid_junit_key. Other formats are
 * no shard's account. */
START_TEST(junit_key_lines_and_other_formats)
{
	static const char *const reports[] = {"r.xml", "r.jsonl", NULL};

	mkdir(scratch_path(0, "p"), 0755);
	put("p/plan.json", "{\"plan_id\": \"" PLAN "\", \"shard_count\": 1}");
	put("p/shard-1.txt", "# hist plan " PLAN "\n# shard 1/1\ntests.test_a.TestK::test_x[1]\n");
	put("r.jsonl", "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"tests/test_a.py::TestK::test_x[1]\", "
	               "\"outcome\": \"failed\", \"attempt\": 1}\n"
	               "{\"hist\": 1, \"type\": \"session\", \"plan_id\": \"" PLAN "\", \"shard\": 1, \"shards\": 1}\n");
	put("r.xml", "<testsuite><testcase classname=\"x\" name=\"y\"/></testsuite>\n");
	check(reports);
	ck_assert_int_eq(ps.n, 0);
	ck_assert_uint_eq(t.ran, 1);
}
END_TEST

/* Two files can share a JUnit key (tests/a/b/t.py in a package and
 * tests/a.b/t.py give "tests.a.b.t"): the plugin runs both on the key
 * line's shard, and each ran once; a line that ran twice still counts. */
START_TEST(two_nodeids_of_one_key_line_ran_once_each)
{
#define ONE_SHARD "{\"hist\": 1, \"type\": \"session\", \"plan_id\": \"" PLAN "\", \"shard\": 1, \"shards\": 1}\n"
	static const char *const reports[] = {"r.jsonl", NULL};

	mkdir(scratch_path(0, "p"), 0755);
	put("p/plan.json", "{\"plan_id\": \"" PLAN "\", \"shard_count\": 1}");
	put("p/shard-1.txt", "# hist plan " PLAN "\n# shard 1/1\ntests.a.b.t::test_d\n");
	put("r.jsonl", TEST("tests/a/b/t.py::test_d") TEST("tests/a.b/t.py::test_d") ONE_SHARD);
	check(reports);
	ck_assert_msg(ps.n == 0, "%s", ps.text[0]);
	ck_assert_uint_eq(t.ran, 1);
	ck_assert_uint_eq(t.unplanned, 1);
	ck_assert_uint_eq(t.ran_twice, 0);
	put("r.jsonl", TEST("tests/a/b/t.py::test_d") TEST("tests/a.b/t.py::test_d") TEST("tests/a/b/t.py::test_d")
	               ONE_SHARD);
	check(reports);
	ck_assert_int_eq(ps.n, 1);
	ck_assert_uint_eq(t.ran_twice, 1);
	ck_assert_msg(strstr(ps.text[0], "ran_twice r.jsonl:3 [tests.a.b.t::test_d]") != NULL, "%s", ps.text[0]);
#undef ONE_SHARD
}
END_TEST

/* plan() with group serial:db = a.py::t1, a.py::t2 on shard 1, as
 * histplan writes plan.json from a --hist-collect file. */
static void plan_with_groups(void)
{
	plan(NULL);
	put("p/plan.json", "{\n  \"plan_id\": \"" PLAN "\",\n  \"shard_count\": 2,\n  \"shards\": [],\n"
	                   "  \"group_markers\": [\"serial\"],\n  \"groups\": [\n    {\"key\": \"serial:db\", "
	                   "\"shard\": 1, \"tests\": [\n      \"a.py::t1\",\n      \"a.py::t2\"\n    ]}\n  ],\n"
	                   "  \"test_list\": \"history\"\n}\n");
}

#define GROUPED(id, group) "{\"hist\": 1, \"type\": \"test\", \"nodeid\": \"" id "\", \"outcome\": " \
	"\"passed\", \"attempt\": 1, \"group\": \"" group "\"}\n"

/* A test that ran on another shard than its group's is named; a group new
 * since the plan belongs where the plugin sends it, on shard hash(key) %
 * N + 1 (serial:c on 1, serial:b on 2); a plan without groups ignores the
 * reports' group keys. */
START_TEST(a_test_away_from_its_group_is_named)
{
	static const char *const reports[] = {"r1.jsonl", "r2.jsonl", NULL};

	ck_assert_uint_eq(hist_nodeid_hash("serial:c", 8) % 2, 0);
	ck_assert_uint_eq(hist_nodeid_hash("serial:b", 8) % 2, 1);
	put("r1.jsonl", GROUPED("a.py::t1", "serial:db") SESSION("\"" PLAN "\"", "1", "false"));
	put("r2.jsonl", GROUPED("a.py::t2", "serial:db") TEST("b.py::t3") TEST("b.py::t4")
	                    GROUPED("b.py::new_b", "serial:b") GROUPED("b.py::new_c", "serial:c")
	                        SESSION("\"" PLAN "\"", "2", "false"));
	plan_with_groups();
	check(reports);
	ck_assert_int_eq(ps.n, 2);
	ck_assert_str_eq(ps.text[0], "group_split r2.jsonl:1 [a.py::t2] 2: a.py::t2 ran on shard 2/2, but its group "
	                             "serial:db runs on shard 1/2: a group stays on one shard");
	ck_assert_str_eq(ps.text[1], "group_split r2.jsonl:5 [b.py::new_c] 2: b.py::new_c ran on shard 2/2, but its "
	                             "group serial:c runs on shard 1/2: a group stays on one shard");
	ck_assert_uint_eq(t.ran, 4);
	ck_assert_uint_eq(t.unplanned, 2);
	plan("history");
	check(reports);
	ck_assert_int_eq(ps.n, 0);
}
END_TEST

static void open_fails(int code, const char *want)
{
	hist_plan_check_free(c);
	c = NULL;
	ck_assert_int_eq(hist_plan_check_open(&c, scratch_path(0, "p")), code);
	ck_assert_msg(strstr(hist_plan_check_errmsg(c), want), "%s", hist_plan_check_errmsg(c));
}

START_TEST(bad_plans_are_refused_with_the_file)
{
	mkdir(scratch_path(0, "p"), 0755);
	open_fails(HIST_E_IO, "p/plan.json");
	plan("sometimes");
	open_fails(HIST_E_PARSE, "plan.json:6: test_list is neither \"collection\" nor \"history\"");
	plan(NULL);
	put("p/shard-2.txt", "# hist plan " OTHER "\n# shard 2/2\nb.py::t3\n");
	open_fails(HIST_E_PARSE, "shard-2.txt:1: belongs to plan " OTHER " but ");
	put("p/shard-2.txt", "# hist plan " PLAN "\n# shard 2/2\na.py::t1\n");
	open_fails(HIST_E_PARSE, "shard-2.txt:3: a.py::t1 is listed twice (also ");
	put("p/shard-2.txt", "# hist plan " PLAN "\n# shard 1/2\n");
	open_fails(HIST_E_PARSE, "shard-2.txt:2: expected '# shard 2/2' (histplan's shard file)");
	unlink(scratch_path(0, "p/shard-2.txt"));
	open_fails(HIST_E_IO, "shard-2.txt");
	put("p/plan.json", "{\"plan_id\": \"xyz\", \"shard_count\": 2}");
	open_fails(HIST_E_PARSE, "plan_id is not 16 hex digits");
}
END_TEST

Suite *check_plancheck_suite(void);
Suite *check_plancheck_suite(void)
{
	Suite *s = suite_create("plancheck");
	TCase *tc = tcase_create("plancheck");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exact_run_with_a_deselection);
	tcase_add_test(tc, twice_not_run_and_missing_are_named);
	tcase_add_test(tc, interrupted_shard_stores_its_cut_off_test_nowhere);
	tcase_add_test(tc, collection_plans_are_strict_history_plans_lenient);
	tcase_add_test(tc, gone_from_collected_files_are_named_apart);
	tcase_add_test(tc, reports_of_other_plans_are_named_not_counted);
	tcase_add_test(tc, junit_key_lines_and_other_formats);
	tcase_add_test(tc, two_nodeids_of_one_key_line_ran_once_each);
	tcase_add_test(tc, a_test_away_from_its_group_is_named);
	tcase_add_test(tc, bad_plans_are_refused_with_the_file);
	suite_add_tcase(s, tc);
	return s;
}
