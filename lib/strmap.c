/* strmap.c - a hash map from byte strings to indexes.
 * Owns: open addressing with linear probing.
 * Not here: owning the keys (callers keep them alive), the hash
 * (hist__hash_bytes, hash.c: never the stable shard hash of nodeid.c,
 * which is part of the plan format). */
#include "strmap.h"

#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "hist.h"

static int grow(hist__strmap *m, size_t want)
{
	hist__strmap_slot *slots;
	size_t cap = m->cap ? m->cap : 16;

	/* At most half full, so probes stay short. */
	while (cap / 2 < want)
		if (hist__mul_overflow(cap, (size_t)2, &cap))
			return HIST_E_NOMEM;
	if (cap == m->cap)
		return HIST_OK;
	if (!(slots = hist__calloc(cap, sizeof *slots)))
		return HIST_E_NOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		const hist__strmap_slot *s = &m->slots[i];
		size_t j;

		if (!s->key)
			continue;
		for (j = (size_t)s->hash & (cap - 1); slots[j].key; j = (j + 1) & (cap - 1))
			;
		slots[j] = *s;
	}
	hist__free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return HIST_OK;
}

int hist__strmap_reserve(hist__strmap *m, size_t n)
{
	return grow(m, n);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const hist__strmap *m, const char *key, size_t len, uint64_t hash)
{
	size_t j = (size_t)hash & (m->cap - 1);

	for (; m->slots[j].key; j = (j + 1) & (m->cap - 1)) {
		const hist__strmap_slot *s = &m->slots[j];

		if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
			break;
	}
	return j;
}

int hist__strmap_put(uint32_t *out, int *added, hist__strmap *m, const char *key, size_t len, uint32_t value)
{
	uint64_t hash = hist__hash_bytes(key, len);
	hist__strmap_slot *s;
	int error;

	*added = 0;
	if (len > HIST__STRMAP_MAX_KEY)
		return HIST_E_INVALID;
	if ((error = grow(m, m->count + 1)) < 0)
		return error;
	s = &m->slots[find(m, key, len, hash)];
	if (!s->key) {
		s->key = key;
		s->hash = hash;
		s->len = (uint32_t)len;
		s->value = value;
		m->count++;
		*added = 1;
	}
	*out = s->value;
	return HIST_OK;
}

int hist__strmap_get(uint32_t *out, const hist__strmap *m, const char *key, size_t len)
{
	const hist__strmap_slot *s;

	if (!m->cap || len > HIST__STRMAP_MAX_KEY)
		return 0;
	s = &m->slots[find(m, key, len, hist__hash_bytes(key, len))];
	if (!s->key)
		return 0;
	*out = s->value;
	return 1;
}

void hist__strmap_free(hist__strmap *m)
{
	hist__free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
