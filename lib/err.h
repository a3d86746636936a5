/* err.h - error messages carried by handles (private).
 * A failing call stores its message in a hist__err and returns the code, so
 * "return hist__error(err, HIST_E_PARSE, "%s:%zu: ...", name, line)" reports
 * and returns in one statement. Parsers get the hist__err of the handle. */
#ifndef HIST_ERR_H
#define HIST_ERR_H

#include <stdarg.h>

typedef struct {
	char *msg;  /* owned; NULL = no message */
	int no_mem; /* the last message could not be formatted for want of memory */
} hist__err;

#define HIST__ERR_INIT { NULL, 0 }

/* Sets the message and returns code. If formatting runs out of memory the
 * message becomes hist_strerror(HIST_E_NOMEM) and code is still returned. */
int hist__error(hist__err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int hist__verror(hist__err *err, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* The message, or "" when none is set. */
const char *hist__err_msg(const hist__err *err);
void hist__err_clear(hist__err *err);

#endif
