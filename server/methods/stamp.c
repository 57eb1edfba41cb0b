/* stamp.c — Stamp: set alembic_version to a target, running nothing. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "methods.h"
#include "outside.h"
#include "runner.h"
#include "rpcnames.h"

/* What to stamp: the targets, and the history row's name for them. */
typedef struct stamp_job {
	hr_strlist targets;
	int purge;
	char *what; /* the targets joined by spaces */
} stamp_job;

static void stamp_job_free(void *data)
{
	stamp_job *sj = data;

	hr_strlist_free(&sj->targets);
	free(sj->what);
	free(sj);
}

/* Worker thread. */
static void stamp_work(hr_job *job)
{
	stamp_job *sj = job->data;
	hr_db *db = job->server->writer;
	Homerack__V1__StampReply reply = HOMERACK__V1__STAMP_REPLY__INIT;
	hr_strlist rows = {0}, before = {0};
	hr_plan plan = {0};
	char where[512];
	hr_error err;
	int rc;

	rc = hr_method_lock_schema(job, db, &err);
	if (rc == 0)
		rc = hr_outside_notice(db, NULL, &err);
	if (rc == 0)
		rc = hr_db_read_versions(db, &rows, &err);
	for (size_t i = 0; rc == 0 && i < rows.n; i++)
		if (hr_strlist_push(&before, rows.items[i]) < 0)
			rc = hr_error_set(&err, HR_RESOURCE_EXHAUSTED,
					  "out of memory");
	/* A cancel or deadline that came while the lock was awaited. */
	if (rc == 0 && hr_job_should_stop(job, &err))
		rc = -(int)err.code;
	if (rc == 0)
		rc = hr_plan_stamp(job->map, (const char *const *)rows.items,
				   rows.n, (const char *const *)sj->targets.items,
				   sj->targets.n, sj->purge, &plan, &err);
	if (rc == 0)
		rc = hr_runner_stamp(db, &plan, &rows, sj->what,
				     (int64_t)job->peer_uid, &err);
	if (rc < 0) {
		job->result = err;
	} else {
		hr_versions_describe(&rows, where, sizeof where);
		hr_log(HR_LOG_INFO, "stamped %s by uid %ld", where,
		       (long)job->peer_uid);
		reply.revisions = rows.items;
		reply.n_revisions = rows.n;
		reply.previous = before.items;
		reply.n_previous = before.n;
		hr_job_emit(job, &reply.base);
	}
	hr_db_unlock(db);
	hr_plan_free(&plan);
	hr_strlist_free(&rows);
	hr_strlist_free(&before);
}

static void stamp_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__StampRequest *req =
		(const Homerack__V1__StampRequest *)request;
	stamp_job *sj;
	int rc = 0;

	if (hr_method_need_map(call) ||
	    hr_method_list_too_long(call, "targets", req->n_targets))
		return;
	sj = calloc(1, sizeof *sj);
	if (sj == NULL) {
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	sj->purge = req->purge;
	/* `target` and `targets` together are the targets. */
	if (req->target[0] != '\0')
		rc = hr_strlist_push(&sj->targets, req->target);
	for (size_t i = 0; rc == 0 && i < req->n_targets; i++)
		rc = hr_strlist_push(&sj->targets, req->targets[i]);
	if (rc == 0 && (sj->what = hr_strlist_join(&sj->targets)) == NULL)
		rc = -1;
	if (rc < 0) {
		stamp_job_free(sj);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if (sj->targets.n == 0) {
		stamp_job_free(sj);
		hr_call_finish(call, HR_INVALID_ARGUMENT,
			       "stamp needs a target revision (e.g. head)");
		return;
	}
	hr_writer_run(call, stamp_work, sj, stamp_job_free);
}

const hr_method hr_method_stamp = {
	.path = HR_RPC_STAMP,
	.kind = HR_UNARY,
	.mutating = 1,
	.request_type = &homerack__v1__stamp_request__descriptor,
	.start = stamp_start,
};
