/* hash.c - hashes.
 * Owns: xxHash (XXH3-128 content hashes for io.c, XXH3-64 plan ids for
 * emit.c) and the hash of the in-memory hash tables (strmap.c, jsonl.c,
 * store_batch.c). The only file that includes xxhash.h.
 * Not here: the public shard hash (nodeid.c), what is hashed (callers). */
#include "hash.h"

#include <string.h>

#include <xxhash.h>

#include "alloc.h"
#include "hist.h"

/* ------------------------------------------------------------------ */
/* XXH3-128: io.c's content hash                                       */

struct hist__hash128 {
	XXH3_state_t *state;
};

int hist__hash128_open(hist__hash128 **out)
{
	hist__hash128 *h = hist__calloc(1, sizeof *h);

	*out = NULL;
	if (!h || !(h->state = XXH3_createState())) {
		hist__free(h);
		return HIST_E_NOMEM;
	}
	*out = h;
	if (XXH3_128bits_reset(h->state) != XXH_OK)
		return HIST_E_INVALID;
	return HIST_OK;
}

int hist__hash128_update(hist__hash128 *h, const void *data, size_t len)
{
	return XXH3_128bits_update(h->state, data, len) == XXH_OK ? HIST_OK : HIST_E_INVALID;
}

void hist__hash128_digest(const hist__hash128 *h, unsigned char out[16])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
	memcpy(out, c.digest, 16);
}

void hist__hash128_free(hist__hash128 *h)
{
	if (!h)
		return;
	XXH3_freeState(h->state);
	hist__free(h);
}

/* ------------------------------------------------------------------ */
/* XXH3-64: emit.c's plan id                                          */

struct hist__hash64 {
	XXH3_state_t *state;
};

int hist__hash64_open(hist__hash64 **out)
{
	hist__hash64 *h = hist__calloc(1, sizeof *h);

	*out = NULL;
	if (!h || !(h->state = XXH3_createState()) || XXH3_64bits_reset(h->state) != XXH_OK) {
		hist__hash64_free(h);
		return HIST_E_NOMEM;
	}
	*out = h;
	return HIST_OK;
}

void hist__hash64_update(hist__hash64 *h, const void *data, size_t len)
{
	/* Only a NULL input fails, which callers never pass. */
	(void)XXH3_64bits_update(h->state, data, len);
}

void hist__hash64_reset(hist__hash64 *h)
{
	/* Only a NULL state fails, and open made this one. */
	(void)XXH3_64bits_reset(h->state);
}

uint64_t hist__hash64_digest(const hist__hash64 *h)
{
	return XXH3_64bits_digest(h->state);
}

void hist__hash64_free(hist__hash64 *h)
{
	if (!h)
		return;
	XXH3_freeState(h->state);
	hist__free(h);
}

/* ------------------------------------------------------------------ */
/* The hash tables' hash                                               */

/* Eight bytes a step (FNV-1a's byte a step showed in planning a million
 * tests), then a murmur3 finaliser so every input bit reaches the low bits
 * the table index uses. Internal: nothing stores or shows these values. */
uint64_t hist__hash_bytes(const void *data, size_t len)
{
	const char *s = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

#define HASH_STR_(x) #x
#define HASH_STR(x) HASH_STR_(x)
const char *hist__hash_xxhash_version(void)
{
	/* The version built against: a string from the header's numbers
	 * needs no buffer (XXH_versionNumber() would). */
	return HASH_STR(XXH_VERSION_MAJOR) "." HASH_STR(XXH_VERSION_MINOR) "." HASH_STR(XXH_VERSION_RELEASE);
}
