/* fuzz_jsonl.c - libFuzzer target: any bytes through io.c, the sniffer and
 * every JSON format must end in records or an error with a message. The
 * first byte picks the format, so each reader sees every input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *ctx, const hist__record *r)
{
	(void)ctx;
	if (!r->id || strlen(r->id) != r->id_len || !r->id_len || r->attempts < 1 || r->duration_us < -1 ||
		(unsigned)r->outcome >= HIST_OUTCOME_COUNT)
		abort();
	return 0;
}

static int on_session(void *ctx, const hist__session *s)
{
	(void)ctx;
	if (s->shard_index < 0 || s->shard_index > s->shard_total)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const hist_format formats[] = { HIST_FORMAT_REPORTLOG, HIST_FORMAT_HIST, HIST_FORMAT_BALANCE,
		HIST_FORMAT_DURATIONS };
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { on_record, on_session, NULL, NULL };
	hist__input *in = NULL;
	hist_format f;

	if (!size)
		return 0;
	/* The sniffer must cope with anything; the format it names (or the
	 * one the first byte picks) then parses the rest. */
	f = hist__jsonl_sniff(data + 1, size - 1);
	if (f == HIST_FORMAT_UNKNOWN)
		f = formats[data[0] % 4];
	if (hist__input_open_mem(&in, data + 1, size - 1, "fuzz.jsonl", &e) == 0 &&
		hist__jsonl_parse(in, f, &sink, &e) < 0 && !hist__err_msg(&e)[0])
		abort();
	hist__input_free(in);
	hist__err_clear(&e);
	return 0;
}
