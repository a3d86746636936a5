/* err.c - error messages and codes.
 * Owns: hist__err and the text of return codes (hist_strerror).
 * Not here: the names of the public enums (version.c); what a message
 * says (each module). */
#include "err.h"

#include <stdio.h>

#include "alloc.h"
#include "buf.h"
#include "hist.h"

int hist__verror(hist__err *err, int code, const char *fmt, va_list ap)
{
	hist__buf b = HIST__BUF_INIT(0);

	hist__err_clear(err);
	if (hist__buf_vprintf(&b, fmt, ap) < 0) {
		hist__buf_free(&b);
		err->no_mem = 1;
		return code;
	}
	err->msg = hist__buf_detach(&b);
	return code;
}

int hist__error(hist__err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hist__verror(err, code, fmt, ap);
	va_end(ap);
	return code;
}

const char *hist__err_msg(const hist__err *err)
{
	if (!err)
		return "";
	return err->msg ? err->msg : err->no_mem ? hist_strerror(HIST_E_NOMEM) : "";
}

void hist__err_clear(hist__err *err)
{
	hist__free(err->msg);
	err->msg = NULL;
	err->no_mem = 0;
}

const char *hist_strerror(int code)
{
	switch (code) {
	case HIST_OK: return "success";
	case HIST_E_NOMEM: return "out of memory";
	case HIST_E_IO: return "input/output error";
	case HIST_E_PARSE: return "parse error";
	case HIST_E_FORMAT: return "unknown input format";
	case HIST_E_SCHEMA: return "not a hist database of a known schema";
	case HIST_E_DB: return "database error";
	case HIST_E_INVALID: return "invalid argument";
	case HIST_E_NOTFOUND: return "not found";
	}
	return "unknown error";
}
