/* alloc.c - allocation wrappers.
 * Owns: the one place libhist calls malloc, so fault injection (HIST_TESTING)
 * can reach every allocation. Not here: buffers (buf.c). */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef HIST_TESTING
#include <stdatomic.h>

/* Test builds only: the counters are global, which the no-mutable-globals
 * rule allows for a test seam that release builds do not have. Atomic:
 * ingest's store thread allocates while the parser does. */
static atomic_long fail_at = -1;
static atomic_long calls;

long hist__alloc_fail_at(long k)
{
	long made = atomic_exchange(&calls, 0);

	atomic_store(&fail_at, k);
	return made;
}

static int should_fail(void)
{
	long at = atomic_load(&fail_at);

	return at >= 0 && atomic_fetch_add(&calls, 1) == at;
}

int hist__alloc_inject(void)
{
	return should_fail();
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
