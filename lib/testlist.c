/* testlist.c - the suite as collected now.
 * Owns: reading `pytest --collect-only -q` output, or the plugin's
 * `--hist-collect` file (told apart by its header line), into a list of
 * nodeids and their group keys (hist_test_list_*): pytest's trailer, lines
 * that are not nodeids, duplicates, size limits.
 * Not here: what the plan does with the list (planner.c, estimate.c),
 * gzip and stdin (io.c). */
#include "hist.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "io.h"
#include "nodeid.h"
#include "strmap.h"

/* A test list larger than this is not a test list. */
#define MAX_TEST_LIST ((size_t)1 << 30)

/* The --hist-collect file (doc/formats.md): this header, then the group
 * markers line, then GROUP TAB MODULE TAB CLASS TAB NODEID lines. */
#define COLLECT_HEADER "# hist collect "
#define COLLECT_VERSION 1
#define COLLECT_MARKERS "# group markers:"
/* A group key is a marker name and its value; plan.json holds it. */
#define MAX_GROUP_KEY 1024

struct hist_test_list {
	hist__err err;
	char *data; /* the lines, each NUL-terminated in place */
	const char **ids;
	const char **groups; /* per test, NULL: in no group; NULL for a plain list */
	const char *markers; /* the collect file's group markers, or NULL */
	size_t count;
};

/* Lines pytest prints after the nodeids: section rules, "!!! Interrupted",
 * "-- Docs: ...", "150 tests collected in 0.12s", "1/5 tests collected (4
 * deselected)", "no tests collected", "2 errors in 0.1s". */
static int pytest_trailer(const char *s)
{
	size_t d = strspn(s, "0123456789");

	if (s[0] == '=' || s[0] == '!' || strncmp(s, "-- ", 3) == 0 || strncmp(s, "no tests ", 9) == 0)
		return 1;
	if (d == 0)
		return 0;
	if (s[d] == '/')
		d += 1 + strspn(s + d + 1, "0123456789");
	return strncmp(s + d, " test", 5) == 0 || strncmp(s + d, " error", 6) == 0;
}

/* Why a line in the list is pytest's output rather than a nodeid, or NULL. */
static const char *not_a_nodeid(const char *s)
{
	const char *colon;

	if (s[0] == '#')
		return "a nodeid cannot start with '#' (shard files use it for comments)";
	if (s[0] == ' ' || s[0] == '\t' || s[0] == '<' || strncmp(s, "collected ", 10) == 0)
		return "not a nodeid: this looks like `pytest --collect-only` without -q";
	if (pytest_trailer(s))
		return "not a nodeid: pytest's summary must follow a blank line";
	/* `pytest --collect-only -qq` prints "path.py: 3", counts per file. */
	colon = strstr(s, ": ");
	if (colon && !strstr(s, "::") && colon[2] && strspn(colon + 2, "0123456789") == strlen(colon + 2))
		return "not a nodeid: this looks like `pytest --collect-only -qq`; use -q";
	return NULL;
}

static int list_error(hist_test_list *l, const char *name, size_t line, const char *why)
{
	return hist__error(&l->err, HIST_E_INVALID, "%s:%zu: %s", name, line, why);
}

/* The rest of a '# hist collect ' line: the format version. */
static int collect_header(hist_test_list *l, const char *name, const char *version)
{
	if (strcmp(version, "1") != 0)
		return hist__error(&l->err, HIST_E_INVALID,
		                   "%s:1: hist collect format version '%.20s': this histplan reads version %d; "
		                   "use the histplan of the plugin that wrote it",
		                   name, version, COLLECT_VERSION);
	/* groups marks the collect format; it grows with ids. */
	if (!(l->groups = hist__malloc(sizeof *l->groups)))
		return hist__error(&l->err, HIST_E_NOMEM, "%s: out of memory", name);
	return HIST_OK;
}

/* Splits a collect file's test line GROUP TAB MODULE TAB CLASS TAB NODEID
 * in place: returns the nodeid (its length in *n) and sets *group (NULL
 * for "-"), or returns NULL with the reason in *why. */
static char *collect_line(const char **group, char *p, size_t *n, const char **why)
{
	char *field[3], *q = p;

	for (int i = 0; i < 3; i++) {
		char *tab = strchr(q, '\t');

		if (!tab) {
			*why = "expected GROUP, MODULE, CLASS and the nodeid separated by tabs (a hist collect file)";
			return NULL;
		}
		*tab = '\0';
		field[i] = q;
		if (tab == q) {
			*why = "an empty field: a hist collect file writes '-' for none";
			return NULL;
		}
		q = tab + 1;
	}
	if (strlen(field[0]) > MAX_GROUP_KEY) {
		*why = "a group key longer than 1024 bytes";
		return NULL;
	}
	*group = strcmp(field[0], "-") == 0 ? NULL : field[0];
	*n -= (size_t)(q - p);
	if (*n == 0) {
		*why = "a test line without a nodeid";
		return NULL;
	}
	if (q[0] == '#') {
		*why = "a nodeid cannot start with '#' (shard files use it for comments)";
		return NULL;
	}
	return q;
}

int hist_test_list_parse(hist_test_list **out, const char *data, size_t len, const char *name)
{
	hist_test_list *l;
	hist__strmap seen = HIST__STRMAP_INIT;
	size_t *lines = NULL, cap = 0, blank = 0, line = 0;
	int trailer = 0, error = HIST_OK;
	char *p, *end;

	*out = NULL;
	if (!name)
		name = "tests";
	if (!(l = hist__calloc(1, sizeof *l)))
		return HIST_E_NOMEM;
	*out = l;
	if (len > MAX_TEST_LIST)
		return hist__error(&l->err, HIST_E_INVALID, "%s: larger than %zu bytes", name, MAX_TEST_LIST);
	if (!(l->data = hist__malloc(len + 1))) {
		error = hist__error(&l->err, HIST_E_NOMEM, "%s: out of memory", name);
		goto done;
	}
	/* ids is never NULL, even for an empty suite: NULL tests in the plan
	 * options mean "the tests of the newest run". */
	if (!(l->ids = hist__malloc(sizeof *l->ids))) {
		error = hist__error(&l->err, HIST_E_NOMEM, "%s: out of memory", name);
		goto done;
	}
	memcpy(l->data, data, len);
	l->data[len] = '\0';
	end = l->data + len;
	for (p = l->data; p < end && !trailer;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		const char *why, *group = NULL;
		uint32_t first;
		int added;

		line++;
		if (memchr(p, '\0', n)) {
			error = list_error(l, name, line, "NUL byte in the test list");
			goto done;
		}
		if (n && p[n - 1] == '\r')
			n--;
		p[n] = '\0';
		if (line == 1 && strncmp(p, COLLECT_HEADER, strlen(COLLECT_HEADER)) == 0) {
			error = collect_header(l, name, p + strlen(COLLECT_HEADER));
			if (error < 0)
				goto done;
		} else if (l->groups && line == 2) {
			if (strncmp(p, COLLECT_MARKERS, strlen(COLLECT_MARKERS)) != 0) {
				error = list_error(l, name, line, "expected '" COLLECT_MARKERS " NAME,...' after the "
				                                  "'# hist collect 1' line");
				goto done;
			}
			l->markers = p + strlen(COLLECT_MARKERS) + strspn(p + strlen(COLLECT_MARKERS), " ");
		} else if (l->groups && p[0] == '#') {
			/* A comment. */
		} else if (l->groups && !(p = collect_line(&group, p, &n, &why))) {
			error = list_error(l, name, line, why);
			goto done;
		} else if (n == 0) {
			if (!blank)
				blank = line;
		} else if (blank) {
			/* After a blank line only pytest's trailer may follow. */
			if (!pytest_trailer(p)) {
				error = list_error(l, name, blank, "blank line inside the test list");
				goto done;
			}
			trailer = 1;
		} else if (n > HIST__MAX_NODEID) {
			error = list_error(l, name, line, "line longer than 64 KiB");
			goto done;
		} else if (!l->groups && (why = not_a_nodeid(p))) {
			error = list_error(l, name, line, why);
			goto done;
		} else {
			if (l->count == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				const char **ids = hist__realloc(l->ids, ncap * sizeof *ids);
				size_t *nl2 = ids ? hist__realloc(lines, ncap * sizeof *lines) : NULL;
				const char **gs = nl2 && l->groups ? hist__realloc(l->groups, ncap * sizeof *gs) : NULL;

				if (ids)
					l->ids = ids;
				if (nl2)
					lines = nl2;
				if (gs)
					l->groups = gs;
				if (!ids || !nl2 || (l->groups && !gs)) {
					error = hist__error(&l->err, HIST_E_NOMEM, "%s: out of memory", name);
					goto done;
				}
				cap = ncap;
			}
			if ((error = hist__strmap_put(&first, &added, &seen, p, n, (uint32_t)l->count)) < 0) {
				error = hist__error(&l->err, error, "%s: out of memory", name);
				goto done;
			}
			if (!added) {
				error = hist__error(&l->err, HIST_E_INVALID, "%s:%zu: duplicate nodeid %s (first on line %zu)",
				                    name, line, p, lines[first]);
				goto done;
			}
			lines[l->count] = line;
			if (l->groups)
				l->groups[l->count] = group;
			l->ids[l->count++] = p;
		}
		p = nl ? nl + 1 : end;
	}
	if (error == HIST_OK && l->groups && !l->markers)
		error = list_error(l, name, line + 1, "no '" COLLECT_MARKERS "' line after '# hist collect 1'");
done:
	hist__strmap_free(&seen);
	hist__free(lines);
	if (error < 0)
		l->count = 0;
	return error;
}

int hist_test_list_read(hist_test_list **out, const char *path, const char *name)
{
	hist__err err = HIST__ERR_INIT;
	hist__buf b = HIST__BUF_INIT(MAX_TEST_LIST);
	hist__input *in = NULL;
	char chunk[65536];
	long got;
	int error;

	*out = NULL;
	if (!name)
		name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if ((error = hist__input_open(&in, path, name, &err)) < 0)
		goto fail;
	while ((got = hist__input_read(in, chunk, sizeof chunk)) > 0)
		if ((error = hist__buf_put(&b, chunk, (size_t)got)) < 0) {
			/* The buffer's limit is MAX_TEST_LIST. */
			error = error == HIST_E_NOMEM ? hist__error(&err, error, "%s: out of memory", name)
			                              : hist__error(&err, HIST_E_INVALID, "%s: larger than 1 GiB", name);
			goto fail;
		}
	if (got < 0) {
		error = (int)got;
		goto fail;
	}
	hist__input_free(in);
	error = hist_test_list_parse(out, b.ptr ? b.ptr : "", b.len, name);
	hist__buf_free(&b);
	hist__err_clear(&err);
	return error;
fail:
	hist__input_free(in);
	hist__buf_free(&b);
	/* Hand the message over in a list handle, as parse failures do. */
	if ((*out = hist__calloc(1, sizeof **out)))
		(*out)->err = err;
	else
		hist__err_clear(&err);
	return error;
}

const char *hist_test_list_errmsg(const hist_test_list *l)
{
	return l ? hist__err_msg(&l->err) : hist_strerror(HIST_E_NOMEM);
}

size_t hist_test_list_count(const hist_test_list *l)
{
	return l->count;
}

const char *const *hist_test_list_ids(const hist_test_list *l)
{
	return l->ids;
}

const char *const *hist_test_list_groups(const hist_test_list *l)
{
	return l->groups;
}

const char *hist_test_list_group_markers(const hist_test_list *l)
{
	return l->groups ? l->markers : NULL;
}

void hist_test_list_free(hist_test_list *l)
{
	if (!l)
		return;
	hist__err_clear(&l->err);
	hist__free(l->ids);
	hist__free(l->groups);
	hist__free(l->data);
	hist__free(l);
}
