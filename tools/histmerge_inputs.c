/* histmerge_inputs.c - histmerge's inputs: each file of a walked INPUT
 * stored through hist_ingest_path, the database's own files skipped,
 * progress, -v lines and the --json "inputs" list.
 * Not here: options and the summary (histmerge.c), --plan (histmerge_plan.c). */
#include "histmerge.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* One element of the --json "inputs" list. */
static void list_input(merge *m, const char *name, const hist_ingest_stats *st, const char *error)
{
	if (!m->list_f)
		return;
	fprintf(m->list_f, "%s{\"file\": ", m->listed++ ? ", " : "");
	cli_json_string(m->list_f, name);
	fprintf(m->list_f, ", \"format\": \"%s\", \"tests\": %lld, \"added\": %lld, \"duplicates\": %lld, "
			   "\"already_seen\": %s, \"error\": ",
		hist_format_name(st->format), (long long)st->tests, (long long)st->added, (long long)st->duplicates,
		st->already_seen ? "true" : "false");
	if (error)
		cli_json_string(m->list_f, error);
	else
		fputs("null", m->list_f);
	fputc('}', m->list_f);
}

/* The database and its companion files are not inputs when a directory
 * holding them is walked. */
static int is_db_file(const merge *m, const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return 0;
	for (int i = 0; i < 4; i++)
		if (m->db_files[i].st_ino && st.st_dev == m->db_files[i].st_dev && st.st_ino == m->db_files[i].st_ino)
			return 1;
	return 0;
}

/* A regular file's size, for a percentage; 0 for stdin, pipes and
 * anything else whose end is not known beforehand. */
static int64_t input_size(const char *file)
{
	struct stat st;

	if (!file || stat(file, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	return (int64_t)st.st_size;
}

int merge_ingest_one(const char *file, void *payload)
{
	merge *m = payload;
	int stdin_input = strcmp(file, "-") == 0 && file == m->top;
	const char *name = stdin_input ? "<stdin>" : file;
	hist_ingest_stats st;
	int error;

	if (file != m->top && is_db_file(m, file)) {
		if (cli_verbosity() > 0)
			cli_error("%s: skipped: the history database itself", file);
		return 0;
	}
	m->files++;
	m->input_size = input_size(stdin_input ? NULL : file);
	error = hist_ingest_path(&st, m->db, file, name, &m->opts);
	cli_progress_done();
	list_input(m, name, &st, error < 0 ? hist_db_errmsg(m->db) : NULL);
	if (error < 0) {
		cli_error("%s", hist_db_errmsg(m->db));
		m->rejected++;
		return 0;
	}
	m->tests += st.tests;
	m->added += st.added;
	m->duplicates += st.duplicates;
	/* Stored; now read again for the plan's account. */
	if (m->check && (error = hist_plan_check_add(m->check, file, name)) < 0) {
		cli_error("%s", hist_plan_check_errmsg(m->check));
		m->check_failed = 1;
	}
	if (cli_verbosity() > 0)
		cli_error("%s: %s, %lld %s, %lld added, %lld %s%s", name, hist_format_name(st.format),
			(long long)st.tests, cli_plural(st.tests, "test", "tests"), (long long)st.added,
			(long long)st.duplicates, cli_plural(st.duplicates, "duplicate", "duplicates"),
			st.already_seen ? " (ingested before)" : "");
	return 0;
}

void merge_unreadable(const char *file, const char *message, void *payload)
{
	merge *m = payload;
	hist_ingest_stats st = { 0 };
	char text[8192];

	snprintf(text, sizeof text, "%s: %s", file, message);
	cli_error("%s", text);
	list_input(m, file, &st, text);
	m->files++;
	m->rejected++;
}

/* Called by the library every few thousand records; bytes are those of
 * the file as stored (compressed, for gzip), like its size. */
void merge_progress(const char *name, uint64_t bytes, void *payload)
{
	const merge *m = payload;
	double mib = (double)bytes / (1024.0 * 1024.0);

	if (m->input_size > 0 && bytes <= (uint64_t)m->input_size)
		cli_progress("%s: %d%% of %.1f MiB", name, (int)(100.0 * (double)bytes / (double)m->input_size),
			(double)m->input_size / (1024.0 * 1024.0));
	else
		cli_progress("%s: %.1f MiB read", name, mib);
}

void merge_remember_db_files(merge *m, const char *db)
{
	static const char *const suffix[4] = { "", "-wal", "-shm", "-journal" };
	char path[4096];

	for (int i = 0; i < 4; i++) {
		memset(&m->db_files[i], 0, sizeof m->db_files[i]);
		if ((size_t)snprintf(path, sizeof path, "%s%s", db, suffix[i]) < sizeof path)
			stat(path, &m->db_files[i]);
	}
}
