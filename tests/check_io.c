/* check_io.c - inputs (plain, gzip, memory, stdin), peeking, the content
 * hash, and atomic outputs. gzip data is made here with zlib so each case
 * (multi-member, truncated, corrupt) is exact. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "check_util.h"
#include "err.h"
#include "hist.h"
#include "io.h"

/* gzip of data (one member) into out; returns its length. */
static size_t gz(unsigned char *out, size_t cap, const void *data, size_t len)
{
	z_stream zs;

	memset(&zs, 0, sizeof zs);
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	len = cap - zs.avail_out;
	deflateEnd(&zs);
	return len;
}

/* Reads the whole input into out (NUL-terminated); returns the last read
 * result (0 at a clean end, < 0 on error) and the length in *n. */
static long slurp(hist__input *in, char *out, size_t cap, size_t *n, size_t chunk)
{
	long r;

	*n = 0;
	while ((r = hist__input_read(in, out + *n, chunk < cap - 1 - *n ? chunk : cap - 1 - *n)) > 0)
		*n += (size_t)r;
	out[*n] = '\0';
	return r;
}

START_TEST(plain_memory_reads_back_and_peeks)
{
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	const unsigned char *p;
	char out[64];
	size_t n;

	ck_assert_int_eq(hist__input_open_mem(&in, "hello world", 11, "m.txt", &e), HIST_OK);
	ck_assert_int_eq(hist__input_is_gzip(in), 0);
	ck_assert_str_eq(hist__input_name(in), "m.txt");
	ck_assert_int_eq(hist__input_peek(in, &p, 5), 5);
	ck_assert_int_eq(memcmp(p, "hello", 5), 0);
	/* Peeking further than the input gives what there is. */
	ck_assert_int_eq(hist__input_peek(in, &p, 100), 11);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 3), 0);
	ck_assert_str_eq(out, "hello world");
	ck_assert_uint_eq(hist__input_offset(in), 11);
	hist__input_free(in);
	hist__err_clear(&e);
}
END_TEST

START_TEST(gzip_detected_and_hash_is_of_decompressed_bytes)
{
	hist__err e = HIST__ERR_INIT;
	unsigned char z[256], h1[16], h2[16], h3[16];
	const unsigned char *p;
	hist__input *in;
	char out[64];
	size_t zn = gz(z, sizeof z, "<testsuite/>\n", 13), n;

	ck_assert_int_eq(hist__input_open_mem(&in, z, zn, "r.xml.gz", &e), HIST_OK);
	ck_assert_int_eq(hist__input_is_gzip(in), 1);
	ck_assert_int_eq(hist__input_peek(in, &p, 10), 10);
	ck_assert_int_eq(memcmp(p, "<testsuite", 10), 0);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 1), 0);
	ck_assert_str_eq(out, "<testsuite/>\n");
	ck_assert_uint_eq(hist__input_offset(in), zn);
	hist__input_hash(in, h1);
	hist__input_free(in);

	ck_assert_int_eq(hist__input_open_mem(&in, "<testsuite/>\n", 13, "r.xml", &e), HIST_OK);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), 0);
	hist__input_hash(in, h2);
	hist__input_free(in);
	ck_assert_int_eq(memcmp(h1, h2, 16), 0);

	ck_assert_int_eq(hist__input_open_mem(&in, "<testsuite/>\r\n", 14, "r2.xml", &e), HIST_OK);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), 0);
	hist__input_hash(in, h3);
	hist__input_free(in);
	ck_assert_int_ne(memcmp(h1, h3, 16), 0);
	hist__err_clear(&e);
}
END_TEST

START_TEST(gzip_multi_member_is_one_stream)
{
	hist__err e = HIST__ERR_INIT;
	unsigned char z[512];
	hist__input *in;
	char out[64];
	size_t zn = gz(z, sizeof z, "first,", 6), n;

	zn += gz(z + zn, sizeof z - zn, "second,", 7);
	zn += gz(z + zn, sizeof z - zn, "", 0);
	zn += gz(z + zn, sizeof z - zn, "third", 5);
	ck_assert_int_eq(hist__input_open_mem(&in, z, zn, "multi.gz", &e), HIST_OK);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 4), 0);
	ck_assert_str_eq(out, "first,second,third");
	hist__input_free(in);
	hist__err_clear(&e);
}
END_TEST

START_TEST(gzip_truncated_is_an_error)
{
	hist__err e = HIST__ERR_INIT;
	unsigned char z[256];
	hist__input *in;
	char out[64];
	size_t zn = gz(z, sizeof z, "<testsuite name=\"x\"/>\n", 23), n;

	/* Every cut short of the end, even one that drops only the trailer,
	 * is truncation and never a short file. The message says where the
	 * data broke off: in its one line, after it, or before any byte. */
	for (size_t cut = 2; cut < zn; cut++) {
		char want[160];

		ck_assert_int_eq(hist__input_open_mem(&in, z, cut, "t.xml.gz", &e), HIST_OK);
		ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), HIST_E_PARSE);
		/* 22 bytes of one line, then the NUL gz() was given: a second line. */
		if (!n)
			snprintf(want, sizeof want, "t.xml.gz: truncated gzip stream before any data");
		else if (n < 22)
			snprintf(want, sizeof want, "t.xml.gz:1: truncated gzip stream: the data breaks off inside "
				"line 1: 0 whole lines, %zu bytes uncompressed", n);
		else if (n == 22)
			snprintf(want, sizeof want, "t.xml.gz:1: truncated gzip stream: the data breaks off after "
				"line 1: 1 whole line, 22 bytes uncompressed");
		else
			snprintf(want, sizeof want, "t.xml.gz:2: truncated gzip stream: the data breaks off inside "
				"line 2: 1 whole line, 23 bytes uncompressed");
		ck_assert_str_eq(hist__err_msg(&e), want);
		/* The failure sticks. */
		ck_assert_int_eq(hist__input_read(in, out, 8), HIST_E_PARSE);
		hist__input_free(in);
	}
	hist__err_clear(&e);
}
END_TEST

START_TEST(gzip_corrupt_is_an_error)
{
	hist__err e = HIST__ERR_INIT;
	unsigned char z[256];
	hist__input *in;
	char out[64];
	size_t zn = gz(z, sizeof z, "abcdefghijklmnopqrstuvwxyz", 26), n;

	z[zn - 6] ^= 0xff; /* inside the CRC-32 of the trailer */
	ck_assert_int_eq(hist__input_open_mem(&in, z, zn, "c.gz", &e), HIST_OK);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), HIST_E_PARSE);
	ck_assert_str_eq(hist__err_msg(&e), "c.gz:1: corrupt gzip stream (incorrect data check): the data breaks off "
					    "inside line 1: 0 whole lines, 26 bytes uncompressed");
	hist__input_free(in);

	/* Garbage after a member is not another member. */
	zn = gz(z, sizeof z, "abc", 3);
	memcpy(z + zn, "junk", 4);
	ck_assert_int_eq(hist__input_open_mem(&in, z, zn + 4, "g.gz", &e), HIST_OK);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), HIST_E_PARSE);
	ck_assert_str_eq(hist__err_msg(&e), "g.gz:1: corrupt gzip stream (incorrect header check): the data breaks off "
					    "inside line 1: 0 whole lines, 3 bytes uncompressed");
	hist__input_free(in);
	hist__err_clear(&e);
}
END_TEST

START_TEST(empty_and_tiny_inputs)
{
	hist__err e = HIST__ERR_INIT;
	const unsigned char *p;
	hist__input *in;
	char out[8];

	ck_assert_int_eq(hist__input_open_mem(&in, "", 0, "empty", &e), HIST_OK);
	ck_assert_int_eq(hist__input_peek(in, &p, 4), 0);
	ck_assert_int_eq(hist__input_read(in, out, sizeof out), 0);
	hist__input_free(in);
	/* One byte of the magic is not gzip. */
	ck_assert_int_eq(hist__input_open_mem(&in, "\x1f", 1, "one", &e), HIST_OK);
	ck_assert_int_eq(hist__input_is_gzip(in), 0);
	ck_assert_int_eq(hist__input_read(in, out, sizeof out), 1);
	ck_assert_int_eq(hist__input_read(in, out, sizeof out), 0);
	hist__input_free(in);
	/* Both bytes of it and nothing more: a truncated gzip. */
	ck_assert_int_eq(hist__input_open_mem(&in, "\x1f\x8b", 2, "two", &e), HIST_OK);
	ck_assert_int_eq(hist__input_is_gzip(in), 1);
	ck_assert_int_eq(hist__input_read(in, out, sizeof out), HIST_E_PARSE);
	ck_assert_str_eq(hist__err_msg(&e), "two: truncated gzip stream before any data");
	hist__input_free(in);
	hist__err_clear(&e);
}
END_TEST

START_TEST(large_gzip_streams_through_small_reads)
{
	hist__err e = HIST__ERR_INIT;
	size_t len = 3 * 1000 * 1000, zcap = len + 1024, zn, total = 0;
	char *data = malloc(len), buf[4096];
	unsigned char *z = malloc(zcap);
	const unsigned char *p;
	hist__input *in;
	long r;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(z);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + (i * 7 + i / 13) % 26);
	zn = gz(z, zcap, data, len);
	ck_assert_int_eq(hist__input_open_mem(&in, z, zn, "big.gz", &e), HIST_OK);
	ck_assert_int_eq(hist__input_peek(in, &p, 100000), 100000);
	ck_assert_int_eq(memcmp(p, data, 100000), 0);
	while ((r = hist__input_read(in, buf, sizeof buf)) > 0) {
		ck_assert_int_eq(memcmp(buf, data + total, (size_t)r), 0);
		total += (size_t)r;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(total, len);
	ck_assert_uint_eq(hist__input_offset(in), zn);
	hist__input_free(in);
	free(data);
	free(z);
	hist__err_clear(&e);
}
END_TEST

/* Reads the file at path with or without the read-ahead thread: a peek,
 * then reads of odd sizes. The bytes into out, the last read's result, the
 * message, the hash and the final offset are what the caller compares. */
static long read_file(const char *path, int ahead, char *out, size_t cap, size_t *n, char *msg, size_t msgcap,
	unsigned char hash[16], uint64_t *offset)
{
	hist__err e = HIST__ERR_INIT;
	const unsigned char *p;
	hist__input *in;
	long r;

	ck_assert_int_eq(hist__input_open(&in, path, "f", &e), HIST_OK);
	ck_assert_int_ge(hist__input_peek(in, &p, 1000), 0);
	if (ahead)
		ck_assert_int_eq(hist__input_read_ahead(in), 1);
	*n = 0;
	for (size_t k = 0; (r = hist__input_read(in, out + *n, 1 + (k * 7919) % 70000 < cap - *n ? 1 + (k * 7919) % 70000 : cap - *n)) > 0; k++)
		*n += (size_t)r;
	if (r < 0) /* the failure sticks */
		ck_assert_int_eq(hist__input_read(in, out, 8), r);
	snprintf(msg, msgcap, "%s", hist__err_msg(&e));
	if (r == 0)
		hist__input_hash(in, hash);
	*offset = hist__input_offset(in);
	hist__input_free(in);
	hist__err_clear(&e);
	return r;
}

/* The read-ahead thread changes nothing a reader sees: bytes, hash,
 * offset, and an error at the same byte with the same message; an input
 * freed half-read stops it; stdin and memory are read without it. */
START_TEST(read_ahead_reads_as_without_it)
{
	size_t len = 3 * 1000 * 1000, zcap = len + 1024, zn, n1, n2;
	char *data = malloc(len), *o1 = malloc(len + 1), *o2 = malloc(len + 1), m1[200], m2[200];
	unsigned char *z = malloc(zcap), h1[16], h2[16];
	char plain[] = "/tmp/check_io_XXXXXX", zipped[] = "/tmp/check_io_XXXXXX", cut[] = "/tmp/check_io_XXXXXX";
	const char *paths[] = { plain, zipped, cut };
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	uint64_t f1, f2;
	int fd;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_nonnull(o1);
	ck_assert_ptr_nonnull(o2);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + (i * 7 + i / 13) % 26);
	zn = gz(z, zcap, data, len);
	ck_assert_int_ge(fd = mkstemp(plain), 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	ck_assert_int_ge(fd = mkstemp(zipped), 0);
	ck_assert_int_eq(write(fd, z, zn), (ssize_t)zn);
	close(fd);
	ck_assert_int_ge(fd = mkstemp(cut), 0);
	ck_assert_int_eq(write(fd, z, zn * 2 / 3), (ssize_t)(zn * 2 / 3));
	close(fd);
	for (size_t k = 0; k < 3; k++) {
		long r1 = read_file(paths[k], 0, o1, len, &n1, m1, sizeof m1, h1, &f1);
		long r2 = read_file(paths[k], 1, o2, len, &n2, m2, sizeof m2, h2, &f2);

		ck_assert_int_eq(r2, r1);
		ck_assert_uint_eq(n2, n1);
		ck_assert_int_eq(memcmp(o1, o2, n1), 0);
		ck_assert_str_eq(m2, m1);
		ck_assert_uint_eq(f2, f1);
		if (k < 2) {
			ck_assert_int_eq(r1, 0);
			ck_assert_uint_eq(n1, len);
			ck_assert_int_eq(memcmp(o1, data, len), 0);
			ck_assert_int_eq(memcmp(h1, h2, 16), 0);
		} else {
			ck_assert_int_eq(r1, HIST_E_PARSE);
			ck_assert_ptr_nonnull(strstr(m1, ": truncated gzip stream: the data breaks off inside line "));
			ck_assert_uint_gt(n1, len / 3);
		}
	}
	/* Freed with the thread still reading: it stops, nothing leaks. */
	ck_assert_int_eq(hist__input_open(&in, zipped, NULL, &e), HIST_OK);
	ck_assert_int_eq(hist__input_read_ahead(in), 1);
	ck_assert_int_eq(hist__input_read(in, o1, 10), 10);
	ck_assert_int_eq(memcmp(o1, data, 10), 0);
	hist__input_free(in);
	ck_assert_int_eq(hist__input_open_mem(&in, z, zn, "m", &e), HIST_OK);
	ck_assert_int_eq(hist__input_read_ahead(in), 0);
	hist__input_free(in);
	for (size_t k = 0; k < 3; k++)
		unlink(paths[k]);
	free(data);
	free(z);
	free(o1);
	free(o2);
	hist__err_clear(&e);
}
END_TEST

/* A filter whose output depends on each byte's place in the stream: it
 * drops every fifth byte and all of [DROP_FROM, DROP_TO) (more than a
 * read-ahead block, so a block can come out empty) and upper-cases the
 * rest. Bytes filtered twice, out of order or not at all all show. */
#define DROP_FROM 400000
#define DROP_TO 700000
typedef struct {
	size_t at;     /* bytes of the stream the filter has seen */
	size_t fail_at; /* fail on reaching this byte (0: never) */
} place_filter;

static long place_filter_fn(void *state, unsigned char *buf, size_t n)
{
	place_filter *f = state;
	size_t w = 0;

	for (size_t i = 0; i < n; i++, f->at++) {
		if (f->fail_at && f->at == f->fail_at)
			return -1;
		if (f->at % 5 == 0 || (f->at >= DROP_FROM && f->at < DROP_TO))
			continue;
		buf[w++] = (unsigned char)(buf[i] - ('a' - 'A'));
	}
	return (long)w;
}

/* Reads path (or data, when path is NULL): a peek, first bytes read as
 * they are, then the filter for the rest; the output into out. */
static long read_filtered(const char *path, const char *data, size_t len, int ahead, size_t fail_at, char *out,
	size_t *n, unsigned char hash[16], char *msg, size_t msgcap)
{
	hist__err e = HIST__ERR_INIT;
	const unsigned char *p;
	place_filter f = { 0, fail_at };
	hist__input *in;
	long r;

	if (path)
		ck_assert_int_eq(hist__input_open(&in, path, "f", &e), HIST_OK);
	else
		ck_assert_int_eq(hist__input_open_mem(&in, data, len, "f", &e), HIST_OK);
	ck_assert_int_eq(hist__input_peek(in, &p, 3000), 3000);
	if (ahead)
		ck_assert_int_eq(hist__input_read_ahead(in), 1);
	*n = 0;
	/* Some bytes before the filter, past the peeked ones; the thread has
	 * blocks ready by then or not, as it goes. */
	while (*n < 5000 && (r = hist__input_read(in, out + *n, 5000 - *n)) > 0)
		*n += (size_t)r;
	f.at = *n;
	ck_assert_int_eq(hist__input_set_filter(in, place_filter_fn, &f, sizeof f), HIST_OK);
	ck_assert_int_eq(hist__input_set_filter(in, place_filter_fn, &f, sizeof f), HIST_E_INVALID);
	for (size_t k = 0; (r = hist__input_read(in, out + *n, 1 + (k * 7919) % 9000)) > 0; k++)
		*n += (size_t)r;
	snprintf(msg, msgcap, "%s", hist__err_msg(&e));
	if (r == 0)
		hist__input_hash(in, hash);
	hist__input_free(in);
	hist__err_clear(&e);
	return r;
}

/* A filter set half-way runs on every later byte once, in order, whether
 * the read-ahead thread runs it or the reader; the hash stays the one of
 * the bytes as read; a filter's failure is an error, not lost bytes. */
START_TEST(filter_runs_once_in_order_on_either_thread)
{
	size_t len = 3 * 1000 * 1000, n, want_n = 0;
	char *data = malloc(len), *want = malloc(len), *out = malloc(len + 9000), msg[200];
	char path[] = "/tmp/check_io_XXXXXX";
	unsigned char h[16], raw[16];
	place_filter f = { 5000, 0 };
	hist__err e = HIST__ERR_INIT;
	hist__input *in;
	int fd;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + (i * 7 + i / 13) % 26);
	memcpy(want, data, 5000);
	memcpy(want + 5000, data + 5000, len - 5000);
	want_n = 5000 + (size_t)place_filter_fn(&f, (unsigned char *)want + 5000, len - 5000);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(hist__input_open(&in, path, "f", &e), HIST_OK);
	ck_assert_int_eq(hist__input_raw_hash(in, raw), 1);
	hist__input_free(in);
	for (int ahead = 0; ahead < 2; ahead++) {
		for (int pass = 0; pass < 2; pass++) {
			ck_assert_int_eq(read_filtered(pass ? path : NULL, data, len, pass && ahead, 0, out, &n, h, msg,
						 sizeof msg), 0);
			ck_assert_uint_eq(n, want_n);
			ck_assert_int_eq(memcmp(out, want, n), 0);
			ck_assert_int_eq(memcmp(h, raw, 16), 0);
		}
		/* Failing far into the file: on the thread when it runs. */
		ck_assert_int_eq(read_filtered(path, NULL, 0, ahead, 2000001, out, &n, h, msg, sizeof msg),
			HIST_E_INVALID);
		ck_assert_str_eq(msg, "f: internal error: the input filter failed");
		ck_assert_uint_le(n, want_n);
		ck_assert_int_eq(memcmp(out, want, n), 0);
	}
	unlink(path);
	free(data);
	free(want);
	free(out);
	hist__err_clear(&e);
}
END_TEST

START_TEST(files_and_stdin)
{
	hist__err e = HIST__ERR_INIT;
	char path[] = "/tmp/check_io_XXXXXX", out[64];
	unsigned char z[256], h1[16], h2[16];
	size_t zn = gz(z, sizeof z, "from a pipe\n", 12), n;
	hist__input *in;
	int fd = mkstemp(path), pfd[2], saved;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, z, zn), (ssize_t)zn);
	close(fd);
	ck_assert_int_eq(hist__input_open(&in, path, "named.gz", &e), HIST_OK);
	ck_assert_int_eq(hist__input_is_gzip(in), 1);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), 0);
	ck_assert_str_eq(out, "from a pipe\n");
	hist__input_hash(in, h1);
	hist__input_free(in);
	unlink(path);

	/* stdin through a pipe, gzip included. */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(pfd[1], z, zn), (ssize_t)zn);
	close(pfd[1]);
	saved = dup(STDIN_FILENO);
	dup2(pfd[0], STDIN_FILENO);
	close(pfd[0]);
	ck_assert_int_eq(hist__input_open(&in, "-", NULL, &e), HIST_OK);
	ck_assert_str_eq(hist__input_name(in), "<stdin>");
	ck_assert_int_eq(hist__input_read_ahead(in), 0); /* a pipe may wait for ever */
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), 0);
	ck_assert_str_eq(out, "from a pipe\n");
	hist__input_hash(in, h2);
	hist__input_free(in);
	dup2(saved, STDIN_FILENO);
	close(saved);
	ck_assert_int_eq(memcmp(h1, h2, 16), 0);

	ck_assert_int_eq(hist__input_open(&in, "/nonexistent/r.xml", NULL, &e), HIST_E_IO);
	ck_assert_ptr_null(in);
	ck_assert_str_eq(hist__err_msg(&e), "/nonexistent/r.xml: No such file or directory");
	ck_assert_int_eq(hist__input_open(&in, "/tmp", "dir", &e), HIST_E_IO);
	ck_assert_str_eq(hist__err_msg(&e), "dir: Is a directory");
	hist__err_clear(&e);
}
END_TEST

/* The raw hash reads the file beside the stream: of the bytes as stored,
 * equal to the content hash for a plain file, none for stdin or memory. */
START_TEST(raw_hash_of_files_only)
{
	hist__err e = HIST__ERR_INIT;
	char plain[] = "/tmp/check_io_XXXXXX", zipped[] = "/tmp/check_io_XXXXXX", out[64];
	unsigned char z[256], raw[16], raw2[16], content[16], content2[16];
	size_t zn = gz(z, sizeof z, "some content\n", 13), n;
	hist__input *in;
	int fd;

	ck_assert_int_ge(fd = mkstemp(plain), 0);
	ck_assert_int_eq(write(fd, "some content\n", 13), 13);
	close(fd);
	ck_assert_int_ge(fd = mkstemp(zipped), 0);
	ck_assert_int_eq(write(fd, z, zn), (ssize_t)zn);
	close(fd);

	ck_assert_int_eq(hist__input_open(&in, plain, NULL, &e), HIST_OK);
	ck_assert_int_eq(hist__input_raw_hash(in, raw), 1);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 5), 0);
	ck_assert_str_eq(out, "some content\n");
	hist__input_hash(in, content);
	ck_assert_int_eq(memcmp(raw, content, 16), 0);
	hist__input_free(in);

	/* Half read already: the stream goes on where it was. */
	ck_assert_int_eq(hist__input_open(&in, zipped, NULL, &e), HIST_OK);
	ck_assert_int_eq(hist__input_read(in, out, 4), 4);
	ck_assert_int_eq(hist__input_raw_hash(in, raw2), 1);
	ck_assert_int_eq(slurp(in, out, sizeof out, &n, 64), 0);
	ck_assert_str_eq(out, " content\n");
	hist__input_hash(in, content2);
	ck_assert_int_eq(memcmp(content, content2, 16), 0);
	ck_assert_int_ne(memcmp(raw2, content2, 16), 0);
	hist__input_free(in);

	ck_assert_int_eq(hist__input_open_mem(&in, "some content\n", 13, "mem", &e), HIST_OK);
	ck_assert_int_eq(hist__input_raw_hash(in, raw), 0);
	hist__input_free(in);
	unlink(plain);
	unlink(zipped);
	hist__err_clear(&e);
}
END_TEST

START_TEST(open_reports_allocation_failure)
{
	hist__err e = HIST__ERR_INIT;
	hist__input *in = NULL;
	int error = HIST_E_NOMEM;

	for (long k = 0; error == HIST_E_NOMEM; k++) {
		hist__alloc_fail_at(k);
		error = hist__input_open_mem(&in, "x", 1, "m", &e);
		hist__alloc_fail_at(-1);
		if (error == HIST_E_NOMEM)
			ck_assert_ptr_null(in);
	}
	ck_assert_int_eq(error, HIST_OK);
	hist__input_free(in);
	hist__err_clear(&e);
}
END_TEST

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 0777;
}

static int count_entries(const char *dir)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

START_TEST(atomic_output_commits_and_aborts)
{
	hist__err e = HIST__ERR_INIT;
	char dir[] = "/tmp/check_atomic_XXXXXX", path[512], got[64];
	hist__atomic *f;
	mode_t old = umask(027);
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/shard-1.txt", dir);
	ck_assert_int_eq(hist__atomic_open(&f, path, &e), HIST_OK);
	ck_assert_int_eq(hist__atomic_write(f, "tests/a.py::t\n", 14), HIST_OK);
	/* Nothing under the target's name until commit. */
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(hist__atomic_write(f, "x\n", 2), HIST_OK);
	/* _at overwrites what was written (as emit.c puts the plan id in a
	 * shard file's header), and the next append still goes to the end. */
	ck_assert_int_eq(hist__atomic_write_at(f, "b", 1, 6), HIST_OK);
	ck_assert_int_eq(hist__atomic_write(f, "y\n", 2), HIST_OK);
	ck_assert_int_eq(hist__atomic_commit(&f), HIST_OK);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(mode_of(path), 0640);
	ck_assert_int_eq(count_entries(dir), 1);
	fp = fopen(path, "r");
	ck_assert_uint_eq(fread(got, 1, sizeof got - 1, fp), 18);
	fclose(fp);
	got[18] = '\0';
	ck_assert_str_eq(got, "tests/b.py::t\nx\ny\n");

	/* Abort leaves the old file and no temp file. */
	ck_assert_int_eq(hist__atomic_open(&f, path, &e), HIST_OK);
	ck_assert_int_eq(hist__atomic_write(f, "new", 3), HIST_OK);
	hist__atomic_abort(f);
	hist__atomic_abort(NULL);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(mode_of(path), 0640);
	umask(old);

	snprintf(path, sizeof path, "%s/missing/plan.json", dir);
	ck_assert_int_eq(hist__atomic_open(&f, path, &e), HIST_E_IO);
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(strstr(hist__err_msg(&e), "cannot create a temporary file"));
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
	hist__err_clear(&e);
}
END_TEST

static void read_back(const char *path, const char *want)
{
	char got[64] = "";
	FILE *fp = fopen(path, "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(got, 1, sizeof got - 1, fp), strlen(want));
	fclose(fp);
	ck_assert_str_eq(got, want);
}

/* A set of outputs is placed whole or not at all: a file failing its sync
 * in the middle leaves the older files as they were and no temp file. */
START_TEST(atomic_set_commits_all_or_none)
{
	enum { N = 20 }; /* more files than sync threads */
	hist__err e = HIST__ERR_INIT;
	char dir[] = "/tmp/check_atomic_XXXXXX", path[N][512], text[32];
	hist__atomic *f[N];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (int i = 0; i < N; i++) {
		snprintf(path[i], sizeof path[i], "%s/f%d", dir, i);
		snprintf(text, sizeof text, "old %d\n", i);
		ck_assert_int_eq(hist__atomic_open(&f[i], path[i], &e), HIST_OK);
		ck_assert_int_eq(hist__atomic_write(f[i], text, strlen(text)), HIST_OK);
	}
	ck_assert_int_eq(hist__atomic_commit_all(f, N), HIST_OK);
	for (int i = 0; i < N; i++) {
		ck_assert_ptr_null(f[i]);
		snprintf(text, sizeof text, "old %d\n", i);
		read_back(path[i], text);
	}

	/* File 7 fails its fsync: no file of the set is renamed. */
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(hist__atomic_open(&f[i], path[i], &e), HIST_OK);
		ck_assert_int_eq(hist__atomic_write(f[i], "new\n", 4), HIST_OK);
	}
	ck_assert_int_eq(count_entries(dir), 2 * N);
	hist__atomic_fail_sync_at(7);
	ck_assert_int_eq(hist__atomic_commit_all(f, N), HIST_E_IO);
	hist__atomic_fail_sync_at(-1);
	ck_assert_ptr_nonnull(strstr(hist__err_msg(&e), path[7]));
	ck_assert_ptr_nonnull(strstr(hist__err_msg(&e), strerror(EIO)));
	ck_assert_int_eq(count_entries(dir), N);
	for (int i = 0; i < N; i++) {
		ck_assert_ptr_null(f[i]);
		snprintf(text, sizeof text, "old %d\n", i);
		read_back(path[i], text);
	}

	/* Synced in two steps (a caller bounding its open files): the synced
	 * part is closed and takes no more bytes, and commit places all. */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(hist__atomic_open(&f[i], path[i], &e), HIST_OK);
		ck_assert_int_eq(hist__atomic_write(f[i], "new\n", 4), HIST_OK);
	}
	ck_assert_int_eq(hist__atomic_sync_all(f, 1), HIST_OK);
	ck_assert_int_eq(hist__atomic_write(f[0], "more", 4), HIST_E_INVALID);
	ck_assert_int_eq(hist__atomic_commit_all(f, 2), HIST_OK);
	read_back(path[0], "new\n");
	read_back(path[1], "new\n");
	read_back(path[2], "old 2\n");
	ck_assert_int_eq(count_entries(dir), N);

	snprintf(path[0], sizeof path[0], "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path[0]), 0);
	hist__err_clear(&e);
}
END_TEST

START_TEST(zlib_version_is_named)
{
	ck_assert_str_eq(hist__io_zlib_version(), zlibVersion());
}
END_TEST

Suite *check_io_suite(void);
Suite *check_io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("io");

	tcase_add_test(tc, plain_memory_reads_back_and_peeks);
	tcase_add_test(tc, gzip_detected_and_hash_is_of_decompressed_bytes);
	tcase_add_test(tc, gzip_multi_member_is_one_stream);
	tcase_add_test(tc, gzip_truncated_is_an_error);
	tcase_add_test(tc, gzip_corrupt_is_an_error);
	tcase_add_test(tc, read_ahead_reads_as_without_it);
	tcase_add_test(tc, filter_runs_once_in_order_on_either_thread);
	tcase_add_test(tc, empty_and_tiny_inputs);
	tcase_add_test(tc, large_gzip_streams_through_small_reads);
	tcase_add_test(tc, files_and_stdin);
	tcase_add_test(tc, raw_hash_of_files_only);
	tcase_add_test(tc, open_reports_allocation_failure);
	tcase_add_test(tc, atomic_output_commits_and_aborts);
	tcase_add_test(tc, atomic_set_commits_all_or_none);
	tcase_add_test(tc, zlib_version_is_named);
	suite_add_tcase(s, tc);
	return s;
}
