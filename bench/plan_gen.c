/* plan_gen.c - a generated history for planning benchmarks.
 * Writes RUNS runs of a TESTS-test suite into a new history database
 * through libhist's store, in one transaction per run: log-normal test
 * durations (median 50 ms, sigma 1.5, as real suites have), 10% noise from
 * run to run, 200 tests a file, a class in every other file, parameters in
 * some nodeids, and a session record per run (wall and collection time) so
 * the overheads are learnt. Deterministic: the same arguments give the same
 * history.
 *
 *   plan_gen DB TESTS RUNS        e.g. plan_gen /tmp/h.db 1000000 5
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "rng.h"
#include "store.h"

static double normal(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static void nodeid(char *buf, size_t size, long i)
{
	long file = i / 200, k = i % 200;

	if (file % 2)
		snprintf(buf, size, "tests/pkg%ld/test_mod%ld.py::TestGroup%ld::test_case%ld%s", file % 50,
		         file, k / 20, k, k % 7 == 0 ? "[param-a::b]" : "");
	else
		snprintf(buf, size, "tests/pkg%ld/test_mod%ld.py::test_case%ld%s", file % 50, file, k,
		         k % 5 == 0 ? "[x/y-1]" : "");
}

static int fail(hist_db *db, const char *what)
{
	fprintf(stderr, "plan_gen: %s: %s\n", what, hist_db_errmsg(db));
	hist_db_free(db);
	return 1;
}

int main(int argc, char **argv)
{
	hist_db *db;
	double *base;
	long tests, runs;
	char id[256];

	if (argc != 4 || (tests = atol(argv[2])) <= 0 || (runs = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: plan_gen DB TESTS RUNS\n");
		return 2;
	}
	remove(argv[1]);
	rng_state = 12345;
	if (!(base = malloc((size_t)tests * sizeof *base)))
		return 1;
	for (long i = 0; i < tests; i++)
		base[i] = exp(log(50000.0) + 1.5 * normal());
	if (hist_db_open(&db, argv[1], NULL) < 0)
		return fail(db, argv[1]);
	for (long r = 0; r < runs; r++) {
		hist__session session = HIST__SESSION_INIT;
		unsigned char hash[16] = {0};
		char run_id[32];
		int64_t run, total = 0;
		int added;

		snprintf(run_id, sizeof run_id, "gen-%ld", r);
		if (hist__store_begin(db) < 0 ||
		    hist__store_run(&run, db, "default", run_id, 1700000000000000 + r * 3600000000) < 0)
			return fail(db, "run");
		for (long i = 0; i < tests; i++) {
			int64_t us = (int64_t)(base[i] * (1.0 + 0.1 * normal()));
			hist__record rec;

			if (us < 0)
				us = 0;
			nodeid(id, sizeof id, i);
			rec = (hist__record){id, strlen(id), 0, HIST_OUTCOME_PASSED, us, us / 50, 1, 0};
			total += us;
			if (hist__store_result(&added, db, run, &rec) < 0)
				return fail(db, "result");
		}
		/* pytest's own cost: 2 ms a test; 20 s of collection. */
		session.start_us = 1700000000000000 + r * 3600000000;
		session.collect_us = 20000000;
		session.wall_us = total + 2000 * tests + session.collect_us;
		memcpy(hash, &r, sizeof r);
		if (hist__store_input_add(db, hash, NULL, run, &session, tests, total) < 0 ||
		    hist__store_commit(db) < 0)
			return fail(db, "commit");
		fprintf(stderr, "plan_gen: run %ld of %ld\n", r + 1, runs);
	}
	hist_db_free(db);
	free(base);
	return 0;
}
