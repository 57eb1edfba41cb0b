/*
 * fromhistory.c — `downgrade --from-history`: the part of a downgrade
 * that goes down from revisions no migration file knows, with the SQL
 * recorded when they were applied (histdown.h).
 *
 * That SQL was written by a file that is gone, so nobody has reviewed
 * it in this checkout: it is always sent to the client first (NOTE
 * events), and runs only when the request confirms; otherwise the call
 * fails saying how to confirm. What is left of the target after those
 * steps (a known revision further down) is an ordinary downgrade.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histdown.h"
#include "methods.h"

typedef struct progress {
	hr_job *job;
	size_t total;
} progress;

static void emit(progress *p, Homerack__V1__MigrationEvent__Kind kind,
		 size_t index, const hr_histdown_step *s, int64_t duration_us)
{
	Homerack__V1__MigrationEvent ev = HOMERACK__V1__MIGRATION_EVENT__INIT;
	char *self[1] = {s->revision};

	ev.kind = kind;
	ev.direction = (char *)"downgrade";
	ev.revision = s->revision;
	ev.message = (char *)"(recorded SQL: no migration file)";
	ev.step = (uint32_t)index + 1;
	ev.total = (uint32_t)p->total;
	ev.duration_us = duration_us > 0 ? (uint64_t)duration_us : 0;
	ev.from_revisions = self;
	ev.n_from_revisions = 1;
	ev.to_revisions = s->restore.items;
	ev.n_to_revisions = s->restore.n;
	hr_job_emit(p->job, &ev.base);
}

static int hook_should_stop(void *ud, hr_error *err)
{
	return hr_job_should_stop(((progress *)ud)->job, err);
}

static void hook_started(void *ud, size_t index, const hr_histdown_step *s)
{
	emit(ud, HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_STARTED, index, s,
	     0);
}

static void hook_finished(void *ud, size_t index, const hr_histdown_step *s,
			  int64_t duration_us)
{
	emit(ud, HOMERACK__V1__MIGRATION_EVENT__KIND__KIND_FINISHED, index, s,
	     duration_us);
}

/* "-N" as N; 0 for any other target. */
static size_t relative_steps(const char *target)
{
	char *end;
	unsigned long n;

	if (target[0] != '-')
		return 0;
	n = strtoul(target + 1, &end, 10);
	return *end == '\0' && end != target + 1 ? (size_t)n : 0;
}

int hr_from_history(hr_job *job, hr_db *db, hr_strlist *rows,
		    const char *target, int confirm, size_t *left,
		    size_t *done, hr_error *err)
{
	size_t n_rel = relative_steps(target);
	progress p = {.job = job};
	hr_histdown_hooks hooks = {
		.ud = &p,
		.should_stop = hook_should_stop,
		.started = hook_started,
		.finished = hook_finished,
	};
	hr_histdown h;
	int rc;

	*done = 0;
	*left = n_rel ? n_rel : SIZE_MAX;
	rc = hr_histdown_plan(db, job->map, rows, n_rel ? n_rel : SIZE_MAX, &h,
			      err);
	if (rc < 0 || h.n == 0) {
		if (rc == 0)
			hr_histdown_free(&h);
		return rc;
	}
	for (size_t i = 0; i < h.n; i++) {
		const char *sql = h.steps[i].sql;
		size_t len = strlen(sql);

		while (len > 0 && (sql[len - 1] == '\n' || sql[len - 1] == ' '))
			len--;
		hr_migrate_note(job,
				"-- downgrade %s: no migration file; SQL "
				"recorded when it was applied (%s):\n%.*s",
				h.steps[i].revision, h.steps[i].applied_at,
				(int)len, sql);
	}
	if (!confirm) {
		rc = hr_error_set(err, HR_FAILED_PRECONDITION,
				  "%zu revision%s ha%s no migration file; "
				  "check the downgrade SQL recorded for %s "
				  "above, then run it with --from-history "
				  "--yes",
				  h.n, h.n == 1 ? "" : "s",
				  h.n == 1 ? "s" : "ve",
				  h.n == 1 ? "it" : "them");
		hr_histdown_free(&h);
		return rc;
	}
	p.total = h.n;
	rc = hr_histdown_apply(db, &h, rows, &hooks, (int64_t)job->peer_uid,
			       done, err);
	if (rc == 0 && n_rel > 0)
		*left = n_rel - h.n;
	hr_histdown_free(&h);
	return rc;
}
