/* fuzz_histdb.c - libFuzzer target: any bytes as a history file merged
 * into another (what histmerge does with a .db input from an untrusted
 * artifact; the target is in memory, for speed). The merge succeeds or
 * fails with a message and keeps nothing, and the target stays whole: it
 * still counts, plans and passes SQLite's integrity check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hist.h"
#include "store_db.h" /* the connection, for the integrity check */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void integrity_ok(hist_db *db)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db->sql, "PRAGMA main.integrity_check", -1, &s, NULL) != SQLITE_OK ||
		sqlite3_step(s) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
		abort();
	sqlite3_finalize(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char src[64], tmp[80];
	FILE *f;
	hist_db *db = NULL;
	hist_ingest_stats st;
	hist_counts before, after;
	hist_plan *plan = NULL;
	hist_plan_options po = HIST_PLAN_OPTIONS_INIT;
	int error;

	snprintf(src, sizeof src, "/tmp/fuzz_histdb.%ld.db", (long)getpid());
	for (const char *sfx = "-wal\0-shm\0-journal\0"; *sfx; sfx += strlen(sfx) + 1) {
		snprintf(tmp, sizeof tmp, "%s%s", src, sfx);
		unlink(tmp);
	}
	if (!(f = fopen(src, "wb")))
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (hist_db_open_empty(&db) != HIST_OK)
		abort();
	if (hist_db_counts(&before, db, NULL) != HIST_OK)
		abort();
	error = hist_ingest_path(&st, db, src, "src.db", NULL);
	if (error != HIST_OK && !hist_db_errmsg(db)[0])
		abort();
	if (hist_db_counts(&after, db, NULL) != HIST_OK)
		abort();
	if (error != HIST_OK && (after.results != 0 || after.runs != 0))
		abort(); /* nothing of a failed merge is kept */
	if (error == HIST_OK && after.results != st.added)
		abort();
	/* What was merged must plan, whatever its values. */
	po.shards = 3;
	if (hist_plan_create(&plan, db, &po) == HIST_OK) {
		for (unsigned int k = 1; k <= hist_plan_shard_count(plan); k++)
			if (hist_plan_shard_predicted_us(plan, k) < 0)
				abort();
	} else if (!hist_db_errmsg(db)[0]) {
		abort();
	}
	hist_plan_free(plan);
	integrity_ok(db);
	hist_db_free(db);
	unlink(src);
	return 0;
}
