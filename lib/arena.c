/* arena.c - strings that live as long as a plan.
 * Owns: a few large blocks that hold a plan's nodeids, so a suite of a
 * million tests is a few allocations, freed at once.
 * Not here: what the strings are (estimate.c, planner.c). */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

char *hist__arena_dup(hist__arena_block **arena, const char *s, size_t len)
{
	hist__arena_block *b = *arena;
	char *p;

	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > (1u << 20) ? len + 1 : (1u << 20);

		if (len == SIZE_MAX || !(b = hist__malloc(sizeof *b + size)))
			return NULL;
		b->next = *arena;
		b->used = 0;
		b->size = size;
		*arena = b;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

char *hist__arena_reserve(hist__arena_block **arena, size_t size)
{
	hist__arena_block *b;

	if (size > SIZE_MAX - sizeof *b || !(b = hist__malloc(sizeof *b + size)))
		return NULL;
	b->next = *arena;
	b->used = 0;
	b->size = size;
	*arena = b;
	return b->data;
}

void hist__arena_free(hist__arena_block *arena)
{
	while (arena) {
		hist__arena_block *next = arena->next;
		hist__free(arena);
		arena = next;
	}
}
