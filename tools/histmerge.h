/* histmerge.h - what the pieces of histmerge share: the state of one
 * run of the tool. histmerge.c parses the options and prints the summary,
 * histmerge_inputs.c walks and ingests the inputs, histmerge_plan.c
 * accounts the run against --plan. */
#ifndef HIST_HISTMERGE_H
#define HIST_HISTMERGE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "hist.h"

typedef struct {
	hist_db *db;
	hist_ingest_options opts;
	const char *top;       /* the INPUT being walked */
	struct stat db_files[4]; /* the database and its -wal, -shm, -journal */
	int json;
	int64_t files, tests, added, duplicates, rejected;
	char *list;            /* the --json "inputs" array, built as we go */
	size_t list_len;
	FILE *list_f;
	int64_t listed;
	int64_t input_size;    /* bytes of the input being read; 0: unknown */
	hist_plan_check *check; /* --plan: the plan the reports are checked against */
	hist_plan_check_totals plan_totals;
	int64_t gone_pruned;    /* of plan_totals.gone: in files their shard collected */
	int check_failed;       /* a report could not be read for the check */
} merge;

/* hist_walk's callbacks: fn stores one input, errmsg_fn counts an input
 * that cannot be read as rejected. Both add an element to the --json
 * "inputs" list when m->list_f is open. */
int merge_ingest_one(const char *file, void *payload);
void merge_unreadable(const char *file, const char *message, void *payload);
/* The ingest options' progress callback. */
void merge_progress(const char *name, uint64_t bytes, void *payload);
/* Notes the database's files (and its -wal, -shm, -journal), which a
 * walked directory may hold, so they are not taken for inputs. */
void merge_remember_db_files(merge *m, const char *db);

/* Stores the plan's per-shard predictions in the history (whether or not
 * the run passes the check); -1 on failure, said on stderr. */
int merge_store_plan(merge *m);
/* Accounts the run against the plan: problems on stderr, the summary line
 * unless -q, and with --json the problems array into *doc. Returns 0, 1
 * when there were problems, -1 when the account failed. */
int merge_finish_check(merge *m, char **doc);
/* The --json "plan" object (problems: the array merge_finish_check made). */
void merge_print_plan_json(const merge *m, const char *problems);

#endif
