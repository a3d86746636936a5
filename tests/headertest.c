/* headertest.c - hist.h must stand alone: C99, C11 pedantic and C++. */
#include "hist.h"

int headertest_uses(void);
int headertest_uses(void)
{
	hist_db_options d = HIST_DB_OPTIONS_INIT;
	hist_ingest_options i = HIST_INGEST_OPTIONS_INIT;
	hist_plan_options p = HIST_PLAN_OPTIONS_INIT;
	hist_plan_summary s = HIST_PLAN_SUMMARY_INIT;

	return (int)(d.version + i.version + p.version + s.version) + HIST_OK;
}
