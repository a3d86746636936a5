/* plan.c - partitioning a suite into shards that finish together.
 * Owns: LPT and the improvement pass, scopes (what must stay on one shard),
 * the set-up a module charges each shard that runs part of it, the search
 * for the fewest shards within a target, the stable-hash fallback and the
 * order of tests in a shard.
 * Not here: estimates (estimate.c), the plan object (planner.c), output
 * formats and the plan id (emit.c). Pure: arrays in, arrays out; no
 * SQLite, no files. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "heap.h"
#include "nodeid.h"
#include "strmap.h"

/* Attempts at splitting one more scope with a set-up cost: each is a
 * partition of its own, so they are few. */
#define SPLIT_ATTEMPTS 32

/* ------------------------------------------------------------------ */
/* Partitioning items given in their total order.                      */

typedef struct {
	uint32_t *item; /* ascending index = descending weight */
	size_t len, cap;
} bin;

/* The bins form a min-heap on (load, index), so LPT's "lightest bin, lowest
 * index first" is a pop and a push. */
static int heap_less(const int64_t *load, uint32_t a, uint32_t b)
{
	return hist__heap_before(load, a, b, 0);
}

static int bin_insert(bin *b, uint32_t item)
{
	size_t lo = 0, hi = b->len;

	if (b->len == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		uint32_t *p;

		if (!(p = hist__realloc(b->item, cap * sizeof *p)))
			return HIST_E_NOMEM;
		b->item = p;
		b->cap = cap;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->item[mid] < item)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(b->item + lo + 1, b->item + lo, (b->len - lo) * sizeof *b->item);
	b->item[lo] = item;
	b->len++;
	return HIST_OK;
}

static void bin_remove(bin *b, size_t pos)
{
	memmove(b->item + pos, b->item + pos + 1, (b->len - pos - 1) * sizeof *b->item);
	b->len--;
}

/* The best step found so far: the larger of the two new loads. */
typedef struct {
	int64_t value;
	uint32_t to;
	size_t a, b; /* positions in the heavy bin and in bin `to` */
	int swap;
} move;

static void consider(move *best, int64_t value, uint32_t to, size_t a, size_t b, int swap)
{
	if (value < best->value) {
		best->value = value;
		best->to = to;
		best->a = a;
		best->b = b;
		best->swap = swap;
	}
}

/* Moves from heavy bin h to bin k: an item of weight x in (0, gap) lowers
 * the pair's maximum max(L_h - x, L_k + x), best near gap / 2. */
static void best_move(move *best, const bin *h, const int64_t *w, int64_t lh, int64_t lk, uint32_t k,
                      uint64_t *work)
{
	int64_t gap = lh - lk;
	size_t lo = 0, hi = h->len;

	/* The first position whose weight is at most gap / 2 (2x <= gap). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		*work += 1;
		if (2 * w[h->item[mid]] <= gap)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (size_t p = lo > 0 ? lo - 1 : 0; p <= lo && p < h->len; p++) {
		int64_t x = w[h->item[p]];
		if (x > 0 && x < gap)
			consider(best, lh - x > lk + x ? lh - x : lk + x, k, p, 0, 0);
	}
}

/* Swaps between heavy bin h and bin k: a in h and b in k with d = w_a - w_b
 * in (0, gap), best near gap / 2. Both bins are sorted, so one forward walk
 * over k finds, for each a, the b with 2 w_b closest to 2 w_a - gap. */
static void best_swap(move *best, const bin *h, const bin *kb, const int64_t *w, int64_t lh, int64_t lk,
                      uint32_t k, uint64_t *work)
{
	int64_t gap = lh - lk;
	size_t j = 0;

	*work += h->len + kb->len;
	for (size_t i = 0; i < h->len; i++) {
		int64_t wa = w[h->item[i]];

		/* Nothing beats an even split of the pair's load. */
		if (wa <= 0 || best->value <= lh - gap / 2)
			break;
		while (j < kb->len && 2 * w[kb->item[j]] > 2 * wa - gap)
			j++;
		for (size_t q = j > 0 ? j - 1 : 0; q <= j && q < kb->len; q++) {
			int64_t d = wa - w[kb->item[q]];
			if (d > 0 && d < gap)
				consider(best, lh - d > lk + d ? lh - d : lk + d, k, i, q, 1);
		}
	}
}

/* Bins by (load, index) ascending: an insertion sort, N is small. */
static void sort_bins(uint32_t *b, unsigned int n, const int64_t *load)
{
	for (unsigned int i = 1; i < n; i++) {
		uint32_t x = b[i];
		unsigned int j = i;
		for (; j > 0 && heap_less(load, x, b[j - 1]); j--)
			b[j] = b[j - 1];
		b[j] = x;
	}
}

static int improve(uint32_t *shard_of, int64_t *load, const int64_t *w, size_t n, unsigned int shards,
                   uint64_t effort, int64_t bound)
{
	bin *bins = hist__calloc(shards, sizeof *bins);
	uint32_t *by_load = hist__malloc(shards * sizeof *by_load);
	uint64_t work = 0;
	int error = HIST_OK;

	if (!bins || !by_load) {
		hist__free(bins);
		hist__free(by_load);
		return HIST_E_NOMEM;
	}
	/* Items are visited in index order, so each bin comes out sorted. */
	for (size_t i = 0; i < n; i++)
		if ((error = bin_insert(&bins[shard_of[i]], (uint32_t)i)) < 0)
			goto done;
	while (work < effort) {
		uint32_t h;
		move best = {0, 0, 0, 0, 0};

		/* Lightest bins first: the best a bin k can offer is an even split,
		 * ceil((L_h + L_k) / 2), which only grows with L_k, so the search
		 * stops at the first bin that cannot beat what was found. */
		for (uint32_t k = 0; k < shards; k++)
			by_load[k] = k;
		sort_bins(by_load, shards, load);
		h = by_load[shards - 1];
		if (load[h] <= bound)
			break;
		best.value = load[h];
		for (uint32_t r = 0; r + 1 < shards; r++) {
			uint32_t k = by_load[r];
			int64_t gap = load[h] - load[k];

			if (gap < 2 || best.value <= load[h] - gap / 2)
				break;
			best_move(&best, &bins[h], w, load[h], load[k], k, &work);
			best_swap(&best, &bins[h], &bins[k], w, load[h], load[k], k, &work);
		}
		if (best.value >= load[h])
			break;
		{
			bin *hb = &bins[h], *kb = &bins[best.to];
			uint32_t a = hb->item[best.a];

			load[h] -= w[a];
			load[best.to] += w[a];
			shard_of[a] = best.to;
			bin_remove(hb, best.a);
			if (best.swap) {
				uint32_t b = kb->item[best.b];

				load[best.to] -= w[b];
				load[h] += w[b];
				shard_of[b] = h;
				bin_remove(kb, best.b);
				if ((error = bin_insert(hb, b)) < 0)
					goto done;
			}
			if ((error = bin_insert(kb, a)) < 0)
				goto done;
		}
	}
done:
	for (unsigned int k = 0; k < shards; k++)
		hist__free(bins[k].item);
	hist__free(bins);
	hist__free(by_load);
	return error;
}

int hist__partition(uint32_t *shard_of, int64_t *load, const int64_t *w, size_t n, unsigned int shards,
                    uint64_t effort)
{
	uint32_t *heap;
	int64_t total = 0, longest = 0, bound;

	if (shards == 0)
		return HIST_E_INVALID;
	if (!(heap = hist__malloc(shards * sizeof *heap)))
		return HIST_E_NOMEM;
	/* All loads are 0, so bins in index order already form the heap. */
	for (uint32_t k = 0; k < shards; k++) {
		heap[k] = k;
		load[k] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t k = heap[0];

		shard_of[i] = k;
		load[k] += w[i];
		hist__heap_down(heap, shards, 0, load, 0);
		total += w[i];
		if (w[i] > longest)
			longest = w[i];
	}
	hist__free(heap);
	if (effort == 0 || shards < 2 || n < 2)
		return HIST_OK;
	/* No plan beats max(ceil(total / N), the longest item): stop there. */
	bound = total / shards + (total % shards != 0);
	if (longest > bound)
		bound = longest;
	return improve(shard_of, load, w, n, shards, effort, bound);
}

/* ------------------------------------------------------------------ */
/* Spreading noisy items: a shard's slowest likely run, not its mean.  */

/* Items of the heaviest-risk bin tried in swaps, by variance: swaps are
 * for trading a noisy item for a steady one, and a bin's noisy items are
 * few. Keeps a step linear in the items. */
#define SPREAD_SWAP_ITEMS 16

/* floor(sqrt(v)), bit by bit: integers, so every machine agrees. */
static uint64_t isqrt64(uint64_t v)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;

	while (bit > v)
		bit >>= 2;
	for (; bit; bit >>= 2) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* Sums stop at UINT64_MAX; a sum holding v is >= v, so taking v back off
 * never wraps. */
static uint64_t var_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int64_t risk(int64_t load, uint64_t var, unsigned int k_milli)
{
	return load + (int64_t)(isqrt64(var) * k_milli / 1000);
}

typedef struct {
	int64_t value; /* the larger risk of the pair after the step */
	uint32_t to, a, b; /* a from the riskiest bin; b from bin `to` when swapping */
	int swap;
} spread_step;

static void spread_consider(spread_step *best, int64_t rh, int64_t rk, uint32_t to, uint32_t a, uint32_t b,
                            int swap)
{
	int64_t v = rh > rk ? rh : rk;

	if (v < best->value)
		*best = (spread_step){v, to, a, b, swap};
}

int hist__spread(uint32_t *shard_of, int64_t *load, const int64_t *w, const uint64_t *var, size_t n,
                 unsigned int shards, unsigned int k_milli, uint64_t effort)
{
	uint64_t *bvar = NULL, work = 0;
	uint32_t *cand = NULL;
	int any = 0;

	for (size_t i = 0; i < n; i++)
		any |= var[i] != 0;
	if (!any || k_milli == 0 || shards < 2 || n < 2)
		return HIST_OK;
	if (!(bvar = hist__calloc(shards, sizeof *bvar)) ||
	    !(cand = hist__malloc(SPREAD_SWAP_ITEMS * sizeof *cand))) {
		hist__free(bvar);
		return HIST_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		bvar[shard_of[i]] = var_add(bvar[shard_of[i]], var[i]);
	while (work < effort) {
		uint32_t h = 0, nc = 0;
		int64_t rh;
		spread_step best;

		for (uint32_t k = 1; k < shards; k++)
			if (risk(load[k], bvar[k], k_milli) > risk(load[h], bvar[h], k_milli))
				h = k;
		rh = risk(load[h], bvar[h], k_milli);
		best = (spread_step){rh, 0, 0, 0, 0};
		/* h's noisiest items (ties: the first), for the swaps. */
		for (size_t i = 0; i < n; i++) {
			uint32_t j;

			if (shard_of[i] != h || var[i] == 0)
				continue;
			if (nc < SPREAD_SWAP_ITEMS)
				nc++;
			else if (var[i] <= var[cand[nc - 1]])
				continue;
			for (j = nc - 1; j > 0 && var[cand[j - 1]] < var[i]; j--)
				cand[j] = cand[j - 1];
			cand[j] = (uint32_t)i;
		}
		work += n;
		for (size_t i = 0; i < n; i++) {
			uint32_t k = shard_of[i];

			if (k == h)
				continue;
			/* Swaps: a noisy item of h for item i of bin k. */
			for (uint32_t c = 0; c < nc; c++) {
				uint32_t a = cand[c];
				int64_t d = w[a] - w[i];
				uint64_t vh = var_add(bvar[h] - var[a], var[i]), vk = var_add(bvar[k] - var[i], var[a]);

				spread_consider(&best, risk(load[h] - d, vh, k_milli), risk(load[k] + d, vk, k_milli), k, a,
				                (uint32_t)i, 1);
			}
			work += nc;
		}
		/* Moves: each item of h to each other bin. */
		for (size_t a = 0; a < n; a++) {
			if (shard_of[a] != h)
				continue;
			for (uint32_t k = 0; k < shards; k++)
				if (k != h)
					spread_consider(&best, risk(load[h] - w[a], bvar[h] - var[a], k_milli),
					                risk(load[k] + w[a], var_add(bvar[k], var[a]), k_milli), k,
					                (uint32_t)a, 0, 0);
			work += shards;
		}
		if (best.value >= rh)
			break;
		load[h] -= w[best.a];
		load[best.to] += w[best.a];
		bvar[h] -= var[best.a];
		bvar[best.to] = var_add(bvar[best.to], var[best.a]);
		shard_of[best.a] = best.to;
		if (best.swap) {
			load[best.to] -= w[best.b];
			load[h] += w[best.b];
			bvar[best.to] -= var[best.b];
			bvar[h] = var_add(bvar[h], var[best.b]);
			shard_of[best.b] = h;
		}
	}
	hist__free(bvar);
	hist__free(cand);
	return HIST_OK;
}

/* ------------------------------------------------------------------ */
/* A stable merge sort of indexes with a context: qsort has none, and  */
/* qsort_r is not portable.                                            */

typedef int (*before_fn)(const void *ctx, uint32_t a, uint32_t b);

static void sort_idx(uint32_t *a, uint32_t *tmp, size_t n, before_fn before, const void *ctx)
{
	uint32_t *src = a, *dst = tmp;

	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = before(ctx, src[j], src[i]) ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

/* Puts a[] in `before` order, a stable sort only when it is not already
 * (the usual case: the history hands tests over in name order, and units
 * are made in test order). */
static void order_by(uint32_t *a, uint32_t *tmp, size_t n, before_fn before, const void *ctx)
{
	for (size_t i = 1; i < n; i++)
		if (before(ctx, a[i], a[i - 1])) {
			sort_idx(a, tmp, n, before, ctx);
			return;
		}
}

/* sort_desc's radix sort where every key fits in 32 bits (a test of up to
 * 71 minutes) and ties keep their order: each item travels with its key,
 * packed above it in 64 bits, so the passes read in order instead of
 * looking key[] up at random (a million tests' keys are 8 MB). Sorting
 * UINT32_MAX - key ascending is sorting key descending. Digits of
 * PACKED_BITS: their counts stay in the first-level cache and each pass
 * writes to few places at once, where 16-bit digits cleared, summed and
 * scattered over 65,536 counters a pass. Digits above the largest key's
 * are all ones in every item: no pass. *done 0: a key is too large, a[]
 * untouched. */
#define PACKED_BITS 11

static int sort_packed(int *done, uint32_t *a, size_t n, const int64_t *key)
{
	uint64_t *src = hist__malloc(n * sizeof *src), *dst = hist__malloc(n * sizeof *dst);
	size_t count[1u << PACKED_BITS];
	const uint64_t mask = (1u << PACKED_BITS) - 1;
	int64_t max = 0;
	int error = HIST_OK;

	*done = 0;
	if (!src || !dst) {
		error = HIST_E_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t k = key[a[i]];

		max = k > max ? k : max;
		src[i] = (uint64_t)(UINT32_MAX - (uint32_t)k) << 32 | a[i];
	}
	if (max > UINT32_MAX)
		goto done;
	for (unsigned int shift = 32; shift < 64 && (shift == 32 || max >> (shift - 32)); shift += PACKED_BITS) {
		size_t sum = 0;
		uint64_t *t;

		memset(count, 0, sizeof count);
		for (size_t i = 0; i < n; i++)
			count[src[i] >> shift & mask]++;
		for (size_t d = 0; d <= mask; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[src[i] >> shift & mask]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)src[i];
	*done = 1;
done:
	hist__free(src);
	hist__free(dst);
	return error;
}

/* Sorts a[] by key[a[i]] descending, ties by `before`: an LSD radix sort
 * on the keys (stable, 16 bits a pass, only as many passes as the largest
 * key needs), then each run of equal keys by `before`. A million tests sort
 * in milliseconds where a comparison sort took most of a second. Keys are
 * >= 0. With ties_in_order, a[] already comes in the order `before` gives
 * equal keys, and the stable radix sort keeps it: no comparison at all. */
static int sort_desc(uint32_t *a, uint32_t *tmp, size_t n, const int64_t *key, before_fn before,
                     const void *ctx, int ties_in_order)
{
	size_t *count;
	int64_t max = 0;
	uint32_t *src = a, *dst = tmp;

	if (n < 64) {
		sort_idx(a, tmp, n, before, ctx);
		return HIST_OK;
	}
	if (ties_in_order) {
		int done, error = sort_packed(&done, a, n, key);

		if (error < 0 || done)
			return error;
	}
	if (!(count = hist__malloc(65536 * sizeof *count)))
		return HIST_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (key[a[i]] > max)
			max = key[a[i]];
	for (unsigned int shift = 0; shift < 64 && (max >> shift) != 0; shift += 16) {
		size_t sum = 0;

		memset(count, 0, 65536 * sizeof *count);
		/* max - key sorts ascending where key sorts descending. */
		for (size_t i = 0; i < n; i++)
			count[(uint64_t)(max - key[src[i]]) >> shift & 0xffff]++;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(uint64_t)(max - key[src[i]]) >> shift & 0xffff]++] = src[i];
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	hist__free(count);
	for (size_t lo = 0, hi; !ties_in_order && lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && key[a[hi]] == key[a[lo]]; hi++)
			;
		if (hi - lo > 1)
			sort_idx(a + lo, tmp, hi - lo, before, ctx);
	}
	return HIST_OK;
}

/* Byte order, a shorter prefix first. */
static int name_before(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c < 0 || (c == 0 && alen < blen);
}

/* ------------------------------------------------------------------ */
/* Units (what the scope keeps whole) and pieces (units glued together */
/* by a module's set-up, which each shard running part of it pays).    */

#define NONE UINT32_MAX

/* Walks in weight order jump over arrays in test order (megabytes at a
 * million tests): each asks for what it needs this many steps ahead, so
 * it does not wait for memory on every step. */
#define AHEAD 16

typedef struct {
	int64_t w;       /* its units' work + the module's set-up */
	uint32_t first;  /* its first unit in unit order: ties break on it */
	uint32_t module; /* NONE: a lone unit with no set-up */
	uint32_t units;
	int tried; /* splitting it did not pay */
} piece;

typedef struct {
	const hist__plan_test *tests;
	const hist__plan_input *in;
	size_t n;
	uint32_t *trank; /* tests, longest first, ties by nodeid */
	size_t units;
	uint32_t *unit_of; /* per test */
	int64_t *uw;       /* per unit: its tests' cost (+ set-up at module scope) */
	uint32_t *umod, *uname, *ulen, *urank, *uorder;
	uint32_t *ugroup; /* per unit: the group + 1 that names it; 0: none */
	uint32_t *gitem;  /* per group: its item in workers_makespan, or NONE */
	int64_t *charge; /* per module: set-up each shard pays (0 at module scope) */
	int charged;
	int64_t work, longest;
	/* pieces */
	piece *pc; /* room for one per unit */
	size_t pieces;
	uint32_t *upiece, *saved_upiece, *saved_items;
	int64_t *pkey;  /* piece weights, for sorting */
	size_t *mstart; /* units of module m: munits[mstart[m] .. mstart[m+1]) */
	uint32_t *munits;
	/* partition scratch, sized for the most shards tried */
	uint32_t *items, *tmp, *ishard;
	int64_t *iw, *load;
	uint32_t *ushard; /* the answer: shard of each unit */
	int64_t *pred;    /* per shard, for the search */
	uint32_t *mstamp;
	uint32_t *cstamp; /* per class with set-up, like mstamp */
	uint64_t *ivar;   /* per item: its tests' spreads squared (with spread_milli) */
} ctx;

static int test_before(const void *c, uint32_t a, uint32_t b)
{
	const hist__plan_test *t = ((const ctx *)c)->tests;

	if (t[a].cost_us != t[b].cost_us)
		return t[a].cost_us > t[b].cost_us;
	return name_before(t[a].id, t[a].len, t[b].id, t[b].len);
}

static int test_name_before(const void *c, uint32_t a, uint32_t b)
{
	const hist__plan_test *t = ((const ctx *)c)->tests;

	return name_before(t[a].id, t[a].len, t[b].id, t[b].len);
}

static int unit_before(const void *c, uint32_t a, uint32_t b)
{
	const ctx *x = c;
	const hist__plan_test *t = x->tests;

	if (x->uw[a] != x->uw[b])
		return x->uw[a] > x->uw[b];
	return name_before(t[x->uname[a]].id, x->ulen[a], t[x->uname[b]].id, x->ulen[b]);
}

static int unit_name_before(const void *c, uint32_t a, uint32_t b)
{
	const ctx *x = c;
	const hist__plan_test *t = x->tests;

	return name_before(t[x->uname[a]].id, x->ulen[a], t[x->uname[b]].id, x->ulen[b]);
}

static int piece_before(const void *c, uint32_t a, uint32_t b)
{
	const ctx *x = c;

	if (x->pc[a].w != x->pc[b].w)
		return x->pc[a].w > x->pc[b].w;
	return x->urank[x->pc[a].first] < x->urank[x->pc[b].first];
}

static size_t unit_key_len(const hist__plan_test *t, hist_scope scope)
{
	return hist__nodeid_scope_len(t->id, t->len, scope);
}

static unsigned int workers_of(const ctx *x);

static int make_units(ctx *x)
{
	const hist__plan_test *t = x->tests;
	const hist__plan_input *in = x->in;
	hist__strmap classes = HIST__STRMAP_INIT;
	uint32_t *by_module = NULL, *by_class = NULL;
	int error = HIST_OK;

	x->units = 0;
	if ((in->scope == HIST_SCOPE_MODULE &&
	     !(by_module = hist__malloc((in->modules ? in->modules : 1) * sizeof *by_module))) ||
	    (in->classes && !(by_class = hist__malloc(in->classes * sizeof *by_class)))) {
		hist__free(by_module);
		return HIST_E_NOMEM;
	}
	for (size_t m = 0; by_module && m < in->modules; m++)
		by_module[m] = NONE;
	for (size_t c = 0; c < in->classes; c++)
		by_class[c] = NONE;
	for (size_t i = 0; i < x->n; i++) {
		uint32_t u = (uint32_t)x->units;
		int added = 1;

		/* A class with set-up is one unit at test scope: its tests stay
		 * together and its set-up is paid once. Not with workers: xdist
		 * hands a class's tests to any worker, each paying the set-up
		 * (workers_makespan), so the unit would promise what no run does. */
		if (in->scope == HIST_SCOPE_TEST && t[i].klass && workers_of(x) == 1 &&
		    by_class[t[i].klass - 1] != NONE) {
			u = by_class[t[i].klass - 1];
			added = 0;
		} else if (in->scope == HIST_SCOPE_CLASS) {
			size_t len = unit_key_len(&t[i], HIST_SCOPE_CLASS);
			if ((error = hist__strmap_put(&u, &added, &classes, t[i].id, len, u)) < 0)
				goto done;
		} else if (in->scope == HIST_SCOPE_MODULE) {
			if (by_module[t[i].module] != NONE) {
				u = by_module[t[i].module];
				added = 0;
			} else {
				by_module[t[i].module] = u;
			}
		}
		if (added) {
			x->uw[u] = 0;
			x->umod[u] = t[i].module;
			x->uname[u] = (uint32_t)i;
			x->ulen[u] = (uint32_t)unit_key_len(&t[i], in->scope);
			x->units++;
		}
		x->unit_of[i] = u;
		x->uw[u] += t[i].cost_us;
		/* Every scope keeps a class in one unit, which pays its set-up. */
		if (t[i].klass && by_class[t[i].klass - 1] == NONE && (workers_of(x) == 1 || in->scope != HIST_SCOPE_TEST)) {
			by_class[t[i].klass - 1] = u;
			x->uw[u] += in->class_setup[t[i].klass - 1];
		}
	}
	for (size_t m = 0; by_module && m < in->modules; m++)
		if (by_module[m] != NONE)
			x->uw[by_module[m]] += in->module_setup[m];
done:
	hist__strmap_free(&classes);
	hist__free(by_module);
	hist__free(by_class);
	return error;
}

/* Units are what the scope keeps whole; a group (--hist-group-marker)
 * keeps its tests whole too, so units sharing a group become one (by
 * union-find, in unit order). A joined unit is named by its first test's
 * group: the hash fallback places it by that key. */
static uint32_t find_root(uint32_t *parent, uint32_t u)
{
	while (parent[u] != u) {
		parent[u] = parent[parent[u]];
		u = parent[u];
	}
	return u;
}

static int join_groups(ctx *x)
{
	const hist__plan_test *t = x->tests;
	uint32_t *parent = NULL, *first = NULL, *renum = NULL;
	size_t units = x->units, joined = 0;

	if (!x->in->groups)
		return HIST_OK;
	if (!(parent = hist__malloc(units * sizeof *parent)) ||
	    !(first = hist__malloc(x->in->groups * sizeof *first)) ||
	    !(renum = hist__malloc(units * sizeof *renum))) {
		hist__free(parent);
		hist__free(first);
		return HIST_E_NOMEM;
	}
	for (size_t u = 0; u < units; u++) {
		parent[u] = (uint32_t)u;
		x->ugroup[u] = 0;
	}
	for (size_t g = 0; g < x->in->groups; g++)
		first[g] = NONE;
	for (size_t i = 0; i < x->n; i++) {
		uint32_t g = t[i].group, u = x->unit_of[i];

		if (!g)
			continue;
		if (first[g - 1] == NONE) {
			first[g - 1] = u;
		} else {
			uint32_t a = find_root(parent, u), b = find_root(parent, first[g - 1]);
			/* The lower unit stays the root: unit order is kept. */
			if (a != b)
				parent[a > b ? a : b] = a < b ? a : b;
		}
	}
	/* Roots keep their unit's name and module; the others fold in. */
	for (size_t u = 0; u < units; u++) {
		uint32_t r = find_root(parent, (uint32_t)u);

		if (r == u) {
			renum[u] = (uint32_t)joined;
			x->uw[joined] = x->uw[u];
			x->umod[joined] = x->umod[u];
			x->uname[joined] = x->uname[u];
			x->ulen[joined] = x->ulen[u];
			joined++;
		} else {
			x->uw[renum[r]] += x->uw[u];
		}
	}
	for (size_t i = 0; i < x->n; i++) {
		uint32_t u = renum[find_root(parent, x->unit_of[i])];

		x->unit_of[i] = u;
		if (t[i].group && !x->ugroup[u])
			x->ugroup[u] = t[i].group;
	}
	x->units = joined;
	hist__free(parent);
	hist__free(first);
	hist__free(renum);
	return HIST_OK;
}

/* Cuts piece p into k parts by LPT over its units; the first part keeps
 * p's index, the others are appended. Pieces never outnumber units, so
 * the piece array (sized for the units) always has room. */
static void split_piece(ctx *x, uint32_t p, uint32_t k)
{
	uint32_t module = x->pc[p].module, first = (uint32_t)x->pieces;
	int64_t *loads = x->load; /* free between partitions; holds `shards` */

	if (k > x->pc[p].units)
		k = x->pc[p].units;
	if (k < 2)
		return;
	for (uint32_t g = 0; g < k; g++) {
		x->pc[g ? first + g - 1 : p] = (piece){x->charge[module], NONE, module, 0, 0};
		loads[g] = 0;
	}
	x->pieces += k - 1;
	/* The module's units in unit order (heaviest first), each to the
	 * lightest part. */
	for (size_t r = x->mstart[module]; r < x->mstart[module + 1]; r++) {
		uint32_t u = x->munits[r], g = 0, id;

		if (x->upiece[u] != p)
			continue;
		for (uint32_t h = 1; h < k; h++)
			if (loads[h] < loads[g])
				g = h;
		loads[g] += x->uw[u];
		id = g ? first + g - 1 : p;
		x->upiece[u] = id;
		x->pc[id].w += x->uw[u];
		x->pc[id].units++;
		if (x->pc[id].first == NONE)
			x->pc[id].first = u;
	}
}

/* Puts piece p back into the sorted items (n of them, p not among them). */
static void insert_item(ctx *x, size_t n, uint32_t p)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (piece_before(x, x->items[mid], p))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(x->items + lo + 1, x->items + lo, (n - lo) * sizeof *x->items);
	x->items[lo] = p;
}

/* After piece p was split into p and pieces [from, x->pieces): items was
 * sorted before; take p out and put every part in its place. */
static void resort_after_split(ctx *x, uint32_t p, size_t from)
{
	size_t n = from, w = 0;

	for (size_t i = 0; i < n; i++)
		if (x->items[i] != p)
			x->items[w++] = x->items[i];
	insert_item(x, w++, p);
	for (size_t q = from; q < x->pieces; q++)
		insert_item(x, w++, (uint32_t)q);
}

/* Partitions the current items (pieces in order, or units when no module
 * charges a set-up) into `shards`; fills ushard and returns the largest
 * load. */
/* With --workers W each shard is W bins, one a worker: balancing the N x W
 * bins balances every shard's W-worker makespan, and ishard holds bins. */
static unsigned int workers_of(const ctx *x)
{
	return x->in->workers > 1 ? x->in->workers : 1;
}

/* The items' variances (their tests' spreads squared, µs²) into ivar, then
 * hist__spread over the partition in ishard and load. */
static int spread_items(ctx *x, size_t m, unsigned int bins, uint64_t effort)
{
	memset(x->ivar, 0, (m ? m : 1) * sizeof *x->ivar);
	/* tmp: piece -> item (free until partition_pieces maps the shards). */
	for (size_t i = 0; x->charged && i < m; i++)
		x->tmp[x->items[i]] = (uint32_t)i;
	for (size_t i = 0; i < x->n; i++) {
		uint32_t u = x->unit_of[i], item = x->charged ? x->tmp[x->upiece[u]] : x->urank[u];
		uint64_t sd = x->in->spread_us[i];

		x->ivar[item] = var_add(x->ivar[item], sd * sd);
	}
	return hist__spread(x->ishard, x->load, x->iw, x->ivar, m, bins, x->in->spread_milli, effort);
}

/* final: the plan kept (not a trial of solve's), which spreads noisy
 * items when asked to. */
static int partition_pieces(int64_t *makespan, ctx *x, unsigned int shards, uint64_t effort, int final)
{
	size_t m = x->charged ? x->pieces : x->units;
	unsigned int w = workers_of(x), bins = shards * w;
	int error;

	for (size_t i = 0; i < m; i++)
		x->iw[i] = x->charged ? x->pc[x->items[i]].w : x->uw[x->uorder[i]];
	if ((error = hist__partition(x->ishard, x->load, x->iw, m, bins, effort)) < 0)
		return error;
	if (final && x->ivar && (error = spread_items(x, m, bins, effort)) < 0)
		return error;
	*makespan = 0;
	for (unsigned int k = 0; k < bins; k++)
		if (x->load[k] > *makespan)
			*makespan = x->load[k];
	if (!x->charged) {
		for (size_t i = 0; i < m; i++)
			x->ushard[x->uorder[i]] = x->ishard[i] / w;
	} else {
		/* items[] maps order to piece; turn it into piece -> shard. */
		for (size_t i = 0; i < m; i++)
			x->tmp[x->items[i]] = x->ishard[i] / w;
		for (size_t u = 0; u < x->units; u++)
			x->ushard[u] = x->tmp[x->upiece[u]];
	}
	return HIST_OK;
}

/* The heaviest piece of the heaviest shard that splitting might help. */
static uint32_t split_candidate(const ctx *x, unsigned int shards)
{
	uint32_t h = 0;

	for (uint32_t k = 1; k < shards; k++)
		if (x->load[k] > x->load[h])
			h = k;
	for (size_t i = 0; i < x->pieces; i++) {
		const piece *p = &x->pc[x->items[i]];
		if (x->ishard[i] == h && p->module != NONE && p->units >= 2 && !p->tried)
			return x->items[i];
	}
	return NONE;
}

/* The plan for `shards` shards by estimate: ushard for every unit. */
static int solve(ctx *x, unsigned int shards)
{
	unsigned int bins = shards * workers_of(x);
	int64_t bound = x->work / bins + (x->work % bins != 0), makespan, trial;
	/* Trials only compare plans; the chosen one gets the full effort. */
	uint64_t effort = x->in->effort, trial_effort = effort / 8 ? effort / 8 : 1;
	int error, attempts = 0;

	if (x->longest > bound)
		bound = x->longest;
	if (!x->charged)
		return partition_pieces(&makespan, x, shards, effort, 1);
	/* Each module with a set-up starts as one piece. A piece more than twice
	 * the bound cannot stay whole in any good plan: cut it into parts about
	 * the bound's size, each paying the set-up (halving would take too many
	 * rounds for a module many shards long). */
	x->pieces = 0;
	for (size_t m = 0; m < x->in->modules; m++)
		x->mstamp[m] = NONE;
	for (size_t r = 0; r < x->units; r++) {
		uint32_t u = x->uorder[r], m = x->umod[u], p;

		if (r + AHEAD < x->units) {
			uint32_t v = x->uorder[r + AHEAD];
			__builtin_prefetch(&x->umod[v]);
			__builtin_prefetch(&x->uw[v]);
			__builtin_prefetch(&x->upiece[v], 1);
		}

		if (x->charge[m] > 0 && x->mstamp[m] != NONE) {
			p = x->mstamp[m];
		} else {
			p = (uint32_t)x->pieces++;
			x->pc[p] = (piece){x->charge[m] > 0 ? x->charge[m] : 0, u,
			                   x->charge[m] > 0 ? m : NONE, 0, 0};
			if (x->charge[m] > 0)
				x->mstamp[m] = p;
		}
		x->upiece[u] = p;
		x->pc[p].w += x->uw[u];
		x->pc[p].units++;
	}
	for (size_t p = 0, end = x->pieces; p < end; p++) {
		const piece *q = &x->pc[p];
		if (q->module != NONE && q->units >= 2 && q->w / 2 > bound) {
			int64_t k = q->w / bound + (q->w % bound != 0);

			/* split_piece keeps its part loads in load[]: `shards` of them. */
			if (k > (int64_t)shards)
				k = shards;
			split_piece(x, (uint32_t)p, (uint32_t)k);
		}
	}
	for (size_t p = 0; p < x->pieces; p++) {
		x->items[p] = (uint32_t)p;
		x->pkey[p] = x->pc[p].w;
	}
	if ((error = sort_desc(x->items, x->tmp, x->pieces, x->pkey, piece_before, x, 0)) < 0 ||
	    (error = partition_pieces(&makespan, x, shards, trial_effort, 0)) < 0)
		return error;
	/* Then cut in two the heaviest piece of the heaviest shard, as long as
	 * the plan gets shorter: splitting a scope only where it pays. Within
	 * 0.1% of the bound there is nothing left worth a set-up. */
	for (; attempts < SPLIT_ATTEMPTS && (makespan - bound) * 1000 > bound; attempts++) {
		uint32_t p = split_candidate(x, bins);
		size_t pieces = x->pieces;
		piece saved;

		if (p == NONE)
			break;
		saved = x->pc[p];
		memcpy(x->saved_upiece, x->upiece, x->units * sizeof *x->upiece);
		memcpy(x->saved_items, x->items, pieces * sizeof *x->items);
		split_piece(x, p, 2);
		resort_after_split(x, p, pieces);
		if ((error = partition_pieces(&trial, x, shards, trial_effort, 0)) < 0)
			return error;
		if (trial < makespan) {
			makespan = trial;
			continue;
		}
		memcpy(x->upiece, x->saved_upiece, x->units * sizeof *x->upiece);
		memcpy(x->items, x->saved_items, pieces * sizeof *x->items);
		x->pieces = pieces;
		x->pc[p] = saved;
		x->pc[p].tried = 1;
		if ((error = partition_pieces(&makespan, x, shards, trial_effort, 0)) < 0)
			return error;
	}
	/* The same partition again when the effort is the trials', then spread. */
	if (effort == trial_effort && !x->ivar)
		return HIST_OK;
	return partition_pieces(&makespan, x, shards, effort, 1);
}

/* The stable hash plan: each unit on the shard hist_nodeid_hash of its
 * name picks, the nodeid at test scope, the scope's prefix at class and
 * module scope, the group key for a group. Any machine (or the plugin) can recompute it. */
static void solve_by_hash(ctx *x, unsigned int shards)
{
	const hist__plan_test *t = x->tests;

	for (size_t u = 0; u < x->units; u++) {
		const char *key = x->ugroup[u] ? x->in->group_keys[x->ugroup[u] - 1] : NULL;

		x->ushard[u] = (uint32_t)((key ? hist_nodeid_hash(key, strlen(key))
		                               : hist_nodeid_hash(t[x->uname[u]].id, x->ulen[u])) %
		                          shards);
	}
}

/* Orders tests shard by shard, each shard longest first (trank order),
 * by a counting sort: order[start[k] .. start[k+1]) are shard k's. */
static void order_by_shard(const ctx *x, unsigned int shards, uint32_t *order, size_t *start)
{
	uint32_t *shard_of = x->tmp; /* free after solving */

	for (unsigned int k = 0; k <= shards; k++)
		start[k] = 0;
	for (size_t i = 0; i < x->n; i++) {
		shard_of[i] = x->ushard[x->unit_of[i]];
		start[shard_of[i] + 1]++;
	}
	for (unsigned int k = 0; k < shards; k++)
		start[k + 1] += start[k];
	/* trank jumps over the tests: one look-up a test, asked for ahead. */
	for (size_t r = 0; r < x->n; r++) {
		uint32_t i = x->trank[r];
		if (r + AHEAD < x->n)
			__builtin_prefetch(&shard_of[x->trank[r + AHEAD]]);
		order[start[shard_of[i]]++] = i;
	}
	/* The fill advanced each start to the next shard's; shift back. */
	for (unsigned int k = shards; k > 0; k--)
		start[k] = start[k - 1];
	start[0] = 0;
}

static int item_before(const void *c, uint32_t a, uint32_t b)
{
	(void)c;
	return a < b;
}

/* The W-worker makespan of shard order[from..to) (tests longest first):
 * LPT as the hist xdist scheduler runs it, a group one item (its tests'
 * sum, on one worker), each item to the least loaded worker; then each
 * worker pays the set-up of the modules it runs part of. Scratch: iw,
 * items, ishard, tmp, gitem (free between partitions). -1: out of memory. */
static int64_t workers_makespan(ctx *x, const uint32_t *order, size_t from, size_t to, unsigned int w)
{
	const hist__plan_test *t = x->tests;
	const int64_t *setup = x->in->module_setup;
	uint32_t *item_of = x->ishard, *worker_of = x->tmp; /* per shard test; per item */
	size_t items = 0;
	int64_t loads[HIST_MAX_WORKERS] = {0}, makespan = 0;

	for (size_t r = from; r < to; r++) {
		const hist__plan_test *ti = &t[order[r]];
		uint32_t it;

		if (ti->group && x->gitem[ti->group - 1] != NONE) {
			it = x->gitem[ti->group - 1];
			x->iw[it] += ti->cost_us;
		} else {
			it = (uint32_t)items++;
			if (ti->group)
				x->gitem[ti->group - 1] = it;
			x->iw[it] = ti->cost_us;
			x->items[it] = it;
		}
		item_of[r - from] = it;
	}
	/* Ties keep item order (the shard's order). */
	if (sort_desc(x->items, x->tmp, items, x->iw, item_before, x, 1) < 0)
		makespan = -1;
	for (size_t i = 0; i < items && makespan == 0; i++) {
		unsigned int best = 0;

		for (unsigned int k = 1; k < w; k++)
			if (loads[k] < loads[best])
				best = k;
		loads[best] += x->iw[x->items[i]];
		worker_of[x->items[i]] = best;
	}
	/* Each worker is a process of its own: it pays the set-up of every
	 * module it runs part of. Stamps NONE - 1 - k stay apart from
	 * predict's shard stamps. */
	for (unsigned int k = 0; k < w && makespan == 0; k++)
		for (size_t r = from; r < to; r++) {
			uint32_t m = t[order[r]].module, c = t[order[r]].klass;

			if (setup[m] > 0 && worker_of[item_of[r - from]] == k && x->mstamp[m] != NONE - 1 - k) {
				x->mstamp[m] = NONE - 1 - k;
				loads[k] += setup[m];
			}
			if (c && worker_of[item_of[r - from]] == k && x->cstamp[c - 1] != NONE - 1 - k) {
				x->cstamp[c - 1] = NONE - 1 - k;
				loads[k] += x->in->class_setup[c - 1];
			}
		}
	for (unsigned int k = 0; k < w && makespan >= 0; k++)
		if (loads[k] > makespan)
			makespan = loads[k];
	/* Undo the stamps and the group map for the next shard. */
	for (size_t r = from; r < to; r++) {
		const hist__plan_test *ti = &t[order[r]];

		x->mstamp[ti->module] = NONE;
		if (ti->klass)
			x->cstamp[ti->klass - 1] = NONE;
		if (ti->group)
			x->gitem[ti->group - 1] = NONE;
	}
	return makespan;
}

/* Predicted time of every shard: start-up, its tests, and the set-up of
 * each module it runs part of; with workers, their makespan instead of the
 * sum. touched[m] (when given) counts the shards running part of module m.
 * Returns the largest prediction, -1 when out of memory. */
static int64_t predict(ctx *x, unsigned int shards, const uint32_t *order, const size_t *start, int64_t *pred,
                       uint32_t *touched)
{
	const hist__plan_test *t = x->tests;
	const int64_t *setup = x->in->module_setup;
	int64_t makespan = 0;

	for (size_t m = 0; m < x->in->modules; m++) {
		x->mstamp[m] = NONE;
		if (touched)
			touched[m] = 0;
	}
	for (size_t c = 0; c < x->in->classes; c++)
		x->cstamp[c] = NONE;
	for (unsigned int k = 0; k < shards; k++) {
		pred[k] = x->in->shard_overhead_us;
		for (size_t r = start[k]; r < start[k + 1]; r++) {
			const hist__plan_test *ti = &t[order[r]];

			if (r + AHEAD < start[k + 1])
				__builtin_prefetch(&t[order[r + AHEAD]]);
			pred[k] += ti->cost_us;
			/* Stamped with k: the module's set-up counts once per shard. */
			if (x->mstamp[ti->module] != k) {
				x->mstamp[ti->module] = k;
				pred[k] += setup[ti->module];
				if (touched)
					touched[ti->module]++;
			}
			if (ti->klass && x->cstamp[ti->klass - 1] != k) {
				x->cstamp[ti->klass - 1] = k;
				pred[k] += x->in->class_setup[ti->klass - 1];
			}
		}
		if (workers_of(x) > 1) {
			int64_t ms = workers_makespan(x, order, start[k], start[k + 1], workers_of(x));
			if (ms < 0)
				return -1;
			pred[k] = x->in->shard_overhead_us + ms;
		}
		if (pred[k] > makespan)
			makespan = pred[k];
	}
	return makespan;
}

/* Plans `shards` shards into ushard, then orders and predicts them. */
static int attempt(int64_t *makespan, ctx *x, unsigned int shards, uint32_t *order, size_t *start,
                   int64_t *pred, uint32_t *touched)
{
	int error;

	if (x->in->fallback)
		solve_by_hash(x, shards);
	else if ((error = solve(x, shards)) < 0)
		return error;
	order_by_shard(x, shards, order, start);
	*makespan = predict(x, shards, order, start, pred, touched);
	return *makespan < 0 ? HIST_E_NOMEM : HIST_OK;
}

/* --target-seconds: the fewest shards whose predicted makespan is within
 * target. Predictions mostly fall as N grows, so gallop up from the bound
 * the work gives, then bisect; when even `most` shards miss the target,
 * find the fewest that do as well as `most`. */
static int search(unsigned int *out, int *missed, ctx *x, unsigned int most, uint32_t *order, size_t *start,
                  int64_t *pred)
{
	int64_t target = x->in->target_us, ms;
	unsigned int fail = 0, hi = 0;
	int error;

	*missed = 0;
	for (int pass = 0; pass < 2; pass++) {
		/* No fewer shards can hold the work within the target. */
		int64_t room = (target - x->in->shard_overhead_us) * (int64_t)workers_of(x);
		unsigned int lo = most, n, step = 1;

		if (room > 0 && x->work / room < (int64_t)most)
			lo = (unsigned int)(x->work / room + (x->work % room != 0));
		/* --max-tests-per-shard asks for at least this many. */
		if (lo < x->in->min_shards)
			lo = x->in->min_shards < most ? x->in->min_shards : most;
		if (lo < 1)
			lo = 1;
		n = lo;
		fail = lo - 1;
		hi = 0;
		for (;;) {
			if ((error = attempt(&ms, x, n, order, start, pred, NULL)) < 0)
				return error;
			if (ms <= target) {
				hi = n;
				break;
			}
			fail = n;
			if (n == most)
				break;
			n = n + step < most ? n + step : most;
			step *= 2;
		}
		if (hi)
			break;
		/* `most` misses: aim at what `most` achieves (ms holds it). */
		*missed = 1;
		target = ms;
	}
	/* Plans are deterministic, so the second pass ends at `most` at the
	 * latest; should it not, `most` is the answer. */
	if (!hi) {
		hi = most;
		fail = most - 1;
	}
	while (hi - fail > 1) {
		unsigned int mid = fail + (hi - fail) / 2;

		if ((error = attempt(&ms, x, mid, order, start, pred, NULL)) < 0)
			return error;
		if (ms <= target)
			hi = mid;
		else
			fail = mid;
	}
	*out = hi;
	return HIST_OK;
}

#define ALLOC(ptr, count) (!((ptr) = hist__malloc(((count) ? (count) : 1) * sizeof *(ptr))))

int hist__plan_build(hist__plan_result *out, const hist__plan_test *tests, size_t n, const hist__plan_input *in,
                     hist__err *err)
{
	ctx x;
	size_t modules = in->modules ? in->modules : 1;
	unsigned int most = in->shards ? in->shards : in->max_shards ? in->max_shards : HIST_MAX_SHARDS;
	unsigned int shards = in->shards;
	size_t bins_most; /* load[] holds a bin a worker of each shard */
	uint32_t *touched = NULL;
	int error = HIST_OK;

	memset(&x, 0, sizeof x);
	memset(out, 0, sizeof *out);
	x.tests = tests;
	x.in = in;
	x.n = n;
	bins_most = (size_t)most * workers_of(&x);
	if (n >= NONE)
		return hist__error(err, HIST_E_INVALID, "too many tests to plan: %zu", n);
	if (ALLOC(x.trank, n) || ALLOC(x.tmp, n) || ALLOC(x.unit_of, n) || ALLOC(x.uw, n) ||
	    ALLOC(x.umod, n) || ALLOC(x.uname, n) || ALLOC(x.ulen, n) || ALLOC(x.urank, n) ||
	    ALLOC(x.uorder, n) || ALLOC(x.ugroup, n) || ALLOC(x.charge, modules) || ALLOC(x.mstamp, modules) || ALLOC(x.items, n) ||
	    ALLOC(x.iw, n) || ALLOC(x.ishard, n) || ALLOC(x.load, bins_most) ||
	    ALLOC(x.gitem, in->groups) || ALLOC(x.ushard, n) ||
	    ALLOC(x.upiece, n) || ALLOC(x.pc, n) || ALLOC(x.mstart, modules + 1) || ALLOC(out->order, n) ||
	    ALLOC(out->start, (size_t)most + 1) || ALLOC(out->predicted, most) || ALLOC(touched, modules) ||
	    ALLOC(x.cstamp, in->classes) || (in->spread_milli && in->spread_us && ALLOC(x.ivar, n))) {
		error = hist__error(err, HIST_E_NOMEM, "out of memory planning %zu tests", n);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		x.trank[i] = (uint32_t)i;
		x.iw[i] = tests[i].cost_us;
		if (tests[i].klass > in->classes) {
			error = hist__error(err, HIST_E_INVALID, "%s: class %u of %zu", tests[i].id, tests[i].klass,
			                    in->classes);
			goto done;
		}
	}
	memset(x.ugroup, 0, (n ? n : 1) * sizeof *x.ugroup);
	for (size_t g = 0; g < in->groups; g++)
		x.gitem[g] = NONE;
	/* By name first (mostly a check that they are, unless the caller
	 * knows), so the sorts by weight below need no name comparison. */
	if (!in->in_name_order)
		order_by(x.trank, x.tmp, n, test_name_before, &x);
	if ((error = sort_desc(x.trank, x.tmp, n, x.iw, test_before, &x, 1)) < 0 ||
	    (error = make_units(&x)) < 0 || (error = join_groups(&x)) < 0) {
		hist__error(err, error, "out of memory planning %zu tests", n);
		goto done;
	}
	if (in->scope == HIST_SCOPE_TEST && !in->groups && (!in->classes || workers_of(&x) > 1)) {
		/* One unit a test, in the same order. */
		memcpy(x.uorder, x.trank, n * sizeof *x.uorder);
	} else {
		for (size_t u = 0; u < x.units; u++)
			x.uorder[u] = (uint32_t)u;
		/* Units come in the order of their first tests, named by them at
		 * test scope: in name order when the tests are. */
		if (!(in->in_name_order && in->scope == HIST_SCOPE_TEST && !in->groups))
			order_by(x.uorder, x.tmp, x.units, unit_name_before, &x);
		if ((error = sort_desc(x.uorder, x.tmp, x.units, x.uw, unit_before, &x, 1)) < 0) {
			hist__error(err, error, "out of memory planning %zu tests", n);
			goto done;
		}
	}
	for (size_t r = 0; r < x.units; r++)
		x.urank[x.uorder[r]] = (uint32_t)r;
	x.work = 0;
	for (size_t i = 0; i < n; i++)
		x.work += tests[i].cost_us;
	for (size_t m = 0; m < in->modules; m++) {
		x.charge[m] = in->scope != HIST_SCOPE_MODULE ? in->module_setup[m] : 0;
		x.charged |= x.charge[m] > 0;
		x.work += in->module_setup[m];
	}
	for (size_t c = 0; c < in->classes; c++)
		x.work += in->class_setup[c];
	if (x.charged) {
		if (ALLOC(x.saved_upiece, n) || ALLOC(x.saved_items, n) || ALLOC(x.pkey, n) || ALLOC(x.munits, n)) {
			error = hist__error(err, HIST_E_NOMEM, "out of memory planning %zu tests", n);
			goto done;
		}
		/* Each module's units in unit order, for cutting pieces: a
		 * counting sort of uorder by module. */
		for (size_t m = 0; m <= in->modules; m++)
			x.mstart[m] = 0;
		for (size_t r = 0; r < x.units; r++)
			x.mstart[x.umod[x.uorder[r]] + 1]++;
		for (size_t m = 0; m < in->modules; m++)
			x.mstart[m + 1] += x.mstart[m];
		for (size_t r = 0; r < x.units; r++)
			x.munits[x.mstart[x.umod[x.uorder[r]]]++] = x.uorder[r];
		/* The fill advanced each start to the next module's; shift back. */
		for (size_t m = in->modules; m > 0; m--)
			x.mstart[m] = x.mstart[m - 1];
		x.mstart[0] = 0;
	}
	x.longest = 0;
	for (size_t u = 0; u < x.units; u++)
		if (x.uw[u] + x.charge[x.umod[u]] > x.longest)
			x.longest = x.uw[u] + x.charge[x.umod[u]];
	if (!shards && (error = search(&shards, &out->target_missed, &x, most, out->order, out->start,
	                               out->predicted)) < 0) {
		hist__error(err, error, "out of memory planning %zu tests", n);
		goto done;
	}
	if ((error = attempt(&out->makespan_us, &x, shards, out->order, out->start, out->predicted,
	                     touched)) < 0) {
		hist__error(err, error, "out of memory planning %zu tests", n);
		goto done;
	}
	out->shards = shards;
	out->work_us = x.work;
	out->longest_unit_us = x.longest;
	{
		unsigned int bins = shards * workers_of(&x);
		out->lower_bound_us = x.work / bins + (x.work % bins != 0);
	}
	if (x.longest > out->lower_bound_us)
		out->lower_bound_us = x.longest;
	out->lower_bound_us += in->shard_overhead_us;
	out->total_us = 0;
	for (unsigned int k = 0; k < shards; k++)
		out->total_us += out->predicted[k];
	out->scope_setup_us = 0;
	out->scopes_with_setup = out->scopes_split = 0;
	for (size_t m = 0; m < in->modules; m++) {
		if (in->module_setup[m] <= 0)
			continue;
		out->scopes_with_setup++;
		if (touched[m] > 1) {
			out->scopes_split++;
			out->scope_setup_us += (int64_t)(touched[m] - 1) * in->module_setup[m];
		}
	}
done:
	hist__free(x.trank);
	hist__free(x.tmp);
	hist__free(x.unit_of);
	hist__free(x.uw);
	hist__free(x.umod);
	hist__free(x.uname);
	hist__free(x.ulen);
	hist__free(x.urank);
	hist__free(x.uorder);
	hist__free(x.ugroup);
	hist__free(x.gitem);
	hist__free(x.charge);
	hist__free(x.mstamp);
	hist__free(x.cstamp);
	hist__free(x.ivar);
	hist__free(x.items);
	hist__free(x.iw);
	hist__free(x.ishard);
	hist__free(x.load);
	hist__free(x.ushard);
	hist__free(x.upiece);
	hist__free(x.saved_upiece);
	hist__free(x.saved_items);
	hist__free(x.pkey);
	hist__free(x.mstart);
	hist__free(x.munits);
	hist__free(x.pc);
	hist__free(touched);
	if (error < 0) {
		hist__free(out->order);
		hist__free(out->start);
		hist__free(out->predicted);
		memset(out, 0, sizeof *out);
	}
	return error;
}
