/* runner.c — apply a plan, one all-or-nothing transaction per step. */
#include "runner.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "histdown.h"
#include "log.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Mirror a step's version-table changes on the in-memory copy. */
static int apply_vops_in_memory(hr_strlist *rows, const hr_plan_step *s)
{
	for (size_t i = 0; i < s->n_vops; i++) {
		const hr_vop *v = &s->vops[i];

		if (v->from != NULL)
			hr_strlist_remove(rows, v->from);
		if (v->to != NULL && hr_strlist_push(rows, v->to) < 0)
			return -1;
	}
	hr_strlist_sort(rows);
	return 0;
}

static int apply_vops(hr_db *db, const hr_plan_step *s, hr_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < s->n_vops && rc == 0; i++) {
		const hr_vop *v = &s->vops[i];

		switch (v->kind) {
		case HR_VOP_INSERT:
			rc = hr_db_version_insert(db, v->to, err);
			break;
		case HR_VOP_UPDATE:
			rc = hr_db_version_update(db, v->from, v->to, err);
			break;
		case HR_VOP_DELETE:
			rc = hr_db_version_delete(db, v->from, err);
			break;
		}
	}
	return rc;
}

/* The failure in err of step s's own SQL at file line `line`, in the
 * form every such failure is reported. */
static int sql_failed(const hr_plan_step *s, int line, hr_error *err)
{
	hr_error db_err = *err;

	return hr_error_set(err, db_err.code, "%s failed at %s (%s:%d): %s",
			    hr_direction_name(s->direction),
			    s->migration->revision, s->migration->path, line,
			    db_err.msg);
}

/* The migration's own SQL for the step's direction on db's dialect
 * (held back while db defers: hr_db_flush then runs it). */
static int run_sections(hr_db *db, const hr_plan_step *s, hr_error *err)
{
	const hr_migration *m = s->migration;

	for (size_t i = 0; i < m->n_sections; i++) {
		const hr_sql_section *sec = &m->sections[i];
		int line = sec->first_line, rc;

		if (!hr_section_applies(sec, s->direction, hr_db_dialect(db)))
			continue;
		rc = hr_db_exec_script(db, sec->sql, sec->first_line, &line, err);
		if (rc < 0)
			return sql_failed(s, line, err);
	}
	return 0;
}

/*
 * The end of every change, in the open transaction: the history row for
 * going from *versions to *after (e's from/to are filled in here), then
 * COMMIT. On success *after becomes *versions; on failure the
 * transaction is rolled back. *after is consumed either way.
 */
static int record_and_commit(hr_db *db, hr_history_entry *e,
			     hr_strlist *versions, hr_strlist *after,
			     hr_error *err)
{
	char *from = hr_strlist_join(versions), *to = hr_strlist_join(after);
	int rc;

	if (from == NULL || to == NULL) {
		rc = hr_error_set(err, HR_INTERNAL, "out of memory");
	} else {
		e->from_revisions = from;
		e->to_revisions = to;
		rc = hr_db_history_append(db, e, err);
		if (rc == 0)
			rc = hr_db_commit(db, err);
	}
	if (rc == 0) {
		hr_strlist_free(versions);
		*versions = *after;
		*after = (hr_strlist){0};
	} else {
		hr_db_rollback(db);
		hr_strlist_free(after);
	}
	free(from);
	free(to);
	return rc;
}

/* A failure of step s after its SQL ran, in the form run_sections uses. */
static int step_failed(const hr_plan_step *s, hr_error *err)
{
	hr_error inner = *err;

	return hr_error_set(err, inner.code, "%s failed at %s (%s): %s",
			    hr_direction_name(s->direction),
			    s->migration->revision, s->migration->path,
			    inner.msg);
}

/*
 * The body of a step inside the open transaction: its SQL (for a
 * transactional migration), the session reset, the version rows, the
 * foreign-key check (where enforcement is off), and the history row
 * for going from *versions to the rows after it, which it leaves in
 * *after. Commits nothing; on failure the caller rolls back (*after is
 * empty then). Where the database takes statements in one exchange
 * (hr_db_defer), the SQL and the bookkeeping before the history row go
 * in one (with what was held back before: the BEGIN, the last step's
 * history row), timed as the step's duration; the history row waits for
 * the caller's commit or the next step.
 */
static int step_body(hr_db *db, const hr_plan_step *s,
		     const hr_strlist *versions, hr_strlist *after,
		     int64_t start, int64_t peer_uid, int64_t *duration_us,
		     hr_error *err)
{
	const hr_migration *m = s->migration;
	char *from = NULL, *to = NULL, *down = NULL;
	int rc = 0;

	*after = (hr_strlist){0};
	hr_db_defer(db);
	if (m->transactional && (rc = run_sections(db, s, err)) < 0)
		return rc;
	if ((m->transactional && (rc = hr_db_reset_session(db, err)) < 0) ||
	    (rc = apply_vops(db, s, err)) < 0)
		return rc;
	if ((rc = hr_db_flush(db, err)) < 0)
		return hr_db_failed_line(db) > 0
			       ? sql_failed(s, hr_db_failed_line(db), err)
			       : rc;
	/* What enforcement did not stop, because it was off, must not
	 * commit. */
	if ((rc = hr_db_check_foreign_keys(db, err)) < 0)
		return step_failed(s, err);
	for (size_t i = 0; i < versions->n && rc == 0; i++)
		rc = hr_strlist_push(after, versions->items[i]);
	if (rc == 0)
		rc = apply_vops_in_memory(after, s);
	if (rc == 0) {
		from = hr_strlist_join(versions);
		to = hr_strlist_join(after);
	}
	if (rc == 0 && s->direction == HR_UPGRADE &&
	    (down = hr_histdown_record(m, hr_db_dialect(db))) == NULL)
		rc = -1;
	if (rc < 0 || from == NULL || to == NULL) {
		rc = hr_error_set(err, HR_INTERNAL, "out of memory");
	} else {
		*duration_us = now_us() - start;
		hr_history_entry e = {
			.revision = m->revision,
			.direction = hr_direction_name(s->direction),
			.from_revisions = from,
			.to_revisions = to,
			.checksum = m->checksum,
			.message = m->message,
			.duration_us = *duration_us,
			.peer_uid = peer_uid,
			.downgrade_sql = down,
		};
		rc = hr_db_history_append(db, &e, err);
	}
	free(from);
	free(to);
	free(down);
	if (rc < 0)
		hr_strlist_free(after);
	return rc;
}

/*
 * One step: SQL + version rows + history row, committed together. The
 * migration's SQL and its checks run in the session every migration
 * starts from; settings it changed are undone before hrd's own
 * statements (on PostgreSQL; SQLite refuses such changes). Two
 * exchanges with a server that takes statements in one (hr_db_defer):
 * the BEGIN with the SQL and the bookkeeping, then the history row with
 * the COMMIT.
 */
static int run_step(hr_db *db, const hr_plan_step *s, hr_strlist *versions,
		    int64_t peer_uid, int64_t *duration_us, hr_error *err)
{
	const hr_migration *m = s->migration;
	int64_t start = now_us();
	hr_strlist after = {0};
	int rc;

	/* PRAGMA foreign_keys cannot change inside a transaction: before
	 * BEGIN, and after_step turns it back on. */
	if (m->foreign_keys_off && (rc = hr_db_foreign_keys(db, 0, err)) < 0)
		return step_failed(s, err);
	/* A non-transactional migration (CREATE INDEX CONCURRENTLY) runs its
	 * SQL first, on its own; only the bookkeeping is then atomic. */
	if (!m->transactional &&
	    ((rc = run_sections(db, s, err)) < 0 ||
	     (rc = hr_db_reset_session(db, err)) < 0))
		return rc;
	hr_db_defer(db);
	if ((rc = hr_db_begin(db, err)) < 0 ||
	    (rc = step_body(db, s, versions, &after, start, peer_uid,
			    duration_us, err)) < 0 ||
	    (rc = hr_db_commit(db, err)) < 0) {
		hr_db_rollback(db);
		hr_strlist_free(&after);
		return rc;
	}
	hr_strlist_free(versions);
	*versions = after;
	return 0;
}

/*
 * What every step needs after it, whatever happened: foreign-key
 * enforcement back on after a `foreign_keys: off` migration, and the
 * session reset (temporary tables, prepared statements, session locks),
 * so the next migration starts from the same session. 0, or the first
 * failure in err as "after REV: why".
 */
static int after_step(hr_db *db, const hr_plan_step *s, hr_error *err)
{
	hr_error inner;
	int rc = 0;

	if (s->migration->foreign_keys_off)
		rc = hr_db_foreign_keys(db, 1, &inner);
	if (rc == 0)
		rc = hr_db_reset_session(db, &inner);
	if (rc < 0)
		hr_error_set(err, inner.code, "after %s %s: %s",
			     hr_direction_name(s->direction),
			     s->migration->revision, inner.msg);
	return rc;
}

int hr_runner_apply(hr_db *db, const hr_plan *plan, hr_strlist *versions,
		    const hr_runner_hooks *hooks, int64_t peer_uid,
		    size_t *steps_done, hr_error *err)
{
	int rc;

	*steps_done = 0;
	if (plan->n_steps == 0)
		return 0;
	/* The version tables are created in their own transaction: harmless
	 * on its own, and keeps each step's transaction about one step. */
	if ((rc = hr_db_begin(db, err)) < 0)
		return rc;
	if ((rc = hr_db_ensure_tables(db, err)) < 0 ||
	    (rc = hr_db_commit(db, err)) < 0) {
		hr_db_rollback(db);
		return rc;
	}
	for (size_t i = 0; i < plan->n_steps; i++) {
		const hr_plan_step *s = &plan->steps[i];
		int64_t duration = 0;
		hr_error cleanup;

		if (hooks->should_stop && hooks->should_stop(hooks->ud, err))
			return -(int)err->code;
		if (hooks->started)
			hooks->started(hooks->ud, i, s);
		rc = run_step(db, s, versions, peer_uid, &duration, err);
		if (rc < 0) {
			if (after_step(db, s, &cleanup) < 0)
				hr_log(HR_LOG_WARN, "%s", cleanup.msg);
			return rc;
		}
		++*steps_done;
		if (hooks->finished)
			hooks->finished(hooks->ud, i, s, duration);
		if ((rc = after_step(db, s, err)) < 0)
			return rc;
	}
	return 0;
}

int hr_runner_check_whole(const hr_plan *plan, const char *why,
			  hr_error *err)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		const hr_migration *m = plan->steps[i].migration;

		if (!m->transactional)
			return hr_error_set(err, HR_FAILED_PRECONDITION,
					    "%s: migration %s (%s) is "
					    "transactional: false and cannot "
					    "run inside one transaction",
					    why, m->revision, m->path);
	}
	return 0;
}

/* Whether a step of plan needs foreign-key enforcement off. */
static int plan_needs_fk_off(const hr_plan *plan)
{
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i].migration->foreign_keys_off)
			return 1;
	return 0;
}

int hr_runner_apply_whole(hr_db *db, const hr_plan *plan,
			  hr_strlist *versions, const hr_runner_hooks *hooks,
			  int64_t peer_uid, int keep, hr_error *err)
{
	int fk_off = plan_needs_fk_off(plan), rc;
	hr_strlist pending = {0};
	hr_error cleanup;

	if (plan->n_steps == 0)
		return 0;
	if ((rc = hr_runner_check_whole(plan, keep ? "--single-transaction"
						    : "rehearsal",
					err)) < 0)
		return rc;
	/* PRAGMA foreign_keys cannot change inside the transaction: off
	 * for all of it when a step needs it off; every step is still
	 * checked (PRAGMA foreign_key_check) before the next. */
	if (fk_off && (rc = hr_db_foreign_keys(db, 0, err)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < versions->n; i++)
		rc = hr_strlist_push(&pending, versions->items[i]);
	if (rc < 0)
		rc = hr_error_set(err, HR_INTERNAL, "out of memory");
	if (rc == 0 && (rc = hr_db_begin(db, err)) == 0)
		rc = hr_db_ensure_tables(db, err);
	for (size_t i = 0; rc == 0 && i < plan->n_steps; i++) {
		const hr_plan_step *s = &plan->steps[i];
		hr_strlist after;
		int64_t duration = 0;

		if (hooks->should_stop && hooks->should_stop(hooks->ud, err)) {
			rc = -(int)err->code;
			break;
		}
		if (hooks->started)
			hooks->started(hooks->ud, i, s);
		rc = step_body(db, s, &pending, &after, now_us(), peer_uid,
			       &duration, err);
		if (rc < 0)
			break;
		hr_strlist_free(&pending);
		pending = after;
		if (hooks->finished)
			hooks->finished(hooks->ud, i, s, duration);
	}
	if (rc == 0 && keep)
		rc = hr_db_commit(db, err);
	if (rc < 0 || !keep)
		hr_db_rollback(db);
	if (rc == 0 && keep) {
		hr_strlist_free(versions);
		*versions = pending;
		pending = (hr_strlist){0};
	}
	hr_strlist_free(&pending);
	if (fk_off && hr_db_foreign_keys(db, 1, &cleanup) < 0)
		hr_log(HR_LOG_WARN, "after the transaction: %s", cleanup.msg);
	if (hr_db_reset_session(db, &cleanup) < 0)
		hr_log(HR_LOG_WARN, "after the transaction: %s", cleanup.msg);
	return rc;
}

int hr_runner_stamp(hr_db *db, const hr_plan *plan, hr_strlist *versions,
		    const char *target, int64_t peer_uid, hr_error *err)
{
	hr_strlist after = {0};
	int rc = 0;

	for (size_t i = 0; i < plan->n_final_heads && rc == 0; i++)
		rc = hr_strlist_push(&after, plan->final_heads[i]);
	if (rc < 0) {
		hr_strlist_free(&after);
		return hr_error_set(err, HR_INTERNAL, "out of memory");
	}
	hr_strlist_sort(&after);
	if ((rc = hr_db_begin(db, err)) < 0 ||
	    (rc = hr_db_ensure_tables(db, err)) < 0)
		goto fail;
	/* Row by row, each checked to touch one row, so a table changed
	 * under us fails the stamp; --purge takes whatever is there. */
	if (plan->purge)
		rc = hr_db_version_delete_all(db, err);
	for (size_t i = 0; i < versions->n && rc == 0 && !plan->purge; i++)
		if (!hr_strlist_has(&after, versions->items[i]))
			rc = hr_db_version_delete(db, versions->items[i], err);
	for (size_t i = 0; i < after.n && rc == 0; i++)
		if (plan->purge || !hr_strlist_has(versions, after.items[i]))
			rc = hr_db_version_insert(db, after.items[i], err);
	if (rc < 0)
		goto fail;
	hr_history_entry e = {
		.revision = target,
		.direction = "stamp",
		.message = "",
		.peer_uid = peer_uid,
	};
	return record_and_commit(db, &e, versions, &after, err);
fail:
	hr_db_rollback(db);
	hr_strlist_free(&after);
	return rc;
}
