/* buf.h - growable byte buffers with a size cap (private).
 * Input never goes into a fixed-size buffer; it grows in a hist__buf up to
 * limit bytes, so a hostile line cannot take all memory. */
#ifndef HIST_BUF_H
#define HIST_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *ptr;    /* always NUL-terminated once anything was put */
	size_t len;
	size_t cap;
	size_t limit; /* most bytes it may hold; 0 = SIZE_MAX */
} hist__buf;

#define HIST__BUF_INIT(limit) { NULL, 0, 0, (limit) }

/* Each returns HIST_OK, HIST_E_NOMEM, or HIST_E_PARSE when the content would
 * pass the limit (the caller names the file and line). */
int hist__buf_put(hist__buf *b, const char *data, size_t len);
/* data and a line break: hist__buf_put then hist__buf_putc, one growth check. */
int hist__buf_put_line(hist__buf *b, const char *data, size_t len);
int hist__buf_putc(hist__buf *b, char c);
int hist__buf_puts(hist__buf *b, const char *s);
int hist__buf_printf(hist__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hist__buf_vprintf(hist__buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Room for n more bytes (and the NUL) at ptr + len, nothing added. */
int hist__buf_reserve(hist__buf *b, size_t n);
/* "" for a buffer that holds nothing yet. */
const char *hist__buf_cstr(const hist__buf *b);
void hist__buf_clear(hist__buf *b); /* keeps the memory */
void hist__buf_free(hist__buf *b);  /* back to empty; keeps the limit */
/* Hands the bytes to the caller (free with hist__free); the buffer is empty. */
char *hist__buf_detach(hist__buf *b);

#endif
