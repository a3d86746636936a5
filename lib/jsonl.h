/* jsonl.h - JSON inputs (private): pytest-reportlog, hist and
 * pytest-balance JSONL, pytest-split .test_durations. */
#ifndef HIST_JSONL_H
#define HIST_JSONL_H

#include <stddef.h>

#include "err.h"
#include "hist.h"
#include "io.h"
#include "record.h"

/* Which JSON format the first bytes of an input show, or UNKNOWN. */
hist_format hist__jsonl_sniff(const unsigned char *data, size_t len);

/* Streams the input (one of the JSON formats) and hands each test to sink. */
int hist__jsonl_parse(hist__input *in, hist_format format, const hist__sink *sink, hist__err *err);

#endif
