/*
 * migrate.c — the job behind Upgrade and Downgrade: read the version
 * rows, plan, and run the plan on the writer connection, streaming one
 * MigrationEvent as each step starts and ends.
 *
 * With single_transaction the whole plan runs in one transaction
 * (runner.h hr_runner_apply_whole): a failure leaves nothing of any step.
 *
 * With rehearse the plan runs on a copy of the database (rehearse.c)
 * and nothing changes. Otherwise, on SQLite, a backup is taken before
 * the first step unless the request says no_backup (backups.h).
 *
 * An upgrade first compares the applied migrations, as the map has them
 * now, with the checksums their upgrades recorded, and refuses while one
 * has changed (allow_changed overrides): Flyway's validate-on-migrate.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backups.h"
#include "log.h"
#include "methods.h"
#include "outside.h"
#include "runner.h"

typedef struct migrate_job {
	hr_direction direction;
	int allow_changed;
	int single_transaction; /* the whole plan in one transaction */
	int rehearse;           /* on a copy / rolled back: nothing changes */
	int backup;             /* SQLite: a backup before the first step */
	int from_history;       /* unknown rows go down by recorded SQL */
	int confirm;            /* ... and that SQL may run */
	char *target;
	size_t total;
	hr_job *job;
	hr_strlist *rows;     /* the runner's rows: current after each step */
	uint64_t lock_checked; /* uv_hrtime() of the last lock check */
} migrate_job;

/* How often, at most, a job confirms it still holds the schema lock
 * (a round trip on PostgreSQL): a dropped lock session is seen within
 * this, well before another host could start a migration of its own. */
#define LOCK_CHECK_NS (100u * 1000 * 1000)

static void migrate_job_free(void *data)
{
	migrate_job *mj = data;

	free(mj->target);
	free(mj);
}

static void emit_step(migrate_job *mj, Homerack__V1__MigrationEvent__Kind kind,
		      size_t index, const hr_plan_step *s, int64_t duration_us)
{
	Homerack__V1__MigrationEvent ev = HOMERACK__V1__MIGRATION_EVENT__INIT;
	const hr_migration *m = s->migration;
	char *self[1] = {(char *)m->revision};

	ev.kind = kind;
	ev.direction = (char *)hr_direction_name(s->direction);
	ev.revision = (char *)m->revision;
	ev.message = m->message;
	ev.step = (uint32_t)index + 1;
	ev.total = (uint32_t)mj->total;
	ev.duration_us = duration_us > 0 ? (uint64_t)duration_us : 0;
	if (s->direction == HR_UPGRADE) {
		ev.from_revisions = m->down_revisions;
		ev.n_from_revisions = m->n_down_revisions;
		ev.to_revisions = self;
		ev.n_to_revisions = 1;
	} else {
		ev.from_revisions = self;
		ev.n_from_revisions = 1;
		ev.to_revisions = m->down_revisions;
		ev.n_to_revisions = m->n_down_revisions;
	}
	hr_job_emit(mj->job, &ev.base);
}

void hr_migrate_note(hr_job *job, const char *fmt, ...)
{
	Homerack__V1__MigrationEvent ev = HOMERACK__V1__MIGRATION_EVENT__INIT;
	char text[HR_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	ev.kind = HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_NOTE;
	ev.message = text;
	hr_job_emit(job, &ev.base);
}

static int hook_should_stop(void *ud, hr_error *err)
{
	migrate_job *mj = ud;

	uint64_t now = uv_hrtime();

	if (hr_job_should_stop(mj->job, err))
		return 1;
	if (now - mj->lock_checked < LOCK_CHECK_NS)
		return 0;
	mj->lock_checked = now;
	/* Without the lock another host may start changing the schema:
	 * stop before the next step rather than race it. */
	return hr_db_lock_check(mj->job->server->writer, err) < 0;
}

static int lock_should_stop(void *ud, hr_error *err)
{
	return hr_job_should_stop(ud, err);
}

int hr_method_lock_schema(hr_job *job, hr_db *db, hr_error *err)
{
	return hr_db_lock(db, lock_should_stop, job, err);
}

/* How long the read of where the database is may take once the job was
 * told to stop: enough for a read nothing blocks, however busy the
 * machine; bounded when a lock held elsewhere would block it. */
#define WHERE_GRACE_MS 5000

typedef struct where_grace {
	uint64_t until; /* uv_hrtime() nanoseconds */
} where_grace;

static int where_grace_over(void *ud, hr_error *err)
{
	const where_grace *g = ud;

	if (uv_hrtime() < g->until)
		return 0;
	hr_error_set(err, HR_DEADLINE_EXCEEDED,
		     "the version rows could not be read");
	return 1;
}

int hr_method_where(hr_db *db, const hr_strlist *known, char *buf,
		    size_t size)
{
	where_grace grace = {uv_hrtime() + (uint64_t)WHERE_GRACE_MS * 1000000};
	int (*job_stop)(void *ud, hr_error *err);
	void *job_ud;
	hr_strlist now = {0};
	hr_error err;
	int rc = 0, read;

	/* The job's own stop question may already say stop (a deadline, a
	 * cancel): it would end this read before it began, and the user
	 * would not learn where the database is. It gets a grace of its
	 * own instead; then the job's question applies again. */
	hr_db_get_stop(db, &job_stop, &job_ud);
	hr_db_set_stop(db, where_grace_over, &grace);
	read = hr_db_read_versions(db, &now, &err);
	/* A cancel sent for the statement before may reach the server only
	 * now and end this read instead (PostgreSQL's cancel requests race
	 * the statements they aim at): read once more. */
	if (read < 0) {
		hr_strlist_free(&now);
		read = hr_db_read_versions(db, &now, &err);
	}
	hr_db_set_stop(db, job_stop, job_ud);
	if (read == 0)
		hr_versions_describe(&now, buf, size);
	else if (known != NULL)
		hr_versions_describe(known, buf, size);
	else
		rc = -1;
	hr_strlist_free(&now);
	return rc;
}

static void hook_started(void *ud, size_t index, const hr_plan_step *s)
{
	migrate_job *mj = ud;

	hr_job_set_detail(mj->job, "%s %s (step %zu of %zu)",
			  hr_direction_name(s->direction), s->migration->revision,
			  index + 1, mj->total);
	emit_step(ud, HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_STARTED, index,
		  s, 0);
}

static void hook_finished(void *ud, size_t index, const hr_plan_step *s,
			  int64_t duration_us)
{
	migrate_job *mj = ud;

	/* Status calls answer from these while the job runs. */
	hr_job_publish_rows(mj->job, mj->rows);
	emit_step(ud, HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_FINISHED, index,
		  s, duration_us);
}

/*
 * Fail with FAILED_PRECONDITION naming the applied migrations (those the
 * version rows cover) whose checksum in map differs from the one their
 * latest upgrade recorded. Migrations without a record pass.
 */
static int check_unchanged(const hr_revmap *map, hr_db *db,
			   const hr_strlist *rows, hr_error *err)
{
	hr_strlist revs = {0}, sums = {0};
	char names[HR_ERROR_MSG_MAX / 2] = "";
	size_t used = 0, n_changed = 0;
	int rc = hr_outside_credits(db, map, &revs, &sums, err);

	for (size_t i = 0; rc == 0 && i < revs.n; i++) {
		const hr_migration *m = hr_revmap_get(map, revs.items[i]);
		int applied = 0;

		for (size_t j = 0; m != NULL && j < rows->n && !applied; j++)
			applied = hr_revmap_is_ancestor(
				map, m, hr_revmap_get(map, rows->items[j]));
		if (!applied || strcmp(m->checksum, sums.items[i]) == 0)
			continue;
		if (used < sizeof names)
			used += (size_t)snprintf(names + used,
						 sizeof names - used,
						 "%s%s (%s)", n_changed ? ", " : "",
						 m->revision, m->path);
		n_changed++;
	}
	if (rc == 0 && n_changed > 0)
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "%zu applied migration file%s changed since "
				  "%s applied: %s; see hrctl verify, or upgrade "
				  "--allow-changed",
				  n_changed, n_changed > 1 ? "s" : "",
				  n_changed > 1 ? "they were" : "it was", names);
	hr_strlist_free(&revs);
	hr_strlist_free(&sums);
	return rc;
}

/* Worker thread: a backup before the first step (backups.h), said in a
 * NOTE; on failure err says nothing was changed. */
static int take_backup(hr_job *job, hr_db *db, const hr_strlist *rows,
		       hr_error *err)
{
	char *made = NULL, where[512];

	if (hr_backups_take(db, job->server->url.sqlite_path, rows,
			    job->server->cfg.keep_backups, &made, err) < 0) {
		hr_error why = *err;

		hr_versions_describe(rows, where, sizeof where);
		return hr_error_set(err, why.code,
				    "%s; nothing was changed (database is at "
				    "%s; --no-backup goes without)",
				    why.msg, where);
	}
	hr_log(HR_LOG_INFO, "backed up the database to %s", made);
	hr_migrate_note(job, "Backed up the database to %s", made);
	free(made);
	return 0;
}

/* The first of rows that map has no migration for, or NULL. */
static const char *first_unknown(const hr_revmap *map, const hr_strlist *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		if (hr_revmap_get(map, rows->items[i]) == NULL)
			return rows->items[i];
	return NULL;
}

/* Worker thread. */
static void migrate_work(hr_job *job)
{
	migrate_job *mj = job->data;
	hr_db *db = job->server->writer;
	Homerack__V1__MigrationEvent ev = HOMERACK__V1__MIGRATION_EVENT__INIT;
	hr_runner_hooks hooks = {
		.ud = mj,
		.should_stop = hook_should_stop,
		.started = hook_started,
		.finished = hook_finished,
	};
	hr_strlist rows = {0};
	hr_plan plan = {0};
	const char *ahead, *target = mj->target;
	char where[512], rest[32];
	size_t done = 0;
	hr_error err;
	int rc;

	/* The hooks get mj; they reach the job through it. */
	mj->job = job;
	/* Read and plan under the schema lock: another host's change
	 * between reading and applying would make the plan stale. What
	 * someone else did to the rows since hrd's last change goes into
	 * the history first. */
	if (hr_method_lock_schema(job, db, &err) < 0 ||
	    hr_outside_notice(db, NULL, &err) < 0) {
		if (hr_method_where(db, NULL, where, sizeof where) == 0)
			hr_error_set(&job->result, err.code,
				     "%s; database is at %s", err.msg, where);
		else
			job->result = err;
		goto out;
	}
	rc = hr_db_read_versions(db, &rows, &err);
	if (rc == 0 && mj->direction == HR_UPGRADE && !mj->allow_changed)
		rc = check_unchanged(job->map, db, &rows, &err);
	if (rc == 0 && mj->from_history) {
		size_t left = 0;

		/* One backup before the first step, recorded SQL or not. */
		if (mj->confirm && mj->backup &&
		    hr_backups_possible(db, job->server->url.sqlite_path) &&
		    first_unknown(job->map, &rows) != NULL) {
			if ((rc = take_backup(job, db, &rows, &err)) < 0)
				goto failed_before;
			mj->backup = 0;
		}
		rc = hr_from_history(job, db, &rows, mj->target, mj->confirm,
				     &left, &done, &err);
		if (rc < 0) {
			hr_method_where(db, &rows, where, sizeof where);
			hr_error_set(&job->result, err.code,
				     "%s; database is at %s", err.msg, where);
			goto out;
		}
		hr_job_publish_rows(job, &rows);
		if (left == 0)
			goto out;
		if (left != SIZE_MAX) {
			snprintf(rest, sizeof rest, "-%zu", left);
			target = rest;
		}
	}
	if (rc == 0)
		rc = hr_plan_build(job->map, mj->direction,
				   (const char *const *)rows.items, rows.n,
				   target, &plan, &err);
	if (rc < 0 && mj->direction == HR_DOWNGRADE && !mj->from_history &&
	    (ahead = first_unknown(job->map, &rows)) != NULL) {
		hr_error why = err;

		hr_error_set(&err, why.code,
			     "%s; hrctl downgrade --from-history TARGET shows "
			     "the downgrade SQL recorded when %s was applied",
			     why.msg, ahead);
	}
failed_before:
	if (rc < 0) {
		job->result = err;
		goto out;
	}
	mj->total = plan.n_steps;
	mj->rows = &rows;
	mj->lock_checked = uv_hrtime(); /* just taken */
	hr_job_publish_rows(job, &rows);
	ev.kind = HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_PLAN;
	ev.direction = (char *)hr_direction_name(mj->direction);
	ev.total = (uint32_t)plan.n_steps;
	hr_job_emit(job, &ev.base);
	if (mj->rehearse) {
		rc = hr_rehearse(job, db, &plan, &rows, &hooks,
				 mj->single_transaction, &err);
		hr_versions_describe(&rows, where, sizeof where);
		if (rc < 0)
			hr_error_set(&job->result, err.code,
				     "rehearsal: %s; the database was not "
				     "changed (it is at %s)",
				     err.msg, where);
		goto out;
	}
	if (mj->backup && plan.n_steps > 0 &&
	    hr_backups_possible(db, job->server->url.sqlite_path) &&
	    take_backup(job, db, &rows, &err) < 0) {
		job->result = err;
		goto out;
	}
	if (mj->single_transaction) {
		rc = hr_runner_apply_whole(db, &plan, &rows, &hooks,
					   (int64_t)job->peer_uid, 1, &err);
		done = rc == 0 ? plan.n_steps : 0;
	} else {
		rc = hr_runner_apply(db, &plan, &rows, &hooks,
				     (int64_t)job->peer_uid, &done, &err);
	}
	if (rc < 0) {
		/* Say where the database was left: the user's next question.
		 * Asked of the database itself (reconnecting if need be): a
		 * connection lost during COMMIT leaves only it knowing. */
		hr_method_where(db, &rows, where, sizeof where);
		hr_error_set(&job->result, err.code,
			     "%s; database is at %s (%zu of %zu steps applied)",
			     err.msg, where, done, plan.n_steps);
	} else if (plan.n_steps > 0) {
		hr_versions_describe(&rows, where, sizeof where);
		hr_log(HR_LOG_INFO, "%s to %s by uid %ld: %zu step(s)",
		       hr_direction_name(mj->direction), where,
		       (long)job->peer_uid, done);
	}
out:
	hr_db_unlock(db);
	hr_plan_free(&plan);
	hr_strlist_free(&rows);
}

/* Loop thread: whether a schema change runs or waits for the writer. */
static int schema_change_pending(const hr_server *server)
{
	if (server->running != NULL && server->running->changes_schema)
		return 1;
	for (const hr_job *j = server->queue; j != NULL; j = j->next)
		if (j->changes_schema)
			return 1;
	return 0;
}

void hr_migrate_start(hr_call *call, const Homerack__V1__MigrateRequest *req,
		      hr_direction dir)
{
	const char *target = req->target;
	migrate_job *mj;

	if (hr_method_need_map(call))
		return;
	if (target[0] == '\0') {
		hr_call_finish(call, HR_INVALID_ARGUMENT,
			       "%s needs a target revision (e.g. %s)",
			       hr_direction_name(dir),
			       dir == HR_UPGRADE ? "head" : "-1");
		return;
	}
	/* A rehearsal of a plan another schema change is about to make
	 * stale tells nothing: refused, not queued behind it. */
	if (req->rehearse && schema_change_pending(call->server)) {
		hr_call_finish(call, HR_FAILED_PRECONDITION,
			       "rehearse: a schema change is in progress; "
			       "rehearse once it has finished");
		return;
	}
	mj = calloc(1, sizeof *mj);
	if (mj == NULL || (mj->target = strdup(target)) == NULL) {
		free(mj);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	mj->direction = dir;
	mj->allow_changed = req->allow_changed;
	mj->single_transaction = req->single_transaction;
	mj->rehearse = req->rehearse;
	mj->backup = !req->no_backup;
	mj->from_history = req->from_history;
	mj->confirm = req->confirm;
	hr_writer_run(call, migrate_work, mj, migrate_job_free);
}
