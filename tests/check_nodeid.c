/* check_nodeid.c - nodeid rules, checked against vectors made from pytest's
 * own junitxml code (tests/junit_key_vectors.tsv) and from the Python hash
 * the plugin uses (tests/hash_vectors.tsv). */
#include <inttypes.h>
#include <string.h>

#include "check_util.h"
#include "nodeid.h"

/* Calls fn(col0, col1) for every non-comment line of a TSV file. */
static int each_vector(const char *path, void (*fn)(char *a, char *b))
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		char *tab, *rest;
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		ck_assert_ptr_nonnull(tab);
		*tab = '\0';
		rest = tab + 1;
		fn(line, rest);
		n++;
	}
	fclose(f);
	return n;
}

static void check_key(char *nodeid, char *key)
{
	char buf[1024];
	int64_t need = hist_nodeid_junit_key(buf, sizeof buf, nodeid, strlen(nodeid));

	ck_assert_int_eq(need, (int64_t)strlen(key));
	ck_assert_str_eq(buf, key);
}

START_TEST(junit_key_matches_pytest)
{
	ck_assert_int_gt(each_vector("tests/junit_key_vectors.tsv", check_key), 70);
}
END_TEST

START_TEST(junit_key_reports_needed_size)
{
	char small[8];
	const char *id = "tests/test_a.py::TestK::test_two";

	ck_assert_int_eq(hist_nodeid_junit_key(small, sizeof small, id, strlen(id)), 28);
	ck_assert_str_eq(small, "tests.t");
	ck_assert_int_eq(hist_nodeid_junit_key(NULL, 0, id, strlen(id)), 28);
	ck_assert_int_eq(hist_nodeid_junit_key(small, sizeof small, "", 0), HIST_E_INVALID);
}
END_TEST

static void check_hash(char *nodeid, char *rest)
{
	uint64_t h = hist_nodeid_hash(nodeid, strlen(nodeid));
	char hex[17];
	unsigned s3, s4, s7;

	snprintf(hex, sizeof hex, "%016" PRIx64, h);
	ck_assert_int_eq(strncmp(rest, hex, 16), 0);
	ck_assert_int_eq(sscanf(rest + 17, "%u\t%u\t%u", &s3, &s4, &s7), 3);
	ck_assert_uint_eq(h % 3 + 1, s3);
	ck_assert_uint_eq(h % 4 + 1, s4);
	ck_assert_uint_eq(h % 7 + 1, s7);
}

START_TEST(hash_matches_python)
{
	ck_assert_int_gt(each_vector("tests/hash_vectors.tsv", check_hash), 70);
	ck_assert_uint_eq(hist_nodeid_hash("", 0), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(hist_nodeid_hash("a", 1), 0xaf63dc4c8601ec8cULL);
}
END_TEST

static void assert_scope(const char *id, hist_scope scope, const char *want)
{
	size_t n = hist__nodeid_scope_len(id, strlen(id), scope);

	ck_assert_msg(n == strlen(want) && strncmp(id, want, n) == 0, "%s scope %d: got '%.*s', want '%s'",
		id, (int)scope, (int)n, id, want);
}

START_TEST(scopes_ignore_parameters)
{
	assert_scope("t/a.py::TestK::test_x[1::2/3[4]]", HIST_SCOPE_MODULE, "t/a.py");
	assert_scope("t/a.py::TestK::test_x[1::2/3[4]]", HIST_SCOPE_CLASS, "t/a.py::TestK");
	assert_scope("t/a.py::TestK::test_x[1::2/3[4]]", HIST_SCOPE_TEST, "t/a.py::TestK::test_x[1::2/3[4]]");
	assert_scope("t/a.py::test_x[K::y]", HIST_SCOPE_CLASS, "t/a.py");
	assert_scope("t/a.py::A::B::test_y[é é]", HIST_SCOPE_CLASS, "t/a.py::A::B");
	assert_scope("t/doc.txt", HIST_SCOPE_CLASS, "t/doc.txt");
	assert_scope("t/doc.txt", HIST_SCOPE_MODULE, "t/doc.txt");
	assert_scope("t/a.py::test_z", HIST_SCOPE_MODULE, "t/a.py");
}
END_TEST

static void assert_strip(const char *id, const char *want)
{
	size_t n = hist__nodeid_strip_group(id, strlen(id));

	ck_assert_msg(n == strlen(want) && strncmp(id, want, n) == 0, "%s: got '%.*s'", id, (int)n, id);
}

START_TEST(xdist_group_suffix_is_stripped)
{
	assert_strip("t/a.py::test_x@db", "t/a.py::test_x");
	assert_strip("t/a.py::test_x[1]@db", "t/a.py::test_x[1]");
	assert_strip("t/a.py::test_x[a@b]", "t/a.py::test_x[a@b]");
	assert_strip("t/a.py::test_x", "t/a.py::test_x");
	assert_strip("t/a@b.py", "t/a@b.py");
	assert_strip("t/a@b.py::test_q@g.1", "t/a@b.py::test_q");
}
END_TEST

Suite *check_nodeid_suite(void);
Suite *check_nodeid_suite(void)
{
	Suite *s = suite_create("nodeid");
	TCase *tc = tcase_create("nodeid");

	tcase_add_test(tc, junit_key_matches_pytest);
	tcase_add_test(tc, junit_key_reports_needed_size);
	tcase_add_test(tc, hash_matches_python);
	tcase_add_test(tc, scopes_ignore_parameters);
	tcase_add_test(tc, xdist_group_suffix_is_stripped);
	suite_add_tcase(s, tc);
	return s;
}
