/* failmalloc.c - an LD_PRELOAD library for tests/stress/oom_stderr.py: the
 * HIST_FAIL_AT-th allocation (1-based; malloc, calloc or realloc) returns
 * NULL, once, and every other goes to glibc. With HIST_FAIL_IN=NAME only
 * allocations called from the loaded object whose path contains NAME
 * ("libxml2") count. HIST_FAIL_COUNT=FILE gets the count at exit, so a test
 * knows how many there are to walk. glibc only (__libc_malloc). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

#define MAX_SEGMENTS 8

static unsigned long calls, fail_at;
static const char *only_in;
static uintptr_t seg_lo[MAX_SEGMENTS], seg_hi[MAX_SEGMENTS];
static int ready, nseg;

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (!info->dlpi_name || !strstr(info->dlpi_name, only_in))
		return 0;
	for (int i = 0; i < info->dlpi_phnum && nseg < MAX_SEGMENTS; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X)) {
			seg_lo[nseg] = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			seg_hi[nseg] = seg_lo[nseg] + info->dlpi_phdr[i].p_memsz;
			nseg++;
		}
	return 1;
}

static int counts(const void *caller)
{
	if (!ready) {
		const char *s = getenv("HIST_FAIL_AT");

		fail_at = s ? strtoul(s, NULL, 10) : 0;
		only_in = getenv("HIST_FAIL_IN");
		ready = 1;
	}
	if (!only_in)
		return 1;
	if (!nseg)
		dl_iterate_phdr(find_object, NULL); /* allocates nothing */
	for (int i = 0; i < nseg; i++)
		if ((uintptr_t)caller >= seg_lo[i] && (uintptr_t)caller < seg_hi[i])
			return 1;
	return 0;
}

static int fail_now(const void *caller)
{
	if (counts(caller) && ++calls == fail_at) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	return fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return fail_now(__builtin_return_address(0)) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return fail_now(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}

__attribute__((destructor)) static void write_count(void)
{
	const char *path = getenv("HIST_FAIL_COUNT");
	char buf[32];
	int fd, len;

	if (!path || (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return;
	len = snprintf(buf, sizeof buf, "%lu\n", calls);
	if (len > 0 && write(fd, buf, (size_t)len) != len)
		len = 0;
	close(fd);
}
