/* fuzz_durations.c - libFuzzer target: any bytes as pytest-split's
 * .test_durations (one JSON object, nodeid -> seconds) end in records or an
 * error with a message; every record is a usable result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *ctx, const hist__record *r)
{
	(void)ctx;
	if (!r->id || strlen(r->id) != r->id_len || !r->id_len || r->attempts != 1 || r->duration_us < -1 ||
		r->outcome != HIST_OUTCOME_PASSED)
		abort();
	return 0;
}

static int on_session(void *ctx, const hist__session *s)
{
	(void)ctx;
	(void)s;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { on_record, on_session, NULL, NULL };
	hist__input *in = NULL;

	if (hist__input_open_mem(&in, data, size, ".test_durations", &e) == 0 &&
		hist__jsonl_parse(in, HIST_FORMAT_DURATIONS, &sink, &e) < 0 && !hist__err_msg(&e)[0])
		abort();
	hist__input_free(in);
	hist__err_clear(&e);
	return 0;
}
