/* plan_quality.c - how close plans come to the lower bound.
 * Generates suites with log-normal test durations (as real suites have: a
 * few slow tests, many fast ones), partitions each with plain LPT and with
 * hist's LPT + improvement pass, and prints the predicted makespan of both
 * against the lower bound max(total / N, longest test). Deterministic: a
 * fixed seed per row, so the table is the same on every machine.
 *
 *   build/bench/plan_quality [--quick]       (bench/plan_quality.sh builds it)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"
#include "rng.h"

/* Log-normal with median exp(mu) and shape sigma (Box-Muller). */
static double lognormal(double mu, double sigma)
{
	double u = uniform(), v = uniform();
	return exp(mu + sigma * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static int desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {1000, 10000, 100000};
	static const unsigned shards[] = {2, 4, 8, 16, 32, 64};
	/* sigma 0 stands for the SPEC's JUnit case: 40% of tests read 0.000,
	 * the rest log-normal (sigma 1.5); every test pays 4 ms of overhead. */
	static const double sigmas[] = {1.0, 1.5, 2.0, 0.0};
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int bad = 0, rows = 0, within = 0;
	double worst = 0;

	printf("%7s %6s %5s %14s %14s %14s %9s %9s %8s %s\n", "tests", "shards", "sigma", "lower bound s",
	       "LPT s", "hist s", "LPT over", "hist over", "hist ms", "");
	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		for (size_t gi = 0; gi < sizeof sigmas / sizeof *sigmas; gi++) {
			for (size_t ni = 0; ni < sizeof shards / sizeof *shards; ni++) {
				size_t n = sizes[si];
				unsigned int k = shards[ni];
				int64_t *w = malloc(n * sizeof *w), *load = malloc(k * sizeof *load);
				uint32_t *of = malloc(n * sizeof *of);
				int64_t total = 0, bound, lpt = 0, best = 0;
				double t0, t1;
				const char *verdict;

				if (quick && n > 10000)
					continue;
				rng_state = 1000003u * n + 101u * k + (uint64_t)(sigmas[gi] * 10);
				/* Median 50 ms: a typical unit test suite with a long tail. */
				for (size_t i = 0; i < n; i++) {
					if (sigmas[gi] > 0)
						w[i] = (int64_t)llround(lognormal(log(50000.0), sigmas[gi]));
					else
						w[i] = 4000 +
						       (uniform() < 0.4
						            ? 0
						            : (int64_t)llround(lognormal(log(50000.0), 1.5)));
					total += w[i];
				}
				qsort(w, n, sizeof *w, desc);
				bound = total / k + (total % k != 0);
				if (w[0] > bound)
					bound = w[0];
				hist__partition(of, load, w, n, k, 0);
				for (unsigned j = 0; j < k; j++)
					lpt = load[j] > lpt ? load[j] : lpt;
				t0 = seconds();
				hist__partition(of, load, w, n, k, HIST_PLAN_EFFORT_DEFAULT);
				t1 = seconds();
				for (unsigned j = 0; j < k; j++)
					best = load[j] > best ? load[j] : best;
				verdict = best > lpt                             ? "WORSE THAN LPT"
				          : (double)best <= 1.01 * (double)bound ? "ok (within 1%)"
				                                                 : "above 1%";
				if (best > lpt)
					bad = 1;
				rows++;
				within += (double)best <= 1.01 * (double)bound;
				if (100.0 * (double)(best - bound) / (double)bound > worst)
					worst = 100.0 * (double)(best - bound) / (double)bound;
				printf("%7zu %6u %5.1f %14.6f %14.6f %14.6f %8.3f%% %8.3f%% %8.1f %s\n", n, k,
				       sigmas[gi], bound / 1e6, lpt / 1e6, best / 1e6,
				       100.0 * (double)(lpt - bound) / (double)bound,
				       100.0 * (double)(best - bound) / (double)bound, (t1 - t0) * 1e3,
				       verdict);
				free(w);
				free(load);
				free(of);
			}
		}
	}
	printf(
	    "%d suites: hist within 1%% of the lower bound in %d, worse than LPT in %s, at most %.4f%% over "
	    "the bound (sigma 0 = 40%% zero durations + 4 ms overhead)\n",
	    rows, within, bad ? "SOME" : "none", worst);
	return bad;
}
