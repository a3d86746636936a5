/* strmap.h - a hash map from byte strings to indexes (private).
 * Planning groups a million nodeids by test, file and scope; a map keyed by
 * the bytes does that in linear time where sorting strings would not.
 * Iteration order is never exposed, so nothing depends on the hash. The
 * map does not own its keys: they must outlive it, and are never NULL. */
#ifndef HIST_STRMAP_H
#define HIST_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	const char *key;
	uint64_t hash;
	uint32_t len;
	uint32_t value;
} hist__strmap_slot;

typedef struct {
	hist__strmap_slot *slots; /* key NULL = empty */
	size_t cap;               /* a power of two, or 0 */
	size_t count;
} hist__strmap;

#define HIST__STRMAP_INIT                                                                                    \
	{                                                                                                    \
		NULL, 0, 0                                                                                   \
	}

/* Keys longer than this are refused (HIST_E_INVALID); nodeids are capped
 * far below it where they are read. */
#define HIST__STRMAP_MAX_KEY UINT32_MAX

/* Looks key up; when absent, adds it with value. *out gets the value stored
 * (the old one when present); *added is 1 when it was added. Returns HIST_OK
 * or HIST_E_NOMEM. */
int hist__strmap_put(uint32_t *out, int *added, hist__strmap *m, const char *key, size_t len, uint32_t value);
/* 1 and *out = value when key is present, else 0. */
int hist__strmap_get(uint32_t *out, const hist__strmap *m, const char *key, size_t len);
/* Makes room for n keys in all, so n puts allocate nothing more. */
int hist__strmap_reserve(hist__strmap *m, size_t n);
void hist__strmap_free(hist__strmap *m);

#endif
