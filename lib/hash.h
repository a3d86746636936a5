/* hash.h - hashes (private). The only user of xxHash.
 * XXH3-128 names an input's content (stored: its bytes are part of the
 * history), XXH3-64 names a plan (shown: part of the shard file format),
 * and hist__hash_bytes places keys in the in-memory hash tables (never
 * stored or shown). None of them is the public shard hash
 * (hist_nodeid_hash, nodeid.c), which is a rule of the plan format. */
#ifndef HIST_HASH_H
#define HIST_HASH_H

#include <stddef.h>
#include <stdint.h>

/* XXH3-128 (seed 0) of bytes fed in pieces. open is OK, HIST_E_NOMEM, or
 * HIST_E_INVALID when xxHash will not reset the state; update is OK or
 * HIST_E_INVALID; the digest is the canonical (big-endian) bytes, so
 * stored hashes read alike anywhere. free accepts NULL. */
typedef struct hist__hash128 hist__hash128;
int hist__hash128_open(hist__hash128 **out);
int hist__hash128_update(hist__hash128 *h, const void *data, size_t len);
void hist__hash128_digest(const hist__hash128 *h, unsigned char out[16]);
void hist__hash128_free(hist__hash128 *h);

/* A 64-bit hash of bytes fed in pieces: XXH3-64 with seed 0. For ids of
 * generated content (histplan's plan id, over tens of MB of nodeids), where
 * a byte-at-a-time hash showed in the run time. open is HIST_E_NOMEM or OK;
 * free accepts NULL. */
typedef struct hist__hash64 hist__hash64;
int hist__hash64_open(hist__hash64 **out);
void hist__hash64_update(hist__hash64 *h, const void *data, size_t len);
/* Back to the state open leaves: nothing hashed. */
void hist__hash64_reset(hist__hash64 *h);
uint64_t hist__hash64_digest(const hist__hash64 *h);
void hist__hash64_free(hist__hash64 *h);

/* The hash of every in-memory hash table: eight bytes a step, every input
 * bit reaching the low bits a table index uses. May change between
 * builds: nothing stores or shows it. */
uint64_t hist__hash_bytes(const void *s, size_t len);

/* "0.8.1", the xxHash built against, for --version. */
const char *hist__hash_xxhash_version(void);

#endif
