/* record.h - what parsers hand to ingest (private).
 * Parsers know nothing of storage: they call a hist__sink once per test
 * result and once per session fact, and ingest.c stores them. */
#ifndef HIST_RECORD_H
#define HIST_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"

typedef struct {
	const char *id;       /* nodeid, or JUnit key "classname::name" */
	size_t id_len;
	int id_is_key;        /* 1: a JUnit key (no exact nodeid in the input) */
	hist_outcome outcome; /* of the final attempt */
	int64_t duration_us;  /* setup+call+teardown of the final attempt; -1 none */
	int64_t setup_us;     /* setup phase of the final attempt; -1 unknown */
	unsigned int attempts; /* >= 1; reruns counted, never summed */
	unsigned long line;   /* where the record ends in the input */
} hist__record;

/* Facts about the session that produced an input; -1 / 0 / NULL = unknown. */
typedef struct {
	int64_t start_us;   /* session start, µs since the epoch */
	int64_t wall_us;    /* session wall time (JUnit <testsuite time>) */
	int64_t collect_us; /* collection time (plugin session record) */
	int workers;
	const char *plan_id;
	int shard_index, shard_total; /* 1-based k of N */
	int interrupted;    /* the session was cut off (SIGINT: a CI cancel or timeout) */
	int64_t startup_us; /* from the process's start to the session's (plugin session record) */
} hist__session;

#define HIST__SESSION_INIT { -1, -1, -1, 0, NULL, 0, 0, 0, -1 }

/* hist JSONL lines that name a test without giving a result: what a shard
 * deselected for the user, listed tests it did not collect, and the test
 * an interruption cut off. Only the plan check needs them. */
typedef enum { HIST__MARK_DESELECTED = 0, HIST__MARK_GONE, HIST__MARK_INTERRUPTED,
	/* A gone test whose file its shard collected while skipping other
	 * shards' files ("pruned": true). */
	HIST__MARK_GONE_PRUNED,
	/* Not a nodeid: the group key (--hist-group-marker) of the test whose
	 * record comes next. */
	HIST__MARK_GROUP } hist__mark;

typedef struct {
	int (*record)(void *ctx, const hist__record *r);
	/* At most once per input, after its last record. */
	int (*session)(void *ctx, const hist__session *s);
	void *ctx;
	/* A marked nodeid (normalised like a record's); NULL skips them. */
	int (*mark)(void *ctx, hist__mark kind, const char *id, size_t len, unsigned long line);
} hist__sink;

#endif
