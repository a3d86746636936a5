/* check_ci.c - run ids from CI variables, through a fake environment. */
#include <string.h>

#include "check_util.h"
#include "hist.h"

/* A fake environment: NULL-terminated name, value pairs. */
static const char *fake_getenv(const char *name, void *payload)
{
	const char *const *env = payload;

	for (; env[0]; env += 2)
		if (strcmp(env[0], name) == 0)
			return env[1];
	return NULL;
}

static void run_id_is(const char *const *env, const char *want)
{
	char buf[64];

	ck_assert_int_eq(hist_ci_run_id(buf, sizeof buf, fake_getenv, (void *)env), HIST_OK);
	ck_assert_str_eq(buf, want);
}

START_TEST(ci_each_system_has_its_prefix)
{
	const char *gh[] = { "GITHUB_RUN_ID", "7311", "GITHUB_RUN_ATTEMPT", "2", NULL };
	const char *gh_first[] = { "GITHUB_RUN_ID", "7311", NULL };
	const char *gh_empty[] = { "GITHUB_RUN_ID", "7311", "GITHUB_RUN_ATTEMPT", "", NULL };
	const char *gl[] = { "CI_PIPELINE_ID", "5521", "CI_JOB_ID", "99", NULL };
	const char *bk[] = { "BUILDKITE_BUILD_ID", "0190-abc", NULL };
	const char *circle[] = { "CIRCLE_WORKFLOW_ID", "6fa4-11", "CIRCLE_BUILD_NUM", "3", NULL };
	const char *az[] = { "BUILD_BUILDID", "812", NULL };

	run_id_is(gh, "gh-7311-2");
	run_id_is(gh_first, "gh-7311-1");
	run_id_is(gh_empty, "gh-7311-1");
	run_id_is(gl, "gl-5521");
	run_id_is(bk, "bk-0190-abc");
	run_id_is(circle, "circle-6fa4-11");
	run_id_is(az, "az-812");
}
END_TEST

START_TEST(ci_first_system_wins_and_empty_is_unset)
{
	const char *both[] = { "BUILD_BUILDID", "812", "GITHUB_RUN_ID", "7311", NULL };
	const char *empty[] = { "GITHUB_RUN_ID", "", "CI_PIPELINE_ID", "5521", NULL };
	const char *none[] = { "CI", "true", "HOME", "/root", NULL };
	char buf[64];

	run_id_is(both, "gh-7311-1");
	run_id_is(empty, "gl-5521");
	ck_assert_int_eq(hist_ci_run_id(buf, sizeof buf, fake_getenv, (void *)none), HIST_E_NOTFOUND);
}
END_TEST

START_TEST(ci_small_buffer_is_refused)
{
	const char *gh[] = { "GITHUB_RUN_ID", "7311", "GITHUB_RUN_ATTEMPT", "2", NULL };
	char buf[10];

	/* "gh-7311-2" needs exactly 10 bytes with its NUL. */
	ck_assert_int_eq(hist_ci_run_id(buf, 10, fake_getenv, (void *)gh), HIST_OK);
	ck_assert_str_eq(buf, "gh-7311-2");
	ck_assert_int_eq(hist_ci_run_id(buf, 9, fake_getenv, (void *)gh), HIST_E_INVALID);
	ck_assert_int_eq(hist_ci_run_id(buf, sizeof buf, NULL, NULL), HIST_E_INVALID);
}
END_TEST

Suite *check_ci_suite(void);
Suite *check_ci_suite(void)
{
	Suite *s = suite_create("ci");
	TCase *tc = tcase_create("ci");

	tcase_add_test(tc, ci_each_system_has_its_prefix);
	tcase_add_test(tc, ci_first_system_wins_and_empty_is_unset);
	tcase_add_test(tc, ci_small_buffer_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
