/* io.h - reading inputs and writing outputs atomically (private).
 * An input is a file or stdin, gzip or not (by magic bytes, multi-member
 * allowed, truncation an error), read as a stream of decompressed bytes with
 * a content hash computed on the way. Outputs go to a temp file beside the
 * target and are renamed into place once durable; a set of outputs (a
 * plan's files) is synced together and renamed only when all are. */
#ifndef HIST_IO_H
#define HIST_IO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct hist__input hist__input;

/* path "-" reads stdin; name is what messages call it. err receives the
 * messages of every later call on the input and must outlive it. */
int hist__input_open(hist__input **out, const char *path, const char *name, hist__err *err);
/* The same over len bytes in memory (not copied: they must outlive the
 * input), for fuzz targets and tests. */
int hist__input_open_mem(hist__input **out, const void *data, size_t len, const char *name, hist__err *err);
void hist__input_free(hist__input *in);
const char *hist__input_name(const hist__input *in);
/* 3 when data starts with a UTF-8 byte order mark (Windows editors write
 * one), else 0: every reader skips it the same way. */
size_t hist__utf8_bom_len(const unsigned char *data, size_t len);
int hist__input_is_gzip(const hist__input *in);
/* Up to len decompressed bytes from the start, without consuming them.
 * Returns how many (fewer at end of input) or a HIST_E_* code. */
long hist__input_peek(hist__input *in, const unsigned char **data, size_t len);
/* Reads up to len bytes; 0 at end of input; < 0 a HIST_E_* code with the
 * message in the err given to open ("r.xml.gz: truncated gzip stream"). */
long hist__input_read(hist__input *in, void *buf, size_t len);
/* Starts a thread that reads (and inflates, and hashes) ahead of the
 * reader, so a parser on this thread spends no time there; the bytes,
 * the hash, the errors and where they come are as without it. Regular
 * files only; 1 started, 0 not (memory, stdin, a pipe, no thread or
 * memory to be had: nothing changes). The thread ends at the end of the
 * input, at its first failure, or when the input is freed. */
int hist__input_read_ahead(hist__input *in);
/* A pass over the bytes on their way to the reader (xmlscan.c's): it
 * rewrites n > 0 bytes in place and returns how many remain at the start,
 * or < 0 when it fails (a filter should be set only where it cannot). */
typedef long (*hist__input_filter_fn)(void *state, unsigned char *buf, size_t n);
/* From now on hist__input_read returns only bytes that went through fn
 * (never 0 bytes before the end), with a copy of the size bytes at state
 * as its state: the read-ahead thread, when one runs, filters the blocks
 * it starts from here on, so that work leaves the reader's thread too.
 * Bytes read before are the caller's business; no peek after. Once per
 * input; HIST_E_NOMEM when the copy cannot be made (nothing changes). */
int hist__input_set_filter(hist__input *in, hist__input_filter_fn fn, const void *state, size_t size);
/* Compressed bytes consumed so far, for progress. */
uint64_t hist__input_offset(const hist__input *in);
/* The 128-bit hash of all decompressed bytes; valid once read returned 0. */
void hist__input_hash(const hist__input *in, unsigned char out[16]);
/* The same hash of the file's bytes as stored (before gunzip), read apart
 * from the stream (which it leaves where it was): for a plain file equal
 * to hist__input_hash. 1 when computed; 0 when the input is no regular
 * file (stdin, a pipe, memory); or a HIST_E_* code. */
int hist__input_raw_hash(hist__input *in, unsigned char out[16]);

typedef struct hist__atomic hist__atomic;

/* Files a caller keeps open at once: past this many, sync those written
 * so far (hist__atomic_sync_all) before opening more, so a set of 1,025
 * plan files stays under the common limit of 1,024 descriptors. */
#define HIST__ATOMIC_OPEN_MAX 128

int hist__atomic_open(hist__atomic **out, const char *path, hist__err *err);
int hist__atomic_write(hist__atomic *f, const void *data, size_t len);
/* hist__atomic_write appends; _at overwrites bytes written before, at
 * offset, and the next append still goes to the end. */
int hist__atomic_write_at(hist__atomic *f, const void *data, size_t len, uint64_t offset);
/* Makes each file's bytes durable (fsync, all in flight together) and
 * closes it (checked), keeping its temp name: nothing is renamed and the
 * caller still owns every file, to commit or abort. Files synced before
 * are skipped. Returns the first failure in file order. */
int hist__atomic_sync_all(hist__atomic **files, size_t n);
/* Commits a set of outputs: syncs every file not yet synced, and only when
 * all of them are durable and closed renames each into place in order.
 * A failure before the renames places none (every temp file is removed);
 * a rename that fails (the target is a directory) leaves those before it
 * in place and says which. Always frees every files[i] and sets it NULL. */
int hist__atomic_commit_all(hist__atomic **files, size_t n);
/* One file: hist__atomic_commit_all(f, 1). The temp file was fchmod'ed to
 * 0644 minus the umask at open. */
int hist__atomic_commit(hist__atomic **f);
/* Unlinks the temp file; NULL is a no-op. */
void hist__atomic_abort(hist__atomic *f);
#ifdef HIST_TESTING
/* files[k] of every later sync fails with EIO; -1 turns it off. */
void hist__atomic_fail_sync_at(long k);
#endif

/* "1.2.13", for --version. */
const char *hist__io_zlib_version(void);

#endif
