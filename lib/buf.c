/* buf.c - growable byte buffers.
 * Owns: growth, the size cap and formatting into a buffer.
 * Not here: what the bytes mean. */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "hist.h"

static int grow(hist__buf *b, size_t extra)
{
	size_t limit = b->limit ? b->limit : SIZE_MAX - 1;
	size_t need, cap;
	char *p;

	if (hist__add_overflow(b->len, extra, &need) || need > limit)
		return HIST_E_PARSE;
	if (need < b->cap)
		return HIST_OK;
	/* Double, so n appends cost O(n); the +1 keeps room for the NUL. */
	cap = b->cap ? b->cap : 64;
	while (cap <= need)
		if (hist__mul_overflow(cap, (size_t)2, &cap))
			return HIST_E_NOMEM;
	if (!(p = hist__realloc(b->ptr, cap)))
		return HIST_E_NOMEM;
	b->ptr = p;
	b->cap = cap;
	return HIST_OK;
}

int hist__buf_reserve(hist__buf *b, size_t n)
{
	return grow(b, n);
}

int hist__buf_put(hist__buf *b, const char *data, size_t len)
{
	int error;

	if ((error = grow(b, len)) < 0)
		return error;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return HIST_OK;
}

int hist__buf_put_line(hist__buf *b, const char *data, size_t len)
{
	int error;

	if (len == SIZE_MAX || (error = grow(b, len + 1)) < 0)
		return len == SIZE_MAX ? HIST_E_PARSE : error;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->ptr[b->len + len] = '\n';
	b->len += len + 1;
	b->ptr[b->len] = '\0';
	return HIST_OK;
}

int hist__buf_putc(hist__buf *b, char c)
{
	return hist__buf_put(b, &c, 1);
}

int hist__buf_puts(hist__buf *b, const char *s)
{
	return hist__buf_put(b, s, strlen(s));
}

int hist__buf_vprintf(hist__buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n, error;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return HIST_E_INVALID;
	if ((error = grow(b, (size_t)n)) < 0)
		return error;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return HIST_OK;
}

int hist__buf_printf(hist__buf *b, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = hist__buf_vprintf(b, fmt, ap);
	va_end(ap);
	return error;
}

const char *hist__buf_cstr(const hist__buf *b)
{
	return b->ptr ? b->ptr : "";
}

void hist__buf_clear(hist__buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void hist__buf_free(hist__buf *b)
{
	hist__free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

char *hist__buf_detach(hist__buf *b)
{
	char *p = b->ptr;

	if (!p)
		p = hist__strdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}
