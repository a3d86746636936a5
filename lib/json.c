/* json.c - a streaming JSON tokenizer.
 * Owns: JSON tokens from an input, strings decoded and checked as UTF-8,
 * the caps on lines, strings and nesting, and the FILE:LINE messages.
 * Not here: what the values mean (jsonl.c). */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "hist.h"

#define READ_SIZE (64 * 1024)
/* A duration or timestamp is a few dozen characters; this is generous. */
#define NUMBER_MAX 1024
/* Values nest this deep at most: reportlog's longrepr goes 6 deep. */
#define DEPTH_MAX 64

int hist__json_error(hist__json *j, const char *fmt, ...)
{
	hist__buf b = HIST__BUF_INIT(0);
	va_list ap;

	va_start(ap, fmt);
	if (hist__buf_vprintf(&b, fmt, ap) < 0) {
		va_end(ap);
		hist__buf_free(&b);
		return hist__error(j->err, HIST_E_NOMEM, "%s: out of memory", j->name);
	}
	va_end(ap);
	hist__error(j->err, HIST_E_PARSE, "%s:%lu: %s", j->name, j->line, hist__buf_cstr(&b));
	hist__buf_free(&b);
	return HIST_E_PARSE;
}

int hist__json_init(hist__json *j, hist__input *in, size_t line_max, size_t text_max, hist__err *err)
{
	memset(j, 0, sizeof *j);
	j->in = in;
	j->name = hist__input_name(in);
	j->err = err;
	j->line = 1;
	j->line_max = line_max;
	j->text = (hist__buf)HIST__BUF_INIT(text_max);
	if (!(j->buf = hist__malloc(READ_SIZE)))
		return hist__error(err, HIST_E_NOMEM, "%s: out of memory", j->name);
	return HIST_OK;
}

void hist__json_free(hist__json *j)
{
	hist__free(j->buf);
	j->buf = NULL;
	hist__buf_free(&j->text);
}

/* The next byte without consuming it: 0-255, -1 at the end, -2 when the
 * input failed (its HIST_E_* code, which may itself be -1, in read_error). */
static int peek(hist__json *j)
{
	long n;

	if (j->pos < j->len)
		return j->buf[j->pos];
	if (j->eof)
		return -1;
	if (j->failed)
		return -2;
	if ((n = hist__input_read(j->in, j->buf, READ_SIZE)) < 0) {
		j->read_error = (int)n;
		return -2;
	}
	j->pos = 0;
	j->len = (size_t)n;
	if (n == 0) {
		j->eof = 1;
		return -1;
	}
	return j->buf[0];
}

/* Consumes the byte peek returned; counts lines and their length. */
static int advance(hist__json *j)
{
	if (j->buf[j->pos++] == '\n') {
		j->line++;
		j->line_len = 0;
	} else if (++j->line_len > j->line_max) {
		return hist__json_error(j, "line too long (more than %zu bytes)", j->line_max);
	}
	return HIST_OK;
}

/* Reads one byte (peek + advance); -1 at the end. */
static int getb(hist__json *j, int *c)
{
	int error;

	if ((*c = peek(j)) < -1)
		return j->read_error;
	if (*c >= 0 && (error = advance(j)) < 0)
		return error;
	return HIST_OK;
}

static int put(hist__json *j, int keep, const char *s, size_t n)
{
	int error;

	if (!keep)
		return HIST_OK;
	if ((error = hist__buf_put(&j->text, s, n)) == HIST_E_PARSE)
		return hist__json_error(j, "string longer than %zu bytes", j->text.limit);
	if (error < 0)
		return hist__error(j->err, error, "%s: out of memory", j->name);
	return HIST_OK;
}

static int put_utf8(hist__json *j, int keep, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return put(j, keep, u, n);
}

static int hex4(hist__json *j, unsigned long *out)
{
	int c, error;

	*out = 0;
	for (int i = 0; i < 4; i++) {
		if ((error = getb(j, &c)) < 0)
			return error;
		if (c >= '0' && c <= '9')
			*out = *out << 4 | (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*out = *out << 4 | (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*out = *out << 4 | (unsigned long)(c - 'A' + 10);
		else
			return hist__json_error(j, "bad \\u escape in a string");
	}
	return HIST_OK;
}

static int escape(hist__json *j, int keep)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned long cp, lo;
	const char *p;
	int c, error;

	if ((error = getb(j, &c)) < 0)
		return error;
	if (c == 'u') {
		if ((error = hex4(j, &cp)) < 0)
			return error;
		/* A surrogate pair is one code point; a lone surrogate (Python
		 * writes them for undecodable bytes) becomes U+FFFD. */
		if (cp >= 0xd800 && cp < 0xdc00 && peek(j) == '\\') {
			if ((error = advance(j)) < 0 || (error = getb(j, &c)) < 0)
				return error;
			if (c != 'u')
				return hist__json_error(j, "bad escape in a string");
			if ((error = hex4(j, &lo)) < 0)
				return error;
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else {
				if ((error = put_utf8(j, keep, 0xfffd)) < 0)
					return error;
				cp = lo >= 0xd800 && lo < 0xe000 ? 0xfffd : lo;
			}
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd;
		}
		return put_utf8(j, keep, cp);
	}
	if (c <= 0 || !(p = strchr(from, c)))
		return hist__json_error(j, c < 0 ? "unexpected end of input in a string"
						 : "bad escape in a string");
	return put(j, keep, &to[p - from], 1);
}

/* One UTF-8 sequence whose lead byte c was consumed. */
static int utf8(hist__json *j, int keep, int c)
{
	unsigned char seq[4];
	unsigned long cp;
	int n, error;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = (unsigned long)c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = (unsigned long)c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = (unsigned long)c & 0x07;
	} else {
		return hist__json_error(j, "invalid UTF-8");
	}
	seq[0] = (unsigned char)c;
	for (int i = 1; i <= n; i++) {
		int d = peek(j);

		if (d < -1)
			return j->read_error;
		if (d < 0x80 || d > 0xbf)
			return hist__json_error(j, "invalid UTF-8");
		if ((error = advance(j)) < 0)
			return error;
		seq[i] = (unsigned char)d;
		cp = cp << 6 | ((unsigned long)d & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		return hist__json_error(j, "invalid UTF-8");
	return put(j, keep, (const char *)seq, (size_t)n + 1);
}

/* How many of the n bytes at p are plain string bytes: printable ASCII
 * other than '"' and '\\'. Sixteen at a time where SSE2 is there (every
 * x86-64): a reportlog is mostly long strings (tracebacks, keywords)
 * skipped unread, and this loop was most of the parser's time. */
static size_t plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x1f);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* Signed: 0x20-0x7f are greater than 0x1f, 0x80-0xff negative. */
		__m128i printable = _mm_cmpgt_epi8(v, space);
		__m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
		unsigned other = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(special, printable)) ^ 0xffffu;

		if (other)
			return i + (size_t)__builtin_ctz(other);
	}
#endif
	while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
		i++;
	return i;
}

static int string(hist__json *j, int keep)
{
	int c, error;

	hist__buf_clear(&j->text);
	for (;;) {
		/* Plain ASCII runs are copied a buffer at a time. */
		size_t start = j->pos, end = j->pos + plain_run(j->buf + j->pos, j->len - j->pos);

		if (end > start) {
			if (j->line_len + (end - start) > j->line_max)
				return hist__json_error(j, "line too long (more than %zu bytes)", j->line_max);
			j->line_len += end - start;
			if ((error = put(j, keep, (const char *)j->buf + start, end - start)) < 0)
				return error;
			j->pos = end;
		}
		if ((error = getb(j, &c)) < 0)
			return error;
		if (c == '"')
			return HIST_OK;
		if (c == '\\')
			error = escape(j, keep);
		else if (c < 0)
			error = hist__json_error(j, "unexpected end of input in a string");
		else if (c < 0x20)
			error = hist__json_error(j, "control character in a string");
		else if (c >= 0x80)
			error = utf8(j, keep, c);
		else
			error = put(j, keep, (const char *)&(char){ (char)c }, 1); /* the run ended at a refill */
		if (error < 0)
			return error;
	}
}

static int digits(hist__json *j, int *count)
{
	int c, error;

	*count = 0;
	for (;;) {
		/* A run of digits is copied a buffer at a time, as strings are:
		 * reportlog lines carry several long numbers each. */
		size_t start = j->pos, end = j->pos, n;

		while (end < j->len && j->buf[end] >= '0' && j->buf[end] <= '9')
			end++;
		if ((n = end - start) > 0) {
			if (j->line_len + n > j->line_max)
				return hist__json_error(j, "line too long (more than %zu bytes)", j->line_max);
			if (j->text.len + n > NUMBER_MAX)
				return hist__json_error(j, "number too long");
			if ((error = hist__buf_put(&j->text, (const char *)j->buf + start, n)) < 0)
				return error == HIST_E_NOMEM ? hist__error(j->err, error, "%s: out of memory", j->name)
							     : hist__json_error(j, "number too long");
			j->line_len += n;
			j->pos = end;
			*count += (int)n;
		}
		/* The run ends at a non-digit, or at the end of the buffer (peek
		 * refills it). */
		if ((c = peek(j)) < -1)
			return j->read_error;
		if (c < '0' || c > '9')
			return HIST_OK;
	}
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(hist__json *j)
{
	int c, n, error;

	hist__buf_clear(&j->text);
	if ((c = peek(j)) == '-') {
		if ((error = advance(j)) < 0 || (error = hist__buf_putc(&j->text, '-')) < 0)
			return error;
	}
	if ((c = peek(j)) == '0') {
		if ((error = advance(j)) < 0 || (error = hist__buf_putc(&j->text, '0')) < 0)
			return error;
		if ((c = peek(j)) >= '0' && c <= '9')
			return hist__json_error(j, "bad number: leading zero");
	} else {
		if ((error = digits(j, &n)) < 0)
			return error;
		if (!n)
			return hist__json_error(j, "bad number");
	}
	if ((c = peek(j)) == '.') {
		if ((error = advance(j)) < 0 || (error = hist__buf_putc(&j->text, '.')) < 0 ||
			(error = digits(j, &n)) < 0)
			return error;
		if (!n)
			return hist__json_error(j, "bad number: no digits after '.'");
	}
	if ((c = peek(j)) == 'e' || c == 'E') {
		if ((error = advance(j)) < 0 || (error = hist__buf_putc(&j->text, 'e')) < 0)
			return error;
		if ((c = peek(j)) == '+' || c == '-') {
			if ((error = advance(j)) < 0 || (error = hist__buf_putc(&j->text, (char)c)) < 0)
				return error;
		}
		if ((error = digits(j, &n)) < 0)
			return error;
		if (!n)
			return hist__json_error(j, "bad number: no exponent digits");
	}
	if ((c = peek(j)) < -1)
		return j->read_error;
	return HIST_OK;
}

static int literal(hist__json *j, const char *word)
{
	int c, error;

	for (const char *p = word; *p; p++) {
		if ((error = getb(j, &c)) < 0)
			return error;
		if (c != *p)
			return hist__json_error(j, "unexpected character (expected %s)", word);
	}
	return HIST_OK;
}

int hist__json_next(hist__json *j, hist__json_token *tok, int keep_string)
{
	int c, error;

	for (;;) {
		if ((c = peek(j)) < -1)
			return j->read_error;
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		if ((error = advance(j)) < 0)
			return error;
	}
	switch (c) {
	case -1: *tok = HIST__JSON_EOF; return HIST_OK;
	case '{': *tok = HIST__JSON_OBJECT; return advance(j);
	case '}': *tok = HIST__JSON_OBJECT_END; return advance(j);
	case '[': *tok = HIST__JSON_ARRAY; return advance(j);
	case ']': *tok = HIST__JSON_ARRAY_END; return advance(j);
	case ':': *tok = HIST__JSON_COLON; return advance(j);
	case ',': *tok = HIST__JSON_COMMA; return advance(j);
	case '"':
		*tok = HIST__JSON_STRING;
		if ((error = advance(j)) < 0)
			return error;
		return string(j, keep_string);
	case 't': *tok = HIST__JSON_TRUE; return literal(j, "true");
	case 'f': *tok = HIST__JSON_FALSE; return literal(j, "false");
	case 'n': *tok = HIST__JSON_NULL; return literal(j, "null");
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		*tok = HIST__JSON_NUMBER;
		return number(j);
	}
	if (c >= 0x20 && c < 0x7f)
		return hist__json_error(j, "unexpected character '%c'", c);
	return hist__json_error(j, "unexpected byte 0x%02x", (unsigned)c);
}

int hist__json_skip(hist__json *j, hist__json_token tok)
{
	hist__json_token t, end = tok == HIST__JSON_OBJECT ? HIST__JSON_OBJECT_END : HIST__JSON_ARRAY_END;
	int error;

	switch (tok) {
	case HIST__JSON_STRING:
	case HIST__JSON_NUMBER:
	case HIST__JSON_TRUE:
	case HIST__JSON_FALSE:
	case HIST__JSON_NULL: return HIST_OK;
	case HIST__JSON_OBJECT:
	case HIST__JSON_ARRAY: break;
	case HIST__JSON_EOF: return hist__json_error(j, "unexpected end of input");
	default: return hist__json_error(j, "expected a value");
	}
	if (j->depth >= DEPTH_MAX)
		return hist__json_error(j, "nesting deeper than %d", DEPTH_MAX);
	j->depth++;
	if ((error = hist__json_next(j, &t, 0)) < 0)
		goto done;
	if (t == end)
		goto done;
	for (;;) {
		if (tok == HIST__JSON_OBJECT) {
			if (t != HIST__JSON_STRING) {
				error = hist__json_error(j, "expected a string key");
				goto done;
			}
			if ((error = hist__json_next(j, &t, 0)) < 0)
				goto done;
			if (t != HIST__JSON_COLON) {
				error = hist__json_error(j, "expected ':'");
				goto done;
			}
			if ((error = hist__json_next(j, &t, 0)) < 0)
				goto done;
		}
		if ((error = hist__json_skip(j, t)) < 0 || (error = hist__json_next(j, &t, 0)) < 0)
			goto done;
		if (t == end)
			goto done;
		if (t != HIST__JSON_COMMA) {
			error = hist__json_error(j, tok == HIST__JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
			goto done;
		}
		if ((error = hist__json_next(j, &t, 0)) < 0)
			goto done;
	}
done:
	j->depth--;
	return error;
}

/* ---- whole lines at once ------------------------------------------ */

/* Reportlog lines are mostly what no one reads (keywords, locations,
 * tracebacks): the tokenizer's byte-at-a-time bookkeeping over them cost
 * twice what inflating them did. A line held whole in the buffer is
 * checked with pointers instead, and anything unusual (a long line, an
 * escaped key, an error) is left to the tokenizer, which then reads the
 * same line again from its start. */

/* Makes the line at pos whole in the buffer, its '\n' at *nl. 0 when it
 * cannot be: longer than the buffer, the last line without a '\n', or a
 * read error (kept for peek to report). */
static int whole_line(hist__json *j, const unsigned char **nl)
{
	const unsigned char *p;
	long n;

	if ((p = memchr(j->buf + j->pos, '\n', j->len - j->pos))) {
		*nl = p;
		return 1;
	}
	if (j->eof || j->failed)
		return 0;
	memmove(j->buf, j->buf + j->pos, j->len - j->pos);
	j->len -= j->pos;
	j->pos = 0;
	while (j->len < READ_SIZE) {
		size_t old = j->len;

		if ((n = hist__input_read(j->in, j->buf + j->len, READ_SIZE - j->len)) < 0) {
			j->read_error = (int)n;
			j->failed = 1;
			return 0;
		}
		if (n == 0) {
			j->eof = 1;
			return 0;
		}
		j->len += (size_t)n;
		if ((p = memchr(j->buf + old, '\n', (size_t)n))) {
			*nl = p;
			return 1;
		}
	}
	return 0;
}

static const unsigned char *blanks(const unsigned char *p, const unsigned char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static int hex4_at(const unsigned char *p, const unsigned char *e, unsigned long *out)
{
	*out = 0;
	if (e - p < 4)
		return 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];

		if (c >= '0' && c <= '9')
			*out = *out << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			*out = *out << 4 | (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*out = *out << 4 | (c - 'A' + 10);
		else
			return 0;
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at p (as utf8() takes them), or 0. */
static size_t utf8_at(const unsigned char *p, const unsigned char *e)
{
	unsigned c = *p;
	unsigned long cp;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(e - p) <= n)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		return 0;
	return n + 1;
}

/* A string from past its opening quote: past its closing one, or NULL.
 * *plain: no escape and no byte past ASCII, so the bytes are the value. */
static const unsigned char *scan_string(const unsigned char *p, const unsigned char *e, int *plain)
{
	unsigned long cp;
	size_t n;

	*plain = 1;
	for (;;) {
		p += plain_run(p, (size_t)(e - p));
		if (p >= e)
			return NULL;
		if (*p == '"')
			return p + 1;
		*plain = 0;
		if (*p == '\\') {
			if (++p >= e)
				return NULL;
			if (*p == 'u') {
				if (!hex4_at(p + 1, e, &cp))
					return NULL;
				p += 5;
				/* escape() takes an escape after a high surrogate as
				 * its pair, and only a \u one. */
				if (cp >= 0xd800 && cp < 0xdc00 && p < e && *p == '\\') {
					if (e - p < 2 || p[1] != 'u' || !hex4_at(p + 2, e, &cp))
						return NULL;
					p += 6;
				}
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
		} else if (*p < 0x20 || !(n = utf8_at(p, e))) {
			return NULL;
		} else {
			p += n;
		}
	}
}

static const unsigned char *scan_digits(const unsigned char *p, const unsigned char *e)
{
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* The grammar number() reads. */
static const unsigned char *scan_number(const unsigned char *p, const unsigned char *e)
{
	const unsigned char *q;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0') {
		if (++p < e && *p >= '0' && *p <= '9')
			return NULL;
	} else if ((q = scan_digits(p, e)) == p) {
		return NULL;
	} else {
		p = q;
	}
	if (p < e && *p == '.') {
		if ((q = scan_digits(p + 1, e)) == p + 1)
			return NULL;
		p = q;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if ((q = scan_digits(p, e)) == p)
			return NULL;
		p = q;
	}
	return p;
}

static const unsigned char *scan_word(const unsigned char *p, const unsigned char *e, const char *w, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

/* "key" : of a member, from its quote; past the blanks after ':'. */
static const unsigned char *scan_key(const unsigned char *p, const unsigned char *e)
{
	int plain;

	if (p >= e || *p != '"' || !(p = scan_string(p + 1, e, &plain)))
		return NULL;
	p = blanks(p, e);
	if (p >= e || *p != ':')
		return NULL;
	return blanks(p + 1, e);
}

/* Containers a skipped value may nest here; deeper ones go to the
 * tokenizer (which takes DEPTH_MAX). */
#define FAST_DEPTH 32

/* One value from p: past it, or NULL. */
static const unsigned char *scan_value(const unsigned char *p, const unsigned char *e)
{
	unsigned char open[FAST_DEPTH];
	int depth = 0, plain;

	for (;;) {
		if (p >= e)
			return NULL;
		switch (*p) {
		case '"': p = scan_string(p + 1, e, &plain); break;
		case 't': p = scan_word(p, e, "true", 4); break;
		case 'f': p = scan_word(p, e, "false", 5); break;
		case 'n': p = scan_word(p, e, "null", 4); break;
		case '{':
		case '[':
			if (depth == FAST_DEPTH)
				return NULL;
			open[depth++] = *p == '{' ? '}' : ']';
			p = blanks(p + 1, e);
			if (p < e && *p == open[depth - 1]) {
				depth--;
				p++;
				break;
			}
			if (open[depth - 1] == '}' && !(p = scan_key(p, e)))
				return NULL;
			continue; /* to the first element's value */
		default: p = scan_number(p, e); break;
		}
		if (!p)
			return NULL;
		/* After a value: the end of its containers, or the next one. */
		for (;;) {
			if (!depth)
				return p;
			p = blanks(p, e);
			if (p >= e)
				return NULL;
			if (*p == open[depth - 1]) {
				depth--;
				p++;
				continue;
			}
			if (*p != ',')
				return NULL;
			p = blanks(p + 1, e);
			if (open[depth - 1] == '}' && !(p = scan_key(p, e)))
				return NULL;
			break;
		}
	}
}

/* The value from v to end into m, as hist__json_next would give it. */
static int take(hist__json *j, hist__json_member *m, const unsigned char *v, const unsigned char *end)
{
	size_t n = (size_t)(end - v);

	hist__buf_clear(m->val);
	switch (*v) {
	case '"':
		m->found = HIST__JSON_STRING;
		if (!m->keep)
			return 1;
		n -= 2;
		if (plain_run(v + 1, n) != n || (j->text.limit && n > j->text.limit))
			return 0;
		return hist__buf_put(m->val, (const char *)v + 1, n) == HIST_OK;
	case '{': m->found = HIST__JSON_OBJECT; return 1;
	case '[': m->found = HIST__JSON_ARRAY; return 1;
	case 't': m->found = HIST__JSON_TRUE; return 1;
	case 'f': m->found = HIST__JSON_FALSE; return 1;
	case 'n': m->found = HIST__JSON_NULL; return 1;
	default:
		m->found = HIST__JSON_NUMBER;
		/* number() spells the exponent 'e'. */
		if (n > NUMBER_MAX / 2 || memchr(v, 'E', n))
			return 0;
		return hist__buf_put(m->val, (const char *)v, n) == HIST_OK;
	}
}

#ifdef HIST_TESTING
int hist__json_test_slow;
#endif

int hist__json_fast_object(hist__json *j, hist__json_member *m, size_t nm, unsigned long *line)
{
	const unsigned char *p, *e, *k, *v;
	int plain;

#ifdef HIST_TESTING
	if (hist__json_test_slow)
		return 0;
#endif
	if (j->line_len || j->pos >= j->len || j->buf[j->pos] != '{' || !whole_line(j, &e))
		return 0;
	p = j->buf + j->pos;
	if ((size_t)(e - p) > j->line_max)
		return 0;
	for (size_t i = 0; i < nm; i++) {
		m[i].found = HIST__JSON_EOF;
		hist__buf_clear(m[i].val);
	}
	p = blanks(p + 1, e);
	if (p < e && *p == '}') {
		p++;
	} else {
		for (;;) {
			hist__json_member *x = NULL;
			size_t klen;

			if (p >= e || *p != '"')
				return 0;
			k = p + 1;
			if (!(p = scan_string(k, e, &plain)) || !plain)
				return 0;
			klen = (size_t)(p - 1 - k);
			for (size_t i = 0; i < nm && !x; i++)
				if (m[i].key_len == klen && memcmp(m[i].key, k, klen) == 0)
					x = &m[i];
			p = blanks(p, e);
			if (p >= e || *p != ':')
				return 0;
			v = blanks(p + 1, e);
			if (!(p = scan_value(v, e)) || (x && !take(j, x, v, p)))
				return 0;
			p = blanks(p, e);
			if (p < e && *p == ',') {
				p = blanks(p + 1, e);
				continue;
			}
			if (p < e && *p == '}') {
				p++;
				break;
			}
			return 0;
		}
	}
	if (blanks(p, e) != e)
		return 0;
	*line = j->line;
	j->pos = (size_t)(e + 1 - j->buf);
	j->line++;
	return 1;
}

int hist__json_end_line(hist__json *j)
{
	int c, error;

	while ((c = peek(j)) == ' ' || c == '\t' || c == '\r')
		if ((error = advance(j)) < 0)
			return error;
	if (c < -1)
		return j->read_error;
	if (c == -1)
		return HIST_OK;
	if (c != '\n')
		return hist__json_error(j, "text after the JSON value on its line");
	return advance(j);
}

int hist__json_looks_like_object(const unsigned char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return i < len && data[i] == '{';
}
