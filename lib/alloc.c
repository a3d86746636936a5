/* alloc.c - allocation wrappers.
 * Owns: the one place libhist calls malloc, so fault injection (HIST_TESTING)
 * can reach every allocation. Not here: buffers (buf.c). */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef HIST_TESTING
/* Test builds only: the counters are global, which the no-mutable-globals
 * rule allows for a test seam that release builds do not have. */
static long fail_at = -1;
static long calls;

long hist__alloc_fail_at(long k)
{
	long made = calls;
	fail_at = k;
	calls = 0;
	return made;
}

static int should_fail(void)
{
	return fail_at >= 0 && calls++ == fail_at;
}
#else
#define should_fail() 0
#endif

void *hist__malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *hist__calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *hist__realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

void hist__free(void *ptr)
{
	free(ptr);
}

char *hist__strndup(const char *s, size_t len)
{
	char *p;

	if (len == (size_t)-1 || !(p = hist__malloc(len + 1)))
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *hist__strdup(const char *s)
{
	return hist__strndup(s, strlen(s));
}
