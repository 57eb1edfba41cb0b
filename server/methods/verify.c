/*
 * verify.c — Verify: the applied migrations whose file changed or
 * disappeared since they ran, as Flyway's validate reports them.
 *
 * "Applied" is what the version rows cover in the revision map. Each
 * such revision's file, as it is on disk now (the directory is read
 * afresh, so an edit that broke a file or a deleted file shows even
 * while hrd keeps serving its last good map), is compared with the
 * checksum its latest upgrade recorded in the history table, as long as
 * no downgrade or outside change took the revision down since
 * (outside.h; a change someone else made is recorded first). A revision
 * applied by a stamp or by Alembic has no record and is only counted.
 *
 * It runs as a job (a pool thread, the writer's connection), behind any
 * schema change in progress: reading PostgreSQL may wait on the network,
 * and a verdict taken half-way through an upgrade would be stale anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"
#include "outside.h"
#include "rpcnames.h"

/* One file of the directory as it is now. */
typedef struct disk_file {
	hr_migration *m; /* NULL: it does not parse */
	char *path;
	hr_error why;
} disk_file;

typedef struct disk {
	disk_file *files;
	size_t n, cap;
} disk;

typedef struct problems {
	Homerack__V1__VerifyProblem *v;
	char (*detail)[HR_ERROR_MSG_MAX];
	size_t n, cap;
} problems;

static int scan_one(void *ud, const char *path, hr_migration *m,
		    const hr_error *why)
{
	disk *d = ud;
	disk_file *f;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		disk_file *files = realloc(d->files, cap * sizeof *files);

		if (files == NULL) {
			hr_migration_free(m);
			return -HR_RESOURCE_EXHAUSTED;
		}
		d->files = files;
		d->cap = cap;
	}
	f = &d->files[d->n];
	f->m = m;
	f->why = *why;
	f->path = strdup(path);
	if (f->path == NULL) {
		hr_migration_free(m);
		return -HR_RESOURCE_EXHAUSTED;
	}
	d->n++;
	return 0;
}

static void disk_free(disk *d)
{
	for (size_t i = 0; i < d->n; i++) {
		hr_migration_free(d->files[i].m);
		free(d->files[i].path);
	}
	free(d->files);
}

static const disk_file *disk_find(const disk *d, const char *revision)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->files[i].m != NULL &&
		    strcmp(d->files[i].m->revision, revision) == 0)
			return &d->files[i];
	return NULL;
}

/* A new problem whose strings point into the job's data (and its own
 * detail buffer); NULL when out of memory. */
static Homerack__V1__VerifyProblem *add(problems *p,
					Homerack__V1__VerifyProblem__Kind kind,
					const char *revision, const char *path)
{
	Homerack__V1__VerifyProblem *v;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		void *nv = realloc(p->v, cap * sizeof *p->v);

		if (nv == NULL)
			return NULL;
		p->v = nv;
		nv = realloc(p->detail, cap * sizeof *p->detail);
		if (nv == NULL)
			return NULL;
		p->detail = nv;
		p->cap = cap;
	}
	v = &p->v[p->n];
	homerack__v1__verify_problem__init(v);
	v->kind = kind;
	v->revision = (char *)revision;
	v->path = (char *)path;
	p->detail[p->n][0] = '\0';
	v->detail = p->detail[p->n];
	p->n++;
	return v;
}

/* The checksum recorded for revision, or NULL. */
static const char *recorded(const hr_strlist *revs, const hr_strlist *sums,
			    const char *revision)
{
	for (size_t i = 0; i < revs->n; i++)
		if (strcmp(revs->items[i], revision) == 0)
			return sums->items[i];
	return NULL;
}

/* Check one applied revision (path: where the map found it, or NULL). */
static int check_applied(problems *p, Homerack__V1__VerifyReply *reply,
			 const disk *d, const hr_strlist *revs,
			 const hr_strlist *sums, const char *revision,
			 const char *path)
{
	const disk_file *f = disk_find(d, revision);
	const char *sum = recorded(revs, sums, revision);
	Homerack__V1__VerifyProblem *v;

	if (f == NULL) {
		v = add(p, HOMERACK__V1__VERIFY_PROBLEM__KIND__KIND_MISSING,
			revision, path ? path : "");
		if (v == NULL)
			return -1;
		v->recorded_checksum = (char *)(sum ? sum : "");
		snprintf(v->detail, HR_ERROR_MSG_MAX,
			 "%s is applied but no migration file has it%s%s",
			 revision, path ? " (it was " : "", path ? path : "");
		if (path != NULL)
			strncat(v->detail, ")",
				HR_ERROR_MSG_MAX - strlen(v->detail) - 1);
		return 0;
	}
	if (sum == NULL) {
		reply->unrecorded++;
		return 0;
	}
	if (strcmp(sum, f->m->checksum) == 0) {
		reply->checked++;
		return 0;
	}
	v = add(p, HOMERACK__V1__VERIFY_PROBLEM__KIND__KIND_CHANGED, revision,
		f->path);
	if (v == NULL)
		return -1;
	v->recorded_checksum = (char *)sum;
	v->file_checksum = f->m->checksum;
	snprintf(v->detail, HR_ERROR_MSG_MAX,
		 "%s changed since %s was applied (sha256 was %.12s..., now "
		 "%.12s...)",
		 f->path, revision, sum, f->m->checksum);
	return 0;
}

/* Worker thread. */
static void verify_work(hr_job *job)
{
	Homerack__V1__VerifyReply reply = HOMERACK__V1__VERIFY_REPLY__INIT;
	Homerack__V1__VerifyProblem **ptrs = NULL;
	hr_db *db = job->server->writer;
	const hr_revmap *map = job->map;
	hr_strlist rows = {0}, revs = {0}, sums = {0};
	problems p = {0};
	disk d = {0};
	hr_error err;
	int rc;

	/* Under the schema lock, as upgrade and stamp notice: another
	 * host's upgrade landing between the notice's reads would look
	 * like an outside change (hr_outside_notice). */
	rc = hr_method_lock_schema(job, db, &err);
	if (rc == 0)
		rc = hr_outside_notice(db, NULL, &err);
	if (rc == 0)
		rc = hr_db_read_versions(db, &rows, &err);
	if (rc == 0)
		rc = hr_outside_credits(db, map, &revs, &sums, &err);
	hr_db_unlock(db);
	if (rc == 0)
		rc = hr_revmap_scan_dir(job->server->cfg.migrations_dir,
					scan_one, &d, &err);
	if (rc == -HR_RESOURCE_EXHAUSTED)
		hr_error_set(&err, HR_RESOURCE_EXHAUSTED, "out of memory");
	if (rc < 0) {
		job->result = err;
		goto out;
	}
	/* Newest first, as history lists them. */
	for (size_t i = map ? hr_revmap_count(map) : 0; rc == 0 && i-- > 0;) {
		const hr_migration *m = hr_revmap_at(map, i);
		int applied = 0;

		for (size_t j = 0; j < rows.n && !applied; j++)
			applied = hr_revmap_is_ancestor(
				map, m, hr_revmap_get(map, rows.items[j]));
		if (applied)
			rc = check_applied(&p, &reply, &d, &revs, &sums,
					   m->revision, m->path);
	}
	/* Rows the map does not know: their files are gone (or hrd has no
	 * map at all, and the rows are all it knows to be applied). */
	for (size_t j = 0; rc == 0 && j < rows.n; j++)
		if (map == NULL || hr_revmap_get(map, rows.items[j]) == NULL)
			rc = check_applied(&p, &reply, &d, &revs, &sums,
					   rows.items[j], NULL);
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		Homerack__V1__VerifyProblem *v;

		if (d.files[i].m != NULL)
			continue;
		v = add(&p, HOMERACK__V1__VERIFY_PROBLEM__KIND__KIND_UNREADABLE,
			"", d.files[i].path);
		if (v == NULL)
			rc = -1;
		else
			snprintf(v->detail, HR_ERROR_MSG_MAX, "%s",
				 d.files[i].why.msg);
	}
	ptrs = calloc(p.n + 1, sizeof *ptrs);
	if (rc < 0 || ptrs == NULL) {
		hr_error_set(&job->result, HR_RESOURCE_EXHAUSTED,
			     "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		p.v[i].detail = p.detail[i];
		ptrs[i] = &p.v[i];
	}
	reply.problems = ptrs;
	reply.n_problems = p.n;
	hr_job_emit(job, &reply.base);
out:
	free(ptrs);
	free(p.v);
	free(p.detail);
	disk_free(&d);
	hr_strlist_free(&rows);
	hr_strlist_free(&revs);
	hr_strlist_free(&sums);
}

static void verify_start(hr_call *call, const ProtobufCMessage *request)
{
	(void)request;
	/* No data: free(NULL) is the no-op the writer may call. */
	hr_writer_run(call, verify_work, NULL, free);
}

const hr_method hr_method_verify = {
	.path = HR_RPC_VERIFY,
	.kind = HR_UNARY,
	.request_type = &homerack__v1__verify_request__descriptor,
	.start = verify_start,
};
