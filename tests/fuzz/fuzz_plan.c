/* fuzz_plan.c - libFuzzer target: any bytes as a plan directory and the
 * shard reports given to `histmerge --plan` (hist_plan_check_*). The input
 * is a small archive: sections begin with a line "@@ NAME" (plan.json,
 * shard-K.txt, report-K.jsonl); bytes before the first are plan.json. The
 * directory is read or refused with a message naming it; a plan read has
 * a 16-hex-digit id, 1..HIST_MAX_SHARDS shards and exactly the distinct
 * test lines of its shard files (counted here, apart from the reader);
 * every report is taken, skipped or refused with a message; the verdict
 * accounts every planned test once and names each problem sanely. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 64

typedef struct {
	char name[32];
	const uint8_t *p;
	size_t len;
} section;

static char dir[64];

/* "@@ NAME" naming a file this target writes: its name, or 0. */
static int section_name(char *out, const uint8_t *s, size_t len)
{
	unsigned int k;
	char tail[8];

	if (len < 4 || len > 28 || memcmp(s, "@@ ", 3) != 0 || memchr(s, '\0', len))
		return 0;
	memcpy(out, s + 3, len - 3);
	out[len - 3] = '\0';
	if (strcmp(out, "plan.json") == 0)
		return 1;
	if ((sscanf(out, "shard-%4u.%3s", &k, tail) == 2 && strcmp(tail, "txt") == 0) ||
	    (sscanf(out, "report-%2u.%5s", &k, tail) == 2 && strcmp(tail, "jsonl") == 0))
		return strchr(out, '/') == NULL;
	return 0;
}

static size_t split(section *sec, const uint8_t *data, size_t size)
{
	size_t n = 1, at = 0;

	strcpy(sec[0].name, "plan.json");
	sec[0].p = data;
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size;
		char name[32];

		if (n < MAX_FILES && section_name(name, data + at, end - at)) {
			sec[n - 1].len = (size_t)(data + at - sec[n - 1].p);
			strcpy(sec[n].name, name);
			sec[n].p = nl ? nl + 1 : data + size;
			n++;
		}
		at = end + 1;
	}
	sec[n - 1].len = (size_t)(data + size - sec[n - 1].p);
	return n;
}

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%.255s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

static void remove_dir(void)
{
	clear_dir();
	rmdir(dir);
}

/* The last section of that name wins, as a file written twice. */
static const section *find(const section *sec, size_t n, const char *name)
{
	const section *found = NULL;

	for (size_t i = 0; i < n; i++)
		if (strcmp(sec[i].name, name) == 0)
			found = &sec[i];
	return found;
}

/* Test lines of a shard file as the plan reader counts them: lines past
 * the two headers, neither empty nor comments ('\n' ends a line; the last
 * needs none). */
static size_t test_lines(const section *s)
{
	size_t count = 0, line = 0, at = 0;

	while (at < s->len) {
		const uint8_t *nl = memchr(s->p + at, '\n', s->len - at);
		size_t end = nl ? (size_t)(nl - s->p) : s->len;

		if (++line > 2 && end > at && s->p[at] != '#')
			count++;
		at = end + 1;
	}
	return count;
}

typedef struct {
	unsigned int shards;
	size_t calls;
} seen;

static void on_problem(const hist_check_problem *p, void *payload)
{
	seen *s = payload;

	s->calls++;
	if (!p->message || !p->message[0] || !p->file || !p->file[0] || p->shard > s->shards ||
	    (unsigned int)p->kind > HIST_CHECK_UNPLANNED)
		abort();
	if ((p->kind == HIST_CHECK_RAN_TWICE || p->kind == HIST_CHECK_NOT_RUN || p->kind == HIST_CHECK_GONE ||
	     p->kind == HIST_CHECK_UNPLANNED) != (p->nodeid != NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	section sec[MAX_FILES];
	size_t n = split(sec, data, size);
	hist_plan_check *check = NULL;
	hist_plan_check_totals t;
	seen s = {0, 0};
	char path[512];
	size_t reports = 0, planned = 0;
	int error;

	if (!dir[0]) {
		/* In memory where there is a tmpfs: files are written each run. */
		snprintf(dir, sizeof dir, "/dev/shm/fuzz_plan.%ld", (long)getpid());
		if (mkdir(dir, 0700) != 0) {
			snprintf(dir, sizeof dir, "/tmp/fuzz_plan.%ld", (long)getpid());
			if (mkdir(dir, 0700) != 0)
				abort();
		}
		atexit(remove_dir);
	}
	clear_dir();
	for (size_t i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof path, "%s/%.31s", dir, sec[i].name);
		if (!(f = fopen(path, "wb")) || fwrite(sec[i].p, 1, sec[i].len, f) != sec[i].len ||
		    fclose(f) != 0)
			abort();
	}
	error = hist_plan_check_open(&check, dir);
	if (error != HIST_OK) {
		const char *msg = hist_plan_check_errmsg(check);

		if (!msg[0] || (error != HIST_E_NOMEM && !strstr(msg, dir)))
			abort();
		goto done;
	}
	s.shards = hist_plan_check_shard_count(check);
	if (s.shards < 1 || s.shards > HIST_MAX_SHARDS || strlen(hist_plan_check_id(check)) != 16 ||
	    strspn(hist_plan_check_id(check), "0123456789abcdef") != 16)
		abort();
	if (strcmp(hist_plan_check_test_list(check), "collection") != 0 &&
	    strcmp(hist_plan_check_test_list(check), "history") != 0)
		abort();
	for (unsigned int k = 1; k <= s.shards; k++) {
		const section *sf;

		snprintf(path, sizeof path, "shard-%u.txt", k);
		if (!(sf = find(sec, n, path)))
			abort(); /* read a shard file that is not there */
		planned += test_lines(sf);
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(sec[i].name, "report-", 7) != 0 || find(sec, n, sec[i].name) != &sec[i])
			continue;
		snprintf(path, sizeof path, "%s/%.31s", dir, sec[i].name);
		error = hist_plan_check_add(check, path, sec[i].name);
		if (error < 0 &&
		    (!hist_plan_check_errmsg(check)[0] ||
		     (error != HIST_E_NOMEM && !strstr(hist_plan_check_errmsg(check), sec[i].name))))
			abort();
		if (error < 0)
			goto done; /* histmerge stops at the first unreadable input */
		if (error > 1)
			abort();
		reports += (size_t)error;
	}
	if (hist_plan_check_finish(&t, check, on_problem, &s) != HIST_OK)
		abort();
	if (t.planned != planned || t.ran + t.deselected + t.gone + t.unaccounted != t.planned ||
	    t.problems != s.calls || t.reports > reports || t.ran_twice > t.ran + t.unplanned)
		abort();
	if (t.problems == 0 && (t.unaccounted || t.ran_twice))
		abort(); /* an exact run has every planned test accounted, once */
done:
	hist_plan_check_free(check);
	return 0;
}
