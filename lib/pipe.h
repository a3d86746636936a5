/* pipe.h - results from a parser to the store, two at a time (private).
 *
 * ingest.c hands each record to hist__pipe_add on the parser's thread (the
 * caller's). Records gather in batches; once the first batch is full, a
 * store thread writes full batches in order while the parser fills the
 * next, so parsing and SQLite run on two cores. An input smaller than one
 * batch never starts a thread. The database is the store thread's alone
 * from then until hist__pipe_finish or hist__pipe_free returns: the caller
 * must not use the handle in between (its error slot included). */
#ifndef HIST_PIPE_H
#define HIST_PIPE_H

#include <stdint.h>

#include "hist.h"
#include "record.h"

typedef struct hist__pipe hist__pipe;

/* Results will go to run of db, inside the transaction the caller began. */
int hist__pipe_new(hist__pipe **out, hist_db *db, int64_t run);
/* Copies r into the current batch and passes a full batch on.
 * HIST_E_INVALID or HIST_E_NOMEM: r could not be taken (no message set).
 * Another code: storing failed (hist__pipe_store_failed says so), with
 * the message in the handle once hist__pipe_finish or _free returned. */
int hist__pipe_add(hist__pipe *p, const hist__record *r);
/* Stores what is left and waits until all is stored. *added: how many
 * results were new. The first store error, if any. */
int hist__pipe_finish(int64_t *added, hist__pipe *p);
/* 1 when a store call failed (its message is in the handle). */
int hist__pipe_store_failed(const hist__pipe *p);
/* Stops the store thread (batches not yet stored are dropped: the caller
 * rolls back) and frees everything. NULL is a no-op. */
void hist__pipe_free(hist__pipe *p);

#endif
