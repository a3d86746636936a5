/* store_sql.h - what the store's files share beside store.c (private).
 * Only lib/store*.c include it: it hands out the SQLite connection, so
 * sqlite3.h stays inside the store. */
#ifndef HIST_STORE_SQL_H
#define HIST_STORE_SQL_H

#include <sqlite3.h>

#include "hist.h"

/* The connection of db. */
sqlite3 *hist__store_sql(hist_db *db);
/* Reports a SQLite failure on db ("PATH: message") and returns its code. */
int hist__store_fail(hist_db *db, int rc);
/* The path db was opened with, for messages. */
const char *hist__store_path(const hist_db *db);

#endif
