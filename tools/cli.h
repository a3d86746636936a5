/* cli.h - what every hist tool shares: the program name, diagnostics on
 * stderr as "prog: message", usage errors (exit 2), progress on a terminal. */
#ifndef HIST_CLI_H
#define HIST_CLI_H

#include <stdint.h>
#include <stdio.h>

enum { CLI_OK = 0, CLI_FAILURE = 1, CLI_USAGE = 2 };

void cli_init(const char *prog);
const char *cli_prog(void);
/* "prog: message" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message" and "Try 'prog --help'." on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The usage error for what getopt_long returned ('?' or ':') when its
 * option string starts with ':' and opterr is 0, so every tool words a bad
 * option alike: "unknown option '--x'", "--db: expected a value". */
int cli_option_error(int c, char *const *argv);
/* --version: the tool, libhist and its dependencies, on stdout. */
void cli_version(void);
/* Progress shows only on a terminal and without -q (verbosity < 0). */
void cli_set_verbosity(int verbosity);
int cli_verbosity(void);
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);
/* Parses a whole decimal number in [min, max]; 0 on success, -1 otherwise. */
int cli_parse_long(long *out, const char *s, long min, long max);
/* Parses a finite double; 0 on success, -1 otherwise. */
int cli_parse_double(double *out, const char *s);
/* Value of --db, else $HIST_DB, else ".hist.db". */
const char *cli_db_path(const char *option);
/* Value of --suite, else $HIST_SUITE, else "default". */
const char *cli_suite(const char *option);

/* How long to wait for a busy history, in ms: $HIST_BUSY_TIMEOUT
 * (seconds, a decimal) when set and valid, else 30000. */
unsigned int cli_busy_timeout_ms(void);
/* s as a JSON string on f; bytes that are not UTF-8 become U+FFFD so the
 * document stays valid. */
void cli_json_string(FILE *f, const char *s);
/* Columns s takes on a terminal: UTF-8 characters, East Asian wide ones
 * 2, combining marks 0; a byte that is not UTF-8 counts 1. Tables pad by
 * this, never by bytes. */
size_t cli_width(const char *s);
/* The longest end of s, cut between characters, that takes at most cols
 * columns. */
const char *cli_tail(const char *s, size_t cols);
/* s on f, then spaces up to cols columns. */
void cli_pad(FILE *f, const char *s, size_t cols);
/* us (µs) as seconds with 3 decimals ("12.346"), rounded half up, in buf;
 * returns buf. */
const char *cli_seconds(char buf[32], int64_t us);
/* one when n is 1, else many: "1 file", "2 files". */
const char *cli_plural(int64_t n, const char *one, const char *many);
/* us (µs since the epoch) as "2026-11-24T22:15:00Z" in buf. */
void cli_utc(char *buf, size_t size, int64_t us);

#endif
