/* version.c - what this build is and what the public enums are called.
 * Owns: hist_version, hist_dependency_versions (asking each dependency's
 * module for its version), and the names of outcomes, formats,
 * estimators, scopes and sources.
 * Not here: the text of return codes (err.c), the schema version
 * (store.c). */
#include "hist.h"

#include <pthread.h>
#include <stdio.h>

#include "hash.h"
#include "io.h"
#include "junit.h"
#include "store.h"

const char *hist_version(void)
{
	return HIST_VERSION_STRING;
}

/* Built once, then only read: the one-time init keeps it safe from
 * several threads without a mutable global. */
static char versions[256];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

static void make_versions(void)
{
	snprintf(versions, sizeof versions, "SQLite %s, libxml2 %s, zlib %s, xxHash %s", hist__store_sqlite_version(),
		hist__junit_libxml_version(), hist__io_zlib_version(), hist__hash_xxhash_version());
}

const char *hist_dependency_versions(void)
{
	pthread_once(&versions_once, make_versions);
	return versions;
}

const char *hist_outcome_name(hist_outcome o)
{
	static const char *const names[HIST_OUTCOME_COUNT] = {
		"skipped", "xfailed", "passed", "xpassed", "failed", "error"
	};

	return (unsigned)o < HIST_OUTCOME_COUNT ? names[o] : NULL;
}

const char *hist_format_name(hist_format f)
{
	switch (f) {
	case HIST_FORMAT_JUNIT: return "junit";
	case HIST_FORMAT_REPORTLOG: return "reportlog";
	case HIST_FORMAT_HIST: return "hist";
	case HIST_FORMAT_BALANCE: return "balance";
	case HIST_FORMAT_DURATIONS: return "durations";
	case HIST_FORMAT_DATABASE: return "database";
	case HIST_FORMAT_UNKNOWN: break;
	}
	return "unknown";
}

const char *hist_estimator_name(hist_estimator e)
{
	static const char *const names[] = {"ema", "median", "last", "auto"};

	return (unsigned)e < sizeof names / sizeof *names ? names[e] : NULL;
}

const char *hist_scope_name(hist_scope s)
{
	static const char *const names[] = {"test", "class", "module"};

	return (unsigned)s < sizeof names / sizeof *names ? names[s] : NULL;
}

const char *hist_source_name(hist_source s)
{
	static const char *const names[] = {"default", "history", "option"};

	return (unsigned)s < sizeof names / sizeof *names ? names[s] : NULL;
}
