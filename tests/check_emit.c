/* check_emit.c - the bytes a plan shows: shard files, plan.json, the
 * preview table, the SVG, and writing the directory (atomic files, stale
 * shard files removed, nothing left behind on failure). */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "check_util.h"
#include "emit.h"
#include "io.h"
#include "planner.h"
#include "nodeid.h"

/* a.py::x 3 s | a.py::y 2 s, b.py::z 1 s; 0.5 s start-up per shard. */
static hist_plan *small_plan(unsigned int shards)
{
	static const char *const ids[] = {"a.py::x", "a.py::y", "b.py::z"};
	static const int64_t cost[] = {3000000, 2000000, 1000000};
	int64_t setup[2] = {0, 0};
	hist_plan *p = hist__calloc(1, sizeof *p);
	hist__plan_input in;
	hist__err err = HIST__ERR_INIT;

	p->tests = hist__calloc(3, sizeof *p->tests);
	p->n = 3;
	for (uint32_t i = 0; i < 3; i++)
		p->tests[i] = (hist__plan_test){hist__arena_dup(&p->arena, ids[i], strlen(ids[i])),
		                                (uint32_t)strlen(ids[i]),
		                                i == 2,
		                                cost[i] - 1000,
		                                cost[i],
		                                1,
		                                0,
		                                0};
	p->suite = hist__strdup("unit \"fast\"");
	p->estimator = HIST_EST_EMA;
	p->alpha = 0.3;
	p->window = 10;
	p->without_history = 1;
	p->test_overhead_us = 1000;
	p->shard_overhead_us = 500000;
	p->shard_overhead_source = HIST_SOURCE_HISTORY;
	p->collect_per_test_us = 850;
	memset(&in, 0, sizeof in);
	in.scope = HIST_SCOPE_TEST;
	in.shards = shards;
	in.shard_overhead_us = 500000;
	in.effort = HIST_PLAN_EFFORT_DEFAULT;
	in.module_setup = setup;
	in.modules = 2;
	ck_assert_int_eq(hist__planner_finish(p, &in, &err), HIST_OK);
	return p;
}

static int to_buf(const char *data, size_t len, void *payload)
{
	return hist__buf_put(payload, data, len);
}

START_TEST(seconds_by_integers)
{
	hist__buf b = HIST__BUF_INIT(0);

	hist__emit_seconds(&b, 0, 3);
	hist__buf_puts(&b, " ");
	hist__emit_seconds(&b, 1234567, 3);
	hist__buf_puts(&b, " ");
	hist__emit_seconds(&b, 1234567, 6);
	hist__buf_puts(&b, " ");
	hist__emit_seconds(&b, 999500, 3);
	hist__buf_puts(&b, " ");
	hist__emit_seconds(&b, 999499, 3);
	ck_assert_str_eq(b.ptr, "0.000 1.235 1.234567 1.000 0.999");
	hist__buf_free(&b);
}
END_TEST

START_TEST(shard_file_format)
{
	hist_plan *p = small_plan(2);
	hist__buf b = HIST__BUF_INIT(0);
	char want[256];

	ck_assert_int_eq(hist__emit_shard(&b, p, 2), HIST_OK);
	snprintf(want, sizeof want,
	         "# hist plan %s\n# shard 2/2\n# predicted 3.500 s, 2 tests\na.py::y\nb.py::z\n",
	         hist_plan_id(p));
	ck_assert_str_eq(b.ptr, want);
	ck_assert_uint_eq(strlen(hist_plan_id(p)), 16);
	ck_assert_uint_eq(strspn(hist_plan_id(p), "0123456789abcdef"), 16);
	hist__buf_free(&b);
	hist_plan_free(p);
}
END_TEST

START_TEST(json_document)
{
	hist_plan *p = small_plan(2);
	hist__buf b = HIST__BUF_INIT(0);
	char want[2048];

	/* The plugin and histmerge --plan read how strict to be from this. */
	ck_assert_str_eq(hist_plan_test_list(p), "history");
	p->from_collection = 1;
	ck_assert_str_eq(hist_plan_test_list(p), "collection");
	ck_assert_int_eq(hist_plan_json(p, to_buf, &b), HIST_OK);
	snprintf(
	    want, sizeof want,
	    "{\n"
	    "  \"plan_id\": \"%s\",\n"
	    "  \"shard_count\": 2,\n"
	    "  \"shards\": [\n"
	    "    {\"index\": 1, \"file\": \"shard-1.txt\", \"tests\": 1, \"predicted_seconds\": 3.500000},\n"
	    "    {\"index\": 2, \"file\": \"shard-2.txt\", \"tests\": 2, \"predicted_seconds\": 3.500000}\n"
	    "  ],\n"
	    "  \"tests\": 3,\n"
	    "  \"tests_without_history\": 1,\n"
	    "  \"total_seconds\": 7.000000,\n"
	    "  \"work_seconds\": 6.000000,\n"
	    "  \"makespan_seconds\": 3.500000,\n"
	    "  \"lower_bound_seconds\": 3.500000,\n"
	    "  \"longest_unit_seconds\": 3.000000,\n"
	    "  \"target_seconds\": null,\n"
	    "  \"estimator\": \"ema\",\n"
	    "  \"alpha\": 0.3,\n"
	    "  \"window\": 10,\n"
	    "  \"scope\": \"test\",\n"
	    "  \"suite\": \"unit \\\"fast\\\"\",\n"
	    "  \"overheads\": {\n"
	    "    \"test_seconds\": 0.001000,\n"
	    "    \"test_source\": \"default\",\n"
	    "    \"shard_seconds\": 0.500000,\n"
	    "    \"shard_source\": \"history\",\n"
	    "    \"scope_setup_seconds\": 0.000000,\n"
	    "    \"scopes_with_setup\": 0,\n"
	    "    \"scopes_split\": 0,\n"
	    "    \"collect_per_test_seconds\": 0.000850\n"
	    "  },\n"
	    "  \"fallback\": null,\n"
	    "  \"test_list\": \"collection\"\n"
	    "}\n",
	    hist_plan_id(p));
	ck_assert_str_eq(b.ptr, want);
	hist__buf_free(&b);
	hist_plan_free(p);
}
END_TEST

START_TEST(preview_table)
{
	hist_plan *p = small_plan(3);
	hist__buf b = HIST__BUF_INIT(0);
	char want[2048];

	ck_assert_int_eq(hist_plan_preview(p, to_buf, &b), HIST_OK);
	/* Bars are 40 columns at the makespan (3.5 s): 2.5 s is 29 columns,
	 * 1.5 s 17; dots run up to the lower bound (3.5 s, all 40). */
	snprintf(
	    want, sizeof want,
	    "shard   tests  predicted  # = predicted, . = up to the lower bound\n"
	    "    1       1    3.500 s  ########################################\n"
	    "    2       1    2.500 s  #############################...........\n"
	    "    3       1    1.500 s  #################.......................\n"
	    "lower bound 3.500 s = shard start-up 0.500 s + max(work 6.000 s / 3, longest unit 3.000 s)\n"
	    "makespan    3.500 s, 0.00%% above the lower bound\n"
	    "overheads   per test 0.001 s (default), per shard 0.500 s (history), collection per test "
	    "0.000850 s, scope set-up paid again 0.000 s (0 of 0 modules with set-up split)\n"
	    "plan %s: 3 tests, 1 without history; ema alpha 0.3 over 10 runs, scope test\n",
	    hist_plan_id(p));
	ck_assert_str_eq(b.ptr, want);
	hist__buf_free(&b);
	hist_plan_free(p);
}
END_TEST

START_TEST(svg_picture)
{
	hist_plan *p = small_plan(2);
	hist__buf b = HIST__BUF_INIT(0);
	const char *s;
	int rects = 0;

	ck_assert_int_eq(hist_plan_svg(p, to_buf, &b), HIST_OK);
	ck_assert_int_eq(strncmp(b.ptr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44), 0);
	ck_assert_str_eq(b.ptr + b.len - 7, "</svg>\n");
	/* The suite's quotes are escaped for XML. */
	ck_assert_ptr_nonnull(strstr(b.ptr, "suite unit &quot;fast&quot;</text>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "<title>shard 2: 2 tests, 3.500 s</title>"));
	/* A background, then a start-up part and a tests part per shard. */
	for (s = b.ptr; (s = strstr(s, "<rect ")); s++)
		rects++;
	ck_assert_int_eq(rects, 1 + 2 * 2);
	hist__buf_free(&b);
	hist_plan_free(p);
}
END_TEST

static int fail_write(const char *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return -1;
}

START_TEST(writer_errors_are_io)
{
	hist_plan *p = small_plan(2);

	ck_assert_int_eq(hist_plan_json(p, fail_write, NULL), HIST_E_IO);
	ck_assert_int_eq(hist_plan_preview(p, fail_write, NULL), HIST_E_IO);
	ck_assert_int_eq(hist_plan_svg(p, fail_write, NULL), HIST_E_IO);
	hist_plan_free(p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The directory                                                        */

/* name in the test's scratch directory; the four slots are used in turn,
 * so one call can take several paths. */
static const char *at(const char *name)
{
	static int slot;

	slot = (slot + 1) % 4;
	return scratch_path(slot, name);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = calloc(1, 65536);

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fread(s, 1, 65535, f);
	fclose(f);
	return s;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
}

/* Names in the directory, sorted, space-separated. */
static char *listing(const char *path)
{
	struct dirent **names;
	char *s = calloc(1, 4096);
	int n = scandir(path, &names, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			strcat(s, names[i]->d_name);
			strcat(s, " ");
		}
		free(names[i]);
	}
	free(names);
	return s;
}

START_TEST(write_makes_the_directory)
{
	hist_plan *p = small_plan(2);
	char *one, *again, *names;
	struct stat st;

	ck_assert_int_eq(hist_plan_write(p, at("shards")), HIST_OK);
	names = listing(at("shards"));
	ck_assert_str_eq(names, "plan.json shard-1.txt shard-2.txt ");
	free(names);
	ck_assert_int_eq(stat(at("shards/shard-1.txt"), &st), 0);
	/* Readable like any file the user makes, not mkstemp's 0600. */
	ck_assert_int_eq(st.st_mode & 0444, 0444);
	one = slurp(at("shards/shard-1.txt"));
	ck_assert_ptr_nonnull(strstr(one, "# shard 1/2\n# predicted 3.500 s, 1 tests\na.py::x\n"));
	/* Again: the same bytes. */
	ck_assert_int_eq(hist_plan_write(p, at("shards")), HIST_OK);
	again = slurp(at("shards/shard-1.txt"));
	ck_assert_str_eq(one, again);
	free(one);
	free(again);
	hist_plan_free(p);
}
END_TEST

START_TEST(write_removes_stale_shards_only)
{
	hist_plan *p = small_plan(2);
	char *names;

	ck_assert_int_eq(mkdir(at("out"), 0777), 0);
	touch(at("out/shard-3.txt"));
	touch(at("out/shard-12.txt"));
	touch(at("out/shard-1.txt.bak"));
	touch(at("out/shard-03.txt"));
	touch(at("out/notes.txt"));
	ck_assert_int_eq(hist_plan_write(p, at("out")), HIST_OK);
	names = listing(at("out"));
	ck_assert_str_eq(names, "notes.txt plan.json shard-03.txt shard-1.txt shard-1.txt.bak shard-2.txt ");
	free(names);
	hist_plan_free(p);
}
END_TEST

START_TEST(write_failure_leaves_nothing)
{
	hist_plan *p = small_plan(2);
	char *names;

	/* A file where the directory should be. */
	touch(at("file"));
	ck_assert_int_eq(hist_plan_write(p, at("file")), HIST_E_IO);
	ck_assert_ptr_nonnull(strstr(hist_plan_errmsg(p), "not a directory"));
	/* A parent that is a file. */
	ck_assert_int_eq(hist_plan_write(p, at("file/such")), HIST_E_IO);
	/* A directory it made but could not write into (plan.json is a
	 * directory, so its rename fails after the shards are in place: those
	 * stay, as the newest plan's). */
	ck_assert_int_eq(mkdir(at("d"), 0777), 0);
	ck_assert_int_eq(mkdir(at("d/plan.json"), 0777), 0);
	ck_assert_int_eq(hist_plan_write(p, at("d")), HIST_E_IO);
	names = listing(at("d"));
	ck_assert_str_eq(names, "plan.json shard-1.txt shard-2.txt ");
	free(names);
	hist_plan_free(p);
}
END_TEST

static off_t size_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* The older plan in "keep" is whole: its files, its bytes, its stale
 * shard file (removed only after a plan is in place), and no temp file. */
static void older_plan_is_whole(char *const old[3])
{
	char *names = listing(at("keep")), *now;
	struct dirent **all;
	int n = scandir(at("keep"), &all, NULL, alphasort);

	ck_assert_str_eq(names, "plan.json shard-1.txt shard-2.txt shard-9.txt ");
	free(names);
	ck_assert_int_eq(n, 6); /* . and .. besides: no hidden temp file */
	for (int i = 0; i < n; i++)
		free(all[i]);
	free(all);
	now = slurp(at("keep/shard-1.txt"));
	ck_assert_str_eq(now, old[0]);
	free(now);
	now = slurp(at("keep/shard-2.txt"));
	ck_assert_str_eq(now, old[1]);
	free(now);
	now = slurp(at("keep/plan.json"));
	ck_assert_str_eq(now, old[2]);
	free(now);
}

/* A plan's files are placed all or none: a write that fails in the middle
 * (the file size limit, met by plan.json, the last and largest file) or a
 * failed sync leaves the older plan as it was. */
START_TEST(write_failure_keeps_the_older_plan)
{
	hist_plan *older = small_plan(2), *p = small_plan(3);
	char *old[3], *names;
	struct rlimit was, lim;
	off_t biggest_shard = 0;

	ck_assert_int_eq(hist_plan_write(older, at("keep")), HIST_OK);
	touch(at("keep/shard-9.txt"));
	old[0] = slurp(at("keep/shard-1.txt"));
	old[1] = slurp(at("keep/shard-2.txt"));
	old[2] = slurp(at("keep/plan.json"));
	/* The sizes of the new plan's files, to put the limit between. */
	ck_assert_int_eq(hist_plan_write(p, at("sizes")), HIST_OK);
	for (int k = 1; k <= 3; k++) {
		char name[32];

		snprintf(name, sizeof name, "sizes/shard-%d.txt", k);
		if (size_of(at(name)) > biggest_shard)
			biggest_shard = size_of(at(name));
	}
	ck_assert_int_gt(size_of(at("sizes/plan.json")), biggest_shard);

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = (rlim_t)biggest_shard;
	signal(SIGXFSZ, SIG_IGN); /* write fails with EFBIG instead */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ck_assert_int_eq(hist_plan_write(p, at("keep")), HIST_E_IO);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_ptr_nonnull(strstr(hist_plan_errmsg(p), "plan.json"));
	older_plan_is_whole(old);

	/* shard-2.txt fails its fsync, after every file was written. */
	hist__atomic_fail_sync_at(1);
	ck_assert_int_eq(hist_plan_write(p, at("keep")), HIST_E_IO);
	hist__atomic_fail_sync_at(-1);
	ck_assert_ptr_nonnull(strstr(hist_plan_errmsg(p), "shard-2.txt"));
	older_plan_is_whole(old);

	/* Then it succeeds: the whole new plan, the stale file gone. */
	ck_assert_int_eq(hist_plan_write(p, at("keep")), HIST_OK);
	names = listing(at("keep"));
	ck_assert_str_eq(names, "plan.json shard-1.txt shard-2.txt shard-3.txt ");
	free(names);
	for (int i = 0; i < 3; i++)
		free(old[i]);
	hist_plan_free(older);
	hist_plan_free(p);
}
END_TEST

/* More files than are kept open at once, with few descriptors to spare:
 * they are synced a batch at a time, and all placed. */
START_TEST(write_more_files_than_kept_open)
{
	enum { SHARDS = 2 * HIST__ATOMIC_OPEN_MAX + 1 };
	hist_plan *p = small_plan(SHARDS);
	struct rlimit was, lim;
	struct dirent **all;
	char *one, name[64];
	int n;

	ck_assert_int_le(SHARDS, HIST_MAX_SHARDS);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
	lim = was;
	lim.rlim_cur = HIST__ATOMIC_OPEN_MAX + 32;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	ck_assert_int_eq(hist_plan_write(p, at("many")), HIST_OK);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
	n = scandir(at("many"), &all, NULL, alphasort);
	ck_assert_int_eq(n, SHARDS + 1 + 2); /* shard files, plan.json, . and .. */
	for (int i = 0; i < n; i++)
		free(all[i]);
	free(all);
	snprintf(name, sizeof name, "many/shard-%d.txt", SHARDS);
	one = slurp(at(name));
	snprintf(name, sizeof name, "# shard %d/%d\n", SHARDS, SHARDS);
	ck_assert_ptr_nonnull(strstr(one, name));
	free(one);
	hist_plan_free(p);
}
END_TEST

/* n tests of 60-70 bytes, 1..n ms each, on `shards` shards: shard files
 * far larger than the piece they are written by. */
static hist_plan *big_plan(uint32_t n, unsigned int shards)
{
	int64_t setup[1] = {0};
	hist_plan *p = hist__calloc(1, sizeof *p);
	hist__plan_input in;
	hist__err err = HIST__ERR_INIT;
	char id[128];

	p->tests = hist__calloc(n, sizeof *p->tests);
	p->n = n;
	for (uint32_t i = 0; i < n; i++) {
		int len = snprintf(id, sizeof id, "tests/unit/test_module.py::TestClass::test_case[param-%u]", i);

		p->tests[i] = (hist__plan_test){hist__arena_dup(&p->arena, id, (size_t)len), (uint32_t)len, 0,
		                                (int64_t)(i + 1) * 1000, (int64_t)(i + 1) * 1000, 1, 0, 0};
	}
	p->suite = hist__strdup("default");
	p->estimator = HIST_EST_EMA;
	p->alpha = 0.3;
	p->window = 10;
	p->test_overhead_us = 1000;
	memset(&in, 0, sizeof in);
	in.scope = HIST_SCOPE_TEST;
	in.shards = shards;
	in.effort = HIST_PLAN_EFFORT_DEFAULT;
	in.module_setup = setup;
	in.modules = 1;
	ck_assert_int_eq(hist__planner_finish(p, &in, &err), HIST_OK);
	return p;
}

/* A shard file written in pieces holds every test once, in the plan's
 * order, after the header: the same bytes as the whole text. */
START_TEST(write_a_large_shard_file)
{
	enum { N = 5000 }; /* about 300 KB */
	hist_plan *p = big_plan(N, 1);
	hist__buf want = HIST__BUF_INIT(0);
	char *got = calloc(1, 1 << 20), *line;
	FILE *f;
	size_t len;

	ck_assert_int_eq(hist_plan_write(p, at("big")), HIST_OK);
	f = fopen(at("big/shard-1.txt"), "rb");
	ck_assert_ptr_nonnull(f);
	len = fread(got, 1, (1 << 20) - 1, f);
	fclose(f);
	ck_assert_uint_gt(len, 2 * 128 * 1024); /* more than two of emit.c's pieces */
	ck_assert_int_eq(hist__emit_shard(&want, p, 1), HIST_OK);
	ck_assert_uint_eq(len, want.len);
	ck_assert_int_eq(memcmp(got, want.ptr, len), 0);
	/* Apart from the emitter: the plan's own list, line by line. */
	line = strstr(got, " tests\n") + 7;
	for (size_t i = 0; i < N; i++) {
		const char *id = hist_plan_shard_test(p, 1, i);

		ck_assert_int_eq(strncmp(line, id, strlen(id)), 0);
		ck_assert_int_eq(line[strlen(id)], '\n');
		line += strlen(id) + 1;
	}
	ck_assert_int_eq(*line, '\0');
	free(got);
	hist__buf_free(&want);
	hist_plan_free(p);
}
END_TEST

/* Scratch file dir/name, NUL-terminated. */
static char *whole_file(size_t *len, const char *dir, const char *name)
{
	char rel[128], *s = calloc(1, 4 << 20);
	FILE *f;

	snprintf(rel, sizeof rel, "%s/%s", dir, name);
	f = fopen(at(rel), "rb");
	ck_assert_msg(f != NULL, "cannot open %s", rel);
	*len = fread(s, 1, (4 << 20) - 1, f);
	ck_assert_uint_lt(*len, (4 << 20) - 1);
	fclose(f);
	return s;
}

/* The id as doc/histplan.md defines it, from the plan's accessors. */
static void id_by_definition(char id[17], const hist_plan *p)
{
	hist__hash64 *h;
	char label[64];
	uint64_t v;

	ck_assert_int_eq(hist__hash64_open(&h), HIST_OK);
	for (unsigned int k = 1; k <= hist_plan_shard_count(p); k++) {
		hist__hash64_update(h, label, (size_t)snprintf(label, sizeof label, "shard %u/%u\n", k,
		                                               hist_plan_shard_count(p)));
		for (size_t i = 0; i < hist_plan_shard_size(p, k); i++) {
			hist__hash64_update(h, hist_plan_shard_test(p, k, i), strlen(hist_plan_shard_test(p, k, i)));
			hist__hash64_update(h, "\n", 1);
		}
	}
	v = hist__hash64_digest(h);
	hist__hash64_free(h);
	snprintf(id, 17, "%016llx", (unsigned long long)v);
}

/* hist_plan_write names the plan while it writes the shard files (each
 * shard hashed after the one before, the header's id filled in last);
 * hist_plan_id before any write hashes it alone. Both give the id of the
 * definition and the same bytes in every file, with shards larger than
 * the pieces they are written and hashed by. */
START_TEST(write_names_the_plan_as_the_id_does)
{
	enum { N = 30000, SHARDS = 3 }; /* about 600 KB a shard */
	hist_plan *named = big_plan(N, SHARDS), *first = big_plan(N, SHARDS);
	char want[17], name[64];

	id_by_definition(want, first);
	ck_assert_str_eq(hist_plan_id(first), want);
	ck_assert_int_eq(hist_plan_write(first, at("first")), HIST_OK);
	ck_assert_int_eq(hist_plan_write(named, at("named")), HIST_OK);
	ck_assert_str_eq(hist_plan_id(named), want);
	for (unsigned int k = 1; k <= SHARDS + 1; k++) {
		char *a, *b;
		size_t alen, blen;

		if (k <= SHARDS)
			snprintf(name, sizeof name, "shard-%u.txt", k);
		else
			snprintf(name, sizeof name, "plan.json");
		a = whole_file(&alen, "first", name);
		b = whole_file(&blen, "named", name);
		ck_assert_uint_eq(alen, blen);
		ck_assert_int_eq(memcmp(a, b, alen), 0);
		ck_assert_ptr_nonnull(strstr(a, want));
		free(a);
		free(b);
	}
	/* Written again, the plan keeps its id and its files. */
	ck_assert_int_eq(hist_plan_write(named, at("again")), HIST_OK);
	ck_assert_str_eq(hist_plan_id(named), want);
	hist_plan_free(named);
	hist_plan_free(first);
}
END_TEST

START_TEST(write_failure_removes_the_directory_it_made)
{
	hist_plan *p = small_plan(2);
	struct stat st;
	int error = HIST_E_NOMEM;

	/* Fail the k-th allocation for rising k: while nothing is in place the
	 * directories made for the plan (and its missing parents) go again;
	 * once a file is in place they stay, with that file. */
	for (long k = 0; error == HIST_E_NOMEM && k < 1000; k++) {
		hist__alloc_fail_at(k);
		error = hist_plan_write(p, at("new/deeper/shards"));
		hist__alloc_fail_at(-1);
		if (error == HIST_E_NOMEM && stat(at("new"), &st) == 0) {
			char cmd[200];

			ck_assert_int_eq(stat(at("new/deeper/shards/shard-1.txt"), &st), 0);
			snprintf(cmd, sizeof cmd, "rm -rf '%s'", at("new"));
			ck_assert_int_eq(system(cmd), 0);
		}
		if (k == 0)
			ck_assert_int_ne(stat(at("new"), &st), 0);
	}
	ck_assert_int_eq(error, HIST_OK);
	ck_assert_int_eq(stat(at("new/deeper/shards/plan.json"), &st), 0);
	hist_plan_free(p);
}
END_TEST

START_TEST(write_makes_missing_parents)
{
	hist_plan *p = small_plan(2);
	struct stat st;

	/* --out build/shards in a fresh clone: the parents are made too. */
	ck_assert_int_eq(hist_plan_write(p, at("a/b//c/")), HIST_OK);
	ck_assert_int_eq(stat(at("a/b/c/shard-2.txt"), &st), 0);
	/* A parent that is a file: an error naming it. */
	touch(at("f"));
	ck_assert_int_eq(hist_plan_write(p, at("f/x/y")), HIST_E_IO);
	ck_assert_ptr_nonnull(strstr(hist_plan_errmsg(p), "cannot create the directory"));
	/* A failure after a parent was made takes it away again. */
	ck_assert_int_eq(mkdir(at("g"), 0777), 0);
	touch(at("g/file"));
	ck_assert_int_eq(hist_plan_write(p, at("g/h/../file/z")), HIST_E_IO);
	ck_assert_ptr_nonnull(strstr(hist_plan_errmsg(p), "file/z: cannot create the directory"));
	ck_assert_int_eq(stat(at("g"), &st), 0);
	ck_assert_int_ne(stat(at("g/h"), &st), 0);
	hist_plan_free(p);
}
END_TEST

START_TEST(write_svg_file)
{
	hist_plan *p = small_plan(2);
	char *svg;

	ck_assert_int_eq(hist_plan_write_svg(p, at("plan.svg")), HIST_OK);
	svg = slurp(at("plan.svg"));
	ck_assert_int_eq(strncmp(svg, "<?xml", 5), 0);
	free(svg);
	ck_assert_int_eq(hist_plan_write_svg(p, at("missing/plan.svg")), HIST_E_IO);
	hist_plan_free(p);
}
END_TEST

Suite *check_emit_suite(void);
Suite *check_emit_suite(void)
{
	Suite *s = suite_create("emit");
	TCase *tc = tcase_create("emit"), *files = tcase_create("files");

	tcase_add_test(tc, seconds_by_integers);
	tcase_add_test(tc, shard_file_format);
	tcase_add_test(tc, json_document);
	tcase_add_test(tc, preview_table);
	tcase_add_test(tc, svg_picture);
	tcase_add_test(tc, writer_errors_are_io);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(files, scratch_make, scratch_remove);
	tcase_add_test(files, write_makes_the_directory);
	tcase_add_test(files, write_removes_stale_shards_only);
	tcase_add_test(files, write_failure_leaves_nothing);
	tcase_add_test(files, write_failure_keeps_the_older_plan);
	tcase_add_test(files, write_more_files_than_kept_open);
	tcase_add_test(files, write_a_large_shard_file);
	tcase_add_test(files, write_names_the_plan_as_the_id_does);
	tcase_add_test(files, write_failure_removes_the_directory_it_made);
	tcase_add_test(files, write_makes_missing_parents);
	tcase_add_test(files, write_svg_file);
	suite_add_tcase(s, files);
	return s;
}
