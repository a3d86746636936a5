/* walk.c - directory inputs.
 * Owns: visiting the regular files under a path in one byte order of names,
 * so histmerge of a directory ingests the same way on every machine.
 * Not here: what the files hold (ingest.c). */
#include "hist.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"

typedef struct {
	int (*fn)(const char *file, void *payload);
	void (*errmsg_fn)(const char *file, const char *message, void *payload);
	void *payload;
} walker;

static void report(const walker *w, const char *path, int err)
{
	if (w->errmsg_fn)
		w->errmsg_fn(path, strerror(err), w->payload);
}

/* strcmp compares as unsigned char: byte order, whatever the locale. */
static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (no "." or ".."), sorted; *out NULL when it cannot be
 * read (reported). */
static int list_dir(char ***out, size_t *count, const walker *w, const char *path)
{
	DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int error = HIST_OK;

	*out = NULL;
	*count = 0;
	if (!d) {
		report(w, path, errno);
		return HIST_OK;
	}
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			if (errno)
				report(w, path, errno);
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 32;
			char **p = hist__realloc(names, c * sizeof *p);
			if (!p) {
				error = HIST_E_NOMEM;
				break;
			}
			names = p;
			cap = c;
		}
		if (!(names[n] = hist__strdup(e->d_name))) {
			error = HIST_E_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	*out = names;
	*count = n;
	return error;
}

static int walk_dir(const walker *w, const char *path);

/* One entry of a directory: files are visited, directories walked, and
 * symlinks followed only to files (a link to a directory could loop). */
static int visit_entry(const walker *w, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		report(w, path, errno);
		return HIST_OK;
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(w, path);
	if (S_ISLNK(st.st_mode)) {
		if (stat(path, &st) < 0) {
			report(w, path, errno);
			return HIST_OK;
		}
		if (S_ISDIR(st.st_mode))
			return HIST_OK;
	}
	/* Sockets, fifos and devices inside a tree are not results. */
	return S_ISREG(st.st_mode) ? w->fn(path, w->payload) : HIST_OK;
}

static int walk_dir(const walker *w, const char *path)
{
	size_t n = 0, len = strlen(path), i = 0, sep;
	char **names = NULL;
	int error;

	/* "dir/" and "dir" give the same file names; "/" keeps its slash. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	sep = path[len - 1] == '/' ? 0 : 1;
	if ((error = list_dir(&names, &n, w, path)) < 0)
		goto done;
	for (; i < n && error == HIST_OK; i++) {
		size_t nl = strlen(names[i]), total;
		char *child;

		if (hist__add_overflow(len, nl, &total) || hist__add_overflow(total, (size_t)2, &total) ||
			!(child = hist__malloc(total))) {
			error = HIST_E_NOMEM;
			break;
		}
		memcpy(child, path, len);
		child[len] = '/';
		memcpy(child + len + sep, names[i], nl + 1);
		error = visit_entry(w, child);
		hist__free(child);
	}
done:
	for (i = 0; i < n; i++)
		hist__free(names[i]);
	hist__free(names);
	return error;
}

int hist_walk(const char *path, int (*fn)(const char *file, void *payload),
	void (*errmsg_fn)(const char *file, const char *message, void *payload), void *payload)
{
	walker w = { fn, errmsg_fn, payload };
	struct stat st;

	if (!path || !fn)
		return HIST_E_INVALID;
	/* The path named by the caller is followed even when it is a link:
	 * that is what they asked for. Anything but a directory is handed
	 * to fn, so a fifo or /dev/stdin can be read. */
	if (stat(path, &st) < 0) {
		report(&w, path, errno);
		return HIST_OK;
	}
	return S_ISDIR(st.st_mode) ? walk_dir(&w, path) : fn(path, payload);
}
