/*
 * restore.c — Restore: put a backup hrd took of a SQLite database (see
 * backups.h) back in place of the database, with the backup API, or
 * list the backups.
 *
 * It runs as a schema change (the writer's one job at a time), so no
 * migration runs meanwhile, and records itself in the history table of
 * the restored database (direction "restore", the version rows before
 * and after). Only hrd's own backups of this database are accepted: any
 * other path is refused before anything is read. PostgreSQL databases
 * are refused: pg_dump and point-in-time recovery are the tools there.
 */
#include <stdlib.h>
#include <string.h>

#include "backups.h"
#include "log.h"
#include "methods.h"
#include "rpcnames.h"

typedef struct restore_job {
	char *given; /* "" for the newest */
	int list;
	char *path;  /* resolved */
	hr_strlist before, after, backups;
} restore_job;

static void restore_job_free(void *data)
{
	restore_job *rj = data;

	free(rj->given);
	free(rj->path);
	hr_strlist_free(&rj->before);
	hr_strlist_free(&rj->after);
	hr_strlist_free(&rj->backups);
	free(rj);
}

/* Record the restore in the (restored) history table. */
static int record(hr_db *db, const restore_job *rj, int64_t peer_uid,
		  hr_error *err)
{
	char *from = hr_strlist_join(&rj->before), *to = hr_strlist_join(&rj->after);
	const char *name = strrchr(rj->path, '/');
	int rc;

	if (from == NULL || to == NULL) {
		free(from);
		free(to);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED, "out of memory");
	}
	hr_history_entry e = {
		.revision = name ? name + 1 : rj->path,
		.direction = "restore",
		.from_revisions = from,
		.to_revisions = to,
		.message = "restored from a backup",
		.peer_uid = peer_uid,
	};
	if ((rc = hr_db_begin(db, err)) == 0 &&
	    (rc = hr_db_ensure_tables(db, err)) == 0 &&
	    (rc = hr_db_history_append(db, &e, err)) == 0)
		rc = hr_db_commit(db, err);
	if (rc < 0)
		hr_db_rollback(db);
	free(from);
	free(to);
	return rc;
}

/* Worker thread. */
static void restore_work(hr_job *job)
{
	restore_job *rj = job->data;
	hr_db *db = job->server->writer;
	const char *db_path = job->server->url.sqlite_path;
	hr_error err;
	int rc;

	if (!hr_backups_possible(db, db_path)) {
		hr_error_set(&job->result, HR_UNIMPLEMENTED,
			     "restore: hrd keeps no backups of %s; use "
			     "pg_dump/pg_restore or point-in-time recovery "
			     "for PostgreSQL (docs/operations.md)",
			     hr_db_can_backup(db) ? "in-memory databases"
						  : "PostgreSQL databases");
		return;
	}
	if (rj->list) {
		if (hr_backups_list(db_path, &rj->backups, &err) < 0)
			job->result = err;
		return;
	}
	rc = hr_backups_resolve(db_path, rj->given, &rj->path, &err);
	if (rc == 0)
		rc = hr_db_read_versions(db, &rj->before, &err);
	if (rc == 0)
		rc = hr_db_restore(db, rj->path, &err);
	if (rc == 0)
		rc = hr_db_read_versions(db, &rj->after, &err);
	if (rc == 0)
		rc = record(db, rj, (int64_t)job->peer_uid, &err);
	if (rc < 0) {
		job->result = err;
		return;
	}
	hr_log(HR_LOG_INFO, "uid %ld restored %s", (long)job->peer_uid,
	       rj->path);
}

static void restore_after(hr_job *job)
{
	restore_job *rj = job->data;
	Homerack__V1__RestoreReply reply = HOMERACK__V1__RESTORE_REPLY__INIT;

	if (job->result.code != HR_OK)
		return;
	reply.backup = rj->path ? rj->path : (char *)"";
	reply.from_revisions = rj->before.items;
	reply.n_from_revisions = rj->before.n;
	reply.to_revisions = rj->after.items;
	reply.n_to_revisions = rj->after.n;
	reply.backups = rj->backups.items;
	reply.n_backups = rj->backups.n;
	hr_call_send(job->call, &reply.base);
}

static void restore_start(hr_call *call, const ProtobufCMessage *request)
{
	const Homerack__V1__RestoreRequest *req =
		(const Homerack__V1__RestoreRequest *)request;
	restore_job *rj = calloc(1, sizeof *rj);
	hr_job *job;

	if (rj == NULL || (rj->given = strdup(req->backup)) == NULL) {
		free(rj);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rj->list = req->list;
	job = hr_writer_run(call, restore_work, rj, restore_job_free);
	if (job != NULL)
		job->after = restore_after;
}

const hr_method hr_method_restore = {
	.path = HR_RPC_RESTORE,
	.kind = HR_UNARY,
	.mutating = 1,
	.request_type = &homerack__v1__restore_request__descriptor,
	.start = restore_start,
};
