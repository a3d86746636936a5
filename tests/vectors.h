/* vectors.h - the reader of tests/vectors/<rule>.tsv for the Check suites.
 * The same files are read by the plugin's tests (tests/plugin/vectors.py),
 * so a rule both languages implement is pinned by one table. Format
 * (tests/vectors/README): UTF-8; '#' lines are comments; the first other
 * line names the columns; fields are separated by one TAB; "\t", "\n" and
 * "\\" stand for a tab, a newline and a backslash.
 *
 *	vectors v;
 *	vectors_open(&v, "junit_key");
 *	while (vectors_next(&v))
 *		check(vectors_get(&v, "nodeid"), vectors_get(&v, "key"));
 *	ck_assert_int_gt(vectors_close(&v), 70);
 */
#ifndef HIST_TESTS_VECTORS_H
#define HIST_TESTS_VECTORS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS_MAX_COLUMNS 16

typedef struct {
	FILE *f;
	char path[256];
	char *line;   /* the current row, unescaped in place */
	size_t cap;
	size_t lineno;
	char *header; /* the column names, in place */
	const char *name[VECTORS_MAX_COLUMNS];
	const char *field[VECTORS_MAX_COLUMNS];
	size_t field_len[VECTORS_MAX_COLUMNS];
	int columns;
	int rows;
} vectors;

/* Splits line at tabs into out[] and unescapes each field in place;
 * returns the number of fields. */
static inline int vectors_split(char *line, const char **out, size_t *len, const char *path, size_t lineno)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *start = p, *w = p;

		ck_assert_msg(n < VECTORS_MAX_COLUMNS, "%s:%zu: too many fields", path, lineno);
		while (*p && *p != '\t') {
			if (*p == '\\') {
				p++;
				ck_assert_msg(*p == 't' || *p == 'n' || *p == '\\', "%s:%zu: bad escape", path, lineno);
				*w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : '\\';
				p++;
			} else {
				*w++ = *p++;
			}
		}
		out[n] = start;
		if (len)
			len[n] = (size_t)(w - start);
		n++;
		if (!*p) {
			*w = '\0';
			return n;
		}
		p++;
		*w = '\0';
	}
}

/* Reads the next line that is not a comment; 0 at the end. */
static inline int vectors_line(vectors *v)
{
	ssize_t got;

	while ((got = getline(&v->line, &v->cap, v->f)) >= 0) {
		v->lineno++;
		if (got > 0 && v->line[got - 1] == '\n')
			v->line[--got] = '\0';
		if (got > 0 && v->line[got - 1] == '\r')
			v->line[--got] = '\0';
		if (v->line[0] != '#')
			return 1;
	}
	return 0;
}

/* Opens tests/vectors/<rule>.tsv (from the repository root, where make
 * check runs) and reads its header. */
static inline void vectors_open(vectors *v, const char *rule)
{
	memset(v, 0, sizeof *v);
	snprintf(v->path, sizeof v->path, "tests/vectors/%s.tsv", rule);
	v->f = fopen(v->path, "r");
	ck_assert_msg(v->f != NULL, "cannot open %s", v->path);
	ck_assert_msg(vectors_line(v), "%s: no header", v->path);
	v->header = strdup(v->line);
	ck_assert_ptr_nonnull(v->header);
	v->columns = vectors_split(v->header, v->name, NULL, v->path, v->lineno);
}

/* The next row: 1, or 0 at the end. Every row has every column. */
static inline int vectors_next(vectors *v)
{
	int n;

	if (!vectors_line(v))
		return 0;
	n = vectors_split(v->line, v->field, v->field_len, v->path, v->lineno);
	ck_assert_msg(n == v->columns, "%s:%zu: %d fields, the header names %d", v->path, v->lineno, n, v->columns);
	v->rows++;
	return 1;
}

/* The current row's field of column `name` (NUL-terminated; see
 * vectors_len for fields holding NUL). */
static inline const char *vectors_get(const vectors *v, const char *name)
{
	for (int i = 0; i < v->columns; i++)
		if (strcmp(v->name[i], name) == 0)
			return v->field[i];
	ck_abort_msg("%s: no column %s", v->path, name);
	return NULL;
}

static inline size_t vectors_len(const vectors *v, const char *name)
{
	for (int i = 0; i < v->columns; i++)
		if (strcmp(v->name[i], name) == 0)
			return v->field_len[i];
	ck_abort_msg("%s: no column %s", v->path, name);
	return 0;
}

/* The where of a failed check: "tests/vectors/junit_key.tsv:12". */
static inline const char *vectors_where(const vectors *v)
{
	static char where[300];

	snprintf(where, sizeof where, "%s:%zu", v->path, v->lineno);
	return where;
}

/* Closes the file; returns the number of rows read. */
static inline int vectors_close(vectors *v)
{
	int rows = v->rows;

	if (v->f)
		fclose(v->f);
	free(v->line);
	free(v->header);
	memset(v, 0, sizeof *v);
	return rows;
}

#endif
