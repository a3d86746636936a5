/* alloc.h - allocation wrappers and overflow checks (private).
 * Every allocation in libhist goes through here so tests built with
 * -DHIST_TESTING can make the k-th call fail and check the error paths. */
#ifndef HIST_ALLOC_H
#define HIST_ALLOC_H

#include <stddef.h>

void *hist__malloc(size_t size);
void *hist__calloc(size_t count, size_t size);
void *hist__realloc(void *ptr, size_t size);
void hist__free(void *ptr);
char *hist__strndup(const char *s, size_t len);
char *hist__strdup(const char *s);

/* 1 when a*b (a+b) overflows size_t; *out is the product (sum) otherwise. */
#define hist__mul_overflow(a, b, out) __builtin_mul_overflow((a), (b), (out))
#define hist__add_overflow(a, b, out) __builtin_add_overflow((a), (b), (out))

#ifdef HIST_TESTING
/* Fail the k-th allocation from now (0 = the next one); -1 turns it off.
 * Returns how many allocations were made since the last call. */
long hist__alloc_fail_at(long k);
/* The same count and failure for an allocator outside libhist: the OOM
 * walk (tests/oom.c) routes SQLite's and libxml2's through it. 1: fail. */
int hist__alloc_inject(void);
#endif

#endif
