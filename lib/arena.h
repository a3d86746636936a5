/* arena.h - strings that live as long as a plan (private). */
#ifndef HIST_ARENA_H
#define HIST_ARENA_H

#include <stddef.h>

/* A memory block the plan owns (nodeid strings). */
typedef struct hist__arena_block {
	struct hist__arena_block *next;
	size_t used, size;
	char data[];
} hist__arena_block;

/* Copies len bytes and a NUL into the arena; NULL when out of memory. */
char *hist__arena_dup(hist__arena_block **arena, const char *s, size_t len);
void hist__arena_free(hist__arena_block *arena); /* NULL is a no-op */
/* Starts a block of size bytes for the copies that follow (its pages
 * untouched); its data, or NULL when out of memory (the arena as it was). */
char *hist__arena_reserve(hist__arena_block **arena, size_t size);

#endif
