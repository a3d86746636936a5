/* check_main.c - runs every Check suite. The list comes from the names of
 * tests/check_*.c (build/check_suites.h, made by the Makefile). */
#include <check.h>
#include <stdlib.h>

#define SUITE(name) Suite *check_##name##_suite(void);
#include "check_suites.h"
#undef SUITE

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	/* Check's 4 s default kills a test on a loaded CI machine (seen at
	 * load 5-6 on 2 cores); a hung test still dies. Read at tcase_create,
	 * so before the suites; the caller's own setting wins. */
	setenv("CK_DEFAULT_TIMEOUT", "30", 0);
#define SUITE(name) srunner_add_suite(sr, check_##name##_suite());
#include "check_suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
