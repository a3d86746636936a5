/* check_nodeid.c - nodeid rules, checked against the vectors the plugin's
 * tests read too (tests/vectors/: junit_key, path_module and scope made by
 * real pytest runs, shard_hash by an independent Python computation). */
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

/* The class scope as the rule says it, walked forward from the path:
 * the last "::" before the first '[' after the path, else the path. */
static size_t class_len_reference(const char *s, size_t len)
{
	size_t path = len, end, last;

	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == ':' && s[i + 1] == ':') {
			path = i;
			break;
		}
	last = path;
	for (end = path; end < len && s[end] != '['; end++)
		;
	for (size_t i = path; i + 1 < end; i++)
		if (s[i] == ':' && s[i + 1] == ':')
			last = i;
	return last;
}

/* Every string of up to 9 bytes over ':', '[', 'a' (runs of colons,
 * brackets before and after the path, "::" inside parameters): the class
 * scope, found walking back from the names' end, is the reference's. */
START_TEST(class_scope_of_every_short_string)
{
	static const char alphabet[] = ":[a";
	char s[10];
	size_t checked = 0, after = 0;

	for (size_t len = 0; len <= 9; len++) {
		size_t total = 1;

		for (size_t i = 0; i < len; i++)
			total *= 3;
		for (size_t code = 0; code < total; code++) {
			size_t c = code;

			for (size_t i = 0; i < len; i++, c /= 3)
				s[i] = alphabet[c % 3];
			s[len] = '\0';
			ck_assert_msg(hist__nodeid_scope_len(s, len, HIST_SCOPE_CLASS) == class_len_reference(s, len),
			              "'%s': got %zu, want %zu", s, hist__nodeid_scope_len(s, len, HIST_SCOPE_CLASS),
			              class_len_reference(s, len));
			/* From each "::" a scope can end at (the path's, or one
			 * after it before any '['), as planning asks it of a test
			 * that starts like the one before. */
			for (size_t k = hist__nodeid_scope_len(s, len, HIST_SCOPE_MODULE); k + 2 <= len && s[k] != '['; k++)
				if (s[k] == ':' && s[k + 1] == ':') {
					ck_assert_msg(hist__nodeid_class_len_after(s, len, k) == class_len_reference(s, len),
					              "'%s' after %zu: got %zu, want %zu", s, k,
					              hist__nodeid_class_len_after(s, len, k), class_len_reference(s, len));
					after++;
				}
			checked++;
		}
	}
	ck_assert_uint_eq(checked, 29524);
	ck_assert_uint_gt(after, 1000);
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
	static const unsigned int ns[] = {2, 3, 4, 7, 8, 16};
	vectors v;

	vectors_open(&v, "shard_hash");
	while (vectors_next(&v)) {
		const char *id = vectors_get(&v, "nodeid");
		uint64_t h = hist_nodeid_hash(id, strlen(id));
		char hex[17], col[16];

		snprintf(hex, sizeof hex, "%016" PRIx64, h);
		ck_assert_msg(strcmp(hex, vectors_get(&v, "hash")) == 0, "%s: %s", vectors_where(&v), id);
		for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
			snprintf(col, sizeof col, "shard_of_%u", ns[i]);
			ck_assert_uint_eq(h % ns[i] + 1, strtoull(vectors_get(&v, col), NULL, 10));
		}
	}
	ck_assert_int_gt(vectors_close(&v), 70);
	ck_assert_uint_eq(hist_nodeid_hash("", 0), 0xefd01f60ba992926ULL);
	ck_assert_uint_eq(hist_nodeid_hash("a", 1), 0x82a2a958a9bece5bULL);
}
END_TEST

/* Pearson's chi-square of the counts of ids 0..count-1 (made by name) on
 * n shards, against an even split. */
static double hash_chi_square(void (*name)(char *buf, size_t size, unsigned int i), unsigned int count,
	unsigned int n)
{
	unsigned int bins[16] = {0};
	double expect = (double)count / n, chi = 0;

	for (unsigned int i = 0; i < count; i++) {
		char id[64];

		name(id, sizeof id, i);
		bins[hist_nodeid_hash(id, strlen(id)) % n]++;
	}
	for (unsigned int k = 0; k < n; k++)
		chi += (bins[k] - expect) * (bins[k] - expect) / expect;
	return chi;
}

static void numbered_id(char *buf, size_t size, unsigned int i)
{
	snprintf(buf, size, "tests/test_x.py::test_%u", i);
}

/* Names over a, q, A, Q: the same low four bits, different high bits.
 * Plain FNV-1a put all 1024 on one shard of 2, 4, 8 or 16. */
static void high_bits_id(char *buf, size_t size, unsigned int i)
{
	static const char letters[] = "aqAQ";
	char w[6];

	for (int c = 0; c < 5; c++, i /= 4)
		w[c] = letters[i % 4];
	w[5] = '\0';
	snprintf(buf, size, "tests/test_x.py::test_%s", w);
}

START_TEST(hash_spreads_evenly_on_powers_of_two)
{
	/* chi-square at p = 0.001 for n - 1 degrees of freedom: a loose
	 * bound any well-mixed hash meets (the ids are fixed, so no flakes). */
	static const unsigned int ns[] = {2, 4, 8, 16};
	static const double bound[] = {10.83, 16.27, 24.32, 37.70};

	for (size_t i = 0; i < 4; i++) {
		double a = hash_chi_square(numbered_id, 1000, ns[i]), b = hash_chi_square(high_bits_id, 1024, ns[i]);

		ck_assert_msg(a < bound[i], "test_<i> on %u shards: chi-square %.1f", ns[i], a);
		ck_assert_msg(b < bound[i], "aqAQ names on %u shards: chi-square %.1f", ns[i], b);
	}
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
	tcase_add_test(tc, class_scope_of_every_short_string);
	tcase_add_test(tc, junit_key_reports_needed_size);
	tcase_add_test(tc, hash_matches_python);
	tcase_add_test(tc, hash_spreads_evenly_on_powers_of_two);
	tcase_add_test(tc, scopes_ignore_parameters);
	tcase_add_test(tc, xdist_group_suffix_is_stripped);
	tcase_add_test(tc, group_suffix_vectors);
	suite_add_tcase(s, tc);
	return s;
}
