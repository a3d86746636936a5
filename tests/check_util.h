/* check_util.h - helpers shared by the Check suites. */
#ifndef HIST_CHECK_UTIL_H
#define HIST_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Path of a file under fixtures/ (HIST_FIXTURES overrides the directory).
 * Returns a static buffer, valid until the next call. */
static inline const char *fixture(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("HIST_FIXTURES");

	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "fixtures", rel);
	return path;
}

#endif
