/* collect.h - a hist__sink that keeps what a parser hands it, for the
 * parser suites (check_junit.c, check_jsonl.c, check_corpus.c). */
#ifndef HIST_COLLECT_H
#define HIST_COLLECT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "io.h"
#include "record.h"

typedef struct {
	char *id;
	int id_is_key;
	hist_outcome outcome;
	int64_t duration_us, setup_us;
	unsigned int attempts;
	unsigned long line;
} collected;

typedef struct {
	collected *r;
	size_t n, cap;
	hist__session session;
	char plan_id[128];
	int sessions;
	int fail_at; /* the sink returns -99 at this record (-1: never) */
} collector;

static inline int collect_record(void *ctx, const hist__record *r)
{
	collector *c = ctx;
	collected *x;

	if (c->fail_at >= 0 && (size_t)c->fail_at == c->n)
		return -99;
	ck_assert_int_eq(c->sessions, 0); /* records come before the session */
	ck_assert_uint_eq(strlen(r->id), r->id_len); /* no NUL inside */
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->r = realloc(c->r, c->cap * sizeof *c->r);
		ck_assert_ptr_nonnull(c->r);
	}
	x = &c->r[c->n++];
	x->id = strndup(r->id, r->id_len);
	x->id_is_key = r->id_is_key;
	x->outcome = r->outcome;
	x->duration_us = r->duration_us;
	x->setup_us = r->setup_us;
	x->attempts = r->attempts;
	x->line = r->line;
	return 0;
}

static inline int collect_session(void *ctx, const hist__session *s)
{
	collector *c = ctx;

	c->sessions++;
	c->session = *s;
	c->plan_id[0] = '\0';
	if (s->plan_id)
		snprintf(c->plan_id, sizeof c->plan_id, "%s", s->plan_id);
	c->session.plan_id = s->plan_id ? c->plan_id : NULL;
	return 0;
}

static inline void collector_init(collector *c)
{
	memset(c, 0, sizeof *c);
	c->fail_at = -1;
}

static inline void collector_free(collector *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->r[i].id);
	free(c->r);
	memset(c, 0, sizeof *c);
}

/* The record with this id, or NULL. */
static inline const collected *find(const collector *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->r[i].id, id) == 0)
			return &c->r[i];
	return NULL;
}

static inline const collected *must_find(const collector *c, const char *id)
{
	const collected *x = find(c, id);

	ck_assert_msg(x != NULL, "no record %s", id);
	return x;
}

static inline size_t count_outcome(const collector *c, hist_outcome o)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->r[i].outcome == o;
	return n;
}

#endif
