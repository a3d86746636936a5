/* speed_probe.c - how fast the machine runs, sampled while a benchmark runs.
 * usage: speed_probe OUT [INTERVAL_MS [CHUNK_MS]] (defaults 500 and 10).
 * Calibrates once how many rounds of a fixed integer chain take about
 * CHUNK_MS (the fastest of 7 tries), then, until it is killed or its
 * parent exits, times that same chunk every INTERVAL_MS, on each CPU it
 * may use in turn (a core slowed under the benchmark's own process is
 * sampled too, not only the idle one), and appends a line to OUT:
 * "<epoch seconds at the chunk's end> <chunk wall ms> <chunk CPU ms> <cpu>".
 * The chunk is the same work all session long, so a chunk that takes
 * longer means the machine ran slower (host contention, steal, a lower
 * clock, or a core shared with other work). A chunk's wall above its CPU
 * time is time the probe waited for a core. Duty cycle: CHUNK_MS in
 * INTERVAL_MS (2% of one core by default, shared among the CPUs).
 * bench/real.sh runs it. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A dependent chain: no memory traffic, no vectorising, one core's speed. */
static volatile uint64_t sink;
static void chunk(uint64_t rounds)
{
	uint64_t x = 88172645463325252u;

	for (uint64_t i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink = x;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: speed_probe OUT [INTERVAL_MS [CHUNK_MS]]\n");
		return 2;
	}
	long interval = argc > 2 ? atol(argv[2]) : 500;
	double target = argc > 3 ? atof(argv[3]) : 10.0;
	if (interval < 10 || target <= 0 || target >= (double)interval) {
		fprintf(stderr, "speed_probe: need 10 <= INTERVAL_MS and 0 < CHUNK_MS < INTERVAL_MS\n");
		return 2;
	}
	FILE *out = fopen(argv[1], "a");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	pid_t parent = getppid();
	cpu_set_t allowed;
	size_t cpus[CPU_SETSIZE], ncpus = 0;
	if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
		for (size_t c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &allowed))
				cpus[ncpus++] = c;
	uint64_t rounds = 1u << 16;
	double best = 0;
	for (;;) { /* grow until one chunk is measurable */
		double t0 = clock_ms(CLOCK_MONOTONIC);
		chunk(rounds);
		best = clock_ms(CLOCK_MONOTONIC) - t0;
		if (best >= 1.0)
			break;
		rounds *= 2;
	}
	for (int i = 0; i < 7; i++) {
		double t0 = clock_ms(CLOCK_MONOTONIC);
		chunk(rounds);
		double t = clock_ms(CLOCK_MONOTONIC) - t0;
		if (t < best)
			best = t;
	}
	rounds = (uint64_t)((double)rounds * target / best);
	if (rounds == 0)
		rounds = 1;
	fprintf(out, "# rounds %llu interval_ms %ld chunk_ms %.1f\n", (unsigned long long)rounds, interval, target);
	fflush(out);
	struct timespec pause = {interval / 1000, (interval % 1000) * 1000000L};
	for (size_t n = 0; getppid() == parent; n++) {
		if (ncpus > 1) {
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(cpus[n % ncpus], &one);
			sched_setaffinity(0, sizeof one, &one);
		}
		double w0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		chunk(rounds);
		double w1 = clock_ms(CLOCK_MONOTONIC), c1 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		fprintf(out, "%.3f %.3f %.3f %d\n", clock_ms(CLOCK_REALTIME) / 1e3, w1 - w0, c1 - c0, sched_getcpu());
		if (fflush(out) != 0)
			return 1;
		nanosleep(&pause, NULL);
	}
	return 0;
}
