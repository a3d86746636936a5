/* json.h - a streaming JSON tokenizer over an input (private).
 * Reads tokens one at a time from a hist__input, so neither a JSONL line
 * nor a whole .test_durations object is ever held in memory: strings the
 * caller keeps are capped, the others are validated and dropped. Physical
 * lines are capped too ("line too long"), and every error names the line. */
#ifndef HIST_JSON_H
#define HIST_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "io.h"

typedef enum {
	HIST__JSON_EOF = 0,
	HIST__JSON_OBJECT,     /* { */
	HIST__JSON_OBJECT_END, /* } */
	HIST__JSON_ARRAY,      /* [ */
	HIST__JSON_ARRAY_END,  /* ] */
	HIST__JSON_COLON,
	HIST__JSON_COMMA,
	HIST__JSON_STRING,     /* decoded UTF-8 in ->text when kept */
	HIST__JSON_NUMBER,     /* its spelling in ->text */
	HIST__JSON_TRUE,
	HIST__JSON_FALSE,
	HIST__JSON_NULL
} hist__json_token;

typedef struct {
	hist__input *in;
	const char *name;
	hist__err *err;
	unsigned char *buf;  /* read buffer */
	size_t pos, len;
	int eof;
	int read_error;      /* the input's HIST_E_* code once peek gave -2 */
	unsigned long line;  /* 1-based line of the next byte */
	size_t line_len;     /* bytes of the current line so far */
	size_t line_max;
	hist__buf text;      /* the last string (when kept) or number */
	unsigned int depth;  /* of skip_value, bounded */
	int failed;          /* a read failed (read_error) while bytes were left */
} hist__json;

/* One member hist__json_fast_object looks for, and what it found. */
typedef struct {
	const char *key;
	size_t key_len;
	int keep;               /* keep a string value in *val (numbers always are) */
	hist__buf *val;         /* the value's text, as hist__json_next gives it */
	hist__json_token found; /* its first token; HIST__JSON_EOF when absent */
} hist__json_member;

/* line_max: longest physical line accepted; text_max: longest string kept. */
int hist__json_init(hist__json *j, hist__input *in, size_t line_max, size_t text_max, hist__err *err);
void hist__json_free(hist__json *j);

/* The next token. keep_string: decode a string into j->text (else only
 * validate it). Errors: "FILE:LINE: reason", HIST_E_PARSE. */
int hist__json_next(hist__json *j, hist__json_token *tok, int keep_string);

/* Consumes a value whose first token is tok (already read): objects and
 * arrays are walked and checked to their end, nesting at most 64 deep. */
int hist__json_skip(hist__json *j, hist__json_token tok);

/* The next JSONL line read as one object, when that is quick: the line
 * starts with '{' and is whole in the read buffer, its keys and the
 * strings kept are plain ASCII, and all of it is valid. 1: read, members
 * filled (last one wins, as with the tokenizer), the line consumed.
 * 0: nothing consumed: read the line with hist__json_next, which gives the
 * same members or the error. *line: the line read. */
int hist__json_fast_object(hist__json *j, hist__json_member *m, size_t nm, unsigned long *line);

#ifdef HIST_TESTING
/* Non-zero: hist__json_fast_object always declines, so tests and the
 * fuzz target can set both paths side by side. */
extern int hist__json_test_slow;
#endif

/* After a JSONL value: only blanks may follow on its line. */
int hist__json_end_line(hist__json *j);

/* "FILE:LINE: what" as HIST_E_PARSE, for the callers' own checks. */
int hist__json_error(hist__json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Does data (the start of an input) look like JSON: blanks, then '{'? */
int hist__json_looks_like_object(const unsigned char *data, size_t len);

#endif
