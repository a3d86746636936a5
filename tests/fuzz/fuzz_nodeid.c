/* fuzz_nodeid.c - libFuzzer target: the nodeid rules on any bytes. Scopes
 * nest (module <= class <= test), the group suffix only shortens, the
 * junitxml key is the same however small the buffer (a prefix, NUL-ended)
 * and the hash is FNV-1a then fmix64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "nodeid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t module = hist__nodeid_scope_len(s, size, HIST_SCOPE_MODULE);
	size_t cls = hist__nodeid_scope_len(s, size, HIST_SCOPE_CLASS);
	size_t test = hist__nodeid_scope_len(s, size, HIST_SCOPE_TEST);
	size_t stripped = hist__nodeid_strip_group(s, size, 0);
	size_t stripped_key = hist__nodeid_strip_group(s, size, 1);
	uint64_t h = 0xcbf29ce484222325ULL;
	int64_t need = hist_nodeid_junit_key(NULL, 0, s, size);
	char small[8], *full;

	if (!(module <= cls && cls <= test && test == size && stripped <= size))
		abort();
	if (stripped < size && s[stripped] != '@')
		abort();
	/* A key is taken as Python: it loses at least what a nodeid would. */
	if (stripped_key > stripped || (stripped_key < size && s[stripped_key] != '@'))
		abort();
	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdULL;
	h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	if (hist_nodeid_hash(s, size) != (h ^ (h >> 33)))
		abort();
	if (size == 0) {
		if (need != HIST_E_INVALID)
			abort();
		return 0;
	}
	/* The key holds every byte of the nodeid but "::" and ".py" turned
	 * into one '.' or dropped, plus at most one leading "::". */
	if (need < 0 || (size_t)need > size + 2)
		abort();
	if (!(full = malloc((size_t)need + 1)))
		return 0;
	if (hist_nodeid_junit_key(full, (size_t)need + 1, s, size) != need || full[need] != '\0')
		abort();
	if (hist_nodeid_junit_key(small, sizeof small, s, size) != need)
		abort();
	if (memcmp(small, full, (size_t)need < sizeof small - 1 ? (size_t)need : sizeof small - 1) != 0 ||
		small[(size_t)need < sizeof small - 1 ? (size_t)need : sizeof small - 1] != '\0')
		abort();
	free(full);
	return 0;
}
