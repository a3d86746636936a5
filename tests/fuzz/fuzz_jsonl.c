/* fuzz_jsonl.c - libFuzzer target: any bytes through io.c, the sniffer and
 * every JSON format must end in records or an error with a message. The
 * first byte picks the format, so each reader sees every input. Each input
 * is read twice, with json.c's whole-line fast path and without it: the
 * records, the session and the error must be the same. */
#ifndef HIST_TESTING
#define HIST_TESTING /* the library it links is built with it: hist__json_test_slow */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "io.h"
#include "json.h"
#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *ctx, const hist__record *r)
{
	if (!r->id || strlen(r->id) != r->id_len || !r->id_len || r->attempts < 1 || r->duration_us < -1 ||
		(unsigned)r->outcome >= HIST_OUTCOME_COUNT)
		abort();
	hist__buf_printf(ctx, "%s %d %d %lld %lld %u %lu\n", r->id, r->id_is_key, (int)r->outcome,
		(long long)r->duration_us, (long long)r->setup_us, r->attempts, r->line);
	return 0;
}

static int on_session(void *ctx, const hist__session *s)
{
	if (s->shard_index < 0 || s->shard_index > s->shard_total)
		abort();
	hist__buf_printf(ctx, "session %lld %lld %lld %d %s %d %d %d\n", (long long)s->start_us,
		(long long)s->wall_us, (long long)s->collect_us, s->workers, s->plan_id ? s->plan_id : "-",
		s->shard_index, s->shard_total, s->interrupted);
	return 0;
}

/* Everything one parse said, into out. */
static void parse(hist__buf *out, const uint8_t *data, size_t size, hist_format f)
{
	hist__err e = HIST__ERR_INIT;
	hist__sink sink = { on_record, on_session, out, NULL };
	hist__input *in = NULL;
	int error;

	if (hist__input_open_mem(&in, data, size, "fuzz.jsonl", &e) == 0) {
		error = hist__jsonl_parse(in, f, &sink, &e);
		if (error < 0 && !hist__err_msg(&e)[0])
			abort();
		hist__buf_printf(out, "%d %s\n", error, hist__err_msg(&e));
	}
	hist__input_free(in);
	hist__err_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const hist_format formats[] = { HIST_FORMAT_REPORTLOG, HIST_FORMAT_HIST, HIST_FORMAT_BALANCE,
		HIST_FORMAT_DURATIONS };
	hist__buf fast = HIST__BUF_INIT(0), slow = HIST__BUF_INIT(0);
	hist_format f;

	if (!size)
		return 0;
	/* The sniffer must cope with anything; the format it names (or the
	 * one the first byte picks) then parses the rest. */
	f = hist__jsonl_sniff(data + 1, size - 1);
	if (f == HIST_FORMAT_UNKNOWN)
		f = formats[data[0] % 4];
	parse(&fast, data + 1, size - 1, f);
	hist__json_test_slow = 1;
	parse(&slow, data + 1, size - 1, f);
	hist__json_test_slow = 0;
	/* Out of memory in either (the buffers) proves nothing either way. */
	if (fast.len != slow.len || memcmp(hist__buf_cstr(&fast), hist__buf_cstr(&slow), fast.len) != 0) {
		fprintf(stderr, "fast:\n%s\nslow:\n%s\n", hist__buf_cstr(&fast), hist__buf_cstr(&slow));
		abort();
	}
	hist__buf_free(&fast);
	hist__buf_free(&slow);
	return 0;
}
