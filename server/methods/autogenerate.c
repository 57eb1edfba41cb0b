/*
 * autogenerate.c — Revision with autogenerate: the migration that takes
 * the heads to the models, per dialect, proved on scratch databases
 * before it is written (autogen.h).
 *
 * As Alembic, it refuses unless the database is at every head ("Target
 * database is not up to date."): the new revision would otherwise sit
 * on a schema the database does not have. It runs as a job (the
 * comparison replays every migration, and PostgreSQL scratch databases
 * wait on the network); the file is written on the loop afterwards, by
 * the same code as a plain Revision, and only if the migrations did
 * not change meanwhile (the parents it was generated on must still be
 * the ones it names).
 *
 * Dialects: SQLite always (an in-memory scratch database); PostgreSQL
 * when hrd runs on it, or on the request's dev_database. A dialect it
 * cannot reach gets sections that refuse to run, and the reply says so.
 */
#include <stdlib.h>
#include <string.h>

#include "autogen.h"
#include "log.h"
#include "methods.h"
#include "models.h"
#include "newrev.h"

#define N_DIALECTS 2

typedef struct autogen_job {
	hr_models *models;
	uint64_t map_generation;
	/* The new revision, copied out of the request. */
	hr_strlist parents, labels, deps;
	char *message, *rev_id;
	char *dev_database; /* "" when none */
	/* Filled by the work. */
	hr_autogen_result results[N_DIALECTS];
	size_t n_results;
	const char *unreached[N_DIALECTS];
	char why[N_DIALECTS][HR_ERROR_MSG_MAX];
	size_t n_unreached;
} autogen_job;

static void autogen_job_free(void *data)
{
	autogen_job *aj = data;

	hr_models_unref(aj->models);
	hr_strlist_free(&aj->parents);
	hr_strlist_free(&aj->labels);
	hr_strlist_free(&aj->deps);
	free(aj->message);
	free(aj->rev_id);
	free(aj->dev_database);
	for (size_t i = 0; i < aj->n_results; i++)
		hr_autogen_result_free(&aj->results[i]);
	free(aj);
}

/* Whether the version rows are exactly the heads (Alembic's rule). */
static int at_heads(const hr_revmap *map, const hr_strlist *rows,
		    hr_error *err)
{
	const hr_migration **heads = NULL;
	size_t n = 0;
	int same;

	if (hr_plan_resolve(map, NULL, 0, 0, "heads", &heads, &n, err) < 0)
		return -1;
	same = n == rows->n;
	for (size_t i = 0; same && i < n; i++) {
		int found = 0;

		for (size_t k = 0; k < rows->n && !found; k++)
			found = strcmp(heads[i]->revision, rows->items[k]) == 0;
		same = found;
	}
	free(heads);
	return same;
}

/* Generate for url's dialect into the next result slot. */
static int generate(autogen_job *aj, const hr_revmap *map,
		    const hr_dburl *url, hr_error *err)
{
	int rc = hr_autogen_compare(map, aj->models, url, 1,
				    &aj->results[aj->n_results], err);

	if (rc == 0)
		aj->n_results++;
	return rc;
}

static void unreached(autogen_job *aj, const char *dialect, const char *why)
{
	aj->unreached[aj->n_unreached] = dialect;
	snprintf(aj->why[aj->n_unreached], HR_ERROR_MSG_MAX, "%s", why);
	aj->n_unreached++;
}

/* Worker thread. */
static void autogen_work(hr_job *job)
{
	autogen_job *aj = job->data;
	const hr_dburl *own = &job->server->url;
	hr_dburl memory = {.kind = HR_DB_SQLITE}, dev = {0};
	hr_strlist rows = {0};
	hr_error err;
	int rc;

	rc = hr_db_read_versions(job->server->writer, &rows, &err);
	if (rc == 0 && (rc = at_heads(job->map, &rows, &err)) == 0)
		rc = hr_error_set(&err, HR_FAILED_PRECONDITION,
				  "Target database is not up to date.");
	hr_strlist_free(&rows);
	if (rc < 0)
		goto out;
	if ((rc = generate(aj, job->map, &memory, &err)) < 0)
		goto out;
	if (own->kind == HR_DB_POSTGRES) {
		rc = generate(aj, job->map, own, &err);
	} else if (aj->dev_database[0] != '\0') {
		rc = hr_method_dev_database(aj->dev_database, &dev, &err);
		if (rc == 0)
			rc = generate(aj, job->map, &dev, &err);
		hr_dburl_free(&dev);
	} else {
		unreached(aj, "postgresql",
			  "hrd runs on SQLite and no --dev-database "
			  "postgresql://... was given");
	}
out:
	if (rc < 0)
		job->result = err;
}

/* The Detected lines of every dialect, each once, in order. */
static int detected_union(const autogen_job *aj, hr_strlist *out)
{
	for (size_t i = 0; i < aj->n_results; i++)
		for (size_t k = 0; k < aj->results[i].detected.n; k++) {
			const char *line = aj->results[i].detected.items[k];
			int seen = 0;

			for (size_t j = 0; j < out->n && !seen; j++)
				seen = strcmp(out->items[j], line) == 0;
			if (!seen && hr_strlist_push(out, line) < 0)
				return -1;
		}
	return 0;
}

/* Write the file and reply (loop thread). */
static int write_and_reply(hr_job *job, autogen_job *aj, hr_error *err)
{
	Homerack__V1__RevisionReply reply = HOMERACK__V1__REVISION_REPLY__INIT;
	Homerack__V1__Revision rev = HOMERACK__V1__REVISION__INIT;
	Homerack__V1__AutogenDialect dialects[N_DIALECTS],
		*dptr[N_DIALECTS];
	hr_server *server = job->server;
	const hr_migration *parents[HR_METHOD_LIST_MAX];
	const hr_migration *made = NULL;
	const char *whys[N_DIALECTS];
	hr_new_revision nr = {0};
	hr_strlist detected = {0};
	char *body;
	int rc;

	if (server->map == NULL || server->map_generation != aj->map_generation)
		return hr_error_set(err, HR_ABORTED,
				    "the migrations changed while "
				    "autogenerating; nothing was written, try "
				    "again");
	for (size_t i = 0; i < aj->parents.n; i++)
		parents[i] = hr_revmap_get(server->map, aj->parents.items[i]);
	for (size_t i = 0; i < aj->n_unreached; i++)
		whys[i] = aj->why[i];
	body = hr_autogen_body(aj->results, aj->n_results,
			       (const char *const *)aj->unreached, whys,
			       aj->n_unreached);
	if (body == NULL || detected_union(aj, &detected) < 0) {
		free(body);
		hr_strlist_free(&detected);
		return hr_error_set(err, HR_RESOURCE_EXHAUSTED,
				    "out of memory");
	}
	nr.message = aj->message;
	nr.rev_id = aj->rev_id;
	nr.parents = parents;
	nr.n_parents = aj->parents.n;
	nr.labels = aj->labels.items;
	nr.n_labels = aj->labels.n;
	nr.depends_on = aj->deps.items;
	nr.n_depends_on = aj->deps.n;
	nr.body = body;
	for (size_t i = 0; i < aj->n_results; i++)
		nr.foreign_keys_off |= strcmp(aj->results[i].dialect,
					      "sqlite") == 0 &&
				       aj->results[i].notes.foreign_keys_off;
	rc = hr_revision_write(server, &nr, &made, err);
	free(body);
	if (rc < 0) {
		hr_strlist_free(&detected);
		return rc;
	}
	hr_log(HR_LOG_INFO, "uid %ld autogenerated revision %s (%s): %zu "
			    "change(s)",
	       (long)job->peer_uid, made->revision, made->path, detected.n);
	for (size_t i = 0; i < aj->n_results + aj->n_unreached; i++) {
		Homerack__V1__AutogenDialect *d = &dialects[i];

		homerack__v1__autogen_dialect__init(d);
		dptr[i] = d;
		if (i < aj->n_results) {
			d->dialect = (char *)aj->results[i].dialect;
			d->generated = 1;
			d->review = aj->results[i].notes.review.items;
			d->n_review = aj->results[i].notes.review.n;
		} else {
			d->dialect = (char *)aj->unreached[i - aj->n_results];
			d->why = aj->why[i - aj->n_results];
		}
	}
	hr_revinfo_fill(&rev, server->map, made);
	reply.revision = &rev;
	reply.detected = detected.items;
	reply.n_detected = detected.n;
	reply.dialects = dptr;
	reply.n_dialects = aj->n_results + aj->n_unreached;
	hr_call_send(job->call, &reply.base);
	hr_strlist_free(&detected);
	return 0;
}

static void autogen_after(hr_job *job)
{
	hr_error err;

	if (job->result.code == HR_OK &&
	    write_and_reply(job, job->data, &err) < 0)
		job->result = err;
}

/* Copy n strings into l; -1 when out of memory. */
static int copy_list(hr_strlist *l, char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hr_strlist_push(l, items[i]) < 0)
			return -1;
	return 0;
}

int hr_method_dev_database(const char *url, hr_dburl *out, hr_error *err)
{
	int rc = hr_dburl_parse(url, out, err);

	if (rc == 0 && out->kind != HR_DB_POSTGRES)
		rc = hr_error_set(err, HR_INVALID_ARGUMENT,
				  "--dev-database must be a postgresql:// URL, "
				  "not %s",
				  out->redacted);
	return rc;
}

void hr_autogenerate_start(hr_call *call,
			   const Homerack__V1__RevisionRequest *req,
			   const hr_new_revision *nr)
{
	autogen_job *aj;
	hr_job *job;
	hr_error err;
	int bad;

	/* A message that cannot be written is refused before the work. */
	if (!hr_newrev_message_ok(nr->message, &err)) {
		hr_call_finish(call, err.code, "%s", err.msg);
		return;
	}
	aj = calloc(1, sizeof *aj);
	bad = aj == NULL;

	for (size_t i = 0; !bad && i < nr->n_parents; i++)
		bad = hr_strlist_push(&aj->parents, nr->parents[i]->revision) < 0;
	if (!bad)
		bad = copy_list(&aj->labels, nr->labels, nr->n_labels) < 0 ||
		      copy_list(&aj->deps, nr->depends_on, nr->n_depends_on) < 0 ||
		      (aj->message = strdup(nr->message)) == NULL ||
		      (aj->rev_id = strdup(nr->rev_id ? nr->rev_id : "")) == NULL ||
		      (aj->dev_database = strdup(req->dev_database)) == NULL;
	if (bad) {
		if (aj != NULL)
			autogen_job_free(aj);
		hr_call_finish(call, HR_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	aj->map_generation = call->server->map_generation;
	if ((aj->models = hr_method_need_models(call)) == NULL) {
		autogen_job_free(aj);
		return;
	}
	job = hr_writer_run(call, autogen_work, aj, autogen_job_free);
	if (job != NULL)
		job->after = autogen_after;
}
