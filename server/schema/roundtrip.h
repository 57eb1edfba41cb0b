/*
 * roundtrip.h — does each migration's downgrade undo its upgrade?
 * (`hrctl test`.)
 *
 * On a scratch database (hr_db_open_scratch) every revision of the map
 * is applied in topological order; each revision under test is taken
 * through upgrade, downgrade, upgrade, and the schema read back through
 * the catalog after each step is compared: the downgrade must restore
 * exactly the schema from before the upgrade, and the second upgrade
 * must build exactly what the first did. Branches and merges need
 * nothing special: topological order applies every parent and
 * dependency before its child, and a revision's downgrade runs while it
 * is the last one applied. Only the SQL runs (no version rows: a scratch
 * database needs none). Runs on a worker thread.
 */
#ifndef HR_ROUNDTRIP_H
#define HR_ROUNDTRIP_H

#include "db.h"
#include "revmap.h"

/* How one revision's round trip went. */
typedef struct hr_roundtrip_result {
	const hr_migration *migration;
	int ok;
	/* When not ok: what failed ("upgrade failed (FILE:LINE): why",
	 * "the downgrade does not restore the schema from before the
	 * upgrade", ...) and, for a schema that differs, the differences
	 * as the differ's Detected lines (the expected schema on the
	 * "from" side: "Detected added column 'racks.notes'" is a column
	 * the downgrade left behind). */
	char problem[HR_ERROR_MSG_MAX];
	hr_strlist differences;
} hr_roundtrip_result;

/* Told each tested revision's result, in order; a negative hr_code
 * (only when out of memory) stops the run and is returned. */
typedef int (*hr_roundtrip_fn)(void *ud, const hr_roundtrip_result *r);

/*
 * Round trip the revisions of range ("START:END" as history -r reads
 * it; NULL or "" for all) on a scratch database of url's dialect,
 * calling each() for every tested revision, and stopping after the
 * first that fails. *n_failed is 0 or 1. 0, or a negative hr_code and
 * err when the run could not happen (a bad range, no scratch database).
 */
int hr_roundtrip_run(const hr_revmap *map, const hr_dburl *url,
		     const char *range, hr_roundtrip_fn each, void *ud,
		     size_t *n_failed, hr_error *err);

#endif
