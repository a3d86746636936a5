/* pipe.c - results from a parser to the store, on two threads.
 * Owns: gathering records into batches, the store thread, and the bounded
 * queue of batches between the two; storing inline when the input fits one
 * batch or no thread can be had.
 * Not here: SQL (store*.c), parsing (junit.c, jsonl.c), the transaction
 * around an input (ingest.c).
 *
 * Why a thread: parsing a JUnit file costs about as much as writing its
 * results to SQLite, and neither can go much faster alone. Batches are
 * stored in the order they were filled, by one thread, so the database
 * ends up exactly as if everything ran on the caller's thread. */
#include "pipe.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "store.h"

/* One batch the parser fills, one the store writes and one full one
 * waiting: more would only hold memory, as the slower side sets the pace. */
#define BATCHES 3

struct hist__pipe {
	hist_db *db;
	int64_t run;
	hist__batch *all[BATCHES]; /* owned; all[0] only until the thread starts */
	hist__batch *fill;         /* the parser's; NULL once it gave up */
	int failed;                /* the parser's copy of error, once it learnt it */
	int threaded;              /* the store thread runs (until joined) */
	int no_thread;             /* a thread could not be had: store inline */
	int64_t inline_added;
	pthread_t thread;
	/* Under mu from the thread's start until it is joined: */
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* both sides wait on it, each rarely */
	hist__batch *ready[BATCHES]; /* full, oldest at ready_head */
	size_t ready_head, ready_count;
	hist__batch *spare[BATCHES]; /* stored and empty, for the parser */
	size_t spare_count;
	int64_t added;
	int error;   /* the first store error */
	int closing; /* no batch will come any more */
	int cancel;  /* drop what is not stored yet */
};

int hist__pipe_new(hist__pipe **out, hist_db *db, int64_t run)
{
	hist__pipe *p;
	int error;

	*out = NULL;
	if (!(p = hist__calloc(1, sizeof *p)))
		return HIST_E_NOMEM;
	p->db = db;
	p->run = run;
	if ((error = hist__batch_new(&p->all[0])) < 0) {
		hist__free(p);
		return error;
	}
	p->fill = p->all[0];
	*out = p;
	return HIST_OK;
}

static void *store_thread(void *arg)
{
	hist__pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		hist__batch *b;
		int64_t added = 0;
		int error = HIST_OK;

		while (!p->ready_count && !p->closing)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->ready_count)
			break;
		b = p->ready[p->ready_head];
		p->ready_head = (p->ready_head + 1) % BATCHES;
		p->ready_count--;
		if (p->error || p->cancel) {
			hist__batch_clear(b);
		} else {
			/* The handle is this thread's: no lock while SQLite works. */
			pthread_mutex_unlock(&p->mu);
			error = hist__store_batch(&added, p->db, p->run, b);
			pthread_mutex_lock(&p->mu);
		}
		p->added += added;
		if (error < 0 && !p->error)
			p->error = error;
		p->spare[p->spare_count++] = b;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Starts the store thread with the other batches as spares. 1: running;
 * 0: no thread to be had (store inline from now on); < 0: out of memory. */
static int start(hist__pipe *p)
{
	int error;

	for (size_t i = 1; i < BATCHES; i++)
		if ((error = hist__batch_new(&p->all[i])) < 0)
			return error;
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		return 0;
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		return 0;
	}
	for (size_t i = 1; i < BATCHES; i++)
		p->spare[p->spare_count++] = p->all[i];
	if (pthread_create(&p->thread, NULL, store_thread, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		p->spare_count = 0;
		return 0;
	}
	p->threaded = 1;
	return 1;
}

static int store_inline(hist__pipe *p)
{
	int64_t added;
	int error;

	if ((error = hist__store_batch(&added, p->db, p->run, p->fill)) < 0)
		return p->failed = error;
	p->inline_added += added;
	return HIST_OK;
}

/* The parser's batch is full: hand it over and take a spare. */
static int pass_on(hist__pipe *p)
{
	int error;

	if (!p->threaded && !p->no_thread) {
		if ((error = start(p)) < 0)
			return error;
		p->no_thread = !error;
	}
	if (p->no_thread)
		return store_inline(p);
	pthread_mutex_lock(&p->mu);
	p->ready[(p->ready_head + p->ready_count++) % BATCHES] = p->fill;
	p->fill = NULL;
	pthread_cond_broadcast(&p->cv);
	while (!p->spare_count && !p->error)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->error)
		p->fill = p->spare[--p->spare_count];
	error = p->error;
	pthread_mutex_unlock(&p->mu);
	return error ? (p->failed = error) : HIST_OK;
}

int hist__pipe_add(hist__pipe *p, const hist__record *r)
{
	int full;

	if (p->failed)
		return p->failed;
	if ((full = hist__batch_add(p->fill, r)) <= 0)
		return full;
	return pass_on(p);
}

/* Tells the thread no more is coming and waits for it. */
static void join(hist__pipe *p, int cancel)
{
	pthread_mutex_lock(&p->mu);
	if (p->fill && hist__batch_count(p->fill) && !cancel) {
		p->ready[(p->ready_head + p->ready_count++) % BATCHES] = p->fill;
		p->fill = NULL;
	}
	p->closing = 1;
	p->cancel = cancel;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	p->threaded = 0;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	if (p->error)
		p->failed = p->error;
}

int hist__pipe_finish(int64_t *added, hist__pipe *p)
{
	int error = p->failed;

	*added = 0;
	if (p->threaded) {
		join(p, 0);
		error = p->error;
	} else if (!error && p->fill && hist__batch_count(p->fill)) {
		error = store_inline(p);
	}
	if (error < 0)
		return error;
	*added = p->added + p->inline_added;
	return HIST_OK;
}

int hist__pipe_store_failed(const hist__pipe *p)
{
	return p->failed != 0;
}

void hist__pipe_free(hist__pipe *p)
{
	if (!p)
		return;
	if (p->threaded)
		join(p, 1);
	for (size_t i = 0; i < BATCHES; i++)
		hist__batch_free(p->all[i]);
	hist__free(p);
}
