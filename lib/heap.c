/* heap.c - the sift-down of a binary min-heap of indices (heap.h).
 * Owns: the order (key, then index) and restoring it below a node.
 * Not here: what the keys are (plan.c's loads, store_window.c's ids). */
#include "heap.h"

int hist__heap_before(const int64_t *key, uint32_t a, uint32_t b, int ties_high)
{
	if (key[a] != key[b])
		return key[a] < key[b];
	return ties_high ? a > b : a < b;
}

void hist__heap_down(uint32_t *heap, size_t n, size_t i, const int64_t *key, int ties_high)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;

		if (l < n && hist__heap_before(key, heap[l], heap[m], ties_high))
			m = l;
		if (r < n && hist__heap_before(key, heap[r], heap[m], ties_high))
			m = r;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}
