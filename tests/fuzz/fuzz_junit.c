/* fuzz_junit.c - libFuzzer target: any bytes through io.c and junit.c must
 * end in records or an error with a message, never a crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "junit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *ctx, const hist__record *r)
{
	(void)ctx;
	/* What ingest relies on. */
	if (!r->id || strlen(r->id) != r->id_len || r->attempts < 1 || r->duration_us < -1 ||
		(unsigned)r->outcome >= HIST_OUTCOME_COUNT)
		abort();
	return 0;
}

static int on_session(void *ctx, const hist__session *s)
{
	(void)ctx;
	if (s->wall_us < -1 || s->start_us < -1)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { on_record, on_session, NULL, NULL };
	hist__input *in = NULL;

	if (hist__input_open_mem(&in, data, size, "fuzz.xml", &e) == 0 && hist__junit_parse(in, &sink, &e) < 0 &&
		!hist__err_msg(&e)[0])
		abort(); /* a failure always says why */
	hist__input_free(in);
	hist__err_clear(&e);
	return 0;
}
