/* io.c - inputs and atomic outputs.
 * Owns: opening a file, stdin or a memory block; gzip detection by magic
 * bytes and inflating (multi-member, truncation is an error); peeking without
 * consuming; the content hash of the decompressed bytes (XXH3-128, through
 * hash.c); writing outputs through temp files, synced together and renamed
 * into place. The only user of zlib. Not here: what the bytes mean (junit.c, jsonl.c). */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc.h"
#include "hash.h"
#include "hist.h"

/* Compressed bytes read from the file at a time. The whole input never sits
 * in memory: this buffer, zlib's 32 KiB window and what a caller peeks are
 * all an input holds. */
#define RAW_SIZE (64 * 1024)

/* Threads (this one included) that sync a set of outputs: 8 or 16 fsyncs
 * in flight cost about what 65 do (one journal commit), and a set never
 * waits on more threads than this. */
#define SYNC_THREADS 16

struct hist__input {
	char *name;
	hist__err *err;
	int fd;               /* -1 for a memory input */
	int own_fd;           /* 0 for stdin */
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	uint64_t offset;      /* compressed (raw) bytes consumed */
	unsigned char *raw;   /* RAW_SIZE bytes; zs.next_in/avail_in say what is left */
	int raw_eof;
	int gzip;
	int z_ready;          /* inflateInit2 succeeded */
	int member_done;      /* the last inflate ended a gzip member */
	uint64_t out_bytes, out_lines; /* inflated so far, and its line breaks */
	int out_partial;      /* the last byte inflated is not a line break */
	z_stream zs;
	unsigned char *look;  /* decompressed bytes peeked and not read yet */
	size_t look_pos, look_len, look_cap;
	int eof;              /* the decompressed stream has ended */
	int failed;           /* the HIST_E_* code of the first failure */
	hist__hash128 *hash;
	struct ahead *ahead;  /* the read-ahead thread's state, while it runs */
	uint64_t ahead_offset; /* hist__input_offset once the read-ahead ran */
	hist__input_filter_fn filter; /* hist__input_set_filter's, or NULL */
	void *filter_state;   /* the input's copy of the filter's state */
};

/* Read-ahead (hist__input_read_ahead): a thread runs produce() into a ring
 * of blocks while the parser reads the blocks before them. From its start
 * until it is joined, the thread alone touches the source (fd, zlib, the
 * hash, offset, eof, failed) and writes its messages to its own err; the
 * reader copies a message into the input's err when it reaches the block
 * that failed, so an error comes at the same byte as without the thread.
 *
 * A filter (hist__input_set_filter) runs where the bytes are: the reader
 * filters the blocks the thread had started before it was set, the
 * thread every later one. Its state passes from one to the other once:
 * the thread waits with the first block it is to filter (filter_from)
 * until the reader, having filtered every byte before it, hands it over. */
#define AHEAD_BLOCKS 4
#define AHEAD_SIZE (128 * 1024)

struct ahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *data[AHEAD_BLOCKS];
	long status[AHEAD_BLOCKS];     /* bytes in the block; 0 the end; < 0 a HIST_E_* code */
	uint64_t offset[AHEAD_BLOCKS]; /* the source's offset after the block */
	size_t head, count;            /* the filled blocks, oldest first */
	size_t pos;                    /* the reader's position in data[head] */
	uint64_t started;              /* blocks the thread has started */
	uint64_t head_seq;             /* the number of data[head] in the stream */
	uint64_t filter_from;          /* the first block the thread filters */
	int handed;                    /* the filter's state is the thread's */
	int stop;                      /* the reader is gone: stop producing */
	hist__err err;                 /* the thread's messages */
	hist__err *reader_err;         /* the input's err, given back at the join */
};

static void ahead_end(hist__input *in);

static int fail(hist__input *in, int code, const char *what)
{
	in->failed = code;
	return hist__error(in->err, code, "%s: %s", in->name, what);
}

/* Raw bytes from the file or memory; 0 at the end, < 0 a HIST_E_* code. */
static long raw_read(hist__input *in, unsigned char *buf, size_t len)
{
	ssize_t n;

	if (!in->mem && in->fd < 0)
		return 0;
	if (in->mem) {
		size_t left = in->mem_len - in->mem_pos;

		if (len > left)
			len = left;
		memcpy(buf, in->mem + in->mem_pos, len);
		in->mem_pos += len;
		in->offset += len;
		return (long)len;
	}
	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	do
		n = read(in->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail(in, HIST_E_IO, strerror(errno));
	in->offset += (uint64_t)n;
	return (long)n;
}

/* Fills the raw buffer when it is empty; sets raw_eof at the end. */
static int refill(hist__input *in)
{
	long n;

	if (in->zs.avail_in || in->raw_eof)
		return HIST_OK;
	if ((n = raw_read(in, in->raw, RAW_SIZE)) < 0)
		return (int)n;
	if (n == 0)
		in->raw_eof = 1;
	in->zs.next_in = in->raw;
	in->zs.avail_in = (uInt)n;
	return HIST_OK;
}

/* Counts what inflating made, so a broken stream can say where it broke. */
static void count_out(hist__input *in, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;

	if (!n)
		return;
	in->out_bytes += n;
	in->out_partial = end[-1] != '\n';
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		in->out_lines++;
		p++;
	}
}

/* A gzip stream that breaks off or is damaged, named with the line it
 * broke in (or after), as a parser names its lines, and what came out
 * whole before it: a user can check the file that far. */
static int fail_inflating(hist__input *in, const char *what)
{
	uint64_t line = in->out_lines + (uint64_t)in->out_partial;

	in->failed = HIST_E_PARSE;
	if (!in->out_bytes)
		return hist__error(in->err, HIST_E_PARSE, "%s: %s before any data", in->name, what);
	return hist__error(in->err, HIST_E_PARSE, "%s:%llu: %s: the data breaks off %s line %llu: %llu whole line%s, "
		"%llu bytes uncompressed", in->name, (unsigned long long)line, what,
		in->out_partial ? "inside" : "after", (unsigned long long)line, (unsigned long long)in->out_lines,
		in->out_lines == 1 ? "" : "s", (unsigned long long)in->out_bytes);
}

static long inflate_some(hist__input *in, unsigned char *dst, size_t len)
{
	int error, ret;
	size_t made;

	if (len > UINT_MAX)
		len = UINT_MAX;
	for (;;) {
		if ((error = refill(in)) < 0)
			return error;
		if (in->member_done) {
			/* Another member may follow (gzip -c a >> b makes one). */
			if (!in->zs.avail_in) {
				in->eof = 1;
				return 0;
			}
			if (inflateReset(&in->zs) != Z_OK)
				return fail(in, HIST_E_PARSE, "corrupt gzip stream");
			in->member_done = 0;
		}
		in->zs.next_out = dst;
		in->zs.avail_out = (uInt)len;
		ret = inflate(&in->zs, Z_NO_FLUSH);
		made = len - in->zs.avail_out;
		if (ret == Z_STREAM_END) {
			in->member_done = 1;
		} else if (ret == Z_MEM_ERROR) {
			return fail(in, HIST_E_NOMEM, "out of memory");
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			char what[160];

			count_out(in, dst, made);
			snprintf(what, sizeof what, "corrupt gzip stream (%s)", in->zs.msg ? in->zs.msg : "bad data");
			return fail_inflating(in, what);
		} else if (!made && in->raw_eof && !in->zs.avail_in) {
			/* zlib wants more and the file has no more. */
			return fail_inflating(in, "truncated gzip stream");
		}
		if (made) {
			count_out(in, dst, made);
			return (long)made;
		}
	}
}

/* Decompressed bytes straight from the source (the peek buffer aside). */
static long produce(hist__input *in, unsigned char *dst, size_t len)
{
	long n;

	if (in->failed)
		return in->failed;
	if (in->eof || !len)
		return 0;
	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	if (in->gzip) {
		n = inflate_some(in, dst, len);
	} else if (!in->zs.avail_in && len < RAW_SIZE / 4 && !in->raw_eof) {
		/* libxml2 asks for 4000 bytes at a time: read RAW_SIZE and hand
		 * it out from the buffer, a sixteenth of the system calls. */
		if ((n = refill(in)) < 0)
			return n;
		n = (long)(len < in->zs.avail_in ? len : in->zs.avail_in);
		if (n == 0)
			in->eof = 1;
		memcpy(dst, in->zs.next_in, (size_t)n);
		in->zs.next_in += n;
		in->zs.avail_in -= (uInt)n;
	} else if (in->zs.avail_in) {
		/* The bytes read to look for the gzip magic come first. */
		n = (long)(len < in->zs.avail_in ? len : in->zs.avail_in);
		memcpy(dst, in->zs.next_in, (size_t)n);
		in->zs.next_in += n;
		in->zs.avail_in -= (uInt)n;
	} else if ((n = raw_read(in, dst, len)) == 0) {
		in->eof = 1;
	}
	if (n > 0 && hist__hash128_update(in->hash, dst, (size_t)n) < 0)
		return fail(in, HIST_E_INVALID, "hash update failed");
	return n;
}

static int start(hist__input *in)
{
	int error;

	if (!(in->raw = hist__malloc(RAW_SIZE)))
		return fail(in, HIST_E_NOMEM, "out of memory");
	if ((error = hist__hash128_open(&in->hash)) < 0)
		return fail(in, error, error == HIST_E_NOMEM ? "out of memory" : "hash reset failed");
	/* A pipe may hand out one byte at a time: read until the two magic
	 * bytes are there or the input ends. */
	in->zs.next_in = in->raw;
	while (in->zs.avail_in < 2 && !in->raw_eof) {
		long n = raw_read(in, in->raw + in->zs.avail_in, RAW_SIZE - in->zs.avail_in);

		if (n < 0)
			return (int)n;
		if (n == 0)
			in->raw_eof = 1;
		in->zs.avail_in += (uInt)n;
	}
	if (in->zs.avail_in >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->gzip = 1;
		/* 16 + MAX_WBITS: a gzip wrapper, checked (CRC and length). */
		if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
			return fail(in, HIST_E_NOMEM, "cannot start inflating");
		in->z_ready = 1;
	}
	return HIST_OK;
}

static int make(hist__input **out, const char *name, hist__err *err)
{
	hist__input *in;

	*out = NULL;
	if (!(in = hist__calloc(1, sizeof *in)) || !(in->name = hist__strdup(name))) {
		hist__free(in);
		return hist__error(err, HIST_E_NOMEM, "%s: out of memory", name);
	}
	in->err = err;
	in->fd = -1;
	*out = in;
	return HIST_OK;
}

int hist__input_open(hist__input **out, const char *path, const char *name, hist__err *err)
{
	hist__input *in = NULL;
	struct stat st;
	int error;

	*out = NULL;
	if (!name)
		name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if ((error = make(&in, name, err)) < 0)
		return error;
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else {
		do
			in->fd = open(path, O_RDONLY | O_CLOEXEC);
		while (in->fd < 0 && errno == EINTR);
		if (in->fd < 0) {
			error = fail(in, HIST_E_IO, strerror(errno));
			goto done;
		}
		in->own_fd = 1;
		if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			error = fail(in, HIST_E_IO, strerror(EISDIR));
			goto done;
		}
	}
	error = start(in);
done:
	if (error < 0) {
		hist__input_free(in);
		in = NULL;
	}
	*out = in;
	return error;
}

int hist__input_open_mem(hist__input **out, const void *data, size_t len, const char *name, hist__err *err)
{
	hist__input *in = NULL;
	int error;

	*out = NULL;
	if ((error = make(&in, name, err)) < 0)
		return error;
	/* A non-NULL pointer marks a memory input, also for zero bytes. */
	in->mem = data ? data : (const unsigned char *)"";
	in->mem_len = data ? len : 0;
	if ((error = start(in)) < 0) {
		hist__input_free(in);
		in = NULL;
	}
	*out = in;
	return error;
}

void hist__input_free(hist__input *in)
{
	if (!in)
		return;
	if (in->ahead)
		ahead_end(in);
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	if (in->z_ready)
		inflateEnd(&in->zs);
	hist__hash128_free(in->hash);
	hist__free(in->raw);
	hist__free(in->look);
	hist__free(in->filter_state);
	hist__free(in->name);
	hist__free(in);
}

size_t hist__utf8_bom_len(const unsigned char *data, size_t len)
{
	return len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf ? 3 : 0;
}

const char *hist__input_name(const hist__input *in)
{
	return in->name;
}

int hist__input_is_gzip(const hist__input *in)
{
	return in->gzip;
}

static long ahead_take(hist__input *in, unsigned char *dst, size_t len, int *filtered);

/* Decompressed bytes for the reader: from the read-ahead's blocks while
 * it runs, else straight from the source. *filtered: the thread has
 * filtered them already. */
static long next_bytes(hist__input *in, unsigned char *dst, size_t len, int *filtered)
{
	*filtered = 0;
	return in->ahead ? ahead_take(in, dst, len, filtered) : produce(in, dst, len);
}

long hist__input_peek(hist__input *in, const unsigned char **data, size_t len)
{
	size_t have = in->look_len - in->look_pos;
	long n;

	if (len > (size_t)LONG_MAX)
		return fail(in, HIST_E_INVALID, "peek too long");
	if (have < len && in->look_pos) {
		memmove(in->look, in->look + in->look_pos, have);
		in->look_pos = 0;
		in->look_len = have;
	}
	if (len > in->look_cap) {
		unsigned char *p = hist__realloc(in->look, len);

		if (!p)
			return fail(in, HIST_E_NOMEM, "out of memory");
		in->look = p;
		in->look_cap = len;
	}
	/* Peeked bytes are raw: a filter may not have started on them. */
	if (in->filter)
		return hist__error(in->ahead ? in->ahead->reader_err : in->err, HIST_E_INVALID,
			"%s: internal error: peek after a filter was set", in->name);
	while (in->look_len - in->look_pos < len) {
		int filtered;

		n = next_bytes(in, in->look + in->look_len, len - (in->look_len - in->look_pos), &filtered);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		in->look_len += (size_t)n;
	}
	*data = in->look + in->look_pos;
	have = in->look_len - in->look_pos;
	return (long)(have < len ? have : len);
}

/* Bytes as they come, the filter aside. */
static long read_some(hist__input *in, void *buf, size_t len, int *filtered)
{
	size_t have = in->look_len - in->look_pos;

	*filtered = 0;
	if (have) {
		if (len > have)
			len = have;
		if (len > (size_t)LONG_MAX)
			len = (size_t)LONG_MAX;
		memcpy(buf, in->look + in->look_pos, len);
		in->look_pos += len;
		return (long)len;
	}
	return next_bytes(in, buf, len, filtered);
}

long hist__input_read(hist__input *in, void *buf, size_t len)
{
	for (;;) {
		int filtered;
		long n = read_some(in, buf, len, &filtered);

		if (n <= 0 || !in->filter || filtered)
			return n;
		/* Bytes the thread read before the filter was set (or no thread):
		 * filtered here; all of them dropped means read on. */
		if ((n = in->filter(in->filter_state, buf, (size_t)n)) != 0)
			return n > 0 ? n
				     : hist__error(in->ahead ? in->ahead->reader_err : in->err, HIST_E_INVALID,
					       "%s: internal error: the input filter failed", in->name);
	}
}

int hist__input_set_filter(hist__input *in, hist__input_filter_fn fn, const void *state, size_t size)
{
	struct ahead *a = in->ahead;

	if (in->filter)
		return HIST_E_INVALID;
	if (!(in->filter_state = hist__malloc(size)))
		return HIST_E_NOMEM;
	memcpy(in->filter_state, state, size);
	if (a)
		pthread_mutex_lock(&a->mu);
	in->filter = fn;
	/* Blocks started from here on are the thread's to filter. */
	if (a) {
		a->filter_from = a->started;
		pthread_mutex_unlock(&a->mu);
	}
	return HIST_OK;
}

uint64_t hist__input_offset(const hist__input *in)
{
	/* The source runs ahead of the reader: say what the reader has had. */
	return in->ahead ? in->ahead_offset : in->offset;
}

/* ------------------------------------------------------------------ */
/* Read-ahead                                                          */

/* The filter over a block the thread read (n > 0 bytes): a block it
 * leaves empty is followed by the next, so 0 still means the end. */
static long filter_block(hist__input *in, unsigned char *data, long n)
{
	long w;

	while ((w = in->filter(in->filter_state, data, (size_t)n)) == 0)
		if ((n = produce(in, data, AHEAD_SIZE)) <= 0)
			return n;
	return w < 0 ? fail(in, HIST_E_INVALID, "internal error: the input filter failed") : w;
}

static void *ahead_run(void *arg)
{
	hist__input *in = arg;
	struct ahead *a = in->ahead;

	for (;;) {
		size_t slot;
		long n;
		int filter, stop;

		pthread_mutex_lock(&a->mu);
		while (a->count == AHEAD_BLOCKS && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		slot = (a->head + a->count) % AHEAD_BLOCKS;
		filter = a->started++ >= a->filter_from;
		pthread_mutex_unlock(&a->mu);
		/* The block is the thread's until it is counted in. */
		n = produce(in, a->data[slot], AHEAD_SIZE);
		if (filter && n > 0) {
			pthread_mutex_lock(&a->mu);
			while (!a->handed && !a->stop)
				pthread_cond_wait(&a->cv, &a->mu);
			stop = a->stop;
			pthread_mutex_unlock(&a->mu);
			if (stop)
				break;
			n = filter_block(in, a->data[slot], n);
		}
		pthread_mutex_lock(&a->mu);
		a->status[slot] = n;
		a->offset[slot] = in->offset;
		a->count++;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		if (n <= 0)
			break;
	}
	return NULL;
}

/* Stops the thread (when the reader is not at the end yet) and joins it:
 * the source is the reader's again. */
static void ahead_end(hist__input *in)
{
	struct ahead *a = in->ahead;

	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	in->err = a->reader_err;
	in->ahead = NULL;
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	for (size_t i = 0; i < AHEAD_BLOCKS; i++)
		hist__free(a->data[i]);
	hist__err_clear(&a->err);
	hist__free(a);
}

static long ahead_take(hist__input *in, unsigned char *dst, size_t len, int *filtered)
{
	struct ahead *a = in->ahead;
	long status, n;

	pthread_mutex_lock(&a->mu);
	/* Every byte before the thread's first filtered block has been
	 * filtered here: the state is the thread's from now on. */
	if (a->head_seq == a->filter_from && !a->handed) {
		a->handed = 1;
		pthread_cond_broadcast(&a->cv);
	}
	while (!a->count)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
	/* Blocks counted in are the reader's until it gives them back. */
	status = a->status[a->head];
	in->ahead_offset = a->offset[a->head];
	*filtered = a->head_seq >= a->filter_from;
	if (status <= 0) {
		/* The end or a failure: the thread has stopped. Its message goes
		 * to the reader's err, and later reads get the same code again,
		 * from the source as without a read-ahead. */
		if (status < 0)
			hist__error(a->reader_err, (int)status, "%s", hist__err_msg(&a->err));
		ahead_end(in);
		return status;
	}
	n = (long)((size_t)status - a->pos < len ? (size_t)status - a->pos : len);
	memcpy(dst, a->data[a->head] + a->pos, (size_t)n);
	a->pos += (size_t)n;
	if (a->pos == (size_t)status) {
		pthread_mutex_lock(&a->mu);
		a->head = (a->head + 1) % AHEAD_BLOCKS;
		a->head_seq++;
		a->count--;
		a->pos = 0;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
	return n;
}

int hist__input_read_ahead(hist__input *in)
{
	struct ahead *a;
	struct stat st;

	/* Regular files only: a read there never waits on a writer, so the
	 * thread always stops when asked. */
	if (in->ahead || in->mem || !in->own_fd || in->failed || in->eof || fstat(in->fd, &st) != 0 ||
		!S_ISREG(st.st_mode))
		return 0;
	if (!(a = hist__calloc(1, sizeof *a)))
		return 0;
	for (size_t i = 0; i < AHEAD_BLOCKS; i++)
		if (!(a->data[i] = hist__malloc(AHEAD_SIZE)))
			goto fail;
	if (pthread_mutex_init(&a->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&a->cv, NULL) != 0) {
		pthread_mutex_destroy(&a->mu);
		goto fail;
	}
	a->filter_from = UINT64_MAX;
	a->reader_err = in->err;
	in->err = &a->err;
	in->ahead = a;
	in->ahead_offset = in->offset;
	if (pthread_create(&a->thread, NULL, ahead_run, in) != 0) {
		in->err = a->reader_err;
		in->ahead = NULL;
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		goto fail;
	}
	return 1;
fail:
	/* No read-ahead is no error: the input is read as before. */
	for (size_t i = 0; i < AHEAD_BLOCKS; i++)
		hist__free(a->data[i]);
	hist__free(a);
	return 0;
}

void hist__input_hash(const hist__input *in, unsigned char out[16])
{
	hist__hash128_digest(in->hash, out);
}

int hist__input_raw_hash(hist__input *in, unsigned char out[16])
{
	hist__hash128 *h = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	off_t at = 0;
	ssize_t n;
	int error = 0;

	if (in->mem || !in->own_fd || fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (!(buf = hist__malloc(RAW_SIZE))) {
		error = fail(in, HIST_E_NOMEM, "out of memory");
		goto done;
	}
	if ((error = hist__hash128_open(&h)) < 0) {
		error = fail(in, error, error == HIST_E_NOMEM ? "out of memory" : "hash reset failed");
		goto done;
	}
	/* pread: the stream's own position stays where it is. */
	for (;;) {
		do
			n = pread(in->fd, buf, RAW_SIZE, at);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			error = fail(in, HIST_E_IO, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (hist__hash128_update(h, buf, (size_t)n) < 0) {
			error = fail(in, HIST_E_INVALID, "hash update failed");
			goto done;
		}
		at += n;
	}
	hist__hash128_digest(h, out);
	error = 1;
done:
	hist__hash128_free(h);
	hist__free(buf);
	return error;
}

const char *hist__io_zlib_version(void)
{
	return zlibVersion();
}


/* ------------------------------------------------------------------ */
/* Atomic output                                                       */

struct hist__atomic {
	int fd;         /* open while written; -1 once synced and closed */
	int synced;     /* durable and closed: only the rename is left */
	int sync_errno; /* what fsync said, set by whichever thread ran it */
	char *tmp;      /* the temp file beside path */
	char *path;
	hist__err *err;
	uint64_t end;   /* bytes written: where hist__atomic_write goes on */
};

/* Temp names tried before giving up, as many as mkstemp tries. */
#define TEMP_TRIES 100

/* A temp file "dir/.name.XXXXXX" made with O_EXCL. Not mkstemp: it makes
 * the file 0600, and learning the umask to widen it (only
 * /proc/self/status tells it without setting it, which would race other
 * threads) cost a read of that file each output: 65 of them a plan. Created
 * 0644, the kernel takes the umask (or the directory's default ACL) off as
 * for any file the user creates. The six characters mix the clock, the
 * process, the handle's address (distinct among live handles) and the
 * try, through the tables' hash. */
static int temp_file(char *tmp, size_t xs, const void *handle)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	struct {
		struct timespec ts;
		const void *handle;
		pid_t pid;
		int tries;
	} seed;

	memset(&seed, 0, sizeof seed); /* the padding is hashed too */
	clock_gettime(CLOCK_REALTIME, &seed.ts);
	seed.handle = handle;
	seed.pid = getpid();
	for (; seed.tries < TEMP_TRIES; seed.tries++) {
		uint64_t x = hist__hash_bytes(&seed, sizeof seed);
		int fd;

		for (size_t i = 0; i < 6; i++, x /= sizeof chars - 1)
			tmp[xs + i] = chars[x % (sizeof chars - 1)];
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int hist__atomic_open(hist__atomic **out, const char *path, hist__err *err)
{
	hist__atomic *f;
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t len = strlen(path);
	size_t need;
	int error;

	*out = NULL;
	if (!(f = hist__calloc(1, sizeof *f)))
		return hist__error(err, HIST_E_NOMEM, "%s: out of memory", path);
	f->fd = -1;
	f->err = err;
	/* "dir/.name.XXXXXX": beside the target, so rename stays within one
	 * file system, and hidden, so a crash leaves no look-alike output. */
	if (hist__add_overflow(len, (size_t)10, &need) || !(f->tmp = hist__malloc(need)) ||
		!(f->path = hist__strdup(path))) {
		error = hist__error(err, HIST_E_NOMEM, "%s: out of memory", path);
		goto done;
	}
	snprintf(f->tmp, need, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	if ((f->fd = temp_file(f->tmp, strlen(f->tmp) - 6, f)) < 0) {
		error = hist__error(err, HIST_E_IO, "%s: cannot create a temporary file: %s", path,
			strerror(errno));
		hist__free(f->tmp);
		f->tmp = NULL;
		goto done;
	}
	*out = f;
	f = NULL;
	error = HIST_OK;
done:
	hist__atomic_abort(f);
	return error;
}

int hist__atomic_write(hist__atomic *f, const void *data, size_t len)
{
	int error = hist__atomic_write_at(f, data, len, f->end);

	if (error == HIST_OK)
		f->end += len;
	return error;
}

int hist__atomic_write_at(hist__atomic *f, const void *data, size_t len, uint64_t offset)
{
	const char *p = data;

	if (f->synced)
		return hist__error(f->err, HIST_E_INVALID, "%s: written after it was synced", f->path);
	while (len) {
		ssize_t n = pwrite(f->fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hist__error(f->err, HIST_E_IO, "%s: %s", f->path, strerror(errno));
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return HIST_OK;
}

#ifdef HIST_TESTING
/* Test builds only, like alloc.c's seam: files[k] of the next sync fails
 * with EIO, so a test can fail one file in the middle of a set. */
static atomic_long sync_fail_at = -1;

void hist__atomic_fail_sync_at(long k)
{
	atomic_store(&sync_fail_at, k);
}

static int sync_one(hist__atomic *f, size_t i)
{
	if (atomic_load(&sync_fail_at) == (long)i) {
		errno = EIO;
		return -1;
	}
	return fsync(f->fd);
}
#else
#define sync_one(f, i) fsync((f)->fd)
#endif

struct sync_job {
	hist__atomic **files;
	size_t n;
	atomic_size_t next; /* the next file a thread takes */
};

static void *sync_some(void *payload)
{
	struct sync_job *job = payload;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->n) {
		hist__atomic *f = job->files[i];

		if (!f->synced)
			f->sync_errno = sync_one(f, i) < 0 ? errno : 0;
	}
	return NULL;
}

int hist__atomic_sync_all(hist__atomic **files, size_t n)
{
	struct sync_job job = {files, n, 0};
	pthread_t helper[SYNC_THREADS - 1];
	size_t helpers = 0, want = n < SYNC_THREADS ? (n ? n - 1 : 0) : SYNC_THREADS - 1;
	int error = HIST_OK;

	/* One fsync at a time waits a whole disk round trip each: ext4 sends a
	 * cache flush per fsync, and 65 files took 0.07-0.43 s on the build
	 * machine. fsyncs in flight together join one journal commit and one
	 * flush: 0.02-0.08 s (bench/sync_outputs.sh). A thread that cannot
	 * start is no error: the others, and this one, take its files. */
	while (helpers < want && pthread_create(&helper[helpers], NULL, sync_some, &job) == 0)
		helpers++;
	sync_some(&job);
	while (helpers)
		pthread_join(helper[--helpers], NULL);
	/* The first failure in file order is the one reported, whichever
	 * thread met it. close reports deferred write errors (NFS, quota). */
	for (size_t i = 0; i < n; i++) {
		hist__atomic *f = files[i];
		int closed;

		if (f->synced)
			continue;
		closed = close(f->fd);
		f->fd = -1;
		f->synced = 1;
		if (error == HIST_OK && f->sync_errno)
			error = hist__error(f->err, HIST_E_IO, "%s: %s", f->path, strerror(f->sync_errno));
		else if (error == HIST_OK && closed < 0)
			error = hist__error(f->err, HIST_E_IO, "%s: %s", f->path, strerror(errno));
	}
	return error;
}

int hist__atomic_commit_all(hist__atomic **files, size_t n)
{
	int error = hist__atomic_sync_all(files, n);

	/* Every file is durable and closed before the first rename, so a
	 * failure up to here leaves no new file in place. */
	for (size_t i = 0; i < n; i++) {
		hist__atomic *f = files[i];

		files[i] = NULL;
		if (error == HIST_OK && rename(f->tmp, f->path) < 0) {
			error = hist__error(f->err, HIST_E_IO, "%s: cannot rename into place: %s", f->path,
				strerror(errno));
		} else if (error == HIST_OK) {
			hist__free(f->tmp);
			f->tmp = NULL; /* renamed: nothing for abort to unlink */
		}
		hist__atomic_abort(f);
	}
	return error;
}

int hist__atomic_commit(hist__atomic **fp)
{
	return hist__atomic_commit_all(fp, 1);
}

void hist__atomic_abort(hist__atomic *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	hist__free(f->tmp);
	hist__free(f->path);
	hist__free(f);
}
