/*
 * outside.h — changes to alembic_version that hrd did not make (Alembic,
 * a DBA, another tool), and what they mean for the history.
 *
 * Every change hrd makes writes a history row whose to_revisions are the
 * version rows it left. When the rows differ from the newest history
 * row's, someone else moved them: hrd records that as a row of its own,
 * direction "outside" (from the rows hrd last knew, to the rows it found,
 * applied_at when it noticed), so the history follows what others did.
 * The history table keeps its columns: an older hrd reads such a row as
 * one more row that is no upgrade.
 *
 * hrd sees states, not steps: a revision taken down and brought back up
 * between two looks is not seen to have moved.
 */
#ifndef HR_OUTSIDE_H
#define HR_OUTSIDE_H

#include "db.h"
#include "revmap.h"
#include "strlist.h"

/*
 * Compare alembic_version's rows with the newest history row's
 * to_revisions (none: base) and, when they differ, append an "outside"
 * row saying so; one transaction of its own, so it is called with no
 * transaction open, before the caller reads the rows it plans with.
 * Call it under the schema lock (hr_db_lock): on PostgreSQL its two
 * reads are separate snapshots, and another host's change committed
 * between them would be recorded as an outside one.
 * *noticed (may be NULL) says whether a row was written. A database
 * with neither version rows nor history is left untouched.
 */
int hr_outside_notice(hr_db *db, int *noticed, hr_error *err);

/*
 * The checksum each revision's upgrade recorded, for the revisions that
 * upgrade still vouches for: revs->items[i] has sums->items[i]. An
 * upgrade row stops vouching for its revision when a later row takes
 * the revision down — a downgrade of it, or an outside change after
 * which the revision's application differs (applied before and not
 * after, or the other way round, as map reads the version rows; a row
 * map does not know counts only for itself). Stamps move no credit.
 * None when the history table is missing.
 */
int hr_outside_credits(hr_db *db, const hr_revmap *map, hr_strlist *revs,
		       hr_strlist *sums, hr_error *err);

#endif
