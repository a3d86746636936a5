/* check_nodeid.c - nodeid rules, checked against the vectors the plugin's
 * tests read too (tests/vectors/: junit_key, path_module and scope made by
 * real pytest runs, shard_hash by an independent FNV-1a). */
#include <inttypes.h>
#include <string.h>

#include "check_util.h"
#include "nodeid.h"
#include "vectors.h"

START_TEST(junit_key_matches_pytest)
{
	vectors v;

	vectors_open(&v, "junit_key");
	while (vectors_next(&v)) {
		const char *id = vectors_get(&v, "nodeid"), *key = vectors_get(&v, "key");
		char buf[1024];
		int64_t need = hist_nodeid_junit_key(buf, sizeof buf, id, strlen(id));

		ck_assert_msg(need == (int64_t)strlen(key) && strcmp(buf, key) == 0, "%s: %s: got %s, want %s",
			vectors_where(&v), id, buf, key);
	}
	ck_assert_int_gt(vectors_close(&v), 70);
}
END_TEST

START_TEST(path_module_matches_pytest)
{
	vectors v;

	vectors_open(&v, "path_module");
	while (vectors_next(&v)) {
		const char *path = vectors_get(&v, "path"), *module = vectors_get(&v, "module");
		size_t n = hist__nodeid_module_len(path, strlen(path));
		char got[1024];

		ck_assert_uint_lt(n, sizeof got);
		for (size_t i = 0; i < n; i++)
			got[i] = path[i] == '/' ? '.' : path[i];
		got[n] = '\0';
		ck_assert_msg(strcmp(got, module) == 0, "%s: %s: got %s, want %s", vectors_where(&v), path, got, module);
	}
	ck_assert_int_gt(vectors_close(&v), 70);
}
END_TEST

static void assert_scope(const char *id, hist_scope scope, const char *want)
{
	size_t n = hist__nodeid_scope_len(id, strlen(id), scope);

	ck_assert_msg(n == strlen(want) && strncmp(id, want, n) == 0, "%s scope %d: got '%.*s', want '%s'",
		id, (int)scope, (int)n, id, want);
}

START_TEST(scope_matches_pytest)
{
	vectors v;

	vectors_open(&v, "scope");
	while (vectors_next(&v)) {
		const char *id = vectors_get(&v, "nodeid");

		assert_scope(id, HIST_SCOPE_TEST, id);
		assert_scope(id, HIST_SCOPE_CLASS, vectors_get(&v, "class"));
		assert_scope(id, HIST_SCOPE_MODULE, vectors_get(&v, "module"));
	}
	ck_assert_int_gt(vectors_close(&v), 70);
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

START_TEST(hash_matches_python)
{
	vectors v;

	vectors_open(&v, "shard_hash");
	while (vectors_next(&v)) {
		const char *id = vectors_get(&v, "nodeid");
		uint64_t h = hist_nodeid_hash(id, strlen(id));
		char hex[17];

		snprintf(hex, sizeof hex, "%016" PRIx64, h);
		ck_assert_msg(strcmp(hex, vectors_get(&v, "fnv1a64")) == 0, "%s: %s", vectors_where(&v), id);
		ck_assert_uint_eq(h % 3 + 1, strtoull(vectors_get(&v, "shard_of_3"), NULL, 10));
		ck_assert_uint_eq(h % 4 + 1, strtoull(vectors_get(&v, "shard_of_4"), NULL, 10));
		ck_assert_uint_eq(h % 7 + 1, strtoull(vectors_get(&v, "shard_of_7"), NULL, 10));
	}
	ck_assert_int_gt(vectors_close(&v), 70);
	ck_assert_uint_eq(hist_nodeid_hash("", 0), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(hist_nodeid_hash("a", 1), 0xaf63dc4c8601ec8cULL);
}
END_TEST

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
	size_t n = hist__nodeid_strip_group(id, strlen(id), 0);

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
	/* A JUnit key (its ".py" gone) is taken as Python. */
	ck_assert_uint_eq(hist__nodeid_strip_group("t.a::test_x@db", 14, 1), 11);
	ck_assert_uint_eq(hist__nodeid_strip_group("t.a::test_x@db", 14, 0), 14);
}
END_TEST

/* tests/vectors/group_suffix.tsv, from real pytest-xdist runs: only a
 * suffix xdist added goes; '@' in a name of another collector or in a
 * parameter stays, and a group name may hold '@'. */
START_TEST(group_suffix_vectors)
{
	vectors v;

	vectors_open(&v, "group_suffix");
	while (vectors_next(&v))
		assert_strip(vectors_get(&v, "reported"), vectors_get(&v, "normalised"));
	ck_assert_int_gt(vectors_close(&v), 0);
}
END_TEST

Suite *check_nodeid_suite(void);
Suite *check_nodeid_suite(void)
{
	Suite *s = suite_create("nodeid");
	TCase *tc = tcase_create("nodeid");

	tcase_add_test(tc, junit_key_matches_pytest);
	tcase_add_test(tc, path_module_matches_pytest);
	tcase_add_test(tc, scope_matches_pytest);
	tcase_add_test(tc, junit_key_reports_needed_size);
	tcase_add_test(tc, hash_matches_python);
	tcase_add_test(tc, scopes_ignore_parameters);
	tcase_add_test(tc, xdist_group_suffix_is_stripped);
	tcase_add_test(tc, group_suffix_vectors);
	suite_add_tcase(s, tc);
	return s;
}
