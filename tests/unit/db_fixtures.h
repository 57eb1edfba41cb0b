/*
 * db_fixtures.h — a scratch database for the unit tests that need one.
 */
#ifndef HR_DB_FIXTURES_H
#define HR_DB_FIXTURES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "db.h"

/* A scratch SQLite database in memory (hr_db_open_scratch); the test
 * fails when it cannot be opened. */
static inline hr_db *fx_scratch_sqlite(void)
{
	hr_dburl url = {.kind = HR_DB_SQLITE,
			.sqlite_path = (char *)":memory:",
			.redacted = (char *)"sqlite://"};
	hr_error err = {0};
	hr_db *db = NULL;

	if (hr_db_open_scratch(&url, &db, &err) != 0)
		fail_msg("scratch: %s", err.msg);
	return db;
}

#endif
