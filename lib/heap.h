/* heap.h - binary min-heaps of indices ordered by a key array (private):
 * the planner's bins by load (plan.c), the window read's cursors by the
 * test id under each (store_window.c). */
#ifndef HIST_HEAP_H
#define HIST_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Whether index a comes before b: the smaller key[], equal keys the lower
 * index first, or the higher first when ties_high. */
int hist__heap_before(const int64_t *key, uint32_t a, uint32_t b, int ties_high);

/* Moves heap[i] down until heap[0..n) is a min-heap in that order again
 * (after heap[i]'s key grew, or to build a heap from n/2 - 1 down to 0). */
void hist__heap_down(uint32_t *heap, size_t n, size_t i, const int64_t *key, int ties_high);

#endif
