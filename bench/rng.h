/* rng.h - the benchmarks' random numbers: splitmix64, small and good enough
 * for test data, and the same on every machine, so a generated suite or
 * history is the same wherever it is made. Set rng_state to seed it. */
#ifndef HIST_BENCH_RNG_H
#define HIST_BENCH_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1), never 0, so log() of it is finite. */
static double uniform(void)
{
	return ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
}

#endif
