/*
 * runner.h — carry out a plan against a database, one transaction per
 * migration: the migration's SQL, its alembic_version changes and its
 * history row commit together or not at all.
 */
#ifndef HR_RUNNER_H
#define HR_RUNNER_H

#include <stdint.h>

#include "db.h"
#include "plan.h"
#include "strlist.h"

typedef struct hr_runner_hooks {
	void *ud;
	/* Before each step: return non-zero (and fill err) to stop cleanly
	 * there — a cancelled call or a passed deadline. May be NULL. */
	int (*should_stop)(void *ud, hr_error *err);
	/* A step is about to run / has committed. May be NULL. */
	void (*started)(void *ud, size_t index, const hr_plan_step *step);
	void (*finished)(void *ud, size_t index, const hr_plan_step *step,
			 int64_t duration_us);
} hr_runner_hooks;

/*
 * Apply plan's steps in order on db, whose alembic_version rows were
 * `versions` when the plan was built. Stops at the first failure: that
 * step is rolled back whole and err reads
 * "upgrade failed at REV (FILE:LINE): database message". *steps_done
 * counts the committed steps; `versions` is updated to the rows after
 * the last committed step either way.
 */
int hr_runner_apply(hr_db *db, const hr_plan *plan, hr_strlist *versions,
		    const hr_runner_hooks *hooks, int64_t peer_uid,
		    size_t *steps_done, hr_error *err);

/*
 * Apply plan's steps in order inside ONE transaction on db (upgrade
 * --single-transaction, and the PostgreSQL rehearsal): each step's SQL,
 * version rows and history row as hr_runner_apply writes them, hooks
 * called as each step starts and ends (ended: not committed yet). With
 * keep the transaction commits at the end and `versions` becomes the
 * rows after the last step; without keep it is rolled back even when
 * every step worked (a rehearsal). A failure at any step rolls back
 * every step: `versions` is left as it was. Refused (FAILED_PRECONDITION,
 * naming it) when a step's migration is `transactional: false`.
 */
int hr_runner_apply_whole(hr_db *db, const hr_plan *plan,
			  hr_strlist *versions, const hr_runner_hooks *hooks,
			  int64_t peer_uid, int keep, hr_error *err);

/* FAILED_PRECONDITION "WHY: migration REV (FILE) is transactional:
 * false and cannot run inside one transaction" for the first such step
 * of plan; 0 when there is none. */
int hr_runner_check_whole(const hr_plan *plan, const char *why,
			  hr_error *err);

/*
 * Make alembic_version's rows plan->final_heads without running any
 * migration (deleting the rows that go and inserting the new ones, or
 * emptying the table first for plan->purge), and record it in the
 * history table; one transaction.
 *
 * Both functions work the same on a script handle (hr_db_open_script):
 * the SQL they would run is written out instead — offline mode.
 */
int hr_runner_stamp(hr_db *db, const hr_plan *plan, hr_strlist *versions,
		    const char *target, int64_t peer_uid, hr_error *err);

#endif
