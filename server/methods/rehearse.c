/*
 * rehearse.c — upgrade/downgrade --rehearse: the real plan, run on a
 * copy of the real database, step by step with timings; the database
 * itself is left as it was.
 *
 * SQLite: a temporary copy beside the database, taken with the online
 * backup API (readers of the real database never wait for it), is
 * migrated exactly as the real one would be, then deleted.
 * PostgreSQL (and an in-memory SQLite database): every step inside one
 * transaction on the writer's connection, rolled back at the end (under the schema lock, like a
 * real upgrade); a `transactional: false` migration cannot be rehearsed
 * that way and is refused, naming it.
 *
 * This finds what a scratch database cannot: a NOT NULL over rows that
 * hold NULLs, a unique index over duplicates, a slow rewrite.
 */
#include <stdlib.h>
#include <time.h>

#include "backups.h"
#include "methods.h"
#include "runner.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int job_should_stop(void *ud, hr_error *err)
{
	return hr_job_should_stop(ud, err);
}

/* The plan on a temporary copy of db (SQLite). */
static int on_copy(hr_job *job, hr_db *db, const hr_plan *plan,
		   const hr_strlist *rows, const hr_runner_hooks *hooks,
		   int single, hr_error *err)
{
	const char *db_path = job->server->url.sqlite_path;
	hr_strlist versions = {0};
	hr_dburl url = {.kind = HR_DB_SQLITE};
	hr_db *copy = NULL;
	char *path = NULL;
	size_t done = 0;
	int rc;

	if ((rc = hr_backups_temp_copy(db, db_path, &path, err)) < 0)
		return rc;
	hr_migrate_note(job, "Rehearsing on a copy of the database (%s)",
			path);
	url.sqlite_path = path;
	url.redacted = path;
	for (size_t i = 0; i < rows->n && rc == 0; i++)
		if (hr_strlist_push(&versions, rows->items[i]) < 0)
			rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	if (rc == 0 && (rc = hr_db_open(&url, &copy, err)) == 0) {
		hr_db_set_stop(copy, job_should_stop, job);
		if (single)
			rc = hr_runner_apply_whole(copy, plan, &versions,
						   hooks,
						   (int64_t)job->peer_uid, 1,
						   err);
		else
			rc = hr_runner_apply(copy, plan, &versions, hooks,
					     (int64_t)job->peer_uid, &done,
					     err);
	}
	hr_db_close(copy);
	hr_backups_drop_copy(path);
	hr_strlist_free(&versions);
	free(path);
	return rc;
}

int hr_rehearse(hr_job *job, hr_db *db, const hr_plan *plan,
		const hr_strlist *rows, const hr_runner_hooks *hooks,
		int single, hr_error *err)
{
	int64_t start = now_us();
	hr_strlist versions = {0};
	int rc = 0;

	if (plan->n_steps == 0)
		return 0;
	if (hr_backups_possible(db, job->server->url.sqlite_path)) {
		rc = on_copy(job, db, plan, rows, hooks, single, err);
	} else {
		for (size_t i = 0; i < rows->n && rc == 0; i++)
			if (hr_strlist_push(&versions, rows->items[i]) < 0)
				rc = hr_error_set(err, HR_RESOURCE_EXHAUSTED,
						  "out of memory");
		if (rc == 0 &&
		    (rc = hr_runner_check_whole(plan, "without a copy",
						err)) == 0) {
			hr_migrate_note(job, "Rehearsing in one transaction, "
					     "rolled back at the end");
			rc = hr_runner_apply_whole(db, plan, &versions, hooks,
						   (int64_t)job->peer_uid, 0,
						   err);
		}
		hr_strlist_free(&versions);
	}
	if (rc == 0)
		hr_migrate_note(job, "Rehearsal passed: %zu step%s in %.0f ms; "
				     "the database was not changed",
				plan->n_steps, plan->n_steps == 1 ? "" : "s",
				(double)(now_us() - start) / 1000.0);
	return rc;
}
